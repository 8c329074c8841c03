"""Extracting input files to sections, resumably and in parallel: each file's sections (or why it was skipped)
come from the extraction journal when it has them, else from a parse in a worker process, journalled as the
parses finish and returned in input order whatever order they finished in."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from traceback import format_exc
from typing import Any

from filingsum.core.io import JsonlAppender
from filingsum.core.names import printable
from filingsum.core.parallel import TaskOutcome, run_tasks
from filingsum.core.schema import FilingSection
from filingsum.dataset.journal import journal_key, journal_row, read_journal
from filingsum.filings.prepare import extract_file

log = logging.getLogger("filingsum.dataset.build")  # the build's logger, whichever of its modules logs

_WORKER_PRELOAD = ("filingsum.filings.sections",)  # imported once in the forkserver, not in every worker

Extractor = Callable[[Path, Sequence[str], int], list[FilingSection]]


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        # for the card (JSON and Markdown): a name that is not UTF-8 escaped
        return {"path": printable(self.path), "reason": printable(self.reason)}


@dataclass(frozen=True)
class FileExtraction:
    """One input file's extraction: its sections (as journalled dicts), or why the file was skipped."""

    path: Path
    sections: list[dict[str, Any]]
    skip: str | None = None
    resumed: bool = False  # came from the journal, not parsed in this run


@dataclass
class Extraction:
    """Every input file's extraction in input order, whatever order the workers finished in."""

    files: list[FileExtraction]
    extracted: int = 0  # files parsed in this run
    resumed: int = 0  # files whose extraction came from the journal
    workers: int = 0  # processes used (0: the main process)
    peak_rss: dict[int, int] = field(default_factory=dict)  # worker pid -> its peak resident bytes
    cpu_s: dict[int, float] = field(default_factory=dict)  # worker pid -> CPU seconds its extractions used

    def sections(self) -> list[FilingSection]:
        return [FilingSection.model_validate(s) for f in self.files for s in f.sections]

    def skipped(self) -> list[SkippedFile]:
        return [SkippedFile(str(f.path), f.skip) for f in self.files if f.skip]


def _extract_task(extractor: Extractor, path: str, wanted: list[str], max_bytes: int) -> dict[str, Any]:
    """One file as a journal row (runs in a worker); a row with ``traceback`` is an unexpected error."""
    from filingsum.filings.ingest import IngestError

    try:
        found = extractor(Path(path), wanted, max_bytes)
        return {"sections": [s.model_dump() for s in found], "skip": None}
    except IngestError as exc:
        return {"sections": [], "skip": exc.reason}
    except Exception as exc:  # noqa: BLE001 (a parser bug on one file must not end the run; not journalled, so retried)
        reason = " ".join(str(exc).split())  # one line: a library's message may run over many (pydantic's)
        reason = reason if len(reason) <= 300 else reason[:299] + "…"
        return {"sections": [], "skip": f"unexpected {type(exc).__name__}: {reason}", "traceback": format_exc()}


@dataclass
class _Plan:
    """Per input position: its journal key (None: not journalled, too big) and its result so far (None: still
    to parse); ``todo``: the positions to parse, largest file first."""

    keys: list[str | None]
    results: list[FileExtraction | None]
    todo: list[int]


def _plan(files: Sequence[Path], settings: dict[str, Any], max_bytes: int, journal_path: Path) -> _Plan:
    """What the journal already holds for ``files`` and what is left to parse; an unreadable file is a skip."""
    done = read_journal(journal_path)
    plan = _Plan(keys=[None] * len(files), results=[None] * len(files), todo=[])
    sizes = [0] * len(files)
    for i, path in enumerate(files):
        try:
            sizes[i] = path.stat().st_size
            plan.keys[i] = None if sizes[i] > max_bytes else journal_key(path, settings)
        except OSError as exc:
            plan.results[i] = FileExtraction(path, [], f"cannot read file: {exc.strerror or exc}")
            continue
        row = done.get(plan.keys[i]) if plan.keys[i] is not None else None
        if row is not None:
            plan.results[i] = FileExtraction(path, row["sections"], row["skip"], resumed=True)
        else:
            plan.todo.append(i)
    # largest files first: the long parses start early instead of ending a parallel run on one busy worker
    plan.todo.sort(key=lambda i: -sizes[i])
    return plan


@dataclass
class _Collector:
    """Takes each parsed file as it finishes: journals its row (not an unexpected error: that file is parsed
    again next run), keeps its result at its input position, counts it and each worker's memory and CPU."""

    files: Sequence[Path]
    plan: _Plan
    extraction: Extraction
    journal: JsonlAppender
    bar: Any

    def keep(self, i: int, row: dict[str, Any]) -> None:
        path, key = self.files[i], self.plan.keys[i]
        if "traceback" in row:  # one line; the traceback only with -v (a parser bug to report, not the user's)
            log.warning("%s: skipped after an unexpected error: %s (-v shows the traceback)", printable(path),
                        row["skip"])
            if row["traceback"]:
                log.debug("%s: the unexpected error's traceback:\n%s", printable(path), row["traceback"])
        elif key is not None:
            self.journal.append(journal_row(key, path, row["sections"], row["skip"]))
        self.plan.results[i] = FileExtraction(path, row["sections"], row["skip"])
        self.extraction.extracted += 1
        self.bar.update(1)

    def collect(self, n: int, outcome: TaskOutcome) -> None:
        """`run_tasks`'s callback for task ``n`` (the ``n``-th position of the plan's todo)."""
        i = self.plan.todo[n]
        if outcome.pid:
            peak, cpu = self.extraction.peak_rss, self.extraction.cpu_s
            peak[outcome.pid] = max(outcome.peak_rss, peak.get(outcome.pid, 0))
            cpu[outcome.pid] = cpu.get(outcome.pid, 0.0) + outcome.cpu_s
        if outcome.error is not None:  # the worker process died, or the row could not come back
            self.keep(i, {"sections": [], "skip": f"extraction failed: {outcome.error}", "traceback": ""})
        else:
            self.keep(i, outcome.value)


def extract_all(
    files: Sequence[Path], wanted: Sequence[str], max_bytes: int, journal_path: Path, *,
    progress: bool = True, workers: int = 0, extractor: Extractor | None = None,
) -> Extraction:
    """Sections of every file, or why it was skipped, reusing and extending the journal.

    ``workers`` >= 1 parses files in that many processes (`parallel.run_tasks`): one filing per worker at a
    time, rows journalled by the parent as they finish, results kept in input order so the output is the same
    for any worker count; a worker that dies on a file makes that file a skip. ``workers=0`` parses in this
    process (no crash isolation). ``extractor`` parses one file (default `filingsum.filings.prepare.extract_file`);
    with workers it must be a module-level (picklable) function.
    """
    from tqdm.auto import tqdm

    settings = {"sections": list(wanted), "max_bytes": max_bytes}
    plan = _plan(files, settings, max_bytes, journal_path)
    extraction = Extraction(files=[], resumed=sum(1 for r in plan.results if r is not None and r.resumed))
    bar = tqdm(total=len(files), initial=len(files) - len(plan.todo), desc="extract", unit="file",
               disable=not progress)
    extractor = extract_file if extractor is None else extractor
    with JsonlAppender(journal_path) as journal:
        collector = _Collector(files, plan, extraction, journal, bar)
        tasks = [(extractor, str(files[i]), list(wanted), max_bytes) for i in plan.todo]
        try:
            if workers <= 0 or not tasks:
                for n, task in enumerate(tasks):
                    collector.keep(plan.todo[n], _extract_task(*task))
            else:
                extraction.workers = min(workers, len(tasks))
                log.info("extracting %d file(s) in %d worker process(es)", len(tasks), extraction.workers)
                run_tasks(_extract_task, tasks, extraction.workers, collector.collect, preload=_WORKER_PRELOAD)
        finally:
            bar.close()
    extraction.files = [r for r in plan.results if r is not None]
    for f in extraction.files:
        if f.skip:
            log.warning("skipped %s: %s", f.path, f.skip)
    return extraction
