"""Models are tagged chat or embedding: by discovery where the provider says, by name otherwise, by an admin always.

Chat models are what the playground offers; embedding models are what the Embeddings page offers, and a chat
request naming one is refused with a clear reason.
"""
import pytest
from django.urls import reverse

from chat.frames import Settings
from chat.errors import Refused
from chat.requests import plan
from chat.views import provider_choices
from providers.models import ProviderModel
from providers.services import refresh_models
from providers import types
from tests.conftest import loopback_provider
from tests.fakes.embeddings import EMBEDDING_MODELS
from tests.fakes.gemini import GeminiFake

pytestmark = pytest.mark.django_db


def purposes(provider) -> dict:
    return dict(provider.provider_models.values_list("model_id", "purpose"))


def test_gemini_discovery_tags_models_by_their_generation_methods():
    with GeminiFake() as fake:
        provider = loopback_provider(fake.base_url, kind="gemini")
        refresh_models(provider)
    assert purposes(provider) == {"fake-model": "chat", "fake-model-mini": "chat",
                                  **dict.fromkeys(EMBEDDING_MODELS, "embedding")}


def test_a_provider_that_does_not_say_gets_a_guess_from_the_name(provider, openai_fake):
    openai_fake.models = ["fake-model", "text-embedding-3-small"]
    refresh_models(provider)
    assert purposes(provider) == {"fake-model": "chat", "text-embedding-3-small": "embedding"}


def test_discovery_keeps_the_purpose_an_admin_corrected(provider, openai_fake):
    openai_fake.models = ["fake-model", "embedder-that-chats"]
    refresh_models(provider)
    ProviderModel.objects.filter(model_id="embedder-that-chats").update(purpose="chat")
    refresh_models(provider)
    assert purposes(provider)["embedder-that-chats"] == "chat"


def test_an_admin_edits_the_purpose_on_the_model_page(client, alice, provider):
    client.force_login(alice)
    row = provider.provider_models.get()
    url = reverse("admin:providers_providermodel_change", args=[row.pk])
    assert 'name="purpose"' in client.get(url).content.decode()
    page = client.get(reverse("admin:providers_provider_change", args=[provider.pk])).content.decode()
    assert 'name="provider_models-0-purpose"' in page


def test_the_chat_picker_lists_chat_models_and_the_embeddings_picker_embedding_models(provider):
    ProviderModel.objects.create(provider=provider, model_id="fake-embed", purpose="embedding")
    chat = provider_choices()
    assert [m["id"] for m in chat[0]["models"]] == ["fake-model"]
    embedding = provider_choices(purpose="embedding")
    assert [(c["slug"], [m["id"] for m in c["models"]], c["default_model"]) for c in embedding] == [
        ("loopback", ["fake-embed"], "fake-embed")]


def test_the_providers_endpoint_answers_for_a_purpose(client, bob, provider):
    ProviderModel.objects.create(provider=provider, model_id="fake-embed", purpose="embedding")
    client.force_login(bob)
    listed = client.get("/api/providers?purpose=embedding").json()["providers"]
    assert [m["id"] for m in listed[0]["models"]] == ["fake-embed"]
    assert client.get("/api/providers?purpose=images").json() == {"error": "purpose must be chat or embedding."}


def test_a_chat_request_naming_an_embedding_model_is_refused(provider):
    ProviderModel.objects.create(provider=provider, model_id="fake-embed", purpose="embedding")
    with pytest.raises(Refused, match="fake-embed of Loopback is an embedding model"):
        plan(Settings(provider="loopback", model="fake-embed"), [types.Message("user", "Hi")])
