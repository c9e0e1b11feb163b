"""A real browser: make a small experiment, run it, watch the progress bar finish and the table fill."""
import pytest

from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_small_experiment_runs_in_the_browser(signed_in, alice, provider, openai_fake):
    openai_fake.default_reply = Reply.text_of('{"answer": 42}', pieces=3, delay=0.05)
    page = signed_in(alice)
    page.goto("/experiments/")
    page.get_by_label("Name").fill("Answers")
    page.get_by_label("User message").fill("What is the answer? Reply as JSON.")
    page.get_by_label("Loopback · Fake model").check()
    page.get_by_label("Repeats").fill("3")
    page.get_by_label("At once per provider").fill("2")
    page.get_by_label("Response format").select_option("json_object")
    page.get_by_role("button", name="Create experiment").click()
    page.wait_for_url("**/experiments/*/")
    page.wait_for_selector("#connection[data-state=online]")
    assert page.locator("#experiment-name").text_content() == "Answers"
    assert page.locator("#progress-text").text_content() == "Not run yet."

    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_selector("#progress-text[data-status=complete]")
    assert page.locator("#progress").evaluate("p => [p.value, p.max]") == [3, 3]
    assert page.locator("#progress-text").text_content() == "3 / 3 runs · complete"
    row = page.locator("#results tbody tr")
    assert row.count() == 1
    cells = row.first.locator("td").all_text_contents()
    assert cells[:5] == ["loopback · fake-model", "3 / 3", "100%", "—", "0"]
    assert cells[9] == "36 / 15" and cells[10] == "$0.000066"
    runs = page.locator("#runs tbody tr")
    assert runs.count() == 3
    assert page.locator('#runs tbody tr[data-status="complete"]').count() == 3
    assert page.get_by_role("button", name="Run again").is_enabled()
    assert not page.locator("#cancel").is_visible()

    row.first.click()
    page.wait_for_selector("#outputs-panel:not([hidden])")
    assert page.locator("#outputs pre.output").all_text_contents() == ['{"answer": 42}'] * 3
    assert len(openai_fake.chat_requests()) == 3
    assert openai_fake.chat_requests()[0].body["response_format"] == {"type": "json_object"}
    assert page.console_errors == []
