"""Discovery finds out whether a provider's streamed replies report token usage (one one-token request)."""
import pytest

from providers.models import Provider
from providers.services import detect_stream_usage, refresh_models
from tests.conftest import loopback_provider
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db


def test_a_server_that_reports_usage_when_asked_gets_the_capability(openai_fake):
    provider = loopback_provider(openai_fake.base_url)
    Provider.objects.filter(pk=provider.pk).update(supports_stream_usage=False)
    provider.refresh_from_db()
    refresh_models(provider)
    provider.refresh_from_db()
    assert provider.supports_stream_usage is True
    probe = openai_fake.chat_requests()[-1].body
    assert probe["stream_options"] == {"include_usage": True} and probe["max_tokens"] == 1


def test_a_server_that_streams_without_usage_loses_the_capability(openai_fake):
    provider = loopback_provider(openai_fake.base_url)
    openai_fake.enqueue(Reply.text_of("OK", usage=None))
    detect_stream_usage(provider)
    provider.refresh_from_db()
    assert provider.supports_stream_usage is False


def test_a_server_that_refuses_stream_options_loses_the_capability(openai_fake):
    provider = loopback_provider(openai_fake.base_url)
    openai_fake.enqueue(Reply.fail(400, "Unrecognized request argument supplied: stream_options"))
    detect_stream_usage(provider)
    provider.refresh_from_db()
    assert provider.supports_stream_usage is False


def test_a_provider_that_cannot_answer_keeps_what_it_had(openai_fake):
    provider = loopback_provider(openai_fake.base_url)
    openai_fake.enqueue(Reply.fail(500))
    detect_stream_usage(provider)
    provider.refresh_from_db()
    assert provider.supports_stream_usage is True
