"""Shared fixtures: the three personas and the loopback providers."""
import pytest

from tests.fakes.openai import OpenAIFake

PASSWORD = "correct horse battery staple"
TEST_KEY = "sk-test-DO-NOT-LEAK-4f9c2e7a1b3d"


@pytest.fixture
def alice(django_user_model):
    """The admin."""
    return django_user_model.objects.create_superuser("alice", "alice@example.com", PASSWORD)


@pytest.fixture
def bob(django_user_model):
    """A teammate: signed in, no admin rights."""
    return django_user_model.objects.create_user("bob", "bob@example.com", PASSWORD)


@pytest.fixture
def charlie(django_user_model):
    """An outsider: an account that has been switched off, so never signed in."""
    return django_user_model.objects.create_user("charlie", "charlie@example.com", PASSWORD, is_active=False)


@pytest.fixture
def openai_fake():
    with OpenAIFake() as fake:
        yield fake


@pytest.fixture
def provider(db, openai_fake):
    """An enabled OpenAI-compatible provider pointed at the loopback fake, with one model."""
    from providers.models import Provider, ProviderModel

    p = Provider(name="Loopback", slug="loopback", kind="openai", base_url=openai_fake.base_url,
                 default_model="fake-model", max_retries=2)
    p.set_api_key(TEST_KEY)
    p.save()
    ProviderModel.objects.create(provider=p, model_id="fake-model", display_name="Fake model",
                                 input_price_per_mtok=1, output_price_per_mtok=2)
    return p


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Close worker-thread connections after each use so the test database can be dropped."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
