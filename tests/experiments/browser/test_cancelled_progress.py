"""A cancelled run set says how many runs finished and how many were cancelled, not "n / n"."""
import re

import pytest

from tests.experiments.conftest import make_experiment
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cancelled_run_set_counts_only_the_runs_that_finished(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("quick", pieces=1))
    openai_fake.default_reply = Reply.text_of("x" * 200, pieces=200, delay=0.05)
    experiment = make_experiment(alice, [("loopback", "fake-model")], repeats=6, concurrency=1)
    page = signed_in(alice)
    page.goto(f"/experiments/{experiment.pk}/")
    page.wait_for_selector("#connection[data-state=online]")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_selector('#runs tbody tr[data-status="complete"]')
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_selector("#progress-text[data-status=cancelled]")
    text = page.locator("#progress-text").text_content()
    finished, total, cancelled = re.fullmatch(r"(\d+) / (\d+) runs · cancelled · (\d+) cancelled", text).groups()
    assert int(total) == 6 and int(finished) == 1 and int(cancelled) == 5
