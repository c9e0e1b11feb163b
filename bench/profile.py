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


def summarize(raw: str, top: int = 20) -> dict:
    self_counts, total_counts = collections.Counter(), collections.Counter()
    samples = 0
    idle = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short(f) for f in stack.split(";") if f and not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        samples += n
        leaf = frames[-1]
        if leaf.startswith(("select (", "poll (", "epoll", "_worker (", "wait (")) or "selectors.py" in leaf and "select" in leaf:
            idle += n
        self_counts[leaf] += n
        for f in set(frames):
            total_counts[f] += n

    def table(counter):
        return [{"frame": f, "pct": round(100 * c / samples, 1)} for f, c in counter.most_common(top)]

    return {"samples": samples, "idle_pct": round(100 * idle / samples, 1) if samples else None,
            "top_self": table(self_counts), "top_total": table(total_counts)}
