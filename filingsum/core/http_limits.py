"""HTTP clients whose requests end: a whole-request deadline and a cap on the answer's size.

httpx's timeouts bound each read, so a server that trickles a byte every half second never times out, and an
answer of 60 MB is read whole. `BoundedTransport` wraps the response body: past ``timeout_s`` since the request
was sent it raises ``httpx.ReadTimeout``, past ``max_bytes`` ``httpx.ReadError``; the ``openai`` client treats
both as the transient errors they are (retried, then reported). Used by `summarize`, the teacher and
`loadtest`. A server's Retry-After is honoured up to a cap (`retry_wait`): a wait that ends too.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

log = logging.getLogger(__name__)

# An answer to one summary request is a few kB (512 tokens of JSON); 8 MB is far past any honest one.
MAX_ANSWER_BYTES = 8 * 2**20


class _BoundedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, request: httpx.Request, deadline: float, max_bytes: int):
        self.inner, self.request, self.deadline, self.max_bytes = inner, request, deadline, max_bytes

    def __iter__(self) -> Iterator[bytes]:
        read = 0
        for chunk in self.inner:
            read += len(chunk)
            if time.monotonic() > self.deadline:
                raise httpx.ReadTimeout("the answer was still arriving at the request's timeout", request=self.request)
            if read > self.max_bytes:
                raise httpx.ReadError(f"the answer is over {self.max_bytes // 2**20} MB; no summary is that long",
                                      request=self.request)
            yield chunk

    def close(self) -> None:
        self.inner.close()


class BoundedTransport(httpx.HTTPTransport):
    """An ``httpx.HTTPTransport`` whose every request ends within ``timeout_s`` and reads at most ``max_bytes``."""

    def __init__(self, timeout_s: float, max_bytes: int = MAX_ANSWER_BYTES, **kwargs: Any):
        super().__init__(**kwargs)
        self.timeout_s, self.max_bytes = timeout_s, max_bytes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self.timeout_s
        response = super().handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _BoundedStream(response.stream, request, deadline, self.max_bytes)
        return response


def bounded_client(timeout_s: float, *, max_bytes: int = MAX_ANSWER_BYTES, **kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` (for ``openai.OpenAI(http_client=...)`` or direct use) with a whole-request deadline of
    ``timeout_s`` and an answer cap of ``max_bytes``; ``kwargs`` go to the client (limits, headers).

    The environment's proxies (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY) apply as in any httpx client: one
    given its own transport skips them, so they are mounted here, each through a bounded transport too."""
    from httpx._utils import get_environment_proxies  # httpx's own reading of them (pinned in constraints.txt)

    mounts: dict[str, httpx.BaseTransport | None] = {
        pattern: BoundedTransport(timeout_s, max_bytes, proxy=url) if url else None
        for pattern, url in get_environment_proxies().items()}
    return httpx.Client(transport=BoundedTransport(timeout_s, max_bytes), mounts=mounts, timeout=timeout_s, **kwargs)


def retry_after_s(headers: Mapping[str, str], cap: float) -> float | None:
    """The wait an answer (a 429, a 503) asks for in its Retry-After header, in seconds (the header's seconds or
    HTTP-date form), at most ``cap``; None when it asks none, or what it gives cannot be read or is negative."""
    from email.utils import parsedate_to_datetime

    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        seconds = max(seconds, 0.0)  # a date already past: retry now
    if math.isnan(seconds) or seconds < 0:
        return None
    return min(seconds, cap)


def retry_wait(exc: BaseException, backoff: float, cap: float, url: str) -> float:
    """How long to wait before retrying after ``exc``: what its answer's Retry-After asks (at most ``cap``),
    logged; else ``backoff`` (no answer, as for a connection error, or no Retry-After in it)."""
    response = getattr(exc, "response", None)
    asked = retry_after_s(response.headers, cap) if response is not None else None
    if asked is None:
        return backoff
    capped = f" (capped at {cap:g} s: the most a Retry-After is waited)" if asked == cap else ""
    log.info("%s answered HTTP %s with Retry-After %r: retrying in %.1f s%s", url,
             response.status_code, response.headers.get("retry-after"), asked, capped)  # type: ignore[union-attr]
    return asked
