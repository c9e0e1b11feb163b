"""Answering a model's MCP tool calls the user approved (or denied) in a `chat.tool_result` frame.

A result `{tool_call_id, run: "mcp"}` runs the call on its server; `{tool_call_id, run: "deny"}` answers it
with DENIED. Each becomes an ordinary `{tool_call_id, content}` result, so the turn then goes on exactly as
for a result a person typed (chat.turns.tool_results). Whatever goes wrong (bad arguments, a timeout, a
server that is down or a tool that fails) is said in the content, which the model is sent.
"""
import asyncio
from dataclasses import dataclass

from django.conf import settings

from chat.access import writable_conversation
from chat.errors import Refused
from chat.history import Tree
from chat.mcp import catalog
from chat.mcp.client import McpError, call_tool
from chat.models import Message
from chat.validation import validate_json_text

DENIED = "The user denied this tool call; it was not run."


def wanted(frame: dict) -> bool:
    """Whether a tool-result frame asks the server to run (or deny) any call."""
    return any("run" in result for result in frame["results"])


@dataclass
class Approved:
    result: dict  # the frame's item
    call: dict  # the model's call: id, name, arguments
    found: catalog.Call | None  # None when denied
    headers: dict


def approved(user, frame: dict) -> list[Approved]:
    """The calls the frame runs or denies, checked against the assistant message it answers (ORM; off the loop)."""
    conversation = writable_conversation(user, frame["conversation_id"])
    tree = Tree.load(conversation.pk)
    parent = tree.get(tree.latest_id if frame.get("parent_id") is None else frame["parent_id"])
    calls = {c["id"]: c for c in (parent.tool_calls if parent and parent.role == Message.ASSISTANT else [])}
    servers = frame["settings"].merged_over(conversation.settings).mcp_servers  # those the conversation uses
    chosen = []
    for result in frame["results"]:
        if "run" not in result:
            continue
        call = calls.get(result["tool_call_id"])
        if call is None:
            raise Refused("bad_request", f"No pending tool call {result['tool_call_id']!r} in this conversation.")
        found = catalog.find(call["name"], servers) if result["run"] == "mcp" else None
        if result["run"] == "mcp" and found is None:
            raise Refused("bad_request", f"{call['name'][:80]!r} is not a tool of an MCP server this conversation uses.")
        chosen.append(Approved(result, call, found, found.server.headers() if found else {}))
    return chosen


async def _answer(item: Approved, timeout: float) -> str:
    if item.found is None:
        return DENIED
    tool = item.found.tool
    checked = validate_json_text(item.call.get("arguments") or "{}", tool.get("input_schema") or None)
    if not checked["valid"]:
        problems = "; ".join(f"{e['path']}: {e['message']}" for e in checked["errors"][:5])
        return f"Error: the tool {tool['name']} was not run: its arguments are invalid ({problems})."
    try:
        text, failed = await call_tool(item.found.server, item.headers, tool["name"], checked["value"] or {}, timeout)
    except McpError as error:
        return f"Error: {error}"
    return f"Error: the tool {tool['name']} failed: {text}" if failed else text


async def run(items: list[Approved]) -> dict[str, str]:
    """tool_call_id → the content of its tool message, the calls run side by side."""
    timeout = settings.PLAYGROUND_MCP_TIMEOUT_SECONDS
    answers = await asyncio.gather(*(_answer(item, timeout) for item in items))
    return {item.call["id"]: answer for item, answer in zip(items, answers)}


def answered(frame: dict, contents: dict[str, str]) -> dict:
    """The frame with every run or denied call answered by its content, ready for turns.tool_results."""
    results = [r if "run" not in r else {"tool_call_id": r["tool_call_id"], "content": contents[r["tool_call_id"]]}
               for r in frame["results"]]
    return {**frame, "results": results}
