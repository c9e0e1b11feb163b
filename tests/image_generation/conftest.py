"""Image mode's fixtures: a provider whose model makes images, media in a temporary folder, a request helper."""
import pytest
from django.test import Client

from providers.models import ProviderModel
from tests.conftest import loopback_provider

URL = "/api/images/generations"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def painter(db, openai_fake):
    """A loopback provider whose one model makes images, at 0.04 USD an image."""
    provider = loopback_provider(openai_fake.base_url, model="gpt-image-1", price=None)
    ProviderModel.objects.filter(provider=provider).update(supports_image_generation=True, price_per_image="0.04")
    return provider


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def generate(client, **fields):
    body = {"provider": "loopback", "model": "gpt-image-1", "prompt": "A lighthouse at dusk", "size": "256x256",
            "n": 2, "conversation_id": None, **fields}
    return client.post(URL, body, content_type="application/json")


