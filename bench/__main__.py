"""`python -m bench`: the whole benchmark; QUICK=1 for the short version (under two minutes).

Backends: SQLite + the in-memory channel layer with one Daphne process, then
PostgreSQL + Redis with two Daphne processes (skipped when they do not answer
on 127.0.0.1:5432 / 6379). Results: bench/results/results.json, results.md, *.png
(QUICK: bench/results/quick/). Re-render a report: `python -m bench.report [dir]`.

BENCH_WORKBENCH=1 (or QUICK, with 200 cells) also runs the experiments scale target (bench/workbench.py):
a run set of 2,000 cells, by the server on SQLite and by two experiment workers on PostgreSQL + Redis.

PEER=litellm also measures LiteLLM's proxy in front of the same provider, and the playground's own
gateway (`/v1/chat/completions`) beside it, with the same client and levels (bench/peer.py).
"""
import asyncio
import os
import platform
import socket
import statistics
import sys
import time
from dataclasses import dataclass, field

from bench import peer, report, scenarios, server, workbench
from bench.client_cost import client_cost
from bench.profile import PySpy
from bench.provider import model_name

QUICK = os.environ.get("QUICK", "").lower() in ("1", "true", "yes", "on")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/bench"
REDIS = "redis://127.0.0.1:6379/0"

CONFIG = {
    True: dict(ttft_rounds=2, ttft_per_round=8, paced_streams=2, fast_streams=1, fast_deltas=2000,
               levels=[1, 10, 100], cap_tokens=50, ramp=1.0, pg_levels=[1, 10, 100], persist_streams=10,
               persist_tokens=150, persist_repeats=1, history=(10_000, 100_000), sqlite_history=(10_000, 100_000),
               history_repeats=10, profile_level=None, client_cost_streams=100, persistence=False,
               postgres=os.environ.get("BENCH_PG", "") == "1"),
    False: dict(ttft_rounds=10, ttft_per_round=20, paced_streams=10, fast_streams=3, fast_deltas=5000,
                levels=[1, 10, 100, 250, 500, 1000], cap_tokens=150, ramp=2.0, pg_levels=[1, 10, 100, 250, 500, 1000],
                persist_streams=20, persist_tokens=250, persist_repeats=3, history=(100_000, 1_000_000),
                sqlite_history=(10_000, 100_000), history_repeats=40, profile_level=250, client_cost_streams=200,
                persistence=True, postgres=True),
}[QUICK]
if os.environ.get("BENCH_LEVELS"):  # e.g. BENCH_LEVELS=1,10,100,250 to bound a run on a small machine
    CONFIG["levels"] = CONFIG["pg_levels"] = [int(n) for n in os.environ["BENCH_LEVELS"].split(",")]
if os.environ.get("BENCH_PROFILE"):  # e.g. BENCH_PROFILE=500: py-spy on Daphne at that many streams, QUICK too
    CONFIG["profile_level"] = int(os.environ["BENCH_PROFILE"])
WORKBENCH_CELLS = int(os.environ.get("BENCH_WORKBENCH_CELLS") or (200 if QUICK else 2000))
WORKBENCH = QUICK or os.environ.get("BENCH_WORKBENCH", "") == "1"
MODELS = [*workbench.MODELS,
          model_name(4, 20), model_name(64, 20), model_name(50, 20), model_name(75, 20), model_name(150, 20), model_name(250, 20),
          model_name(2000, 0), model_name(5000, 0), model_name(20000, 0)]


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False


@dataclass
class Backend:
    name: str
    database_url: str
    redis_url: str
    processes: int
    provider: server.Provider
    servers: list = field(default_factory=list)
    session: str = ""
    setup: dict = field(default_factory=dict)

    def env(self, **extra):
        return server.base_env(self.database_url, self.redis_url, **extra)

    def start(self, processes: int | None = None, **extra):
        self.servers = [server.Daphne(self.env(**extra), log_name=f"daphne-{self.name}")
                        for _ in range(processes or self.processes)]

    def stop(self):
        for s in self.servers:
            s.stop()
        self.servers = []


def fresh_database(backend: Backend) -> None:
    if backend.name == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            path = server.TMP / f"bench.sqlite3{suffix}"
            if path.exists():
                path.unlink()
    else:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench WITH (FORCE)")
            conn.execute("CREATE DATABASE bench")
    env = backend.env()
    server.migrate(env)
    backend.setup = server.run_django(env, "setup", "--provider-url", backend.provider.base_url,
                                      "--models", ",".join(MODELS))
    backend.session = backend.setup["users"][0]["session"]


def measure_proxy(backend: Backend, proxy, levels: list[int]) -> dict:
    """Added TTFT and capacity through an OpenAI-compatible proxy, measured as the websocket is."""
    log(f"[{proxy.name}] added time to first token")
    out = {"name": proxy.name, "ttft": asyncio.run(scenarios.ttft(backend, CONFIG["ttft_rounds"], CONFIG["ttft_per_round"],
                                                                  proxy=proxy)), "capacity": []}
    log("   ", {k: out["ttft"][k] for k in ("added_ttft_p50_ms", "added_ttft_p99_ms", "failures")})
    for n in levels:
        log(f"[{proxy.name}] capacity: {n} streams")
        level = scenarios.capacity_level(backend, n, CONFIG["cap_tokens"], CONFIG["ramp"] if n >= 100 else 0.2,
                                         proxy=proxy)
        out["capacity"].append(level)
        log("   ", {k: level[k] for k in ("completed", "stalled_streams", "max_gap_ms", "added_ttft_p50_ms",
                                           "server_cpu_us_per_token", "errors")})
    return out


def run_peers(sqlite: Backend, peers: list[str], out: dict) -> None:
    """Each peer started in front of the same provider and measured at the SQLite backend's levels."""
    for name in peers:
        log(f"[{name}] installing (first time) and starting")
        proc = peer.start(name, sqlite.provider.base_url, MODELS)
        try:
            out[name] = measure_proxy(sqlite, proc.proxy(), CONFIG["levels"])
        finally:
            proc.stop()


def run_backend(backend: Backend, levels: list[int], out: dict, peers: list[str] = ()) -> None:
    log(f"[{backend.name}] fresh database, migrate, users and provider")
    fresh_database(backend)
    backend.start()
    try:
        log(f"[{backend.name}] 1. added time to first token")
        out["ttft"] = asyncio.run(scenarios.ttft(backend, CONFIG["ttft_rounds"], CONFIG["ttft_per_round"]))
        log("   ", {k: out["ttft"][k] for k in ("relayed_ttft_ms", "direct_ttft_ms", "added_ttft_p50_ms", "added_ttft_p99_ms")})
        log(f"[{backend.name}] 2. token delivery")
        out["delivery"] = asyncio.run(scenarios.delivery(backend, CONFIG["paced_streams"], CONFIG["fast_streams"],
                                                         CONFIG["fast_deltas"]))
        log("   ", out["delivery"]["paced"]["delivered_over_offered"], out["delivery"]["paced"]["added_gap_p99_ms"],
            out["delivery"]["fast"])
        out["capacity"] = []
        for n in levels:
            log(f"[{backend.name}] 3. capacity: {n} streams")
            level = scenarios.capacity_level(backend, n, CONFIG["cap_tokens"], CONFIG["ramp"] if n >= 100 else 0.2)
            level["loadavg_1m"] = round(os.getloadavg()[0], 2)
            out["capacity"].append(level)
            log("   ", {k: level[k] for k in ("completed", "stalled_streams", "max_gap_ms", "delivered_over_offered",
                                               "added_ttft_p50_ms", "added_ttft_p99_ms", "server_cpu_avg_pct",
                                               "rss_per_stream_kib", "load_generator_cpu_avg_pct")})
        if peers and backend.name == "sqlite":
            out["proxies"] = {"gateway": measure_proxy(backend, peer.gateway(backend), levels)}
        if CONFIG["profile_level"] and backend.name == "sqlite":
            n = CONFIG["profile_level"]
            log(f"[{backend.name}] profile: py-spy on Daphne during {n} streams")
            seconds = CONFIG["ramp"] + CONFIG["cap_tokens"] * 0.02 + 1

            def prof():
                return PySpy(backend.servers[0].pid, seconds, server.TMP / f"pyspy-{backend.name}-{n}.txt")

            level = scenarios.capacity_level(backend, n, CONFIG["cap_tokens"], CONFIG["ramp"], profile=prof)
            out["profile"] = level
    finally:
        backend.stop()


def run_persistence(backend: Backend, out: dict) -> None:
    """Writes per reply (PostgreSQL counters) and throughput with checkpoints on (default) vs off."""
    paced = model_name(CONFIG["persist_tokens"], 20)
    n = CONFIG["persist_streams"]
    settings = {"on": {}, "off": {"PLAYGROUND_CHECKPOINT_SECONDS": "1000000"}}
    result = {"paced_model": paced, "streams": n, "writes": {}, "throughput": {}}
    if backend.name == "postgres":
        for label, extra in settings.items():
            backend.start(1, **extra)
            before = scenarios.pg_counters(PG_BENCH.replace("postgres://", "postgresql://"))
            replies = asyncio.run(scenarios.concurrent_relayed(backend, n, paced))
            backend.stop()
            time.sleep(0.5)
            after = scenarios.pg_counters(PG_BENCH.replace("postgres://", "postgresql://"))
            delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
            per = {k: round(v / n, 2) for k, v in delta.items() if v and not k.startswith("pg_")}
            seconds = sum(r["duration"] or 0 for r in replies) / n
            result["writes"][label] = {
                "per_turn": per, "reply_seconds": round(seconds, 2), "completed": sum(r["ok"] for r in replies),
                "rows_written_per_turn": round((delta["tup_inserted"] + delta["tup_updated"] + delta["tup_deleted"]) / n, 2),
                "reply_row_writes": round((delta.get("chat_message.upd", 0)) / n + 1, 2),  # 1 insert + its updates
                "checkpoints_per_reply": round(delta.get("chat_message.upd", 0) / n - 1, 2),
                "checkpoints_per_reply_second": round((delta.get("chat_message.upd", 0) / n - 1) / seconds, 3),
            }
            log("    writes", label, result["writes"][label])
    fast = model_name(5000, 0)
    runs = {"on": [], "off": []}
    for _ in range(CONFIG["persist_repeats"]):
        for label in ("off", "on"):
            backend.start(1, **settings[label])
            replies = asyncio.run(scenarios.concurrent_relayed(backend, 4, fast, timeout=180))
            backend.stop()
            runs[label].append(scenarios.throughput(replies))
            runs[label + "_duration"] = runs.get(label + "_duration", []) + [max(r["duration"] or 0 for r in replies)]
    on, off = statistics.median(runs["on"]), statistics.median(runs["off"])
    result["throughput"] = {"model": fast, "streams": 4, "tokens_per_s_on": round(on, 1),
                            "tokens_per_s_off": round(off, 1), "on_over_off": round(on / off, 4),
                            "statistic": "median of alternating runs",
                            "runs": {k: [round(x, 1) for x in v] for k, v in runs.items()}}
    log("    throughput", result["throughput"])
    out["persistence"] = result


def run_history(backend: Backend, out: dict) -> None:
    conversations, messages = CONFIG["history"] if backend.name == "postgres" else CONFIG["sqlite_history"]
    log(f"[{backend.name}] 5. history: seeding {conversations} conversations, {messages} messages")
    seeded = server.run_django(backend.env(), "seed", "--conversations", str(conversations), "--messages",
                               str(messages), timeout=1200)
    log("    seeded", seeded)
    backend.start(1)
    try:
        endpoints = scenarios.history(backend.servers[0], backend.session, seeded, CONFIG["history_repeats"])
    finally:
        backend.stop()
    out["history"] = {"seeded": seeded, "endpoints": endpoints}
    log("   ", {k: (v["status"], v["p50_ms"], v["p95_ms"]) for k, v in endpoints.items()})


def run_workbench(backend: Backend, out: dict, workers: int) -> None:
    if not WORKBENCH:
        return
    log(f"[{backend.name}] 6. experiments: a run set of {WORKBENCH_CELLS} cells, then its results page")
    out["workbench"] = workbench.run(backend, WORKBENCH_CELLS, workers)
    log("   ", {k: out["workbench"][k] for k in ("status", "stored", "seconds", "detail_api", "page")})


def main() -> int:
    peers = peer.wanted()
    started = time.monotonic()
    server.TMP.mkdir(parents=True, exist_ok=True)
    results = {"meta": {"quick": QUICK, "started": time.strftime("%Y-%m-%d %H:%M:%S"), "python": sys.version.split()[0],
                        "platform": platform.platform(), "cpus": os.cpu_count(), "config": CONFIG,
                        "loadavg_start": [round(x, 2) for x in os.getloadavg()], "peers": peers},
               "backends": {}}
    provider = server.Provider()
    try:
        log("0. what reading a provider stream costs one process (the playground's adapter vs bare asyncio)")
        results["client_cost"] = client_cost(provider.base_url, CONFIG["client_cost_streams"])
        log("   ", results["client_cost"])
        sqlite = Backend("sqlite", f"sqlite:///{server.TMP / 'bench.sqlite3'}", "", 1, provider)
        results["backends"]["sqlite"] = out = {"processes": 1, "channel_layer": "in-memory"}
        run_backend(sqlite, CONFIG["levels"], out, peers)
        if peers:
            results["peers"] = {}
            run_peers(sqlite, peers, results["peers"])
        if CONFIG["persistence"]:
            run_persistence(sqlite, out)
        run_history(sqlite, out)
        run_workbench(sqlite, out, workers=0)
        if not CONFIG["postgres"]:
            log("QUICK: the PostgreSQL + Redis backend runs in the full benchmark (or with BENCH_PG=1)")
        elif answers(5432) and answers(6379):
            pg = Backend("postgres", PG_BENCH, REDIS, 2, provider)
            results["backends"]["postgres"] = out = {"processes": 2, "channel_layer": "redis (pubsub)"}
            run_backend(pg, CONFIG["pg_levels"], out)
            run_persistence(pg, out)
            run_history(pg, out)
            run_workbench(pg, out, workers=2)
        else:
            log("PostgreSQL or Redis does not answer on 127.0.0.1: skipping that backend")
    finally:
        provider.stop()
    results["meta"]["seconds"] = round(time.monotonic() - started, 1)
    results["meta"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    paths = report.write(results, server.RESULTS / "quick" if QUICK else server.RESULTS)
    log("wrote", ", ".join(str(p.relative_to(server.ROOT)) for p in paths), f"in {results['meta']['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
