"""Proxies measured beside the playground's websocket: its own gateway and, with PEER=litellm, LiteLLM's proxy.

Each is an OpenAI-compatible `/v1/chat/completions` in front of the same loopback provider, read by the
same httpx client as the direct requests, at the same levels: added TTFT, stall-free N, CPU per token.

LiteLLM goes into a virtualenv of its own (`.venv-litellm`, made on first use): its dependencies
(FastAPI, pydantic, its own openai and httpx pins) would otherwise fight the playground's pins.
"""
import os
import subprocess
import sys
import venv
from pathlib import Path

from bench import server
from bench.client import Proxy

LITELLM = "litellm[proxy]==1.108.0"
PEERS = ("litellm",)
LITELLM_VENV = server.ROOT / ".venv-litellm"
LITELLM_KEY = "sk-bench-litellm-master"


def wanted() -> list[str]:
    """The peers asked for with PEER=name[,name]; an unknown name is an error, not a silent skip."""
    names = [n.strip() for n in os.environ.get("PEER", "").split(",") if n.strip()]
    unknown = sorted(set(names) - set(PEERS))
    if unknown:
        raise SystemExit(f"PEER={','.join(unknown)}: unknown peer; known: {', '.join(PEERS)}")
    return names


def gateway(backend) -> Proxy:
    """The playground's own /v1 on the backend's first Daphne process, with the bench user's API token."""
    first = backend.servers[0]
    return Proxy("playground gateway", f"http://127.0.0.1:{first.port}/v1", backend.setup["token"],
                 prefix=f"{backend.setup['provider']}/", pids=[first.pid])


def _litellm_bin() -> Path:
    binary = LITELLM_VENV / "bin" / "litellm"
    marker = LITELLM_VENV / ".installed"
    if not marker.exists() or marker.read_text() != LITELLM:
        if not (LITELLM_VENV / "bin" / "python").exists():
            venv.create(LITELLM_VENV, with_pip=True)
        subprocess.run([str(LITELLM_VENV / "bin" / "pip"), "install", "--quiet", LITELLM], check=True)
        marker.write_text(LITELLM)
    return binary


class LiteLLM:
    """LiteLLM's proxy (one worker, as Daphne is one process) routing every bench model to the bench provider."""

    def __init__(self, provider_url: str, models: list[str]):
        binary = _litellm_bin()
        self.port = server.free_port()
        config = server.TMP / "litellm.yaml"
        entries = "".join(
            f"  - model_name: {m}\n    litellm_params:\n      model: openai/{m}\n"
            f"      api_base: {provider_url}\n      api_key: sk-bench\n" for m in models)
        config.write_text("model_list:\n" + entries + "general_settings:\n  master_key: " + LITELLM_KEY + "\n"
                          "litellm_settings:\n  drop_params: true\n  telemetry: false\n")
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(LITELLM_LOG="ERROR", LITELLM_TELEMETRY="False", DISABLE_ADMIN_UI="True",
                   NO_DOCS="True", NO_REDOC="True")
        self.log = open(server.TMP / "litellm.log", "w")
        self.proc = subprocess.Popen([str(binary), "--config", str(config), "--host", "127.0.0.1", "--port",
                                      str(self.port), "--num_workers", "1"], cwd=server.TMP, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=server._raise_nofile)
        server.wait_port(self.port, timeout=180, proc=self.proc)

    def proxy(self) -> Proxy:
        return Proxy(f"LiteLLM proxy ({LITELLM.split('==')[1]})", f"http://127.0.0.1:{self.port}/v1", LITELLM_KEY,
                     pids=[self.proc.pid])

    def stop(self):
        server.stop(self.proc)
        self.log.close()


def start(name: str, provider_url: str, models: list[str]):
    if name == "litellm":
        return LiteLLM(provider_url, models)
    raise ValueError(name)


if __name__ == "__main__":  # `python -m bench.peer`: install the peers asked for, nothing else
    for name in wanted():
        print(_litellm_bin() if name == "litellm" else name)
    sys.exit(0)
