"""The embeddings part of the adapter suite: every wire format with an embeddings API, against its loopback fake.

OpenAI-compatible /embeddings, Azure deployment /embeddings, Gemini
batchEmbedContents (embedContent for one text) and Ollama /api/embed. The
fakes compute vectors from the words of each text (tests/fakes/embeddings.py),
so a vector sent back for the wrong text fails here.
"""
import pytest

from providers.registry import get_adapter
from providers.types import BAD_REQUEST, PROVIDER_AUTH, EmbeddingRequest, ProviderError
from tests.fakes import embeddings
from tests.fakes.registry import CASES, EMBEDDING_CASES, TEST_KEY
from tests.fakes.script import Reply

pytestmark = pytest.mark.timeout(30)

TEXTS = ("The cat sat on the mat.", "A cat sat on a mat!", "Quarterly revenue grew by nine percent.")


@pytest.fixture(params=EMBEDDING_CASES, ids=str)
def case(request):
    return request.param


@pytest.fixture
def fake(case):
    with case.fake_class() as server:
        yield server


@pytest.fixture
def adapter(case, fake):
    return get_adapter(case.config(fake))


def embed(*texts: str, model: str = "fake-embed") -> EmbeddingRequest:
    return EmbeddingRequest(model=model, texts=texts or TEXTS)


async def test_it_returns_one_vector_per_text_in_the_order_sent(adapter, fake, case):
    result = await adapter.embed(embed())
    assert result.vectors == [embeddings.vector(text, "fake-embed") for text in TEXTS]
    assert len(result.vectors[0]) == embeddings.EMBEDDING_MODELS["fake-embed"]
    assert case.embedded(fake.chat_requests()[-1].body) == list(TEXTS)


async def test_it_reports_the_tokens_where_the_api_does(adapter, case):
    result = await adapter.embed(embed())
    # Gemini's embedding methods report no usage.
    assert result.prompt_tokens == (None if case.kind == "gemini" else embeddings.tokens(list(TEXTS)))


async def test_another_model_gives_vectors_of_its_own_length(adapter):
    result = await adapter.embed(embed(model="fake-embed-large"))
    assert {len(v) for v in result.vectors} == {embeddings.EMBEDDING_MODELS["fake-embed-large"]}


async def test_a_rejected_key_is_a_provider_auth_error_without_the_key(adapter, fake, case):
    fake.enqueue(Reply.fail(401, echo_key_in_error=True))
    with pytest.raises(ProviderError) as caught:
        await adapter.embed(embed())
    assert caught.value.code == PROVIDER_AUTH and caught.value.status == 401
    assert f"Loopback {case.kind}" in caught.value.message and TEST_KEY not in caught.value.message
    assert len(fake.chat_requests()) == 1


async def test_a_429_is_retried_then_succeeds(adapter, fake):
    fake.enqueue(Reply.fail(429, "slow down", retry_after=0))
    result = await adapter.embed(embed())
    assert len(result.vectors) == len(TEXTS)
    assert len(fake.chat_requests()) == 2


async def test_a_500_that_persists_is_an_error_naming_the_provider(adapter, fake, case):
    fake.enqueue(*[Reply.fail(500, "the embedder fell over", retry_after=0)] * 3)
    with pytest.raises(ProviderError) as caught:
        await adapter.embed(embed())
    assert caught.value.status == 500
    assert f"Loopback {case.kind}" in caught.value.message and "the embedder fell over" in caught.value.message


async def test_a_malformed_body_is_a_provider_error(adapter, fake):
    fake.enqueue(Reply(malformed_after=1))
    with pytest.raises(ProviderError, match="malformed"):
        await adapter.embed(embed())


async def test_a_chat_model_is_refused_with_the_providers_reason(adapter):
    with pytest.raises(ProviderError) as caught:
        await adapter.embed(embed(model="fake-model"))
    assert caught.value.code in (BAD_REQUEST, "not_found")
    assert "fake-model" in caught.value.message


@pytest.mark.parametrize("kind", [c.kind for c in CASES if not c.embedded])
async def test_a_format_without_embeddings_says_so(kind):
    case = next(c for c in CASES if c.kind == kind)
    with case.fake_class() as server:
        with pytest.raises(ProviderError, match="has no embeddings API") as caught:
            await get_adapter(case.config(server)).embed(embed())
    assert caught.value.code == BAD_REQUEST and not server.requests


# Format-specific details -------------------------------------------------------------------------

def _case(kind: str):
    return next(c for c in CASES if c.kind == kind)


async def test_gemini_sends_one_text_to_embed_content_and_tags_its_models():
    with _case("gemini").fake_class() as server:
        adapter = get_adapter(_case("gemini").config(server))
        result = await adapter.embed(embed("Only one text."))
        assert result.vectors == [embeddings.vector("Only one text.", "fake-embed")]
        assert server.requests[-1].path.endswith("/fake-embed:embedContent")
        purposes = {m.id: m.purpose for m in await adapter.list_models()}
    assert purposes == {**dict.fromkeys(server.models, "chat"), **dict.fromkeys(embeddings.EMBEDDING_MODELS, "embedding")}


async def test_ollama_tags_embedding_models_from_their_capabilities():
    with _case("ollama").fake_class() as server:
        server.models = ["fake-model", "fake-embed"]
        purposes = {m.id: m.purpose for m in await get_adapter(_case("ollama").config(server)).list_models()}
    assert purposes == {"fake-model": "chat", "fake-embed": "embedding"}


async def test_azure_embeds_at_the_deployment_url_without_a_model_in_the_body():
    with _case("azure").fake_class() as server:
        await get_adapter(_case("azure").config(server)).embed(embed())
        sent = server.requests[-1]
    assert sent.path == "/openai/deployments/fake-embed/embeddings"
    assert sent.query["api-version"] == ["2024-10-21"] and sent.headers["api-key"] == TEST_KEY
    assert "model" not in sent.body
