"""One summarizer interface, whatever generates: a local transformers model or an OpenAI-compatible endpoint.

An implementation provides two things: ``summarize(texts, instructions)``, one `Generated` per text in order
(a failed input is a `Generated` with ``error`` set, never an exception), and ``count_tokens(text)`` with the
model's tokenizer. This base class builds everything else on them, once for both:

- ``summarize_text``: fit one cleaned text to the source budget (``fit_strategy`` as ``data.fit_strategy``:
  "aspects" keeps the paragraphs carrying the five aspects, "truncate" the lead), or with "chunk" summarize it
  map-reduce: each chunk is summarized, the joined chunk summaries are summarized again (re-chunked while
  still over budget, at most ``MAX_REDUCE_ROUNDS`` rounds, then fitted, aspects, to one input), each round on
  a progress bar with ``chunk_progress``;
- ``summarize_file`` / ``summarize_paths``: files, dirs or globs through the same preprocessing path as the
  dataset builder (`filingsum.filings.prepare`), one `SummaryResult` per section or an error record per input.

Work runs on daemon threads (``parallel_map``) and ``cancel()`` (Ctrl-C) stops a batch at once: requests not
yet sent end as `Cancelled` (not a result: a rerun redoes that input) and requests in flight are abandoned.
With "chunk" one section sends at most ``max_chunks`` map requests (a longer one is first fitted, aspects, to
that many chunks' budget, with a warning), and files over ``max_bytes`` end as an error record.

Eval's systems, the demo and `filingsum summarize` build their summarizer with
`filingsum.inference.factory.summarizer_from_config`, so the same config gives the same budgets everywhere.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from filingsum.core.names import printable
from filingsum.core.schema import (
    DEFAULT_SECTIONS,
    FIT_STRATEGIES,
    ErrorKind,
    FinishReason,
    FitStrategy,
    GuardChecks,
    GuardPolicy,
    SummaryResult,
)
from filingsum.filings.fit import chunk_text, fit_section
from filingsum.filings.ingest import DEFAULT_MAX_BYTES

log = logging.getLogger(__name__)

MAX_REDUCE_ROUNDS = 4
CHUNK_SEPARATOR = "\n\n"
DEFAULT_MAX_CHUNKS = 32  # map requests per section with fit_strategy=chunk (a 5 MB filing is ~800 chunks)
DEFAULT_MAX_FILE_MB = DEFAULT_MAX_BYTES / (1024 * 1024)  # as data.max_file_mb

_T = TypeVar("_T")
_R = TypeVar("_R")


class Cancelled(RuntimeError):
    """The batch was cancelled (Ctrl-C) before this request was sent: not a result, a rerun redoes it."""


def parallel_map(fn: Callable[[_T], _R], items: Sequence[_T], workers: int) -> Iterator[tuple[int, _R | BaseException]]:
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
        threading.Thread(target=work, daemon=True, name="filingsum-worker").start()
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


@dataclass(frozen=True)
class Generated:
    """One summary, or why there is none: the result shape of every summarizer."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: FinishReason | None = None  # None when the request failed
    error: str | None = None
    error_kind: ErrorKind | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def hit_token_limit(self) -> bool:
        """The summary was cut by the token cap (finish_reason "length")."""
        return self.finish_reason == "length"


def failed(kind: ErrorKind, message: str) -> Generated:
    return Generated(text="", error=message, error_kind=kind)


@dataclass(frozen=True)
class InputSettings:
    """How a filing becomes model inputs: the sections to take, the source token budget, the fit strategy."""

    max_source_tokens: int
    sections: tuple[str, ...] = DEFAULT_SECTIONS
    fit_strategy: FitStrategy = "aspects"
    max_chunks: int = DEFAULT_MAX_CHUNKS  # "chunk": most map requests per section
    max_bytes: int = DEFAULT_MAX_BYTES  # larger input files end as an error record

    def __post_init__(self) -> None:
        if self.max_chunks < 1:
            raise ValueError(f"max_chunks must be at least 1, not {self.max_chunks}")
        if self.fit_strategy not in FIT_STRATEGIES:
            raise ValueError(f"fit_strategy must be one of {', '.join(FIT_STRATEGIES)}, not {self.fit_strategy!r}")
        if self.max_source_tokens < 1:
            raise ValueError(f"max_source_tokens must be positive, got {self.max_source_tokens}")


class Summarizer(ABC):
    """Base of the local and endpoint summarizers; subclasses set ``inputs`` (or None when they only take
    ready texts through ``summarize``), ``max_summary_tokens`` (the summary cap) and ``workers`` (files at once)."""

    inputs: InputSettings | None = None
    max_summary_tokens: int
    workers: int = 1
    progress: bool = False  # a bar over the files of `summarize_files`
    chunk_progress: bool = False  # a bar per map and reduce round of one input ("chunk"): `summarize` of one file
    guard: GuardPolicy = "off"  # summarize and the Python API check each sentence (inference.guard); eval does not

    def regenerate(self, text: str, instruction: str | None, repetition_penalty: float) -> Generated:
        """One summary again with another repetition penalty (the guard's retry after a loop); subclasses that
        cannot change it answer with a plain second try."""
        return self.summarize([text], [instruction])[0]

    @abstractmethod
    def summarize(self, texts: Sequence[str], instructions: Sequence[str | None] | None = None) -> list[Generated]:
        """One `Generated` per text, in order; a failed input is a `Generated` with ``error``, never a raise."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens of plain text with the model's tokenizer (no special tokens)."""

    def summarize_counted(self, texts: Sequence[str], instructions: Sequence[str | None] | None,
                          on_done: Callable[[Generated], None]) -> list[Generated]:
        """`summarize`, with ``on_done`` called for each result as it comes (here: all at the end; subclasses
        that work in steps call it as they go)."""
        outputs = self.summarize(texts, instructions)
        for output in outputs:
            on_done(output)
        return outputs

    # --- cancellation ---------------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop sending: every request not yet sent ends as `Cancelled`; work in flight is abandoned."""
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return getattr(self, "_cancelled", False)

    # --- texts ----------------------------------------------------------------------------------------------

    def _inputs(self) -> InputSettings:
        if self.inputs is None:
            raise ValueError(f"{type(self).__name__} was built without input settings (max_source_tokens)")
        return self.inputs

    def summarize_text(
        self, text: str, instruction: str | None = None, *, id: str = "text", source_path: str = "<text>"
    ) -> SummaryResult:
        """Summarize one cleaned text, fitted to the budget (map-reduce with "chunk"). Never raises."""
        started = time.perf_counter()
        if not text or not text.strip():
            return _result(failed("input", "empty text: nothing to summarize"), id, source_path, 1, started)
        inputs = self._inputs()
        pieces = fit_section(text, self.count_tokens, inputs.max_source_tokens, inputs.fit_strategy)
        return self._reduce(self._capped([p.text for p in pieces], text, id), instruction, id, source_path, started)

    def _capped(self, chunks: list[str], text: str, label: str) -> list[str]:
        """The map inputs of a section: at most ``max_chunks``; a longer section is first fitted (aspects) to
        that many chunks' budget, with a warning, so one huge filing cannot send hundreds of requests."""
        inputs = self._inputs()
        if inputs.fit_strategy != "chunk" or len(chunks) <= inputs.max_chunks:
            return chunks
        log.warning(
            "%s: %d chunks is over --max-chunks %d: the section is first fitted (aspects) to %d chunks' budget "
            "and %d map requests are sent; raise --max-chunks to summarize all of it",
            label, len(chunks), inputs.max_chunks, inputs.max_chunks, inputs.max_chunks,
        )
        budget = inputs.max_source_tokens
        fitted = fit_section(text, self.count_tokens, budget * inputs.max_chunks, "aspects")[0].text
        return chunk_text(fitted, self.count_tokens, budget)[: inputs.max_chunks]

    def _reduce(
        self, chunks: list[str], instruction: str | None, id: str, source_path: str, started: float
    ) -> SummaryResult:
        n_chunks = len(chunks)
        checks: GuardChecks | None = None
        try:
            budget = self._inputs().max_source_tokens
            rounds = 0
            while len(chunks) > 1:
                rounds += 1
                if rounds > MAX_REDUCE_ROUNDS:
                    # a model whose summaries do not shrink (each near its cap): their joined text is fitted
                    # (aspects) to one input's budget for the final summary, instead of failing the input
                    log.warning("%s: chunk summaries still over budget after %d rounds: fitted (aspects) to one "
                                "input for the final summary", id, MAX_REDUCE_ROUNDS)
                    chunks = [fit_section(CHUNK_SEPARATOR.join(chunks), self.count_tokens, budget, "aspects")[0].text]
                    break
                outputs = self._round(chunks, instruction, id, rounds)
                bad = next((o for o in outputs if not o.ok), None)
                if bad is not None:
                    return _result(bad, id, source_path, n_chunks, started)
                chunks = chunk_text(CHUNK_SEPARATOR.join(o.text for o in outputs), self.count_tokens, budget)
            if not chunks or not chunks[0].strip():
                return _result(failed("empty", "nothing left to summarize"), id, source_path, n_chunks, started)
            (final,) = self.summarize(chunks[:1], [instruction])
            if final.ok and not final.text.strip():  # the endpoint says so itself; a local model does not
                final = _empty_summary(final)
            if final.ok and self.guard != "off":
                final, checks = self._guarded(final, chunks[0], instruction)
        except Cancelled:
            raise  # not a result: the input is redone by a rerun
        except Exception as exc:  # noqa: BLE001 (every input ends with a record, whatever failed)
            log.warning("%s: summarizing failed: %s: %s", id, type(exc).__name__, exc)
            final = failed("internal", f"{type(exc).__name__}: {exc}")
        return _result(final, id, source_path, n_chunks, started, checks)

    def _round(self, chunks: list[str], instruction: str | None, id: str, round: int) -> list[Generated]:
        """The chunk summaries of one map (round 1) or reduce round, counted on a progress bar ("ID: chunk map",
        "ID: reduce round N": one step per chunk summary, then a final line) when ``chunk_progress`` is set."""
        if not self.chunk_progress:
            return self.summarize(chunks, [instruction] * len(chunks))
        desc = f"{id}: chunk map" if round == 1 else f"{id}: reduce round {round - 1}"
        bar = _progress_bar(len(chunks), True, desc, "chunk")
        try:
            return self.summarize_counted(chunks, [instruction] * len(chunks), lambda g: bar(1, failed=not g.ok))
        finally:
            bar(0, close=True)

    def _guarded(self, generated: Generated, source: str, instruction: str | None) -> tuple[Generated, GuardChecks]:
        """A loop is regenerated once with a repetition penalty; then each sentence is checked (inference.guard)."""
        from dataclasses import replace

        from filingsum.inference.guard import RETRY_REPETITION_PENALTY, guard_summary
        from filingsum.quality.metrics import has_loop

        retried = False
        if has_loop(generated.text):
            again = self.regenerate(source, instruction, RETRY_REPETITION_PENALTY)
            if again.ok:
                generated, retried = again, True
        text, checks = guard_summary(generated.text, source, self.guard, retried=retried)
        return replace(generated, text=text), checks

    # --- files ----------------------------------------------------------------------------------------------

    def summarize_file(self, path: str | os.PathLike[str], instruction: str | None = None) -> list[SummaryResult]:
        """One result per wanted section found in the filing (or one error record). Never raises."""
        from filingsum.filings.ingest import IngestError
        from filingsum.filings.prepare import prepare_inputs

        started = time.perf_counter()
        path = str(path)
        inputs = self._inputs()
        try:
            prepared = prepare_inputs(path, inputs.sections, self.count_tokens, inputs.max_source_tokens,
                                      inputs.fit_strategy, max_bytes=inputs.max_bytes)
        except IngestError as exc:
            return [_result(failed("input", f"ingest: {exc.reason}"), Path(path).stem, path, 1, started)]
        except Exception as exc:  # noqa: BLE001 (a parser bug on one file must not end a batch)
            return [_result(failed("internal", f"ingest: {type(exc).__name__}: {exc}"), Path(path).stem, path, 1,
                            started)]
        results = []
        for item in prepared:
            id = section_id(item.section.source_path, item.section.section)
            chunks = self._capped([p.text for p in item.pieces], item.section.text, id)
            result = self._reduce(chunks, instruction or item.section.instruction, id, path, time.perf_counter())
            results.append(result.model_copy(update={"warnings": [printable(w) for w in item.section.warnings]}))
        return results

    def summarize_paths(
        self, paths: Iterable[str | os.PathLike[str]], instruction: str | None = None
    ) -> Iterator[SummaryResult]:
        """Files, dirs or globs, ``workers`` files at a time; results in completion order, one per section or
        an error record per input (a spec that matches nothing included). A file named twice (itself and in
        its dir) is summarized once, and earlier results and datasets in a dir are left out, as `summarize` does:
        both find the files with `discover_inputs` and `without_earlier_outputs`."""
        from filingsum.filings.ingest import discover_inputs
        from filingsum.inference.earlier_outputs import without_earlier_outputs

        failed: list[SummaryResult] = []

        def record(spec: str, exc: Exception) -> None:
            failed.append(SummaryResult(id=Path(spec).name or spec, source_path=spec, error=str(exc),
                                        error_kind="input"))

        specs = [str(spec) for spec in paths]
        files = [str(p) for p in discover_inputs(specs, on_error=record)]
        files = without_earlier_outputs(specs, files, refuse_empty=False)  # as summarize does: not filings
        yield from failed
        for _, results in self.summarize_files(files, instruction):
            yield from results

    def summarize_files(
        self, files: Sequence[str], instruction: str | None = None
    ) -> Iterator[tuple[str, list[SummaryResult]]]:
        """(file, its results) for each file, ``workers`` at a time, in completion order. Stops early, without
        a record for the rest, once `cancel()` is called; closing the iterator starts no further file."""
        files = [str(f) for f in files]
        if not files:
            return
        self.count_tokens("")  # load the tokenizer once, before the threads race for it
        bar = _progress_bar(len(files), self.progress)
        outcomes = parallel_map(lambda f: self.summarize_file(f, instruction), files, self.workers)
        try:
            for i, outcome in outcomes:
                if isinstance(outcome, Cancelled) or self.cancelled:
                    continue
                if isinstance(outcome, BaseException):  # summarize_file does not raise; if it does, keep a record
                    outcome = [SummaryResult(id=Path(files[i]).stem, source_path=files[i], error_kind="internal",
                                             error=f"{type(outcome).__name__}: {outcome}")]
                bar(1, failed=any(r.error for r in outcome))
                yield files[i], outcome
        finally:
            outcomes.close()
            bar(0, close=True)


def section_id(source_path: str, section: str) -> str:
    """"stem#section" (JSONL rows: "stem#N#section"): the id of one summarized section."""
    file_part, _, record = source_path.partition("#")  # JSONL inputs: "file.jsonl#3"
    return f"{Path(file_part).stem}{'#' + record if record else ''}#{section}"


def _empty_summary(generated: Generated) -> Generated:
    """A generation that produced no text is a failure (as the endpoint's empty answer is), never a summary ''."""
    from dataclasses import replace

    return replace(generated, text="", error_kind="empty", error=(
        f"the model generated an empty summary ({generated.completion_tokens} tokens, finish_reason "
        f"{generated.finish_reason})"))


def _result(
    generated: Generated, id: str, source_path: str, chunks: int, started: float, checks: GuardChecks | None = None,
) -> SummaryResult:
    return SummaryResult(
        checks=checks,
        id=id, source_path=source_path, summary=generated.text if generated.ok else None, error=generated.error,
        error_kind=generated.error_kind, prompt_tokens=generated.prompt_tokens,
        completion_tokens=generated.completion_tokens, finish_reason=generated.finish_reason, chunks=chunks,
        latency_s=round(time.perf_counter() - started, 3),
    )


def _progress_bar(total: int, enabled: bool, desc: str = "summarizing", unit: str = "filing") -> Callable[..., None]:
    from filingsum.core.progress import Progress

    progress = Progress(total, desc, unit, enabled=enabled)

    def update(n: int, close: bool = False, failed: bool = False) -> None:
        if n:
            progress.update(n, failed=failed)
        if close:
            progress.close()

    return update
