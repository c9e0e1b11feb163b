"""A real browser: an image attached to an experiment's user message goes to the model of each run, and shows again
as a removable thumbnail in the experiment's form; at desktop and phone widths, axe clean."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.images.pictures import picture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width,height", [(1600, 1000), (390, 844)])
def test_an_experiment_sends_its_image_to_each_run(width, height, signed_in, alice, provider, openai_fake, tmp_path):
    red = tmp_path / "red.png"
    red.write_bytes(picture("PNG", (40, 30)))
    page = signed_in(alice, viewport={"width": width, "height": height})
    page.goto("/experiments/")
    page.get_by_label("User message").fill("What is in the picture?")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach image").click()
    chooser.value.set_files(str(red))
    attached = page.get_by_role("list", name="Attached images")
    expect(attached.get_by_role("img", name="Attached image 1 (40×30)")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Loopback · Fake model").check()
    page.get_by_label("Repeats").fill("2")
    page.get_by_role("button", name="Create experiment").click()
    page.wait_for_url("**/experiments/*/")
    page.wait_for_selector("#connection[data-state=online]")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_selector("#progress-text[data-status=complete]")
    sent = [r.body["messages"][-1]["content"] for r in openai_fake.chat_requests()]
    assert len(sent) == 2
    for content in sent:
        assert content[0] == {"type": "text", "text": "What is in the picture?"}
        assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")
    page.get_by_role("button", name="Edit", exact=True).click()  # the image is there to keep or remove
    expect(page.get_by_role("list", name="Attached images").get_by_role("img")).to_have_count(1)
    expect(page.get_by_role("button", name="Remove attached image 1")).to_be_visible()
    assert axe_violations(page) == []
    assert page.console_errors == []
