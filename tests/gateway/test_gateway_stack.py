"""/v1/ is served by its own handler (chat/gateway/asgi.py): no cookies or session work, the security headers kept;
the site's pages keep their whole middleware stack."""
import asyncio
import json
import threading

import httpx
import pytest
from asgiref.sync import sync_to_async

from tests.fakes.script import Reply


def test_v1_answers_without_cookies_and_with_the_security_headers(bob, provider, personal_token, gateway_url):
    answer = httpx.get(f"{gateway_url}/v1/models", headers={"Authorization": f"Bearer {personal_token(bob)}"})
    assert answer.status_code == 200
    assert any(m["id"].startswith(f"{provider.slug}/") for m in answer.json()["data"])
    assert "set-cookie" not in answer.headers
    assert "cookie" not in answer.headers.get("vary", "").lower()
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "x-frame-options" not in answer.headers and "content-security-policy" not in answer.headers  # page-only
    refused = httpx.post(f"{gateway_url}/v1/chat/completions", json={"model": "x/y", "messages": []},
                         headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"


def test_the_sign_in_page_keeps_the_sites_middleware(gateway_url):
    page = httpx.get(f"{gateway_url}/accounts/login/")
    assert page.status_code == 200
    assert "csrftoken" in page.headers.get("set-cookie", "")
    assert "content-security-policy" in page.headers
    assert page.headers["x-frame-options"] == "DENY"


async def _asgi_post(app, path: str, token: str, body: dict, chunks: bool = False) -> tuple:
    """One POST through the ASGI app in this process: status, headers, the whole body (and how many body
    messages carried it, with `chunks`)."""
    raw = json.dumps(body).encode()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                         (b"authorization", f"Bearer {token}".encode())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    incoming, sent, done = [{"type": "http.request", "body": raw, "more_body": False}], [], asyncio.Event()

    async def receive():
        if incoming:
            return incoming.pop()
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    start = sent[0]
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    bodies = [m.get("body", b"") for m in sent[1:]]
    return (start["status"], headers, b"".join(bodies)) + ((sum(1 for b in bodies if b),) if chunks else ())


@pytest.mark.django_db(transaction=True)
async def test_streamed_v1_requests_start_no_thread_each(bob, provider, personal_token, monkeypatch):
    """Django gives each request a thread of its own for its signals (and one more to join it), each start
    blocking the event loop; /v1/ requests share one."""
    from playground.asgi import application

    token = await sync_to_async(personal_token)(bob)
    body = {"model": f"{provider.slug}/{provider.default_model}", "stream": True,
            "messages": [{"role": "user", "content": "hello"}]}
    status, _, _ = await _asgi_post(application, "/v1/chat/completions", token, body)  # threads made once
    assert status == 200
    started = []
    original = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: (started.append(thread.name), original(thread))[1])
    for _ in range(5):
        status, headers, streamed = await _asgi_post(application, "/v1/chat/completions", token, body)
        assert status == 200 and headers["content-type"] == "text/event-stream"
        assert headers["x-content-type-options"] == "nosniff" and "set-cookie" not in headers
        assert streamed.rstrip().endswith(b"data: [DONE]")
    assert started == []


@pytest.mark.django_db(transaction=True)
async def test_deltas_that_arrive_together_go_out_together_and_whole(bob, provider, personal_token, openai_fake):
    """A burst of deltas read at once is sent in fewer HTTP chunks than events, each event intact and in order."""
    from playground.asgi import application

    token = await sync_to_async(personal_token)(bob)
    text = "".join(f"w{n:02d} " for n in range(60))
    openai_fake.enqueue(Reply.text_of(text, pieces=60))
    body = {"model": f"{provider.slug}/{provider.default_model}", "stream": True,
            "messages": [{"role": "user", "content": "burst"}]}
    status, _, streamed, chunks = await _asgi_post(application, "/v1/chat/completions", token, body, chunks=True)
    assert status == 200
    events = [line[len(b"data: "):] for line in streamed.split(b"\n\n") if line.startswith(b"data: ")]
    assert events[-1] == b"[DONE]"
    deltas = [json.loads(e)["choices"][0]["delta"].get("content") for e in events[:-1] if json.loads(e)["choices"]]
    assert "".join(d for d in deltas if d) == text
    assert chunks < len(events)
