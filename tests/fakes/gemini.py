"""A loopback server that speaks the Google Gemini (v1beta) wire format.

Function calls come whole and without ids, as Gemini sends them. Requests are
checked the way the real API does: roles user/model only, functionResponse
parts with a name and an object, one response per call of the previous turn.

Models in `thinking_models` think: asked with includeThoughts they stream the
script's reasoning as thought parts, sign their answer's first text part, and
report thoughtsTokenCount; any other model answers 400 to a thinkingConfig.
"""
import hashlib
import json
import re

from tests.fakes import embeddings
from tests.fakes.images import image_problem
from tests.fakes.script import Reply
from tests.fakes.server import FakeServer, JsonResponse, Recorded, StreamResponse

FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP"}
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
GENERATION_FIELDS = {"temperature", "topP", "topK", "maxOutputTokens", "stopSequences", "seed", "presencePenalty",
                     "frequencyPenalty", "responseMimeType", "responseSchema", "responseJsonSchema", "candidateCount",
                     "thinkingConfig"}
THINKING_FIELDS = {"thinkingBudget": int, "includeThoughts": bool, "thinkingLevel": str}
ROUTE = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):(?P<method>streamGenerateContent|generateContent)$")
EMBED_ROUTE = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):(?P<method>embedContent|batchEmbedContents)$")


class GeminiFake(FakeServer):
    """Serves GET /v1beta/models and POST /v1beta/models/{model}:(stream)generateContent, :embedContent and
    :batchEmbedContents."""

    gives_call_ids = False
    thinking_models = {"fake-model"}

    @property
    def base_url(self) -> str:
        return self.origin

    def handle(self, request: Recorded):
        route = ROUTE.match(request.path)
        if request.method == "GET" and request.path == "/v1beta/models":
            return self.models_response(request)
        if request.method == "POST" and route:
            return self.generate_response(request, route["method"] == "streamGenerateContent")
        embed = EMBED_ROUTE.match(request.path)
        if request.method == "POST" and embed:
            return self.embed_response(request, embed["model"], embed["method"] == "batchEmbedContents")
        return self.error(404, f"Not found: {request.path}")

    # Errors -------------------------------------------------------------------------

    def error(self, status: int, message: str, headers: dict | None = None) -> JsonResponse:
        body = {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}
        return JsonResponse(status, body, headers)

    def error_body(self, reply: Reply, request: Recorded) -> object:
        return self.error(reply.status, self.error_text(reply, request)).body

    def sent_key(self, request: Recorded) -> str:
        return request.headers.get("x-goog-api-key", "")


    # Routes -------------------------------------------------------------------------

    def models_response(self, request: Recorded):
        if self.replies and self.replies[0].status >= 400:
            return self.failure(self.replies.popleft(), request)
        if not self.sent_key(request):
            return self.error(403, "Method doesn't allow unregistered callers. Please use an API key.")
        models = [{"name": f"models/{m}", "displayName": m.title(), "inputTokenLimit": 1048576, "outputTokenLimit": 8192,
                   "supportedGenerationMethods": ["generateContent", "countTokens"], "thinking": m in self.thinking_models}
                  for m in self.models]
        models += [{"name": f"models/{m}", "displayName": m.title(), "supportedGenerationMethods": ["embedContent"]}
                   for m in embeddings.EMBEDDING_MODELS]
        models.append({"name": "models/aqa", "supportedGenerationMethods": ["generateAnswer"]})
        return JsonResponse(200, {"models": models})

    def generate_response(self, request: Recorded, stream: bool):
        if not self.sent_key(request):
            return self.error(403, "Method doesn't allow unregistered callers. Please use an API key.")
        if stream and request.query.get("alt") != ["sse"]:
            return self.error(400, "This fake streams only as server-sent events: add ?alt=sse")
        body = request.body or {}
        problem = validate(body)
        model = ROUTE.match(request.path)["model"]
        thinking = (body.get("generationConfig") or {}).get("thinkingConfig")
        if not problem and thinking is not None and model not in self.thinking_models:
            problem = "Thinking is not supported for this model."
        if problem:
            return self.error(400, problem)
        reply = self.next_reply()
        failed = self.failure(reply, request)
        if failed:
            return failed
        self.thinks = model in self.thinking_models and (thinking or {}).get("thinkingBudget") != 0
        self.shows_thoughts = self.thinks and bool((thinking or {}).get("includeThoughts"))
        if stream:
            return StreamResponse(self.sse_events(reply), "text/event-stream", reply)
        return JsonResponse(200, self.chunk(self.all_parts(reply), reply, final=True), reply=reply)

    def embed_response(self, request: Recorded, model: str, batch: bool):
        """{embedding: {values}} for one content; {embeddings: [{values}]} for a batch, whose requests name the model."""
        if not self.sent_key(request):
            return self.error(403, "Method doesn't allow unregistered callers. Please use an API key.")
        body = request.body or {}
        requests = body.get("requests") if batch else [{"model": f"models/{model}", "content": body.get("content")}]
        if not isinstance(requests, list) or not requests:
            return self.error(400, "* BatchEmbedContentsRequest.requests: must not be empty")
        texts, problem = [], None
        for number, item in enumerate(requests):
            if item.get("model") != f"models/{model}":
                problem = f"* BatchEmbedContentsRequest.requests[{number}].model: does not match models/{model}"
            parts = (item.get("content") or {}).get("parts")
            if not isinstance(parts, list) or not parts or not all(isinstance(p.get("text"), str) for p in parts):
                problem = problem or f"requests[{number}].content.parts: expected text parts"
            else:
                texts.append(" ".join(p["text"] for p in parts))
        problem = problem or embeddings.texts_problem(texts, model)
        if problem:
            return self.error(400, problem)
        reply = self.next_reply()
        failed = self.failure(reply, request)
        if failed:
            return failed
        values = [{"values": embeddings.vector(text, model)} for text in texts]
        return JsonResponse(200, {"embeddings": values} if batch else {"embedding": values[0]}, reply=reply)

    # Rendering ------------------------------------------------------------------------

    @staticmethod
    def call_parts(reply: Reply) -> list[dict]:
        # Like thinking models, every call is signed; the signature must be sent back with it.
        return [{"functionCall": {"name": c.name, "args": json.loads(c.arguments or "{}")},
                 "thoughtSignature": signature(c.name)} for c in reply.tool_calls]

    def thought_parts(self, reply: Reply) -> list[dict]:
        return [{"text": piece, "thought": True} for piece in reply.reasoning] if self.shows_thoughts else []

    def text_parts(self, reply: Reply, pieces: list[str]) -> list[dict]:
        """The answer's parts; a thinking model signs the first one (when it makes no call)."""
        parts = [{"text": piece} for piece in pieces]
        if parts and self.thinks and reply.reasoning and not reply.tool_calls:
            parts[0]["thoughtSignature"] = text_signature(reply.content)
        return parts

    def all_parts(self, reply: Reply) -> list[dict]:
        thoughts = [{"text": reply.thought, "thought": True}] if self.shows_thoughts and reply.reasoning else []
        return thoughts + self.text_parts(reply, [reply.content] if reply.text else []) + self.call_parts(reply)

    def chunk(self, parts: list[dict], reply: Reply, final: bool) -> dict:
        candidate: dict = {"content": {"role": "model", "parts": parts}, "index": 0}
        result: dict = {"candidates": [candidate], "modelVersion": "fake-model", "responseId": "resp-fake"}
        if final:
            candidate["finishReason"] = FINISH[reply.finish]
            if reply.usage:
                prompt, completion = reply.usage
                thoughts = reply.reasoning_tokens if getattr(self, "thinks", False) else None
                result["usageMetadata"] = {"promptTokenCount": prompt, "candidatesTokenCount": completion - (thoughts or 0),
                                           "totalTokenCount": prompt + completion}
                if thoughts is not None:
                    result["usageMetadata"]["thoughtsTokenCount"] = thoughts
        return result

    def sse_events(self, reply: Reply) -> list[bytes]:
        chunks = [self.chunk([part], reply, final=False) for part in self.thought_parts(reply)]
        chunks += [self.chunk([part], reply, final=False) for part in self.text_parts(reply, reply.text)]
        if reply.tool_calls:
            chunks.append(self.chunk(self.call_parts(reply), reply, final=False))
        chunks.append(self.chunk([{"text": ""}], reply, final=True))
        return [b"data: " + json.dumps(c).encode() + b"\r\n\r\n" for c in chunks]


# Request validation: what the real API answers 400 to ------------------------------------


def validate(body: dict) -> str | None:
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return "* GenerateContentRequest.contents: contents is not specified"
    calls_before = 0
    for number, content in enumerate(contents):
        if content.get("role") not in ("user", "model"):
            return f"Please use a valid role: user, model. (contents[{number}].role = {content.get('role')!r})"
        parts = content.get("parts") or []
        if not parts:
            return f"* GenerateContentRequest.contents[{number}].parts: contents.parts must not be empty."
        problem = validate_parts(parts, number)
        if problem:
            return problem
        responses = sum(1 for p in parts if "functionResponse" in p)
        if responses and responses != calls_before:
            return ("Please ensure that the number of function response parts is equal to the number of "
                    "function call parts of the function call turn.")
        calls_before = sum(1 for p in parts if "functionCall" in p)
    return validate_config(body)


SKIP = "skip_thought_signature_validator"  # Google's stand-in for calls no Gemini model made


def signature(name: str) -> str:
    return f"sig-{name}"


def text_signature(text: str) -> str:
    return "sig-text-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def validate_parts(parts: list, number: int) -> str | None:
    for part in parts:
        data = set(part) - {"thoughtSignature"}
        if len(data) != 1 and not data <= {"text", "thought"}:
            return f"contents[{number}]: a part holds exactly one kind of data, got {sorted(part)}"
        signed = part.get("thoughtSignature") in (signature(part.get("functionCall", {}).get("name")), SKIP)
        if "functionCall" in part and not signed:
            return f"Function call is missing a thought_signature in functionCall parts (contents[{number}])."
        if "text" in part and "thoughtSignature" in part and part["thoughtSignature"] != text_signature(part["text"]):
            return f"Corrupted thought signature (contents[{number}])."
        if "functionResponse" in part:
            response = part["functionResponse"]
            if not response.get("name") or not isinstance(response.get("response"), dict):
                return f"* contents[{number}].parts.function_response: name and an object response are required"
        if "inline_data" in part or "inlineData" in part:
            blob = part.get("inline_data") or part.get("inlineData") or {}
            problem = image_problem(blob.get("mime_type") or blob.get("mimeType"), blob.get("data"))
            if problem:
                return f"* contents[{number}].parts.inline_data: {problem}"
        if "functionCall" in part and not isinstance(part["functionCall"].get("args", {}), dict):
            return f"* contents[{number}].parts.function_call.args: must be an object"
    return None


def validate_config(body: dict) -> str | None:
    config = body.get("generationConfig") or {}
    unknown = set(config) - GENERATION_FIELDS
    if unknown:
        return f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}" at \'generation_config\''
    for name, value in (config.get("thinkingConfig") or {}).items():
        if name not in THINKING_FIELDS or isinstance(value, bool) is not (THINKING_FIELDS[name] is bool) \
                or not isinstance(value, THINKING_FIELDS[name]):
            return f'Invalid JSON payload received. Unknown name or bad value "{name}" at \'generation_config.thinking_config\''
    if ("responseJsonSchema" in config or "responseSchema" in config) and config.get("responseMimeType") != "application/json":
        return "* GenerationConfig.response_mime_type: must be application/json when a response schema is set"
    mode = ((body.get("toolConfig") or {}).get("functionCallingConfig") or {}).get("mode")
    if mode is not None and mode not in ("AUTO", "ANY", "NONE", "VALIDATED"):
        return f"Invalid value at 'tool_config.function_calling_config.mode' ({mode!r})"
    for tool in body.get("tools") or []:
        for declaration in tool.get("functionDeclarations", []):
            if not declaration.get("name"):
                return "* tools.function_declarations.name: a name is required"
    return None
