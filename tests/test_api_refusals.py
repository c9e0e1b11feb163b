"""How @api answers a Refused: a used-up quota is a 429 with Retry-After, every other refusal keeps its status."""
import json
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from chat.errors import Refused
from chat.gateway.quotas import QuotaExceeded
from chat.json_views import api

pytestmark = pytest.mark.django_db


def _answer(bob, problem: Exception):
    @api
    def view(request):
        raise problem

    request = RequestFactory().get("/api/anything")
    request.user = bob
    return view(request)


def test_a_used_up_quota_is_429_and_says_when_to_retry(bob):
    resets = timezone.now() + timedelta(seconds=90)
    response = _answer(bob, QuotaExceeded("tokens_per_day", 100, 120, resets))
    assert response.status_code == 429 and 89 <= int(response["Retry-After"]) <= 91
    assert json.loads(response.content)["error"].startswith("Quota exceeded: 100 tokens per day (used 120)")


@pytest.mark.parametrize(("code", "status"), [("not_found", 404), ("forbidden", 403), ("bad_request", 400),
                                              ("anything_else", 400)])
def test_other_refusals_keep_their_status_and_have_no_retry_after(bob, code, status):
    response = _answer(bob, Refused(code, "No."))
    assert response.status_code == status and json.loads(response.content) == {"error": "No."}
    assert "Retry-After" not in response
