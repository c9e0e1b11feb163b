"""Embedding a dataset column: the texts a column gives (first 50 non-empty values, the rest said), the run that
records which dataset, version and column its texts came from, and the refusals (rights, unknown column or version)."""
import json

import pytest

from chat.models import EmbeddingResult
from chat.workbench import datasets
from chat.workbench.models import Dataset
from providers.models import ProviderModel

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]


@pytest.fixture
def embedder(provider):
    return ProviderModel.objects.create(provider=provider, model_id="fake-embed", purpose="embedding")


@pytest.fixture
def reviews(alice):
    """alice's team dataset: 53 rows with a review (two of them empty) and an expected label; then one row removed."""
    dataset = Dataset.objects.create(owner=alice, name="Reviews", visibility=Dataset.TEAM)
    rows = [{"values": {"review": "" if n in (3, 7) else f"Review number {n}"}, "expected": f"label {n % 2}"}
            for n in range(53)]
    datasets.add_rows(dataset, [datasets.clean_row(row) for row in rows])  # version 2
    first = datasets.rows_at(dataset).first()
    datasets.remove_row(dataset, first.pk)  # version 3: "Review number 0" gone
    dataset.refresh_from_db()
    return dataset


def texts_of(client, **params):
    return client.get("/api/embeddings/dataset-texts", params)


def embed(client, body):
    return client.post("/api/embeddings", json.dumps({"provider": "loopback", "model": "fake-embed", **body}),
                       content_type="application/json")


def test_a_column_gives_its_first_fifty_non_empty_values_and_says_how_many_were_left_out(client, bob, reviews):
    client.force_login(bob)  # a teammate: the dataset is shared with the team
    data = texts_of(client, dataset=reviews.pk, column="review").json()
    assert data["texts"][:3] == ["Review number 1", "Review number 2", "Review number 4"]
    assert len(data["texts"]) == 50
    assert data["source"] == {"dataset": reviews.pk, "name": "Reviews", "version": 3, "column": "review",
                              "values": 50, "left_out": 0}
    older = texts_of(client, dataset=reviews.pk, column="review", version=2).json()  # row 0 was still there
    assert older["texts"][0] == "Review number 0" and older["source"]["left_out"] == 1
    expected = texts_of(client, dataset=reviews.pk, column="expected").json()
    assert expected["texts"][:2] == ["label 1", "label 0"] and expected["source"]["left_out"] == 2


def test_a_run_from_a_column_records_where_its_texts_came_from(client, bob, reviews, embedder, openai_fake):
    client.force_login(bob)
    response = embed(client, {"source": {"dataset": reviews.pk, "column": "review", "version": 2}})
    assert response.status_code == 201
    data = response.json()
    assert data["texts"][0] == "Review number 0" and len(data["texts"]) == 50
    assert data["source"]["version"] == 2 and data["source"]["left_out"] == 1
    assert openai_fake.chat_requests()[-1].body["input"] == data["texts"]
    assert EmbeddingResult.objects.get(pk=data["id"]).source["column"] == "review"
    exported = client.get(f"/api/embeddings/results/{data['id']}/export.json").json()
    assert exported["source"]["name"] == "Reviews"
    typed = embed(client, {"texts": ["one", "two"]}).json()
    assert typed["source"] is None


@pytest.mark.parametrize("source, message", [
    ({"column": "review"}, "dataset must be a whole number of at least 1."),
    ({"dataset": "ID", "column": "stars"}, "column must be one of review, expected."),
    ({"dataset": "ID", "column": "review", "version": 9}, "Dataset Reviews has no version 9 (its latest is 3)."),
    ({"dataset": "ID", "column": "review", "version": 1},
     "Column review of Reviews (version 1) has 0 non-empty values; 2 are needed."),
    ("Reviews", "source must be an object: {dataset, column, version?}."),
])
def test_a_bad_source_gets_a_clear_400_and_reaches_no_provider(client, bob, reviews, embedder, openai_fake, source,
                                                              message):
    client.force_login(bob)
    if isinstance(source, dict) and source.get("dataset") == "ID":
        source = {**source, "dataset": reviews.pk}
    response = embed(client, {"source": source})
    assert (response.status_code, response.json()) == (400, {"error": message})
    assert not openai_fake.chat_requests()


def test_texts_that_differ_from_the_column_are_refused(client, alice, reviews, embedder, openai_fake):
    client.force_login(alice)
    response = embed(client, {"source": {"dataset": reviews.pk, "column": "review"}, "texts": ["edited", "texts"]})
    assert response.status_code == 400 and "send the texts alone" in response.json()["error"]
    assert not openai_fake.chat_requests()


def test_a_private_dataset_of_someone_else_is_not_found(client, bob, reviews, embedder):
    reviews.visibility = Dataset.PRIVATE
    reviews.save()
    client.force_login(bob)
    assert texts_of(client, dataset=reviews.pk, column="review").status_code == 404
    response = embed(client, {"source": {"dataset": reviews.pk, "column": "review"}})
    assert (response.status_code, response.json()) == (404, {"error": f"Dataset {reviews.pk} does not exist."})
