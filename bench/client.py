"""Load clients: a signed-in websocket client (like a browser) and a direct httpx client.

Each stream's result is a dict of timings measured here, at the client:
ttft (request sent -> first text), gaps between text frames, the excess of
each gap over the provider's pacing for the tokens it carried, tokens, rates.
The capacity test runs `worker` in separate processes (multiprocessing).
"""
import asyncio
import itertools
import json
import os
import time
from dataclasses import dataclass, field

import httpx
import websockets
from websockets.asyncio.client import connect as ws_connect

from bench.provider import TOKEN_CHARS, reply_shape

STALL_SECONDS = 0.100
_ids = itertools.count(1)
now = time.monotonic  # CLOCK_MONOTONIC: the same clock in every process of the machine


def _result(kind: str, model: str, started: float, marks: list[tuple[float, int]], ended: float | None,
            status: str, error: str = "") -> dict:
    _, interval = reply_shape(model)
    gaps, excess = [], []
    for (t0, _), (t1, n1) in zip(marks, marks[1:]):
        gaps.append(t1 - t0)
        excess.append((t1 - t0) - n1 * interval)
    tokens = sum(n for _, n in marks)
    rate = None
    if len(marks) >= 2 and marks[-1][0] > marks[0][0]:
        rate = (tokens - marks[0][1]) / (marks[-1][0] - marks[0][0])
    rate_total = tokens / (marks[-1][0] - started) if marks and marks[-1][0] > started else None
    return {"kind": kind, "model": model, "ok": status == "complete", "status": status, "error": error[:200],
            "rate_total": rate_total,
            "duration_to_last": (marks[-1][0] - marks[0][0]) if marks else None,
            "started": started, "ttft": (marks[0][0] - started) if marks else None, "tokens": tokens,
            "frames": len(marks), "gaps": gaps, "excess": excess, "rate": rate,
            "stalls": sum(1 for g in gaps if g > STALL_SECONDS), "max_gap": max(gaps, default=0.0),
            "duration": (ended - started) if ended else None}


# Through the playground -------------------------------------------------------------------

async def open_socket(ws_url: str, origin: str, session: str):
    return await ws_connect(ws_url, origin=origin, additional_headers={"Cookie": f"sessionid={session}"},
                            max_size=None, open_timeout=60, ping_interval=None, compression=None)


async def relayed(ws, model: str, provider: str = "bench", content: str = "Say something.", timeout: float = 60.0) -> dict:
    """One chat.send in a new conversation, timed from the send to the first stream.delta and to stream.end."""
    request_id = f"b{os.getpid()}-{next(_ids)}"
    frame = {"type": "chat.send", "request_id": request_id, "conversation_id": None, "parent_id": None,
             "provider": provider, "model": model, "content": content}
    marks: list[tuple[float, int]] = []
    started = now()
    deadline = started + timeout
    try:
        await ws.send(json.dumps(frame))
        while True:
            raw = await asyncio.wait_for(ws.recv(), max(0.001, deadline - now()))
            t = now()
            msg = json.loads(raw)
            kind = msg.get("type")
            if kind == "stream.delta":
                if msg.get("request_id") == request_id:
                    marks.append((t, len(msg["content"]) // TOKEN_CHARS))
            elif kind == "stream.end" and msg.get("request_id") == request_id:
                return _result("relayed", model, started, marks, t, msg.get("status", "?"))
            elif kind == "error":
                return _result("relayed", model, started, marks, t, "error", f"{msg.get('code')}: {msg.get('message')}")
    except asyncio.TimeoutError:
        return _result("relayed", model, started, marks, None, "timeout", "no stream.end in time")
    except websockets.ConnectionClosed as closed:
        return _result("relayed", model, started, marks, None, "closed", f"closed {closed.rcvd}")


# Through an OpenAI-compatible proxy (the gateway, a peer) ----------------------------------------

@dataclass
class Proxy:
    """An OpenAI-compatible endpoint in front of the bench provider, read with the same client as the provider."""

    name: str
    base_url: str
    api_key: str
    prefix: str = ""  # prepended to the bench model name (the gateway names models <provider>/<model>)
    pids: list[int] = field(default_factory=list)

    def stream(self, offset: float, model: str) -> dict:
        return {"offset": offset, "model": self.prefix + model, "base_url": self.base_url, "api_key": self.api_key}


# Straight to the provider --------------------------------------------------------------------

def direct_client(limit: int = 100) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(120.0), limits=httpx.Limits(max_connections=limit + 10,
                                                                              max_keepalive_connections=limit + 10))


async def direct(http: httpx.AsyncClient, base_url: str, model: str, content: str = "Say something.",
                 timeout: float = 60.0, api_key: str = "sk-bench") -> dict:
    """One streamed /chat/completions at an OpenAI-compatible URL: the provider itself, or a proxy in front of it."""
    body = {"model": model, "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": content}]}
    marks: list[tuple[float, int]] = []
    started = now()
    try:
        async with asyncio.timeout(timeout):
            async with http.stream("POST", f"{base_url}/chat/completions", json=body,
                                   headers={"Authorization": f"Bearer {api_key}"}) as response:
                if response.status_code != 200:
                    await response.aread()
                    return _result("direct", model, started, marks, None, "error",
                                   f"HTTP {response.status_code}: {response.text[:150]}")
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    t = now()
                    chunk = json.loads(data)
                    for choice in chunk.get("choices") or ():
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            marks.append((t, len(text) // TOKEN_CHARS))
        return _result("direct", model, started, marks, now(), "complete")
    except (TimeoutError, asyncio.TimeoutError):
        return _result("direct", model, started, marks, None, "timeout", "no [DONE] in time")
    except httpx.HTTPError as error:
        return _result("direct", model, started, marks, None, "error", repr(error))


# Many streams in one process ----------------------------------------------------------------------

async def _run_streams(plan: dict, ready, go, start_at) -> list[dict]:
    """plan: {"mode": "relayed"|"direct", "streams": [{"offset", "model", "ws_url", "origin", "session"} | {...}], "timeout"}."""
    streams = plan["streams"]
    timeout = plan["timeout"]
    sockets = []
    http = None
    if plan["mode"] == "relayed":
        gate = asyncio.Semaphore(32)

        async def opened(s):
            async with gate:
                return await open_socket(s["ws_url"], s["origin"], s["session"])

        sockets = await asyncio.gather(*(opened(s) for s in streams), return_exceptions=True)
    else:
        http = direct_client(len(streams))
    ready.put(("ready", os.getpid(), sum(1 for s in sockets if isinstance(s, Exception))))
    await asyncio.get_running_loop().run_in_executor(None, go.wait)
    begin = start_at.value

    async def one(i, s):
        await asyncio.sleep(max(0.0, begin + s["offset"] - now()))
        if plan["mode"] == "relayed":
            ws = sockets[i]
            if isinstance(ws, Exception):
                return _result("relayed", s["model"], now(), [], None, "connect", repr(ws))
            result = await relayed(ws, s["model"], timeout=timeout)
        else:
            result = await direct(http, s["base_url"], s["model"], timeout=timeout, api_key=s.get("api_key", "sk-bench"))
        result["server"] = s.get("ws_url") or s.get("base_url")
        return result

    results = await asyncio.gather(*(one(i, s) for i, s in enumerate(streams)))
    for ws in sockets:
        if not isinstance(ws, Exception):
            try:
                await asyncio.wait_for(ws.close(), 2)
            except Exception:
                pass
    if http is not None:
        await http.aclose()
    return results


def worker(plan: dict, ready, go, start_at, out) -> None:
    """A load-generator process: connect, report ready, wait for go, run its streams, send back the results."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        results = asyncio.run(_run_streams(plan, ready, go, start_at))
        out.put(("results", os.getpid(), results))
    except Exception as error:  # report, never hang the parent
        ready.put(("ready", os.getpid(), -1))
        out.put(("error", os.getpid(), repr(error)))
