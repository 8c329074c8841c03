"""`filingsum data build`: inputs -> sections -> dedup -> fit -> references -> filters -> split -> files.

Bad files never stop the run: each becomes a skipped file with its reason (in the card). Finished work is
never lost: per-file extraction results are journalled in ``OUT/.work/extract.jsonl`` (keyed by path, size,
mtime, sha256 and the extraction settings) and teacher answers cached in ``OUT/teacher_cache/``, so a rerun
after a kill resumes.

Outputs in OUT: records.jsonl, train/validation/test.jsonl, hf/ (a `datasets.DatasetDict`), card.md, card.json.
They change together or not at all: a build writes them all into a staging dir beside OUT
(``.OUT.build-PID``), hard-links in everything else of OUT (the journal, the teacher cache, any other file),
and swaps it with OUT in one step (`filingsum.core.io.replace_directory`), so a kill, a Ctrl-C or a full disk
leaves the previous dataset whole. Temporaries of dead builds are removed at the next start. Before any work
the output dir is checked (`preflight_output_dir`, exit 2), and a build whose inputs are all missing stops
(exit 2) without touching OUT; one that yields no record keeps an existing dataset (its card goes to
``OUT/.work/card.failed.md``).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from traceback import format_exc
from typing import Any

from filingsum.core.config import DataConfig, RunConfig
from filingsum.core.errors import FilingsumError, UsageError
from filingsum.core.io import (
    MIN_FREE_BYTES,
    JsonlAppender,
    atomic_write_json,
    atomic_write_jsonl,
    atomic_write_text,
    free_bytes,
    link_tree,
    preflight_output_dir,
    read_jsonl,
    recover_replaced_directory,
    remove_stale_temporaries,
    replace_directory,
    sha256_file,
)
from filingsum.core.schema import SPLITS, FilingRecord, FilingSection
from filingsum.core.text import content_hash
from filingsum.dataset import shards
from filingsum.dataset.card import build_card, render_card_markdown
from filingsum.dataset.filters import Drop, filter_records
from filingsum.dataset.parallel import TaskOutcome, default_workers, run_tasks
from filingsum.dataset.shards import Shard
from filingsum.dataset.split import split_records
from filingsum.filings.fit import fit_section
from filingsum.filings.prepare import extract_file

log = logging.getLogger(__name__)

JOURNAL_VERSION = 1  # bump when extraction output changes, so old journal rows are not reused
_WORKER_PRELOAD = ("filingsum.filings.sections",)  # imported once in the forkserver, not in every worker

# What a build writes into OUT, replaced as a whole; anything else in OUT is carried over untouched.
DATASET_OUTPUTS = ("records.jsonl", "train.jsonl", "validation.jsonl", "test.jsonl", "hf", "card.json", "card.md")


class InputsMissingError(UsageError):
    """Not one input of the build exists: nothing to build, and the existing dataset must not be replaced."""


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass
class BuildResult:
    out_dir: Path
    records: list[FilingRecord]
    drops: list[Drop] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    card: dict[str, Any] = field(default_factory=dict)
    files_extracted: int = 0  # files parsed in this run
    files_resumed: int = 0  # files whose extraction came from the journal
    teacher_requests: int = 0

    def summary_line(self) -> str:
        splits = ", ".join(f"{n} {sum(1 for r in self.records if r.split == n)}" for n in SPLITS)
        return (
            f"{len(self.records)} records ({splits}) in {self.out_dir}; {len(self.skipped)} file(s) skipped, "
            f"{len(self.drops)} record(s) dropped; {self.files_extracted} file(s) extracted, "
            f"{self.files_resumed} resumed; {self.teacher_requests} teacher request(s)"
        )


# --- ids and keys ----------------------------------------------------------------------------------------


def _slug(text: str | None, fallback: str = "x") -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")
    return slug[:40].strip("-") or fallback


def record_id(section: FilingSection, digest: str, part: int = 1, parts: int = 1) -> str:
    """company-form-period-section-hash8 (and -pNofM for chunks): readable, stable, unique per content."""
    pieces = [_slug(section.company, "unknown"), _slug(section.form), _slug(section.fiscal_period, "na"),
              section.section.replace("_", "-"), digest[:8]]
    rid = "-".join(pieces)
    return f"{rid}-p{part}of{parts}" if parts > 1 else rid


def source_unique_id(rid: str, source_path: str) -> str:
    """``rid`` made unique to one input: the same content from x.html and x.txt has one record id, so the
    second gets its source's hash as a suffix (``-sHASH6``)."""
    return f"{rid}-s{hashlib.sha256(source_path.encode('utf-8')).hexdigest()[:6]}"


def journal_key(path: Path, settings: dict[str, Any]) -> str:
    """Identity of one extraction: the file (path, size, mtime, sha256) and the settings that shape it."""
    stat = path.stat()
    identity = {
        "path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256_file(path),
        "settings": settings, "version": JOURNAL_VERSION,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


# --- extraction ------------------------------------------------------------------------------------------


def _discover(specs: Sequence[str], out: Path) -> tuple[list[Path], list[SkippedFile]]:
    """The input files of ``specs``, never those of the output dir ``out`` (a build does not read its own
    records); a spec that yields nothing (missing, not a file, an empty dir) is a skipped input."""
    from filingsum.filings.ingest import IngestError, discover_inputs

    files: dict[Path, None] = {}
    skipped: list[SkippedFile] = []
    real_out = Path(os.path.realpath(out))
    own = tuple(real_out / name for name in (*DATASET_OUTPUTS, "teacher_cache", "shard"))
    for spec in specs:
        try:
            # an input dir holding the output dir: all of OUT is left out; OUT itself (or a glob or file in it):
            # what the build writes there
            path = Path(spec).expanduser()
            contains = path.is_dir() and Path(os.path.realpath(path)) != real_out
            found = discover_inputs([spec], exclude=(real_out,) if contains else own)
        except IngestError as exc:
            skipped.append(SkippedFile(spec, exc.reason))
            continue
        if not found:
            skipped.append(SkippedFile(spec, "holds no input files (or only the output dir's)"))
        files.update(dict.fromkeys(found))
    return list(files), skipped


def _progress(iterable: Any = None, **kwargs: Any) -> Any:
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)


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


def _extract_task(
    extractor: Callable[[Path, Sequence[str], int], list[FilingSection]], path: str, wanted: list[str], max_bytes: int
) -> dict[str, Any]:
    """One file as a journal row (runs in a worker); a row with ``traceback`` is an unexpected error."""
    from filingsum.filings.ingest import IngestError

    try:
        found = extractor(Path(path), wanted, max_bytes)
        return {"sections": [s.model_dump() for s in found], "skip": None}
    except IngestError as exc:
        return {"sections": [], "skip": exc.reason}
    except Exception as exc:  # noqa: BLE001 (a parser bug on one file must not end the run; not journalled, so retried)
        return {"sections": [], "skip": f"unexpected {type(exc).__name__}: {exc}", "traceback": format_exc()}


def extract_all(
    files: Sequence[Path], wanted: Sequence[str], max_bytes: int, journal_path: Path, *,
    progress: bool = True, workers: int = 0,
) -> Extraction:
    """Sections of every file, or why it was skipped, reusing and extending the journal.

    ``workers`` >= 1 parses files in that many processes (`parallel.run_tasks`): one filing per worker at a
    time, rows journalled by the parent as they finish, results kept in input order so the output is the same
    for any worker count; a worker that dies on a file makes that file a skip. ``workers=0`` parses in this
    process (no crash isolation). ``extract_file`` is looked up when called, so it can be swapped for tests;
    with workers it must be a module-level (picklable) function.
    """
    settings = {"sections": list(wanted), "max_bytes": max_bytes}
    done: dict[str, dict[str, Any]] = {}
    if journal_path.exists():
        for row in read_jsonl(journal_path):
            done[row["key"]] = row
    results: list[FileExtraction | None] = [None] * len(files)
    keys: list[str | None] = [None] * len(files)
    sizes = [0] * len(files)
    todo: list[int] = []
    for i, path in enumerate(files):
        try:
            sizes[i] = path.stat().st_size
            keys[i] = None if sizes[i] > max_bytes else journal_key(path, settings)
        except OSError as exc:
            results[i] = FileExtraction(path, [], f"cannot read file: {exc.strerror or exc}")
            continue
        row = done.get(keys[i]) if keys[i] is not None else None
        if row is not None:
            results[i] = FileExtraction(path, row["sections"], row["skip"], resumed=True)
        else:
            todo.append(i)
    # largest files first: the long parses start early instead of ending a parallel run on one busy worker
    todo.sort(key=lambda i: -sizes[i])
    extraction = Extraction(files=[], resumed=sum(1 for r in results if r is not None and r.resumed))
    bar = _progress(total=len(files), initial=len(files) - len(todo), desc="extract", unit="file",
                    disable=not progress)
    extractor = extract_file  # read at call time: tests swap in a crashing extractor
    with JsonlAppender(journal_path) as journal:

        def keep(i: int, row: dict[str, Any]) -> None:
            path = files[i]
            if "traceback" in row:
                log.warning("%s: skipped after an unexpected error\n%s", path, row["traceback"])
            elif keys[i] is not None:
                journal.append({"key": keys[i], "path": str(path), "sections": row["sections"], "skip": row["skip"]})
            results[i] = FileExtraction(path, row["sections"], row["skip"])
            extraction.extracted += 1
            bar.update(1)

        def collect(n: int, outcome: TaskOutcome) -> None:
            i = todo[n]
            if outcome.pid:
                extraction.peak_rss[outcome.pid] = max(outcome.peak_rss, extraction.peak_rss.get(outcome.pid, 0))
                extraction.cpu_s[outcome.pid] = extraction.cpu_s.get(outcome.pid, 0.0) + outcome.cpu_s
            if outcome.error is not None:  # the worker process died, or the row could not come back
                keep(i, {"sections": [], "skip": f"extraction failed: {outcome.error}", "traceback": ""})
            else:
                keep(i, outcome.value)

        tasks = [(extractor, str(files[i]), list(wanted), max_bytes) for i in todo]
        try:
            if workers <= 0 or not tasks:
                for n, task in enumerate(tasks):
                    keep(todo[n], _extract_task(*task))
            else:
                extraction.workers = min(workers, len(tasks))
                log.info("extracting %d file(s) in %d worker process(es)", len(tasks), extraction.workers)
                run_tasks(_extract_task, tasks, extraction.workers, collect, preload=_WORKER_PRELOAD)
        finally:
            bar.close()
    extraction.files = [r for r in results if r is not None]
    for f in extraction.files:
        if f.skip:
            log.warning("skipped %s: %s", f.path, f.skip)
    return extraction


def _max_bytes(data: DataConfig) -> int:
    return int(data.max_file_mb * 1024 * 1024)


def sharded_extraction(
    specs: list[str], data: DataConfig, out: Path, *, shard: Shard | None, progress: bool
) -> tuple[list[Path], list[SkippedFile], Extraction]:
    """Discover the inputs, keep ``shard``'s files (all when None) and extract them; with a shard, also write
    its manifest. Returns (files, skipped inputs, extraction)."""
    files, skipped = _discover(specs, out)
    log.info("%d input file(s) from %d spec(s)", len(files), len(specs))
    positions = list(range(len(files))) if shard is None else shards.select(files, specs, shard)
    if shard is not None:
        log.info("shard %s: %d of the %d input file(s)", shard, len(positions), len(files))
    mine = [files[i] for i in positions]
    extraction = extract_all(
        mine, data.sections, _max_bytes(data), out / ".work" / "extract.jsonl", progress=progress,
        workers=default_workers() if data.workers is None else data.workers,
    )
    if shard is not None:
        shards.write_manifest(
            out, shard, specs=specs, settings={"sections": list(data.sections), "max_bytes": _max_bytes(data)},
            files_total=len(files), skipped_inputs=[s.to_dict() for s in skipped],
            rows=[{"position": i, "path": str(f.path), "sections": f.sections, "skip": f.skip}
                  for i, f in zip(positions, extraction.files)],
            extracted=extraction.extracted, resumed=extraction.resumed,
        )
    return mine, skipped, extraction


def merged_extraction(
    folders: list[Path], data: DataConfig, out: Path
) -> tuple[list[Path], list[SkippedFile], Extraction]:
    """The extraction of shard dirs 1..N put back in input order (no parsing); their teacher caches are copied
    into ``out``. FilingsumError when the shards do not make one whole or used other extraction settings."""
    merged = shards.read_shards(folders)
    settings = {"sections": list(data.sections), "max_bytes": _max_bytes(data)}
    if merged.settings != settings:
        raise FilingsumError(
            f"the shards were extracted with {merged.settings}, this config asks for {settings}: "
            "merge with the config the shards were built with"
        )
    copied = shards.copy_teacher_caches(folders, out / "teacher_cache")
    log.info("merging %d shard(s): %d input file(s), %d cached teacher answer(s) copied",
             len(folders), len(merged.rows), copied)
    extraction = Extraction(
        files=[FileExtraction(Path(r["path"]), r["sections"], r["skip"]) for r in merged.rows],
        extracted=merged.extracted, resumed=merged.resumed,
    )
    skipped = [SkippedFile(s["path"], s["reason"]) for s in merged.skipped_inputs]
    return [f.path for f in extraction.files], skipped, extraction


def card_config(config: RunConfig) -> dict[str, Any]:
    """The config as the card records it: without data.workers, which changes how fast, never what is built, and
    with the credentials of a teacher URL masked (core.redact)."""
    from filingsum.core.redact import redact_url

    data = config.model_dump(mode="json", exclude={"data": {"workers"}})
    teacher = (data.get("data") or {}).get("teacher")
    if isinstance(teacher, dict) and isinstance(teacher.get("base_url"), str):
        teacher["base_url"] = redact_url(teacher["base_url"])
    return data


# --- dedup and fitting -----------------------------------------------------------------------------------


def deduplicate(
    sections: Sequence[FilingSection], threshold: float
) -> tuple[list[tuple[FilingSection, str]], list[Drop]]:
    """Drop exact (content hash) and near duplicates (`dedup.find_duplicates`); keeps the first seen."""
    from filingsum.dataset.dedup import find_duplicates

    kept: list[tuple[FilingSection, str]] = []
    drops: list[Drop] = []
    first_by_hash: dict[str, tuple[str, str]] = {}
    for section in sections:
        digest = content_hash(section.text)
        rid = record_id(section, digest)
        if digest in first_by_hash:
            kept_id, kept_path = first_by_hash[digest]
            drops.append(Drop(source_unique_id(rid, section.source_path), section.source_path, "dedup",
                              f"exact duplicate of {kept_id} ({kept_path})"))
            continue
        first_by_hash[digest] = (rid, section.source_path)
        kept.append((section, digest))
    near = find_duplicates([s.text for s, _ in kept], threshold) if len(kept) > 1 else {}
    for dup_index, kept_index in sorted(near.items()):
        section, digest = kept[dup_index]
        other, other_digest = kept[kept_index]
        drops.append(
            Drop(record_id(section, digest), section.source_path, "dedup",
                 f"near duplicate (similarity >= {threshold}) of {record_id(other, other_digest)}")
        )
    return [pair for i, pair in enumerate(kept) if i not in near], drops


def fit_records(
    sections: Sequence[tuple[FilingSection, str]],
    count_tokens: Callable[[str], int],
    budget: int,
    strategy: str,
    default_instruction: str,
    extra: int = 0,
    half_budget: bool = False,
) -> tuple[list[FilingRecord], set[str], list[Drop]]:
    """Records with fitted text; also the ids that are chunks of a section, and sections that fit to nothing.

    ``extra``: that many more consecutive chunks per long section (`extra_windows`), as records of their own.
    ``half_budget``: with fit_strategy aspects, also the section fitted to half the budget (`half_budget_window`,
    id suffix ``-half``), when the full fit is longer than that.
    """
    from filingsum.filings.fit import extra_windows, fit_aspects

    records: list[FilingRecord] = []
    partial: set[str] = set()
    drops: list[Drop] = []
    seen_ids: set[str] = set()
    for section, digest in sections:
        fitted = fit_section(section.text, count_tokens, budget, strategy)  # type: ignore[arg-type]
        if not fitted or not any(f.text.strip() for f in fitted):
            drops.append(Drop(record_id(section, digest), section.source_path, "fit", "nothing left after fitting"))
            continue
        extras = extra_windows(section.text, count_tokens, budget, extra, exclude=fitted[0].text) \
            if strategy != "chunk" else []
        halves = [fit_aspects(section.text, count_tokens, budget // 2)] \
            if half_budget and strategy == "aspects" and fitted[0].token_count > budget // 2 else []
        for piece in [*fitted, *extras, *halves]:
            rid = record_id(section, digest, piece.part, piece.parts) \
                + ("-half" if any(piece is h for h in halves) else "")
            if rid in seen_ids:  # same content hash prefix from another input: ids stay unique
                rid = source_unique_id(rid, section.source_path)
            seen_ids.add(rid)
            warnings = list(section.warnings)
            if piece.parts > 1:
                partial.add(rid)
                how = "fit_strategy=chunk" if strategy == "chunk" else "extra_windows"
                warnings.append(f"chunk {piece.part} of {piece.parts} of the section ({how})")
            elif piece.kept_ratio < 1.0:
                warnings.append(f"context fitting ({strategy}) kept {piece.kept_ratio:.0%} of the section")
            records.append(
                FilingRecord(
                    id=rid, company=section.company, form=section.form, fiscal_period=section.fiscal_period,
                    source_path=section.source_path, content_hash=digest, section=section.section,
                    instruction=section.instruction or default_instruction, text=piece.text,
                    char_count=len(section.text), token_count=piece.token_count, kept_ratio=piece.kept_ratio,
                    warnings=warnings,
                )
            )
    return records, partial, drops


# --- output ----------------------------------------------------------------------------------------------


def hf_features() -> Any:
    from datasets import Features, List, Value

    return Features({
        "id": Value("string"), "company": Value("string"), "form": Value("string"),
        "fiscal_period": Value("string"), "source_path": Value("string"), "content_hash": Value("string"),
        "section": Value("string"), "instruction": Value("string"), "text": Value("string"),
        "char_count": Value("int64"), "token_count": Value("int64"), "kept_ratio": Value("float64"),
        "warnings": List(Value("string")), "reference": Value("string"), "reference_origin": Value("string"),
        "split": Value("string"),
    })


def write_hf(records: Sequence[FilingRecord], target: Path) -> None:
    """Save a DatasetDict (train/validation/test, empty splits allowed) at ``target`` (inside the staging dir)."""
    from datasets import Dataset, DatasetDict

    features = hf_features()
    dd = DatasetDict({
        name: Dataset.from_list([r.model_dump() for r in records if r.split == name], features=features)
        if any(r.split == name for r in records)
        else Dataset.from_dict({k: [] for k in features}, features=features)
        for name in SPLITS
    })
    dd.save_to_disk(str(target))


def _write_files(out: Path, records: Sequence[FilingRecord], card: dict[str, Any], title: str) -> None:
    rows = [r.model_dump() for r in records]
    for name in SPLITS:
        atomic_write_jsonl(out / f"{name}.jsonl", [row for row in rows if row["split"] == name])
    write_hf(records, out / "hf")
    atomic_write_json(out / "card.json", card)
    atomic_write_text(out / "card.md", render_card_markdown(card, title))
    atomic_write_jsonl(out / "records.jsonl", rows)


def write_outputs(out: Path, records: Sequence[FilingRecord], card: dict[str, Any], title: str) -> None:
    """Write every dataset file and put them in OUT in one step (module docstring); OUT's other entries
    (journal, teacher cache, anything else) are kept. Where OUT cannot be swapped (a mount point, another
    file system beside it) the files are replaced one by one, records.jsonl last."""
    out = Path(os.path.realpath(out))
    staging = out.parent / f".{out.name}.build-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        if os.path.ismount(out):
            raise OSError(errno.EBUSY, "a mount point", str(out))
        staging.mkdir()
    except OSError as exc:  # a mount point, or a parent that takes no new entry: no swap possible
        log.warning("%s cannot be swapped as a whole (%s); replacing its files one by one", out, exc.strerror)
        _write_files(out, records, card, title)
        return
    try:
        _write_files(staging, records, card, title)
        for entry in out.iterdir() if out.is_dir() else ():
            if entry.name not in DATASET_OUTPUTS and not entry.name.startswith(".probe."):
                link_tree(entry, staging / entry.name)
        try:
            replace_directory(staging, out)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EBUSY, errno.EPERM, errno.EACCES):
                raise
            log.warning("%s cannot be swapped as a whole (%s); replacing its files one by one", out, exc.strerror)
            _write_files(out, records, card, title)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _has_records(out: Path) -> bool:
    try:
        with open(out / "records.jsonl", "rb") as fh:
            return bool(fh.read(1))
    except OSError:
        return False


def _dataset_bytes(out: Path) -> int:
    total = 0
    for name in DATASET_OUTPUTS:
        path = out / name
        files = path.rglob("*") if path.is_dir() else [path]
        total += sum(f.stat().st_size for f in files if f.is_file())
    return total


def prepare_output_dir(out: Path) -> None:
    """Pre-flight for OUT (exit 2 in one line when it cannot take the dataset) and clean-up after killed
    builds: a dataset left half-swapped is restored, stale temporaries beside and inside OUT removed."""
    recover_replaced_directory(out)
    preflight_output_dir(out, what="dataset directory (--out / data.out_dir)")
    real = Path(os.path.realpath(out))
    remove_stale_temporaries(real.parent, prefix=f".{real.name}.")  # only our own names beside OUT
    for directory in (real, real / "hf", real / ".work"):
        remove_stale_temporaries(directory)
    # A rebuild needs room for a second copy of the dataset while the first is still in place.
    needed = max(MIN_FREE_BYTES, 2 * _dataset_bytes(real))
    free = free_bytes(real)
    if free is not None and free < needed:
        preflight_output_dir(out, what="dataset directory (--out / data.out_dir)", min_free_bytes=needed)


# --- the pipeline ----------------------------------------------------------------------------------------


def build_dataset(
    config: RunConfig, inputs: list[str] | None = None, out_dir: str | None = None, *, progress: bool = True,
    shard: Shard | None = None, shards_from: Sequence[str | Path] | None = None,
) -> BuildResult:
    """Build the dataset a config describes; ``inputs`` / ``out_dir`` override data.inputs / data.out_dir.

    ``shard`` builds only that shard's files (and writes its manifest, `shards`); ``shards_from`` builds from
    the manifests of shard dirs 1..N instead of parsing inputs (`filingsum data merge`). With data.workers
    other than 0, a script that calls this must guard its entry point with a main-module check
    (worker processes import the main module).
    """
    from filingsum.core.models import load_tokenizer
    from filingsum.core.tokens import token_counter
    from filingsum.dataset.references import attach_references
    from filingsum.filings.gold import load_gold

    data = config.data
    specs = list(inputs or data.inputs)
    out = Path(out_dir or data.out_dir)
    warnings: list[str] = []
    if not specs and not shards_from:
        raise UsageError("no inputs: give data.inputs in the config or --input PATH")
    prepare_output_dir(out)
    if not shards_from:  # a shard merge reads shard manifests, not inputs
        found, missing_specs = _discover(specs, out)
        if not found:
            missing = "; ".join(f"{s.path}: {s.reason}" for s in missing_specs)
            raise InputsMissingError(f"no input found ({missing}); nothing was built and {out} is unchanged")
        for skip in missing_specs:
            log.warning("input %s: %s (skipped)", skip.path, skip.reason)

    teacher = None
    if "teacher" in data.references:
        if data.teacher is None:
            warnings.append("references lists 'teacher' but data.teacher is not configured; teacher skipped")
        else:
            from filingsum.dataset.teacher import Teacher

            cap = config.summary_tokens(data.teacher.max_tokens)
            teacher = Teacher(data.teacher, out / "teacher_cache", max_tokens=cap)  # fails fast on a missing key

    count_tokens = token_counter(load_tokenizer(config.model.name))
    if shards_from:
        files, skipped, extraction = merged_extraction([Path(d) for d in shards_from], data, out)
    else:
        files, skipped, extraction = sharded_extraction(specs, data, out, shard=shard, progress=progress)
    sections, extracted, resumed = extraction.sections(), extraction.extracted, extraction.resumed
    skipped += extraction.skipped()

    unique, drops = deduplicate(sections, data.dedup_threshold)
    records, partial, fit_drops = fit_records(
        unique, count_tokens, config.model.max_source_tokens, data.fit_strategy, data.instruction,
        extra=data.extra_windows, half_budget=data.half_budget_window,
    )
    drops += fit_drops

    gold, gold_warnings = (load_gold(data.gold) if "gold" in data.references else (None, []))
    warnings += gold_warnings
    if data.fit_strategy == "chunk" and "gold" in data.references:
        warnings.append("fit_strategy=chunk: only gold written for a chunk's exact text is attached to it")
    label_tokens = config.summary_tokens(data.filters.max_label_tokens)
    bar = _progress(total=len(records), desc="teacher", unit="req", disable=not progress or teacher is None)
    try:
        records, outcomes = attach_references(
            records, data.references, gold=gold, teacher=teacher, count_tokens=count_tokens,
            max_label_tokens=label_tokens, partial_ids=partial, on_teacher_done=bar.update,
        )
    finally:
        bar.close()
        if teacher is not None:
            teacher.close()

    records, filter_drops = filter_records(
        records, count_tokens=count_tokens, config=data.filters, max_label_tokens=label_tokens,
        finish_reasons={rid: o.finish_reason for rid, o in outcomes.items()},
        reference_errors={rid: o.errors for rid, o in outcomes.items()},
    )
    drops += filter_drops
    records, split_warnings = split_records(records, data.split)
    warnings += split_warnings

    label_cache = {r.id: count_tokens(r.reference or "") for r in records}
    card = build_card(
        records=records, label_tokens=lambda r: label_cache[r.id], drops=[d.to_dict() for d in drops],
        skipped=[s.to_dict() for s in skipped], warnings=warnings,
        config=card_config(config), inputs=[str(f) for f in files],
        extra={
            "model": config.model.name, "max_source_tokens": config.model.max_source_tokens,
            "fit_strategy": data.fit_strategy, "references_priority": list(data.references),
            "files_extracted": extracted, "files_resumed": resumed,
            "teacher_requests": teacher.requests_sent if teacher is not None else 0,
        },
    )
    title = f"filingsum dataset: {config.run_name}"
    if not records and _has_records(out):
        failed = out / ".work" / "card.failed.md"
        atomic_write_text(failed, render_card_markdown(card, title))
        raise FilingsumError(
            f"the build produced no records ({len(skipped)} file(s) skipped, {len(drops)} record(s) dropped; "
            f"reasons in {failed}); the existing dataset in {out} was kept"
        )
    write_outputs(out, records, card, title)
    result = BuildResult(
        out_dir=out, records=records, drops=drops, skipped=skipped, warnings=warnings, card=card,
        files_extracted=extracted, files_resumed=resumed,
        teacher_requests=teacher.requests_sent if teacher is not None else 0,
    )
    log.info("%s", result.summary_line())
    return result
