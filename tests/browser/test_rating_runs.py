"""Rating an experiment's run output in the browser: the Rate button under each output, one rating per reviewer."""
import pytest
from playwright.sync_api import expect

from chat.models import ExperimentBatch, ExperimentRun
from chat.workbench.models import Rating
from tests.browser.conftest import axe_violations
from tests.experiments.conftest import make_experiment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800), (1600, 1000)])
def test_a_teammate_rates_a_run_output(width, height, signed_in, alice, bob, fresh_provider):
    experiment = make_experiment(alice, [(fresh_provider.slug, "fake-model")], repeats=2)
    batch = ExperimentBatch.objects.create(experiment=experiment, number=1, spec=experiment.spec(), total=2,
                                           status="complete", started_by=alice)
    runs = [ExperimentRun.objects.create(batch=batch, provider=fresh_provider.slug, model="fake-model", repeat=n,
                                         status="complete", output=f"Answer {n}") for n in (1, 2)]
    Rating.objects.create(reviewer=alice, run=runs[1], thumbs=True, score=5)
    page = signed_in(bob, viewport={"width": width, "height": height}, color_scheme="dark" if width == 390 else "light")
    page.goto(f"/experiments/{experiment.pk}/")
    page.locator("#results tbody tr").first.click()
    expect(page.locator("#outputs pre.output")).to_have_count(2)

    page.get_by_role("button", name=f"Rate run {runs[1].pk}").click()
    dialog = page.get_by_role("dialog", name="Rate this output")
    expect(dialog.locator(".review-tally")).to_have_text("1 👍 · 0 👎 · mean score 5 · 1 reviewer")
    dialog.get_by_role("button", name="Thumbs down").click()
    dialog.get_by_label("Comment").fill("Too long")
    dialog.get_by_role("button", name="Save rating").click()
    expect(dialog.locator(".review-tally")).to_have_text("1 👍 · 1 👎 · mean score 5 · 2 reviewers")
    expect(dialog.get_by_role("group", name="Add to a dataset")).to_have_count(0)  # runs are rated, not added
    page.mouse.move(0, 0)
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.get_by_role("button", name=f"Rate run {runs[1].pk}").click()  # opened again: bob's rating, to change
    expect(dialog.get_by_role("button", name="Thumbs down")).to_have_attribute("aria-pressed", "true")
    expect(dialog.get_by_label("Comment")).to_have_value("Too long")
    assert Rating.objects.get(reviewer=bob).run_id == runs[1].pk and Rating.objects.get(reviewer=bob).thumbs is False
    assert page.console_errors == []
