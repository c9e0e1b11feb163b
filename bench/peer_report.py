"""The peers' part of results.md: the playground's websocket and gateway beside each peer, with ratios and goals."""


def _largest_stall_free(capacity: list[dict]) -> int:
    best = 0
    for level in capacity:
        if level["stalled_streams"] == 0 and level["failed"] == 0:
            best = max(best, level["streams"])
    return best


def _paths(results: dict) -> dict:
    """{label: {"ttft": …, "capacity": [...]}} for every path measured at the SQLite backend's levels."""
    sqlite = results["backends"].get("sqlite") or {}
    paths = {"playground websocket": sqlite}
    if "gateway" in sqlite.get("proxies", {}):
        paths["playground gateway (/v1)"] = sqlite["proxies"]["gateway"]
    for name, measured in (results.get("peers") or {}).items():
        paths[measured.get("name", name)] = measured
    return paths


def _ratio(a, b):
    return round(a / b, 3) if a is not None and b not in (None, 0) else None


def _at(capacity: list[dict], n: int, key: str):
    return next((level.get(key) for level in capacity if level["streams"] == n), None)


def goals(results: dict) -> list[dict]:
    """For each playground path and each peer: lower added TTFT p50 at every level, and at least as many
    stall-free streams (the issue's goal), each met or not."""
    paths = _paths(results)
    ours = {k: v for k, v in paths.items() if k.startswith("playground")}
    theirs = {k: v for k, v in paths.items() if not k.startswith("playground")}
    rows = []
    for peer_name, peer in theirs.items():
        levels = [level["streams"] for level in peer.get("capacity", [])]
        for name, path in ours.items():
            pairs = [(path.get("ttft", {}).get("added_ttft_p50_ms"), peer["ttft"].get("added_ttft_p50_ms"))]
            pairs += [(_at(path.get("capacity", []), n, "added_ttft_p50_ms"), _at(peer["capacity"], n, "added_ttft_p50_ms"))
                      for n in levels]
            known = [(a, b) for a, b in pairs if a is not None and b is not None]
            rows.append({"description": f"{name}: lower added TTFT p50 than {peer_name} at 1 stream and at {levels}",
                         "value": f"{sum(a < b for a, b in known)} of {len(known)} levels",
                         "met": (all(a < b for a, b in known) if known else None)})
            mine, peers = _largest_stall_free(path.get("capacity", [])), _largest_stall_free(peer["capacity"])
            rows.append({"description": f"{name}: at least as many stall-free streams as {peer_name}",
                         "value": f"{mine} vs {peers}", "met": mine >= peers if path.get("capacity") else None})
    return rows


def markdown(results: dict, fmt) -> list[str]:
    paths = _paths(results)
    if len(paths) < 2:
        return []
    out = ["## Peers: the same provider, the same client, the same levels", "",
           "Each path is read by the benchmark's httpx client (the websocket by its websocket client) and compared "
           "with the same request straight to the provider, interleaved (`bench/peer.py`). CPU per token is the "
           "serving process's CPU time over the tokens it delivered.", "",
           "| goal | measured | met |", "| --- | --- | --- |"]
    for row in goals(results):
        met = {True: "**met**", False: "**not met**", None: "not measured"}[row["met"]]
        out.append(f"| {row['description']} | {row['value']} | {met} |")
    levels = sorted({level["streams"] for p in paths.values() for level in p.get("capacity", [])})
    out += ["", "| path | added TTFT p50 / p99, 1 stream (ms) | "
            + " | ".join(f"{n} streams: stalled, added TTFT p50 ms, CPU µs/token" for n in levels) + " | largest stall-free N |",
            "| " + " | ".join(["---"] * (len(levels) + 3)) + " |"]
    for name, p in paths.items():
        t, cap = p.get("ttft", {}), p.get("capacity", [])
        cells = [f"{fmt(_at(cap, n, 'stalled_streams'))}, {fmt(_at(cap, n, 'added_ttft_p50_ms'))}, "
                 f"{fmt(_at(cap, n, 'server_cpu_us_per_token'))}" for n in levels]
        out.append(f"| {name} | {fmt(t.get('added_ttft_p50_ms'))} / {fmt(t.get('added_ttft_p99_ms'))} | "
                   + " | ".join(cells) + f" | {_largest_stall_free(cap)} |")
    ours = {k: v for k, v in paths.items() if k.startswith("playground")}
    for peer_name, peer in ((k, v) for k, v in paths.items() if not k.startswith("playground")):
        out += ["", f"Ratios, playground / {peer_name} (below 1: the playground adds less):", "",
                "| path | added TTFT p50, 1 stream | " + " | ".join(f"added TTFT p50 at {n}" for n in levels)
                + " | " + " | ".join(f"CPU/token at {n}" for n in levels) + " |",
                "| " + " | ".join(["---"] * (2 * len(levels) + 2)) + " |"]
        for name, p in ours.items():
            cap = p.get("capacity", [])
            ttft = [_ratio(_at(cap, n, "added_ttft_p50_ms"), _at(peer["capacity"], n, "added_ttft_p50_ms")) for n in levels]
            cpu = [_ratio(_at(cap, n, "server_cpu_us_per_token"), _at(peer["capacity"], n, "server_cpu_us_per_token"))
                   for n in levels]
            first = _ratio(p.get("ttft", {}).get("added_ttft_p50_ms"), peer["ttft"].get("added_ttft_p50_ms"))
            out.append(f"| {name} | {fmt(first)} | "
                       + " | ".join(fmt(r) for r in ttft + cpu) + " |")
    return out + [""]


def plot(results: dict, plt, directory):
    """(figure, path): added TTFT p50 and CPU per token against streams, one line per path; None without a peer."""
    paths = _paths(results)
    if len(paths) < 2:
        return None
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for name, p in paths.items():
        cap = p.get("capacity", [])
        ns = [level["streams"] for level in cap]
        ax1.plot(ns, [level.get("added_ttft_p50_ms") for level in cap], "-o", label=name)
        ax2.plot(ns, [level.get("server_cpu_us_per_token") for level in cap], "-o", label=name)
    for ax, title in ((ax1, "added TTFT p50 (ms)"), (ax2, "server CPU per token (µs)")):
        ax.set_xscale("log")
        ax.set_xlabel("concurrent streams")
        ax.set_title(title)
        ax.legend(fontsize=8)
    return fig, directory / "peers_vs_streams.png"
