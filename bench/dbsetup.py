"""Django-side set-up for the benchmark, run as `python -m bench.dbsetup ...` in the
benchmark's environment (its DATABASE_URL). Prints one JSON line.

    setup --provider-url URL --models m1,m2 [--users N]   users, signed-in sessions, the provider
    seed --conversations N --messages M                   history in bulk (COPY / one executemany)
    experiment --cells N --models m1,m2                   a workbench experiment of N cells (bench/workbench.py)
"""
import argparse
import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone as tz

import django

BENCH_USER = "bench"
TEAMMATE = "teammate"
RARE_WORD = "zebracorn"  # in about 1 message in 1,000
COMMON_WORD = "latency"  # in about 1 message in 10


def session_for(user) -> str:
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.set_expiry(7 * 24 * 3600)
    store.create()
    return store.session_key


def setup(args) -> dict:
    from django.contrib.auth import get_user_model

    from providers.models import Provider, ProviderModel

    User = get_user_model()
    users = []
    for n in range(args.users):
        name = BENCH_USER if n == 0 else f"{BENCH_USER}{n}"
        user = User.objects.filter(username=name).first() or User.objects.create_user(
            name, f"{name}@example.com", "pw-bench-123456")
        users.append({"id": user.pk, "username": name, "session": session_for(user)})
    if not User.objects.filter(username=TEAMMATE).exists():
        User.objects.create_user(TEAMMATE, "teammate@example.com", "pw-bench-123456")
    models = [m for m in args.models.split(",") if m]
    provider, _ = Provider.objects.update_or_create(
        slug="bench", defaults=dict(name="Bench loopback", kind="openai", base_url=args.provider_url,
                                    default_model=models[0], max_retries=0, timeout_seconds=120))
    provider.set_api_key("sk-bench-loopback-000000000000")
    provider.save()
    for model in models:
        ProviderModel.objects.get_or_create(provider=provider, model_id=model, defaults={"display_name": model})
    from chat.gateway import tokens

    _, token = tokens.create(User.objects.get(username=BENCH_USER), "bench")
    return {"provider": provider.slug, "users": users, "token": token}


def _message_columns():
    from chat.models import Message

    return [f.column for f in Message._meta.concrete_fields]


def _column_defaults(model) -> dict:
    """Each column's default as the database stores it, for the columns a seeder does not set itself."""
    from django.db import connection

    return {f.column: f.get_db_prep_save(f.get_default(), connection) for f in model._meta.concrete_fields}


def _insert(table: str, columns) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('%s' for _ in columns)})"


def seed(args) -> dict:
    """`conversations` conversations and `messages` messages; one of them has `long` messages."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from chat.models import Conversation, Message

    started = time.perf_counter()
    rng = random.Random(42)
    User = get_user_model()
    me = User.objects.get(username=BENCH_USER)
    mate = User.objects.get(username=TEAMMATE)
    vendor = connection.vendor
    now = datetime.now(tz.utc)
    start_conv = (Conversation.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    start_msg = (Message.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1

    def stamp(dt):
        return dt if vendor == "postgresql" else dt.replace(tzinfo=None).isoformat(sep=" ")

    conv_cols = [f.column for f in Conversation._meta.concrete_fields]
    msg_cols = _message_columns()
    n_conv, n_msg, long_len = args.conversations, args.messages, args.long
    per_conv = max(1, (n_msg - long_len) // max(1, n_conv - 1))
    long_id = start_conv  # the first one is the long conversation, owned by the bench user

    def conversations():
        for i in range(n_conv):
            cid = start_conv + i
            updated = now - timedelta(seconds=(n_conv - i) * 60)
            owner = me.pk if (i % 2 == 0 or cid == long_id) else mate.pk
            values = {"id": cid, "owner_id": owner, "title": f"Conversation {cid} about topic {rng.randrange(5000)}",
                      "visibility": "team" if i % 5 else "private",
                      "settings": json.dumps({"provider": "bench", "model": "d64-i20"}),
                      "forked_from_id": None, "imported_from": "", "created": stamp(updated - timedelta(minutes=5)),
                      "updated": stamp(updated)}
            yield tuple(values[c] for c in conv_cols)

    words = ["alpha", "beta", "gamma", "delta", "stream", "token", "model", "reply", "history", "search", "django",
             "socket", "python", "prompt", "answer", "vector"]

    message_defaults = _column_defaults(Message)

    def messages():
        mid = start_msg
        for i in range(n_conv):
            cid = start_conv + i
            count = long_len if cid == long_id else per_conv
            base = now - timedelta(seconds=(n_conv - i) * 60)
            parent = None
            for k in range(count):
                role = "user" if k % 2 == 0 else "assistant"
                text = " ".join(rng.choice(words) for _ in range(14))
                if rng.random() < 0.1:
                    text += f" {COMMON_WORD}"
                if rng.random() < 0.001:
                    text += f" {RARE_WORD}"
                created = stamp(base - timedelta(seconds=count - k))
                values = {"id": mid, "conversation_id": cid, "parent_id": parent, "role": role, "content": text,
                          "html": f"<p>{text}</p>", "tool_calls": "[]", "tool_call_id": "", "name": "",
                          "status": "complete", "finish_reason": "stop" if role == "assistant" else "",
                          "usage": None, "metrics": None, "cost": None, "structured": None, "fallback": "",
                          "request": None, "provider": "bench" if role == "assistant" else "",
                          "model": "d64-i20" if role == "assistant" else "", "error_code": "", "error_message": "",
                          "author_id": me.pk if role == "user" else None, "created": created, "updated": created,
                          "reasoning": "", "reasoning_extra": None, "compare_set": "", "images": "[]"}
                yield tuple(values[c] if c in values else message_defaults[c] for c in msg_cols)
                parent = mid
                mid += 1

    total_msgs = 0
    with transaction.atomic():
        if vendor == "postgresql":
            raw = connection.connection
            with raw.cursor() as cur:
                with cur.copy(f"COPY chat_conversation ({', '.join(conv_cols)}) FROM STDIN") as copy:
                    for row in conversations():
                        copy.write_row(row)
                with cur.copy(f"COPY chat_message ({', '.join(msg_cols)}) FROM STDIN") as copy:
                    for row in messages():
                        copy.write_row(row)
                        total_msgs += 1
                for table in ("chat_conversation", "chat_message"):
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}','id'), (SELECT max(id) FROM {table}))")
        else:
            with connection.cursor() as cur:
                cur.executemany(_insert("chat_conversation", conv_cols), list(conversations()))
                rows = list(messages())
                total_msgs = len(rows)
                cur.executemany(_insert("chat_message", msg_cols), rows)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"conversations": n_conv, "messages": total_msgs, "long_conversation_id": long_id,
            "long_messages": long_len, "seconds": round(time.perf_counter() - started, 1), "vendor": vendor,
            "rare_word": RARE_WORD, "common_word": COMMON_WORD}


def experiment(args) -> dict:
    """2 prompt versions × the models × N / (2 × models) dataset rows, judged by a `contains` evaluator."""
    from django.contrib.auth import get_user_model

    from chat.experiments import spec
    from chat.models import Experiment
    from chat.workbench.models import Dataset, DatasetRow, Prompt, PromptVersion

    me = get_user_model().objects.get(username=BENCH_USER)
    models = [m for m in args.models.split(",") if m]
    prompt = Prompt.objects.create(owner=me, name="bench prompt")
    versions = [PromptVersion.objects.create(prompt=prompt, number=n, author=me, variables={"topic": "text"},
                                             messages=[{"role": "user", "content": f"v{n}: say something about {{{{topic}}}}"}])
                for n in (1, 2)]
    dataset = Dataset.objects.create(owner=me, name="bench rows", columns=["topic"])
    rows = max(1, args.cells // (len(versions) * len(models)))
    DatasetRow.objects.bulk_create([DatasetRow(dataset=dataset, values={"topic": f"topic {n}"}, expected="w000",
                                               added=1, position=n) for n in range(rows)])
    data = {"name": "bench workbench", "prompt": "unused", "repeats": 1, "concurrency": args.concurrency,
            "targets": [{"provider": "bench", "model": m} for m in models], "prompt_versions": [v.pk for v in versions],
            "dataset": dataset.pk, "evaluators": [{"kind": "contains"}]}
    made = Experiment.objects.create(owner=me, **spec.clean(data, user=me))
    return {"experiment": made.pk, "cells": rows * len(versions) * len(models)}


def main(argv=None):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--provider-url", required=True)
    s.add_argument("--models", required=True)
    s.add_argument("--users", type=int, default=1)
    d = sub.add_parser("seed")
    d.add_argument("--conversations", type=int, required=True)
    d.add_argument("--messages", type=int, required=True)
    d.add_argument("--long", type=int, default=1000)
    e = sub.add_parser("experiment")
    e.add_argument("--cells", type=int, required=True)
    e.add_argument("--models", required=True)
    e.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    django.setup()
    result = {"setup": setup, "seed": seed, "experiment": experiment}[args.cmd](args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
