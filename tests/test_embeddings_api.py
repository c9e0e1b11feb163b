"""The embeddings HTTP API against a loopback provider: run, compare, refuse, save, share and export."""
import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.gateway import reports
from chat.gateway.models import ApiRequest, Quota
from chat.models import EmbeddingResult
from providers.models import ProviderModel
from tests.conftest import TEST_KEY
from tests.fakes import embeddings
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]

TEXTS = ["The cat sat on the mat.", "A cat sat on a mat!", "Quarterly revenue grew by nine percent.",
         "Revenue grew nine percent this quarter."]


@pytest.fixture
def embedders(provider):
    ProviderModel.objects.create(provider=provider, model_id="fake-embed", purpose="embedding",
                                 input_price_per_mtok=20)
    ProviderModel.objects.create(provider=provider, model_id="fake-embed-large", purpose="embedding")
    return provider


def post(client, body, path="/api/embeddings"):
    return client.post(path, json.dumps(body), content_type="application/json")


def run(client, texts=TEXTS, **extra):
    return post(client, {"provider": "loopback", "model": "fake-embed", "texts": texts, **extra})


def test_one_model_gives_facts_similarities_neighbours_and_a_map(client, bob, embedders):
    client.force_login(bob)
    response = run(client)
    assert response.status_code == 201
    data = response.json()
    (shown,) = data["runs"]
    tokens = embeddings.tokens(TEXTS)
    assert (shown["model"], shown["dimensions"], shown["tokens"]) == ("fake-embed", 16, tokens)
    assert shown["cost"] == pytest.approx(tokens * 20 / 1_000_000)
    assert isinstance(shown["latency_ms"], float)
    assert [row[i] for i, row in enumerate(shown["similarity"])] == pytest.approx([1.0] * 4)
    assert [row[0]["index"] for row in shown["neighbours"]] == [1, 0, 3, 2]
    assert len(shown["projection"]["points"]) == 4 and "vectors" not in shown
    assert data["texts"] == TEXTS and not data["saved"] and data["can_write"]


def test_two_models_are_compared_on_the_same_texts(client, bob, embedders, openai_fake):
    client.force_login(bob)
    data = run(client, compare={"provider": "loopback", "model": "fake-embed-large"}).json()
    assert [r["dimensions"] for r in data["runs"]] == [16, 24]
    assert data["runs"][1]["cost"] is None  # no price set for it
    agreement = data["agreement"]
    assert 0 <= agreement["overlap_at_k"] <= 1 and agreement["k"] == 3 and len(agreement["per_text"]) == 4
    assert {r.body["model"] for r in openai_fake.chat_requests()} == {"fake-embed", "fake-embed-large"}


@pytest.mark.parametrize("texts, message", [
    (["only one"], "Enter 2 to 50 texts (got 1)."),
    (["t"] * 51, "Enter 2 to 50 texts (got 51)."),
    (["fine", "  "], "Text 2 is empty."),
    (["fine", "x" * 8001], "Text 2 is 8001 characters long; the limit is 8000."),
    ("not a list", "texts must be a list of strings."),
    (["fine", 3], "texts must be a list of strings."),
])
def test_bad_texts_get_a_clear_400_and_reach_no_provider(client, bob, embedders, openai_fake, texts, message):
    client.force_login(bob)
    response = run(client, texts)
    assert (response.status_code, response.json()) == (400, {"error": message})
    assert not openai_fake.chat_requests()


def test_a_body_that_is_not_json_is_a_400(client, bob, embedders):
    client.force_login(bob)
    response = client.post("/api/embeddings", "{nope", content_type="application/json")
    assert response.status_code == 400 and response.json() == {"error": "Send a JSON object."}


def test_models_that_cannot_embed_are_refused(client, bob, embedders):
    client.force_login(bob)
    chat = post(client, {"provider": "loopback", "model": "fake-model", "texts": TEXTS})
    assert chat.status_code == 400 and "fake-model of Loopback is not an embedding model" in chat.json()["error"]
    unknown = post(client, {"provider": "nowhere", "model": "fake-embed", "texts": TEXTS})
    assert unknown.status_code == 404
    ProviderModel.objects.filter(model_id="fake-embed").update(enabled=False)
    assert run(client).status_code == 403
    same = post(client, {"provider": "loopback", "model": "fake-embed-large", "texts": TEXTS,
                         "compare": {"provider": "loopback", "model": "fake-embed-large"}})
    assert same.json() == {"error": "Pick two different models to compare."}


@pytest.mark.parametrize("reply, status, words", [
    (Reply.fail(401, echo_key_in_error=True), 502, "rejected the key (401)"),
    (Reply.fail(429, "slow down", retry_after=120), 429, "rate-limiting"),
    (Reply(malformed_after=1), 502, "malformed JSON"),
])
def test_a_provider_failure_is_a_clear_error_without_the_key(client, bob, embedders, openai_fake, reply, status, words):
    client.force_login(bob)
    openai_fake.enqueue(reply)
    response = run(client)
    assert response.status_code == status and words in response.json()["error"]
    assert TEST_KEY not in response.content.decode()
    assert not EmbeddingResult.objects.exists()


def test_a_500_that_persists_is_a_502(client, bob, embedders, openai_fake):
    client.force_login(bob)
    openai_fake.enqueue(*[Reply.fail(500, "embedder down", retry_after=0)] * 3)
    response = run(client)
    assert response.status_code == 502 and "Loopback answered 500: embedder down" in response.json()["error"]


def test_requests_count_against_the_quota(client, bob, embedders):
    Quota.objects.create(scope=Quota.EVERYONE, requests_per_minute=2)
    client.force_login(bob)
    assert run(client, compare={"provider": "loopback", "model": "fake-embed-large"}).status_code == 201
    refused = run(client)
    assert refused.status_code == 429 and "Quota exceeded" in refused.json()["error"]
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_runs_are_recorded_as_usage_and_count_against_the_token_quota(client, bob, embedders, openai_fake):
    client.force_login(bob)
    openai_fake.enqueue(Reply.fail(401))
    assert run(client).status_code == 502
    assert run(client, compare={"provider": "loopback", "model": "fake-embed-large"}).status_code == 201
    rows = ApiRequest.objects.filter(user=bob).order_by("id")
    seen = [(r.kind, r.token, r.model, r.status, r.sent) for r in rows]
    assert seen[0] == ("embeddings", None, "fake-embed", 502, True)  # the provider was called and failed
    assert sorted(seen[1:]) == [("embeddings", None, "fake-embed", 200, True),
                                ("embeddings", None, "fake-embed-large", 200, True)]
    tokens = embeddings.tokens(TEXTS)
    assert sorted(r.total_tokens for r in rows[1:]) == [tokens, tokens]
    assert rows.get(model="fake-embed", status=200).cost == pytest.approx(tokens * 20 / 1_000_000)
    usage = {(r.model, r.source): r.tokens for r in reports.rows(timezone.now() - timedelta(days=1), bob)}
    assert usage == {("fake-embed", "embeddings"): tokens, ("fake-embed-large", "embeddings"): tokens}
    Quota.objects.create(scope=Quota.USER, user=bob, tokens_per_day=2 * tokens)
    refused = run(client)
    assert refused.status_code == 429 and "tokens per day" in refused.json()["error"] and refused["Retry-After"]


def test_nobody_signed_out_embeds(client, embedders):
    assert run(client).status_code == 403


def test_saving_lists_a_result_and_team_visibility_shares_it(client, alice, bob, embedders):
    client.force_login(bob)
    result_id = run(client).json()["id"]
    url = f"/api/embeddings/results/{result_id}"
    client.force_login(alice)
    assert client.get(url).status_code == 404  # a draft is its owner's
    client.force_login(bob)
    saved = client.patch(url, json.dumps({"title": "Cats and revenue", "visibility": "team"}),
                         content_type="application/json").json()
    assert saved["saved"] and saved["title"] == "Cats and revenue"
    client.force_login(alice)
    assert [item["title"] for item in client.get("/api/embeddings/results").json()["items"]] == ["Cats and revenue"]
    shown = client.get(url).json()
    assert shown["runs"][0]["model"] == "fake-embed" and not shown["can_write"]
    assert client.patch(url, json.dumps({"title": "Mine"}), content_type="application/json").status_code == 403
    assert client.delete(url).status_code == 403
    client.force_login(bob)
    client.patch(url, json.dumps({"visibility": "private"}), content_type="application/json")
    client.force_login(alice)
    assert client.get(url).status_code == 404 and client.get("/api/embeddings/results").json()["items"] == []
    client.force_login(bob)
    assert client.delete(url).status_code == 204 and not EmbeddingResult.objects.exists()


def test_bad_save_values_are_refused(client, bob, embedders):
    client.force_login(bob)
    url = f"/api/embeddings/results/{run(client).json()['id']}"
    response = client.patch(url, json.dumps({"visibility": "world"}), content_type="application/json")
    assert response.json() == {"error": "visibility must be private or team."}


def test_csv_export_has_a_row_per_model_and_text_and_vectors_on_request(client, bob, embedders):
    client.force_login(bob)
    texts = ["=HYPERLINK(\"http://evil\")", *TEXTS[1:]]
    result_id = run(client, texts, compare={"provider": "loopback", "model": "fake-embed-large"}).json()["id"]
    plain = list(csv.DictReader(io.StringIO(client.get(f"/api/embeddings/results/{result_id}/export.csv").content
                                            .decode())))
    assert len(plain) == 8 and "v1" not in plain[0]
    assert plain[0]["text"].startswith("'=") and plain[0]["nearest_index"] == "2"
    assert [row["model"] for row in plain] == ["fake-embed"] * 4 + ["fake-embed-large"] * 4
    response = client.get(f"/api/embeddings/results/{result_id}/export.csv?vectors=1")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [float(rows[1][f"v{n}"]) for n in range(1, 17)] == embeddings.vector(texts[1], "fake-embed")
    assert rows[0]["v24"] == "" and rows[4]["v24"] != ""


def test_json_export_carries_the_report_and_vectors_on_request(client, bob, embedders):
    client.force_login(bob)
    result_id = run(client).json()["id"]
    plain = client.get(f"/api/embeddings/results/{result_id}/export.json").json()
    assert plain["texts"] == TEXTS and "vectors" not in plain["runs"][0] and plain["owner"] == "bob"
    full = client.get(f"/api/embeddings/results/{result_id}/export.json?vectors=1")
    assert full.json()["runs"][0]["vectors"][2] == embeddings.vector(TEXTS[2], "fake-embed")
    assert TEST_KEY not in full.content.decode()
    assert client.get(f"/api/embeddings/results/{result_id}/export.json?vectors=yes").status_code == 400


def test_the_page_offers_embedding_models_only_and_the_playground_links_to_it(client, bob, provider):
    client.force_login(bob)
    assert "No embedding model is available yet" in client.get("/embeddings/").content.decode()
    ProviderModel.objects.create(provider=provider, model_id="fake-embed", purpose="embedding")
    page = client.get("/embeddings/").content.decode()
    assert 'data-model="fake-embed"' in page and 'data-model="fake-model"' not in page
    assert 'href="/embeddings/"' in client.get("/").content.decode()
