"""A configured key never shows: not in pages, command output, errors, reprs or logs."""
import io
import logging

import pytest
from asgiref.sync import async_to_sync
from django.core.management import CommandError, call_command
from django.urls import reverse

from providers import crypto
from providers.services import check_health
from providers.types import ChatRequest, Message, ProviderError
from tests.conftest import TEST_KEY
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:providers_provider_changelist")


@pytest.fixture(autouse=True)
def debug_logs(caplog):
    """Capture every log record, httpx's included, and check them after each test."""
    for name in ("", "httpx", "httpcore", "django", "providers"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    assert TEST_KEY not in caplog.text


def assert_hidden(provider, *texts: str) -> None:
    for text in texts:
        assert TEST_KEY not in text
        assert provider.api_key_encrypted not in text


def echo_401(fake, times: int = 1) -> None:
    fake.enqueue(*[Reply.fail(401, echo_key_in_error=True)] * times)


def command(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("providers", *args, stdout=out, stderr=err)
    except CommandError as error:
        err.write(str(error))
    return out.getvalue() + err.getvalue()


def test_the_fake_really_echoes_the_key(provider, openai_fake):
    """Guards the other tests: the 401 body does quote the key it was sent."""
    echo_401(openai_fake)
    check_health(provider)
    assert openai_fake.sent_key(openai_fake.requests[0]) == TEST_KEY


def test_admin_pages_do_not_show_the_key(client, alice, provider):
    client.force_login(alice)
    pages = [client.get(url).content.decode() for url in (
        CHANGELIST, reverse("admin:providers_provider_change", args=[provider.pk]),
        reverse("admin:providers_provider_history", args=[provider.pk]),
        reverse("admin:providers_providermodel_changelist"), reverse("admin:providers_provider_add"))]
    assert_hidden(provider, *pages)


def test_admin_actions_do_not_show_an_echoed_key(client, alice, provider, openai_fake):
    client.force_login(alice)
    echo_401(openai_fake, times=2)
    for action in ("fetch_models", "health_check"):
        page = client.post(CHANGELIST, {"action": action, "_selected_action": [provider.pk]}, follow=True)
        assert "401" in page.content.decode()
        assert_hidden(provider, page.content.decode())


def test_command_output_does_not_show_the_key(provider, openai_fake):
    echo_401(openai_fake, times=2)
    outputs = [command("list"), command("check", "loopback"), command("models", "loopback", "--refresh")]
    assert "401" in outputs[1] and "401" in outputs[2]
    assert_hidden(provider, *outputs)


def test_a_health_check_against_an_echoing_401_hides_the_key(provider, openai_fake):
    echo_401(openai_fake)
    result = check_health(provider)
    assert result.status == 401 and "Incorrect API key provided" in result.error
    assert_hidden(provider, result.error, repr(result))


def test_stream_errors_hide_the_key(provider, openai_fake):
    echo_401(openai_fake)

    async def stream():
        request = ChatRequest(model="fake-model", messages=[Message("user", "hi")])
        return [event async for event in provider.adapter().stream_chat(request)]

    with pytest.raises(ProviderError) as caught:
        async_to_sync(stream)()
    error = caught.value
    assert_hidden(provider, str(error), repr(error), error.message, str(error.as_frame()))


def test_a_streamed_reply_decrypts_its_key_once_sends_it_and_masks_it_in_the_reply(provider, openai_fake, monkeypatch):
    decrypted = []
    decrypt = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda token: decrypted.append(token) or decrypt(token))
    openai_fake.enqueue(Reply.text_of(f"your key is {TEST_KEY}, right?", pieces=4))

    async def stream():
        request = ChatRequest(model="fake-model", messages=[Message("user", "hi")])
        return [event async for event in provider.adapter().stream_chat(request)]

    text = "".join(getattr(event, "text", "") for event in async_to_sync(stream)())
    assert text == "your key is ****, right?"
    assert openai_fake.requests[-1].headers["authorization"] == f"Bearer {TEST_KEY}"
    assert decrypted == [provider.api_key_encrypted]


def test_reprs_of_provider_config_and_secret_hide_the_key(provider):
    config = provider.config()
    assert_hidden(provider, repr(provider), str(provider), repr(config), str(config), repr(config.api_key),
                  str(config.api_key))


def test_a_form_posted_with_a_key_and_an_error_does_not_render_it_back(client, alice, provider):
    client.force_login(alice)
    data = {"name": "Again", "slug": "loopback", "kind": "openai", "base_url": provider.base_url, "api_key": TEST_KEY,
            "timeout_seconds": "180", "max_retries": "2", "extra_headers": "{}", "options": "{}",
            "provider_models-TOTAL_FORMS": "0", "provider_models-INITIAL_FORMS": "0"}
    page = client.post(reverse("admin:providers_provider_add"), data)
    assert page.status_code == 200 and "already exists" in page.content.decode()
    assert_hidden(provider, page.content.decode())
