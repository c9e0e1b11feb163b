"""A loopback server that speaks the OpenAI Responses wire format (POST /v1/responses).

It refuses what the real API answers 400 to, with the real API's wording where a
wrong adapter would slip through otherwise: unknown parameters (`messages`,
`max_tokens`, `stop`...), unknown input item types, content parts of the wrong
kind for a role, a `function_call_output` whose `call_id` no earlier
`function_call` has, tools in the chat-completions shape, a reasoning item that
cannot be found without its encrypted content. It also refuses `store` other
than false: the playground promises to be stateless, so the fake holds it to that.

A Reply's optional `reasoning` (a list of summary pieces) is streamed as a
reasoning item before the answer.
"""
import json

from tests.fakes.images import data_url_problem
from tests.fakes.openai import OpenAIFake
from tests.fakes.script import Reply, tool_call_pieces
from tests.fakes.server import JsonResponse, Recorded, StreamResponse

PARAMETERS = {"model", "input", "instructions", "store", "stream", "temperature", "top_p", "max_output_tokens",
              "tools", "tool_choice", "parallel_tool_calls", "text", "reasoning", "include", "metadata", "user",
              "truncation", "previous_response_id", "background", "service_tier", "top_logprobs", "prompt_cache_key"}
PARTS = {"user": {"input_text", "input_image", "input_file"}, "system": {"input_text"}, "developer": {"input_text"},
         "assistant": {"output_text", "refusal"}}
ITEM_TYPES = ("message", "function_call", "function_call_output", "reasoning", "item_reference")
SIGNATURE = "enc-reasoning-signature"  # the encrypted content of every reasoning item this fake sends


class Invalid(Exception):
    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.message, self.param = message, param


def sse(kind: str, **data) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()


class ResponsesFake(OpenAIFake):
    """Serves GET /v1/models, POST /v1/responses (streaming or not) and /v1/embeddings (as OpenAI does)."""

    def handle(self, request: Recorded):
        if request.method == "GET" and request.path == "/v1/models":
            return self.models_response(request)
        if request.method == "POST" and request.path == "/v1/responses":
            return self.responses_response(request)
        if request.method == "POST" and request.path == "/v1/embeddings":
            return self.embeddings_response(request)
        if request.method == "POST" and request.path == "/v1/completions":  # the servers' text completion
            return self.completion_response(request)
        return self.error(404, f"Invalid URL (POST {request.path})")

    def error(self, status: int, message: str, param: str | None = None) -> JsonResponse:
        return JsonResponse(status, {"error": {"message": message, "type": "invalid_request_error", "param": param,
                                               "code": None}})

    def responses_response(self, request: Recorded):
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return self.error(401, "You didn't provide an API key.")
        body = request.body or {}
        try:
            validate(body)
        except Invalid as problem:
            return self.error(400, problem.message, problem.param)
        reply = self.next_reply()
        failed = self.failure(reply, request)
        if failed:
            return failed
        if body.get("stream"):
            return StreamResponse(self.sse_events(reply, body), "text/event-stream", reply)
        return JsonResponse(200, self.response(reply, body, self.output(reply, body)), reply=reply)

    # Rendering ------------------------------------------------------------------------

    @staticmethod
    def output(reply: Reply, body: dict) -> list[dict]:
        """The finished output items of a reply (text pieces joined)."""
        items = []
        if getattr(reply, "reasoning", None):
            items.append(reasoning_item("".join(reply.reasoning), body))
        if reply.text:
            items.append({"type": "message", "id": "msg_fake", "status": "completed", "role": "assistant",
                          "content": [{"type": "output_text", "text": reply.content, "annotations": []}]})
        items += [{"type": "function_call", "id": f"fc_{n}", "call_id": c.id, "name": c.name, "arguments": c.arguments,
                   "status": "completed"} for n, c in enumerate(reply.tool_calls)]
        return items

    def response(self, reply: Reply, body: dict, output: list[dict]) -> dict:
        response = {"id": "resp_fake", "object": "response", "created_at": 1767225600, "model": body.get("model"),
                    "status": "completed", "error": None, "incomplete_details": None, "output": output,
                    "store": False, "usage": None}
        if reply.finish == "length":
            response.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
        if reply.usage:
            prompt, completion = reply.usage
            response["usage"] = {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0},
                                 "output_tokens": completion,
                                 "output_tokens_details": {"reasoning_tokens": getattr(reply, "reasoning_tokens", 0)},
                                 "total_tokens": prompt + completion}
        return response

    def sse_events(self, reply: Reply, body: dict) -> list[bytes]:
        """created, in_progress, then each item; text deltas start at the fifth event (the fault matrix counts on it)."""
        output = self.output(reply, body)
        started = {**self.response(reply, body, []), "status": "in_progress", "usage": None}
        events = [sse("response.created", response=started), sse("response.in_progress", response=started)]
        for index, item in enumerate(output):
            if item["type"] == "reasoning":
                events += self.reasoning_events(index, item, reply.reasoning)
            elif item["type"] == "message":
                events += self.message_events(index, item, reply.text)
        calls = [item for item in output if item["type"] == "function_call"]
        first = len(output) - len(calls)
        for index, call in enumerate(calls):
            events.append(sse("response.output_item.added", output_index=first + index,
                              item={**call, "arguments": "", "status": "in_progress"}))
        for index, call, n in tool_call_pieces(reply.tool_calls, reply.interleave):
            events.append(sse("response.function_call_arguments.delta", item_id=f"fc_{index}",
                              output_index=first + index, delta=call.pieces[n]))
        for index, call in enumerate(calls):
            events.append(sse("response.function_call_arguments.done", item_id=call["id"], output_index=first + index,
                              arguments=call["arguments"]))
            events.append(sse("response.output_item.done", output_index=first + index, item=call))
        final = self.response(reply, body, output)
        events.append(sse(f"response.{'incomplete' if final['status'] == 'incomplete' else 'completed'}",
                          response=final))
        return events

    @staticmethod
    def message_events(index: int, item: dict, pieces: list[str]) -> list[bytes]:
        part = {"type": "output_text", "text": "", "annotations": []}
        events = [sse("response.output_item.added", output_index=index,
                      item={**item, "status": "in_progress", "content": []}),
                  sse("response.content_part.added", item_id=item["id"], output_index=index, content_index=0, part=part)]
        events += [sse("response.output_text.delta", item_id=item["id"], output_index=index, content_index=0, delta=p)
                   for p in pieces]
        text = "".join(pieces)
        return events + [
            sse("response.output_text.done", item_id=item["id"], output_index=index, content_index=0, text=text),
            sse("response.content_part.done", item_id=item["id"], output_index=index, content_index=0,
                part={**part, "text": text}),
            sse("response.output_item.done", output_index=index, item=item)]

    @staticmethod
    def reasoning_events(index: int, item: dict, pieces: list[str]) -> list[bytes]:
        ids = {"item_id": item["id"], "output_index": index, "summary_index": 0}
        events = [sse("response.output_item.added", output_index=index, item={**item, "summary": []}),
                  sse("response.reasoning_summary_part.added", **ids, part={"type": "summary_text", "text": ""})]
        events += [sse("response.reasoning_summary_text.delta", **ids, delta=p) for p in pieces]
        return events + [sse("response.reasoning_summary_text.done", **ids, text="".join(pieces)),
                         sse("response.output_item.done", output_index=index, item=item)]


def reasoning_item(summary: str, body: dict) -> dict:
    item = {"type": "reasoning", "id": "rs_fake", "summary": [{"type": "summary_text", "text": summary}]}
    if "reasoning.encrypted_content" in (body.get("include") or ()):
        item["encrypted_content"] = SIGNATURE
    return item


# Request validation: what the real API answers 400 to ------------------------------------


def validate(body: dict) -> None:
    for name in body:
        if name not in PARAMETERS:
            raise Invalid(f"Unknown parameter: '{name}'.", name)
    for name in ("model", "input"):
        if not body.get(name):
            raise Invalid(f"Missing required parameter: '{name}'.", name)
    if body.get("store") is not False:
        raise Invalid("This fake requires store: false (the playground sends the whole history every turn).", "store")
    if not isinstance(body["input"], (str, list)):
        raise Invalid("Invalid type for 'input': expected a string or an array.", "input")
    if isinstance(body["input"], list):
        validate_items(body["input"])
    validate_tools(body)
    validate_text(body.get("text"))


def validate_items(items: list) -> None:
    calls = set()
    for number, item in enumerate(items):
        where = f"input[{number}]"
        kind = item.get("type", "message" if "role" in item else None)
        if kind not in ITEM_TYPES:
            supported = ", ".join(f"'{t}'" for t in ITEM_TYPES)
            raise Invalid(f"Invalid value: '{kind}'. Supported values are: {supported}.", f"{where}.type")
        if kind == "message":
            validate_message(item, where)
        elif kind == "function_call":
            for field in ("call_id", "name", "arguments"):
                if not isinstance(item.get(field), str) or (field != "arguments" and not item[field]):
                    raise Invalid(f"Missing required parameter: '{where}.{field}'.", f"{where}.{field}")
            calls.add(item["call_id"])
        elif kind == "function_call_output":
            if item.get("call_id") not in calls:
                raise Invalid(f"No tool call found for function call output with call_id {item.get('call_id')}.",
                              where)
            if not isinstance(item.get("output"), (str, list)):
                raise Invalid(f"Invalid type for '{where}.output': expected a string.", f"{where}.output")
        elif kind == "reasoning" and not item.get("encrypted_content"):
            raise Invalid(f"Item with id '{item.get('id')}' not found. Items are not persisted when `store` is set "
                          "to false. Try again with `store` set to true, or remove this item from your input.", where)


def validate_message(item: dict, where: str) -> None:
    role = item.get("role")
    if role not in PARTS:
        raise Invalid(f"Invalid value: '{role}'. Supported values are: 'user', 'assistant', 'system', and "
                      "'developer'.", f"{where}.role")
    content = item.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise Invalid(f"Invalid type for '{where}.content': expected one of a string or array.", f"{where}.content")
    for n, part in enumerate(content):
        if part.get("type") not in PARTS[role]:
            supported = " and ".join(f"'{t}'" for t in sorted(PARTS[role]))
            raise Invalid(f"Invalid value: '{part.get('type')}'. Supported values are: {supported}.",
                          f"{where}.content[{n}].type")
        if part["type"] == "input_image":
            problem = data_url_problem(part.get("image_url"))
            if problem:
                raise Invalid(f"Invalid 'image_url': {problem}.", f"{where}.content[{n}].image_url")
        if part["type"] in ("input_text", "output_text") and not isinstance(part.get("text"), str):
            raise Invalid(f"Missing required parameter: '{where}.content[{n}].text'.", f"{where}.content[{n}].text")


def validate_tools(body: dict) -> None:
    names = set()
    for n, tool in enumerate(body.get("tools") or []):
        if tool.get("type") != "function":
            raise Invalid(f"Invalid value: '{tool.get('type')}'. This fake knows function tools only.", f"tools[{n}].type")
        if not tool.get("name"):
            raise Invalid(f"Missing required parameter: 'tools[{n}].name'.", f"tools[{n}].name")
        if tool.get("strict", True) and (tool.get("parameters") or {}).get("additionalProperties") is not False:
            raise Invalid(f"Invalid schema for function '{tool['name']}': In context=(), 'additionalProperties' is "
                          "required to be supplied and to be false.", f"tools[{n}].parameters")
        names.add(tool["name"])
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        if choice.get("type") != "function" or choice.get("name") not in names:
            raise Invalid(f"Tool choice '{choice.get('name')}' not found in 'tools' parameter.", "tool_choice")
    elif choice is not None and choice not in ("auto", "none", "required"):
        raise Invalid(f"Invalid value: '{choice}'. Supported values are: 'none', 'auto', and 'required'.", "tool_choice")


def validate_text(text) -> None:
    if text is None:
        return
    fmt = text.get("format") or {"type": "text"}
    if fmt.get("type") not in ("text", "json_object", "json_schema"):
        raise Invalid(f"Invalid value: '{fmt.get('type')}'.", "text.format.type")
    if fmt["type"] == "json_schema":
        for field in ("name", "schema"):
            if not fmt.get(field):
                raise Invalid(f"Missing required parameter: 'text.format.{field}'.", f"text.format.{field}")
        if fmt.get("strict") and fmt["schema"].get("additionalProperties") is not False:
            raise Invalid(f"Invalid schema for response_format '{fmt['name']}': In context=(), 'additionalProperties' "
                          "is required to be supplied and to be false.", "text.format.schema")
