"""The sidebar's tools in a real browser: pins on top, several conversations deleted at once, an export imported."""
import json

import pytest
from playwright.sync_api import expect

from chat.export import as_json
from chat.models import Conversation, Message
from tests.browser.conftest import axe_violations
from tests.browser.test_layout import WIDTHS, in_view, no_sideways_scroll, open_drawer

pytestmark = pytest.mark.django_db(transaction=True)


def conversation(owner, title, visibility="private"):
    found = Conversation.objects.create(owner=owner, title=title, visibility=visibility)
    Message.objects.create(conversation=found, role="user", content=f"About {title}", author=owner)
    return found


def titles(page, name):
    return [t.strip() for t in page.get_by_role("list", name=name).locator(".conv-title").all_text_contents()]


def test_alice_pins_two_then_deletes_three_at_once_one_of_them_not_hers(signed_in, alice, bob):
    for title in ("Alpha", "Beta", "Gamma", "Delta"):
        conversation(alice, title)
    conversation(bob, "Bob's notes", visibility="team")
    page = signed_in(alice)
    expect(page.locator("#pinned-section")).to_be_hidden()

    page.get_by_role("button", name="Pin Beta").click()
    page.get_by_role("button", name="Pin Bob's notes").click()
    expect(page.get_by_role("list", name="Pinned conversations").locator(".conv-title")).to_have_text(
        ["Bob's notes", "Beta"])  # the newest pin first
    assert "Beta" not in titles(page, "My conversations")
    expect(page.get_by_role("button", name="Unpin Bob's notes")).to_be_focused()  # the keyboard stays put

    page.reload()
    page.wait_for_selector("#connection[data-state=online]")
    expect(page.get_by_role("list", name="Pinned conversations").locator(".conv-title")).to_have_text(
        ["Bob's notes", "Beta"])

    page.get_by_role("button", name="Select", exact=True).click()
    for title in ("Alpha", "Gamma", "Bob's notes"):
        page.get_by_label(f"Select {title}").check()
    page.get_by_role("button", name="Delete selected (3)").click()
    dialog = page.locator("#bulk-delete-dialog")
    expect(dialog).to_contain_text("Delete 3 conversations?")
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="Delete 3 conversations").click()
    expect(page.locator("#sidebar-status")).to_have_text(
        "Deleted 2 conversations. 1 conversation could not be deleted: only the owner can delete one.")
    expect(page.get_by_role("list", name="My conversations").locator(".conv-title")).to_have_text(["Delta"])
    assert set(Conversation.objects.values_list("title", flat=True)) == {"Beta", "Delta", "Bob's notes"}
    assert page.console_errors == []


def test_an_export_imported_twice_is_refused_then_imported_as_a_copy(signed_in, alice, tmp_path):
    original = conversation(alice, "Trip planning")
    Message.objects.create(conversation=original, role="assistant", content="Pack light.",
                           parent=original.messages.get())
    exported = tmp_path / "trip.json"
    exported.write_text(json.dumps(as_json(original)))
    original.delete()
    page = signed_in(alice)

    def import_file():
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="Import").click()
        chooser.value.set_files(str(exported))

    import_file()
    expect(page.locator("#conversation-title")).to_have_text("Trip planning")  # the imported one opens
    expect(page.locator("article.msg-assistant .msg-body")).to_have_text("Pack light.")
    first = Conversation.objects.get(title="Trip planning")
    expect(page).to_have_url(f"/c/{first.pk}/?leaf={first.messages.order_by('id').last().pk}")

    import_file()
    status = page.locator("#sidebar-status")
    expect(status).to_contain_text("This file was imported already")
    expect(status.get_by_role("button", name="Import as a copy")).to_be_focused()
    assert Conversation.objects.count() == 1
    status.get_by_role("button", name="Import as a copy").click()
    expect(status).to_have_text("Imported Trip planning (copy) as a copy.")
    expect(page.locator("#conversation-title")).to_have_text("Trip planning (copy)")
    copy = Conversation.objects.exclude(pk=first.pk).get()
    expect(page).to_have_url(f"/c/{copy.pk}/?leaf={copy.messages.order_by('id').last().pk}")
    expect(page.locator("article.msg-assistant .msg-body")).to_have_text("Pack light.")
    assert page.console_errors == []


@pytest.mark.parametrize("device", WIDTHS)
def test_the_sidebar_tools_fit_each_width_in_dark_mode_and_pass_axe(device, signed_in, alice):
    conversation(alice, "A conversation with a rather long title that has to be cut short somewhere")
    width, height = WIDTHS[device]
    page = signed_in(alice, viewport={"width": width, "height": height}, color_scheme="dark")
    open_drawer(page, "sidebar")
    select = page.get_by_role("button", name="Select", exact=True)
    select.focus()
    page.keyboard.press("Enter")
    expect(select).to_have_attribute("aria-pressed", "true")
    box = page.get_by_label("Select A conversation with a rather long title", exact=False)
    page.keyboard.press("Tab")  # Delete selected is off until something is ticked: the next stop is Import
    expect(page.get_by_role("button", name="Import")).to_be_focused()
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    for control in ("select-toggle", "delete-selected", "import-button"):
        in_view(page, page.locator(f"#{control}"))
    expect(page.get_by_role("button", name="Pin A conversation", exact=False)).to_be_visible()
    expect(page.get_by_role("link", name="A conversation with a rather long title", exact=False)).to_be_visible()
    no_sideways_scroll(page)
    sidebar = page.evaluate("() => [document.getElementById('sidebar').scrollWidth,"
                            " document.getElementById('sidebar').clientWidth]")
    assert sidebar[0] <= sidebar[1], f"the conversations scroll sideways: {sidebar}"
    assert axe_violations(page) == []
