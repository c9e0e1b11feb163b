"""Scale target for experiments: one workbench run set of N cells (2,000 in the full benchmark) against the
loopback provider, run by the server (SQLite, embedded) or by two `manage.py experimentworker` processes
(PostgreSQL + Redis); then the results page opened again and again.

Goals (issue 15): every cell stored, and the experiment's detail API and page open in ≤ 300 ms p95.
"""
import re
import subprocess
import sys
import time

import httpx

from bench import server
from bench.scenarios import ms, pct

GOAL_P95_MS = 300
MODELS = ["d8-i0", "d16-i0"]


def _worker(env: dict, n: int) -> subprocess.Popen:
    log = open(server.TMP / f"experimentworker-{n}.log", "w")
    return subprocess.Popen([sys.executable, "manage.py", "experimentworker"], cwd=server.ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _opened(http: httpx.Client, url: str, repeats: int) -> dict:
    times, status, size = [], None, 0
    for i in range(repeats + 2):
        t0 = time.perf_counter()
        response = http.get(url)
        if i >= 2:  # two warm-ups
            times.append(time.perf_counter() - t0)
        status, size = response.status_code, len(response.content)
    return {"status": status, "bytes": size, "p50_ms": ms(pct(times, 50)), "p95_ms": ms(pct(times, 95)), "n": len(times)}


def run(backend, cells: int, workers: int = 0, repeats: int = 20, timeout: float = 900) -> dict:
    """Make the experiment, run it (in Daphne, or in `workers` worker processes), wait for its end, time the page."""
    extra = {"PLAYGROUND_EXPERIMENT_WORKERS": "1"} if workers else {}
    env = backend.env(**extra)
    made = server.run_django(env, "experiment", "--cells", str(cells), "--models", ",".join(MODELS))
    procs = [_worker(env, n) for n in range(workers)]
    backend.start(1, **extra)
    base = backend.servers[0].origin
    try:
        with httpx.Client(cookies={"sessionid": backend.session}, timeout=60) as http:
            page = http.get(f"{base}/experiments/{made['experiment']}/")
            token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
            t0 = time.perf_counter()
            answer = http.post(f"{base}/api/experiments/{made['experiment']}/run", headers={"X-CSRFToken": token})
            assert answer.status_code == 202, answer.text
            detail = f"{base}/api/experiments/{made['experiment']}"
            while time.perf_counter() - t0 < timeout:
                batch = http.get(detail).json()["batch"]
                if batch["status"] != "running":
                    break
                time.sleep(1)
            seconds = time.perf_counter() - t0
            body = http.get(detail).json()
            stored = sum(1 for r in body["runs"] if r["status"] == "complete")
            out = {"cells": made["cells"], "workers": workers, "status": batch["status"], "stored": stored,
                   "seconds": round(seconds, 1), "cells_per_s": round(made["cells"] / seconds, 1),
                   "detail_api": _opened(http, detail, repeats),
                   "page": _opened(http, f"{base}/experiments/{made['experiment']}/", repeats)}
    finally:
        backend.stop()
        for proc in procs:
            server.stop(proc, 40)
    out["goals"] = goals(out)
    return out


def goals(result: dict) -> list[dict]:
    opened = max(result["detail_api"]["p95_ms"], result["page"]["p95_ms"])
    where = f"{result['workers']} workers" if result["workers"] else "the server"
    return [{"description": f"a run set of {result['cells']} cells run by {where} stores every cell",
             "value": f"{result['stored']} of {result['cells']} complete, {result['seconds']} s",
             "met": result["status"] == "complete" and result["stored"] == result["cells"]},
            {"description": f"its results (detail API and page) open in ≤ {GOAL_P95_MS} ms p95",
             "value": f"API {result['detail_api']['p95_ms']} ms, page {result['page']['p95_ms']} ms",
             "met": opened <= GOAL_P95_MS}]


def markdown(results: dict) -> list[str]:
    """The experiments section of results.md, one block per backend that ran it."""
    measured = {name: b["workbench"] for name, b in results.get("backends", {}).items() if b.get("workbench")}
    if not measured:
        return []
    out = ["## Experiments: a large run set, then its results page", "",
           "`bench/workbench.py`: 2 prompt versions × 2 models × dataset rows, a `contains` evaluator, "
           "concurrency 8 per provider, against the loopback provider.", "",
           "| backend | goal | measured | met |", "| --- | --- | --- | --- |"]
    for name, result in measured.items():
        for row in result["goals"]:
            met = "**met**" if row["met"] else "**not met**"
            out.append(f"| {name} | {row['description']} | {row['value']} | {met} |")
    out += ["", "| backend | cells | run by | seconds | cells/s | detail API p50 / p95 ms | page p50 / p95 ms | API bytes |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, r in measured.items():
        out.append(f"| {name} | {r['cells']} | {r['workers'] or 'Daphne'} {'workers' if r['workers'] else ''} | "
                   f"{r['seconds']} | {r['cells_per_s']} | {r['detail_api']['p50_ms']} / {r['detail_api']['p95_ms']} | "
                   f"{r['page']['p50_ms']} / {r['page']['p95_ms']} | {r['detail_api']['bytes']} |")
    return out + [""]


def _fresh_postgres(backend) -> None:
    import psycopg

    name = backend.database_url.rsplit("/", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    from bench.__main__ import MODELS

    server.migrate(backend.env())
    backend.setup = server.run_django(backend.env(), "setup", "--provider-url", backend.provider.base_url,
                                      "--models", ",".join(MODELS))
    backend.session = backend.setup["users"][0]["session"]


def main() -> int:
    """`python -m bench.workbench [cells] [workers]`: this scenario alone (workers: PostgreSQL + Redis)."""
    import json

    import os

    from bench.__main__ import PG_BENCH, REDIS, Backend, fresh_database

    cells, workers = int(sys.argv[1]) if len(sys.argv) > 1 else 2000, int(sys.argv[2]) if len(sys.argv) > 2 else 0
    server.TMP.mkdir(parents=True, exist_ok=True)
    provider = server.Provider()
    try:
        backend = (Backend("postgres", os.environ.get("BENCH_PG_URL", PG_BENCH), os.environ.get("BENCH_REDIS_URL", REDIS),
                           1, provider) if workers else
                   Backend("sqlite", f"sqlite:///{server.TMP / 'bench.sqlite3'}", "", 1, provider))
        if workers and os.environ.get("BENCH_PG_URL"):  # a database of its own, made here
            _fresh_postgres(backend)
        else:
            fresh_database(backend)
        result = run(backend, cells, workers)
    finally:
        provider.stop()
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
