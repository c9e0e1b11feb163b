"""The tool-call lab in a real browser: the editor, live call cards, results, mocks, tool_choice."""
import json
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.conftest import loopback_provider
from tests.fakes.script import Reply, ScriptedCall

pytestmark = pytest.mark.django_db(transaction=True)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather now in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
def provider(transactional_db, openai_fake):
    return loopback_provider(openai_fake.base_url, slug=f"loopback-{uuid4().hex[:8]}", display_name="Fake model",
                             price=None)


def weather_call(call_id="call_1"):
    return Reply(tool_calls=[ScriptedCall(call_id, "get_weather", ['{"ci', 'ty": "Paris"}'])], finish="tool_calls")


def define_tool(page, tool=WEATHER, mock=None):
    page.get_by_role("button", name="Add tool").click()
    index = page.locator(".tool-item").count()
    page.get_by_label(f"Tool {index} JSON").fill(json.dumps(tool, indent=2))
    if mock is not None:
        page.get_by_label(f"Mock result for tool {index}").fill(mock)
    expect(page.locator(".tool-item").nth(index - 1)).to_have_attribute("data-state", "ok")


def send(page, text):
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_label("Message", exact=True).press("Enter")


def bodies(fake):
    return [r.body for r in fake.chat_requests()]


def test_alice_defines_a_tool_answers_its_call_and_gets_the_final_answer(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(weather_call(), Reply.text_of("It is 21 °C in Paris."))
    page = signed_in(alice)
    define_tool(page)
    send(page, "Weather in Paris?")

    card = page.locator("article.msg-assistant .tool-call").first
    expect(card.locator(".tool-call-name")).to_have_text("get_weather")
    expect(card.locator(".tool-call-args")).to_have_text(json.dumps({"city": "Paris"}, indent=2))
    expect(card.locator(".tool-call-verdict")).to_have_text("✓ valid")

    box = page.get_by_label("Result for get_weather (call_1)")
    box.fill('{"temp_c": 21}')
    page.get_by_role("button", name="Submit results").click()

    expect(page.locator("article.msg-tool .tool-result-head")).to_contain_text("Result for call get_weather")
    expect(page.locator("article.msg-assistant").last.locator(".msg-body")).to_have_text("It is 21 °C in Paris.")
    expect(page.locator(".tool-results")).to_be_hidden()

    first, second = bodies(openai_fake)
    assert first["tools"] == [WEATHER]
    assert second["tools"] == [WEATHER]
    assert second["messages"][-2]["tool_calls"][0]["id"] == "call_1"
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": 21}'}

    # Opened again: the tools come back with the conversation, and the stored call and result show.
    page.get_by_role("button", name="New conversation").click()
    page.get_by_role("button", name="Remove tool 1").click()
    expect(page.locator(".tool-item")).to_have_count(0)
    page.get_by_role("list", name="My conversations").get_by_text("Weather in Paris?").click()
    expect(page.get_by_label("Tool 1 JSON")).to_have_value(json.dumps(WEATHER, indent=2))
    expect(page.locator("article.msg-assistant .tool-call-verdict").first).to_have_text("✓ valid")
    expect(page.locator("article.msg-tool .tool-result-content")).to_have_text(json.dumps({"temp_c": 21}, indent=2))
    assert page.console_errors == []


def test_a_tool_with_a_broken_schema_blocks_send(signed_in, alice, provider, openai_fake):
    page = signed_in(alice)
    page.get_by_role("button", name="Add tool").click()
    broken = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "objekt"}}}
    page.get_by_label("Tool 1 JSON").fill(json.dumps(broken))
    errors = page.locator(".tool-item .tool-errors")
    expect(errors).to_contain_text("parameters")
    expect(page.locator("#send")).to_be_disabled()
    expect(page.locator("#send-blocked")).to_contain_text("Tool 1 has an error")
    page.get_by_label("Message", exact=True).fill("Weather?")
    page.get_by_label("Message", exact=True).press("Enter")

    page.get_by_label("Tool 1 JSON").fill("{not json")
    expect(errors).to_contain_text("JSON")
    expect(page.locator("#send")).to_be_disabled()
    page.wait_for_timeout(300)
    assert bodies(openai_fake) == []

    page.get_by_label("Tool 1 JSON").fill(json.dumps(WEATHER))
    expect(page.locator("#send")).to_be_enabled()
    expect(errors).to_be_hidden()


def test_auto_reply_with_mocks_answers_the_call_without_typing(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(weather_call(), Reply.text_of("Sunny, 21 °C."))
    page = signed_in(alice)
    define_tool(page, mock='{"temp_c": 21, "sky": "sunny"}')
    page.get_by_label("Auto-reply with mocks").check()
    send(page, "Weather in Paris?")

    expect(page.locator("article.msg-assistant").last.locator(".msg-body")).to_have_text("Sunny, 21 °C.")
    expect(page.locator("article.msg-tool")).to_have_count(1)
    assert openai_fake.wait_for(lambda: len(openai_fake.chat_requests()) == 2)
    tool_message = bodies(openai_fake)[1]["messages"][-1]
    assert tool_message == {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": 21, "sky": "sunny"}'}


def test_mocks_prefill_the_result_box_when_auto_reply_is_off(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(weather_call())
    page = signed_in(alice)
    define_tool(page, mock="sunny")
    send(page, "Weather in Paris?")
    expect(page.get_by_label("Result for get_weather (call_1)")).to_have_value("sunny")
    assert len(openai_fake.chat_requests()) == 1


def test_tool_choice_required_and_a_named_function_reach_the_provider(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("One."), Reply.text_of("Two."))
    page = signed_in(alice)
    define_tool(page)
    page.get_by_label("Tool choice").select_option("required")
    page.get_by_label("Parallel tool calls").check()
    send(page, "First")
    expect(page.locator("article.msg-assistant").last.locator(".msg-body")).to_have_text("One.")

    page.get_by_label("Tool choice").select_option(label="function: get_weather")
    page.get_by_label("Parallel tool calls").uncheck()
    send(page, "Second")
    expect(page.locator("article.msg-assistant").last.locator(".msg-body")).to_have_text("Two.")

    first, second = bodies(openai_fake)
    assert first["tool_choice"] == "required"
    assert first["parallel_tool_calls"] is True
    assert second["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert second["parallel_tool_calls"] is False


def test_alice_saves_a_tool_set_and_bob_loads_it(signed_in, alice, bob, provider, openai_fake):
    page = signed_in(alice)
    define_tool(page, mock="sunny")
    page.get_by_label("Tool set name").fill("Weather")
    page.get_by_role("button", name="Save as new set").click()
    expect(page.locator(".toolset-status")).to_have_text('Saved "Weather".')

    bob_page = signed_in(bob)
    bob_page.get_by_label("Tool set", exact=True).select_option(label="Weather (alice)")
    expect(bob_page.get_by_label("Tool 1 JSON")).to_have_value(json.dumps(WEATHER, indent=2))
    expect(bob_page.get_by_label("Mock result for tool 1")).to_have_value("sunny")
    expect(bob_page.locator(".toolset-owner")).to_have_text("Saved by alice: only they or an admin can change it.")
    expect(bob_page.get_by_role("button", name="Update set")).to_have_count(0)

    # Alice changes her set; then deletes it.
    page.get_by_label("Tool set", exact=True).select_option(label="Weather")
    page.get_by_label("Mock result for tool 1").fill("rainy")
    page.get_by_role("button", name="Update set").click()
    expect(page.locator(".toolset-status")).to_have_text('Updated "Weather".')
    page.get_by_role("button", name="Delete set").click()
    page.get_by_role("button", name="Really delete?").click()
    expect(page.locator(".toolset-status")).to_have_text('Deleted "Weather".')
    expect(page.get_by_label("Tool set", exact=True).locator("option")).to_have_count(1)


def test_regenerate_and_branch_arrows_work_inside_a_tool_loop(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(weather_call("call_1"), weather_call("call_2"), Reply.text_of("Paris: 21 °C."),
                        Reply.text_of("Paris is warm."))
    page = signed_in(alice)
    define_tool(page)
    send(page, "Weather in Paris?")
    expect(page.get_by_label("Result for get_weather (call_1)")).to_be_visible()

    page.get_by_role("button", name="Regenerate").click()
    expect(page.get_by_label("Result for get_weather (call_2)")).to_be_visible()
    expect(page.locator(".sibling-count")).to_have_text("2/2")
    page.get_by_role("button", name="Previous branch").click()
    expect(page.locator(".sibling-count")).to_have_text("1/2")
    page.get_by_label("Result for get_weather (call_1)").fill("21")
    page.get_by_role("button", name="Submit results").click()
    expect(page.locator("article.msg-assistant").last.locator(".msg-body")).to_have_text("Paris: 21 °C.")
    sent = bodies(openai_fake)[2]["messages"]
    assert sent[-2]["tool_calls"][0]["id"] == "call_1" and sent[-1]["tool_call_id"] == "call_1"

    # The answer after the tool result regenerates too, from the same tool message.
    page.locator("article.msg-assistant").last.get_by_role("button", name="Regenerate").click()
    expect(page.locator("article.msg-assistant").last.locator(".msg-body")).to_have_text("Paris is warm.")
    assert bodies(openai_fake)[3]["messages"][-1]["tool_call_id"] == "call_1"
    expect(page.locator("article.msg-tool")).to_have_count(1)
    assert page.console_errors == []
