"""The provider admin: presets, write-only keys, model discovery and health checks."""
import socket

import pytest
from django.urls import reverse

from providers.models import CAPABILITY_FIELDS, Provider
from tests.conftest import PASSWORD, TEST_KEY
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db
ADD = reverse("admin:providers_provider_add")
CHANGELIST = reverse("admin:providers_provider_changelist")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def change_url(provider) -> str:
    return reverse("admin:providers_provider_change", args=[provider.pk])


def form_data(provider=None, **overrides) -> dict:
    """A complete change form as a browser would post it."""
    data = {"name": "Loopback", "slug": "loopback", "kind": "openai", "base_url": "http://127.0.0.1:9/v1",
            "timeout_seconds": "180", "idle_timeout_seconds": "60", "max_retries": "2", "extra_headers": "{}",
            "options": "{}", "enabled": "on",
            "supports_streaming": "on", "supports_tools": "on", "provider_models-TOTAL_FORMS": "0",
            "provider_models-INITIAL_FORMS": "0"}
    if provider is not None:
        data.update(base_url=provider.base_url,
                    **{"provider_models-TOTAL_FORMS": "1", "provider_models-INITIAL_FORMS": "1",
                       "provider_models-0-id": str(provider.provider_models.get().pk),
                       "provider_models-0-provider": str(provider.pk),
                       "provider_models-0-model_id": "fake-model", "provider_models-0-purpose": "chat"})
    data.update(overrides)
    return data


def act(client, action, provider):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [provider.pk]}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_alice_can_open_the_add_and_change_pages(client, alice, provider):
    client.force_login(alice)
    assert client.get(ADD).status_code == 200
    assert client.get(change_url(provider)).status_code == 200
    assert client.get(CHANGELIST).status_code == 200


def test_only_alice_reaches_the_provider_admin_not_bob_nor_charlie(client, alice, bob, charlie, provider):
    client.force_login(alice)
    assert client.get(CHANGELIST).status_code == 200
    client.force_login(bob)
    assert client.get(CHANGELIST).status_code == 302
    assert client.get(change_url(provider)).status_code == 302
    client.logout()
    assert not client.login(username="charlie", password=PASSWORD)
    client.force_login(charlie)
    assert client.get(CHANGELIST).status_code == 302
    assert client.get(ADD).status_code == 302


def test_the_add_page_offers_presets_and_a_preset_link_prefills_the_form(client, alice):
    client.force_login(alice)
    assert "?preset=groq" in client.get(ADD).content.decode()
    page = client.get(ADD + "?preset=mistral").content.decode()
    assert 'value="https://api.mistral.ai/v1"' in page
    assert 'value="MISTRAL_API_KEY"' in page
    assert "alnum9" in page


def test_alice_adds_a_provider_from_a_preset_with_a_stored_key(client, alice):
    client.force_login(alice)
    data = form_data(name="Groq", slug="groq", base_url=f"http://127.0.0.1:{closed_port()}/v1", preset="groq",
                     api_key=TEST_KEY, max_retries="0")
    response = client.post(ADD, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    groq = Provider.objects.get(slug="groq")
    assert groq.secret().reveal() == TEST_KEY
    assert groq.api_key_encrypted and TEST_KEY not in groq.api_key_encrypted


def test_the_key_input_never_renders_the_key_nor_its_token(client, alice, provider):
    client.force_login(alice)
    page = client.get(change_url(provider)).content.decode()
    assert TEST_KEY not in page
    assert provider.api_key_encrypted not in page
    assert '<input type="password" name="api_key"' in page
    assert "••••" + TEST_KEY[-4:] in page


def test_a_blank_key_keeps_the_stored_one(client, alice, provider):
    client.force_login(alice)
    response = client.post(change_url(provider), form_data(provider, api_key=""))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.secret().reveal() == TEST_KEY


def test_clear_key_removes_the_stored_key(client, alice, provider):
    client.force_login(alice)
    client.post(change_url(provider), form_data(provider, clear_api_key="on"))
    provider.refresh_from_db()
    assert provider.secret() is None
    assert provider.key_hint() == "none"


def test_fetch_models_upserts_discovered_models(client, alice, provider, openai_fake):
    client.force_login(alice)
    openai_fake.models = ["fake-model", "fake-model-mini", "fake-model-large"]
    response = act(client, "fetch_models", provider)
    assert "Loopback: 3 models fetched." in messages_of(response)
    rows = {m.model_id: m for m in provider.provider_models.all()}
    assert set(rows) == {"fake-model", "fake-model-mini", "fake-model-large"}
    assert rows["fake-model-mini"].discovered and not rows["fake-model"].discovered
    assert rows["fake-model"].input_price_per_mtok == 1


def test_health_check_reports_status_and_latency(client, alice, provider):
    client.force_login(alice)
    [message] = messages_of(act(client, "health_check", provider))
    assert message.startswith("Loopback: healthy (status 200,") and " ms" in message


def test_health_check_reports_the_error_of_a_rejected_key(client, alice, provider, openai_fake):
    client.force_login(alice)
    openai_fake.enqueue(Reply.fail(401, "invalid key"))
    [message] = messages_of(act(client, "health_check", provider))
    assert "unhealthy (status 401" in message and "invalid key" in message


def test_every_preset_is_complete_and_names_a_known_kind():
    from providers import registry
    from providers.models import CAPABILITY_FIELDS
    from providers.presets import all_presets

    kinds = {kind for kind, _ in registry.kind_choices()}
    required = {"slug", "name", "kind", "base_url", "api_key_env", "default_model", "options", "notes",
                *CAPABILITY_FIELDS.values()}
    presets = all_presets()
    assert len({p["slug"] for p in presets}) == len(presets)
    for preset in presets:
        assert required <= set(preset), preset["slug"]
        assert preset["kind"] in kinds
        for model, price in (preset.get("prices") or {}).items():
            assert len(price) == 2 and all(isinstance(p, (int, float)) and p >= 0 for p in price), (preset["slug"], model)


def test_local_servers_that_accept_stream_options_ask_for_usage():
    from providers.presets import get_preset

    assert get_preset("llamacpp")["supports_stream_usage"] and get_preset("vllm")["supports_stream_usage"]


# Saving discovers models; the change page has its own buttons --------------------------------


def test_saving_a_provider_discovers_its_models_and_says_so(client, alice, provider, openai_fake):
    client.force_login(alice)
    openai_fake.models = ["fake-model", "fake-model-large"]
    response = client.post(change_url(provider), form_data(provider), follow=True)
    assert "Loopback: 2 models fetched." in messages_of(response)
    assert set(provider.provider_models.values_list("model_id", flat=True)) == {"fake-model", "fake-model-large"}


def test_adding_a_provider_whose_discovery_fails_says_why(client, alice):
    client.force_login(alice)
    data = form_data(base_url=f"http://127.0.0.1:{closed_port()}/v1", max_retries="0")
    response = client.post(ADD, data, follow=True)
    [message] = [m for m in messages_of(response) if "discovery" in m]
    assert "Loopback: saved, but model discovery failed: Loopback could not be reached" in message
    assert Provider.objects.filter(slug="loopback").exists()


def test_the_change_page_has_check_connection_and_fetch_models_buttons(client, alice, provider, openai_fake):
    client.force_login(alice)
    page = client.get(change_url(provider)).content.decode()
    check = reverse("admin:providers_provider_check", args=[provider.pk])
    fetch = reverse("admin:providers_provider_fetch_models", args=[provider.pk])
    assert f'action="{check}"' in page and "Check connection" in page
    assert f'action="{fetch}"' in page and "Fetch models" in page
    [message] = messages_of(client.post(check, follow=True))
    assert message.startswith("Loopback: healthy (status 200,")
    openai_fake.models = ["fake-model", "fake-model-mini", "fake-model-large"]
    response = client.post(fetch, follow=True)
    assert "Loopback: 3 models fetched." in messages_of(response)
    assert response.redirect_chain[-1][0] == change_url(provider)
    assert provider.provider_models.count() == 3


def test_the_buttons_need_a_post_and_an_admin(client, alice, bob, provider, openai_fake):
    check = reverse("admin:providers_provider_check", args=[provider.pk])
    client.force_login(bob)
    assert client.post(check).status_code == 302 and openai_fake.requests == []
    client.force_login(alice)
    assert client.get(check).status_code == 405


def test_every_capability_can_be_edited(client, alice, provider):
    client.force_login(alice)
    page = client.get(change_url(provider)).content.decode()
    for field in CAPABILITY_FIELDS.values():
        assert f'name="{field}"' in page, field
    assert 'name="idle_timeout_seconds"' in page


def test_discovery_fills_in_the_presets_list_prices(client, alice, provider, openai_fake):
    provider.preset = "openai"
    provider.save()
    openai_fake.models = ["gpt-4o-mini", "fake-model"]
    client.force_login(alice)
    act(client, "fetch_models", provider)
    mini = provider.provider_models.get(model_id="gpt-4o-mini")
    assert (float(mini.input_price_per_mtok), float(mini.output_price_per_mtok)) == (0.15, 0.6)
    assert provider.provider_models.get(model_id="fake-model").input_price_per_mtok == 1  # the admin's price stays
