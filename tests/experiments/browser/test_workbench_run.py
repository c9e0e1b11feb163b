"""A real browser: 2 prompt versions × 2 models × a dataset, three evaluators (one an LLM judge on a loopback fake
answering a score), run, the matrix and the outputs with their verdicts, filters, and comparing two run sets."""
import json
from pathlib import Path
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from chat.workbench.models import Dataset, DatasetRow, Prompt, PromptVersion
from tests.browser.conftest import axe_violations
from tests.conftest import loopback_provider
from tests.fakes.openai import OpenAIFake
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "images"
RUBRIC = "Question: {{input}}\nExpected: {{expected}}\nAnswer: {{output}}\nIs the answer right?"


@pytest.fixture
def three_fakes():
    fakes = [OpenAIFake() for _ in range(3)]
    yield fakes
    for fake in fakes:
        fake.close()


@pytest.fixture
def bench(three_fakes, alice):
    alpha, beta, judge = three_fakes
    alpha.default_reply, beta.default_reply = Reply.text_of("Paris"), Reply.text_of("Tokyo")
    judge.default_reply = Reply.text_of('{"score": 4, "reason": "Right, and said plainly."}')
    tag = uuid4().hex[:6]
    slugs = {}
    for name, fake in (("alpha", alpha), ("beta", beta), ("judge", judge)):
        provider = loopback_provider(fake.base_url, slug=f"{name}-{tag}", name=name.title(), display_name="Fake model")
        slugs[name] = provider.slug
    prompt = Prompt.objects.create(owner=alice, name="Capitals")
    PromptVersion.objects.create(prompt=prompt, number=1, messages=[{"role": "user", "content": "Capital of {{country}}?"}])
    PromptVersion.objects.create(prompt=prompt, number=2, messages=[
        {"role": "system", "content": "One word."}, {"role": "user", "content": "The capital of {{country}}?"}])
    dataset = Dataset.objects.create(owner=alice, name="Countries", version=1, columns=["country"])
    DatasetRow.objects.create(dataset=dataset, values={"country": "France"}, expected="Paris", tags=["europe"], added=1)
    DatasetRow.objects.create(dataset=dataset, values={"country": "Japan"}, expected="Tokyo", tags=["asia"], added=1)
    return {"alpha": alpha, "beta": beta, "judge": judge, "slugs": slugs}


def add_evaluator(page, label: str, config: dict) -> None:
    page.get_by_label("Kind").select_option(label=label)
    page.get_by_label("Its config").fill(json.dumps(config))
    page.get_by_role("button", name="Add evaluator").click()


def test_a_workbench_run_in_the_browser(signed_in, alice, bench):
    page = signed_in(alice)
    page.goto("/experiments/")
    page.get_by_label("Name").fill("Capitals")
    page.get_by_label("Capitals v1").check()
    page.get_by_label("Capitals v2").check()
    page.get_by_label("Alpha · Fake model").check()
    page.get_by_label("Beta · Fake model").check()
    page.get_by_label("Repeats").fill("1")
    page.get_by_label("Dataset").select_option(label="Countries (version 1)")
    add_evaluator(page, "Equals", {"name": "exact"})
    add_evaluator(page, "Latency ≤ (ms)", {"max": 60000})
    add_evaluator(page, "LLM judge", {"name": "judge", "provider": bench["slugs"]["judge"], "model": "fake-model",
                                      "rubric": RUBRIC})
    assert page.locator("#evaluator-list li").count() == 3
    assert axe_violations(page) == []  # the form with its workbench part
    page.get_by_label("Its config").fill("{not json")
    page.get_by_role("button", name="Add evaluator").click()
    assert page.locator("#evaluator-error").text_content() == "The evaluator's config is not valid JSON."
    assert page.locator("#evaluator-list li").count() == 3
    page.get_by_role("button", name="Create experiment").click()
    page.wait_for_url("**/experiments/*/")
    page.wait_for_selector("#connection[data-state=online]")

    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_selector("#progress-text[data-status=complete]")
    assert page.locator("#progress-text").text_content() == "8 / 8 runs · complete"
    matrix = page.locator("#matrix tbody tr")
    expect(matrix).to_have_count(4)
    heads = page.locator("#matrix thead th").all_text_contents()
    assert heads[:5] == ["Version · model", "exact pass", "latency pass", "judge pass", "All pass"]
    first = [matrix.nth(0).locator("th").text_content(), *matrix.nth(0).locator("td").all_text_contents()[:4]]
    assert first == [f"Capitals v1 · {bench['slugs']['alpha']} · fake-model", "50%", "100%", "100%", "83.3%"]
    assert matrix.nth(3).locator("th").text_content() == f"Capitals v2 · {bench['slugs']['beta']} · fake-model"

    side = page.locator("#side tbody tr")
    expect(side).to_have_count(2)
    france = side.nth(0)
    assert france.locator("th").text_content() == '{"country":"France"} → Paris [europe] #1'
    assert france.locator("td pre").all_text_contents() == ["Paris", "Tokyo", "Paris", "Tokyo"]
    assert france.locator("td").nth(0).locator(".verdict").all_text_contents() == [
        "exact: pass", "latency: pass", "judge: pass 4"]
    assert "judge: Right, and said plainly." in france.locator("td").nth(0).text_content()
    page.get_by_label("Tag").select_option("asia")
    expect(side).to_have_count(1)
    assert side.nth(0).locator("th").text_content().startswith('{"country":"Japan"}')
    page.get_by_label("Tag").select_option("")
    page.get_by_label("Failures only").check()
    expect(side).to_have_count(2)  # every row has a cell with a failed verdict
    DOCS.mkdir(exist_ok=True)
    page.locator("#matrix-panel").screenshot(path=str(DOCS / "experiment-matrix.png"))

    bench["alpha"].default_reply = Reply.text_of("Tokyo")  # now right on Japan, wrong on France
    page.get_by_role("button", name="Run again").click()
    page.wait_for_selector("#batch option[value='2']", state="attached")
    page.wait_for_selector("#progress-text[data-status=complete]")
    expect(page.locator("#compare-panel")).to_be_visible()
    assert page.locator("#compare-a").input_value() == "1" and page.locator("#compare-b").input_value() == "2"
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#compare-rows li")).to_have_count(2)
    assert page.locator("#compare-rows li").all_text_contents() == [
        'Regressed: {"country":"France"} [europe]: 83.3% → 66.7%', 'Improved: {"country":"Japan"} [asia]: 83.3% → 100%']
    assert page.locator("#compare-summary").text_content() == (
        "#2 against #1, over 2 rows: pass rate 83.3% → 83.3%, 0 points (95% CI -16.7 to 16.7); "
        "cost $0.000352 → $0.000352, $0 per row (95% CI $0 to $0).")
    page.locator("#compare-panel").screenshot(path=str(DOCS / "experiment-compare.png"))
    assert page.console_errors == []

    for width, height in ((390, 844), (1280, 800), (1600, 1000)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), width
        assert axe_violations(page) == []
    page.get_by_role("button", name="Dark mode").click()
    assert axe_violations(page) == []
    page.locator("#failures-only").focus()
    page.keyboard.press("Space")
    assert not page.locator("#failures-only").is_checked()
