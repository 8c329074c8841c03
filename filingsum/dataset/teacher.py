"""Reference summaries from a teacher model behind any OpenAI-compatible endpoint.

- The prompt is `filingsum.core.prompt.build_messages`, the same contract the tuned model is trained and served on.
- Retries: the `openai` client's own ``max_retries`` (exponential backoff with jitter on connection errors,
  timeouts, 408/409/429 and 5xx, honouring ``Retry-After``); it already knows which errors are transient,
  so wrapping it in tenacity would only duplicate that logic. Each request has ``timeout_s``.
- Concurrency: a thread pool of ``concurrency`` workers sharing one client (httpx is thread-safe).
- Cache: one JSON file per request under ``cache_dir``, named by the sha256 of (messages, model, max_summary_tokens,
  temperature) and written atomically, so a rerun resumes and never asks the same question twice. Only
  answers are cached; errors are retried on the next run.
- A request that still fails (a timeout, a 5xx, a bad reply) becomes a `TeacherAnswer` with ``error`` set, and
  the build falls back to its next reference source. A refusal of the credentials (HTTP 401 or 403) is not
  transient and would refuse every request: it raises `TeacherRefused` (a UsageError, exit 2) and later requests
  are not sent; the answers already received stay in the cache, so a rerun resumes from them. So does a teacher
  that answers the first `REJECTED_AFTER` requests of a run with the same HTTP 4xx and message (not 408, 409 or
  429) and none with a summary: a setting it rejects (a temperature past its range, an unknown model), which
  every request would meet.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from filingsum.core.config import TeacherConfig
from filingsum.core.endpoints import api_key_from_env, check_api_key, default_key_goes_to
from filingsum.core.errors import UsageError
from filingsum.core.io import atomic_write_json
from filingsum.core.redact import redact_text, redact_url
from filingsum.inference.endpoint import describe_error
from filingsum.inference.openai_answers import chat_answer

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
DUMMY_KEY = "EMPTY"  # local servers (vLLM, transformers serve) ignore the key but the client wants one
REJECTED_AFTER = 3  # identical 4xx answers to the first requests of a run, none answered: a rejected setting
TRANSIENT_4XX = frozenset({408, 409, 429})  # what the openai client retries: never taken for a rejected setting


@dataclass(frozen=True)
class TeacherAnswer:
    """A teacher's summary, or why there is none."""

    summary: str | None = None
    finish_reason: str | None = None
    error: str | None = None
    cached: bool = False
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class TeacherRefused(UsageError):
    """The teacher refused a chat request's credentials (HTTP 401 or 403), or answered the run's first requests
    with one HTTP 4xx (a setting it rejects): every request would be refused."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def refusal_message(config: TeacherConfig, status: int, *, key_sent: bool) -> str:
    """What a 401 or 403 on a chat request means, in one phrase naming the teacher URL, the status and what to
    check (the server's answer is left out: some echo the key they refused)."""
    from filingsum.core.endpoints import has_url_credentials

    url = redact_url(config.base_url).rstrip("/")
    what = "refused the credentials" if status == 401 else "denied the request"
    if has_url_credentials(config.base_url):
        fix = "check the user and password in data.teacher.base_url (sent as Basic auth)"
    elif key_sent:
        fix = f"check the key in ${config.api_key_env} and that it may use model {config.model!r}"
    else:
        fix = "no API key was sent: export it and set data.teacher.api_key_env to the variable holding it"
    return (f"data.teacher: {url}/chat/completions {what} (HTTP {status}), so every teacher request would be "
            f"refused; {fix}")


def rejection_message(config: TeacherConfig, exc: Exception, count: int) -> str:
    """What the same HTTP 4xx answer to each of a run's first ``count`` requests means, in one phrase naming the
    teacher URL, the status and the server's message (redacted, in one line)."""
    body = getattr(exc, "body", None)
    said = body.get("message") if isinstance(body, dict) else None
    said = " ".join(str(said if said is not None else getattr(exc, "message", exc)).split())[:300]
    url = redact_url(config.base_url).rstrip("/")
    return (f"data.teacher: {url}/chat/completions answered each of the first {count} teacher requests with HTTP "
            f"{getattr(exc, 'status_code', '?')} ({redact_text(said)}), so every teacher request would fail (and "
            f"fall back to extractive references); check data.teacher (model {config.model!r}, temperature "
            f"{config.temperature:g}, max_summary_tokens) against what the server takes")


def resolve_api_key(config: TeacherConfig) -> str:
    """The key from ``$api_key_env`` (checked: `filingsum.core.endpoints.check_api_key`, UsageError for a key no
    HTTP header can carry). A variable the config names is required (UsageError when it is unset or empty, as
    for `summarize`); without one, $OPENAI_API_KEY (to an https or local endpoint only, as for `summarize`: a
    UsageError for plain http to another host), else a dummy key for a local endpoint, else a UsageError. Never
    another variable's key."""
    if "api_key_env" in config.model_fields_set:  # named: unset is a mistake, never `Bearer EMPTY` (exit 2)
        return api_key_from_env(config.api_key_env, what="data.teacher.api_key_env", url=config.base_url) or DUMMY_KEY
    key = os.environ.get(config.api_key_env)
    if key and key.strip() and not default_key_goes_to(config.base_url):
        raise UsageError(
            f"data.teacher: ${config.api_key_env} is set but not sent by default to {redact_url(config.base_url)}: "
            f"that is plain http to another machine, where the key would cross the network in clear text; to send "
            f"it anyway set data.teacher.api_key_env: {config.api_key_env}, or use https")
    if key and key.strip():
        return check_api_key(key, f"data.teacher.api_key_env (${config.api_key_env})")
    host = (urlparse(config.base_url).hostname or "").lower()
    if host in LOCAL_HOSTS:
        return DUMMY_KEY
    raise UsageError(
        f"data.teacher: ${config.api_key_env} is not set and {redact_url(config.base_url)} is not a local endpoint; "
        f"export {config.api_key_env}=... or set data.teacher.api_key_env to the variable holding the key"
    )


def request_key(messages: Messages, model: str, max_summary_tokens: int, temperature: float) -> str:
    payload = {"messages": messages, "model": model, "max_tokens": max_summary_tokens, "temperature": temperature}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


class Teacher:
    """Ask a teacher endpoint for summaries, cached on disk; ``requests_sent`` counts real requests."""

    def __init__(self, config: TeacherConfig, cache_dir: str | os.PathLike[str], *, max_summary_tokens: int):
        """``max_summary_tokens`` is the run's summary cap
        (`RunConfig.max_summary_tokens(data.teacher.max_summary_tokens)`)."""
        import openai

        self.config = config
        self.max_summary_tokens = max_summary_tokens
        self.cache_dir = Path(cache_dir)
        from filingsum.core.http_limits import bounded_client

        key = resolve_api_key(config)
        self._key_sent = key != DUMMY_KEY
        self.client = openai.OpenAI(
            base_url=config.base_url,
            api_key=key,
            max_retries=config.max_retries,
            timeout=config.timeout_s,
            http_client=bounded_client(config.timeout_s),  # timeout_s bounds the whole request, not each read
        )
        self.requests_sent = 0
        self.answers_saved = 0  # answers received and cached by this run
        self.refused: TeacherRefused | None = None  # set by the first 401/403: no request is sent after it
        # the reasons of this run's failed requests while each was the same 4xx and none was answered (None: not so)
        self._rejections: list[str] | None = []
        self._lock = threading.Lock()

    def cache_path(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.json"

    def key(self, messages: Messages) -> str:
        return request_key(messages, self.config.model, self.max_summary_tokens, self.config.temperature)

    def cached(self, messages: Messages) -> TeacherAnswer | None:
        path = self.cache_path(self.key(messages))
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return TeacherAnswer(**{**entry["answer"], "cached": True})

    def ask(self, messages: Messages) -> TeacherAnswer:
        """One summary: from the cache, else from the endpoint (errors returned, not raised, but a refusal of
        the credentials: `TeacherRefused`, for this request and every later one, which is not sent)."""
        import openai

        hit = self.cached(messages)
        if hit is not None:
            return hit
        with self._lock:
            if self.refused is not None:
                raise TeacherRefused(str(self.refused), self.refused.status)
            self.requests_sent += 1
        try:
            raw = self.client.chat.completions.with_raw_response.create(
                model=self.config.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=self.max_summary_tokens,
                temperature=self.config.temperature,
            )
            # NotAnOpenAIAnswer: HTML or wrongly typed JSON, an error too
            reply = chat_answer(raw.http_response, max_tokens=self.max_summary_tokens)
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            with self._lock:
                self.refused = self.refused or TeacherRefused(
                    refusal_message(self.config, exc.status_code, key_sent=self._key_sent), exc.status_code)
            raise self.refused from None
        except Exception as exc:  # noqa: BLE001 (the openai client already retried what is transient)
            reason = redact_text(describe_error(exc)[1])  # stored in the card's drops: no credentials
            log.warning("teacher request failed: %s", reason)
            self._note_failure(exc, reason)  # the same 4xx every time: TeacherRefused, nothing more is sent
            return TeacherAnswer(error=reason)
        if reply is None:
            return TeacherAnswer(error="teacher response has no choices")
        answer = TeacherAnswer(
            summary=reply.content, finish_reason=reply.finish_reason,
            prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens,
        )
        entry: dict[str, Any] = {"model": self.config.model, "answer": asdict(answer)}
        entry["answer"].pop("cached")
        atomic_write_json(self.cache_path(self.key(messages)), entry)
        with self._lock:
            self.answers_saved += 1
        return answer

    def _note_failure(self, exc: Exception, reason: str) -> None:
        """Count a failed request; `TeacherRefused` once the run's first `REJECTED_AFTER` requests all failed with
        one HTTP 4xx (not a transient one) and one message, and none was answered."""
        status = getattr(exc, "status_code", None)
        with self._lock:
            if self._rejections is None:
                return
            rejected = isinstance(status, int) and 400 <= status < 500 and status not in TRANSIENT_4XX
            if not rejected or self.answers_saved or (self._rejections and self._rejections[0] != reason):
                self._rejections = None  # not one rejection of every request: each failure falls back on its own
                return
            self._rejections.append(reason)
            if len(self._rejections) < REJECTED_AFTER:
                return
            self.refused = self.refused or TeacherRefused(
                rejection_message(self.config, exc, len(self._rejections)), int(status))  # type: ignore[arg-type]
            refused = self.refused
        raise refused from None

    def ask_many(
        self, batch: Sequence[Messages], on_done: Callable[[int, TeacherAnswer], None] | None = None
    ) -> list[TeacherAnswer]:
        """Answers in input order; cached ones first without a request, the rest on the thread pool.
        `TeacherRefused` once the teacher refuses the credentials: the requests not yet sent are cancelled (the
        answers received so far are cached)."""
        answers: list[TeacherAnswer | None] = [self.cached(m) for m in batch]
        for index, answer in enumerate(answers):
            if answer is not None and on_done:
                on_done(index, answer)
        todo = [i for i, a in enumerate(answers) if a is None]
        if todo:
            with ThreadPoolExecutor(max_workers=self.config.concurrency, thread_name_prefix="teacher") as pool:
                futures = {pool.submit(self.ask, batch[i]): i for i in todo}
                try:
                    for future in as_completed(futures):
                        index = futures[future]
                        answers[index] = future.result()
                        if on_done:
                            on_done(index, answers[index])  # type: ignore[arg-type]
                except BaseException:  # a refusal, Ctrl-C: nothing more is sent; the requests in flight end
                    for future in futures:
                        future.cancel()
                    raise
        return [a for a in answers if a is not None]

    def close(self) -> None:
        self.client.close()
