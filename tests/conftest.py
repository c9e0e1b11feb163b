"""Shared fixtures: the three personas and the loopback providers."""
import pytest

from tests.fakes.openai import OpenAIFake

PASSWORD = "correct horse battery staple"
TEST_KEY = "sk-test-DO-NOT-LEAK-4f9c2e7a1b3d"


@pytest.fixture(scope="session")
def password_hash():
    """PASSWORD hashed once a session (the real hasher: a live server must accept it)."""
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def _persona(model, name: str, password_hash: str, **flags):
    return model.objects.create(username=name, email=f"{name}@example.com", password=password_hash, **flags)


@pytest.fixture
def alice(django_user_model, password_hash):
    """The admin."""
    return _persona(django_user_model, "alice", password_hash, is_staff=True, is_superuser=True)


@pytest.fixture
def bob(django_user_model, password_hash):
    """A teammate: signed in, no admin rights."""
    return _persona(django_user_model, "bob", password_hash)


@pytest.fixture
def charlie(django_user_model, password_hash):
    """An outsider: an account that has been switched off, so never signed in."""
    return _persona(django_user_model, "charlie", password_hash, is_active=False)


@pytest.fixture
def openai_fake():
    with OpenAIFake() as fake:
        yield fake


def loopback_provider(base_url: str, *, slug: str = "loopback", kind: str = "openai", name: str = "Loopback",
                      model: str = "fake-model", display_name: str = "", retries: int = 2, price=(1, 2)):
    """An enabled provider on a loopback fake, keyed with TEST_KEY, with one model (price per million tokens, or None)."""
    from providers.models import Provider, ProviderModel

    provider = Provider(name=name, slug=slug, kind=kind, base_url=base_url, default_model=model, max_retries=retries)
    provider.set_api_key(TEST_KEY)
    provider.save()
    input_price, output_price = price or (None, None)
    ProviderModel.objects.create(provider=provider, model_id=model, display_name=display_name,
                                 input_price_per_mtok=input_price, output_price_per_mtok=output_price)
    return provider


@pytest.fixture
def provider(db, openai_fake):
    """An enabled OpenAI-compatible provider pointed at the loopback fake, with one model."""
    return loopback_provider(openai_fake.base_url, display_name="Fake model")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Close worker-thread connections after each use so the test database can be dropped."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


def pytest_sessionfinish(session, exitstatus):
    """Django drops the SQLite test database file; its WAL and shared-memory files stay: remove them too."""
    import os

    from django.conf import settings

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and test_name:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{test_name}{suffix}"):
                os.remove(f"{test_name}{suffix}")


def pytest_collection_modifyitems(config, items):
    """The page's browser tests are marked `browser`: what a person sees does not depend on the database, so the
    PostgreSQL + Redis pass of `make test` leaves them to the SQLite pass (`-m "not browser"`). The gateway's
    browser tests (single sign-on, token and usage pages) are about accounts and records: they run in both."""
    for item in items:
        path = item.path.as_posix()
        if "/tests/browser/" in path or "/experiments/browser/" in path:
            item.add_marker(pytest.mark.browser)
