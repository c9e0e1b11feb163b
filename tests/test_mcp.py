"""Tools from MCP servers, end to end: a real SDK server on loopback, the chat socket, the loopback OpenAI fake."""
import json

import pytest
from asgiref.sync import sync_to_async

from chat.mcp.discovery import discover
from chat.mcp.runs import DENIED
from chat.models import McpServer, Message
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame
from tests.fakes.mcp_server import McpFake, closed_port_url
from tests.fakes.script import Reply, ScriptedCall

pytestmark = pytest.mark.django_db(transaction=True)  # async tests run under asyncio_mode = auto

TOKEN = "mcp-secret-DO-NOT-LEAK-77c1"


@pytest.fixture
def mcp_fake():
    with McpFake() as fake:
        yield fake


@pytest.fixture
def tools_server(db, mcp_fake):
    server = McpServer(name="Loopback tools", slug="tools", url=mcp_fake.url)
    server.set_headers({"Authorization": f"Bearer {TOKEN}"})
    server.save()
    assert discover(server) is None
    return server


async def _calls(openai_fake, ws, name: str, arguments: dict, **extra) -> tuple[int, list[dict]]:
    """A conversation with the tools server enabled whose reply calls `name`; (conversation id, its frames)."""
    openai_fake.enqueue(Reply(tool_calls=[ScriptedCall("call_1", name, [json.dumps(arguments)])], finish="tool_calls"),
                        Reply.text_of("Done."))
    frame = send_frame("Use the tool", mcp_servers=["tools"], **extra)
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    return frames[0]["conversation_id"], frames


async def _answer(ws, conversation_id: int, run: str) -> tuple[dict, list[dict]]:
    """Approve (run "mcp") or deny the call; the stored tool message and the frames up to the next reply's end."""
    await ws.send_json_to({"type": "chat.tool_result", "request_id": "approve", "conversation_id": conversation_id,
                           "results": [{"tool_call_id": "call_1", "run": run}]})
    frames = await frames_until_end(ws, "approve", timeout=20)
    return of_type(frames, "message.created")[0]["message"], frames


def _tool_message_sent(openai_fake) -> dict:
    return openai_fake.chat_requests()[-1].body["messages"][-1]


def test_discovery_lists_both_tools_with_their_schemas_and_sends_the_auth_header(tools_server, mcp_fake, client, bob):
    assert [t["name"] for t in tools_server.tools] == ["slow_echo", "broken"]
    assert tools_server.tools[0]["input_schema"]["required"] == ["text"]
    assert any(h.get("authorization") == f"Bearer {TOKEN}" for h in mcp_fake.headers)
    assert TOKEN not in McpServer.objects.values_list("headers_encrypted", flat=True).get()
    client.force_login(bob)
    response = client.get("/api/mcp/servers")
    listed = response.json()["servers"][0]
    assert [t["name"] for t in listed["tools"]] == ["tools__slow_echo", "tools__broken"]
    assert listed["tools"][0]["parameters"]["properties"]["text"]["type"] == "string"
    assert TOKEN not in response.content.decode() and listed["always_allow"] is False


def test_discovery_of_a_server_that_is_down_says_so(db):
    server = McpServer.objects.create(name="Down", slug="down", url=closed_port_url())
    error = discover(server)
    assert "could not be reached" in error and McpServer.objects.get().discovery_error == error


async def test_the_model_is_offered_the_namespaced_tools_beside_the_users_own(alice, provider, openai_fake, tools_server):
    own = {"type": "function", "function": {"name": "slow_echo", "parameters": {"type": "object"}}}
    ws = await connect(alice)
    await _calls(openai_fake, ws, "tools__slow_echo", {"text": "hi"}, tools=[own])
    offered = [t["function"]["name"] for t in openai_fake.chat_requests()[0].body["tools"]]
    assert offered == ["slow_echo", "tools__slow_echo", "tools__broken"]
    await ws.disconnect()


async def test_an_approved_call_runs_and_its_result_goes_back_to_the_model(alice, provider, openai_fake, tools_server):
    ws = await connect(alice)
    conversation_id, frames = await _calls(openai_fake, ws, "tools__slow_echo", {"text": "hi"})
    assert frames[-1]["tool_calls"][0]["validation"]["valid"] is True
    message, frames = await _answer(ws, conversation_id, "mcp")
    assert (message["role"], message["content"], message["name"]) == ("tool", "echo: hi", "tools__slow_echo")
    assert frames[-1]["content"] == "Done."
    assert _tool_message_sent(openai_fake) == {"role": "tool", "content": "echo: hi", "tool_call_id": "call_1"}
    await ws.disconnect()


async def test_a_denied_call_is_not_run_and_the_model_is_told(alice, provider, openai_fake, tools_server, mcp_fake):
    ws = await connect(alice)
    conversation_id, _ = await _calls(openai_fake, ws, "tools__slow_echo", {"text": "hi"})
    asked = len(mcp_fake.headers)
    message, _ = await _answer(ws, conversation_id, "deny")
    assert message["content"] == DENIED and _tool_message_sent(openai_fake)["content"] == DENIED
    assert len(mcp_fake.headers) == asked
    await ws.disconnect()


async def test_a_call_slower_than_the_timeout_is_answered_with_a_timeout_error(alice, provider, openai_fake, tools_server,
                                                                              settings):
    settings.PLAYGROUND_MCP_TIMEOUT_SECONDS = 0.5
    ws = await connect(alice)
    conversation_id, _ = await _calls(openai_fake, ws, "tools__slow_echo", {"text": "hi", "seconds": 30})
    message, _ = await _answer(ws, conversation_id, "mcp")
    assert message["content"].startswith("Error: ") and "did not answer the call of slow_echo within 0.5 s" in message["content"]
    assert _tool_message_sent(openai_fake)["content"] == message["content"]
    await ws.disconnect()


async def test_a_failing_tool_becomes_an_error_result(alice, provider, openai_fake, tools_server):
    ws = await connect(alice)
    conversation_id, _ = await _calls(openai_fake, ws, "tools__broken", {"reason": "disk full"})
    message, _ = await _answer(ws, conversation_id, "mcp")
    assert message["content"].startswith("Error: the tool broken failed:") and "disk full" in message["content"]
    assert _tool_message_sent(openai_fake)["content"] == message["content"]
    await ws.disconnect()


async def test_invalid_arguments_are_refused_before_the_server_is_called(alice, provider, openai_fake, tools_server,
                                                                        mcp_fake):
    ws = await connect(alice)
    conversation_id, _ = await _calls(openai_fake, ws, "tools__slow_echo", {"seconds": "soon"})
    asked = len(mcp_fake.headers)
    message, _ = await _answer(ws, conversation_id, "mcp")
    content = message["content"]
    assert "was not run: its arguments are invalid" in content and "'text' is a required property" in content
    assert len(mcp_fake.headers) == asked
    await ws.disconnect()


async def test_a_server_that_is_down_becomes_an_error_result(alice, provider, openai_fake, tools_server, mcp_fake):
    tools_server.url = closed_port_url()
    await tools_server.asave()
    ws = await connect(alice)
    conversation_id, _ = await _calls(openai_fake, ws, "tools__slow_echo", {"text": "hi"})
    message, _ = await _answer(ws, conversation_id, "mcp")
    assert message["content"].startswith("Error: The MCP server Loopback tools could not be reached for the call of slow_echo")
    assert _tool_message_sent(openai_fake)["content"] == message["content"]
    await ws.disconnect()


async def test_running_a_call_that_is_not_an_mcp_tool_is_refused_and_stores_nothing(alice, provider, openai_fake,
                                                                                    tools_server):
    own = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
    ws = await connect(alice)
    conversation_id, _ = await _calls(openai_fake, ws, "get_time", {}, tools=[own])
    await ws.send_json_to({"type": "chat.tool_result", "request_id": "x", "conversation_id": conversation_id,
                           "results": [{"tool_call_id": "call_1", "run": "mcp"}]})
    error = await ws.receive_json_from()
    assert error["code"] == "bad_request" and "not a tool of an MCP server this conversation uses" in error["message"]
    assert not await Message.objects.filter(role="tool").aexists()
    await ws.disconnect()


async def test_a_tool_of_a_server_the_conversation_no_longer_uses_is_not_run(alice, provider, openai_fake, tools_server,
                                                                            mcp_fake):
    ws = await connect(alice)
    conversation_id, _ = await _calls(openai_fake, ws, "tools__slow_echo", {"text": "hi"})
    asked = len(mcp_fake.headers)
    await ws.send_json_to({"type": "chat.tool_result", "request_id": "x", "conversation_id": conversation_id,
                           "mcp_servers": [], "results": [{"tool_call_id": "call_1", "run": "mcp"}]})
    error = await ws.receive_json_from()
    assert error["code"] == "bad_request" and "tools__slow_echo" in error["message"]
    assert len(mcp_fake.headers) == asked
    assert not await Message.objects.filter(role="tool").aexists()
    await ws.disconnect()


async def test_a_tool_of_ones_own_named_like_an_mcp_tool_is_refused(alice, provider, openai_fake, tools_server):
    own = {"type": "function", "function": {"name": "tools__broken", "parameters": {"type": "object"}}}
    ws = await connect(alice)
    await ws.send_json_to(send_frame("Use the tool", mcp_servers=["tools"], tools=[own]))
    error = await ws.receive_json_from()
    assert error["code"] == "bad_request" and "'tools__broken' has the name of an MCP server's tool" in error["message"]
    assert openai_fake.chat_requests() == []
    await ws.disconnect()


async def test_a_switched_off_server_is_refused_before_anything_is_stored(alice, provider, openai_fake, tools_server):
    tools_server.enabled = False
    await tools_server.asave()
    ws = await connect(alice)
    await ws.send_json_to(send_frame("Use the tool", mcp_servers=["tools"]))
    error = await ws.receive_json_from()
    assert error["code"] == "bad_request" and "'tools' is unknown or switched off" in error["message"]
    assert not await sync_to_async(Message.objects.exists)()
    await ws.disconnect()


def test_always_allow_is_each_persons_own(tools_server, client, alice, bob):
    client.force_login(bob)
    assert client.put("/api/mcp/servers/tools/always").json()["always_allow"] is True
    assert client.get("/api/mcp/servers").json()["servers"][0]["always_allow"] is True
    client.force_login(alice)
    assert client.get("/api/mcp/servers").json()["servers"][0]["always_allow"] is False
    client.force_login(bob)
    assert client.delete("/api/mcp/servers/tools/always").json()["always_allow"] is False
    assert client.put("/api/mcp/servers/nope/always").status_code == 404


async def test_the_conversation_is_held_while_an_approved_call_runs_and_the_socket_keeps_answering(alice, provider,
                                                                                                   openai_fake, tools_server):
    ws = await connect(alice)
    conversation_id, _ = await _calls(openai_fake, ws, "tools__slow_echo", {"text": "hi", "seconds": 1.5})
    await ws.send_json_to({"type": "chat.tool_result", "request_id": "approve", "conversation_id": conversation_id,
                           "results": [{"tool_call_id": "call_1", "run": "mcp"}]})
    meanwhile = send_frame("Another thing", conversation_id=conversation_id)
    await ws.send_json_to(meanwhile)
    refused = await ws.receive_json_from(timeout=5)
    assert (refused["type"], refused["request_id"], refused["code"]) == ("error", meanwhile["request_id"], "bad_request")
    assert "already streaming" in refused["message"]
    frames = await frames_until_end(ws, "approve", timeout=20)
    assert of_type(frames, "message.created")[0]["message"]["content"] == "echo: hi"
    await ws.disconnect()
