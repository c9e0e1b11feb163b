"""A provider reply of the wrong shape is a ProviderError naming the field, streamed or whole, in every format.

Never a TypeError from deep inside an adapter, and never a reply silently
dropped: the chat layer can always end the reply with a clear error.
"""
import json

import pytest

from providers.registry import get_adapter
from providers.types import PROVIDER_ERROR, ChatRequest, Message, ProviderError, TextDelta
from tests.fakes.registry import CASES
from tests.fakes.script import Reply

pytestmark = pytest.mark.timeout(30)


def sse(*chunks: dict) -> list[bytes]:
    return [b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in chunks]


def lines(*objects: dict) -> list[bytes]:
    return [json.dumps(line).encode() + b"\n" for line in objects]


def openai_chunk(delta) -> dict:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


GOOD_OPENAI = openai_chunk({"content": "Fine so far. "})
OPENAI = {  # what the stream sends after a good chunk, what a whole reply holds, and the field named
    "content is a number": (sse(GOOD_OPENAI, openai_chunk({"content": 123})),
                            {"choices": [{"message": {"content": 123}, "finish_reason": "stop"}]},
                            "content is a number, not text"),
    "content is a list": (sse(GOOD_OPENAI, openai_chunk({"content": ["a", "b"]})),
                          {"choices": [{"message": {"content": ["a"]}, "finish_reason": "stop"}]},
                          "content is a list, not text"),
    "null where a choice belongs": (sse(GOOD_OPENAI, {"choices": [None]}), {"choices": [None]},
                                    "choices[0] is null, not an object"),
    "null message": (sse(GOOD_OPENAI, {"choices": [{"delta": {"tool_calls": [None]}}]}),
                     {"choices": [{"message": None, "finish_reason": "stop"}]}, "is null, not an object"),
    "choices is an object": (sse(GOOD_OPENAI, {"choices": {"0": {}}}), {"choices": {"0": {}}},
                             "choices is an object, not a list"),
    "usage counts as text": (sse(GOOD_OPENAI, {"choices": [], "usage": {"prompt_tokens": "12"}}),
                             {"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": "12"}},
                             "usage.prompt_tokens is text, not a whole number"),
    "a chunk that is a list": ([*sse(GOOD_OPENAI), b"data: [1, 2]\n\n"], [1, 2], "is a list, not an object"),
}
ANTHROPIC_START = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
ANTHROPIC_GOOD = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Fine so far. "}}
ANTHROPIC = {
    "text is a number": (sse(ANTHROPIC_START, ANTHROPIC_GOOD,
                             {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 7}}),
                         {"type": "message", "content": [{"type": "text", "text": 7}], "stop_reason": "end_turn"},
                         "text is a number, not text"),
    "null block": (sse(ANTHROPIC_START, ANTHROPIC_GOOD, {"type": "content_block_start", "index": 1, "content_block": 5}),
                   {"type": "message", "content": [None], "stop_reason": "end_turn"}, "not an object"),
    "stop reason is a number": (sse(ANTHROPIC_START, ANTHROPIC_GOOD,
                                    {"type": "message_delta", "delta": {"stop_reason": 1}}),
                                {"type": "message", "content": [], "stop_reason": 1},
                                "stop_reason is a number, not text"),
}
GEMINI_GOOD = {"candidates": [{"content": {"parts": [{"text": "Fine so far. "}]}}]}
GEMINI = {
    "text is a number": (sse(GEMINI_GOOD, {"candidates": [{"content": {"parts": [{"text": 5}]}}]}),
                         {"candidates": [{"content": {"parts": [{"text": 5}]}, "finishReason": "STOP"}]},
                         "parts[0].text is a number, not text"),
    "parts is text": (sse(GEMINI_GOOD, {"candidates": [{"content": {"parts": "hello"}}]}),
                      {"candidates": [{"content": {"parts": "hello"}, "finishReason": "STOP"}]},
                      "parts is text, not a list"),
}
OLLAMA_GOOD = {"message": {"role": "assistant", "content": "Fine so far. "}, "done": False}
OLLAMA = {
    "content is a number": (lines(OLLAMA_GOOD, {"message": {"content": 1}, "done": False}),
                            {"message": {"content": 1}, "done": True}, "message.content is a number, not text"),
    "done is text": (lines(OLLAMA_GOOD, {"message": {"content": ""}, "done": "yes"}),
                     {"message": {"content": "x"}, "done": "yes"}, "done is text, not true/false"),
}
RESPONSES_GOOD = {"type": "response.output_text.delta", "output_index": 0, "delta": "Fine so far. "}
RESPONSES_ADDED = {"type": "response.output_item.added", "output_index": 0,
                   "item": {"type": "message", "role": "assistant", "content": []}}
RESPONSES = {
    "delta is a number": (sse(RESPONSES_ADDED, RESPONSES_GOOD,
                              {"type": "response.output_text.delta", "output_index": 0, "delta": 3}),
                          {"status": "completed", "output": [{"type": "message", "content": [{"type": "output_text",
                                                                                             "text": 3}]}]},
                          "is a number, not text"),
    "output is an object": (sse(RESPONSES_ADDED, RESPONSES_GOOD, {"type": "response.completed",
                                                                  "response": {"status": "completed", "output": {}}}),
                            {"status": "completed", "output": {}}, "output is an object, not a list"),
    "usage counts as text": (sse(RESPONSES_ADDED, RESPONSES_GOOD, {"type": "response.completed", "response": {
                                 "status": "completed", "output": [], "usage": {"input_tokens": "12"}}}),
                             {"status": "completed", "output": [], "usage": {"input_tokens": "12"}},
                             "usage.input_tokens is text, not a whole number"),
    "null item": (sse(RESPONSES_ADDED, RESPONSES_GOOD, {"type": "response.output_item.done", "output_index": 1,
                                                       "item": None}),
                  {"status": "completed", "output": [None]}, "is null, not an object"),
}
BAD = {"openai": OPENAI, "azure": OPENAI, "anthropic": ANTHROPIC, "gemini": GEMINI, "ollama": OLLAMA,
       "responses": RESPONSES}
SCENARIOS = [(case, name) for case in CASES for name in BAD[case.kind]]


async def run(adapter, mode: str):
    request = ChatRequest(model="fake-model", messages=[Message("user", "Hi")])
    texts = []
    with pytest.raises(ProviderError) as caught:
        if mode == "stream":
            async for event in adapter.stream_chat(request):
                if isinstance(event, TextDelta):
                    texts.append(event.text)
        else:
            await adapter.chat(request)
    return "".join(texts), caught.value


@pytest.mark.parametrize("mode", ["stream", "whole"])
@pytest.mark.parametrize("case, name", SCENARIOS, ids=[f"{c.kind}-{n}" for c, n in SCENARIOS])
async def test_a_wrong_shape_is_a_provider_error_naming_the_field(case, name, mode):
    events, body, named = BAD[case.kind][name]
    with case.fake_class() as fake:
        fake.enqueue(Reply(raw_events=events, raw_body=json.dumps(body).encode()))
        text, error = await run(get_adapter(case.config(fake)), mode)
    assert error.code == PROVIDER_ERROR
    assert f"Loopback {case.kind} sent" in error.message and named in error.message, error.message
    if mode == "stream":
        assert text == "Fine so far. "  # what arrived before the bad chunk stays
