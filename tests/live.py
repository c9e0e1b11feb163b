"""Real Daphne processes for tests, pointed at the pytest test database."""
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "test-results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(db: dict) -> str:
    """The test database as a DATABASE_URL for another process."""
    if db["ENGINE"].endswith("sqlite3"):
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("Live-server tests need a file-backed sqlite test database, not an in-memory one.")
        return f"sqlite:///{Path(name).resolve()}"
    if "postgresql" in db["ENGINE"]:
        user = db.get("USER") or "postgres"
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"
    raise RuntimeError(f"No DATABASE_URL form for {db['ENGINE']}.")


def server_env(db: dict, **extra) -> dict:
    """The environment of a Daphne that shares this test run's database, secrets and Redis."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({
        "DATABASE_URL": database_url(db), "SECRET_KEY": settings.SECRET_KEY,
        "PLAYGROUND_ENCRYPTION_KEYS": ",".join(settings.PLAYGROUND_ENCRYPTION_KEYS),
        "DJANGO_SETTINGS_MODULE": "playground.settings", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # each test points its provider at a new loopback port, saved from the test process
        "PLAYGROUND_CONFIG_CACHE_SECONDS": "0",
    })
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
        env["CHANNEL_PREFIX"] = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]  # this test worker's
    env.update(extra)
    return env


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Daphne exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"Daphne did not listen on {port} within {timeout}s:\n{log.read_text()[-3000:]}")


@contextmanager
def daphne(env: dict, name: str = "daphne"):
    """A Daphne process on a free port; yields its base URL and stops it afterwards."""
    port = free_port()
    RESULTS.mkdir(exist_ok=True)
    log = RESULTS / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("daphne")), "-b", "127.0.0.1", "-p", str(port), "playground.asgi:application"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def experiment_worker(env: dict, name: str = "worker", timeout: float = 30.0):
    """A `manage.py experimentworker` process on the test database; yields it (its log path as `.log`), stops it
    (SIGTERM) after."""
    RESULTS.mkdir(exist_ok=True)
    log = RESULTS / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "manage.py", "experimentworker"], cwd=ROOT,
                                   env={**env, "PYTHONUNBUFFERED": "1"},
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while b"Experiment worker ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The worker did not start ({process.poll()}):\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        process.log = log
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
