"""The vision capability: refusing images for a model without it, set at discovery where the provider says."""
import pytest

from chat import capabilities
from providers import types
from providers.models import ProviderModel
from providers.services import refresh_models
from tests.conftest import loopback_provider
from tests.fakes.ollama import OllamaFake

PNG = types.Image("image/png", b"\x89PNG\r\n\x1a\n")


def test_a_model_without_vision_refuses_a_request_with_images_and_says_so():
    request = types.ChatRequest("m", [types.Message("user", "What is this?", images=(PNG,))])
    with pytest.raises(capabilities.CapabilityError, match="Loopback · m does not take images"):
        capabilities.plan(request, types.Capabilities(vision=False), "Loopback · m")
    assert capabilities.plan(request, types.Capabilities(vision=True), "m") == (request, None)
    plain = types.ChatRequest("m", [types.Message("user", "Hello")])
    assert capabilities.plan(plain, types.Capabilities(vision=False), "m") == (plain, None)


@pytest.mark.django_db
def test_ollama_discovery_marks_the_models_that_list_vision():
    with OllamaFake() as fake:
        provider = loopback_provider(fake.base_url, kind="ollama", slug="ollama-loop")
        refresh_models(provider)
    assert dict(provider.provider_models.values_list("model_id", "supports_vision")) == {
        "fake-model": False, "fake-model-mini": True}


@pytest.mark.django_db
def test_openrouter_style_discovery_reads_input_modalities_and_keeps_the_admins_choice(openai_fake):
    provider = loopback_provider(openai_fake.base_url)
    ProviderModel.objects.filter(provider=provider).update(supports_vision=True)  # the admin's choice
    openai_fake.models = ["fake-model", "seeing-model", "blind-model"]
    openai_fake.vision_models = {"seeing-model"}
    refresh_models(provider)
    rows = {row.model_id: row for row in provider.provider_models.all()}
    assert {m: r.supports_vision for m, r in rows.items()} == {"fake-model": True, "seeing-model": True,
                                                               "blind-model": False}
    assert not rows["blind-model"].capabilities().vision and provider.capabilities().vision


def test_the_deepseek_preset_takes_no_images():
    from providers.presets import get_preset, provider_values

    assert provider_values(get_preset("deepseek"))["supports_vision"] is False
    assert provider_values(get_preset("openai"))["supports_vision"] is True
