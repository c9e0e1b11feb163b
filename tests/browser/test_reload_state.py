"""What survives a reload: the branch on screen (in the URL as ?leaf=ID) and compared replies side by side."""
import pytest
from playwright.sync_api import expect

from chat.models import Conversation, Message
from providers.models import ProviderModel
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def online(page):
    page.wait_for_selector("#connection[data-state=online]")


def replies(page):
    return page.locator("article.msg-assistant")


def test_the_older_branch_stays_on_screen_after_a_reload_and_in_a_shared_link(signed_in, alice, provider, openai_fake):
    chat = Conversation.objects.create(owner=alice, title="Colours", settings={"provider": "loopback",
                                                                               "model": "fake-model"})
    question = Message.objects.create(conversation=chat, role="user", content="A colour?", author=alice)
    older = Message.objects.create(conversation=chat, role="assistant", content="Blue.", parent=question)
    Message.objects.create(conversation=chat, role="assistant", content="Green.", parent=question)
    page = signed_in(alice)
    page.goto(f"/c/{chat.pk}/")
    online(page)
    expect(replies(page).locator(".msg-body")).to_have_text(["Green."])  # the newest branch by default

    page.get_by_role("button", name="Previous branch").click()
    expect(replies(page).locator(".msg-body")).to_have_text(["Blue."])
    expect(page).to_have_url(f"/c/{chat.pk}/?leaf={older.pk}")
    page.reload()
    online(page)
    expect(replies(page).locator(".msg-body")).to_have_text(["Blue."])
    expect(page.locator(".sibling-count")).to_have_text("1/2")

    openai_fake.enqueue(Reply.text_of("Navy, then.", pieces=2))
    page.get_by_label("Message", exact=True).fill("Darker?")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(replies(page).last.locator(".msg-body")).to_have_text("Navy, then.")
    expect(replies(page).last).to_have_attribute("data-status", "complete")
    newest = Message.objects.filter(conversation=chat).order_by("id").last()
    expect(page).to_have_url(f"/c/{chat.pk}/?leaf={newest.pk}")  # a send moves it along

    shared = signed_in(alice)
    shared.goto(f"/c/{chat.pk}/?leaf={older.pk}")  # a link to the older branch opens there
    online(shared)
    expect(replies(shared).locator(".msg-body")).to_have_text(["Blue."])
    assert page.console_errors == shared.console_errors == []


def test_compared_replies_are_side_by_side_again_after_a_reload(signed_in, alice, provider, openai_fake):
    ProviderModel.objects.create(provider=provider, model_id="fake-model-mini")
    openai_fake.default_reply = Reply.text_of("A short answer.", pieces=2)
    page = signed_in(alice)
    page.get_by_label("Compare models side by side").check()
    page.get_by_label("Compare model 2").select_option("fake-model-mini")
    page.get_by_label("Message", exact=True).fill("Say something")
    page.get_by_role("button", name="Send").click()
    columns = page.locator(".compare .compare-column")
    expect(columns).to_have_count(2)
    for n in range(2):
        expect(columns.nth(n)).to_have_attribute("data-status", "complete")

    page.reload()
    online(page)
    expect(columns).to_have_count(2)
    expect(columns.locator(".compare-model")).to_have_text(["loopback · fake-model", "loopback · fake-model-mini"])
    expect(columns.locator(".msg-body")).to_have_text(["A short answer.", "A short answer."])
    expect(page.locator("#send-blocked")).to_contain_text("Continue with this one")

    columns.nth(1).get_by_role("button", name="Continue with this one").click()
    expect(columns).to_have_count(0)
    chosen = Message.objects.get(role="assistant", model="fake-model-mini")
    expect(page).to_have_url(f"/c/{chosen.conversation_id}/?leaf={chosen.pk}")
    page.reload()
    online(page)
    expect(columns).to_have_count(0)  # the reply picked stays picked
    expect(replies(page).locator(".msg-meta")).to_contain_text(["fake-model-mini"])
    assert page.console_errors == []
