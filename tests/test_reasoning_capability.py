"""The reasoning capability: set at discovery where the provider says, editable in the admin, and deciding
whether a request carries reasoning controls at all."""
import pytest
from django.urls import reverse

from chat import capabilities, requests
from chat.frames import Settings
from providers import types
from providers.models import ProviderModel
from providers.services import refresh_models
from tests.conftest import loopback_provider
from tests.fakes.gemini import GeminiFake
from tests.fakes.ollama import OllamaFake

CONTROLS = types.Params(temperature=0.5, reasoning_effort="high", thinking_budget=2048, think=True)


def request_with(params: types.Params) -> types.ChatRequest:
    return types.ChatRequest("fake-model", [types.Message("user", "6 x 7?")], params=params)


def test_a_model_without_the_capability_gets_no_controls_and_is_told_so():
    request, note = capabilities.plan(request_with(CONTROLS), types.Capabilities(reasoning=False), "Loopback · m")
    assert request.params == types.Params(temperature=0.5)
    assert note == "reasoning_effort, thinking_budget, think not sent: Loopback · m takes no reasoning controls"


def test_a_model_with_the_capability_gets_them_as_asked():
    assert capabilities.plan(request_with(CONTROLS), types.Capabilities(reasoning=True), "m") == (request_with(CONTROLS), None)
    plain = request_with(types.Params(temperature=0.5))
    assert capabilities.plan(plain, types.Capabilities(reasoning=False), "m") == (plain, None)


@pytest.mark.django_db
def test_a_chat_request_carries_the_controls_only_to_a_model_that_takes_them(openai_fake):
    provider = loopback_provider(openai_fake.base_url)
    settings = Settings(provider="loopback", model="fake-model", params={"reasoning_effort": "low", "max_tokens": 50})
    plan = requests.plan(settings, [types.Message("user", "6 x 7?")])
    assert plan.request.params == types.Params(max_tokens=50) and "reasoning_effort not sent" in plan.fallback
    row = provider.provider_models.get()
    row.supports_reasoning = True
    row.save()
    plan = requests.plan(settings, [types.Message("user", "6 x 7?")])
    assert plan.request.params.reasoning_effort == "low" and plan.fallback is None
    assert plan.adapter.request_sample(plan.request).body["reasoning_effort"] == "low"


@pytest.mark.django_db
def test_discovery_sets_the_capability_where_the_provider_says_and_keeps_the_admins_choice():
    with GeminiFake() as fake:
        fake.models = ["fake-model", "fake-model-mini", "fake-model-pro"]
        fake.thinking_models = {"fake-model", "fake-model-pro"}
        provider = loopback_provider(fake.base_url, kind="gemini")
        ProviderModel.objects.filter(provider=provider, model_id="fake-model").update(supports_reasoning=False)
        refresh_models(provider)
    rows = {row.model_id: row for row in provider.provider_models.filter(purpose="chat")}
    assert {m: r.supports_reasoning for m, r in rows.items()} == {"fake-model": False, "fake-model-mini": False,
                                                                 "fake-model-pro": True}
    assert rows["fake-model-pro"].capabilities().reasoning and not provider.capabilities().reasoning


@pytest.mark.django_db
def test_ollama_discovery_asks_each_model_what_it_can_do():
    with OllamaFake() as fake:
        provider = loopback_provider(fake.base_url, kind="ollama", slug="ollama-loop")
        refresh_models(provider)
    assert dict(provider.provider_models.values_list("model_id", "supports_reasoning")) == {
        "fake-model": True, "fake-model-mini": False}


@pytest.mark.django_db
def test_a_presets_reasoning_models_are_marked_where_discovery_cannot_tell(openai_fake):
    provider = loopback_provider(openai_fake.base_url)
    provider.preset = "openai"
    provider.save()
    openai_fake.models = ["o4-mini", "gpt-4o-mini"]
    refresh_models(provider)
    rows = dict(provider.provider_models.values_list("model_id", "supports_reasoning"))
    assert rows["o4-mini"] is True and rows["gpt-4o-mini"] is None  # None: as the provider (off)


@pytest.mark.django_db
def test_the_admin_edits_the_capability_per_provider_and_per_model(client, alice, openai_fake):
    provider = loopback_provider(openai_fake.base_url)
    client.force_login(alice)
    page = client.get(reverse("admin:providers_provider_change", args=[provider.pk])).content.decode()
    assert 'name="supports_reasoning"' in page and 'name="provider_models-0-supports_reasoning"' in page


def test_openrouter_sends_its_controls_in_one_reasoning_object_and_takes_them():
    from providers.presets import get_preset

    preset = get_preset("openrouter")
    assert preset["supports_reasoning"] and preset["options"]["reasoning_format"] == "openrouter"
    assert not get_preset("openai")["supports_reasoning"] and "o3" in get_preset("openai")["reasoning_models"]
