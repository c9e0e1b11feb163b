"""Human review: one rating per reviewer per reply or run output, editable, and only where the reviewer can read."""
import pytest

from chat.models import Conversation, Experiment, ExperimentBatch, ExperimentRun
from chat.workbench.models import Rating
from tests.workbench.conftest import send

pytestmark = pytest.mark.django_db


def test_each_reviewer_has_one_rating_they_can_change(client, alice, bob, chat):
    _, _, reply = chat
    url = f"/api/ratings/message/{reply.pk}"
    client.force_login(alice)
    assert client.get(url).json() == {"mine": None, "all": [], "up": 0, "down": 0, "mean_score": None}
    send(client, "put", url, {"thumbs": True, "score": 4, "comment": "Right. "})
    changed = send(client, "put", url, {"thumbs": False, "score": 2, "comment": "Too short"}).json()
    assert changed["mine"]["thumbs"] is False and changed["mine"]["comment"] == "Too short"
    client.force_login(bob)
    tally = send(client, "put", url, {"score": 5}).json()
    assert tally["mine"]["score"] == 5 and tally["mine"]["thumbs"] is None
    assert (tally["up"], tally["down"], tally["mean_score"]) == (0, 1, 3.5)
    assert sorted(r["reviewer"] for r in tally["all"]) == ["alice", "bob"]
    assert Rating.objects.filter(message=reply).count() == 2
    assert send(client, "delete", url).json()["mine"] is None
    assert list(Rating.objects.values_list("reviewer__username", flat=True)) == ["alice"]


def test_a_rating_must_say_something_sensible(client, alice, chat):
    _, question, reply = chat
    client.force_login(alice)
    url = f"/api/ratings/message/{reply.pk}"
    for bad in ({}, {"thumbs": "yes"}, {"score": 6}, {"score": 0}, {"score": 2.5}, {"score": True},
                {"comment": "x" * 5001}, {"comment": "  "}):
        assert send(client, "put", url, bad).status_code == 400, bad
    assert send(client, "put", f"/api/ratings/message/{question.pk}", {"score": 3}).status_code == 400  # not a reply
    assert send(client, "put", "/api/ratings/message/999999", {"score": 3}).status_code == 404
    assert not Rating.objects.exists()


def test_rating_a_reply_needs_read_access_to_its_conversation(client, alice, bob, chat):
    conversation, _, reply = chat
    Conversation.objects.filter(pk=conversation.pk).update(visibility=Conversation.PRIVATE)
    client.force_login(bob)
    assert send(client, "put", f"/api/ratings/message/{reply.pk}", {"thumbs": True}).status_code == 404
    assert client.get(f"/api/ratings/message/{reply.pk}").status_code == 404
    client.logout()
    assert client.get(f"/api/ratings/message/{reply.pk}").status_code == 403
    assert not Rating.objects.exists()


def test_a_run_output_is_rated_by_any_teammate(client, alice, bob):
    experiment = Experiment.objects.create(owner=alice, name="E", messages=[{"role": "user", "content": "Hi"}],
                                           targets=[{"provider": "loopback", "model": "fake-model"}])
    batch = ExperimentBatch.objects.create(experiment=experiment, number=1, spec={}, total=1, status="complete")
    run = ExperimentRun.objects.create(batch=batch, provider="loopback", model="fake-model", repeat=1,
                                       status="complete", output="Hello")
    for user, thumbs in ((alice, True), (bob, True)):
        client.force_login(user)
        assert send(client, "put", f"/api/ratings/run/{run.pk}", {"thumbs": thumbs}).status_code == 200
    assert client.get(f"/api/ratings/run/{run.pk}").json()["up"] == 2
    assert client.get("/api/ratings/run/999999").status_code == 404
