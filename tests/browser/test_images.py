"""Attaching an image in a real browser: by the button, shown as a thumbnail that can be removed, sent to the
model as an image_url part, and shown in the thread after a reload; at desktop and phone widths."""
import base64

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.fakes.script import Reply
from tests.images.pictures import picture

pytestmark = pytest.mark.django_db(transaction=True)


def attach(page, path):
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach image").click()
    chooser.value.set_files(str(path))


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
def test_an_attached_image_is_sent_and_shown_after_a_reload(width, height, signed_in, alice, fresh_provider,
                                                            openai_fake, tmp_path):
    red, blue = tmp_path / "red.png", tmp_path / "blue.png"
    red.write_bytes(picture("PNG", (40, 30)))
    blue.write_bytes(picture("PNG", (20, 20), color=(0, 0, 200)))
    openai_fake.enqueue(Reply.text_of("A red rectangle."))
    page = signed_in(alice, viewport={"width": width, "height": height})
    attached = page.get_by_role("list", name="Attached images")
    attach(page, blue)
    expect(attached.get_by_role("img")).to_have_count(1)
    page.get_by_role("button", name="Remove attached image 1").click()  # a misclick, undone
    expect(attached).to_be_hidden()
    attach(page, red)
    thumbnail = attached.get_by_role("img", name="Attached image 1 (40×30)")
    expect(thumbnail).to_be_visible()
    assert page.get_by_role("button", name="Remove attached image 1").is_visible()
    assert axe_violations(page) == []

    message = page.get_by_label("Message", exact=True)
    message.fill("What is in this picture?")
    message.press("Enter")
    expect(page.locator("article.msg-assistant .msg-body").last).to_have_text("A red rectangle.")
    expect(attached).to_be_hidden()  # sent: the composer is empty again

    content = openai_fake.chat_requests()[-1].body["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "What is in this picture?"}
    url = content[1]["image_url"]["url"]
    assert content[1]["type"] == "image_url" and url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]).startswith(b"\x89PNG")

    page.reload()
    shown = page.locator("article.msg-user").get_by_role("img", name="Image 1 of the message (40×30)")
    expect(shown).to_be_visible()
    assert shown.evaluate("img => img.complete && img.naturalWidth") == 40  # served back to its owner
    assert axe_violations(page) == []


DROP_AND_PASTE = """async ([target, kind, bytes]) => {
  const file = new File([new Uint8Array(bytes)], "pasted.png", { type: "image/png" });
  const transfer = new DataTransfer();
  transfer.items.add(file);
  const node = document.querySelector(target);
  const event = kind === "paste"
    ? new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true })
    : new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true });
  node.dispatchEvent(event);
}"""


def test_images_come_by_paste_and_drop_and_leave_by_the_keyboard(signed_in, alice, fresh_provider):
    page = signed_in(alice, viewport={"width": 1440, "height": 900})
    attached = page.get_by_role("list", name="Attached images")
    page.evaluate(DROP_AND_PASTE, ["#prompt", "paste", list(picture("PNG", (8, 8)))])
    expect(attached.get_by_role("img", name="Attached image 1 (8×8)")).to_be_visible()
    page.evaluate(DROP_AND_PASTE, ["#composer", "drop", list(picture("PNG", (9, 7)))])
    expect(attached.get_by_role("img", name="Attached image 2 (9×7)")).to_be_visible()

    page.get_by_role("button", name="Remove attached image 1").focus()
    page.keyboard.press("Enter")
    expect(attached.get_by_role("img")).to_have_count(1)
    expect(attached.get_by_role("img", name="Attached image 1 (9×7)")).to_be_visible()
    expect(page.get_by_role("button", name="Remove attached image 1")).to_be_focused()  # focus is not lost
    page.keyboard.press("Space")
    expect(attached).to_be_hidden()
    expect(page.get_by_label("Message", exact=True)).to_be_focused()


def test_a_file_that_is_not_an_image_is_refused_with_a_clear_alert(signed_in, alice, fresh_provider, tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_bytes(b"just some text, not a picture")
    page = signed_in(alice, viewport={"width": 1440, "height": 900})
    attach(page, fake)
    expect(page.locator("#alerts")).to_contain_text("not an image")
    expect(page.get_by_role("list", name="Attached images")).to_be_hidden()


def test_a_model_without_vision_blocks_send_and_says_why(signed_in, alice, fresh_provider, tmp_path):
    fresh_provider.provider_models.update(supports_vision=False)
    red = tmp_path / "red.png"
    red.write_bytes(picture("PNG"))
    page = signed_in(alice, viewport={"width": 1440, "height": 900})
    page.get_by_label("Provider", exact=True).select_option(label="Loopback")
    attach(page, red)
    expect(page.locator("#send-blocked")).to_have_text("Fake model does not take images: remove them or pick another model.")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    page.get_by_role("button", name="Remove attached image 1").click()
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
