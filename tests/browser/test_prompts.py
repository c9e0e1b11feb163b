"""The prompt workbench in a browser: write a prompt with two variables, save versions, diff, move a label, open it
in the playground, fill and send (loopback fake provider), and save the conversation as a prompt; at each width."""
import pytest
from playwright.sync_api import expect

from chat.gateway.models import AuditEntry
from chat.workbench.models import Prompt
from tests.browser.conftest import axe_violations
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"phone": (390, 844, "dark"), "laptop": (1280, 800, "light"), "desktop": (1600, 1000, "dark")}


def clean(page):
    assert axe_violations(page) == []
    assert page.console_errors == []
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter((n) => n.getBoundingClientRect().right
        > window.innerWidth + 1).map((n) => n.tagName + '#' + n.id + '.' + n.className).slice(0, 8)""")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"the page scrolls sideways: {wide}"


@pytest.mark.parametrize("size", WIDTHS)
def test_a_prompt_from_first_draft_to_the_playground_and_back(signed_in, bob, fresh_provider, openai_fake, size):
    width, height, scheme = WIDTHS[size]
    page = signed_in(bob, viewport={"width": width, "height": height}, color_scheme=scheme)
    if size == "phone":
        page.get_by_role("button", name="Conversations").click()
    page.get_by_role("link", name="Prompts").click()
    expect(page.get_by_role("heading", name="Prompts", exact=True)).to_be_visible()
    clean(page)

    # v1: two variables, written in the new prompt form
    page.get_by_label("Name", exact=True).fill("Poet")
    page.get_by_label("System message").fill("You write about {{topic}}.")
    page.get_by_label("User message").fill("A poem in {{style}} please")
    page.get_by_role("button", name="Create prompt").click()
    expect(page.locator("#prompt-name")).to_have_text("Poet")
    kinds = page.get_by_role("list", name="Variable types")
    expect(kinds).to_contain_text("{{topic}}")
    expect(kinds).to_contain_text("{{style}}")

    # v2: found as typed, a type chosen, the model set
    second = page.get_by_label("Message 2 text")
    second.fill("A short poem in {{style}} about {{mood}} please")
    expect(kinds.locator("li")).to_have_count(3)
    second.fill("A short poem in {{style}} please, not \\{{this}}")
    expect(kinds.locator("li")).to_have_count(2)  # the escaped one is no variable
    page.get_by_label("{{style}} type").select_option("long_text")
    page.get_by_label("Provider").select_option(fresh_provider.slug)
    page.get_by_label("Model", exact=True).fill("fake-model")
    page.get_by_label("Note for this version").fill("shorter, with a model")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.locator("#status")).to_have_text("Saved v2.")
    versions = page.get_by_role("region", name="Version list")
    expect(versions.locator("tbody tr")).to_have_count(2)
    expect(versions).to_contain_text("shorter, with a model")

    # the diff of v1 and v2
    page.get_by_role("button", name="Show the diff").click()
    diff = page.get_by_label("Diff")
    expect(diff.locator(".diff-del")).to_contain_text(["-A poem in {{style}} please"])
    expect(diff.locator(".diff-add").first).to_have_text("+A short poem in {{style}} please, not \\{{this}}")
    expect(diff).to_contain_text(f'+  "provider": "{fresh_provider.slug}"')

    # a label moved (by keyboard), and its history
    page.get_by_label("Label", exact=True).fill("production")
    page.get_by_label("Version", exact=True).select_option("1")
    page.get_by_label("Label", exact=True).press("Enter")
    expect(page.get_by_role("list", name="Labels")).to_contain_text("production → v1")
    page.get_by_label("Version", exact=True).select_option("2")
    page.get_by_role("button", name="Move label").click()
    expect(page.get_by_role("list", name="Labels")).to_contain_text("production → v2")
    expect(page.get_by_role("list", name="Label history")).to_contain_text("bob moved production from v1 to v2")
    assert AuditEntry.objects.filter(action="prompt.label_moved", actor_name="bob").count() == 2
    clean(page)

    # opened in the playground by its label: a missing variable is named first
    page.get_by_label("Version or label").select_option(label="production (v2)")
    page.get_by_role("textbox", name="{{topic}}", exact=True).fill("the sea")
    page.get_by_role("button", name="Open in the playground").click()
    expect(page.locator("#use-error")).to_have_text("Fill in {{style}} before sending.")
    page.get_by_role("textbox", name="{{style}}", exact=True).fill("haiku")
    page.get_by_role("button", name="Open in the playground").click()
    page.wait_for_url("**/c/*/")
    page.wait_for_selector("#connection[data-state=online]")
    composer = page.get_by_label("Message", exact=True)
    expect(composer).to_have_value("A short poem in haiku please, not {{this}}")
    openai_fake.enqueue(Reply.text_of("Waves fold.", pieces=2))
    composer.press("Enter")
    expect(page.locator("article.msg-assistant .msg-body")).to_have_text("Waves fold.")
    sent = openai_fake.chat_requests()[-1].body
    assert sent["messages"][0] == {"role": "system", "content": "You write about the sea."}
    assert sent["messages"][-1]["content"] == "A short poem in haiku please, not {{this}}"

    # the conversation saved as a new prompt
    if size == "phone":
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Save as prompt").click()
    dialog = page.get_by_role("dialog", name="Save as prompt")
    dialog.get_by_label("Name").fill(f"Sea poem {size}")
    clean(page)
    dialog.get_by_role("button", name="Save prompt").click()
    expect(page.locator("#prompt-name")).to_have_text(f"Sea poem {size}")
    expect(page.get_by_label("Message 3 text")).to_have_value("Waves fold.")
    saved = Prompt.objects.get(name=f"Sea poem {size}").versions.get()
    assert [m["role"] for m in saved.messages] == ["system", "user", "assistant"]
    assert saved.settings["provider"] == fresh_provider.slug
    clean(page)
