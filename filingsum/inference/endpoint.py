"""The endpoint summarizer: any OpenAI-compatible server (`filingsum serve`, vLLM, a teacher model).

Requests carry the prompt contract (``filingsum.core.prompt.build_messages``) and the run's summary cap as
``max_summary_tokens``; the token budget of the inputs is counted with the served model's tokenizer. Fitting,
map-reduce and file handling are the shared `Summarizer` base's. Retries with exponential backoff (or what a
Retry-After asks, capped) and per-request timeouts are this module's (`EndpointSummarizer._create`: a timed-out
request is retried only while the server still answers /models, so a hung server costs one timeout); a request
that still fails becomes a `Generated` with its error category (``describe_error``), never an exception.
Requests run on daemon threads (``parallel_map``) and check the cancel flag before they are sent: ``cancel()``
(Ctrl-C) stops a batch at once, without waiting for the requests in flight; a request not sent raises `Cancelled`
(not a result).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from filingsum.core.endpoints import api_key_from_env, check_api_key, check_endpoint_url
from filingsum.core.http_limits import retry_wait
from filingsum.core.prompt import build_messages
from filingsum.core.redact import redact_text
from filingsum.core.schema import ErrorKind, FinishReason
from filingsum.filings.ingest import DEFAULT_MAX_BYTES
from filingsum.inference.base import (
    DEFAULT_MAX_CHUNKS,
    DEFAULT_SECTIONS,
    Cancelled,
    Generated,
    InputSettings,
    Summarizer,
    failed,
    parallel_map,
)
from filingsum.inference.openai_answers import NotAnOpenAIAnswer, chat_answer, json_answer

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)


def describe_error(exc: BaseException) -> tuple[ErrorKind, str]:
    """The category and a one-line description of a failed OpenAI-compatible request (after retries)."""
    import openai

    if isinstance(exc, NotAnOpenAIAnswer):
        return "http", redact_text(str(exc))
    if isinstance(exc, openai.APITimeoutError):
        return "timeout", f"timeout: {exc}"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return "unreachable", redact_text(f"endpoint unreachable: {type(cause).__name__}: {cause}")
    if isinstance(exc, openai.APIStatusError):
        try:
            body = " ".join(exc.response.text.split())[:300]
        except Exception:  # noqa: BLE001 (an unreadable body falls back to the error message)
            body = " ".join(str(exc.message).split())[:300]
        return "http", redact_text(f"HTTP {exc.status_code}: {body}")
    return "internal", redact_text(f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class ModelWording:
    """How an error names the served model's argument: the CLI's flag (the default), or the Python API's keyword
    (`API_MODEL_WORDING`)."""

    absent: str = "--model not given"
    ask: str = "pass --model NAME"


CLI_MODEL_WORDING = ModelWording()
API_MODEL_WORDING = ModelWording("model not given (model=None)", "pass model='NAME' (the served model's name)")


def served_models(endpoint: str, api_key: str | None = None, *, timeout_s: float = 30.0, max_retries: int = 1,
                  model_given: bool = False, wording: ModelWording = CLI_MODEL_WORDING) -> dict[str, str | None]:
    """The endpoint's models, name -> root (the model dir vLLM loaded, where its inference contract lies);
    UsageError when /models cannot be read within ``timeout_s`` (and ``max_retries`` retries), which suggests
    naming the model (``wording.ask``) unless ``model_given``."""
    import openai

    from filingsum.core.endpoints import has_url_credentials
    from filingsum.core.errors import UsageError

    try:
        client = openai.OpenAI(base_url=endpoint, api_key=api_key or "EMPTY", timeout=timeout_s,
                               max_retries=max_retries)
        data = json_answer(client.models.with_raw_response.list().http_response, "model list").get("data")
        if not isinstance(data, list) or not all(isinstance(m, dict) and isinstance(m.get("id"), str) for m in data):
            raise NotAnOpenAIAnswer("the endpoint did not answer an OpenAI model list (no 'data' list of models)")
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        # the server is up and wants a key: "is the server running?" would send the user the wrong way
        raise UsageError(key_refused(f"{endpoint}/models", exc.status_code, sent=bool(api_key),
                                     url_credentials=has_url_credentials(endpoint))) from None
    except Exception as exc:  # noqa: BLE001 (unreachable, not OpenAI-compatible, refused all mean one thing)
        why = str(exc) if isinstance(exc, NotAnOpenAIAnswer) else f"{type(exc).__name__}: {exc}"
        raise UsageError(f"{endpoint}/models could not be read ({redact_text(why)}); is the server running?"
                         + ("" if model_given else f" {wording.ask}")) from None
    return {m["id"]: m.get("root") if isinstance(m.get("root"), str) else None for m in data}


def auth_refused(endpoint: str, api_key: str | None, *, timeout_s: float = 15.0) -> int | None:
    """401 or 403 when ``endpoint`` refuses GET /models with ``api_key`` (or the URL's user:password, which the
    HTTP client sends in place of a key); None when it answers, or cannot be asked (unreachable, not
    OpenAI-compatible): its requests will say why. One try, within ``timeout_s``."""
    import openai

    try:
        client = openai.OpenAI(base_url=endpoint, api_key=api_key or "EMPTY", timeout=timeout_s, max_retries=0)
        client.models.with_raw_response.list()
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        return exc.status_code
    except Exception:  # noqa: BLE001 (anything else is not a refusal of the credentials)
        return None
    return None


def key_refused(url: str, status: int, *, sent: bool, url_credentials: bool = False) -> str:
    """What a 401 or 403 from ``url`` means, in one phrase naming where the key comes from (the server's answer
    is left out: some echo the key they refused). ``url_credentials``: the URL carries user:password, which the
    HTTP client sent (as Basic auth) in place of any key, so those are what the server refused."""
    where = ("the variable --api-key-env names (default: serve.api_key_env, else OPENAI_API_KEY; in the Python "
             "API, api_key=)")
    if url_credentials:
        return (f"{url}: the server refused the user and password in the URL (HTTP {status}; sent as Basic auth, "
                "in place of any API key); check them, or drop them from the URL and pass the server's key with "
                "--api-key-env VAR (in the Python API, api_key=)")
    if sent:
        return (f"{url}: the server refused the API key (HTTP {status}); check the key in {where}: it must be "
                "the one the server was started with")
    return (f"{url}: the server needs an API key (HTTP {status}) and none was sent; export it and pass "
            "--api-key-env VAR, or set serve.api_key_env (in the Python API, api_key=)")


def load_adapter(endpoint: str, name: str, path: str, api_key: str | None = None, *, unload: bool = False) -> None:
    """Load (or with ``unload`` remove) a LoRA adapter on a running vLLM server, served under ``name`` from then
    on: vLLM's /v1/load_lora_adapter, open when the server runs with serve.runtime_lora. ``path`` is read by
    the server, so it is a path on the server's machine. UsageError with the server's answer when it refuses."""
    import httpx

    from filingsum.core.errors import UsageError

    root = endpoint.rstrip("/").removesuffix("/v1")
    route = "unload_lora_adapter" if unload else "load_lora_adapter"
    body = {"lora_name": name} if unload else {"lora_name": name, "lora_path": path}
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.post(f"{root}/v1/{route}", json=body, headers=headers, timeout=300)
    except httpx.HTTPError as exc:
        raise UsageError(f"{root}/v1/{route}: {type(exc).__name__}: {exc}; is the server running?") from None
    if response.status_code == 404:
        raise UsageError(f"{root}/v1/{route}: 404: the server does not load adapters at run time (start it with "
                         "--set serve.runtime_lora=true)")
    if response.status_code >= 400:
        raise UsageError(f"{root}/v1/{route}: HTTP {response.status_code}: {' '.join(response.text.split())[:300]}")


def served_model_of(models: dict[str, str | None], endpoint: str, wording: ModelWording = CLI_MODEL_WORDING) -> str:
    """The endpoint's model when it serves exactly one (what `filingsum serve` does on CPU: the merged tuned
    model); UsageError naming the choices otherwise."""
    from filingsum.core.errors import UsageError

    if len(models) != 1:
        raise UsageError(f"{wording.absent} and {endpoint} serves {len(models)} models "
                         f"({', '.join(models) or 'none'}); {wording.ask}")
    return next(iter(models))


_BACKOFF_S = 0.5  # the first retry's wait; it doubles with each retry
_MAX_BACKOFF_S = 8.0
_MAX_RETRY_AFTER_S = 60.0  # the longest wait a server's Retry-After gets (never past the request timeout either)
_ALIVE_TIMEOUT_S = 10.0  # how long a server that timed out a request has to answer GET /models


class _Hung(Exception):
    """A request timed out and the server no longer answers its model list."""


# No token is longer than this many characters on average: an answer past it did not respect max_tokens.
CHARS_PER_TOKEN_LIMIT = 16


def finish_reason_of(value: str | None) -> FinishReason:
    """The server's finish_reason mapped to stop|length (anything but "length" ended on its own)."""
    return "length" if value == "length" else "stop"


class EndpointSummarizer(Summarizer):
    """Client for a served summarization model.

    ``model`` is the served name (`filingsum serve` prints them); ``tokenizer`` a model spec (or a loaded
    tokenizer) used only to count tokens for the input budget: the served model's. ``max_summary_tokens`` is the
    summary cap sent with every request. Token counts on results are the server's ``usage``.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        tokenizer: str | PreTrainedTokenizerBase,
        max_summary_tokens: int,
        max_source_tokens: int,
        sections: Sequence[str] = DEFAULT_SECTIONS,
        fit_strategy: str = "aspects",
        max_chunks: int = DEFAULT_MAX_CHUNKS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        api_key: str | None = None,
        timeout_s: float = 300.0,
        max_retries: int = 3,
        concurrency: int = 4,
        temperature: float = 0.0,
        repetition_penalty: float = 1.0,
        progress: bool = False,
    ):
        import openai

        self.base_url = check_endpoint_url(base_url, "endpoint").rstrip("/")
        self.model = model
        self.max_summary_tokens = max_summary_tokens
        self.inputs = InputSettings(max_source_tokens, tuple(sections), fit_strategy,  # type: ignore[arg-type]
                                    max_chunks=max_chunks, max_bytes=max_bytes)
        self.temperature = temperature
        # A vLLM sampling parameter beyond OpenAI's, sent only when it is not the neutral 1.0 so that strict
        # OpenAI-compatible servers, which reject unknown fields, still answer (servers filingsum launches
        # default to the same value: `--override-generation-config`).
        self.extra_body = {"repetition_penalty": repetition_penalty} if repetition_penalty != 1.0 else None
        self.workers = max(1, concurrency)
        self.progress = progress
        # A key given is checked; none given: $OPENAI_API_KEY (checked) when set, if the URL is https or local. A
        # caller that reads the key from a variable it names resolves it first (`core.endpoints.api_key_from_env`).
        key = check_api_key(api_key, "api_key") if api_key else api_key_from_env(None, what="api_key", url=base_url)
        from filingsum.core.http_limits import bounded_client

        # --timeout bounds each whole request (a server trickling bytes cannot hold it), and an answer is capped.
        # Retries are this class's own (`_create`): a request that timed out is retried only while the server still
        # answers its model list, so a hung server costs one timeout, not (retries + 1) x timeout per input.
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key or "EMPTY", timeout=timeout_s,
                                     max_retries=0, http_client=bounded_client(timeout_s))
        self.timeout_s = timeout_s
        self.max_retries = max(0, max_retries)
        self._hung: str | None = None  # why the endpoint is taken for hung: later requests are not sent
        self._tokenizer_spec = tokenizer if isinstance(tokenizer, str) else None
        self._tokenizer: PreTrainedTokenizerBase | None = None if isinstance(tokenizer, str) else tokenizer
        self._tokenizer_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.workers)  # in-flight requests, across all inputs

    # --- tokens ---------------------------------------------------------------------------------------------

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        with self._tokenizer_lock:
            if self._tokenizer is None:
                from filingsum.core.models import load_tokenizer

                self._tokenizer = load_tokenizer(str(self._tokenizer_spec))
            return self._tokenizer

    def count_tokens(self, text: str) -> int:
        from filingsum.core.tokens import token_count

        return token_count(text, self.tokenizer)

    # --- requests -------------------------------------------------------------------------------------------

    def regenerate(self, text: str, instruction: str | None, repetition_penalty: float) -> Generated:
        return self.complete(text, instruction, extra_body={"repetition_penalty": repetition_penalty})

    def complete(self, text: str, instruction: str | None = None, *, extra_body: dict | None = None) -> Generated:
        """One chat completion with the prompt contract; errors are returned, not raised (but `Cancelled`,
        raised when `cancel()` came before the request was sent)."""
        try:
            with self._slots:
                if self.cancelled:
                    raise Cancelled("cancelled before the request was sent")
                if self._hung:
                    return failed("timeout", self._hung)
                raw = self._create(build_messages(text, instruction),
                                   extra_body if extra_body is not None else self.extra_body)
            answer = chat_answer(raw.http_response, max_tokens=self.max_summary_tokens)
        except Cancelled:
            raise
        except _Hung as exc:
            return failed("timeout", str(exc))
        except Exception as exc:  # noqa: BLE001 (the openai client already retried what is transient)
            kind, message = describe_error(exc)
            return failed(kind, message)
        if answer is None:
            return failed("empty", "the endpoint answered with no choices")
        if not answer.content:
            return failed("empty", "the endpoint answered with an empty summary")
        if len(answer.content) > CHARS_PER_TOKEN_LIMIT * self.max_summary_tokens:
            return failed("http", self._over_cap(answer.content))
        return Generated(
            text=answer.content, prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
            finish_reason=finish_reason_of(answer.finish_reason),
        )

    def _create(self, messages: list[dict], extra_body: dict | None):
        """The chat completion, retried with exponential backoff (at most ``max_retries`` times) on what is
        transient: a connection error, 408, 409, 429 and 5xx, and a timeout while the server still answers its
        model list; an answer's Retry-After is honoured (`retry_wait`). A timeout from a server that no longer
        answers that either raises `_Hung`, and every later request fails at once with the same message."""
        import openai

        for attempt in range(self.max_retries + 1):
            wait = min(_BACKOFF_S * 2**attempt, _MAX_BACKOFF_S)
            try:
                return self._client.chat.completions.with_raw_response.create(
                    model=self.model, messages=messages,  # type: ignore[arg-type]
                    max_tokens=self.max_summary_tokens, temperature=self.temperature, extra_body=extra_body,
                )
            except openai.APITimeoutError:
                if not self._answers_model_list():
                    self._hung = (f"timeout: no answer in {self.timeout_s:g} s, and {self.base_url}/models does "
                                  f"not answer either: the server looks hung, so the remaining inputs were not "
                                  "sent; restart it and rerun the same command to resume")
                    raise _Hung(self._hung) from None
                if attempt == self.max_retries:
                    raise
            except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError) as exc:
                if attempt == self.max_retries:
                    raise
                wait = retry_wait(exc, wait, min(_MAX_RETRY_AFTER_S, self.timeout_s), self.base_url)
            except openai.APIStatusError as exc:
                if exc.status_code not in (408, 409) or attempt == self.max_retries:
                    raise
                wait = retry_wait(exc, wait, min(_MAX_RETRY_AFTER_S, self.timeout_s), self.base_url)
            self._pause(wait)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _pause(self, seconds: float) -> None:
        """Sleep before a retry, in short steps: `Cancelled` as soon as `cancel()` is called."""
        deadline = time.monotonic() + seconds
        while True:
            if self.cancelled:
                raise Cancelled("cancelled before the request was retried")
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.2))

    def _answers_model_list(self) -> bool:
        """Whether the server answers GET /models (any HTTP answer) within `_ALIVE_TIMEOUT_S`, asked with this
        summarizer's own client (its key, its bounded transport)."""
        import openai

        try:
            self._client.with_options(timeout=min(_ALIVE_TIMEOUT_S, self.timeout_s)).models.with_raw_response.list()
        except openai.APIStatusError:
            return True  # an HTTP answer, whatever its status: the server is alive
        except openai.APIError:
            return False  # no answer in time, or no connection
        return True

    def _over_cap(self, content: str) -> str:
        """Why an answer far longer than the summary cap is refused (a server or proxy that drops max_tokens):
        its length in the model's tokens (in characters when they cannot be counted) against the cap."""
        try:
            size = f"{self.count_tokens(content):,} tokens"
        except Exception:  # noqa: BLE001 (the message must not fail; characters say it as well)
            size = f"{len(content):,} characters"
        return (f"the endpoint answered {size} for a cap of {self.max_summary_tokens} (max_tokens): it ignored "
                "max_tokens, so the answer is not used; check the server (or a proxy in front of it) honours "
                "max_tokens")

    def summarize(self, texts: Sequence[str], instructions: Sequence[str | None] | None = None) -> list[Generated]:
        """Concurrent requests (at most ``concurrency`` in flight) on daemon threads, results in input order;
        `Cancelled` when `cancel()` stopped the batch."""
        return self.summarize_counted(texts, instructions, lambda generated: None)

    def summarize_counted(self, texts: Sequence[str], instructions: Sequence[str | None] | None,
                          on_done: Callable[[Generated], None]) -> list[Generated]:
        """`summarize`, with ``on_done`` called as each answer comes in."""
        instructions = list(instructions or [None] * len(texts))
        if len(texts) == 1:  # in this thread
            single = self.complete(texts[0], instructions[0])
            on_done(single)
            return [single]
        if not texts:
            return []
        results: list[Generated | None] = [None] * len(texts)
        outcomes = parallel_map(lambda i: self.complete(texts[i], instructions[i]), range(len(texts)), self.workers)
        try:
            for i, outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
                results[i] = outcome
                on_done(outcome)
        finally:
            outcomes.close()
        return results  # type: ignore[return-value]
