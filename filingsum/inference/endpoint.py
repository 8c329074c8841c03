"""Summarize filings through any OpenAI-compatible endpoint, with exactly the training pipeline.

A filing goes through the same ingestion, sectioning and cleaning as the dataset builder
(``filingsum.dataset.sections.extract_filing_sections``), the same token budget (``ModelConfig.max_source_tokens``
counted with the model's tokenizer), the same context fitting (``fit_strategy``, as ``data.fit_strategy``) and the
same prompt (``filingsum.prompt.build_messages``). A section over the budget is fitted like the training inputs
("aspects": the paragraphs carrying the five aspects), or with ``fit_strategy="chunk"`` summarized map-reduce:
each chunk (``filingsum.dataset.fit.chunk_text``) is summarized, then the joined chunk summaries are
summarized with the same prompt (again chunked if they are still over budget).

Every input ends as a ``SummaryResult`` with a summary or an explicit error; nothing raises out of a batch.
Retries with exponential backoff and per-request timeouts are the ``openai`` client's own.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING

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


class CompletionError(RuntimeError):
    """A request that ended without a usable summary (after the client's retries)."""


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

    def _complete(self, text: str, instruction: str | None) -> tuple[str, int | None, int | None]:
        with self._slots:
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
        with ThreadPoolExecutor(min(self.concurrency, len(chunks))) as pool:
            return [summary for summary, _, _ in pool.map(lambda c: self._complete(c, instruction), chunks)]

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
                chunks = chunk_text(text, self.count_tokens, self.max_source_tokens)
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
            sections = list(extract_filing_sections(path, self.sections))
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
        if not files:
            return
        self.tokenizer  # load once, before the threads race for it
        bar = _progress_bar(len(files), self.progress)
        with ThreadPoolExecutor(min(self.concurrency, len(files))) as pool:
            futures = {pool.submit(self.summarize_file, f, instruction): f for f in files}
            for future in as_completed(futures):
                try:
                    results = future.result()
                except Exception as exc:  # summarize_file should not raise; if it does, keep the record
                    source = futures[future]
                    results = [SummaryResult(id=Path(source).stem, source_path=source, error=_describe_error(exc))]
                bar(1)
                yield from results
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


def run_summarize_command(args: argparse.Namespace) -> int:
    """`filingsum summarize`: exit 0 when every input got a summary, 1 when any ended as an error record."""
    from filingsum.filings.ingest import IngestError, discover_inputs
    from filingsum.core.errors import FilingsumError

    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one INFO line per request
    try:
        files = discover_inputs(list(args.inputs))
    except IngestError as exc:
        raise FilingsumError(str(exc)) from None
    if len(files) > 1 and not args.out:
        raise FilingsumError(f"{len(files)} inputs: give --out FILE (.jsonl or .md) for the results")
    summarizer = FilingSummarizer(
        args.endpoint, args.model, api_key=os.environ.get(args.api_key_env), timeout_s=args.timeout,
        max_retries=args.max_retries, concurrency=args.concurrency, max_tokens=args.max_tokens,
        tokenizer=args.tokenizer, max_source_tokens=args.max_source_tokens, progress=len(files) > 1,
        sections=args.sections or DEFAULT_SECTIONS, temperature=args.temperature, fit_strategy=args.fit,
    )
    order = {str(f): i for i, f in enumerate(files)}
    results = summarizer.summarize_paths([str(f) for f in files], instruction=args.instruction)
    results = sorted(results, key=lambda r: (order.get(r.source_path, -1), r.id))
    if args.out:
        path = write_results(results, args.out, args.format)
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

