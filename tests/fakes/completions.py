"""The text completion route of the OpenAI-compatible fakes: POST /v1/completions.

Like the real servers it refuses a body without a string `prompt`, with chat
`messages`, tools or a response format, or with `logprobs` out of range; it
streams (or sends whole) a scripted reply as `choices[0].text`, with per-token
log probabilities when asked (each scripted text piece is one token) and the
prompt sent back first with `echo` (its first token has no logprob, as on vLLM).
"""
import json
import time

from tests.fakes.script import Reply
from tests.fakes.server import JsonResponse, StreamResponse

MAX_LOGPROBS = 20  # vLLM's default max_logprobs; OpenAI allows 5
FINISH = {"stop": "stop", "length": "length", "tool_calls": "stop"}
NOT_FOR_COMPLETIONS = ("messages", "tools", "tool_choice", "response_format")


def problem(body: dict) -> str | None:
    """What the real API answers 400 to."""
    for name in NOT_FOR_COMPLETIONS:
        if name in body:
            return f"Unrecognized request argument supplied: {name}"
    if not isinstance(body.get("prompt"), str):
        return "'prompt' is a required property and must be a string"
    logprobs = body.get("logprobs")
    if logprobs is not None and (isinstance(logprobs, bool) or not isinstance(logprobs, int)
                                 or not 0 <= logprobs <= MAX_LOGPROBS):
        return f"Invalid value for 'logprobs': must be an integer from 0 to {MAX_LOGPROBS}"
    if "echo" in body and not isinstance(body["echo"], bool):
        return "Invalid value for 'echo': must be a boolean"
    return None


def logprob(position: int) -> float:
    """A scripted token's log probability: a little less likely each token."""
    return round(-0.25 * (position + 1), 4)


def token_logprobs(pieces: list[str], top: int | None, start: int = 0, echoed: bool = False) -> dict | None:
    """The `logprobs` object of some tokens: parallel lists, the alternatives likeliest first."""
    if top is None:
        return None
    chosen, alternatives = [], []
    for n, piece in enumerate(pieces):
        first_of_prompt = echoed and n == 0
        lp = None if first_of_prompt else logprob(start + n)
        chosen.append(lp)
        if first_of_prompt or not top:
            alternatives.append(None)
            continue
        alts = {piece: lp}
        for k in range(1, top):
            alts[f"{piece.strip() or '_'}#{k}"] = round(lp - k, 4)
        alternatives.append(alts)
    return {"tokens": list(pieces), "token_logprobs": chosen, "top_logprobs": alternatives,
            "text_offset": [sum(len(p) for p in pieces[:n]) for n in range(len(pieces))]}


def response(fake, body: dict, reply: Reply):
    """The scripted reply to a valid completion request, streamed or whole."""
    model, top = body.get("model", ""), body.get("logprobs")
    echo = body["prompt"] if body.get("echo") else None
    if body.get("stream"):
        include_usage = (body.get("stream_options") or {}).get("include_usage", False)
        return StreamResponse(stream_events(fake, reply, model, top, echo, include_usage), "text/event-stream", reply)
    text = (echo or "") + reply.content
    pieces = ([echo] if echo else []) + reply.text
    logprobs = token_logprobs(pieces, top, echoed=bool(echo))
    result = {"id": "cmpl-fake", "object": "text_completion", "created": int(time.time()), "model": model,
              "choices": [{"index": 0, "text": text, "logprobs": logprobs, "finish_reason": FINISH[reply.finish]}]}
    if reply.usage:
        result["usage"] = fake.usage(reply)
    return JsonResponse(200, result, reply=reply)


def stream_events(fake, reply: Reply, model: str, top: int | None, echo: str | None, include_usage: bool) -> list[bytes]:
    base = {"id": "cmpl-fake", "object": "text_completion", "created": int(time.time()), "model": model}

    def event(text: str, logprobs: dict | None, finish: str | None = None) -> bytes:
        chunk = {**base, "choices": [{"index": 0, "text": text, "logprobs": logprobs, "finish_reason": finish}]}
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"

    events = [event(echo, token_logprobs([echo], top, echoed=True))] if echo else []
    events += [event(piece, token_logprobs([piece], top, start=n)) for n, piece in enumerate(reply.text)]
    events.append(event("", None, FINISH[reply.finish]))
    if include_usage and reply.usage:
        events.append(b"data: " + json.dumps({**base, "choices": [], "usage": fake.usage(reply)}).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return events
