"""One error style for the JSON endpoints: every problem a caller can cause is a JSON `{"error": ...}` answer."""
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import RequestFactory

from chat.errors import ApiError, BadFrame, Refused
from chat.json_views import api
from tests.experiments.conftest import make_experiment
from tests.test_history_views import make_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment(alice, provider):
    return make_experiment(alice, [("loopback", "fake-model")], repeats=2)


def test_a_query_parameter_that_does_not_parse_is_a_clear_400(client, bob, experiment):
    client.force_login(bob)
    for url in (f"/api/experiments/{experiment.pk}?batch=abc", f"/api/experiments/{experiment.pk}/export.csv?batch=-1",
                f"/api/experiments/{experiment.pk}/export.json?batch=1.5",
                f"/api/experiments/{experiment.pk}?batch={'9' * 5000}"):
        response = client.get(url)
        assert (response.status_code, response.json()) == (400, {"error": "batch must be a whole number."}), url
    response = client.get("/api/conversations?scope=everyone")
    assert response.json() == {"error": "scope must be mine or team."}
    response = client.get("/api/conversations?before=nonsense")
    assert response.json() == {"error": "before is not a cursor this endpoint gave."}


def test_the_code_view_answers_a_bad_message_id_with_a_400(client, alice):
    conversation = make_conversation(alice, "Code")
    client.force_login(alice)
    response = client.get(f"/api/conversations/{conversation.pk}/code?message_id=abc")
    assert (response.status_code, response.json()) == (400, {"error": "message_id must be a whole number."})


@pytest.mark.django_db(transaction=True)  # the async views reach the database from another thread
def test_async_endpoints_answer_missing_things_in_json(client, alice, experiment):
    client.force_login(alice)
    response = client.post(f"/api/experiments/{experiment.pk}/cancel")
    assert (response.status_code, response.json()) == (404, {"error": "Nothing of this experiment is running."})
    response = client.post("/api/experiments/99999/run")
    assert (response.status_code, response.json()) == (404, {"error": "No such experiment."})
    client.logout()
    response = client.post(f"/api/experiments/{experiment.pk}/run")
    assert (response.status_code, response.json()) == (403, {"error": "Sign in first."})


def test_an_id_beyond_any_row_is_a_404_not_a_crash(client, bob):
    client.force_login(bob)
    for url in ("/api/conversations/99999999999999999999999", "/api/toolsets/99999999999999999999999",
                "/api/experiments/99999999999999999999999/export.json"):
        response = client.get(url)
        assert response.status_code == 404 and "error" in response.json(), url


RAISED = [(ApiError(409, "Busy."), 409), (Refused("not_found", "Gone."), 404),
          (Refused("forbidden", "Not yours."), 403), (Refused("bad_request", "Bad."), 400),
          (BadFrame("Malformed."), 400)]


@pytest.mark.parametrize("problem, status", RAISED)
def test_errors_raised_in_a_sync_or_async_view_become_the_json_shape(bob, problem, status):
    def sync_view(request):
        raise problem

    async def async_view(request):
        raise problem

    async def auser():
        return bob

    request = RequestFactory().get("/api/anything")
    request.user, request.auser = bob, auser  # what AuthenticationMiddleware sets
    for response in (api(sync_view)(request), async_to_sync(api(async_view))(request)):
        assert response.status_code == status and response["Content-Type"] == "application/json"
        assert json.loads(response.content) == {"error": str(problem)}
