"""`python -m bench.ab LEVELS [pg] [gateway]`: the added TTFT and capacity levels only, for before/after comparisons.

Run it from each checkout in turn (e.g. a `git worktree` of the commit before a change, then this one,
alternating, on a quiet machine): it measures the checkout it runs from, with the benchmark's own
scenarios. `LEVELS` is e.g. `1,100`; TOKENS (50), RAMP (1.0 s) and ROUNDS (4 TTFT rounds of 10) tune it.
`gateway` measures the playground's /v1/chat/completions instead of its websocket. Prints one line per
measurement, with each level's CPU split between Daphne's event loop thread and the rest (the ORM threads).
"""
import asyncio
import os
import sys

from bench import __main__ as full, peer, scenarios, server

KEYS = ("completed", "stalled_streams", "max_gap_ms", "added_ttft_p50_ms", "added_ttft_p99_ms", "ttft_ratio_p50",
        "server_cpu_avg_pct", "server_cpu_us_per_token", "server_other_threads_cpu_share")


def main() -> int:
    levels = [int(n) for n in sys.argv[1].split(",")]
    server.TMP.mkdir(parents=True, exist_ok=True)
    provider = server.Provider()
    try:
        if "pg" in sys.argv[2:]:
            backend = full.Backend("postgres", full.PG_BENCH, full.REDIS, 2, provider)
        else:
            backend = full.Backend("sqlite", f"sqlite:///{server.TMP / 'bench.sqlite3'}", "", 1, provider)
        full.fresh_database(backend)
        backend.start()
        try:
            proxy = peer.gateway(backend) if "gateway" in sys.argv[2:] else None
            ttft = asyncio.run(scenarios.ttft(backend, int(os.environ.get("ROUNDS", "4")), 10, proxy=proxy))
            print("ttft", {k: ttft[k] for k in ("relayed_ttft_ms", "direct_ttft_ms", "added_ttft_p50_ms",
                                                "added_ttft_p99_ms")}, flush=True)
            for n in levels:
                level = scenarios.capacity_level(backend, n, int(os.environ.get("TOKENS", "50")),
                                                 float(os.environ.get("RAMP", "1.0")) if n >= 100 else 0.2,
                                                 proxy=proxy)
                print(n, {k: level.get(k) for k in KEYS}, flush=True)
        finally:
            backend.stop()
    finally:
        provider.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
