"""A chat message into a dataset: the prompting user message as input, the reply as expected, with its rating."""
import pytest

from chat.models import Conversation
from chat.workbench import datasets
from chat.workbench.models import Dataset
from tests.workbench.conftest import send

pytestmark = pytest.mark.django_db


def test_a_rated_reply_becomes_a_row_with_its_prompt_and_rating(client, alice, chat, dataset):
    conversation, question, reply = chat
    client.force_login(alice)
    send(client, "put", f"/api/ratings/message/{reply.pk}", {"thumbs": True, "score": 5, "comment": "Exact"})
    added = send(client, "post", f"/api/messages/{reply.pk}/dataset-row", {"dataset": dataset.pk, "tags": "geo, chat"})
    assert added.status_code == 201
    row = datasets.rows_at(dataset).get()
    assert row.values == {"country": "Capital of France?"} and row.expected == "Paris." and row.tags == ["geo", "chat"]
    assert row.source == {"conversation": conversation.pk, "message": reply.pk,
                          "rating": {"reviewer": "alice", "thumbs": True, "score": 5, "comment": "Exact"}}
    assert added.json()["dataset"]["version"] == 2


def test_a_user_message_or_a_new_dataset(client, alice, chat):
    _, question, reply = chat
    client.force_login(alice)
    made = send(client, "post", f"/api/messages/{question.pk}/dataset-row", {"new_dataset": "From chat"}).json()
    dataset = Dataset.objects.get(pk=made["dataset"]["id"])
    assert dataset.owner == alice and dataset.columns == ["input"]
    row = datasets.rows_at(dataset).get()
    assert row.values == {"input": "Capital of France?"} and row.expected == "" and "rating" not in row.source
    assert send(client, "post", f"/api/messages/{reply.pk}/dataset-row", {"new_dataset": ""}).status_code == 400
    assert send(client, "post", f"/api/messages/{reply.pk}/dataset-row", {"dataset": True}).status_code == 400
    assert Dataset.objects.count() == 1


def test_it_needs_the_conversation_readable_and_the_dataset_writable(client, alice, bob, chat, dataset):
    conversation, _, reply = chat
    client.force_login(bob)
    assert send(client, "post", f"/api/messages/{reply.pk}/dataset-row", {"dataset": dataset.pk}).status_code == 403
    mine = Dataset.objects.create(owner=bob, name="Bob's")
    Conversation.objects.filter(pk=conversation.pk).update(visibility=Conversation.PRIVATE)
    assert send(client, "post", f"/api/messages/{reply.pk}/dataset-row", {"dataset": mine.pk}).status_code == 404
    assert send(client, "post", f"/api/messages/{reply.pk}/dataset-row", {"new_dataset": "x"}).status_code == 404
    assert not datasets.rows_at(mine).exists() and Dataset.objects.count() == 2
