"""Each failure of /v1 reaches the SDK in OpenAI's error shape, with the status a client branches on."""
from datetime import timedelta

import openai
import pytest
from django.utils import timezone

from chat.gateway.models import ApiRequest, ApiToken, Quota
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)
HELLO = [{"role": "user", "content": "Hi"}]


def _chat(client, model="loopback/fake-model", **options):
    return client.chat.completions.create(model=model, messages=HELLO, **options)


def test_a_bad_token_is_401(provider, client_for):
    with pytest.raises(openai.AuthenticationError) as caught:
        client_for("plg_0123456789abnot-a-real-secret").models.list()
    assert caught.value.status_code == 401 and caught.value.code == "invalid_api_key"


def test_an_expired_token_is_401(bob, provider, personal_token, client_for):
    token = personal_token(bob, expires_days=1)
    ApiToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    with pytest.raises(openai.AuthenticationError, match="expired"):
        _chat(client_for(token))


def test_a_revoked_token_and_a_switched_off_user_stop_at_once(bob, provider, personal_token, client_for):
    from chat.gateway import tokens

    revoked, kept = personal_token(bob, "revoked"), personal_token(bob, "kept")
    client_for(revoked).models.list()  # works, and its secret is now remembered as checked
    tokens.revoke(ApiToken.objects.get(name="revoked"))
    with pytest.raises(openai.AuthenticationError, match="revoked"):
        client_for(revoked).models.list()
    client_for(kept).models.list()
    bob.is_active = False
    bob.save()
    with pytest.raises(openai.AuthenticationError, match="switched off"):
        client_for(kept).models.list()


def test_a_model_outside_the_tokens_allow_list_is_403(bob, provider, openai_fake, personal_token, client_for):
    from providers.models import ProviderModel

    ProviderModel.objects.create(provider=provider, model_id="other-model")
    client = client_for(personal_token(bob, allowed=["loopback/other-model"]))
    with pytest.raises(openai.PermissionDeniedError) as caught:
        _chat(client)
    assert caught.value.status_code == 403 and caught.value.code == "model_not_allowed"
    assert [m.id for m in client.models.list()] == ["loopback/other-model"]
    assert openai_fake.chat_requests() == []
    assert ApiRequest.objects.get().status == 403


def test_a_disabled_model_is_403_and_an_unknown_one_404(bob, provider, personal_token, client_for):
    from providers.models import ProviderModel

    ProviderModel.objects.create(provider=provider, model_id="retired", enabled=False)
    client = client_for(personal_token(bob))
    with pytest.raises(openai.PermissionDeniedError, match="disabled"):
        _chat(client, "loopback/retired")
    for unknown in ("loopback/no-such-model", "nowhere/fake-model"):
        with pytest.raises(openai.NotFoundError) as caught:
            _chat(client, unknown)
        assert caught.value.code == "model_not_found"


def test_a_bad_body_is_400_and_sends_nothing(bob, provider, openai_fake, personal_token, client_for):
    client = client_for(personal_token(bob))
    with pytest.raises(openai.BadRequestError, match="provider>/<model"):
        _chat(client, "fake-model")
    with pytest.raises(openai.BadRequestError, match="temperature"):
        _chat(client, temperature="hot")
    assert openai_fake.chat_requests() == []


def test_a_used_up_quota_is_429_with_retry_after(bob, provider, openai_fake, personal_token, client_for):
    Quota.objects.create(scope=Quota.USER, user=bob, requests_per_minute=1)
    client = client_for(personal_token(bob))
    _chat(client)
    with pytest.raises(openai.RateLimitError) as caught:
        _chat(client)
    response = caught.value.response
    assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 60
    assert caught.value.code == "quota_exceeded" and "requests per minute" in caught.value.message
    assert len(openai_fake.chat_requests()) == 1


@pytest.mark.parametrize(("status", "error", "code"), [
    (401, openai.InternalServerError, "provider_auth"),  # the team's key is wrong: not the caller's fault
    (429, openai.RateLimitError, "rate_limited"),
    (400, openai.BadRequestError, "bad_request"),
])
def test_a_provider_error_is_mapped_as_in_chat(bob, provider, openai_fake, personal_token, client_for, status, error, code):
    provider.max_retries = 0
    provider.save()
    failure = Reply.fail(status, "scripted failure", retry_after=7 if status == 429 else None)
    openai_fake.enqueue(failure, failure)
    with pytest.raises(error) as caught:
        _chat(client_for(personal_token(bob)))
    assert caught.value.code == code
    if status == 429:
        assert caught.value.response.headers["Retry-After"] == "7"
    with pytest.raises(error):  # before the first byte, a streamed request fails the same way
        list(_chat(client_for(personal_token(bob)), stream=True))
    assert [r.status for r in ApiRequest.objects.order_by("id")] == [caught.value.status_code] * 2


def test_a_provider_failure_mid_stream_ends_the_stream_with_an_error(bob, provider, openai_fake, personal_token,
                                                                     client_for):
    provider.max_retries = 0
    provider.save()
    openai_fake.enqueue(Reply.text_of("partial text that breaks", pieces=4, drop_after=3))
    chunks = []
    with pytest.raises(openai.APIError):
        for chunk in _chat(client_for(personal_token(bob)), stream=True):
            chunks.append(chunk)
    assert any(c.choices and c.choices[0].delta.content for c in chunks)
    assert ApiRequest.objects.get().status >= 500


def test_an_endpoint_not_served_is_404_in_openai_shape(bob, provider, personal_token, client_for):
    with pytest.raises(openai.NotFoundError) as caught:
        client_for(personal_token(bob)).moderations.create(model="loopback/fake-model", input="hi")
    assert caught.value.code == "unknown_url"
