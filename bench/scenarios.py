"""The measurements: added TTFT, token delivery, capacity, persistence, history."""
import asyncio
import multiprocessing as mp
import statistics
import threading
import time

import httpx
import numpy as np
import psutil

from bench import client
from bench.provider import model_name

SPAWN = mp.get_context("spawn")


def pct(values, q):
    values = [v for v in values if v is not None]
    return float(np.percentile(values, q)) if values else None


def ms(x):
    return None if x is None else round(x * 1000, 3)


# Resource sampling ----------------------------------------------------------------------------

class Sampler:
    """CPU (% of one core) and RSS of some processes, sampled every `every` seconds on a thread."""

    def __init__(self, pids: dict[str, list[int]], every: float = 0.25):
        self.procs = {name: [psutil.Process(p) for p in ps] for name, ps in pids.items()}
        self.every = every
        self.samples = {name: [] for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _cpu(self, procs):
        total = 0.0
        for p in procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def _loop_thread_cpu(self, procs):
        """CPU seconds of each process's main thread: Daphne's event loop (the rest: ORM and other threads)."""
        total = 0.0
        for p in procs:
            try:
                total += sum(t.user_time + t.system_time for t in p.threads() if t.id == p.pid)
            except psutil.Error:
                pass
        return total

    def _rss(self, procs):
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total

    def __enter__(self):
        self.t0 = time.monotonic()
        self.cpu0 = {n: self._cpu(p) for n, p in self.procs.items()}
        self.loop0 = {n: self._loop_thread_cpu(p) for n, p in self.procs.items()}
        self.rss0 = {n: self._rss(p) for n, p in self.procs.items()}
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.every):
            for name, procs in self.procs.items():
                self.samples[name].append((time.monotonic(), self._cpu(procs), self._rss(procs)))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.t1 = time.monotonic()
        self.cpu1 = {n: self._cpu(p) for n, p in self.procs.items()}
        self.loop1 = {n: self._loop_thread_cpu(p) for n, p in self.procs.items()}

    def summary(self, name: str) -> dict:
        samples = self.samples[name]
        wall = self.t1 - self.t0
        peak_cpu = 0.0
        for (ta, ca, _), (tb, cb, _) in zip(samples, samples[1:]):
            if tb > ta:
                peak_cpu = max(peak_cpu, (cb - ca) / (tb - ta) * 100)
        rss = [r for _, _, r in samples] or [self.rss0[name]]
        return {"cpu_avg_pct": round((self.cpu1[name] - self.cpu0[name]) / wall * 100, 1),
                "cpu_peak_pct": round(peak_cpu, 1), "rss_before_mib": round(self.rss0[name] / 2**20, 1),
                "rss_peak_mib": round(max(rss) / 2**20, 1),
                "rss_growth_mib": round((max(rss) - self.rss0[name]) / 2**20, 2),
                "cpu_seconds": self.cpu1[name] - self.cpu0[name],
                "loop_thread_cpu_seconds": self.loop1[name] - self.loop0[name]}


# 1. Added time to first token ------------------------------------------------------------------

async def ttft(backend, rounds: int, per_round: int, warmup: int = 3, proxy: client.Proxy | None = None) -> dict:
    """The same request alternately through the playground (its websocket, or `proxy`) and straight to the provider."""
    model = model_name(4, 20)
    sockets = [] if proxy else [await client.open_socket(s.ws_url, s.origin, backend.session) for s in backend.servers]
    http = client.direct_client(4)

    async def through(n):
        if proxy:
            return await client.direct(http, proxy.base_url, proxy.prefix + model, api_key=proxy.api_key)
        return await client.relayed(sockets[n % len(sockets)], model)

    for i in range(warmup):
        await through(i)
        await client.direct(http, backend.provider.base_url, model)
    round_medians = {"relayed": [], "direct": []}
    diffs, relayed_all, direct_all, failures = [], [], [], 0
    n = 0
    for _ in range(rounds):
        rel, dire = [], []
        for i in range(per_round):
            n += 1
            if i % 2 == 0:
                a = await through(n)
                b = await client.direct(http, backend.provider.base_url, model)
            else:
                b = await client.direct(http, backend.provider.base_url, model)
                a = await through(n)
            if a["ttft"] is None or b["ttft"] is None:
                failures += 1
                continue
            rel.append(a["ttft"])
            dire.append(b["ttft"])
            diffs.append(a["ttft"] - b["ttft"])
        round_medians["relayed"].append(statistics.median(rel))
        round_medians["direct"].append(statistics.median(dire))
        relayed_all += rel
        direct_all += dire
    for ws in sockets:
        await ws.close()
    await http.aclose()
    relayed_ms = ms(statistics.median(round_medians["relayed"]))
    direct_ms = ms(statistics.median(round_medians["direct"]))
    return {"model": model, "rounds": rounds, "per_round": per_round, "warmup_dropped": warmup * 2,
            "pairs": len(diffs), "failures": failures,
            "relayed_ttft_ms": relayed_ms, "direct_ttft_ms": direct_ms,
            "added_ttft_median_of_round_medians_ms": round(relayed_ms - direct_ms, 3),
            "added_ttft_p50_ms": ms(pct(diffs, 50)), "added_ttft_p99_ms": ms(pct(diffs, 99)),
            "relayed_p99_ms": ms(pct(relayed_all, 99)), "direct_p99_ms": ms(pct(direct_all, 99))}


# 2. Token delivery ----------------------------------------------------------------------------------

async def delivery(backend, paced_streams: int, fast_streams: int, fast_deltas: int) -> dict:
    paced = model_name(64, 20)
    sockets = [await client.open_socket(s.ws_url, s.origin, backend.session) for s in backend.servers]
    http = client.direct_client(4)
    rel, dire = [], []
    for i in range(paced_streams):
        ws = sockets[i % len(sockets)]
        pair = [client.relayed(ws, paced), client.direct(http, backend.provider.base_url, paced)]
        for coro in (pair if i % 2 == 0 else pair[::-1]):
            result = await coro
            (rel if result["kind"] == "relayed" else dire).append(result)
    fast = model_name(fast_deltas, 0)
    frel, fdir = [], []
    for i in range(fast_streams):
        ws = sockets[i % len(sockets)]
        frel.append(await client.relayed(ws, fast, timeout=120))
        fdir.append(await client.direct(http, backend.provider.base_url, fast, timeout=120))
    for ws in sockets:
        await ws.close()
    await http.aclose()

    def flat(results, key):
        return [v for r in results for v in r[key]]

    rel_rate = statistics.median([r["rate"] for r in rel if r["rate"]])
    dir_rate = statistics.median([r["rate"] for r in dire if r["rate"]])
    rex, dex = flat(rel, "excess"), flat(dire, "excess")
    frate = statistics.median([r["rate_total"] for r in frel if r["rate_total"]])
    fdrate = statistics.median([r["rate_total"] for r in fdir if r["rate_total"]])
    return {
        "paced": {"model": paced, "streams": paced_streams, "nominal_tokens_per_s": 50.0,
                  "offered_tokens_per_s": round(dir_rate, 2), "delivered_tokens_per_s": round(rel_rate, 2),
                  "delivered_over_offered": round(rel_rate / dir_rate, 4),
                  "delivered_over_nominal": round(rel_rate / 50.0, 4),
                  "all_tokens_delivered": all(r["tokens"] == 64 for r in rel),
                  "relayed_frames_per_stream": statistics.median([r["frames"] for r in rel]),
                  "relayed_gap_excess_p50_ms": ms(pct(rex, 50)), "relayed_gap_excess_p99_ms": ms(pct(rex, 99)),
                  "direct_gap_excess_p50_ms": ms(pct(dex, 50)), "direct_gap_excess_p99_ms": ms(pct(dex, 99)),
                  "added_gap_p50_ms": ms(pct(rex, 50) - pct(dex, 50)),
                  "added_gap_p99_ms": ms(pct(rex, 99) - pct(dex, 99)),
                  "relayed_gap_p99_ms": ms(pct(flat(rel, "gaps"), 99)),
                  "direct_gap_p99_ms": ms(pct(flat(dire, "gaps"), 99))},
        "fast": {"model": fast, "streams": fast_streams, "relayed_tokens_per_s": round(frate, 1),
                 "direct_tokens_per_s": round(fdrate, 1), "relayed_over_direct": round(frate / fdrate, 4),
                 "relayed_frames_per_stream": statistics.median([r["frames"] for r in frel]),
                 "relayed_seconds": round(statistics.median([r["duration"] for r in frel if r["duration"]]), 3),
                 "direct_seconds": round(statistics.median([r["duration"] for r in fdir if r["duration"]]), 3),
                 "all_tokens_delivered": all(r["tokens"] == fast_deltas for r in frel)},
    }


# 3. Capacity ----------------------------------------------------------------------------------------

def run_load(streams: list[dict], mode: str, timeout: float, procs: int, sample_pids: dict | None = None,
             profile=None) -> tuple[list[dict], dict, dict]:
    """Run the streams in `procs` load-generator processes; returns results, samples, extra."""
    parts = [streams[i::procs] for i in range(procs)]
    ready, out, go = SPAWN.Queue(), SPAWN.Queue(), SPAWN.Event()
    start_at = SPAWN.Value("d", 0.0)
    workers = [SPAWN.Process(target=client.worker, args=({"mode": mode, "streams": p, "timeout": timeout},
                                                          ready, go, start_at, out), daemon=True)
               for p in parts if p]
    for w in workers:
        w.start()
    connect_failures = 0
    for _ in workers:
        _, _, failed = ready.get(timeout=180)
        connect_failures += max(0, failed)
    pids = dict(sample_pids or {})
    pids["load generator"] = [w.pid for w in workers]
    sampler = Sampler(pids)
    extra = {"connect_failures": connect_failures}
    with sampler:
        start_at.value = time.monotonic() + 0.3
        go.set()
        prof = profile() if profile else None
        results = []
        for _ in workers:
            kind, _, payload = out.get(timeout=timeout + 120)
            if kind == "error":
                extra.setdefault("worker_errors", []).append(payload)
            else:
                results += payload
        if prof is not None:
            extra["profile"] = prof.finish()
    for w in workers:
        w.join(10)
    return results, {name: sampler.summary(name) for name in pids}, extra


def capacity_level(backend, n: int, tokens: int, ramp: float, profile=None, proxy: client.Proxy | None = None) -> dict:
    """n paced streams straight to the provider, then the same through the playground's websocket (or `proxy`)."""
    model = model_name(tokens, 20)
    offsets = [ramp * i / max(1, n) for i in range(n)]
    procs = 1 if n <= 10 else 2
    timeout = tokens * 0.02 + 40
    direct_streams = [{"offset": o, "model": model, "base_url": backend.provider.base_url} for o in offsets]
    direct, dsamp, _ = run_load(direct_streams, "direct", timeout, procs, {"provider": [backend.provider.pid]})
    servers = backend.servers
    if proxy:
        relay_streams = [proxy.stream(o, model) for o in offsets]
        server_pids = proxy.pids
    else:
        relay_streams = [{"offset": o, "model": model, "ws_url": servers[i % len(servers)].ws_url,
                          "origin": servers[i % len(servers)].origin, "session": backend.session}
                         for i, o in enumerate(offsets)]
        server_pids = [s.pid for s in servers]
    relayed, samples, extra = run_load(relay_streams, "direct" if proxy else "relayed", timeout, procs,
                                       {"server": server_pids, "provider": [backend.provider.pid]}, profile)
    ok = [r for r in relayed if r["ok"] and r["tokens"] == tokens]
    dok = [r for r in direct if r["ok"]]
    rt, dt = [r["ttft"] for r in relayed if r["ttft"] is not None], [r["ttft"] for r in dok if r["ttft"] is not None]
    # medians: a stream that waited, then got its tokens in two frames a moment apart, has a rate of thousands
    rrate = statistics.median([r["rate"] for r in relayed if r["rate"]] or [0])
    drate = statistics.median([r["rate"] for r in dok if r["rate"]] or [0])
    def wall_rate(results):  # tokens over the time from the request to the last token: penalizes queueing
        rates = [r["tokens"] / (r["ttft"] + r["duration_to_last"]) for r in results if r["ttft"] and r.get("duration_to_last")]
        return statistics.mean(rates) if rates else 0.0

    rwall, dwall = wall_rate(relayed), wall_rate(dok)
    stalled = sum(1 for r in relayed if r["stalls"] or not (r["ok"] and r["tokens"] == tokens))
    excess = [v for r in relayed for v in r["excess"]]
    dexcess = [v for r in dok for v in r["excess"]]
    server = samples["server"]
    delivered = sum(r["tokens"] for r in relayed)
    errors = sorted({r["error"] for r in relayed if r["error"]})[:5]
    return {
        "streams": n, "model": model, "tokens_per_stream": tokens, "ramp_s": ramp,
        "completed": len(ok), "failed": n - len(ok), "errors": errors,
        "stalled_streams": stalled, "stall_gaps": sum(r["stalls"] for r in relayed),
        "direct_stalled_streams": sum(1 for r in direct if r["stalls"] or not r["ok"]),
        "max_gap_ms": ms(max((r["max_gap"] for r in relayed), default=0)),
        "delivered_tokens_per_s_per_stream": round(rrate, 2), "offered_tokens_per_s_per_stream": round(drate, 2),
        "delivered_over_offered": round(rrate / drate, 4) if drate else None,
        "delivered_over_nominal": round(rrate / 50.0, 4),
        "wall_delivered_over_offered": round(rwall / dwall, 4) if dwall else None,
        "relayed_ttft_p50_ms": ms(pct(rt, 50)), "relayed_ttft_p99_ms": ms(pct(rt, 99)),
        "direct_ttft_p50_ms": ms(pct(dt, 50)), "direct_ttft_p99_ms": ms(pct(dt, 99)),
        "added_ttft_p50_ms": ms(pct(rt, 50) - pct(dt, 50)) if rt and dt else None,
        "added_ttft_p99_ms": ms(pct(rt, 99) - pct(dt, 99)) if rt and dt else None,
        "ttft_ratio_p50": round(pct(rt, 50) / pct(dt, 50), 3) if rt and dt else None,
        "added_gap_p50_ms": ms(pct(excess, 50) - pct(dexcess, 50)) if excess and dexcess else None,
        "added_gap_p99_ms": ms(pct(excess, 99) - pct(dexcess, 99)) if excess and dexcess else None,
        "server_cpu_avg_pct": server["cpu_avg_pct"], "server_cpu_peak_pct": server["cpu_peak_pct"],
        "server_cpu_us_per_token": round(server["cpu_seconds"] * 1e6 / delivered, 1) if delivered else None,
        "server_other_threads_cpu_share": (round(1 - server["loop_thread_cpu_seconds"] / server["cpu_seconds"], 3)
                                           if server["cpu_seconds"] else None),  # ORM threads: storing turns, replies
        "server_rss_before_mib": server["rss_before_mib"], "server_rss_peak_mib": server["rss_peak_mib"],
        "rss_per_stream_kib": round(server["rss_growth_mib"] * 1024 / n, 1),
        "provider_cpu_avg_pct": samples["provider"]["cpu_avg_pct"],
        "provider_cpu_avg_pct_direct_phase": dsamp["provider"]["cpu_avg_pct"],
        "load_generator_cpu_avg_pct": samples["load generator"]["cpu_avg_pct"],
        **{k: v for k, v in extra.items() if k != "profile"},
        **({"profile": extra["profile"]} if "profile" in extra else {}),
    }


# 4. Persistence -------------------------------------------------------------------------------------

def pg_counters(dsn: str) -> dict:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        db = conn.execute("SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database "
                          "WHERE datname = current_database()").fetchone()
        tables = conn.execute("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables").fetchall()
    counters = {"xact_commit": db[0], "tup_inserted": db[1], "tup_updated": db[2], "tup_deleted": db[3]}
    for name, ins, upd, dele in tables:
        counters[f"{name}.ins"], counters[f"{name}.upd"], counters[f"{name}.del"] = ins, upd, dele
    return counters


async def concurrent_relayed(backend, n: int, model: str, timeout: float = 120) -> list[dict]:
    sockets = [await client.open_socket(backend.servers[i % len(backend.servers)].ws_url,
                                        backend.servers[i % len(backend.servers)].origin, backend.session)
               for i in range(n)]
    results = await asyncio.gather(*(client.relayed(ws, model, timeout=timeout) for ws in sockets))
    for ws in sockets:
        await ws.close()
    return results


def throughput(results: list[dict]) -> float:
    start = min(r["started"] for r in results)
    end = max(r["started"] + (r["duration"] or 0) for r in results)
    return sum(r["tokens"] for r in results) / (end - start)


# 5. History -----------------------------------------------------------------------------------------

def history(server, session: str, seeded: dict, repeats: int) -> dict:
    cookies = {"sessionid": session}
    base = server.origin
    cases = {
        "list_team": "/api/conversations?scope=team",
        "list_mine": "/api/conversations?scope=mine",
        "search_common": f"/api/conversations?q={seeded['common_word']}",
        "search_rare": f"/api/conversations?q={seeded['rare_word']}",
        "search_absent": "/api/conversations?q=nosuchwordanywhere",
        "open_1000": f"/api/conversations/{seeded['long_conversation_id']}",
    }
    out = {}
    with httpx.Client(cookies=cookies, timeout=60) as http:
        for name, path in cases.items():
            times, status, size = [], None, 0
            for i in range(repeats + 2):
                t0 = time.perf_counter()
                response = http.get(base + path)
                dt = time.perf_counter() - t0
                status, size = response.status_code, len(response.content)
                if i >= 2:  # two warm-ups
                    times.append(dt)
            item = {"path": path, "status": status, "bytes": size, "p50_ms": ms(pct(times, 50)),
                    "p95_ms": ms(pct(times, 95)), "n": len(times)}
            if status == 200 and name.startswith(("list", "search")):
                item["items"] = len(response.json().get("items", []))
            if status == 200 and name == "open_1000":
                item["messages"] = len(response.json().get("messages", []))
            out[name] = item
    return out
