"""Summarize filings through any OpenAI-compatible endpoint, with exactly the training pipeline.

A filing goes through the same ingestion, sectioning and cleaning as the dataset builder
(``filingsum.dataset.sections.extract_filing_sections``), the same token budget (``ModelConfig.max_source_tokens``
counted with the model's tokenizer), the same context fitting (``fit_strategy``, as ``data.fit_strategy``) and the
same prompt (``filingsum.prompt.build_messages``). A section over the budget is fitted like the training inputs
("aspects": the paragraphs carrying the five aspects), or with ``fit_strategy="chunk"`` summarized map-reduce:
each chunk (``filingsum.dataset.fit.chunk_text``) is summarized, then the joined chunk summaries are
summarized with the same prompt (again chunked if they are still over budget).

Every input ends as a ``SummaryResult`` with a summary or an explicit error; nothing raises out of a batch.
Retries with exponential backoff and per-request timeouts are the ``openai`` client's own. Requests run on
daemon threads and check a cancel flag before they are sent: ``cancel()`` (Ctrl-C) stops a batch at once,
without waiting for the requests in flight. ``--fit chunk`` sends at most ``max_chunks`` map requests per
section (a longer one is fitted to that many chunks first, with a warning).

`filingsum summarize --out` journals each finished input as it completes and skips it on a rerun
(``run_summarize_command``).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from filingsum.core.config import ModelConfig
from filingsum.core.models import DEFAULT_MODEL
from filingsum.core.prompt import MAX_SUMMARY_TOKENS, build_messages
from filingsum.core.schema import SummaryResult

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)

# item_1 maps to Part I Item 2 (MD&A) on a 10-Q, so one section per filing by default.
DEFAULT_SECTIONS = ("item_1",)
MAX_REDUCE_ROUNDS = 4
CHUNK_SEPARATOR = "\n\n"
DEFAULT_MAX_CHUNKS = 32  # map requests per section with fit_strategy=chunk (a 5 MB filing is ~800 chunks)
DEFAULT_MAX_FILE_MB = 50.0  # as data.max_file_mb

_T = TypeVar("_T")
_R = TypeVar("_R")


class CompletionError(RuntimeError):
    """A request that ended without a usable summary (after the client's retries)."""


class Cancelled(RuntimeError):
    """The batch was cancelled (Ctrl-C) before this request was sent."""


def parallel_map(
    fn: Callable[[_T], _R], items: Sequence[_T], workers: int
) -> Iterator[tuple[int, _R | BaseException]]:
    """(index, result or exception) for each item, in completion order, computed on ``workers`` daemon threads.

    Daemon threads, not a ThreadPoolExecutor: the interpreter joins an executor's threads at exit, so a
    Ctrl-C would wait for every request in flight; abandoned daemon threads end with the process. Closing
    the generator (or an exception in the consumer) lets the workers stop after their current item.
    """
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(len(items)):
        todo.put(i)
    done: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((i, fn(items[i])))
            except BaseException as exc:  # noqa: BLE001 (handed to the consumer)
                done.put((i, exc))

    for _ in range(max(1, min(workers, len(items)))):
        threading.Thread(target=work, daemon=True, name="filingsum-request").start()
    try:
        for _ in range(len(items)):
            while True:
                try:
                    yield done.get(timeout=0.2)  # a timed wait, so Ctrl-C reaches the main thread at once
                    break
                except queue.Empty:
                    continue
    finally:
        stop.set()


def _describe_error(exc: BaseException) -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return f"timeout: {exc}"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return f"endpoint unreachable: {type(cause).__name__}: {cause}"
    if isinstance(exc, openai.APIStatusError):
        try:
            body = " ".join(exc.response.text.split())[:300]
        except Exception:
            body = exc.message
        return f"HTTP {exc.status_code}: {body}"
    return f"{type(exc).__name__}: {exc}"


class FilingSummarizer:
    """Client for a served summarization model.

    ``model`` is the served name (`filingsum serve` prints them). ``tokenizer`` is a model spec (or a loaded
    tokenizer) used only to count tokens for the context budget: use the served model's (default: the
    embedded SmolLM2). Token counts on results are the server's ``usage`` of the final request.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 300.0,
        max_retries: int = 3,
        concurrency: int = 4,
        max_tokens: int = MAX_SUMMARY_TOKENS,
        tokenizer: "str | PreTrainedTokenizerBase | None" = None,
        *,
        max_source_tokens: int | None = None,
        sections: Iterable[str] = DEFAULT_SECTIONS,
        temperature: float = 0.0,
        progress: bool = True,
        fit_strategy: str = "aspects",
        max_chunks: int = DEFAULT_MAX_CHUNKS,
        max_file_mb: float = DEFAULT_MAX_FILE_MB,
    ):
        import openai

        self.base_url = base_url.rstrip("/")
        self.model = model
        self.max_tokens = max_tokens
        self.max_source_tokens = max_source_tokens or ModelConfig().max_source_tokens
        self.sections = list(sections)
        self.temperature = temperature
        # How a section over the budget is handled, as in training (data.fit_strategy): "aspects" keeps the
        # paragraphs that carry the five aspects, "truncate" the lead, "chunk" summarizes map-reduce.
        if fit_strategy not in ("aspects", "truncate", "chunk"):
            raise ValueError(f"fit_strategy must be aspects, truncate or chunk, not {fit_strategy!r}")
        self.fit_strategy = fit_strategy
        if max_chunks < 1:
            raise ValueError(f"max_chunks must be at least 1, not {max_chunks}")
        self.max_chunks = max_chunks
        self.max_bytes = int(max_file_mb * 1024 * 1024)
        self._cancelled = threading.Event()
        self.concurrency = max(1, concurrency)
        self.progress = progress
        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY",
            timeout=timeout_s, max_retries=max_retries,
        )
        self._tokenizer_spec = tokenizer if tokenizer is not None else DEFAULT_MODEL
        self._tokenizer: PreTrainedTokenizerBase | None = None if isinstance(tokenizer, (str, type(None))) else tokenizer
        self._tokenizer_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.concurrency)  # in-flight requests, across all inputs

    # --- tokens ------------------------------------------------------------------------------------

    @property
    def tokenizer(self) -> "PreTrainedTokenizerBase":
        with self._tokenizer_lock:
            if self._tokenizer is None:
                from filingsum.core.models import load_tokenizer

                self._tokenizer = load_tokenizer(str(self._tokenizer_spec))
            return self._tokenizer

    def count_tokens(self, text: str) -> int:
        from filingsum.filings.fit import token_counter

        return token_counter(self.tokenizer)(text)

    # --- one request -------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop sending: every request not yet sent ends as `Cancelled`; requests in flight are abandoned."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def _complete(self, text: str, instruction: str | None) -> tuple[str, int | None, int | None]:
        with self._slots:
            if self._cancelled.is_set():
                raise Cancelled("cancelled before the request was sent")
            response = self._client.chat.completions.create(
                model=self.model, messages=build_messages(text, instruction),
                max_tokens=self.max_tokens, temperature=self.temperature,
            )
        if not response.choices:
            raise CompletionError("the endpoint answered with no choices")
        content = (response.choices[0].message.content or "").strip()
        if not content:
            raise CompletionError("the endpoint answered with an empty summary")
        usage = response.usage
        return content, getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)

    def _map(self, chunks: list[str], instruction: str | None) -> list[str]:
        if len(chunks) == 1:
            return [self._complete(chunks[0], instruction)[0]]
        summaries: list[str] = [""] * len(chunks)
        outcomes = parallel_map(lambda c: self._complete(c, instruction), chunks, self.concurrency)
        try:
            for i, outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
                summaries[i] = outcome[0]
        finally:
            outcomes.close()
        return summaries

    def _capped_chunks(self, text: str, label: str) -> list[str]:
        """The map inputs of a section: at most ``max_chunks``; a longer section is first fitted (aspects) to
        that many chunks' budget, with a warning, so one huge filing cannot send hundreds of requests."""
        from filingsum.filings.fit import chunk_text, fit_section

        chunks = chunk_text(text, self.count_tokens, self.max_source_tokens)
        if len(chunks) <= self.max_chunks:
            return chunks
        log.warning(
            "%s: %d chunks is over --max-chunks %d: the section is first fitted (aspects) to %d chunks' budget "
            "and %d map requests are sent; raise --max-chunks to summarize all of it",
            label, len(chunks), self.max_chunks, self.max_chunks, self.max_chunks,
        )
        fitted = fit_section(text, self.count_tokens, self.max_source_tokens * self.max_chunks, "aspects")[0].text
        return chunk_text(fitted, self.count_tokens, self.max_source_tokens)[: self.max_chunks]

    # --- public API --------------------------------------------------------------------------------

    def summarize_text(
        self, text: str, instruction: str | None = None, *, id: str = "text", source_path: str = "<text>"
    ) -> SummaryResult:
        """Summarize one cleaned text; map-reduce when it is over the budget. Never raises."""
        from filingsum.filings.fit import chunk_text, fit_section

        started = time.perf_counter()
        n_chunks = 1
        try:
            if not text or not text.strip():
                raise CompletionError("empty text: nothing to summarize")
            if self.fit_strategy == "chunk":
                chunks = self._capped_chunks(text, id)
            else:
                chunks = [fit_section(text, self.count_tokens, self.max_source_tokens, self.fit_strategy)[0].text]
            n_chunks = len(chunks)
            rounds = 0
            while len(chunks) > 1:
                rounds += 1
                if rounds > MAX_REDUCE_ROUNDS:
                    raise CompletionError(f"chunk summaries still over budget after {MAX_REDUCE_ROUNDS} rounds")
                joined = CHUNK_SEPARATOR.join(self._map(chunks, instruction))
                chunks = chunk_text(joined, self.count_tokens, self.max_source_tokens)
            summary, prompt_tokens, completion_tokens = self._complete(chunks[0], instruction)
        except Cancelled:
            raise  # not a result: the input is redone by a rerun
        except Exception as exc:  # every input ends with a record, whatever failed
            return SummaryResult(
                id=id, source_path=source_path, error=_describe_error(exc), chunks=n_chunks,
                latency_s=round(time.perf_counter() - started, 3),
            )
        return SummaryResult(
            id=id, source_path=source_path, summary=summary, prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens, chunks=n_chunks,
            latency_s=round(time.perf_counter() - started, 3),
        )

    def summarize_file(self, path: str | os.PathLike[str], instruction: str | None = None) -> list[SummaryResult]:
        """One result per wanted section found in the filing (or one error record). Never raises."""
        from filingsum.filings.sections import extract_filing_sections

        path = str(path)
        stem = Path(path).stem
        try:
            sections = list(extract_filing_sections(path, self.sections, max_bytes=self.max_bytes))
        except Exception as exc:
            return [SummaryResult(id=stem, source_path=path, error=f"ingest: {_describe_error(exc)}")]
        if not sections:
            return [SummaryResult(
                id=stem, source_path=path,
                error=f"no {' or '.join(self.sections)} section found (see `filingsum data` for sectioning)",
            )]
        return [
            self.summarize_text(
                section.text, instruction or section.instruction, id=_section_id(section.source_path, section.section),
                source_path=path,
            )
            for section in sections
        ]

    def summarize_paths(
        self, paths: Iterable[str | os.PathLike[str]], instruction: str | None = None
    ) -> Iterator[SummaryResult]:
        """Files, dirs or globs, summarized concurrently; results in completion order, one per section or
        an error record per input (a spec that matches nothing included)."""
        from filingsum.filings.ingest import IngestError, discover_inputs

        files: list[str] = []
        for spec in paths:
            try:
                files.extend(str(p) for p in discover_inputs([str(spec)]))
            except (IngestError, OSError) as exc:
                yield SummaryResult(id=Path(str(spec)).name or str(spec), source_path=str(spec), error=str(exc))
        for _, results in self.summarize_files(files, instruction):
            yield from results

    def summarize_files(
        self, files: Sequence[str], instruction: str | None = None
    ) -> Iterator[tuple[str, list[SummaryResult]]]:
        """(file, its results) for each file, in completion order, summarized concurrently. Stops early, without
        a record for the rest, once `cancel()` is called; closing the iterator starts no further file."""
        if not files:
            return
        self.tokenizer  # load once, before the threads race for it
        bar = _progress_bar(len(files), self.progress)
        outcomes = parallel_map(lambda f: self.summarize_file(f, instruction), list(files), self.concurrency)
        try:
            for i, outcome in outcomes:
                if isinstance(outcome, Cancelled) or self.cancelled:
                    continue
                if isinstance(outcome, BaseException):  # summarize_file does not raise; if it does, keep a record
                    outcome = [SummaryResult(id=Path(files[i]).stem, source_path=files[i],
                                             error=_describe_error(outcome))]
                bar(1)
                yield files[i], outcome
        finally:
            outcomes.close()
            bar(0, close=True)


def _section_id(source_path: str, section: str) -> str:
    file_part, _, record = source_path.partition("#")  # JSONL inputs: "file.jsonl#3"
    return f"{Path(file_part).stem}{'#' + record if record else ''}#{section}"


def _progress_bar(total: int, enabled: bool) -> Callable[..., None]:
    if not enabled:
        return lambda n, close=False: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="filing", desc="summarizing", file=sys.stderr, disable=None)

    def update(n: int, close: bool = False) -> None:
        bar.update(n)
        if close:
            bar.close()

    return update


# --- output ----------------------------------------------------------------------------------------


def results_to_markdown(results: list[SummaryResult]) -> str:
    parts = ["# Filing summaries\n"]
    for r in results:
        parts.append(f"## {r.id}\n")
        meta = f"source: `{r.source_path}`"
        if r.summary is not None:
            meta += f"; tokens: {r.prompt_tokens} prompt, {r.completion_tokens} summary; chunks: {r.chunks}"
        if r.latency_s is not None:
            meta += f"; {r.latency_s:.2f} s"
        parts.append(meta + "\n")
        parts.append((r.summary if r.summary is not None else f"**error:** {r.error}") + "\n")
    return "\n".join(parts)


def write_results(results: list[SummaryResult], out: str | os.PathLike[str], fmt: str | None = None) -> Path:
    from filingsum.core.io import atomic_write_jsonl, atomic_write_text

    out = Path(out)
    fmt = fmt or ("md" if out.suffix.lower() in (".md", ".markdown") else "jsonl")
    if fmt == "md":
        return atomic_write_text(out, results_to_markdown(results))
    return atomic_write_jsonl(out, (r.model_dump() for r in results))


# --- `filingsum summarize`: resumable output --------------------------------------------------------------


def journal_path(out: str | os.PathLike[str]) -> Path:
    """Where `filingsum summarize --out OUT` journals finished inputs: .OUT.journal.jsonl beside OUT."""
    out = Path(out)
    return out.with_name(f".{out.name}.journal.jsonl")


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def input_key(path: str, settings: dict[str, Any]) -> str | None:
    """Journal key of one input: its path and content and every setting that shapes its summary; None for a
    file that cannot be read (it is summarized, i.e. reported, again)."""
    from filingsum.core.io import stable_hash

    try:
        return stable_hash(str(path), _file_digest(path), settings)
    except OSError:
        return None


def summarize_settings(args: argparse.Namespace) -> dict[str, Any]:
    """What a journalled summary depends on besides the file (not the endpoint URL: the same served model
    may move; delete the journal to redo everything after swapping the model behind a name)."""
    keys = ("model", "tokenizer", "max_source_tokens", "max_tokens", "fit", "sections", "instruction",
            "temperature", "max_chunks", "max_file_mb")
    return {k: getattr(args, k, None) for k in keys}


def run_summarize_command(args: argparse.Namespace) -> int:
    """`filingsum summarize`: exit 0 when every input got a summary, 1 when any ended as an error record,
    130 on Ctrl-C. With --out, finished inputs are journalled as they complete and skipped by a rerun."""
    from filingsum.filings.ingest import IngestError, discover_inputs
    from filingsum.core.errors import FilingsumError, UsageError
    from filingsum.core.io import ResultJournal, preflight_output_file

    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one INFO line per request
    try:
        files = [str(f) for f in discover_inputs(list(args.inputs))]
    except IngestError as exc:
        raise UsageError(str(exc)) from None
    if len(files) > 1 and not args.out:
        raise UsageError(f"{len(files)} inputs: give --out FILE (.jsonl or .md) for the results")
    journal = None
    if args.out:
        preflight_output_file(args.out, what="--out file")
        preflight_output_file(journal_path(args.out), what="journal")
        journal = ResultJournal(journal_path(args.out))
    summarizer = FilingSummarizer(
        args.endpoint, args.model, api_key=os.environ.get(args.api_key_env), timeout_s=args.timeout,
        max_retries=args.max_retries, concurrency=args.concurrency, max_tokens=args.max_tokens,
        tokenizer=args.tokenizer, max_source_tokens=args.max_source_tokens, progress=len(files) > 1,
        sections=args.sections or DEFAULT_SECTIONS, temperature=args.temperature, fit_strategy=args.fit,
        max_chunks=getattr(args, "max_chunks", DEFAULT_MAX_CHUNKS),
        max_file_mb=getattr(args, "max_file_mb", DEFAULT_MAX_FILE_MB),
    )
    settings = summarize_settings(args)
    keys = {f: input_key(f, settings) for f in files} if journal is not None else {}
    by_file: dict[str, list[SummaryResult]] = {}
    for f, key in keys.items():
        if key is not None and key in journal:
            by_file[f] = [SummaryResult.model_validate(r) for r in journal.get(key)]
    if by_file:
        print(f"resuming: {len(by_file)} of {len(files)} input(s) already summarized in {journal.path}",
              file=sys.stderr)
    todo = [f for f in files if f not in by_file]
    stream = summarizer.summarize_files(todo, instruction=args.instruction)
    try:
        for f, results in stream:
            by_file[f] = results
            if journal is not None and keys.get(f) and not any(r.error for r in results):
                journal.put(keys[f], [r.model_dump() for r in results])  # failed inputs are retried on a rerun
    except KeyboardInterrupt:
        summarizer.cancel()
        stream.close()  # its progress bar goes before the message below
        done = sum(1 for f in files if f in by_file)
        if journal is not None:
            journal.close()
            kept = sum(1 for f in files if keys.get(f) and keys[f] in journal)
            print(f"filingsum: interrupted; {kept} of {len(files)} input(s) summarized and kept in {journal.path}; "
                  f"rerun the same command to summarize the other {len(files) - kept} and write {args.out}",
                  file=sys.stderr)
        else:
            print(f"filingsum: interrupted; {done} of {len(files)} input(s) summarized; nothing was written "
                  "(give --out FILE to keep finished summaries across runs)", file=sys.stderr)
        return 130
    finally:
        if journal is not None:
            journal.close()

    results = [r for f in files for r in sorted(by_file.get(f, []), key=lambda r: r.id)]
    if args.out:
        try:
            path = write_results(results, args.out, args.format)
        except OSError as exc:  # a full disk at the very end must not cost a single finished summary
            kept = f"the finished summaries are kept in {journal.path}" if journal is not None and len(journal) else ""
            raise FilingsumError(
                f"{args.out}: cannot write ({exc.strerror or exc}); {kept or 'nothing was kept'}: free some space "
                "and rerun the same command (finished inputs are not requested again)"
            ) from None
        print(f"wrote {len(results)} results to {path}", file=sys.stderr)
    elif len(results) == 1 and results[0].summary is not None:
        print(results[0].summary)
    else:
        for r in results:
            if r.summary is not None:
                print(f"## {r.id}\n\n{r.summary}\n")
    errors = [r for r in results if r.error]
    for r in errors:
        print(f"filingsum: {r.id}: {r.error}", file=sys.stderr)
    ok = len(results) - len(errors)
    print(f"{ok} summarized, {len(errors)} failed", file=sys.stderr)
    return 1 if errors else 0
