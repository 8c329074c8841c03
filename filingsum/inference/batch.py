"""Summarize many files into one output, resumably: what `filingsum summarize --out` runs.

Each finished input is journalled as it completes (``journal_path``: .OUT.journal.jsonl beside OUT, keyed by
``input_key``: the file's path and content, the endpoint and every setting that shapes its summary). An
interrupt cancels the requests not yet sent and keeps what finished; a rerun of the same call skips those inputs.
Failed inputs are not journalled, so a rerun tries them again. The results are written once, at the end, as JSONL
or Markdown; never over good summaries that an earlier OUT holds for inputs that failed this time
(``replaced_good``): OUT is then left as it was, and the run's new summaries stay in the journal. Before the
first request, ``batch_inputs`` finds the input files and checks the output and journal locations, and
``batch_settings`` gathers what keys the journal besides a file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from filingsum.core import io
from filingsum.core.errors import FilingsumError, UsageError
from filingsum.core.io import ResultJournal, check_replaceable, preflight_output_file, sha256_file, stable_hash
from filingsum.core.json_rows import loads
from filingsum.core.names import printable
from filingsum.core.schema import GuardPolicy, SummaryResult

if TYPE_CHECKING:
    from filingsum.inference.factory import ContractedSummarizer

log = logging.getLogger(__name__)


def results_to_markdown(results: list[SummaryResult]) -> str:
    from filingsum.inference.guard import guard_line

    parts = ["# Filing summaries\n"]
    for r in results:
        parts.append(f"## {printable(r.id)}\n")  # a name's control characters escaped: a heading is one line
        meta = f"source: `{printable(r.source_path)}`"
        if r.summary is not None:
            meta += f"; tokens: {r.prompt_tokens} prompt, {r.completion_tokens} summary; chunks: {r.chunks}"
        if r.latency_s is not None:
            meta += f"; {r.latency_s:.2f} s"
        parts.append(meta + "\n")
        if r.checks is not None:
            parts.append(guard_line(r.checks) + "\n")
        if r.warnings:
            parts.append(f"warnings: {'; '.join(r.warnings)}\n")
        parts.append((r.summary if r.summary is not None else f"**error:** {r.error}") + "\n")
    return "\n".join(parts)


def write_results(results: list[SummaryResult], out: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Results as JSONL (one SummaryResult a line) or Markdown (from ``fmt``, else the suffix of ``out``)."""
    out = Path(out)
    fmt = _format(out, fmt)
    others = _other_results(out, {r.id for r in results}) if fmt == "jsonl" else 0
    if others:
        log.warning("replacing %s, which held %d result(s) of other inputs; this run's results replace them (the "
                    "journal %s still holds every summary it finished); give another --out to keep both", out,
                    others, journal_path(out))
    if fmt == "md":  # through the module: a test's stand-in for a full disk reaches it
        return io.atomic_write_text(out, results_to_markdown(results))
    return io.atomic_write_jsonl(out, (r.model_dump() for r in results))


def results_text(results: list[SummaryResult], fmt: str | None = None) -> str:
    """Results as the text `write_results` writes: JSONL (the default) or Markdown (``fmt`` "md"), for a stream
    such as standard output (`summarize --out -`)."""
    from filingsum.core.names import json_text

    if fmt == "md":
        return results_to_markdown(results)
    return "".join(json_text(r.model_dump()) + "\n" for r in results)


def is_summaries_file(head: bytes) -> bool:
    """Whether a file's head is an earlier `write_results` output: Markdown under its title, or JSONL rows of
    `SummaryResult`."""
    if head.lstrip().startswith(b"# Filing summaries"):
        return True
    row = io.first_json_line(head)
    return isinstance(row, dict) and {"id", "source_path", "summary"} <= row.keys()


def _format(out: Path, fmt: str | None) -> str:
    return fmt or ("md" if out.suffix.lower() in (".md", ".markdown") else "jsonl")


def _other_results(out: Path, ids: set[str]) -> int:
    """How many results of other ids an existing JSONL --out holds (0 when it is missing, large or not ours)."""
    return sum(rid not in ids for rid, _, _ in _earlier_rows(out, "jsonl"))


def _earlier_rows(out: Path, fmt: str, max_bytes: int = 64 * 2**20) -> list[tuple[str, str, bool]]:
    """(id, source path, whether it is a summary) of each result an existing --out holds, JSONL or Markdown;
    [] when it is missing, large or unreadable."""
    try:
        if not out.is_file() or out.stat().st_size > max_bytes:
            return []
        text = out.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    if fmt == "md":  # "## id", "source: `path`...", then the summary or "**error:** ..." (results_to_markdown)
        rows = []
        for block in re.split(r"(?m)^## ", text)[1:]:
            rid, _, body = block.partition("\n")
            source = re.search(r"(?m)^source: `(.*?)`", body)
            rows.append((rid.strip(), source.group(1) if source else "", not re.search(r"(?m)^\*\*error:\*\*", body)))
        return rows
    found = []
    for line in text.splitlines():
        try:
            row = loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            good = isinstance(row.get("summary"), str) and not row.get("error")
            found.append((row["id"], str(row.get("source_path")), good))
    return found


def replaced_good(results: Sequence[SummaryResult], out: str | os.PathLike[str], fmt: str | None = None) -> list[str]:
    """The ids of good summaries an existing ``out`` holds for inputs that failed in ``results`` (same id or
    same source file): writing ``results`` would replace each with an error record."""
    failed = [r for r in results if r.error]
    if not failed:
        return []
    good_now = {r.id for r in results if not r.error}
    ids, sources = {r.id for r in failed}, {r.source_path for r in failed}
    return [rid for rid, source, good in _earlier_rows(Path(out), _format(Path(out), fmt))
            if good and rid not in good_now and (rid in ids or source in sources)]


def unique_ids(results: Sequence[SummaryResult]) -> list[SummaryResult]:
    """``results`` with ids unique across inputs. Two files of one name in different folders (in/x/a.txt,
    in/y/a.txt) both give "a#item_1": the ids of the later one get a hash of its path after the name
    ("a-s1a2b3c#item_1"), as `data build` does for record ids (dataset/record_ids.source_unique_id). Inputs whose
    ids are unique keep them, so journals and earlier results still match."""
    by_file: dict[str, list[SummaryResult]] = {}
    for r in results:
        by_file.setdefault(r.source_path.partition("#")[0], []).append(r)  # JSONL rows "f.jsonl#3": one file
    owner: dict[str, str] = {}
    renamed: dict[int, str] = {}
    for file, rows in by_file.items():
        if any(owner.get(r.id, file) != file for r in rows):
            suffix = "-s" + hashlib.sha256(file.encode("utf-8", "surrogateescape")).hexdigest()[:6]
            for r in rows:
                stem, sep, rest = r.id.partition("#")
                renamed[id(r)] = f"{stem}{suffix}{sep}{rest}"
        for r in rows:
            owner.setdefault(renamed.get(id(r), r.id), file)
    return [r.model_copy(update={"id": renamed[id(r)]}) if id(r) in renamed else r for r in results]


def journal_path(out: str | os.PathLike[str]) -> Path:
    """Where `filingsum summarize --out OUT` journals finished inputs: .OUT.journal.jsonl beside the file OUT is,
    symlinks resolved, so that two spellings of one file (a symlink, ``./``, ``..``) share one journal and its
    lock: a run on the other spelling refuses (`OutputBusyError`) instead of replacing the first one's results."""
    out = Path(os.path.realpath(out))
    return out.with_name(f".{out.name}.journal.jsonl")


def input_key(path: str, settings: dict[str, Any]) -> str | None:
    """Journal key of one input: its path and content and every setting that shapes its summary; None for a
    file that cannot be read or is over the size cap (it is summarized, i.e. reported, again; never hashed
    whole first)."""
    try:
        cap = settings.get("max_file_mb")
        if cap is not None and os.path.getsize(path) > cap * 1024 * 1024:
            return None
        return stable_hash(str(path), sha256_file(path), settings)
    except OSError:
        return None


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(a, b)  # hard links and symlinks too
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _is_results_file(path: Path) -> bool:
    """Whether the regular file ``path`` holds what an earlier `summarize --out` wrote (a rerun replaces it),
    judged by its first line, rather than a filing or anything else that is not the command's own."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20)
    except OSError:
        return False
    if not first.strip() or first.startswith(b"# Filing summaries"):
        return True
    try:
        SummaryResult.model_validate(loads(first))  # no other keys: a dataset's records.jsonl is not one
    except ValueError:  # JSON and validation errors alike
        return False
    return True


def _own_outputs(inputs: Sequence[str], out: str | os.PathLike[str]) -> tuple[Path, ...]:
    """``out`` and its journal, to leave out of the files found in directories and globs (a rerun never reads
    its own results); only the journal when ``out`` is an existing file that earlier results did not write
    (found as an input, it is refused by the caller). UsageError when either is named as an input."""
    out, journal = Path(out), journal_path(out)
    for spec in inputs:
        for own, what in ((out, "the --out file"), (journal, "the journal of --out")):
            if os.path.isfile(spec) and os.path.lexists(own) and _same_file(spec, own):
                raise UsageError(f"{spec}: is both an input and {what}; writing the results would overwrite it: "
                                 "give --out a new path")
    if out.is_file() and not _is_results_file(out):
        return (journal,)
    return (out, journal)


def batch_inputs(
    inputs: Sequence[str], out: str | os.PathLike[str] | None, *, many_without_out: bool = False,
) -> list[str]:
    """The input files of a batch (files, dirs and globs expanded, in order), once its output and journal
    locations are known to be usable: UsageError for no input file, several inputs without ``out`` (unless
    ``many_without_out``: the caller streams the results, e.g. to standard output), an ``out`` (or its journal)
    that cannot be written, or one that is an input (earlier results found in a directory or glob are left out
    instead)."""
    from filingsum.filings.ingest import INPUT_SUFFIXES, IngestError, discover_inputs
    from filingsum.filings.ingest.discover import other_files
    from filingsum.inference.earlier_outputs import without_earlier_outputs

    own: tuple[Path, ...] = ()
    if out:
        preflight_output_file(out, what="--out file")
        preflight_output_file(journal_path(out), what="journal")
        own = _own_outputs(inputs, out)
    try:
        others: Counter[str] = Counter()
        files = [str(f) for f in discover_inputs(list(inputs), exclude=own, left_out=others)]
    except IngestError as exc:
        raise UsageError(str(exc)) from None
    if not files:
        holds = f"; it holds {other_files(others)}" if others else ""
        raise UsageError(f"{', '.join(inputs)}: no input files ({', '.join(INPUT_SUFFIXES)}){holds}; nothing to "
                         "summarize")
    if others:
        log.warning("inputs left out for their suffix: %s (a directory gives only %s files; name a file to read it "
                    "whatever its suffix)", other_files(others), ", ".join(INPUT_SUFFIXES))
    files = without_earlier_outputs(inputs, files)  # an earlier --out of another name, a dataset: not filings
    if len(files) > 1 and not out and not many_without_out:
        raise UsageError(f"{len(files)} inputs: give --out FILE (.jsonl or .md) for the results, or --out - for "
                         "standard output")
    if out and Path(out) not in own and any(_same_file(f, out) for f in files):
        raise UsageError(f"{out}: --out is one of the input files found in {', '.join(inputs)} (and not the "
                         "results of an earlier run); writing the results would overwrite it: give --out a path "
                         "outside the inputs")
    if out:
        check_replaceable(out, is_summaries_file, what="summaries file")  # not a config, a split or a filing
    return files


def batch_settings(
    built: ContractedSummarizer, *, instruction: str | None, temperature: float, max_chunks: int,
    guard: GuardPolicy | None,
) -> dict[str, Any]:
    """What a journalled summary depends on besides the file, as resolved from the config, the model's contract
    and the caller's picks, and the endpoint that answers (`endpoint_key`: another server re-summarizes, even
    one serving the same model name). Delete the journal to redo everything after swapping the model behind a
    name on the same server."""
    config = built.config
    endpoint = getattr(built.summarizer, "base_url", None)
    settings = {
        "model": built.model, "tokenizer": config.model.name, "max_source_tokens": config.model.max_source_tokens,
        # "max_tokens": the journal's stored key (journals written before the rename still resume)
        "max_tokens": built.summarizer.max_summary_tokens, "fit": config.data.fit_strategy,
        "sections": list(built.sections) if built.sections else None, "instruction": instruction,
        "temperature": temperature, "max_chunks": max_chunks, "max_file_mb": config.data.max_file_mb,
        "guard": guard or config.summarize.guard,
    }
    if endpoint:  # a local model has none (its journal keys stay as they were)
        settings["endpoint"] = endpoint_key(endpoint)
    return settings


def endpoint_key(url: str) -> str:
    """An endpoint as the journal keys it: scheme and host (any case), port (the scheme's default when none) and
    path (no trailing slash); credentials left out, so a rotated password still resumes and none is hashed.

    >>> endpoint_key("HTTP://user:pw@LocalHost/v1/") == endpoint_key("http://localhost:80/v1")
    True
    """
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}{parts.path.rstrip('/')}"


@dataclass
class BatchOutcome:
    """What a batch call did: the results in input order (complete unless ``interrupted``), how many inputs
    came from the journal, and where the results went."""

    results: list[SummaryResult] = field(default_factory=list)
    resumed: int = 0
    interrupt: BaseException | None = None  # the KeyboardInterrupt (or subclass: SIGTERM) that stopped it
    kept: int = 0  # after an interrupt: inputs whose summaries the journal holds
    written: Path | None = None
    journal: Path | None = None
    unreplaced: list[str] = field(default_factory=list)  # good earlier summaries that kept OUT from being written

    @property
    def interrupted(self) -> bool:
        return self.interrupt is not None

    @property
    def errors(self) -> list[SummaryResult]:
        return [r for r in self.results if r.error]

    def interrupt_note(self, total: int, out: str | os.PathLike[str] | None) -> str:
        """After an interrupt: how many of ``total`` inputs finished, whether the journal keeps them, and how to
        go on."""
        if self.journal is not None and not self.kept:
            return (f"none of {total} input(s) had finished, so nothing was kept or written; rerun the same command "
                    f"to summarize them and write {out}")
        if self.journal is not None:
            return (f"{self.kept} of {total} input(s) summarized and kept in {self.journal}; rerun the same command "
                    f"to summarize the other {total - self.kept} and write {out}")
        return (f"{self.kept} of {total} input(s) summarized; nothing was written (give --out FILE to keep finished "
                "summaries across runs)")

    def unreplaced_note(self, out: str | os.PathLike[str] | None) -> str:
        """Why ``out`` was left as it was: the good summaries of earlier runs this run's errors would replace."""
        n, new = len(self.unreplaced), len(self.results) - len(self.errors)
        names = ", ".join(self.unreplaced[:3]) + (", ..." if n > 3 else "")
        kept = f"the {new} new summaries are kept in {self.journal}" if new else "no input got a new summary"
        return (f"{out} is unchanged: it holds good summaries of {n} input(s) that failed this time ({names}), "
                f"which writing this run's results would replace with errors; {kept}: fix the failures and rerun "
                "(finished inputs are not requested again), or give another --out to write these results")


def summarize_batch(
    summarizer: Any, files: Sequence[str], *, out: str | os.PathLike[str] | None, settings: dict[str, Any],
    instruction: str | None = None, fmt: str | None = None,
) -> BatchOutcome:
    """Summarize ``files`` with ``summarizer`` (a `Summarizer`), journalled beside ``out`` when given and
    written there at the end. ``settings`` is everything besides a file that shapes its summary (the journal
    key). An interrupt (Ctrl-C, SIGTERM) returns an outcome with ``interrupted`` set and nothing written; a
    failed final write raises FilingsumError saying the finished summaries are kept."""
    outcome = BatchOutcome()
    journal = ResultJournal(journal_path(out)) if out else None
    outcome.journal = journal.path if journal is not None else None
    keys = {f: input_key(f, settings) for f in files} if journal is not None else {}
    by_file: dict[str, list[SummaryResult]] = {}
    for f, key in keys.items():
        if key is not None and journal is not None and key in journal:
            by_file[f] = [SummaryResult.model_validate(r) for r in journal.get(key)]
    outcome.resumed = len(by_file)
    todo = [f for f in files if f not in by_file]
    stream = summarizer.summarize_files(todo, instruction=instruction)
    try:
        for f, found in stream:
            by_file[f] = found
            if journal is not None and keys.get(f) and not any(r.error for r in found):
                journal.put(keys[f], [r.model_dump() for r in found])  # failed inputs are retried on a rerun
    except KeyboardInterrupt as exc:
        summarizer.cancel()
        stream.close()  # its progress bar goes before the caller's message
        outcome.interrupt = exc
        outcome.results = [r for f in files for r in by_file.get(f, [])]
        if journal is not None:  # closed by the finally below, before the caller reports
            outcome.kept = sum(1 for f in files if keys.get(f) and keys[f] in journal)
        else:
            outcome.kept = sum(1 for f in files if f in by_file)
        return outcome
    finally:
        if journal is not None:
            journal.close()

    outcome.results = unique_ids([r for f in files for r in sorted(by_file.get(f, []), key=lambda r: r.id)])
    if out:
        outcome.unreplaced = replaced_good(outcome.results, out, fmt)
        if outcome.unreplaced:
            return outcome
        try:
            outcome.written = write_results(outcome.results, out, fmt)
        except OSError as exc:  # a full disk at the very end must not cost a single finished summary
            kept = f"the finished summaries are kept in {journal.path}" if journal is not None and len(journal) else ""
            raise FilingsumError(
                f"{out}: cannot write ({exc.strerror or exc}); {kept or 'nothing was kept'}: free some space "
                "and rerun the same command (finished inputs are not requested again)"
            ) from None
    return outcome
