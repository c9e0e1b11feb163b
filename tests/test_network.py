"""The pooled client's asyncio network backend, plain and over TLS with a self-signed certificate on loopback."""
import asyncio
import datetime
import gzip
import ipaddress
import json
import ssl

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from providers import http
from providers.network import AsyncioTransport
from providers.streaming import collect
from providers.types import ProviderError
from tests.fakes.openai import OpenAIFake
from tests.fakes.script import Reply
from tests.test_adapter_openai import adapter_for, hello


def self_signed(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "loopback provider")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class TLSOpenAIFake(OpenAIFake):
    """The OpenAI-compatible fake behind TLS."""

    def __init__(self, cert: str, key: str):
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._tls.load_cert_chain(cert, key)
        super().__init__()

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._tls))
        self.port = self._server.sockets[0].getsockname()[1]
        self._started.set()
        self._loop.run_forever()

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"


@pytest.fixture
def certificate(tmp_path):
    return self_signed(tmp_path)


@pytest.fixture
def tls_fake(certificate):
    with TLSOpenAIFake(*certificate) as fake:
        yield fake


async def test_the_pooled_client_reads_through_the_asyncio_backend():
    pool = http.client()._transport._pool
    assert isinstance(http.client()._transport, AsyncioTransport)
    assert type(pool._network_backend).__name__ == "AsyncioBackend"


async def test_a_reply_streams_over_tls_from_a_provider_with_a_trusted_certificate(tls_fake, certificate,
                                                                                 monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])  # read when this test's loop makes its client
    text = "".join(f"piece {n} " for n in range(50))
    tls_fake.enqueue(Reply.text_of(text, pieces=50))
    result = await collect(adapter_for(tls_fake.base_url).stream_chat(hello()))
    assert result.content == text and result.finish_reason == "stop"


async def test_replies_streamed_one_after_another_reuse_one_connection_plain_and_over_tls(
        openai_fake, tls_fake, certificate, monkeypatch):
    """The reader stops at `[DONE]`; the end of the body after it is read so the connection is kept for the next."""
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    for fake in (openai_fake, tls_fake):
        for n in range(3):
            fake.enqueue(Reply.text_of(f"reply {n}", pieces=3))
            result = await collect(adapter_for(fake.base_url).stream_chat(hello()))
            assert result.content == f"reply {n}"
        assert len(fake.chat_requests()) == 3 and fake.connections == 1


async def test_a_provider_that_keeps_the_stream_open_after_done_still_ends_the_reply(openai_fake):
    events = openai_fake.sse_events(Reply.text_of("all of it", pieces=2), "fake-model", False)
    assert events[-1] == b"data: [DONE]\n\n"
    # after [DONE] a comment, then 30 s of silence before the body ends
    openai_fake.enqueue(Reply(raw_events=[*events, b": still here\n\n", b": bye\n\n"], stall_after=len(events) + 1))
    result = await asyncio.wait_for(collect(adapter_for(openai_fake.base_url).stream_chat(hello())), 10)
    assert result.content == "all of it" and result.finish_reason == "stop"
    openai_fake.enqueue(Reply.text_of("next"))
    assert (await collect(adapter_for(openai_fake.base_url).stream_chat(hello()))).content == "next"
    assert openai_fake.connections == 2  # the one held open was closed, not kept


async def test_a_body_whose_end_comes_a_little_after_done_keeps_its_connection(openai_fake):
    """The rest after `[DONE]` is read from the same iterator the reader used: a second one left the first
    one's generators to the garbage collector, which closed the connection while the rest was on its way."""
    for n in range(3):
        events = openai_fake.sse_events(Reply.text_of(f"reply {n}", pieces=2), "fake-model", False)
        openai_fake.enqueue(Reply(raw_events=[*events, b": tail\n\n"], stall_after=len(events), stall_seconds=0.05))
        result = await collect(adapter_for(openai_fake.base_url).stream_chat(hello()))
        assert result.content == f"reply {n}"
    assert len(openai_fake.chat_requests()) == 3 and openai_fake.connections == 1


async def test_an_untrusted_certificate_is_refused_before_anything_is_sent(tls_fake, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(ProviderError) as refused:
        await collect(adapter_for(tls_fake.base_url, max_retries=0).stream_chat(hello()))
    assert "certificate" in refused.value.message.lower()
    assert tls_fake.chat_requests() == []


async def test_a_gzip_compressed_stream_reads_as_the_same_reply():
    chunks = [{"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]} for piece in ("Hel", "lo")]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    body = gzip.compress(b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n")

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        await reader.readuntil(b"\r\n\r\n")  # the request's body is not read: the answer is the same for any
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        result = await collect(adapter_for(f"http://127.0.0.1:{port}/v1").stream_chat(hello()))
    assert result.content == "Hello" and result.finish_reason == "stop"


async def test_the_pool_queues_requests_past_its_limit_and_keeps_only_its_idle_allowance(openai_fake, monkeypatch):
    """More replies at once than the pool's connections: the rest wait for one, none fails; idle connections
    past the keep-alive allowance are closed."""
    limits = httpx.Limits(max_connections=3, max_keepalive_connections=2)
    monkeypatch.setitem(http._clients, asyncio.get_running_loop(),
                        httpx.AsyncClient(transport=AsyncioTransport(limits=limits), limits=limits))
    openai_fake.default_reply = Reply.text_of("one of many", pieces=4, delay=0.02)
    results = await asyncio.gather(*(collect(adapter_for(openai_fake.base_url).stream_chat(hello())) for _ in range(8)))
    assert [r.content for r in results] == ["one of many"] * 8
    assert openai_fake.max_open == 3
    pool = http.client()._transport._pool
    assert len(pool.connections) == 2 and all(c.is_idle() for c in pool.connections)
    await http.client().aclose()
