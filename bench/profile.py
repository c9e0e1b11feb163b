"""py-spy on a Daphne process while a capacity level runs: the top frames, self and total."""
import collections
import shutil
import subprocess
import sys
from pathlib import Path

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")


class PySpy:
    def __init__(self, pid: int, seconds: float, out: Path, rate: int = 250):
        self.out = out
        self.proc = subprocess.Popen([PY_SPY, "record", "-p", str(pid), "-d", str(max(1, int(seconds))), "-r", str(rate),
                                      "--nonblocking", "--gil", "-f", "raw", "-o", str(out)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def finish(self, top: int = 20) -> dict:
        try:
            _, err = self.proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return {"error": "py-spy did not finish"}
        if not self.out.exists():
            return {"error": (err or "")[-500:]}
        return summarize(self.out.read_text(), top)


def _short(frame: str) -> str:
    # "function (path/to/file.py:123)" -> "function (file.py)" keeping the package dir for context
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    parts = path.split("/")
    for anchor in ("site-packages", "main", "lib"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor):]
            break
    return f"{name} ({'/'.join(parts[-3:])})"


# Where a sample's time goes: the first of these found walking its stack up from the leaf to the event
# loop's callback (py-spy's raw frames name files by their last path parts: "h11/_readers.py").
AREAS = [
    ("storing turns and replies (database thread)", ("django/db/", "sqlite3", "psycopg", "chat/store.py", "chat/turns.py",
                                                     "chat/db.py")),
    ("reading provider streams (httpcore, h11, adapters)", ("httpcore/", "h11/", "httpx/", "providers/", "anyio/")),
    ("websocket writes (Daphne, autobahn, Twisted)", ("daphne/", "autobahn/", "twisted/", "txaio/")),
    ("the channel layer over Redis (redis-py, msgpack)", ("redis/", "channels_redis/", "redis_layer.py", "msgpack")),
    ("relay (coalescing, frames, channel layer)", ("chat/generation.py", "chat/engine.py", "channel_layer.py",
                                                   "channels/", "chat/sockets.py", "chat/consumers.py")),
]
OTHER = "the event loop itself and the rest"
LOOP_CALLBACK = "Handle._run (asyncio/events.py"


def _area(raw_frames: list[str]) -> str:
    calls = [i for i, frame in enumerate(raw_frames) if frame.startswith(LOOP_CALLBACK)]
    below = raw_frames[calls[-1] + 1:] if calls else raw_frames  # not Daphne's and Twisted's frames running the loop
    for frame in reversed(below):
        for name, markers in AREAS:
            if any(marker in frame for marker in markers):
                return name
    return OTHER


def summarize(raw: str, top: int = 20) -> dict:
    self_counts, total_counts, areas = collections.Counter(), collections.Counter(), collections.Counter()
    samples = 0
    idle = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        raw_frames = [f for f in stack.split(";") if f and not f.startswith("process ") and not f.startswith("thread ")]
        frames = [_short(f) for f in raw_frames]
        if not frames:
            continue
        samples += n
        leaf = frames[-1]
        if leaf.startswith(("select (", "poll (", "epoll", "_worker (", "wait (")) or "selectors.py" in leaf and "select" in leaf:
            idle += n
            areas["idle"] += n
        else:
            areas[_area(raw_frames)] += n
        self_counts[leaf] += n
        for f in set(frames):
            total_counts[f] += n

    def table(counter):
        return [{"frame": f, "pct": round(100 * c / samples, 1)} for f, c in counter.most_common(top)]

    return {"samples": samples, "idle_pct": round(100 * idle / samples, 1) if samples else None,
            "areas": [{"area": a, "pct": round(100 * c / samples, 1)} for a, c in areas.most_common()],
            "top_self": table(self_counts), "top_total": table(total_counts)}
