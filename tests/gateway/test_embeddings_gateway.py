"""POST /v1/embeddings: the team's embedding models through the official OpenAI SDK, recorded and counted like chat."""
import base64
import csv
import io
import struct

import httpx
import openai
import pytest

from chat.gateway.models import ApiRequest, Quota
from providers.models import ProviderModel
from tests.conftest import TEST_KEY, loopback_provider
from tests.fakes import embeddings
from tests.fakes.ollama import OllamaFake
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

TEXTS = ["The cat sat on the mat.", "Quarterly revenue grew by nine percent.", "A cat sat on a mat!"]
PRICE = 20  # USD per million input tokens of fake-embed


@pytest.fixture
def embedders(provider):
    provider.max_retries = 0
    provider.save()
    ProviderModel.objects.create(provider=provider, model_id="fake-embed", purpose="embedding",
                                 input_price_per_mtok=PRICE)
    ProviderModel.objects.create(provider=provider, model_id="fake-embed-large", purpose="embedding")
    return provider


def float32(values: list[float]) -> list[float]:
    """What a vector is once it has been through base64 (32-bit floats)."""
    return list(struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)))


def test_a_list_of_texts_comes_back_as_float_vectors_in_order_with_usage(bob, embedders, openai_fake, personal_token,
                                                                        client_for):
    result = client_for(personal_token(bob)).embeddings.create(model="loopback/fake-embed", input=TEXTS,
                                                                encoding_format="float")
    assert result.object == "list" and result.model == "loopback/fake-embed"
    assert [item.index for item in result.data] == [0, 1, 2]
    assert [item.embedding for item in result.data] == [embeddings.vector(text, "fake-embed") for text in TEXTS]
    tokens = embeddings.tokens(TEXTS)
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (tokens, tokens)
    assert openai_fake.chat_requests()[-1].body["input"] == TEXTS
    record = ApiRequest.objects.get()
    assert (record.user, record.kind, record.provider, record.model, record.status, record.sent) == (
        bob, "embeddings", "loopback", "fake-embed", 200, True)
    assert record.token.user == bob and record.total_tokens == tokens
    assert record.cost == pytest.approx(tokens * PRICE / 1_000_000) and record.latency_ms > 0


def test_base64_is_the_sdks_default_and_decodes_to_the_same_vectors(bob, embedders, personal_token, client_for):
    client = client_for(personal_token(bob))
    decoded = client.embeddings.create(model="loopback/fake-embed", input="The cat sat on the mat.")
    assert decoded.data[0].embedding == pytest.approx(embeddings.vector(TEXTS[0], "fake-embed"), abs=1e-6)
    raw = client.embeddings.create(model="loopback/fake-embed", input=TEXTS[1], encoding_format="base64")
    assert isinstance(raw.data[0].embedding, str)
    packed = base64.b64decode(raw.data[0].embedding)
    assert list(struct.unpack(f"<{len(packed) // 4}f", packed)) == float32(embeddings.vector(TEXTS[1], "fake-embed"))


def test_dimensions_are_passed_on_and_a_provider_that_cannot_shorten_says_so(bob, embedders, openai_fake,
                                                                            personal_token, client_for):
    client = client_for(personal_token(bob))
    result = client.embeddings.create(model="loopback/fake-embed-large", input=TEXTS[0], dimensions=8,
                                      encoding_format="float")
    assert result.data[0].embedding == embeddings.vector(TEXTS[0], "fake-embed-large")[:8]
    assert openai_fake.chat_requests()[-1].body["dimensions"] == 8
    with pytest.raises(openai.BadRequestError, match="dimensions"):
        client.embeddings.create(model="loopback/fake-embed", input=TEXTS[0], dimensions=0)
    with OllamaFake() as ollama:
        local = loopback_provider(ollama.base_url, slug="local", kind="ollama", name="Local", model="fake-embed")
        ProviderModel.objects.filter(provider=local).update(purpose="embedding")
        with pytest.raises(openai.BadRequestError, match="cannot shorten embeddings"):
            client.embeddings.create(model="local/fake-embed", input=TEXTS[0], dimensions=8)
        assert ollama.chat_requests() == []
        assert len(client.embeddings.create(model="local/fake-embed", input=TEXTS[0]).data[0].embedding) == 16


def test_models_lists_embedding_models_and_a_restricted_token_is_refused_others(bob, embedders, openai_fake,
                                                                                 personal_token, client_for):
    everything = client_for(personal_token(bob))
    assert {"loopback/fake-embed", "loopback/fake-embed-large"} <= {m.id for m in everything.models.list()}
    restricted = client_for(personal_token(bob, "chat only", allowed=["loopback/fake-model", "loopback/fake-embed"]))
    assert restricted.embeddings.create(model="loopback/fake-embed", input="hi").data
    with pytest.raises(openai.PermissionDeniedError) as caught:
        restricted.embeddings.create(model="loopback/fake-embed-large", input="hi")
    assert caught.value.status_code == 403 and caught.value.code == "model_not_allowed"
    assert [r.body["model"] for r in openai_fake.chat_requests()] == ["fake-embed"]
    assert ApiRequest.objects.filter(status=403, sent=False, model="fake-embed-large").exists()


def test_unknown_chat_and_bad_inputs_are_refused_in_openai_shape(bob, embedders, openai_fake, personal_token,
                                                                client_for):
    client = client_for(personal_token(bob))
    for unknown in ("loopback/no-such-embedder", "nowhere/fake-embed"):
        with pytest.raises(openai.NotFoundError) as caught:
            client.embeddings.create(model=unknown, input="hi")
        assert caught.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError, match="fake-model of Loopback is not an embedding model"):
        client.embeddings.create(model="loopback/fake-model", input="hi")
    with pytest.raises(openai.BadRequestError, match="is an embedding model: it does not chat"):
        client.chat.completions.create(model="loopback/fake-embed", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="token arrays is not supported"):
        client.embeddings.create(model="loopback/fake-embed", input=[[1, 2, 3]])
    with pytest.raises(openai.BadRequestError, match="token arrays is not supported"):
        client.embeddings.create(model="loopback/fake-embed", input=[1, 2, 3])
    with pytest.raises(openai.BadRequestError, match="Text 2 is empty"):
        client.embeddings.create(model="loopback/fake-embed", input=["fine", " "])
    with pytest.raises(openai.BadRequestError, match="provider>/<model"):
        client.embeddings.create(model="fake-embed", input="hi")
    assert openai_fake.chat_requests() == []


@pytest.mark.parametrize(("status", "error", "code"), [
    (401, openai.InternalServerError, "provider_auth"),  # the team's key is wrong: not the caller's fault
    (500, openai.InternalServerError, None),
    (429, openai.RateLimitError, "rate_limited"),
])
def test_a_provider_failure_reaches_the_sdk_as_its_error_class(bob, embedders, openai_fake, personal_token, client_for,
                                                               status, error, code):
    openai_fake.enqueue(Reply.fail(status, "scripted failure", echo_key_in_error=True,
                                   retry_after=7 if status == 429 else None))
    with pytest.raises(error) as caught:
        client_for(personal_token(bob)).embeddings.create(model="loopback/fake-embed", input=TEXTS)
    assert code is None or caught.value.code == code
    assert TEST_KEY not in caught.value.response.text
    if status == 429:
        assert caught.value.response.headers["Retry-After"] == "7"
    record = ApiRequest.objects.get()
    assert (record.status, record.sent, record.total_tokens) == (caught.value.status_code, True, None)


def test_gateway_and_page_runs_are_counted_in_the_quota_and_the_usage_page(bob, embedders, personal_token, client_for,
                                                                           client, gateway_url):
    client_for(personal_token(bob)).embeddings.create(model="loopback/fake-embed", input=TEXTS)
    client.force_login(bob)
    page = client.post("/api/embeddings", {"provider": "loopback", "model": "fake-embed", "texts": TEXTS},
                       content_type="application/json")
    assert page.status_code == 201
    tokens = embeddings.tokens(TEXTS)
    assert [(r.token is None, r.total_tokens) for r in ApiRequest.objects.order_by("id")] == [
        (False, tokens), (True, tokens)]
    usage = client.get("/usage/").content.decode()
    assert "loopback/fake-embed" in usage
    (row,) = [row for row in csv.DictReader(io.StringIO(client.get("/usage.csv").content.decode()))
              if row["source"] == "embeddings"]
    assert (row["model"], row["requests"], row["tokens"]) == ("fake-embed", "2", str(2 * tokens))
    assert float(row["cost"]) == pytest.approx(2 * tokens * PRICE / 1_000_000)
    Quota.objects.create(scope=Quota.USER, user=bob, tokens_per_day=2 * tokens)
    with pytest.raises(openai.RateLimitError) as caught:
        client_for(personal_token(bob)).embeddings.create(model="loopback/fake-embed", input="one more")
    assert caught.value.code == "quota_exceeded" and "tokens per day" in caught.value.message
    assert int(caught.value.response.headers["Retry-After"]) >= 1
    refused = client.post("/api/embeddings", {"provider": "loopback", "model": "fake-embed", "texts": TEXTS},
                          content_type="application/json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1


def test_the_raw_body_shape_matches_openai(bob, embedders, personal_token, gateway_url):
    headers = {"Authorization": f"Bearer {personal_token(bob)}"}
    body = httpx.post(f"{gateway_url}/v1/embeddings", headers=headers, timeout=20,
                      json={"model": "loopback/fake-embed", "input": "hi"}).json()
    assert set(body) == {"object", "data", "model", "usage"} and set(body["data"][0]) == {"object", "index", "embedding"}
    assert body["data"][0]["object"] == "embedding" and isinstance(body["data"][0]["embedding"], list)
    bad = httpx.post(f"{gateway_url}/v1/embeddings", headers=headers, timeout=20,
                     json={"model": "loopback/fake-embed", "input": "hi", "encoding_format": "int8"})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
