"""Sending a plan through the engine, waiting out a provider's 429 instead of failing the run.

The adapter's own retries happen before the first byte and may be few (or none); a run set of hundreds of
requests meets rate limits as a matter of course, so a 429 here waits (the Retry-After the provider gave,
else a growing pause) and tries again, a bounded number of times, before it is the run's error.
"""
import asyncio

from django.conf import settings

from chat import engine
from chat.requests import Plan
from providers.streaming import ReplyState
from providers.types import RATE_LIMITED

LONGEST_WAIT = 60.0  # a Retry-After longer than this is the run's error: the run set would stall


def retries() -> int:
    return settings.PLAYGROUND_EXPERIMENT_RATE_LIMIT_RETRIES


def pause(attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return retry_after
    return min(8.0, 0.5 * 2 ** attempt)


async def run(plan: Plan) -> tuple[ReplyState, engine.Ending, int]:
    """(state, ending, rate-limited attempts waited out) for the plan; never raises for the reply's failures."""
    waited = 0
    while True:
        state = ReplyState()
        ending = await engine.run(plan, state)
        error = ending.error
        if error is None or error.code != RATE_LIMITED or waited >= retries():
            return state, ending, waited
        wait = pause(waited, error.retry_after)
        if wait > LONGEST_WAIT:
            return state, ending, waited
        waited += 1
        await asyncio.sleep(wait)
