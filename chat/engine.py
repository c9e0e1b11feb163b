"""Running a plan and judging what came back: one engine for chat replies, experiment runs and the gateway.

`run()` streams the plan's request (or sends it whole, replayed as events,
where the model cannot stream it) into a ReplyState and says how it ended;
`verdicts()` turns that state into what is stored and shown: validated tool
calls, the structured-output verdict, usage, metrics and cost.
"""
import asyncio
import logging
import time
from contextlib import aclosing
from dataclasses import dataclass
from typing import Awaitable, Callable

from chat.requests import Plan
from chat.validation import validate_json_text, validate_tool_calls
from providers.streaming import ReplyState, replay
from providers.types import PROVIDER_ERROR, ProviderError, StreamEvent

log = logging.getLogger(__name__)

COMPLETE, CANCELLED, ERROR = "complete", "cancelled", "error"


@dataclass
class Ending:
    """How a run ended: `complete`, `cancelled` or `error` (with the error for the user)."""

    status: str = COMPLETE
    error: ProviderError | None = None

    @property
    def finish_reason(self) -> str | None:
        """The reason to store in place of the provider's when the run did not complete."""
        return {CANCELLED: "cancelled", ERROR: "error"}.get(self.status)


def events(plan: Plan):
    """The provider's events for the plan: its stream, or its whole reply replayed as events."""
    if plan.stream:
        return plan.adapter.stream_chat(plan.request)
    return _whole_reply(plan)


async def _whole_reply(plan: Plan):
    result = await plan.adapter.chat(plan.request)
    async for event in replay(result):
        yield event


async def run(plan: Plan, state: ReplyState,
              on_output: Callable[[StreamEvent], Awaitable[None]] | None = None) -> Ending:
    """Stream the plan into `state`, calling `on_output` after each event a reader sees; never raises
    for the reply's own failures (a cancel of the calling task ends it as `cancelled`)."""
    try:
        async with aclosing(events(plan)) as stream:
            async for event in stream:
                if state.add(event) and on_output is not None:
                    await on_output(event)
    except asyncio.CancelledError:
        return Ending(CANCELLED)
    except ProviderError as error:
        return Ending(ERROR, error)
    except Exception:
        log.exception("A request to %s failed in the playground", plan.label)
        return Ending(ERROR, ProviderError(PROVIDER_ERROR, "The playground failed while streaming this reply."))
    return Ending()


def verdicts(state: ReplyState, plan: Plan, ending: Ending) -> dict:
    """What the reply is judged and measured as: content, tool calls (validated), the structured verdict,
    usage, metrics and cost."""
    content = state.content
    calls = state.tool_calls()
    calls = validate_tool_calls(calls, plan.tools) if calls else []
    structured = None
    if plan.structured and ending.status == COMPLETE and not calls:
        structured = validate_json_text(content, plan.json_schema)
    usage = state.usage.as_dict() if state.usage else estimated_usage(plan, state)
    return {
        "content": content, "reasoning": state.reasoning_text, "reasoning_extra": state.reasoning_extra,
        "tool_calls": calls, "structured": structured, "usage": usage,
        "finish_reason": ending.finish_reason or state.finish_reason or "",
        "metrics": metrics(state, usage), "cost": cost(plan, usage), "logprobs": state.logprobs,
    }


CHARS_PER_TOKEN = 4  # the usual rule of thumb for English text with BPE tokenizers


def estimated_usage(plan: Plan, state: ReplyState) -> dict | None:
    """Token counts guessed from characters, for providers that report no usage; marked `estimated`."""
    out = state.length + state.reasoning_length + sum(len(c["name"]) + len(c["arguments"]) for c in state.tool_calls())
    if not out:
        return None
    sent = sum(len(m.content or "") + sum(len(c.arguments) for c in m.tool_calls) for m in plan.request.messages)
    sent += len(plan.request.prompt or "")
    prompt, completion = -(-sent // CHARS_PER_TOKEN), -(-out // CHARS_PER_TOKEN)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "estimated": True}


def cost(plan: Plan, usage: dict | None) -> float | None:
    if not usage or plan.price is None:
        return None
    return plan.price.cost(usage["prompt_tokens"], usage["completion_tokens"])


def metrics(state: ReplyState, usage: dict | None) -> dict:
    """Time to first token (of the answer), time spent reasoning, duration and output speed."""
    end = time.perf_counter()
    first, started = state.first_token, state.started
    result = {"ttft_ms": round((first - started) * 1000, 1) if first else None,
              "duration_ms": round((end - started) * 1000, 1), "tokens_per_s": None}
    if state.first_reasoning is not None:
        result["reasoning_ms"] = round(((first or end) - state.first_reasoning) * 1000, 1)
    tokens = (usage or {}).get("completion_tokens")
    if state.first_reasoning is not None:  # reasoning tokens are output too: speed counts from the first of them
        first = min(first or end, state.first_reasoning)
    if first and tokens and end - first > 0:
        result["tokens_per_s"] = round(tokens / (end - first), 1)
    return result
