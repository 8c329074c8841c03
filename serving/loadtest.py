"""Bounded load test of a local OpenAI-compatible server: N concurrent clients, M requests, no request lost.

Only 127.0.0.1 / localhost / ::1 endpoints are accepted (this is for measuring your own server, not anyone
else's). Every request id ends in exactly one outcome: ok, error, timeout, or not_sent (the total deadline
passed before it could start), and the report proves it: ``sent == ok + errors + timeouts`` and
``sent + not_sent == requests``.

    filingsum loadtest --endpoint http://127.0.0.1:8000/v1 --model filingsum --requests 64 --concurrency 8
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

from filingsum.core.endpoints import check_endpoint_url
from filingsum.core.errors import UsageError
from filingsum.core.prompt import build_messages
from filingsum.inference.openai_answers import usage_count

if TYPE_CHECKING:
    import httpx

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
Outcome = Literal["ok", "error", "timeout", "not_sent"]


@dataclass
class RequestRecord:
    id: int
    outcome: Outcome
    latency_s: float | None = None
    completion_tokens: int | None = None
    prompt_tokens: int | None = None
    error: str | None = None


@dataclass
class LoadTestReport:
    requests: int
    concurrency: int
    sent: int
    ok: int
    errors: int
    timeouts: int
    not_sent: int
    wall_s: float
    latency_p50_s: float | None
    latency_p90_s: float | None
    latency_p95_s: float | None
    latency_p99_s: float | None
    summaries_per_s: float
    output_tokens_per_s: float
    output_tokens: int
    prompt_tokens: int
    error_samples: list[str] = field(default_factory=list)
    records: list[RequestRecord] = field(default_factory=list, repr=False)

    @property
    def balanced(self) -> bool:
        """Nothing lost: every id accounted once, and the outcome counts add up."""
        ids = Counter(r.id for r in self.records)
        return (
            sorted(ids) == list(range(self.requests))
            and all(n == 1 for n in ids.values())
            and self.sent == self.ok + self.errors + self.timeouts
            and self.sent + self.not_sent == self.requests
        )

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("records")
        data["balanced"] = self.balanced
        return data


def check_local_endpoint(endpoint: str) -> str:
    """``endpoint`` without a trailing slash when it is a valid base URL (`check_endpoint_url`) of a server on
    this machine; UsageError (exit 2, one line) otherwise."""
    check_endpoint_url(endpoint, "--endpoint")
    host = urlparse(endpoint).hostname
    if host not in LOCAL_HOSTS:
        raise UsageError(f"load tests run only against a local server ({', '.join(LOCAL_HOSTS)}); got {host!r}")
    return endpoint.rstrip("/")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of a non-empty list; None for an empty one."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


class RequestLedger:
    """The outcome of each request id, recorded once from any thread (a second record is a bug: it raises)."""

    def __init__(self) -> None:
        self._records: dict[int, RequestRecord] = {}
        self._lock = threading.Lock()

    def record(self, rec: RequestRecord) -> None:
        with self._lock:
            if rec.id in self._records:  # would be a bug in this module: fail loudly rather than double count
                raise RuntimeError(f"request {rec.id} accounted twice")
            self._records[rec.id] = rec

    def ordered(self) -> list[RequestRecord]:
        return [self._records[i] for i in sorted(self._records)]


def send_request(client: httpx.Client, url: str, body: dict[str, Any], request_id: int,
                 timeout: float) -> RequestRecord:
    """POST one chat completion; its outcome (ok, error or timeout) with latency and token counts, never raised."""
    import httpx

    t0 = time.perf_counter()
    try:
        response = client.post(url, json=body, timeout=timeout)
        latency = time.perf_counter() - t0
        if response.status_code != 200:
            return RequestRecord(request_id, "error", latency, error=f"HTTP {response.status_code}: "
                                 f"{' '.join(response.text.split())[:200]}")
        usage = response.json().get("usage") or {}
        return RequestRecord(request_id, "ok", latency, usage_count(usage, "completion_tokens", body.get("max_tokens")),
                             usage_count(usage, "prompt_tokens"))
    except httpx.TimeoutException as exc:
        return RequestRecord(request_id, "timeout", time.perf_counter() - t0, error=f"{type(exc).__name__}")
    except Exception as exc:  # noqa: BLE001 (connection refused/reset, bad JSON: an error, still accounted)
        return RequestRecord(request_id, "error", time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")


def run_load_test(
    endpoint: str,
    model: str,
    texts: list[str],
    *,
    requests: int,
    concurrency: int,
    max_summary_tokens: int,
    request_timeout_s: float = 120.0,
    deadline_s: float = 600.0,
    temperature: float = 0.0,
    extra_body: dict[str, Any] | None = None,
    api_key: str | None = None,
) -> LoadTestReport:
    """Send ``requests`` chat completions (texts used round-robin) from ``concurrency`` threads, each capped at
    ``max_summary_tokens`` output tokens; UsageError (a ValueError) for a non-local endpoint or empty inputs."""
    import httpx

    base = check_local_endpoint(endpoint)
    if requests < 1 or concurrency < 1 or not texts:
        raise UsageError("requests and concurrency must be >= 1, and texts non-empty")
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    ledger = RequestLedger()
    started = time.monotonic()
    deadline = started + deadline_s

    stop = threading.Event()  # Ctrl-C or SIGTERM: no further request is sent

    def one(client: httpx.Client, request_id: int) -> None:
        remaining = deadline - time.monotonic()
        if stop.is_set():
            return
        if remaining <= 0:
            ledger.record(RequestRecord(request_id, "not_sent"))
            return
        body = {
            "model": model, "messages": build_messages(texts[request_id % len(texts)]),
            "max_tokens": max_summary_tokens, "temperature": temperature, **(extra_body or {}),
        }
        ledger.record(send_request(client, f"{base}/chat/completions", body, request_id,
                                   min(request_timeout_s, remaining)))

    from filingsum.core.http_limits import bounded_client

    # each request ends within its timeout, even against a server that trickles bytes (`bounded_client`)
    with bounded_client(request_timeout_s, limits=limits, headers=headers) as client:
        pool = ThreadPoolExecutor(concurrency)
        try:
            for future in [pool.submit(one, client, i) for i in range(requests)]:
                future.result()
        except BaseException:
            # Ctrl-C or SIGTERM (a KeyboardInterrupt): drop the queued requests instead of sending every one of
            # them first, as leaving the executor's block would; those in flight end within their timeout
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    return build_report(ledger.ordered(), requests=requests, concurrency=concurrency,
                        wall=time.monotonic() - started)


def build_report(ordered: list[RequestRecord], *, requests: int, concurrency: int, wall: float) -> LoadTestReport:
    """The report of a finished run from its records in id order and its wall time (seconds)."""
    counts = Counter(r.outcome for r in ordered)
    latencies = [r.latency_s for r in ordered if r.outcome == "ok" and r.latency_s is not None]
    out_tokens = sum(r.completion_tokens or 0 for r in ordered if r.outcome == "ok")
    return LoadTestReport(
        requests=requests, concurrency=concurrency,
        sent=counts["ok"] + counts["error"] + counts["timeout"],
        ok=counts["ok"], errors=counts["error"], timeouts=counts["timeout"], not_sent=counts["not_sent"],
        wall_s=round(wall, 3),
        latency_p50_s=percentile(latencies, 50), latency_p90_s=percentile(latencies, 90),
        latency_p95_s=percentile(latencies, 95), latency_p99_s=percentile(latencies, 99),
        summaries_per_s=round(counts["ok"] / wall, 3) if wall > 0 else 0.0,
        output_tokens_per_s=round(out_tokens / wall, 1) if wall > 0 else 0.0,
        output_tokens=out_tokens, prompt_tokens=sum(r.prompt_tokens or 0 for r in ordered if r.outcome == "ok"),
        error_samples=sorted({r.error for r in ordered if r.error})[:5],
        records=ordered,
    )


def format_report(report: LoadTestReport) -> str:
    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 1000:.0f} ms"

    lines = [
        f"requests {report.requests}, concurrency {report.concurrency}, wall {report.wall_s:.2f} s",
        f"sent {report.sent} = ok {report.ok} + errors {report.errors} + timeouts {report.timeouts}; "
        f"not sent {report.not_sent}; balanced: {report.balanced}",
        f"latency p50 {ms(report.latency_p50_s)}, p90 {ms(report.latency_p90_s)}, "
        f"p95 {ms(report.latency_p95_s)}, p99 {ms(report.latency_p99_s)}",
        f"throughput {report.summaries_per_s:.2f} summaries/s, {report.output_tokens_per_s:.1f} output tokens/s",
    ]
    lines += [f"error: {e}" for e in report.error_samples]
    return "\n".join(lines)
