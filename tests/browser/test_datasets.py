"""Datasets in the browser: import a 20-row CSV with a column mapping (a bad file refused with its lines named),
edit a row, export; rate a chat reply and add it to a dataset. At phone, laptop and desktop widths."""
import pytest
from playwright.sync_api import expect

from chat.models import Conversation, Message
from chat.workbench import datasets
from chat.workbench.models import Dataset
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [(390, 844), (1280, 800), (1600, 1000)]
GOOD = "prompt,answer,kind\n" + "".join(f'"Capital of country {n}?","City {n}",{"easy" if n % 2 else "hard"}\n'
                                         for n in range(1, 21))
BAD = "prompt,answer,kind\nOne?,A,easy\nTwo?,B\nThree?,C,easy\nFour?,D,easy,extra\n"


def _files(tmp_path):
    good, bad = tmp_path / "capitals.csv", tmp_path / "broken.csv"
    good.write_text(GOOD)
    bad.write_text(BAD)
    return good, bad


@pytest.mark.parametrize("width,height", WIDTHS)
def test_import_edit_and_export_a_dataset(width, height, signed_in, alice, tmp_path):
    good, bad = _files(tmp_path)
    dataset = Dataset.objects.create(owner=alice, name="Capitals", columns=["question"])
    page = signed_in(alice, viewport={"width": width, "height": height}, color_scheme="dark" if width == 390 else "light")
    page.get_by_role("link", name="Datasets").click() if width > 767 else page.goto("/datasets/")
    page.get_by_role("link", name="Capitals").click()
    expect(page.locator("#no-rows")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Import").click()
    dialog = page.get_by_role("dialog", name="Import rows")
    dialog.get_by_label("File", exact=True).set_input_files(str(bad))
    problems = dialog.get_by_role("list", name="Bad lines")
    expect(problems).to_contain_text("line 3: 2 columns, expected 3")
    expect(problems).to_contain_text("line 5: 4 columns, expected 3")
    expect(dialog.get_by_role("alert")).to_contain_text("Nothing was imported")
    expect(dialog.get_by_role("button", name="Import rows")).to_be_disabled()

    dialog.get_by_label("File", exact=True).set_input_files(str(good))
    expect(dialog.get_by_role("status")).to_contain_text("20 rows found (CSV)")
    dialog.get_by_label("Column prompt is").select_option("question")
    dialog.get_by_label("Column answer is").select_option("expected")
    dialog.get_by_label("Column kind is").select_option("tags")
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="Import rows").click()
    expect(dialog).to_be_hidden()
    rows = page.locator("#rows tbody tr")
    expect(rows).to_have_count(20)
    expect(rows.first).to_contain_text("Capital of country 1?")
    assert len(page.locator("#rows thead th").all_inner_texts()) == 6  # #, question, expected, tags, source, actions

    page.get_by_label("Filter by tag").select_option("hard")
    expect(rows).to_have_count(10)
    page.get_by_label("Filter by tag").select_option("")
    expect(rows).to_have_count(20)

    page.get_by_role("button", name="Edit row 1", exact=True).click()
    editor = page.get_by_role("dialog", name="Edit row")
    expect(editor.get_by_label("question")).to_have_value("Capital of country 1?")
    editor.get_by_label("Expected output").fill("City 1, the old town")
    editor.get_by_role("button", name="Save row").click()
    expect(editor).to_be_hidden()
    expect(rows.first).to_contain_text("City 1, the old town")  # the new row keeps the old one's place
    expect(page.get_by_role("button", name="Edit row 1", exact=True)).to_be_focused()
    expect(page.locator("#version")).to_have_text("Version 3")
    dataset.refresh_from_db()
    assert [r.expected for r in datasets.rows_at(dataset, 2)][0] == "City 1"  # the imported version keeps it

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = download.value.path().read_text()
    lines = exported.splitlines()
    assert lines[0] == "question,expected,tags" and len(lines) == 21
    assert '"City 1, the old town"' in exported and "City 20" in exported
    assert page.console_errors == []


def _chat(owner):
    conversation = Conversation.objects.create(owner=owner, title="Geography", visibility=Conversation.TEAM)
    question = Message.objects.create(conversation=conversation, role="user", content="Capital of Chad?", author=owner)
    reply = Message.objects.create(conversation=conversation, parent=question, role="assistant", content="N'Djamena.",
                                   html="<p>N'Djamena.</p>", provider="loopback", model="fake-model")
    return conversation, reply


@pytest.mark.parametrize("width,height", WIDTHS)
def test_rate_a_chat_reply_and_add_it_to_a_dataset(width, height, signed_in, alice, bob, fresh_provider):
    conversation, reply = _chat(alice)
    dataset = Dataset.objects.create(owner=bob, name="Bob's capitals", columns=["question"])
    page = signed_in(bob, viewport={"width": width, "height": height}, color_scheme="dark" if width == 1600 else "light")
    page.goto(f"/c/{conversation.pk}/")
    page.wait_for_selector("#connection[data-state=online]")
    page.locator("article.msg-assistant").get_by_role("button", name="Review this reply").click()
    dialog = page.get_by_role("dialog", name="Review this reply")
    expect(dialog.locator(".review-tally")).to_have_text("not rated yet")
    expect(dialog.get_by_role("button", name="Thumbs up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("button", name="Thumbs up")).to_have_attribute("aria-pressed", "true")
    dialog.get_by_label("Score").select_option("4")
    dialog.get_by_label("Comment").fill("Right, with the apostrophe.")
    dialog.get_by_role("button", name="Save rating").click()
    expect(dialog.get_by_text("Rating saved.")).to_be_visible()
    expect(dialog.locator(".review-tally")).to_have_text("1 👍 · 0 👎 · mean score 4 · 1 reviewer")
    page.mouse.move(0, 0)  # the dark theme's hover fill of primary buttons is the app's palette, checked elsewhere
    assert axe_violations(page) == []

    expect(dialog.get_by_label("Dataset", exact=True)).to_contain_text("Bob's capitals")
    dialog.get_by_label("Dataset", exact=True).select_option(label="Bob's capitals (0 rows)")
    dialog.get_by_label("Tags (comma-separated)").fill("chat, africa")
    dialog.get_by_role("button", name="Add to dataset").click()
    expect(dialog.get_by_text("Added to Bob's capitals (version 2).")).to_be_visible()
    row = datasets.rows_at(dataset).get()
    assert row.values == {"question": "Capital of Chad?"} and row.expected == "N'Djamena." and row.tags == ["chat", "africa"]
    assert row.source["rating"] == {"reviewer": "bob", "thumbs": True, "score": 4, "comment": "Right, with the apostrophe."}

    dialog.get_by_role("link", name="Open Bob's capitals").click()
    expect(page.locator("#rows tbody tr")).to_have_count(1)
    expect(page.locator("#rows tbody")).to_contain_text("👍 4/5")
    assert page.console_errors == []


def test_make_a_dataset_then_generate_cases_and_keep_some(signed_in, alice, fresh_provider, openai_fake):
    import json

    from tests.fakes.script import Reply

    cases = {"rows": [{"values": {"question": f"Capital of {c}?"}, "expected": city}
                      for c, city in (("Chad", "N'Djamena"), ("Peru", "Lima"), ("Laos", "Vientiane"))]}
    openai_fake.enqueue(Reply.text_of("Here you go: Chad, Peru, Laos"), Reply.text_of(json.dumps(cases), pieces=5))
    page = signed_in(alice, viewport={"width": 390, "height": 844})
    page.goto("/datasets/")
    expect(page.locator("#no-datasets")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Name").fill("Generated capitals")
    page.get_by_label("Variables").fill("question")
    page.get_by_role("button", name="Create dataset").click()
    page.wait_for_url("**/datasets/*/")
    dataset = Dataset.objects.get(name="Generated capitals")
    assert dataset.owner == alice and dataset.columns == ["question"]

    page.get_by_role("button", name="Generate").click()
    dialog = page.get_by_role("dialog", name="Generate test cases")
    expect(dialog.get_by_label("Variables")).to_have_value("question")
    dialog.get_by_label("What the cases should cover").fill("Capitals of small countries")
    dialog.get_by_label("How many").fill("3")
    dialog.get_by_role("button", name="Generate").click()
    expect(dialog.get_by_role("alert")).to_contain_text("did not answer with test cases")
    dialog.get_by_role("button", name="Generate").click()
    expect(dialog.locator("#generated-rows li")).to_have_count(3)
    expect(dialog.locator("#generated-by")).to_contain_text("Loopback · fake-model")
    assert not dataset.rows.exists()  # shown for review, not stored
    assert axe_violations(page) == []
    dialog.get_by_label("Case 2").uncheck()
    dialog.get_by_role("button", name="Add the checked rows").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#rows tbody tr")).to_have_count(2)
    assert [(r.values["question"], r.expected, r.tags) for r in datasets.rows_at(dataset)] == [
        ("Capital of Chad?", "N'Djamena", ["generated"]), ("Capital of Laos?", "Vientiane", ["generated"])]
    assert page.console_errors == []
