"""A loopback server that speaks the Anthropic Messages wire format.

It checks requests the way the real API does where a wrong adapter would slip
through otherwise: headers, max_tokens, roles, alternation, tool blocks, and
extended thinking: its budget, its temperature rule, signed thinking blocks
sent back verbatim, and a tool loop whose assistant turn lacks them.
"""
import hashlib
import json

from tests.fakes.images import image_problem
from tests.fakes.script import Reply
from tests.fakes.server import FakeServer, JsonResponse, Recorded, StreamResponse

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 529: "overloaded_error"}


def sign(thinking: str) -> str:
    """The fake's signature of a thinking block: a changed block no longer matches it."""
    return "sig-" + hashlib.sha256(thinking.encode()).hexdigest()[:16]


REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"


def sse(kind: str, data: dict) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()


class AnthropicFake(FakeServer):
    """Serves GET /v1/models and POST /v1/messages (streaming or not)."""

    redacted = False  # with thinking on, add a redacted_thinking block after the thinking one

    @property
    def base_url(self) -> str:
        return self.origin

    def handle(self, request: Recorded):
        if request.method == "GET" and request.path == "/v1/models":
            return self.models_response(request)
        if request.method == "POST" and request.path == "/v1/messages":
            return self.messages_response(request)
        return self.error(404, f"Not found: {request.path}")

    # Errors -------------------------------------------------------------------------

    def error(self, status: int, message: str, headers: dict | None = None) -> JsonResponse:
        body = {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message}}
        return JsonResponse(status, body, headers)

    def error_body(self, reply: Reply, request: Recorded) -> object:
        return self.error(reply.status, self.error_text(reply, request)).body

    def sent_key(self, request: Recorded) -> str:
        return request.headers.get("x-api-key", "")


    def refusal(self, request: Recorded) -> JsonResponse | None:
        if not request.headers.get("x-api-key"):
            return self.error(401, "x-api-key header is required")
        if not request.headers.get("anthropic-version"):
            return self.error(400, "anthropic-version: header is required")
        return None

    # Routes -------------------------------------------------------------------------

    def models_response(self, request: Recorded):
        if self.replies and self.replies[0].status >= 400:
            return self.failure(self.replies.popleft(), request)
        data = [{"type": "model", "id": m, "display_name": m.replace("-", " ").title(),
                 "created_at": "2025-01-01T00:00:00Z"} for m in self.models]
        return self.refusal(request) or JsonResponse(200, {"data": data, "has_more": False,
                                                           "first_id": self.models[0], "last_id": self.models[-1]})

    def messages_response(self, request: Recorded):
        refused = self.refusal(request)
        if refused:
            return refused
        body = request.body or {}
        problem = validate(body)
        if problem:
            return self.error(400, problem)
        reply = self.next_reply()
        failed = self.failure(reply, request)
        if failed:
            return failed
        forced = (body.get("tool_choice") or {}).get("name") if (body.get("tool_choice") or {}).get("type") == "tool" else None
        self.thinks = (body.get("thinking") or {}).get("type") == "enabled"
        if body.get("stream"):
            return StreamResponse(self.sse_events(reply, body["model"], forced), "text/event-stream", reply)
        return JsonResponse(200, self.whole_reply(reply, body["model"], forced), reply=reply)

    # Rendering ------------------------------------------------------------------------

    def blocks(self, reply: Reply, forced: str | None) -> tuple[list[dict], str]:
        """(content blocks with their pieces, stop reason); a forced tool gets the reply text as its input."""
        if forced:
            return [{"type": "tool_use", "id": "toolu_forced", "name": forced, "pieces": reply.text}], "tool_use"
        blocks = []
        if getattr(self, "thinks", False) and reply.reasoning:
            blocks.append({"type": "thinking", "pieces": reply.reasoning, "signature": sign(reply.thought)})
            if self.redacted:
                blocks.append({"type": "redacted_thinking", "data": REDACTED})
        blocks += [{"type": "text", "pieces": reply.text}] if reply.text else []
        blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "pieces": c.pieces} for c in reply.tool_calls]
        return blocks, STOP_REASONS[reply.finish]

    def sse_events(self, reply: Reply, model: str, forced: str | None) -> list[bytes]:
        prompt, completion = reply.usage or (0, 0)
        message = {"id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": [],
                   "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": prompt, "output_tokens": 1}}
        events = [sse("message_start", {"message": message}), sse("ping", {})]
        blocks, stop_reason = self.blocks(reply, forced)
        for index, block in enumerate(blocks):
            if block["type"] == "thinking":
                start = {"type": "thinking", "thinking": "", "signature": ""}
                events.append(sse("content_block_start", {"index": index, "content_block": start}))
                events += [sse("content_block_delta", {"index": index, "delta": {"type": "thinking_delta", "thinking": p}})
                           for p in block["pieces"]]
                signature = block["signature"]
                events += [sse("content_block_delta", {"index": index, "delta": {"type": "signature_delta", "signature": s}})
                           for s in (signature[:10], signature[10:])]
            elif block["type"] == "redacted_thinking":
                events.append(sse("content_block_start", {"index": index, "content_block": block}))
            elif block["type"] == "text":
                events.append(sse("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}}))
                events += [sse("content_block_delta", {"index": index, "delta": {"type": "text_delta", "text": p}})
                           for p in block["pieces"]]
            else:
                start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
                events.append(sse("content_block_start", {"index": index, "content_block": start}))
                events += [sse("content_block_delta", {"index": index, "delta": {"type": "input_json_delta", "partial_json": p}})
                           for p in block["pieces"]]
            events.append(sse("content_block_stop", {"index": index}))
        events.append(sse("message_delta", {"delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                            "usage": {"output_tokens": completion}}))
        events.append(sse("message_stop", {}))
        return events

    def whole_reply(self, reply: Reply, model: str, forced: str | None) -> dict:
        blocks, stop_reason = self.blocks(reply, forced)
        content = [whole_block(b) for b in blocks]
        prompt, completion = reply.usage or (0, 0)
        return {"id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": content,
                "stop_reason": stop_reason, "stop_sequence": None,
                "usage": {"input_tokens": prompt, "output_tokens": completion}}


def whole_block(block: dict) -> dict:
    if block["type"] == "thinking":
        return {"type": "thinking", "thinking": "".join(block["pieces"]), "signature": block["signature"]}
    if block["type"] == "redacted_thinking":
        return block
    if block["type"] == "text":
        return {"type": "text", "text": "".join(block["pieces"])}
    return {"type": "tool_use", "id": block["id"], "name": block["name"], "input": json.loads("".join(block["pieces"]) or "{}")}


# Request validation: what the real API answers 400 to ------------------------------------


def validate(body: dict) -> str | None:
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    if not body.get("model"):
        return "model: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    return validate_messages(messages) or validate_tools(body) or validate_thinking(body)


def validate_thinking(body: dict) -> str | None:
    thinking = body.get("thinking")
    if thinking is None or thinking.get("type") == "disabled":
        return None
    budget = thinking.get("budget_tokens")
    if thinking.get("type") != "enabled" or not isinstance(budget, int):
        return "thinking: Input tag should be 'enabled' or 'disabled', with budget_tokens"
    if budget < 1024:
        return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    if body["max_tokens"] <= budget:
        return "`max_tokens` must be greater than `thinking.budget_tokens`"
    if body.get("temperature", 1) != 1:
        return "`temperature` may only be set to 1 when thinking is enabled."
    if body.get("top_p", 1) < 0.95:
        return "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled."
    if (body.get("tool_choice") or {}).get("type") in ("any", "tool"):
        return "Thinking may not be enabled when tool_choice forces tool use."
    messages = body["messages"]
    last = messages[-1]["content"]
    if len(messages) >= 2 and isinstance(last, list) and any(b.get("type") == "tool_result" for b in last):
        first = messages[-2]["content"][0] if isinstance(messages[-2]["content"], list) else {"type": "text"}
        if first.get("type") not in ("thinking", "redacted_thinking"):
            return (f"messages.{len(messages) - 2}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
                    f"`{first.get('type')}`. When `thinking` is enabled, a final `assistant` message must start with a "
                    "thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks).")
    return None


def validate_messages(messages: list) -> str | None:
    previous_role, tool_ids = None, set()
    for number, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            return (f'messages.{number}.role: Input should be \'user\' or \'assistant\' (got "{role}"; '
                    'system goes at the top level)')
        if role == previous_role:
            return f"messages: roles must alternate between \"user\" and \"assistant\" (two {role} turns at {number})"
        previous_role = role
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        if not blocks:
            return f"messages.{number}: content must not be empty"
        for block in blocks:
            problem = validate_block(block, role, tool_ids, number)
            if problem:
                return problem
    return None


def validate_block(block: dict, role: str, tool_ids: set, number: int) -> str | None:
    kind = block.get("type")
    if kind == "text" and not block.get("text"):
        return f"messages.{number}: text content blocks must be non-empty"
    if kind == "tool_use":
        if role != "assistant" or not isinstance(block.get("input"), dict) or not block.get("id"):
            return f"messages.{number}: tool_use blocks need an id and an object input, in an assistant turn"
        tool_ids.add(block["id"])
    elif kind == "tool_result":
        if role != "user" or block.get("tool_use_id") not in tool_ids:
            return f"messages.{number}: tool_result block(s) provided for an unknown tool_use id {block.get('tool_use_id')!r}"
    elif kind == "thinking":
        if role != "assistant" or block.get("signature") != sign(block.get("thinking") or ""):
            return f"messages.{number}.content: Invalid `signature` in `thinking` block"
    elif kind == "redacted_thinking":
        if role != "assistant" or block.get("data") != REDACTED:
            return f"messages.{number}.content: Invalid `data` in `redacted_thinking` block"
    elif kind == "image":
        source = block.get("source") or {}
        problem = role == "user" and source.get("type") == "base64" and image_problem(source.get("media_type"),
                                                                                    source.get("data"))
        if role != "user" or source.get("type") != "base64" or problem:
            return f"messages.{number}.content: image blocks need a base64 source in a user turn ({problem or role})"
    elif kind not in ("text", "document"):
        return f"messages.{number}: unknown content block type {kind!r}"
    return None


def validate_tools(body: dict) -> str | None:
    tools = body.get("tools") or []
    names = set()
    for tool in tools:
        if not tool.get("name") or not isinstance(tool.get("input_schema"), dict):
            return "tools: each tool needs a name and an input_schema"
        names.add(tool["name"])
    choice = body.get("tool_choice")
    if choice is not None:
        if choice.get("type") not in ("auto", "any", "tool", "none"):
            return f"tool_choice.type: unknown {choice.get('type')!r}"
        if choice["type"] == "tool" and choice.get("name") not in names:
            return f"tool_choice: no tool named {choice.get('name')!r}"
        if not tools:
            return "tool_choice may only be specified while providing tools"
    return None
