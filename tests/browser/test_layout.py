"""The playground at a phone's, a laptop's and a desktop's width: everything a person needs is reachable and works.

At each width the provider, the model, the system prompt, the composer, Send/Stop and the conversation list are
used as a person would (a model picked, a system prompt typed, a message sent to the loopback fake and its reply
read, an older conversation opened from the list), and the page never scrolls sideways. Each width leaves a
screenshot under test-results/ (docs/playground.png is the 1,440 px one).
"""
import pytest
from playwright.sync_api import expect

from chat.models import Conversation, Message
from providers.models import ProviderModel
from tests.browser.conftest import axe_violations, sign_in
from tests.fakes.script import Reply
from tests.live import RESULTS

pytestmark = pytest.mark.django_db(transaction=True)

REPLY = "Llamas hum when they are curious, and they are curious about most things."
WIDTHS = {"phone": (390, 844), "laptop": (1000, 800), "desktop": (1440, 900)}


def no_sideways_scroll(page):
    width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width[0]} px wide in a {width[1]} px window"


def in_view(page, locator):
    """The control is on screen (not clipped off the viewport) and is what a click there would hit."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    viewport = page.viewport_size
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"] + 1 and box["y"] + box["height"] <= viewport["height"] + 1, box
    hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('button, a, select, textarea, input')?.id",
                        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert hit == locator.get_attribute("id"), f"{hit} covers {locator.get_attribute('id')}"


def open_drawer(page, name: str):
    """Opens the sidebar ("Conversations") or the settings where they are drawers; on a desktop they are columns."""
    toggle = page.locator(f"#toggle-{name}")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        in_view(page, toggle)
        toggle.click()
    expect(page.locator(f"#{name}")).to_be_visible()
    page.wait_for_function("() => document.getAnimations().every((a) => a.playState === 'finished')")  # slid in


@pytest.mark.parametrize("device", WIDTHS)
def test_everything_is_reachable_and_usable_at_each_width(device, signed_in, alice, fresh_provider, openai_fake):
    ProviderModel.objects.create(provider=fresh_provider, model_id="fake-model-mini", display_name="Fake mini")
    older = Conversation.objects.create(owner=alice, title="Llama facts from yesterday")
    Message.objects.create(conversation=older, role="user", content="What do llamas eat?", author=alice)
    openai_fake.enqueue(Reply.text_of(REPLY, pieces=4, stall_after=1))  # streams until Stop
    openai_fake.enqueue(Reply.text_of(REPLY, pieces=4))
    width, height = WIDTHS[device]
    page = signed_in(alice, viewport={"width": width, "height": height})
    no_sideways_scroll(page)

    open_drawer(page, "settings")
    in_view(page, page.locator("#provider"))
    page.get_by_label("Provider").select_option(label="Loopback")
    in_view(page, page.locator("#model"))
    page.get_by_label("Model", exact=True).select_option(label="Fake mini")
    page.locator("#system").scroll_into_view_if_needed()
    in_view(page, page.locator("#system"))
    page.get_by_label("System prompt").fill("Answer like a llama farmer.")
    if device == "phone":  # the drawer covers the chat on a phone: it has a Close button of its own
        page.get_by_role("button", name="Close the settings").click()
        expect(page.locator("#settings")).to_be_hidden()

    prompt = page.get_by_label("Message", exact=True)
    in_view(page, prompt)
    assert prompt.bounding_box()["width"] >= width - 40 if device == "phone" else True  # full width on a phone
    prompt.fill("Tell me everything about llamas")
    in_view(page, page.locator("#send"))
    page.get_by_role("button", name="Send").click()
    reply = page.locator("article.msg-assistant").last
    expect(reply).to_have_attribute("data-status", "streaming")
    in_view(page, page.locator("#stop"))  # while the reply streams
    page.get_by_role("button", name="Stop").click()
    expect(reply).to_have_attribute("data-status", "cancelled")

    in_view(page, prompt)
    prompt.fill("Why do llamas hum?")
    in_view(page, page.locator("#send"))
    page.get_by_role("button", name="Send").click()
    reply = page.locator("article.msg-assistant").last
    expect(reply).to_have_attribute("data-status", "complete")
    expect(reply.locator(".msg-body")).to_have_text(REPLY)
    body = openai_fake.chat_requests()[-1].body
    assert body["model"] == "fake-model-mini"
    assert body["messages"][0] == {"role": "system", "content": "Answer like a llama farmer."}
    in_view(page, page.locator("#send"))
    no_sideways_scroll(page)
    if device == "desktop":  # the README's screenshot shows the new conversation listed
        expect(page.locator(".conv-item").first).to_contain_text("Tell me everything about llamas")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"layout-{device}-{width}px.png"))

    open_drawer(page, "sidebar")
    # the new conversation is listed on top (before it is, the list may still move under the pointer)
    expect(page.locator(".conv-item").first).to_contain_text("Tell me everything about llamas")
    link = page.locator(".conv-item", has_text="Llama facts from yesterday")
    link.click()  # scrolled to as needed; found again if the list refreshes meanwhile
    expect(page.locator("#conversation-title")).to_have_text("Llama facts from yesterday")
    expect(page.locator("article.msg-user .msg-body")).to_have_text("What do llamas eat?")
    if device == "phone":
        expect(page.locator("#sidebar")).to_be_hidden()  # picked: the drawer makes way for the conversation
    no_sideways_scroll(page)
    assert page.console_errors == []


def test_the_header_actions_fold_into_a_menu_on_a_phone(signed_in, alice, fresh_provider):
    conversation = Conversation.objects.create(owner=alice, title="A short one")
    Message.objects.create(conversation=conversation, role="user", content="Hello", author=alice)
    page = signed_in(alice, viewport={"width": 390, "height": 844})
    page.goto(f"/c/{conversation.pk}/")
    page.wait_for_selector("#connection[data-state=online]")
    expect(page.get_by_role("button", name="Export JSON")).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ("Rename", "Fork", "Export JSON", "Delete", "Dark mode", "Keyboard shortcuts"):
        in_view(page, page.get_by_role("button", name=name) if name != "Export JSON" else page.locator("#export-json"))
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_label("Conversation title")).to_be_focused()
    expect(page.locator("#header-menu")).to_be_hidden()
    page.get_by_role("button", name="Cancel").click()

    menu.click()
    page.get_by_role("button", name="Fork").focus()
    page.keyboard.press("Escape")  # closes the menu, and the keyboard is back on its button
    expect(page.locator("#header-menu")).to_be_hidden()
    expect(menu).to_be_focused()
    menu.click()
    page.locator("#messages").click(position={"x": 20, "y": 300})  # a tap beside it closes it too
    expect(page.locator("#header-menu")).to_be_hidden()
    no_sideways_scroll(page)


def test_drawers_stay_as_the_user_left_them_on_a_laptop(signed_in, alice, fresh_provider):
    page = signed_in(alice, viewport={"width": 1000, "height": 800})
    sidebar, settings = page.get_by_role("button", name="Conversations"), page.locator("#toggle-settings")
    expect(sidebar).to_have_attribute("aria-expanded", "false")
    expect(settings).to_have_attribute("aria-expanded", "true")  # a first visit shows where to pick a model
    sidebar.click()
    settings.click()
    expect(page.locator("#sidebar")).to_be_visible()
    expect(page.locator("#settings")).to_be_hidden()
    page.reload()
    page.wait_for_selector("#connection[data-state=online]")
    expect(page.locator("#sidebar")).to_be_visible()
    expect(page.locator("#settings")).to_be_hidden()
    expect(page.get_by_role("button", name="Conversations")).to_have_attribute("aria-expanded", "true")
    no_sideways_scroll(page)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_compared_replies_stack_on_a_phone_and_stand_side_by_side_on_a_desktop(device, signed_in, alice,
                                                                              fresh_provider, openai_fake):
    ProviderModel.objects.create(provider=fresh_provider, model_id="fake-model-mini", display_name="Fake mini")
    openai_fake.default_reply = Reply.text_of(REPLY * 3, pieces=4)
    width, height = WIDTHS[device]
    page = signed_in(alice, viewport={"width": width, "height": height})
    open_drawer(page, "settings")
    page.get_by_label("Compare models side by side").check()
    expect(page.get_by_label("Compare model 1")).to_have_value("fake-model")  # each row starts on a model of its own
    expect(page.get_by_label("Compare model 2")).to_have_value("fake-model-mini")
    if device == "phone":
        page.keyboard.press("Escape")
    page.get_by_label("Message", exact=True).fill("Why do llamas hum?")
    page.get_by_role("button", name="Send").click()
    columns = page.locator(".compare .compare-column")
    expect(columns).to_have_count(2)
    expect(page.locator('.compare .compare-column[data-status="complete"]')).to_have_count(2)
    expect(columns.nth(1).locator(".compare-model")).to_contain_text("fake-model-mini")
    first, second = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
    if device == "phone":
        assert second["y"] >= first["y"] + first["height"] - 1 and abs(second["x"] - first["x"]) < 1  # stacked
        assert first["width"] >= width - 40
    else:
        assert abs(second["y"] - first["y"]) < 1 and second["x"] >= first["x"] + first["width"]  # side by side
    no_sideways_scroll(page)
    page.screenshot(path=str(RESULTS / f"compare-{device}-{width}px.png"))


def test_the_sign_in_and_experiment_pages_fit_a_phone(new_page, alice, fresh_provider):
    from chat.models import Experiment

    experiment = Experiment.objects.create(
        owner=alice, name="A rather long experiment name about llamas and their favourite grasses",
        messages=[{"role": "user", "content": "Say hello"}], repeats=2,
        targets=[{"provider": fresh_provider.slug, "model": "fake-model"}])
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto("/accounts/login/")
    in_view(page, page.locator("#id_password"))
    no_sideways_scroll(page)
    sign_in(page, alice)
    page.goto("/experiments/")
    expect(page.locator("#experiment-list")).to_be_visible()
    no_sideways_scroll(page)
    page.locator("#save-experiment").scroll_into_view_if_needed()
    in_view(page, page.locator("#save-experiment"))
    page.goto(f"/experiments/{experiment.pk}/")
    page.wait_for_selector("#connection[data-state=online]")
    in_view(page, page.get_by_role("button", name="Run", exact=True))
    no_sideways_scroll(page)
    assert axe_violations(page) == []  # the tables scroll inside boxes the keyboard can reach
