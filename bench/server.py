"""Processes the benchmark starts: the provider, Daphne, and Django set-up scripts."""
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
TMP = RESULTS / "tmp"
SECRET_KEY = "bench-secret-key-not-for-production-" + "x" * 20
_FERNET = Fernet.generate_key().decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def base_env(database_url: str, redis_url: str = "", **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "QUICK")}
    env.update(DEBUG="False", SECRET_KEY=SECRET_KEY, PLAYGROUND_ENCRYPTION_KEYS=_FERNET,
               ALLOWED_HOSTS="127.0.0.1,localhost", DATABASE_URL=database_url, LOG_LEVEL="WARNING",
               DJANGO_SETTINGS_MODULE="playground.settings", PYTHONPATH=str(ROOT))
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["CHANNEL_PREFIX"] = f"bench{os.getpid()}{int(time.time())}"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_django(env: dict, *args: str, timeout: float = 600) -> dict | None:
    """`python -m bench.dbsetup ARGS` in the given environment; its last stdout line is JSON."""
    out = subprocess.run([sys.executable, "-m", "bench.dbsetup", *args], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"bench.dbsetup {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else None


def migrate(env: dict) -> None:
    out = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{out.stderr[-3000:]}")


def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.pid} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")


class Provider:
    """`python -m bench.provider` in its own process (its own GIL)."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.provider"], cwd=ROOT, stdout=subprocess.PIPE,
                                     text=True, preexec_fn=_raise_nofile, env={**os.environ, "PYTHONPATH": str(ROOT)})
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the provider did not start: {line!r}")
        self.port = int(line.split()[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.pid = self.proc.pid

    def stop(self):
        stop(self.proc)


class Daphne:
    """`daphne -b 127.0.0.1 -p PORT playground.asgi:application`, DEBUG=False."""

    def __init__(self, env: dict, port: int | None = None, log_name: str = "daphne"):
        self.port = port or free_port()
        self.log = open(TMP / f"{log_name}-{self.port}.log", "w")
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port), "--verbosity", "0",
             "playground.asgi:application"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_raise_nofile)
        self.pid = self.proc.pid
        wait_port(self.port, 60, self.proc)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat/"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        stop(self.proc)
        self.log.close()


def stop(proc: subprocess.Popen, timeout: float = 10):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
