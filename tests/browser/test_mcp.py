"""Tools from an MCP server in a real browser: enabling the server, approving and denying calls, "always allow"."""
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from chat.mcp.discovery import discover
from chat.mcp.runs import DENIED
from chat.models import McpServer
from tests.browser.conftest import axe_violations
from tests.fakes.mcp_server import McpFake
from tests.fakes.script import Reply, ScriptedCall

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tools_server(transactional_db):
    with McpFake() as fake:
        server = McpServer(name="Loopback tools", slug="tools", url=fake.url)
        server.set_headers({"Authorization": "Bearer browser-test"})
        server.save()
        with ThreadPoolExecutor(1) as thread:  # Playwright's loop runs in this one: discovery waits elsewhere
            assert thread.submit(discover, server).result() is None
        yield server


def echo_call(call_id: str, text: str) -> Reply:
    return Reply(tool_calls=[ScriptedCall(call_id, "tools__slow_echo", [json.dumps({"text": text})])], finish="tool_calls")


def open_settings(page):
    if page.viewport_size["width"] < 768:
        page.get_by_role("button", name="Settings", exact=True).click()


def close_settings(page):
    if page.viewport_size["width"] < 768:
        page.get_by_role("button", name="Close the settings").click()


def enable_tools_server(page):
    open_settings(page)
    card = page.get_by_role("region", name="MCP server Loopback tools")
    card.get_by_label("Use Loopback tools in this conversation").check()
    card.get_by_text("2 tools").click()
    expect(card.get_by_label("Input schema of tools__slow_echo")).to_contain_text('"text"')
    assert axe_violations(page) == []
    close_settings(page)


def send(page, text):
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_label("Message", exact=True).press("Enter")


@pytest.mark.parametrize("width,height,scheme", [(1440, 900, "light"), (1000, 800, "dark"), (390, 844, "dark")])
def test_alice_approves_an_mcp_call_and_the_model_gets_its_result(width, height, scheme, signed_in, alice, fresh_provider,
                                                                   openai_fake, tools_server):
    openai_fake.enqueue(echo_call("call_1", "hi"), Reply.text_of("The tool said hi."))
    page = signed_in(alice, viewport={"width": width, "height": height}, color_scheme=scheme)
    enable_tools_server(page)
    send(page, "Echo hi, please")

    approval = page.get_by_role("group", name="Run tools__slow_echo on Loopback tools? call_1")
    expect(approval).to_be_visible()
    submit = page.get_by_role("button", name="Submit results")
    expect(submit).to_be_disabled()  # nothing runs before Alice says so
    assert axe_violations(page) == []
    approval.get_by_role("radio", name="Approve").check()
    submit.click()

    expect(page.locator("article.msg-tool .tool-result-content")).to_have_text("echo: hi")
    expect(page.locator("article.msg-assistant .msg-body").last).to_have_text("The tool said hi.")
    expect(page.locator(".tool-results")).to_be_hidden()
    sent = openai_fake.chat_requests()[-1].body["messages"][-1]
    assert sent == {"role": "tool", "tool_call_id": "call_1", "content": "echo: hi"}
    assert axe_violations(page) == []
    assert page.console_errors == []


def test_a_denied_call_is_not_run_and_an_always_allowed_server_runs_without_asking(signed_in, alice, fresh_provider,
                                                                                   openai_fake, tools_server):
    openai_fake.enqueue(echo_call("call_1", "secret"), echo_call("call_2", "again"), Reply.text_of("Done."))
    page = signed_in(alice)
    enable_tools_server(page)
    send(page, "Echo twice")

    page.get_by_label("Always allow Loopback tools (its tools run without asking)").check()
    page.get_by_role("group", name="Run tools__slow_echo on Loopback tools? call_1").get_by_role("radio", name="Deny").check()
    page.get_by_role("button", name="Submit results").click()

    results = page.locator("article.msg-tool .tool-result-content")
    expect(results.first).to_have_text(DENIED)
    expect(results.nth(1)).to_have_text("echo: again")  # the second call ran at once: always allowed
    expect(page.locator("article.msg-assistant .msg-body").last).to_have_text("Done.")
    requests = openai_fake.chat_requests()
    assert requests[1].body["messages"][-1]["content"] == DENIED
    assert requests[2].body["messages"][-1]["content"] == "echo: again"
    assert McpServer.objects.get().always_allowed_by.filter(pk=alice.pk).exists()
