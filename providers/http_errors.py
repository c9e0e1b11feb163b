"""The error vocabulary of provider HTTP: every status, transport failure, timeout and bad body as a ProviderError.

`providers/http.py` raises these for streamed and whole replies alike; messages are scrubbed of the key.
"""
from __future__ import annotations

import json
import socket
import ssl
from urllib.parse import urlsplit

import httpx

from providers.config import ProviderConfig
from providers.scrubbing import scrub
from providers.types import (
    BAD_REQUEST,
    NOT_FOUND,
    PROVIDER_AUTH,
    PROVIDER_ERROR,
    RATE_LIMITED,
    TIMEOUT,
    UNAVAILABLE,
    ProviderError,
)


def error_text(body: bytes) -> str:
    """The human part of an error body, whatever the provider's shape."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:500]
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, str):
            return error
        if isinstance(error, dict):
            return str(error.get("message") or error.get("status") or error.get("type") or error)[:500]
        if data.get("message"):
            return str(data["message"])[:500]
    return str(data)[:500]


def parse_retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


_STATUS_CODES = {400: BAD_REQUEST, 401: PROVIDER_AUTH, 403: PROVIDER_AUTH, 404: NOT_FOUND, 408: TIMEOUT,
                 413: BAD_REQUEST, 422: BAD_REQUEST, 429: RATE_LIMITED, 504: TIMEOUT}


def error_from_status(config: ProviderConfig, status: int, body: bytes, headers: httpx.Headers) -> ProviderError:
    code = _STATUS_CODES.get(status, UNAVAILABLE if status in (502, 503, 529) else PROVIDER_ERROR)
    detail = scrub(error_text(body), config) or "no details given"
    if code == PROVIDER_AUTH:
        message = f"{config.name} rejected the key ({status}): {detail}"
    elif code == RATE_LIMITED:
        message = f"{config.name} is rate-limiting requests (429): {detail}"
    elif code == NOT_FOUND:
        message = f"{config.name} does not know that model or path (404): {detail}"
    else:
        message = f"{config.name} answered {status}: {detail}"
    retryable = status == 429 or status >= 500
    return ProviderError(code, message, status=status, retry_after=parse_retry_after(headers), retryable=retryable)


def _host(config: ProviderConfig) -> str:
    return urlsplit(config.base_url).netloc or config.base_url


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of `kind` in the chain of causes of `exc`."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def transport_error(config: ProviderConfig, exc: httpx.HTTPError, started: bool) -> ProviderError:
    """A failure below HTTP: the connection could not be made, or broke."""
    name, kind = config.name, type(exc).__name__
    if isinstance(exc, httpx.ConnectError) and _cause(exc, socket.gaierror):
        return ProviderError(UNAVAILABLE, f"{name}: the host {_host(config)} could not be found (DNS lookup "
                                          "failed); check the base URL.")
    if isinstance(exc, httpx.ConnectError) and (refused := _cause(exc, ssl.SSLCertVerificationError)):
        return ProviderError(UNAVAILABLE, f"{name} at {_host(config)}: its TLS certificate was not accepted "
                                          f"({refused.verify_message}); check the base URL, or trust the "
                                          "certificate (SSL_CERT_FILE).")
    if isinstance(exc, httpx.ConnectError) and _cause(exc, ssl.SSLError):
        return ProviderError(UNAVAILABLE, f"{name}: the TLS handshake with {_host(config)} failed; check that "
                                          "the base URL's scheme (http or https) is the server's.")
    if isinstance(exc, httpx.ConnectError):
        return ProviderError(UNAVAILABLE, f"{name} could not be reached at {_host(config)} ({kind}).", retryable=True)
    if isinstance(exc, httpx.ConnectTimeout):
        return ProviderError(TIMEOUT, f"{name} could not be reached at {_host(config)} in time.", retryable=True)
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(TIMEOUT, f"{name} did not take the request in time ({kind}).", retryable=not started)
    if started:
        return ProviderError(UNAVAILABLE, f"{name} dropped the connection mid-reply ({kind}).")
    return ProviderError(UNAVAILABLE, f"{name} closed the connection before answering ({kind}).", retryable=True)


def first_byte_timeout(config: ProviderConfig) -> ProviderError:
    return ProviderError(TIMEOUT, f"{config.name} did not start answering within {config.timeout:g} s.")


def idle_timeout(config: ProviderConfig) -> ProviderError:
    return ProviderError(TIMEOUT, f"{config.name} went silent for {config.idle_timeout:g} s mid-reply.")


def bad_body(config: ProviderConfig, problem: str, sample: str = "") -> ProviderError:
    shown = f": {scrub(sample[:120], config)!r}" if sample else "."
    return ProviderError(PROVIDER_ERROR, f"{config.name} {problem}{shown}")
