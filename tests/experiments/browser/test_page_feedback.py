"""The experiment pages say what happened: counts of a cancelled run set, errors only while they apply."""
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


def test_a_form_error_goes_once_the_form_is_changed(signed_in, alice, provider):
    page = signed_in(alice)
    page.goto("/experiments/")
    page.get_by_label("Name").fill("No model yet")
    page.get_by_label("User message").fill("Hello?")
    page.get_by_role("button", name="Create experiment").click()
    error = page.locator("#form-error")
    error.wait_for(state="visible")
    assert "Pick at least one model" in error.text_content()
    page.get_by_label("Loopback · Fake model").check()
    error.wait_for(state="hidden")
