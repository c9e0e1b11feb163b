"""What reading a provider stream costs one Python process, before the playground does anything with it.

N paced streams (the capacity test's 20 ms between deltas, one TCP read per
delta) are read in a fresh process, and its CPU time is divided by the deltas
read, for:

- `adapter`: the playground's own OpenAI adapter (httpx → SSE → neutral events),
  exactly what a Daphne process runs for each upstream chunk, with its pooled
  client on httpcore's asyncio backend (`providers/network.py`);
- `adapter-anyio`: the same adapter on httpx's default transport (httpcore
  through anyio), as before that backend;
- `asyncio`: a bare asyncio protocol that only counts the text deltas of the same
  responses: the floor any asyncio client pays for a read.

The difference between the two bounds how many streams one process can read,
whatever the rest of the relay costs.
"""
import asyncio
import multiprocessing as mp
import time
from urllib.parse import urlsplit

SPAWN = mp.get_context("spawn")


async def _adapter_anyio_streams(base_url: str, model: str, n: int) -> int:
    import httpx

    from providers import http

    http._clients[asyncio.get_running_loop()] = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=4000, max_keepalive_connections=500), timeout=httpx.Timeout(180.0))
    return await _adapter_streams(base_url, model, n)


async def _adapter_streams(base_url: str, model: str, n: int) -> int:
    from providers.adapters.openai import OpenAIAdapter
    from providers.config import ProviderConfig
    from providers.secrets import Secret
    from providers.types import ChatRequest, Message, TextDelta

    adapter = OpenAIAdapter(ProviderConfig(kind="openai", name="bench", slug="bench", base_url=base_url,
                                           api_key=Secret(lambda: "sk-bench")))

    async def one() -> int:
        request = ChatRequest(model=model, messages=[Message("user", "Say something.")])
        return sum([1 async for event in adapter.stream_chat(request) if isinstance(event, TextDelta)])

    return sum(await asyncio.gather(*(one() for _ in range(n))))


class _Counter(asyncio.Protocol):
    """Counts text deltas (`"delta": {"content": ...}`; the first chunk's delta opens with its role)."""

    DELTA = b'{"content": "'

    def __init__(self, done: asyncio.Future):
        self.done, self.count, self.tail = done, 0, b""

    def data_received(self, data: bytes) -> None:
        data = self.tail + data
        self.count += data.count(self.DELTA)
        self.tail = data[-(len(self.DELTA) - 1):]  # too short to hold a whole match: nothing counted twice
        if b"[DONE]" in data:
            self.done.set_result(self.count)

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(self.count)


async def _asyncio_streams(base_url: str, model: str, n: int) -> int:
    url = urlsplit(base_url)
    body = ('{"model": "%s", "stream": true, "messages": [{"role": "user", "content": "Say something."}]}' % model).encode()
    head = (f"POST {url.path}/chat/completions HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer sk-bench\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    loop = asyncio.get_running_loop()

    async def one() -> int:
        done = loop.create_future()
        transport, _ = await loop.create_connection(lambda: _Counter(done), url.hostname, url.port)
        transport.write(head + body)
        count = await done
        transport.close()
        return count

    return sum(await asyncio.gather(*(one() for _ in range(n))))


def _measure(kind: str, base_url: str, model: str, n: int, out) -> None:
    run = {"adapter": _adapter_streams, "adapter-anyio": _adapter_anyio_streams, "asyncio": _asyncio_streams}[kind]
    asyncio.run(run(base_url, "d4-i0", min(n, 20)))  # warm-up: imports, first connections
    cpu0, t0 = time.process_time(), time.perf_counter()
    deltas = asyncio.run(run(base_url, model, n))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    out.put({"client": kind, "streams": n, "model": model, "deltas": deltas,
             "cpu_us_per_delta": round(cpu / max(1, deltas) * 1e6, 1), "cpu_pct": round(cpu / wall * 100, 1),
             "streams_at_50_tokens_per_s_per_core": int(1e6 / (cpu / max(1, deltas) * 1e6) / 50) if deltas else None})


def client_cost(base_url: str, streams: int = 200, model: str = "d100-i20") -> list[dict]:
    results = []
    for kind in ("asyncio", "adapter", "adapter-anyio"):
        out = SPAWN.Queue()
        proc = SPAWN.Process(target=_measure, args=(kind, base_url, model, streams, out), daemon=True)
        proc.start()
        results.append(out.get(timeout=300))
        proc.join(10)
    return results
