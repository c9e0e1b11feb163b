"""CPU per stored turn, checkpoint and finished reply, in-process, through the functions Daphne calls.

    python -m bench.store_cost [--count 300] [--batches 1,10,50] [--rounds 3] [--profile turns|checkpoints|finalize]

Each write goes through `chat.db.grouped` on an event loop: a batch of B is B writes handed to it at once. Turns
are planned first (`chat.turns.send`, not timed), then committed (`Planned.commit`); each turn's reply is then
checkpointed and finalized (`store.checkpoint_reply`, `store.finalize_reply`) with the fields a finished reply
stores. Prints one JSON line per batch size: the process's CPU (`time.process_time`) per operation in µs, the
median of `rounds` (and the spread). Runs on a fresh SQLite file unless DATABASE_URL is set (a database it may
fill; PostgreSQL: a scratch database of its own).
"""
import argparse
import asyncio
import cProfile
import functools
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid

import django


def _django() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='store-cost-')}/db.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _user_and_provider():
    from django.contrib.auth import get_user_model

    from providers.models import Provider, ProviderModel

    user, _ = get_user_model().objects.get_or_create(username="store-cost")
    provider, _ = Provider.objects.update_or_create(
        slug="store-cost", defaults=dict(name="Store cost", kind="openai", base_url="http://127.0.0.1:9/v1",
                                         default_model="m", max_retries=0))
    provider.set_api_key("sk-store-cost-0000000000000000")
    provider.save()
    ProviderModel.objects.get_or_create(provider=provider, model_id="m", defaults={"display_name": "m"})
    return user


def _planned(user, count: int) -> list:
    from chat import turns
    from chat.frames import parse

    frames = [parse({"type": "chat.send", "request_id": uuid.uuid4().hex, "conversation_id": None,
                     "content": f"Question {n}: how do **group commits** work?",
                     "provider": "store-cost", "model": "m"}) for n in range(count)]
    return [turns.send(user, frame) for frame in frames]


def _final_fields(content: str) -> dict:
    return {"content": content, "reasoning": "", "reasoning_extra": None, "tool_calls": [], "structured": None,
            "usage": {"prompt_tokens": 12, "completion_tokens": 50, "total_tokens": 62},
            "finish_reason": "stop", "metrics": {"ttft_ms": 20.0, "duration_ms": 1000.0, "tokens_per_second": 50.0},
            "cost": 0.0001, "logprobs": None, "status": "complete", "error_code": "", "error_message": ""}


async def _in_batches(writes: list, batch: int, profile: cProfile.Profile | None) -> tuple[float, list]:
    """Hand the writes to `grouped` `batch` at a time; the process CPU it took and the results."""
    from chat.db import _together, grouped

    results = []
    started = time.process_time()
    for start in range(0, len(writes), batch):
        if profile:  # cProfile sees one thread: the batch runs as `grouped` runs it, on this one
            results += [value for _, value in profile.runcall(_together, writes[start:start + batch])]
        else:
            results += await asyncio.gather(*(grouped(write) for write in writes[start:start + batch]))
    return time.process_time() - started, results


async def _round(user, count: int, batch: int, profile_what: str | None) -> tuple[dict, cProfile.Profile | None]:
    from asgiref.sync import sync_to_async

    from chat import store

    profile = cProfile.Profile() if profile_what else None
    planned = await sync_to_async(_planned, thread_sensitive=False)(user, count)
    cpu = {}
    cpu["turns"], stored = await _in_batches([p.commit for p in planned], batch, profile if profile_what == "turns" else None)
    ids = [turn.jobs[0].message_id for turn in stored]
    content = "".join(f"w{i:03d} " for i in range(50))  # what bench's provider streams: 50 plain tokens
    checkpoints = [functools.partial(store.checkpoint_reply, pk, content[:200], [], "") for pk in ids]
    cpu["checkpoints"], _ = await _in_batches(checkpoints, batch, profile if profile_what == "checkpoints" else None)
    finals = [functools.partial(store.finalize_reply, turn.jobs[0].row, **_final_fields(content))
              for turn in stored]
    cpu["finalize"], summaries = await _in_batches(finals, batch, profile if profile_what == "finalize" else None)
    assert all(s and s["status"] == "complete" for s in summaries)
    return {what: seconds / count * 1e6 for what, seconds in cpu.items()}, profile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--batches", default="1,10,50")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=("turns", "checkpoints", "finalize"))
    args = parser.parse_args()
    if args.profile:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    _django()
    from asgiref.sync import sync_to_async

    user = asyncio.run(sync_to_async(_user_and_provider, thread_sensitive=False)())
    for batch in [int(b) for b in args.batches.split(",")]:
        rounds, profile = [], None
        for _ in range(args.rounds):
            figures, profile = asyncio.run(_round(user, args.count, batch, args.profile))
            rounds.append(figures)
        line = {"batch": batch, "count": args.count}
        for what in ("turns", "checkpoints", "finalize"):
            values = [r[what] for r in rounds]
            line[f"{what}_us"] = round(statistics.median(values))
            line[f"{what}_spread_us"] = [round(min(values)), round(max(values))]
        print(json.dumps(line), flush=True)
        if profile:
            pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
