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
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

from filingsum.core.endpoints import check_endpoint_url
from filingsum.core.errors import UsageError
from filingsum.core.prompt import build_messages
from filingsum.inference.openai_answers import chat_answer
from filingsum.serving.open_files import check_concurrency

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
    cancelled_at_deadline: int
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
    """The outcome of each request id, recorded once from any thread (a second record is a bug: it raises).

    A request that overruns its timeout, or is still in flight at the deadline, is recorded by the watcher
    (`expire`); its thread's own late record is then dropped (`finish` returns False), as is every record after
    `close`."""

    def __init__(self) -> None:
        self._records: dict[int, RequestRecord] = {}
        self._in_flight: dict[int, float] = {}  # id -> monotonic start, in start order
        self._expired: set[int] = set()
        self._closed = False
        self._lock = threading.Lock()

    def record(self, rec: RequestRecord) -> None:
        with self._lock:
            self._record(rec)

    def _record(self, rec: RequestRecord) -> None:
        if rec.id in self._records:  # would be a bug in this module: fail loudly rather than double count
            raise RuntimeError(f"request {rec.id} accounted twice")
        self._records[rec.id] = rec

    def start(self, request_id: int) -> bool:
        """Mark ``request_id`` in flight; False once the ledger is closed (the request must not be sent)."""
        with self._lock:
            if self._closed:
                return False
            self._in_flight[request_id] = time.monotonic()
            return True

    def finish(self, rec: RequestRecord) -> bool:
        """Record the outcome of a request in flight; False when the watcher recorded it already (or closed)."""
        with self._lock:
            self._in_flight.pop(rec.id, None)
            if self._closed or rec.id in self._expired:
                return False
            self._record(rec)
            return True

    def in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def expire(self, timeout_s: float, now: float, *, cancel_all: bool = False, reason: str = "") -> int:
        """Record as timeouts the requests in flight for ``timeout_s`` or more (every one with ``cancel_all``,
        with ``reason``); their threads' records are dropped. Returns how many were recorded."""
        with self._lock:
            overdue = [(i, t0) for i, t0 in self._in_flight.items() if cancel_all or now - t0 >= timeout_s]
            for request_id, t0 in overdue:
                del self._in_flight[request_id]
                self._expired.add(request_id)
                self._record(RequestRecord(request_id, "timeout", min(now - t0, timeout_s), error=reason or (
                    f"no answer within the --timeout of {timeout_s:g} s")))
            return len(overdue)

    def close(self, requests: int) -> None:
        """No further record: every id without one is ``not_sent``."""
        with self._lock:
            self._closed = True
            for request_id in range(requests):
                if request_id not in self._records:
                    self._records[request_id] = RequestRecord(request_id, "not_sent")

    def ordered(self) -> list[RequestRecord]:
        with self._lock:
            return [self._records[i] for i in sorted(self._records)]


CANCELLED_AT_DEADLINE = "cancelled at the --deadline (still in flight)"


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
        # read as summarize reads it: a 200 that is no chat completion, or one without text, is an error, not ok
        answer = chat_answer(response, max_tokens=body.get("max_tokens"))
        if answer is None or not answer.content:
            what = "no choices" if answer is None else "no text (its message content is empty or null)"
            return RequestRecord(request_id, "error", latency, error=f"the endpoint answered a completion with {what}")
        return RequestRecord(request_id, "ok", latency, answer.completion_tokens, answer.prompt_tokens)
    except httpx.TimeoutException as exc:
        return RequestRecord(request_id, "timeout", time.perf_counter() - t0, error=f"{type(exc).__name__}")
    except Exception as exc:  # noqa: BLE001 (connection refused/reset, bad JSON: an error, still accounted)
        return RequestRecord(request_id, "error", time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")


WATCH_INTERVAL_S = 0.05


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
    ``max_summary_tokens`` output tokens; UsageError (a ValueError) for a non-local endpoint, empty inputs or a
    concurrency past the open-file limit.

    Both bounds are hard: a request still unanswered after ``request_timeout_s`` is recorded as a timeout then
    (its latency is never above it, however the server, the connection pool or the thread scheduler delay it),
    and at ``deadline_s`` the requests in flight are cancelled (timeouts, "cancelled at the --deadline") and the
    rest are not sent, so the run returns within the deadline plus a moment."""
    base = check_local_endpoint(endpoint)
    if requests < 1 or concurrency < 1 or not texts:
        raise UsageError("requests and concurrency must be >= 1, and texts non-empty")
    check_concurrency(concurrency)

    def body(request_id: int) -> dict[str, Any]:
        return {"model": model, "messages": build_messages(texts[request_id % len(texts)]),
                "max_tokens": max_summary_tokens, "temperature": temperature, **(extra_body or {})}

    started = time.monotonic()
    run = _LoadRun(f"{base}/chat/completions", body, requests=requests, concurrency=concurrency,
                   timeout_s=request_timeout_s, deadline=started + deadline_s, api_key=api_key)
    run.run()
    return build_report(run.ledger.ordered(), requests=requests, concurrency=concurrency,
                        wall=time.monotonic() - started)


class _LoadRun:
    """The threads of one load test and the watcher that holds both bounds (`run_load_test`)."""

    def __init__(self, url: str, body: Any, *, requests: int, concurrency: int, timeout_s: float, deadline: float,
                 api_key: str | None) -> None:
        import httpx

        from filingsum.core.http_limits import bounded_client

        self.url, self.body, self.requests, self.concurrency = url, body, requests, concurrency
        self.timeout_s, self.deadline = timeout_s, deadline
        self.workers = min(concurrency, requests)  # more threads than requests would only wait
        self.ledger = RequestLedger()
        self._ids = iter(range(requests))
        self._ids_lock = threading.Lock()
        self._exhausted = threading.Event()  # every id was taken (or the deadline passed)
        self._stop = threading.Event()  # the deadline, Ctrl-C or SIGTERM: no further request is sent
        self._go = threading.Event()  # set once every thread runs: a thread the system refuses leaves nothing sent
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # each request ends within its timeout, even against a server that trickles bytes (`bounded_client`);
        # the watcher records it as a timeout at that moment whatever the transport does. No cap on connections:
        # the threads bound them, and a connection stuck in a timed-out request must not hold a pool slot the
        # thread started in its place waits for.
        self.client = bounded_client(timeout_s, headers=headers, limits=httpx.Limits(
            max_connections=None, max_keepalive_connections=self.workers))

    def _take(self) -> tuple[int, float] | None:
        """The next request id, marked in flight, and the time left; None when there is none to send."""
        with self._ids_lock:  # taken and marked in flight in one step: the watcher sees it either way
            remaining = self.deadline - time.monotonic()
            request_id = next(self._ids, None) if remaining > 0 else None
            if request_id is None:
                self._exhausted.set()
                return None
            return (request_id, remaining) if self.ledger.start(request_id) else None

    def worker(self) -> None:
        self._go.wait()
        while not self._stop.is_set():
            taken = self._take()
            if taken is None:
                return
            request_id, remaining = taken
            record = send_request(self.client, self.url, self.body(request_id), request_id,
                                  min(self.timeout_s, remaining))
            if record.latency_s is not None and record.latency_s > self.timeout_s and record.outcome == "ok":
                # answered between the timeout and the watcher's next look: late is a timeout, whatever came
                record = RequestRecord(request_id, "timeout", self.timeout_s,
                                       error=f"no answer within the --timeout of {self.timeout_s:g} s")
            if not self.ledger.finish(record):
                return  # the watcher timed this request out and started another thread in this one's place

    def _thread(self) -> threading.Thread:
        # daemon threads: a request stuck past the deadline is abandoned, not waited for (nothing joins it at exit)
        return threading.Thread(target=self.worker, name="loadtest", daemon=True)

    def run(self) -> None:
        threads = [self._thread() for _ in range(self.workers)]
        try:
            for n, thread in enumerate(threads):
                try:
                    thread.start()
                except RuntimeError as exc:  # "can't start new thread": a process or memory limit
                    raise UsageError(f"--concurrency {self.concurrency:,}: only {n:,} threads could be started "
                                     f"({exc}); lower --concurrency") from None
            self._go.set()
            self._watch(threads)
        finally:
            # the deadline, or Ctrl-C / SIGTERM (a KeyboardInterrupt): no further request is sent, and those
            # still in flight are abandoned
            self._stop.set()
            self._go.set()
            self.ledger.close(self.requests)
        if not any(thread.is_alive() for thread in threads):
            self.client.close()  # else a thread still uses it: it ends with the process (daemon threads)

    def _watch(self, threads: list[threading.Thread]) -> None:
        """Until every request has its outcome or the deadline: time out what overruns ``timeout_s``."""
        while threads:
            now = time.monotonic()
            if now >= self.deadline:
                self._stop.set()
                self.ledger.expire(self.timeout_s, now, cancel_all=True, reason=CANCELLED_AT_DEADLINE)
                return
            for _ in range(self.ledger.expire(self.timeout_s, now)):
                # the timed-out request's thread may stay stuck in it (a server trickling its headers): keep
                # --concurrency requests going with a new thread
                threads.append(self._thread())
                threads[-1].start()
            with self._ids_lock:
                if self._exhausted.is_set() and not self.ledger.in_flight():
                    return  # a thread still alive is one stuck in a request already timed out
            threads[0].join(min(WATCH_INTERVAL_S, self.deadline - now))
            threads[:] = [thread for thread in threads if thread.is_alive()]


def build_report(ordered: list[RequestRecord], *, requests: int, concurrency: int, wall: float) -> LoadTestReport:
    """The report of a finished run from its records in id order and its wall time (seconds)."""
    counts = Counter(r.outcome for r in ordered)
    latencies = [r.latency_s for r in ordered if r.outcome == "ok" and r.latency_s is not None]
    out_tokens = sum(r.completion_tokens or 0 for r in ordered if r.outcome == "ok")
    return LoadTestReport(
        requests=requests, concurrency=concurrency,
        sent=counts["ok"] + counts["error"] + counts["timeout"],
        ok=counts["ok"], errors=counts["error"], timeouts=counts["timeout"], not_sent=counts["not_sent"],
        wall_s=round(wall, 3), cancelled_at_deadline=sum(r.error == CANCELLED_AT_DEADLINE for r in ordered),
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
        f"sent {report.sent} = ok {report.ok} + errors {report.errors} + timeouts {report.timeouts}"
        + (f" ({report.cancelled_at_deadline} of them cancelled at the --deadline)" if report.cancelled_at_deadline
           else "")
        + f"; not sent {report.not_sent}; balanced: {report.balanced}",
        f"latency p50 {ms(report.latency_p50_s)}, p90 {ms(report.latency_p90_s)}, "
        f"p95 {ms(report.latency_p95_s)}, p99 {ms(report.latency_p99_s)}",
        f"throughput {report.summaries_per_s:.2f} summaries/s, {report.output_tokens_per_s:.1f} output tokens/s",
    ]
    lines += [f"error: {e}" for e in report.error_samples]
    return "\n".join(lines)
