"""Every wire format with its loopback fake, so one suite runs against all adapters.

A case is a kind, its fake, how to build a ProviderConfig pointed at the fake,
and two readers that pull neutral facts back out of a recorded request body in
that format's own shape (a wrong shape fails there, with a KeyError or a
mismatch). A new adapter gets the whole suite by adding a case here.
"""
import base64
import json
from dataclasses import dataclass
from typing import Callable

from providers.config import ProviderConfig
from providers.registry import adapter_class
from providers.secrets import Secret
from tests.fakes.anthropic import AnthropicFake
from tests.fakes.azure import AzureFake
from tests.fakes.gemini import GeminiFake
from tests.fakes.images import DATA_URL
from tests.fakes.ollama import OllamaFake
from tests.fakes.openai import OpenAIFake
from tests.fakes.responses import ResponsesFake
from tests.fakes.server import FakeServer

TEST_KEY = "sk-test-DO-NOT-LEAK-4f9c2e7a1b3d"


def make_config(kind: str, fake: FakeServer, **options) -> ProviderConfig:
    return ProviderConfig(kind=kind, name=f"Loopback {kind}", slug=f"loopback-{kind}", base_url=fake.base_url,
                          api_key=Secret(lambda: TEST_KEY), max_retries=2, timeout=10.0,
                          capabilities=adapter_class(kind).default_capabilities, options=options)


# Readers: (calls, results) of a tool loop, and the schema asked for ----------------------------
# calls: [(name, arguments as an object)]; results: [(reference, result as an object)], where the
# reference is the call id or the function name, whichever the format matches results by.


def openai_tool_history(body: dict) -> tuple[list, list]:
    calls = [(c["function"]["name"], json.loads(c["function"]["arguments"]))
             for m in body["messages"] if m["role"] == "assistant" for c in m.get("tool_calls") or ()]
    results = [(m["tool_call_id"], json.loads(m["content"])) for m in body["messages"] if m["role"] == "tool"]
    return calls, results


def openai_schema(body: dict) -> dict:
    assert body["response_format"]["type"] == "json_schema"
    return body["response_format"]["json_schema"]["schema"]


def anthropic_tool_history(body: dict) -> tuple[list, list]:
    blocks = [(m["role"], b) for m in body["messages"] if isinstance(m["content"], list) for b in m["content"]]
    calls = [(b["name"], b["input"]) for role, b in blocks if role == "assistant" and b["type"] == "tool_use"]
    results = [(b["tool_use_id"], json.loads(b["content"])) for role, b in blocks
               if role == "user" and b["type"] == "tool_result"]
    return calls, results


def anthropic_schema(body: dict) -> dict:
    assert body["tool_choice"]["type"] == "tool"
    return next(t["input_schema"] for t in body["tools"] if t["name"] == body["tool_choice"]["name"])


def gemini_tool_history(body: dict) -> tuple[list, list]:
    parts = [(c["role"], p) for c in body["contents"] for p in c["parts"]]
    calls = [(p["functionCall"]["name"], p["functionCall"]["args"]) for role, p in parts
             if role == "model" and "functionCall" in p]
    results = [(p["functionResponse"]["name"], p["functionResponse"]["response"]) for role, p in parts
               if role == "user" and "functionResponse" in p]
    return calls, results


def gemini_schema(body: dict) -> dict:
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    return body["generationConfig"]["responseJsonSchema"]


def ollama_tool_history(body: dict) -> tuple[list, list]:
    calls = [(c["function"]["name"], c["function"]["arguments"])
             for m in body["messages"] if m["role"] == "assistant" for c in m.get("tool_calls") or ()]
    results = [(m["tool_name"], json.loads(m["content"])) for m in body["messages"] if m["role"] == "tool"]
    return calls, results


def ollama_schema(body: dict) -> dict:
    return body["format"]


def responses_tool_history(body: dict) -> tuple[list, list]:
    calls = [(i["name"], json.loads(i["arguments"])) for i in body["input"] if i.get("type") == "function_call"]
    results = [(i["call_id"], json.loads(i["output"])) for i in body["input"] if i.get("type") == "function_call_output"]
    return calls, results


def responses_schema(body: dict) -> dict:
    assert body["text"]["format"]["type"] == "json_schema"
    return body["text"]["format"]["schema"]


# Images: [(media type, bytes)] the user messages of a request body carry, read in each format's own shape.


def _data_url(url: str) -> tuple[str, bytes]:
    match = DATA_URL.fullmatch(url)
    return match[1], base64.b64decode(match[2])


def openai_images(body: dict) -> list:
    return [_data_url(p["image_url"]["url"]) for m in body["messages"] if m["role"] == "user"
            and isinstance(m["content"], list) for p in m["content"] if p["type"] == "image_url"]


def anthropic_images(body: dict) -> list:
    return [(b["source"]["media_type"], base64.b64decode(b["source"]["data"])) for m in body["messages"]
            if m["role"] == "user" and isinstance(m["content"], list) for b in m["content"] if b["type"] == "image"]


def gemini_images(body: dict) -> list:
    return [(p["inline_data"]["mime_type"], base64.b64decode(p["inline_data"]["data"])) for c in body["contents"]
            if c["role"] == "user" for p in c["parts"] if "inline_data" in p]


def ollama_images(body: dict) -> list:
    return [(None, base64.b64decode(data)) for m in body["messages"] if m["role"] == "user" for data in m.get("images") or ()]


def responses_images(body: dict) -> list:
    return [_data_url(p["image_url"]) for i in body["input"] if i.get("role") == "user" for p in i["content"]
            if p["type"] == "input_image"]


# Embeddings: the texts an embeddings request body carries, in each format's own shape.


def openai_embedded(body: dict) -> list:
    return body["input"]


def gemini_embedded(body: dict) -> list:
    return [part["text"] for item in body["requests"] for part in item["content"]["parts"]]


@dataclass(frozen=True)
class FakeCase:
    kind: str
    fake_class: type
    config: Callable[[FakeServer], ProviderConfig]
    tool_history: Callable[[dict], tuple[list, list]]
    schema: Callable[[dict], dict]
    images: Callable[[dict], list]
    results_by: str = "id"  # how tool results point at their call: "id" or "name"
    streams_arguments: bool = True  # tool-call arguments arrive in pieces (else whole)
    embedded: Callable[[dict], list] | None = None  # the texts of an embeddings request (None: no embeddings API)

    def __str__(self) -> str:
        return self.kind


CASES = [
    FakeCase("openai", OpenAIFake, lambda fake: make_config("openai", fake), openai_tool_history, openai_schema,
             openai_images, embedded=openai_embedded),
    FakeCase("anthropic", AnthropicFake, lambda fake: make_config("anthropic", fake), anthropic_tool_history,
             anthropic_schema, anthropic_images),
    FakeCase("gemini", GeminiFake, lambda fake: make_config("gemini", fake), gemini_tool_history, gemini_schema,
             gemini_images, results_by="name", streams_arguments=False, embedded=gemini_embedded),
    FakeCase("ollama", OllamaFake, lambda fake: make_config("ollama", fake), ollama_tool_history, ollama_schema,
             ollama_images, results_by="name", streams_arguments=False, embedded=openai_embedded),
    FakeCase("azure", AzureFake, lambda fake: make_config("azure", fake, api_version="2024-10-21"),
             openai_tool_history, openai_schema, openai_images, embedded=openai_embedded),
    FakeCase("responses", ResponsesFake, lambda fake: make_config("responses", fake), responses_tool_history,
             responses_schema, responses_images, embedded=openai_embedded),
]
EMBEDDING_CASES = [case for case in CASES if case.embedded]


# Reasoning: the controls a request body carries, read back in each format's own shape ({} when none).
# A case whose kind is listed here runs the reasoning scenarios (tests/test_adapter_reasoning.py).


def openai_reasoning_controls(body: dict) -> dict:
    return {key: body[key] for key in ("reasoning_effort", "reasoning") if key in body}


REASONING_CONTROLS = {
    "openai": openai_reasoning_controls,
    "azure": openai_reasoning_controls,
    "anthropic": lambda body: {"thinking": body["thinking"]} if "thinking" in body else {},
    "gemini": lambda body: (body.get("generationConfig") or {}).get("thinkingConfig") or {},
    "ollama": lambda body: {"think": body["think"]} if "think" in body else {},
}
