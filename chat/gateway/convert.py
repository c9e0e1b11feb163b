"""From the OpenAI chat-completions shape to the playground's, and back.

A request body becomes the websocket's Settings (through the same parser,
`chat.frames.settings_from`) plus neutral messages; a reply (a ReplyState and
its verdicts) becomes a `chat.completion` or a stream of `chat.completion.chunk`.
"""
import json
import time
import uuid

from chat.errors import BadFrame
from chat.frames import Settings, settings_from
from providers import types
from providers.types import ReasoningDelta, TextDelta, ToolCallDelta

# Passed to the websocket's parser as `params`; it refuses what it does not know (reasoning_effort: once main has it).
PARAMS = ("temperature", "top_p", "max_tokens", "stop", "seed", "presence_penalty", "frequency_penalty", "reasoning_effort")
IGNORED = {"model", "messages", "stream", "stream_options", "user", "store", "metadata", "n", "logprobs",
           "service_tier", "tools", "tool_choice", "parallel_tool_calls", "response_format",
           "max_completion_tokens", *PARAMS}
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "tool"}


def split_model(name) -> tuple[str, str]:
    """`<provider-slug>/<model-id>` (the model id may hold slashes itself)."""
    if not isinstance(name, str) or "/" not in name.strip("/"):
        raise BadFrame("`model` must be <provider>/<model> as GET /v1/models lists it.")
    provider, _, model = name.partition("/")
    return provider, model


def settings(body: dict) -> Settings:
    """The body's model and generation settings, checked by the websocket's own parser."""
    unknown = sorted(set(body) - IGNORED)
    if unknown:
        raise BadFrame(f"Unsupported field(s): {', '.join(unknown)}.")
    if body.get("n") not in (None, 1):
        raise BadFrame("`n` must be 1.")
    provider, model = split_model(body.get("model"))
    params = {name: body[name] for name in PARAMS if body.get(name) is not None}
    if body.get("max_completion_tokens") is not None:
        params["max_tokens"] = body["max_completion_tokens"]
    frame = {"provider": provider, "model": model, "params": params}
    for name in ("tools", "tool_choice", "parallel_tool_calls", "response_format"):
        if body.get(name) is not None:
            frame[name] = body[name]
    return settings_from(frame)


def _text(content, role: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list) and all(isinstance(p, dict) for p in content):
        if any(p.get("type") != "text" for p in content):
            raise BadFrame(f"Only text content is supported in {role} messages.")
        return "".join(str(p.get("text") or "") for p in content)
    raise BadFrame(f"A {role} message's content must be a string or a list of text parts.")


def _calls(raw) -> tuple[types.ToolCall, ...]:
    if not raw:
        return ()
    try:
        return tuple(types.ToolCall(c["id"], c["function"]["name"], c["function"].get("arguments") or "")
                     for c in raw)
    except (KeyError, TypeError):
        raise BadFrame("Each assistant tool call needs id and function {name, arguments}.") from None


def messages(raw) -> list[types.Message]:
    """The body's `messages` as neutral messages (a tool result gets the name of the function it answers)."""
    if not isinstance(raw, list) or not raw:
        raise BadFrame("`messages` must be a non-empty list.")
    out, names = [], {}
    for message in raw:
        role = ROLES.get(message.get("role")) if isinstance(message, dict) else None
        if role is None:
            raise BadFrame("Each message needs a role: system, developer, user, assistant or tool.")
        calls = _calls(message.get("tool_calls")) if role == "assistant" else ()
        names.update({call.id: call.name for call in calls})
        tool_call_id = message.get("tool_call_id") if role == "tool" else None
        if role == "tool" and not isinstance(tool_call_id, str):
            raise BadFrame("A tool message needs `tool_call_id`.")
        out.append(types.Message(role, _text(message.get("content"), role), calls, tool_call_id,
                                 names.get(tool_call_id) if tool_call_id else None))
    return out


# Back to the OpenAI shape -------------------------------------------------------------------------

FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "content_filter": "content_filter"}


def finish_reason(reason: str | None, has_calls: bool) -> str:
    if has_calls:
        return "tool_calls"
    return FINISH.get(reason or "stop", "stop")


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def usage(verdict_usage: dict | None) -> dict | None:
    if not verdict_usage:
        return None
    return {k: verdict_usage.get(k) or 0 for k in ("prompt_tokens", "completion_tokens", "total_tokens")}


def tool_call(call: dict) -> dict:
    return {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["arguments"]}}


def completion(cid: str, model: str, verdict: dict) -> dict:
    """The whole reply as a `chat.completion`."""
    calls = [tool_call(c) for c in verdict["tool_calls"]]
    message = {"role": "assistant", "content": verdict["content"] or (None if calls else ""), "refusal": None}
    if calls:
        message["tool_calls"] = calls
    if verdict.get("reasoning"):
        message["reasoning_content"] = verdict["reasoning"]
    return {"id": cid, "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": finish_reason(verdict["finish_reason"], bool(calls))}],
            "usage": usage(verdict["usage"])}


def chunk(cid: str, model: str, delta: dict | None, finish: str | None = None, **extra) -> bytes:
    """One server-sent event of a streamed reply."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
    body = {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": choices, **extra}
    return sse(body)


def sse(body: dict) -> bytes:
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


DONE = b"data: [DONE]\n\n"


def delta(event) -> dict | None:
    """An output event as a chunk's delta."""
    if isinstance(event, TextDelta):
        return {"content": event.text}
    if isinstance(event, ReasoningDelta):
        return {"reasoning_content": event.text}
    if isinstance(event, ToolCallDelta):
        call = {"index": event.index, "function": {"arguments": event.arguments_delta}}
        if event.id:
            call["id"], call["type"] = event.id, "function"
        if event.name:
            call["function"]["name"] = event.name
        return {"tool_calls": [call]}
    return None
