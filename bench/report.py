"""results.json (every figure), results.md (tables, targets met or not) and PNG plots."""
import json
from pathlib import Path

from bench import peer_report, workbench

TARGETS = [
    # (key, description, getter, comparison, limit)
    ("ttft_p50", "added TTFT p50 at 1 stream ≤ 2 ms", lambda b: b["ttft"]["added_ttft_p50_ms"], "<=", 2.0),
    ("ttft_p99", "added TTFT p99 at 1 stream ≤ 10 ms", lambda b: b["ttft"]["added_ttft_p99_ms"], "<=", 10.0),
    ("ttft_ratio_100", "relayed/direct TTFT (p50) at 100 streams ≤ 1.10",
     lambda b: _level(b, 100, "ttft_ratio_p50"), "<=", 1.10),
    ("delivered", "delivered ≥ 0.98× offered (64 deltas, 20 ms apart)",
     lambda b: b["delivery"]["paced"]["delivered_over_offered"], ">=", 0.98),
    ("gap_p99", "added inter-frame gap p99 ≤ 5 ms", lambda b: b["delivery"]["paced"]["added_gap_p99_ms"], "<=", 5.0),
    ("stall_free", "≥ 500 stall-free streams at 50 tokens/s (largest N measured with no stall)",
     lambda b: _largest_stall_free(b), ">=", 500),
    ("rss_per_stream", "≤ 100 KiB RSS per stream (at the largest level measured)",
     lambda b: (b.get("capacity") or [{}])[-1].get("rss_per_stream_kib"), "<=", 100.0),
    ("writes", "≤ 2 writes per reply plus checkpoints (rows of the reply: insert + finalize + checkpoints)",
     lambda b: _reply_writes(b), "<=", 2.0),
    ("checkpoint_rate", "checkpoints at most once a second",
     lambda b: ((b.get("persistence") or {}).get("writes", {}).get("on") or {}).get("checkpoints_per_reply_second"), "<=", 1.0),
    ("persist_throughput", "throughput with persistence on ≥ 0.97× off",
     lambda b: (b.get("persistence") or {}).get("throughput", {}).get("on_over_off"), ">=", 0.97),
    ("history_list", "history list p95 ≤ 50 ms", lambda b: _hist(b, "list_team"), "<=", 50.0),
    ("history_search", "search p95 ≤ 150 ms (worst of common / rare / absent word)",
     lambda b: max([x for x in (_hist(b, "search_common"), _hist(b, "search_rare"), _hist(b, "search_absent")) if x is not None], default=None),
     "<=", 150.0),
    ("history_open", "open a 1,000-message conversation p95 ≤ 100 ms", lambda b: _hist(b, "open_1000"), "<=", 100.0),
]


def _level(b, n, key):
    for level in b.get("capacity", []):
        if level["streams"] == n:
            return level.get(key)
    return None


def _largest_stall_free(b):
    best = 0
    for level in b.get("capacity", []):
        if level["stalled_streams"] == 0 and level["failed"] == 0:
            best = max(best, level["streams"])
    return best


def _reply_writes(b):
    writes = (b.get("persistence") or {}).get("writes", {}).get("on")
    if not writes:
        return None
    return round(writes["reply_row_writes"] - max(0.0, writes["checkpoints_per_reply"]), 2)


def _hist(b, name):
    item = (b.get("history") or {}).get("endpoints", {}).get(name)
    return item["p95_ms"] if item and item["status"] == 200 else None


def evaluate(results: dict) -> dict:
    verdicts = {}
    for name, backend in results["backends"].items():
        rows = []
        for key, text, get, op, limit in TARGETS:
            try:
                value = get(backend)
            except (KeyError, TypeError, IndexError):
                value = None
            met = None if value is None else (value <= limit if op == "<=" else value >= limit)
            rows.append({"target": key, "description": text, "value": value, "limit": limit, "op": op, "met": met})
        verdicts[name] = rows
    return verdicts


def _fmt(v):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 10 else f"{v:,.1f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def markdown(results: dict) -> str:
    meta = results["meta"]
    out = [f"# Benchmark results ({'QUICK' if meta['quick'] else 'full'} run)", "",
           f"Run {meta['started']}, {meta['seconds']} s, Python {meta['python']}, {meta['cpus']} CPUs, "
           f"load average at start {meta['loadavg_start']}, at end {meta.get('loadavg_end')}. "
           "Everything (Daphne, the loopback provider, the load generator, PostgreSQL, Redis) shares this machine; "
           "other jobs were running on it too, so absolute figures are noisy: the direct baseline is measured "
           "under the same conditions, interleaved.", ""]
    for name, rows in results["verdicts"].items():
        out += [f"## Targets: {name}", "", "| target | measured | met |", "| --- | --- | --- |"]
        for r in rows:
            met = {True: "**met**", False: "**not met**", None: "not measured"}[r["met"]]
            out.append(f"| {r['description']} | {_fmt(r['value'])} | {met} |")
        out.append("")
    if results.get("client_cost"):
        out += ["## What reading a provider stream costs (one process, no Daphne)", "",
                "Paced streams (a delta every 20 ms: one network read per delta), CPU time of the reading "
                "process per delta (`bench/client_cost.py`):", "",
                "| client | streams | deltas | CPU µs per delta | process CPU % | streams at 50 tokens/s one core could read |",
                "| --- | --- | --- | --- | --- | --- |"]
        for c in results["client_cost"]:
            out.append(f"| {c['client']} | {c['streams']} | {c['deltas']:,} | {_fmt(c['cpu_us_per_delta'])} | "
                       f"{_fmt(c['cpu_pct'])} | {c['streams_at_50_tokens_per_s_per_core']} |")
        out.append("")
    for name, b in results["backends"].items():
        out += [f"## {name}: {b['processes']} Daphne process(es), channel layer {b['channel_layer']}", ""]
        if "ttft" in b:
            t = b["ttft"]
            out += ["### 1. Added time to first token (1 stream)", "",
                    f"{t['pairs']} pairs of the same request ({t['model']}: first token after 20 ms), alternately "
                    f"through the playground and straight to the provider, {t['rounds']} rounds, warm-ups dropped.", "",
                    "| relayed TTFT (median of round medians) | direct | added p50 | added p99 |", "| --- | --- | --- | --- |",
                    f"| {_fmt(t['relayed_ttft_ms'])} ms | {_fmt(t['direct_ttft_ms'])} ms | {_fmt(t['added_ttft_p50_ms'])} ms | {_fmt(t['added_ttft_p99_ms'])} ms |", ""]
        if "delivery" in b:
            p, f = b["delivery"]["paced"], b["delivery"]["fast"]
            out += ["### 2. Token delivery (1 stream)", "",
                    "| 64 deltas 20 ms apart | value |", "| --- | --- |",
                    f"| offered (direct client), tokens/s | {_fmt(p['offered_tokens_per_s'])} |",
                    f"| delivered (websocket), tokens/s | {_fmt(p['delivered_tokens_per_s'])} |",
                    f"| delivered / offered | {_fmt(p['delivered_over_offered'])} |",
                    f"| added gap p50 / p99 | {_fmt(p['added_gap_p50_ms'])} / {_fmt(p['added_gap_p99_ms'])} ms |",
                    f"| frames per 64-token reply | {_fmt(p['relayed_frames_per_stream'])} |", "",
                    f"As fast as the provider can ({f['model']}): the playground delivers {_fmt(f['relayed_tokens_per_s'])} tokens/s "
                    f"in one stream, the direct client reads {_fmt(f['direct_tokens_per_s'])} tokens/s: ratio {_fmt(f['relayed_over_direct'])}.", ""]
        if b.get("capacity"):
            out += ["### 3. Capacity: concurrent streams at 50 tokens/s", "",
                    "| streams | completed | stalled streams | max gap ms | delivered/offered (steady / incl. wait) | relayed TTFT p50/p99 ms | direct TTFT p50/p99 ms | added TTFT p50/p99 ms | added gap p99 ms | server CPU avg/peak % | CPU µs/token (share off the loop thread) | server RSS MiB | RSS/stream KiB | provider CPU % | load gen CPU % |",
                    "| " + " | ".join(["---"] * 15) + " |"]
            for level in b["capacity"]:
                out.append(f"| {level['streams']} | {level['completed']} | {level['stalled_streams']} | {_fmt(level['max_gap_ms'])} | "
                           f"{_fmt(level['delivered_over_offered'])} / {_fmt(level.get('wall_delivered_over_offered'))} | {_fmt(level['relayed_ttft_p50_ms'])} / {_fmt(level['relayed_ttft_p99_ms'])} | "
                           f"{_fmt(level['direct_ttft_p50_ms'])} / {_fmt(level['direct_ttft_p99_ms'])} | "
                           f"{_fmt(level['added_ttft_p50_ms'])} / {_fmt(level['added_ttft_p99_ms'])} | {_fmt(level['added_gap_p99_ms'])} | "
                           f"{_fmt(level['server_cpu_avg_pct'])} / {_fmt(level['server_cpu_peak_pct'])} | "
                           f"{_fmt(level.get('server_cpu_us_per_token'))} ({_fmt(level.get('server_other_threads_cpu_share'))}) | "
                           f"{_fmt(level['server_rss_peak_mib'])} | "
                           f"{_fmt(level['rss_per_stream_kib'])} | {_fmt(level['provider_cpu_avg_pct'])} | {_fmt(level['load_generator_cpu_avg_pct'])} |")
            errors = sorted({e for level in b["capacity"] for e in level.get("errors", [])})
            out += ["", f"Largest N with no stall: {_largest_stall_free(b)}." + (f" Errors seen: {errors}" if errors else ""), ""]
        if b.get("persistence"):
            p = b["persistence"]
            out += ["### 4. Persistence", ""]
            for label, w in p.get("writes", {}).items():
                out.append(f"- checkpoints {label}: {w['completed']} replies of {w['reply_seconds']} s; rows written per turn "
                           f"{w['rows_written_per_turn']} ({', '.join(f'{k} {v}' for k, v in w['per_turn'].items() if k.endswith(('.ins', '.upd', '.del')))}); "
                           f"transactions per turn {w['per_turn'].get('xact_commit')}; writes to the reply row {w['reply_row_writes']}, "
                           f"checkpoints per reply {w['checkpoints_per_reply']}.")
            if not p.get("writes"):
                out.append("- writes are counted on PostgreSQL only (pg_stat counters, from outside the server).")
            t = p["throughput"]
            out += [f"- throughput, {t['streams']} concurrent fast streams ({t['model']}): checkpoints on "
                    f"{_fmt(t['tokens_per_s_on'])} tokens/s, off {_fmt(t['tokens_per_s_off'])} tokens/s, ratio {_fmt(t['on_over_off'])} (best of {len(t['runs']['on'])}).", ""]
        if b.get("history"):
            h = b["history"]
            s = h["seeded"]
            out += ["### 5. History", "", f"Seeded {s['conversations']:,} conversations and {s['messages']:,} messages in {s['seconds']} s.", "",
                    "| endpoint | status | p50 ms | p95 ms | items |", "| --- | --- | --- | --- | --- |"]
            for k, e in h["endpoints"].items():
                out.append(f"| {k} `{e['path']}` | {e['status']} | {_fmt(e['p50_ms'])} | {_fmt(e['p95_ms'])} | {e.get('items', e.get('messages', ''))} |")
            out.append("")
        if b.get("profile", {}).get("profile"):
            prof = b["profile"]["profile"]
            out += [f"### Profile: py-spy on Daphne during {b['profile']['streams']} streams", "",
                    f"{prof.get('samples')} samples, idle {prof.get('idle_pct')} %. Where the time goes (each sample "
                    "counted where its stack first enters one of these, walking up from the leaf):", ""]
            out += [f"- {r['pct']} % {r['area']}" for r in prof.get("areas", [])]
            out += ["", "Top frames by own time:", ""]
            out += [f"- {r['pct']} % {r['frame']}" for r in prof.get("top_self", [])[:15]]
            out += ["", "Top frames including callees:", ""]
            out += [f"- {r['pct']} % {r['frame']}" for r in prof.get("top_total", [])[:20]]
            out.append("")
    out += peer_report.markdown(results, _fmt)
    out += workbench.markdown(results)
    return "\n".join(out) + "\n"


def _twin_legend(ax1, ax2, loc: str) -> None:
    """One legend for a plot with two y axes."""
    lines, labels = ax1.get_legend_handles_labels()
    more_lines, more_labels = ax2.get_legend_handles_labels()
    ax1.legend(lines + more_lines, labels + more_labels, fontsize=8, loc=loc)


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plots(results: dict, directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    peers = peer_report.plot(results, plt, directory)
    if peers:
        paths.append(_save(plt, *peers))
    backends = {n: b for n, b in results["backends"].items() if b.get("capacity")}
    if not backends:
        return paths
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, b in backends.items():
        ns = [level["streams"] for level in b["capacity"]]
        for key, style, label in (("relayed_ttft_p50_ms", "-o", "relayed p50"), ("relayed_ttft_p99_ms", "--o", "relayed p99"),
                                  ("direct_ttft_p50_ms", "-s", "direct p50"), ("direct_ttft_p99_ms", "--s", "direct p99")):
            ax.plot(ns, [level[key] for level in b["capacity"]], style, label=f"{name}: {label}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("concurrent streams (50 tokens/s each)")
    ax.set_ylabel("time to first token, ms")
    ax.set_title("Time to first token against concurrency")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    paths.append(_save(plt, fig, directory / "ttft_vs_streams.png"))

    fig, ax1 = plt.subplots(figsize=(8, 5))
    ax2 = ax1.twinx()
    for name, b in backends.items():
        ns = [level["streams"] for level in b["capacity"]]
        ax1.plot(ns, [100 * level["stalled_streams"] / level["streams"] for level in b["capacity"]], "-o", label=f"{name}: stalled streams %")
        ax2.plot(ns, [level.get("wall_delivered_over_offered") for level in b["capacity"]], "--^",
                 label=f"{name}: delivered/offered (incl. waiting)")
    ax1.set_xscale("log")
    ax1.set_xlabel("concurrent streams (50 tokens/s each)")
    ax1.set_ylabel("streams with a gap > 100 ms or unfinished, %")
    ax2.set_ylabel("delivered / offered tokens per second")
    ax2.set_ylim(0, 1.1)
    ax1.set_ylim(-2, 102)
    ax1.set_title("Stalls and delivery against concurrency")
    ax1.grid(True, which="both", alpha=0.3)
    _twin_legend(ax1, ax2, "center left")
    paths.append(_save(plt, fig, directory / "stalls_vs_streams.png"))

    fig, ax1 = plt.subplots(figsize=(8, 5))
    ax2 = ax1.twinx()
    for name, b in backends.items():
        ns = [level["streams"] for level in b["capacity"]]
        ax1.plot(ns, [level["server_cpu_avg_pct"] for level in b["capacity"]], "-o", label=f"{name}: server CPU avg %")
        ax2.plot(ns, [level["rss_per_stream_kib"] for level in b["capacity"]], "--s", label=f"{name}: RSS per stream KiB")
    ax1.set_xscale("log")
    ax1.set_xlabel("concurrent streams (50 tokens/s each)")
    ax1.set_ylabel("Daphne CPU, % of one core (sum over processes)")
    ax2.set_ylabel("RSS growth per stream, KiB")
    ax1.set_title("Server CPU and memory against concurrency")
    ax1.grid(True, which="both", alpha=0.3)
    _twin_legend(ax1, ax2, "upper left")
    paths.append(_save(plt, fig, directory / "cpu_rss_vs_streams.png"))
    return paths


def write(results: dict, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    results["verdicts"] = evaluate(results)
    json_path = directory / "results.json"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path = directory / "results.md"
    md_path.write_text(markdown(results))
    return [json_path, md_path, *plots(results, directory)]


if __name__ == "__main__":  # re-render from results.json
    import sys

    d = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "results"
    data = json.loads((d / "results.json").read_text())
    print(write(data, d))
