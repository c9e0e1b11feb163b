"""A loopback server that speaks the OpenAI chat-completions wire format.

A scripted reply's reasoning goes out the way `reasoning_field` says:
"reasoning_content" (DeepSeek, vLLM), "reasoning" (OpenRouter, LM Studio) or
"think" (inline `<think>` tags in the content, cut across deltas). Like
DeepSeek, it answers 400 to `reasoning_content` in the input.
"""
import base64
import io
import json
import time

from PIL import Image

from tests.fakes import completions, embeddings
from tests.fakes.images import data_url_problem
from tests.fakes.script import Reply, tool_call_pieces
from tests.fakes.server import FakeServer, JsonResponse, Recorded, StreamResponse

FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls"}
EFFORTS = {"none", "minimal", "low", "medium", "high"}
REASONING_KEYS = {"effort", "max_tokens", "enabled", "exclude"}


class OpenAIFake(FakeServer):
    """Serves /v1/models, /v1/chat/completions (streaming or not), /v1/completions and /v1/embeddings."""

    reasoning_field = "reasoning_content"
    # How /images/generations answers: "b64_json" (as asked), "url" (links only), "not_base64", "not_image"
    # (base64 of text), "extra" (one image more than asked for).
    images_as = "b64_json"
    supported_parameters: list | None = None  # listed with each model, as OpenRouter does
    vision_models: set | None = None  # listed with architecture.input_modalities, as OpenRouter does
    completion_models: set | None = None  # listed with a `capabilities` list naming "completion" (or "chat" only)

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def handle(self, request: Recorded):
        if request.method == "GET" and request.path.endswith("/models"):
            return self.models_response(request)
        if request.method == "POST" and request.path.endswith("/chat/completions"):
            return self.chat_response(request)
        if request.method == "POST" and request.path.endswith("/completions"):
            return self.completion_response(request)
        if request.method == "POST" and request.path.endswith("/embeddings"):
            return self.embeddings_response(request)
        if request.method == "POST" and request.path.endswith("/images/generations"):
            return self.images_response(request)
        return JsonResponse(404, {"error": {"message": f"No route {request.path}", "type": "invalid_request_error"}})


    def models_response(self, request: Recorded):
        if self.replies and self.replies[0].status >= 400:
            return self.failure(self.replies.popleft(), request)
        models = [{"id": m, "object": "model", "owned_by": "fake"} for m in self.models]
        if self.supported_parameters is not None:
            models = [{**m, "supported_parameters": self.supported_parameters} for m in models]
        if self.vision_models is not None:
            models = [{**m, "architecture": {"input_modalities": ["text", "image"] if m["id"] in self.vision_models
                                             else ["text"]}} for m in models]
        if self.completion_models is not None:
            models = [{**m, "capabilities": ["chat", "completion"] if m["id"] in self.completion_models else ["chat"]}
                      for m in models]
        return JsonResponse(200, {"object": "list", "data": models})

    def chat_response(self, request: Recorded):
        problem = validate(request.body or {})
        if problem:
            return JsonResponse(400, {"error": {"message": problem, "type": "invalid_request_error"}})
        reply = self.next_reply()
        failed = self.failure(reply, request)
        if failed:
            return failed
        body = request.body or {}
        if body.get("stream"):
            include_usage = (body.get("stream_options") or {}).get("include_usage", False)
            return StreamResponse(self.sse_events(reply, body.get("model", ""), include_usage), "text/event-stream", reply)
        return JsonResponse(200, self.whole_reply(reply, body.get("model", "")), reply=reply)

    def completion_response(self, request: Recorded):
        problem = completions.problem(request.body or {})
        if problem:
            return JsonResponse(400, {"error": {"message": problem, "type": "invalid_request_error"}})
        reply = self.next_reply()
        failed = self.failure(reply, request)
        if failed:
            return failed
        return completions.response(self, request.body, reply)

    def embeddings_response(self, request: Recorded):
        """The vectors by `index`, listed last first: the index, not the order, says which text each is for."""
        body = request.body or {}
        texts, model = body.get("input"), body.get("model", "")
        problem = embeddings.texts_problem(texts, model)
        if body.get("encoding_format", "float") not in ("float", "base64"):
            problem = "encoding_format must be float or base64"
        size = body.get("dimensions")
        if size is not None and not (isinstance(size, int) and 0 < size <= embeddings.EMBEDDING_MODELS.get(model, 0)):
            problem = f"dimensions must be 1 to the model's size, not {size!r}"
        if problem:
            return JsonResponse(400, {"error": {"message": problem, "type": "invalid_request_error"}})
        reply = self.next_reply()
        failed = self.failure(reply, request)
        if failed:
            return failed
        texts = [texts] if isinstance(texts, str) else texts
        data = [{"object": "embedding", "index": i, "embedding": embeddings.vector(t, model)[:size]}
                for i, t in enumerate(texts)]
        count = embeddings.tokens(texts)
        return JsonResponse(200, {"object": "list", "data": data[::-1], "model": model,
                                  "usage": {"prompt_tokens": count, "total_tokens": count}}, reply=reply)

    def images_response(self, request: Recorded):
        body = request.body or {}
        problem = validate_images(body)
        if problem:
            return JsonResponse(400, {"error": {"message": problem, "type": "invalid_request_error"}})
        reply = self.next_reply()
        failed = self.failure(reply, request)
        if failed:
            return failed
        count = body.get("n", 1) + (1 if self.images_as == "extra" else 0)
        size = body.get("size") or "1024x1024"
        items = [self.image_item(size if size != "auto" else "1024x1024", number) for number in range(count)]
        return JsonResponse(200, {"created": int(time.time()), "data": items}, reply=reply)

    def image_item(self, size: str, number: int) -> dict:
        if self.images_as == "url":
            return {"url": f"{self.origin}/files/image-{number}.png"}
        if self.images_as == "not_base64":
            return {"b64_json": "this is not base64!"}
        if self.images_as == "not_image":
            return {"b64_json": base64.b64encode(b"plain text, not an image").decode()}
        width, height = (int(side) for side in size.split("x"))
        out = io.BytesIO()
        Image.new("RGB", (width, height), ((60 * number) % 256, 120, 200)).save(out, format="PNG")
        return {"b64_json": base64.b64encode(out.getvalue()).decode(), "revised_prompt": "a revised prompt"}

    def sse_events(self, reply: Reply, model: str, include_usage: bool) -> list[bytes]:
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

        def event(delta: dict, finish: str | None = None, **extra) -> bytes:
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return b"data: " + json.dumps(chunk).encode() + b"\n\n"

        events = [event({"role": "assistant", "content": ""})]
        if self.reasoning_field == "think" and reply.reasoning:
            inline = f"<think>{reply.thought}</think>{reply.content}"
            events += [event({"content": inline[i:i + 5]}) for i in range(0, len(inline), 5)]
        else:
            events += [event({self.reasoning_field: piece, "content": None}) for piece in reply.reasoning]
            events += [event({"content": piece}) for piece in reply.text]
        for index, call, n in tool_call_pieces(reply.tool_calls, reply.interleave):
            piece = {"index": index, "function": {"arguments": call.pieces[n]}}
            if n == 0:
                piece.update(id=call.id, type="function")
                piece["function"]["name"] = call.name
            events.append(event({"tool_calls": [piece]}))
        events.append(event({}, FINISH[reply.finish]))
        if include_usage and reply.usage:
            usage = self.usage(reply)
            events.append(b"data: " + json.dumps({**base, "choices": [], "usage": usage}).encode() + b"\n\n")
        events.append(b"data: [DONE]\n\n")
        return events

    def whole_reply(self, reply: Reply, model: str) -> dict:
        message: dict = {"role": "assistant", "content": reply.content or None}
        if self.reasoning_field == "think" and reply.reasoning:
            message["content"] = f"<think>{reply.thought}</think>{reply.content}"
        elif reply.reasoning:
            message[self.reasoning_field] = reply.thought
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in reply.tool_calls
            ]
        result = {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
                  "choices": [{"index": 0, "message": message, "finish_reason": FINISH[reply.finish]}]}
        if reply.usage:
            result["usage"] = self.usage(reply)
        return result

    @staticmethod
    def usage(reply: Reply) -> dict:
        prompt, completion = reply.usage
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        if reply.reasoning_tokens is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": reply.reasoning_tokens}
        return usage


# Request validation: what the real APIs answer 400 to ----------------------------------------


def validate_content(message: dict, number: int) -> str | None:
    """A message's content: a string, or (user messages) a list of text and image_url parts."""
    content = message.get("content")
    if not isinstance(content, list):
        return None
    if message.get("role") != "user":
        return f"messages[{number}]: image content parts are only allowed in user messages"
    for n, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        if kind != "image_url" or not isinstance(part.get("image_url"), dict):
            return f"messages[{number}].content[{n}]: expected a text or image_url part"
        problem = data_url_problem(part["image_url"].get("url"))
        if problem:
            return f"messages[{number}].content[{n}].image_url: {problem}"
    return None


def validate(body: dict) -> str | None:
    for number, message in enumerate(body.get("messages") or []):
        if "reasoning_content" in message:
            return (f"messages[{number}]: reasoning_content is not allowed in the input messages; "
                    "remove it before sending the next turn")
        problem = validate_content(message, number)
        if problem:
            return problem
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in EFFORTS:
        return f"Invalid value for 'reasoning_effort': {effort!r}"
    reasoning = body.get("reasoning")
    if reasoning is not None and (not isinstance(reasoning, dict) or set(reasoning) - REASONING_KEYS
                                  or {"effort", "max_tokens"} <= set(reasoning)):
        return "reasoning: an object with effort or max_tokens (not both), enabled and exclude"
    return None


IMAGE_SIZES = {"256x256", "512x512", "1024x1024", "1536x1024", "1024x1536", "1792x1024", "1024x1792", "auto"}


def validate_images(body: dict) -> str | None:
    """What OpenAI's /images/generations answers 400 to."""
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return "'prompt' is a required property"
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10:
        return f"Invalid 'n': {n!r}; it must be between 1 and 10"
    if body.get("size", "1024x1024") not in IMAGE_SIZES:
        return f"Invalid value for 'size': {body.get('size')!r}. Supported values are: {', '.join(sorted(IMAGE_SIZES))}"
    if body.get("response_format", "url") not in ("url", "b64_json"):
        return f"Invalid value for 'response_format': {body.get('response_format')!r}"
    return None
