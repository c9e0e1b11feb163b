"""A real browser on the Embeddings page: texts in, heat maps, neighbours and maps out; compare, save, export.

At phone, laptop and desktop widths, light and dark, with axe; the main flow by keyboard.
"""
import csv
import io
import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.fakes.script import Reply

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

TEXTS = ["The cat sat on the mat.", "A cat sat on a mat!", "Quarterly revenue grew by nine percent.",
         "Revenue grew nine percent this quarter."]
WIDTHS = {"phone": (390, 844), "laptop": (1280, 800), "desktop": (1600, 1000)}


@pytest.fixture
def embedders(fresh_provider):
    from providers.models import ProviderModel

    ProviderModel.objects.create(provider=fresh_provider, model_id="fake-embed", display_name="Fake embed",
                                 purpose="embedding", input_price_per_mtok=20)
    ProviderModel.objects.create(provider=fresh_provider, model_id="fake-embed-large", display_name="Fake embed large",
                                 purpose="embedding")
    return fresh_provider


def open_page(signed_in, user, width: str, **options):
    w, h = WIDTHS[width]
    page = signed_in(user, viewport={"width": w, "height": h}, **options)
    page.goto("/embeddings/")
    return page


def compare_two(page):
    page.get_by_label("One text per line").fill("\n".join(TEXTS))
    page.get_by_label("Compare with a second model").check()
    page.get_by_label("Second model", exact=True).select_option(label="Fake embed large")
    page.get_by_role("button", name="Embed").click()
    page.wait_for_selector("#result:not([hidden])")


def assert_shown_and_accessible(page):
    assert page.locator("#facts tbody tr").all(), "no facts"
    facts = [row.locator("td").all_text_contents() for row in page.locator("#facts tbody tr").all()]
    assert [f[:2] for f in facts] == [["Loopback · Fake embed", "16"], ["Loopback · Fake embed large", "24"]]
    assert facts[0][4].startswith("$") and facts[1][4] == "no price"
    heat = page.locator("svg.emb-heat")
    assert heat.count() == 2 and heat.first.locator("rect").count() == 16
    assert heat.first.locator("rect").first.get_attribute("data-value") == "1.000"
    assert page.locator("svg.emb-map").nth(1).locator("circle").count() == 4
    first = page.locator("#neighbours tbody tr").first
    assert first.locator("th").text_content() == "1. The cat sat on the mat."
    assert first.locator("td").first.text_content().startswith("2 (")
    assert "nearest neighbours are the same" in page.locator("#agreement").text_content()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Dark mode").click()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_two_models_compared_at_each_width_light_and_dark(signed_in, bob, embedders, width):
    page = open_page(signed_in, bob, width)
    compare_two(page)
    assert_shown_and_accessible(page)
    assert page.console_errors == []


def test_by_keyboard_then_saved_shared_and_exported(signed_in, new_page, bob, alice, embedders, openai_fake):
    page = signed_in(bob, viewport={"width": 1280, "height": 800})
    assert page.get_by_role("link", name="Embeddings").get_attribute("href") == "/embeddings/"
    page.goto("/embeddings/")
    page.get_by_label("Embedding model", exact=True).focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the compare box
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the second model: still the large one
    page.keyboard.press("Tab")  # "From a dataset": left alone (its column and Fill stay off until one is picked)
    expect(page.get_by_label("Dataset", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type(TEXTS[0])
    for text in TEXTS[1:]:
        page.keyboard.press("Enter")
        page.keyboard.type(text)
    assert page.locator("#text-count").text_content() == "4 texts"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#result:not([hidden])")
    assert_shown_and_accessible(page)
    assert {r.body["model"] for r in openai_fake.chat_requests()} == {"fake-embed", "fake-embed-large"}

    page.get_by_label("Title").fill("Cats and revenue")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("#saved-list li")
    assert "Saved (the team sees it)." == page.locator("#save-status").text_content()
    with page.expect_download() as caught:
        page.get_by_role("link", name="CSV", exact=True).click()
    rows = list(csv.DictReader(io.StringIO(open(caught.value.path(), encoding="utf-8").read())))
    assert len(rows) == 8 and rows[0]["text"] == TEXTS[0] and "v1" not in rows[0]
    with page.expect_download() as caught:
        page.get_by_role("link", name="JSON with vectors").click()
    exported = json.loads(open(caught.value.path(), encoding="utf-8").read())
    assert exported["title"] == "Cats and revenue" and len(exported["runs"][1]["vectors"][0]) == 24

    teammate = signed_in(alice, viewport={"width": 1280, "height": 800})
    teammate.goto("/embeddings/")
    teammate.get_by_role("link", name="Cats and revenue").click()
    teammate.wait_for_selector("#result:not([hidden])")
    assert teammate.locator("svg.emb-heat").count() == 2
    assert not teammate.locator("#save-form").is_visible()
    assert page.console_errors == [] and teammate.console_errors == []


def test_mistakes_and_provider_failures_are_said_on_the_page(signed_in, bob, embedders, openai_fake):
    page = open_page(signed_in, bob, "laptop")
    page.get_by_label("One text per line").fill("Only one text")
    page.get_by_role("button", name="Embed").click()
    assert page.locator("#embed-status").text_content() == "Enter 2 to 50 texts, one per line (now 1)."
    openai_fake.enqueue(Reply.fail(401))
    page.get_by_label("One text per line").fill("\n".join(TEXTS))
    page.get_by_role("button", name="Embed").click()
    page.wait_for_selector("#embed-status.bad >> text=rejected the key")
    assert page.locator("#result").is_hidden()


def test_texts_from_a_dataset_column_are_embedded_and_remembered(signed_in, bob, alice, embedders, openai_fake):
    from chat.workbench import datasets
    from chat.workbench.models import Dataset

    reviews = Dataset.objects.create(owner=alice, name="Reviews", visibility=Dataset.TEAM)
    rows = [{"values": {"review": "" if n == 5 else f"Review number {n}"}, "expected": f"label {n}"} for n in range(52)]
    datasets.add_rows(reviews, [datasets.clean_row(row) for row in rows])
    Dataset.objects.create(owner=alice, name="Alice's notes", visibility=Dataset.PRIVATE)  # private: not offered to bob
    page = open_page(signed_in, bob, "laptop")
    picker = page.get_by_label("Dataset", exact=True)
    expect(picker.locator("option", has_text="Reviews")).to_have_count(1)
    expect(picker.locator("option", has_text="Alice's notes")).to_have_count(0)
    picker.select_option(label="Reviews (52 rows, v2, alice)")
    page.get_by_label("Column", exact=True).select_option("review")
    page.get_by_role("button", name="Fill the texts").click()
    expect(page.locator("#source-status")).to_have_text(
        "50 texts from Reviews (version 2), column review; 1 more non-empty value was left out.")
    expect(page.locator("#text-count")).to_have_text("50 texts")
    assert page.get_by_label("One text per line").input_value().split("\n")[:2] == ["Review number 0", "Review number 1"]
    assert axe_violations(page) == []
    page.get_by_role("button", name="Embed").click()
    expect(page.locator("#result-source")).to_have_text(
        "The 50 texts from Reviews (version 2), column review; 1 more non-empty value was left out.")
    assert len(openai_fake.chat_requests()[-1].body["input"]) == 50
    expect(page).to_have_url(re.compile(r"/embeddings/\d+/$"))
    from_dataset = page.url

    page.get_by_label("One text per line").fill("Edited one\nEdited two")  # edited: typed texts again
    expect(page.locator("#source-status")).to_contain_text("now count as typed")
    page.get_by_role("button", name="Embed").click()
    expect(page.locator("#embed-status")).to_have_text("Embedded 2 texts.")
    expect(page.locator("#result-source")).to_be_hidden()
    assert openai_fake.chat_requests()[-1].body["input"] == ["Edited one", "Edited two"]

    page.goto(from_dataset)  # the result's own record of where its texts came from
    expect(page.locator("#result-source")).to_contain_text("from Reviews (version 2), column review")
    assert page.console_errors == []
