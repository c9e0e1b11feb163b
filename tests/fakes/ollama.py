"""A loopback server that speaks Ollama's native API (/api/chat as NDJSON, /api/tags).

Tool calls come whole with object arguments and no ids, as Ollama sends them.
Requests are checked: roles, object arguments on assistant tool calls, a
`tool_name` on tool results, sampling settings inside `options`, `think` as
true/false or a level. Unless asked not to think, the script's reasoning comes
in `message.thinking`; /api/show lists "thinking" for `thinking_models`.
"""
import json
from dataclasses import replace
from datetime import datetime, timezone

from tests.fakes import embeddings
from tests.fakes.images import MAGIC, image_problem
from tests.fakes.script import Reply
from tests.fakes.server import FakeServer, JsonResponse, Recorded, StreamResponse

DONE_REASONS = {"stop": "stop", "length": "length", "tool_calls": "stop"}
OPTION_FIELDS = {"temperature", "top_p", "top_k", "num_predict", "stop", "seed", "presence_penalty",
                 "frequency_penalty", "num_ctx", "repeat_penalty"}
TOP_LEVEL_FIELDS = {"model", "messages", "stream", "options", "format", "tools", "keep_alive", "think"}
GENERATE_FIELDS = {"model", "prompt", "suffix", "raw", "stream", "options", "format", "keep_alive", "images", "system",
                   "template", "context", "think"}


class OllamaFake(FakeServer):
    """Serves GET /api/tags, POST /api/chat (streaming by default, as Ollama does), /api/show and /api/embed."""

    gives_call_ids = False
    thinking_models = {"fake-model"}
    vision_models = {"fake-model-mini"}

    @property
    def base_url(self) -> str:
        return self.origin

    def handle(self, request: Recorded):
        if request.method == "GET" and request.path == "/api/tags":
            return self.tags_response(request)
        if request.method == "POST" and request.path == "/api/chat":
            return self.chat_response(request)
        if request.method == "POST" and request.path == "/api/generate":
            return self.generate_response(request)
        if request.method == "POST" and request.path == "/api/show":
            return self.show_response(request)
        if request.method == "POST" and request.path == "/api/embed":
            return self.embed_response(request)
        return JsonResponse(404, {"error": f"404 page not found: {request.path}"})

    def error_body(self, reply: Reply, request: Recorded) -> object:
        return {"error": self.error_text(reply, request)}


    def tags_response(self, request: Recorded):
        if self.replies and self.replies[0].status >= 400:
            return self.failure(self.replies.popleft(), request)
        models = [{"name": m, "model": m, "modified_at": "2025-01-01T00:00:00Z", "size": 1, "digest": "sha256:0",
                   "details": {"family": "fake", "parameter_size": "1B"}} for m in self.models]
        return JsonResponse(200, {"models": models})

    def show_response(self, request: Recorded):
        model = (request.body or {}).get("model")
        if model not in self.models:
            return JsonResponse(404, {"error": f"model '{model}' not found"})
        if model in embeddings.EMBEDDING_MODELS:
            return JsonResponse(200, {"modelfile": "", "details": {"family": "bert"}, "capabilities": ["embedding"]})
        capabilities = ["completion", "tools"] + (["thinking"] if model in self.thinking_models else []) \
            + (["vision"] if model in self.vision_models else [])
        return JsonResponse(200, {"modelfile": "", "details": {"family": "fake"}, "capabilities": capabilities})

    def embed_response(self, request: Recorded):
        body = request.body or {}
        model, texts = body.get("model"), body.get("input")
        if model not in embeddings.EMBEDDING_MODELS:
            return JsonResponse(404, {"error": f"model \"{model}\" not found, try pulling it first"})
        problem = embeddings.texts_problem(texts, model)
        if problem:
            return JsonResponse(400, {"error": problem})
        reply = self.next_reply()
        failed = self.failure(reply, request)
        if failed:
            return failed
        texts = [texts] if isinstance(texts, str) else texts
        return JsonResponse(200, {"model": model, "embeddings": [embeddings.vector(t, model) for t in texts],
                                  "total_duration": 1000, "prompt_eval_count": embeddings.tokens(texts)}, reply=reply)

    def chat_response(self, request: Recorded):
        body = request.body or {}
        problem = validate(body)
        if problem:
            return JsonResponse(400, {"error": problem})
        if body["model"] not in self.models:
            return JsonResponse(404, {"error": f"model \"{body['model']}\" not found, try pulling it first"})
        reply = self.next_reply()
        failed = self.failure(reply, request)
        if failed:
            return failed
        if body.get("think") is False:
            reply = replace(reply, reasoning=[])
        if body.get("stream", True):
            return StreamResponse(self.lines(reply, body["model"]), "application/x-ndjson", reply,
                                  malformed=b"{this is not json\n")
        return JsonResponse(200, self.final(reply, body["model"], reply.content, self.calls(reply), reply.thought),
                            reply=reply)

    def generate_response(self, request: Recorded):
        """Text completion: a string `prompt`, `raw`, sampling in `options`; the text comes as `response`."""
        body = request.body or {}
        unknown = set(body) - GENERATE_FIELDS
        if unknown or not isinstance(body.get("prompt"), str) or set(body.get("options") or {}) - OPTION_FIELDS:
            return JsonResponse(400, {"error": f"invalid generate request (unknown {sorted(unknown)} or no prompt)"})
        if body.get("model") not in self.models:
            return JsonResponse(404, {"error": f"model \"{body.get('model')}\" not found, try pulling it first"})
        reply = self.next_reply()
        failed = self.failure(reply, request)
        if failed:
            return failed
        model, now = body["model"], datetime.now(timezone.utc).isoformat()
        final = {"model": model, "created_at": now, "response": "", "done": True,
                 "done_reason": DONE_REASONS[reply.finish]}
        if reply.usage:
            final["prompt_eval_count"], final["eval_count"] = reply.usage
        if not body.get("stream", True):
            return JsonResponse(200, {**final, "response": reply.content}, reply=reply)
        lines = [{"model": model, "created_at": now, "response": piece, "done": False} for piece in reply.text] + [final]
        return StreamResponse([json.dumps(line).encode() + b"\n" for line in lines], "application/x-ndjson", reply,
                              malformed=b"{this is not json\n")

    # Rendering ------------------------------------------------------------------------

    @staticmethod
    def calls(reply: Reply) -> list[dict]:
        return [{"function": {"name": c.name, "arguments": json.loads(c.arguments or "{}")}} for c in reply.tool_calls]

    @staticmethod
    def line(model: str, content: str, **extra) -> dict:
        now = datetime.now(timezone.utc).isoformat()
        return {"model": model, "created_at": now, "message": {"role": "assistant", "content": content}, **extra}

    def final(self, reply: Reply, model: str, content: str, calls: list[dict], thinking: str = "") -> dict:
        final = self.line(model, content, done=True, done_reason=DONE_REASONS[reply.finish], total_duration=1000)
        if thinking:
            final["message"]["thinking"] = thinking
        if calls:
            final["message"]["tool_calls"] = calls
        if reply.usage:
            final["prompt_eval_count"], final["eval_count"] = reply.usage
        return final

    def lines(self, reply: Reply, model: str) -> list[bytes]:
        lines = [self.line(model, "", done=False) for _ in reply.reasoning]
        for line, piece in zip(lines, reply.reasoning):
            line["message"]["thinking"] = piece
        lines += [self.line(model, piece, done=False) for piece in reply.text]
        if reply.tool_calls:
            lines.append({**self.line(model, "", done=False)})
            lines[-1]["message"]["tool_calls"] = self.calls(reply)
        lines.append(self.final(reply, model, "", []))
        return [json.dumps(line).encode() + b"\n" for line in lines]


# Request validation: what the real server answers 400 to ----------------------------------


def validate(body: dict) -> str | None:
    if not body.get("model"):
        return "model is required"
    unknown = set(body) - TOP_LEVEL_FIELDS
    if unknown:
        return f"unknown field {sorted(unknown)[0]!r} (sampling settings go inside \"options\")"
    unknown = set(body.get("options") or {}) - OPTION_FIELDS
    if unknown:
        return f"invalid option provided: {sorted(unknown)[0]}"
    think = body.get("think")
    if think is not None and not isinstance(think, bool) and think not in ("low", "medium", "high"):
        return f"invalid think value: {think!r}; expected true, false, \"low\", \"medium\" or \"high\""
    fmt = body.get("format")
    if fmt is not None and fmt != "json" and not isinstance(fmt, dict):
        return f"invalid format: {fmt!r}; expected \"json\" or a JSON schema"
    return validate_messages(body.get("messages") or [])


def validate_messages(messages: list) -> str | None:
    called = set()
    for number, message in enumerate(messages):
        role = message.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            return f"messages[{number}]: invalid role {role!r}"
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            if not isinstance(function.get("arguments"), dict):
                return "json: cannot unmarshal string into Go struct field .messages.tool_calls.function.arguments"
            called.add(function.get("name"))
        images = message.get("images")
        if images is not None:
            if not isinstance(images, list) or not images:
                return f"messages[{number}]: images must be a list of base64 strings"
            if not all(any(image_problem(kind, data) is None for kind in MAGIC) for data in images):
                return f"messages[{number}]: invalid image input (images are base64 PNG, JPEG, WebP or GIF)"
        if role == "tool" and message.get("tool_name") not in called:
            return f"messages[{number}]: tool result names no earlier call (tool_name={message.get('tool_name')!r})"
    return None
