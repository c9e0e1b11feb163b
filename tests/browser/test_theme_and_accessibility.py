"""Dark mode, axe-core on every page in both themes, the keyboard, and what screen readers hear while a reply streams."""
import pytest
from playwright.sync_api import expect

from chat.models import Conversation, Experiment, ExperimentBatch, ExperimentRun, Message
from chat.rendering import render_markdown
from tests.browser.conftest import axe_violations, sign_in
from tests.fakes.script import Reply
from tests.live import RESULTS

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "Here you are:\n\n```python\ndef greet(name):\n    return f\"Hello, {name}\"  # friendly\n```\n"
LIGHT_BG, DARK_BG = "rgb(246, 247, 249)", "rgb(15, 17, 21)"
LIGHT_KEYWORD, DARK_KEYWORD = "rgb(166, 38, 164)", "rgb(255, 123, 114)"


def conversation_with_code(owner, title="Greeting code"):
    conversation = Conversation.objects.create(owner=owner, title=title)
    question = Message.objects.create(conversation=conversation, role="user", content="Write a greeting", author=owner)
    Message.objects.create(conversation=conversation, parent=question, role="assistant", content=CODE,
                           html=render_markdown(CODE), provider="loopback", model="fake-model",
                           usage={"prompt_tokens": 12, "completion_tokens": 30}, metrics={"ttft_ms": 120})
    return conversation


def open_conversation(page, conversation):
    page.goto(f"/c/{conversation.pk}/")
    page.wait_for_selector("#connection[data-state=online]")
    expect(page.locator("article.msg-assistant .highlight")).to_be_visible()


def colours(page) -> tuple[str, str]:
    return tuple(page.evaluate("""() => [getComputedStyle(document.body).backgroundColor,
                                   getComputedStyle(document.querySelector('.highlight .k')).color]"""))


def test_dark_follows_the_system_and_the_toggle_is_remembered(signed_in, alice, fresh_provider):
    conversation = conversation_with_code(alice)
    page = signed_in(alice, color_scheme="dark")
    open_conversation(page, conversation)
    assert colours(page) == (DARK_BG, DARK_KEYWORD)  # code highlighting has its dark style too
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "theme-dark.png"))
    toggle = page.get_by_role("button", name="Dark mode")
    expect(toggle).to_have_attribute("aria-pressed", "true")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert colours(page) == (LIGHT_BG, LIGHT_KEYWORD)
    page.reload()
    expect(page.locator("article.msg-assistant .highlight")).to_be_visible()
    assert colours(page) == (LIGHT_BG, LIGHT_KEYWORD)  # the choice beats the system's

    page.get_by_role("button", name="Dark mode").click()
    page.goto("/experiments/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == DARK_BG  # and holds on every page


def test_a_light_system_gets_the_light_theme(new_page, alice):
    page = new_page(color_scheme="light")
    page.goto("/accounts/login/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == LIGHT_BG


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_page_has_serious_or_critical_axe_violations(theme, new_page, alice, bob, fresh_provider):
    mine = conversation_with_code(alice)
    teammates = conversation_with_code(bob, title="Bob's greeting")
    experiment = Experiment.objects.create(
        owner=alice, name="Greetings", messages=[{"role": "user", "content": "Say hello"}],
        targets=[{"provider": fresh_provider.slug, "model": "fake-model"}], repeats=1)
    batch = ExperimentBatch.objects.create(experiment=experiment, number=1, status="complete", spec=experiment.spec(),
                                           total=1)
    ExperimentRun.objects.create(batch=batch, provider=fresh_provider.slug, model="fake-model", repeat=1,
                                 status="complete", output="Hello!", prompt_tokens=3, completion_tokens=2,
                                 ttft_ms=50, duration_ms=80)
    page = new_page(color_scheme=theme)
    found = {}

    page.goto("/accounts/login/")
    found["login"] = axe_violations(page)
    sign_in(page, alice)
    found["playground, new conversation"] = axe_violations(page)
    open_conversation(page, mine)
    found["playground, a conversation with code"] = axe_violations(page)
    page.get_by_role("button", name="Keyboard shortcuts").click()
    found["shortcut help"] = axe_violations(page)
    page.keyboard.press("Escape")
    open_conversation(page, teammates)
    expect(page.get_by_role("button", name="Continue in my own conversation")).to_be_visible()
    found["a teammate's conversation"] = axe_violations(page)
    page.goto("/experiments/")
    expect(page.locator("#experiment-list")).to_be_visible()
    found["experiments and the new-experiment form"] = axe_violations(page)
    page.goto(f"/experiments/{experiment.pk}/")
    expect(page.locator("#runs tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Edit").click()
    found["an experiment, its runs and its edit form"] = axe_violations(page)
    page.set_viewport_size({"width": 390, "height": 844})
    open_conversation(page, mine)
    page.get_by_role("button", name="Menu").click()
    found["a phone: the header menu"] = axe_violations(page)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Settings").click()
    found["a phone: the settings drawer"] = axe_violations(page)
    assert page.evaluate("document.documentElement.dataset.theme") == theme
    assert {name: v for name, v in found.items() if v} == {}
    page.evaluate("document.body.append(document.createElement('button'))")  # axe does see a nameless button
    assert [v for v in axe_violations(page) if v.startswith("button-name (critical)")]


def test_every_control_is_reached_by_tab_with_a_visible_focus(signed_in, alice, fresh_provider):
    page = signed_in(alice, viewport={"width": 1440, "height": 900})
    page.locator("body").click(position={"x": 5, "y": 890})
    reached, unmarked = set(), []
    for _ in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {id: el.id || el.textContent.trim().slice(0, 30), tag: el.tagName,
                    marked: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
        }""")
        if focused["tag"] == "BODY":
            continue
        reached.add(focused["id"])
        if not focused["marked"]:
            unmarked.append(focused["id"])
    wanted = {"new-conversation", "search", "theme-toggle", "shortcuts-button", "messages", "prompt", "send",
              "provider", "model", "system", "temperature", "compare-toggle", "new-visibility", "default-visibility"}
    assert wanted <= reached, wanted - reached
    assert unmarked == []


def test_a_streaming_reply_is_announced_once_not_token_by_token(signed_in, alice, fresh_provider, openai_fake):
    story = "The llama crossed the river, found the meadow, and stayed until the evening light faded away."
    openai_fake.enqueue(Reply.text_of(story, pieces=12, delay=0.08))
    page = signed_in(alice)
    expect(page.locator("#messages")).to_have_attribute("aria-live", "off")
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "polite")
    page.evaluate("""() => {
        window.heard = [];
        new MutationObserver(() => {
            const text = document.getElementById('announcer').textContent;
            if (text) window.heard.push(text);
        }).observe(document.getElementById('announcer'), {childList: true, characterData: true, subtree: true});
    }""")
    page.get_by_label("Message", exact=True).fill("Tell me about the llama")
    page.keyboard.press("Enter")
    expect(page.locator("article.msg-assistant")).to_have_attribute("data-status", "complete")
    expect(page.locator("#announcer")).to_have_text(f"fake-model replied: {story}")
    assert page.evaluate("window.heard") == ["fake-model is replying.", f"fake-model replied: {story}"]
