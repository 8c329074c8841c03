"""`filingsum data build`: inputs -> sections -> dedup -> fit -> references -> filters -> split -> files.

`build_dataset` runs these phases in order; each lives in its own module: the inputs and their extraction
(`inputs`, `extraction`, `journal`, `shards`), dedup and fitting (`records`), references (`references`),
filters (`filters`), the split (`split`), the card (`card`) and the output directory (`output_dir`).

Bad files never stop the run: each becomes a skipped file with its reason (in the card). Finished work is
never lost: per-file extraction results are journalled in ``OUT/.work/extract.jsonl`` (keyed by path, size,
mtime, sha256 and the extraction settings) and teacher answers cached in ``OUT/teacher_cache/``, so a rerun
after a kill resumes.

Outputs in OUT: records.jsonl, train/validation/test.jsonl, hf/ (a `datasets.DatasetDict`), card.md, card.json.
They change together or not at all: they are written into a staging dir and swapped in as a whole
(`output_dir.replace_outputs`), so a kill, a Ctrl-C or a full disk leaves the previous dataset whole. Before
any work the output dir is checked (`output_dir.prepare_output_dir`, exit 2), and a build whose inputs are all
missing stops (exit 2) without touching OUT; one that yields no record writes no dataset and keeps an existing
one (its card goes to ``OUT/.work/card.failed.md``; exit 1).

``extract_file`` (the parser of one file) and the writers (``write_hf``, ``atomic_write_jsonl``) are looked up
in this module when a build runs, so tests can swap them here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filingsum.core.config import RunConfig
from filingsum.core.errors import FilingsumError, UsageError
from filingsum.core.io import atomic_write_json, atomic_write_jsonl, atomic_write_text
from filingsum.core.schema import SPLITS, FilingRecord
from filingsum.dataset.card import build_card, card_config, render_card_markdown
from filingsum.dataset.extraction import SkippedFile
from filingsum.dataset.filters import Drop, filter_records
from filingsum.dataset.hf_export import write_hf
from filingsum.dataset.inputs import merged_extraction, require_some_input, sharded_extraction
from filingsum.dataset.output_dir import build_owned, has_records, prepare_output_dir, replace_outputs
from filingsum.dataset.records import deduplicate, fit_records
from filingsum.dataset.shards import Shard, read_shards, refuse_a_shard_as_out, refuse_another_shard
from filingsum.dataset.split import split_records
from filingsum.filings.prepare import extract_file

if TYPE_CHECKING:
    from filingsum.dataset.references import ReferenceOutcome
    from filingsum.dataset.teacher import Teacher

log = logging.getLogger(__name__)


class NoRecordsError(FilingsumError):
    """A build that produced no record (exit 1): no dataset was written; ``result`` holds what it did find."""

    def __init__(self, message: str, result: BuildResult):
        super().__init__(message)
        self.result = result


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

    data = config.data
    specs = list(inputs or data.inputs)
    out = Path(out_dir or data.out_dir)
    specs = _preflight(config, specs, out, shards_from, shard)
    warnings: list[str] = []
    teacher = _open_teacher(config, out, warnings)
    count_tokens = token_counter(load_tokenizer(config.model.name))

    if shards_from:
        files, skipped, extraction = merged_extraction([Path(d) for d in shards_from], data, out)
    else:  # extract_file is read here, at call time: tests swap in a crashing or a slow one
        files, skipped, extraction = sharded_extraction(
            specs, data, out, shard=shard, progress=progress, extractor=extract_file)
    skipped += extraction.skipped()
    unique, drops = deduplicate(extraction.sections(), data.dedup_threshold)
    records, partial_ids, fit_drops = fit_records(
        unique, count_tokens, config.model.max_source_tokens, data.fit_strategy, data.instruction,
        extra=data.extra_windows, half_budget=data.half_budget_window,
    )
    drops += fit_drops
    max_summary_tokens = config.max_summary_tokens(data.filters.max_summary_tokens)
    records, outcomes = _attach_references(
        config, records, partial_ids, teacher, count_tokens, max_summary_tokens, warnings, progress=progress,
        own_outputs=build_owned(out))
    records, filter_drops = _filter(config, records, outcomes, count_tokens, max_summary_tokens)
    drops += filter_drops
    records, split_warnings = split_records(records, data.split)
    warnings += split_warnings

    result = BuildResult(
        out_dir=out, records=records, drops=drops, skipped=skipped, warnings=warnings,
        files_extracted=extraction.extracted, files_resumed=extraction.resumed,
        teacher_requests=teacher.requests_sent if teacher is not None else 0,
    )
    result.card = _card(_as_run(config, specs, out), result, files, count_tokens)
    merge_note = f"; shard {shard}'s manifest was written, so `data merge` can still use it" if shard else ""
    _write_dataset(result, title=f"filingsum dataset: {config.run_name}", no_records_note=merge_note)
    log.info("%s", result.summary_line())
    return result


def _preflight(
    config: RunConfig, specs: list[str], out: Path, shards_from: Sequence[str | Path] | None, shard: Shard | None,
) -> list[str]:
    """UsageError (exit 2) before any work for no inputs, a shard set that is not one whole or that holds the
    output dir, an output dir that holds another shard, a missing gold path or an output dir that is not ours;
    then the output dir is made ready. Returns the input specs the build reads: ``specs``, or for a merge the
    ones the shards were built from."""
    if not specs and not shards_from:
        raise UsageError("no inputs: give data.inputs in the config or --input PATH")
    if shards_from:  # the shards make one whole before anything is written (UsageError, exit 2)
        refuse_a_shard_as_out(out, [Path(d) for d in shards_from])
        specs = list(read_shards([Path(d) for d in shards_from]).inputs)
    refuse_another_shard(out, shard)  # shard 2/2 into shard 1/2's --out replaced it
    _require_gold_paths(config, out)
    if not shards_from:  # a shard merge reads shard manifests, not inputs; none found: OUT is not even made
        require_some_input(specs, out)
    prepare_output_dir(out)
    return specs


def _as_run(config: RunConfig, specs: list[str], out: Path) -> RunConfig:
    """The config as this build ran it, for its card: data.inputs and data.out_dir as --input / --out (or a
    merge's shards) set them, not as the YAML has them."""
    data = config.data.model_copy(update={"inputs": list(specs), "out_dir": str(out)})
    return config.model_copy(update={"data": data})


def _require_gold_paths(config: RunConfig, out: Path) -> None:
    """UsageError (exit 2, before any work) for a data.gold path the config names that does not exist: a
    mistyped path would silently turn every gold reference into the next source. The default (data/gold,
    relative to the working directory) may be absent: `load_gold` warns then."""
    from filingsum.filings.gold import missing_gold_paths

    data = config.data
    if "gold" not in data.references or "gold" not in data.model_fields_set:
        return
    if missing := missing_gold_paths(data.gold):
        raise UsageError(
            f"data.gold: {', '.join(missing)}: no such file or directory; fix the path (gold JSONL files or "
            f"dirs), or take 'gold' out of data.references; nothing was built and {out} is unchanged"
        )


def _open_teacher(config: RunConfig, out: Path, warnings: list[str]) -> Teacher | None:
    """The teacher when data.references lists it (fails fast on a missing key); None, with a warning when
    data.teacher is not configured."""
    data = config.data
    if "teacher" not in data.references:
        return None
    if data.teacher is None:
        warnings.append("references lists 'teacher' but data.teacher is not configured; teacher skipped")
        return None
    from filingsum.dataset.teacher import Teacher

    cap = config.max_summary_tokens(data.teacher.max_summary_tokens)
    return Teacher(data.teacher, out / "teacher_cache", max_summary_tokens=cap)  # fails fast on a missing key


def _attach_references(
    config: RunConfig, records: list[FilingRecord], partial_ids: set[str], teacher: Teacher | None,
    count_tokens: Callable[[str], int], max_summary_tokens: int, warnings: list[str], *, progress: bool,
    own_outputs: Sequence[Path] = (),
) -> tuple[list[FilingRecord], dict[str, ReferenceOutcome]]:
    """The references phase (`references.attach_references`): gold loaded (its warnings added to
    ``warnings``; never from ``own_outputs``, the build's own files in OUT, which a data.gold dir may hold),
    teacher requests counted on a progress bar; the teacher is closed after it. A teacher that refuses the
    credentials (`TeacherRefused`, exit 2) stops the build before any dataset is written; its answers so far
    stay cached (and the extraction journalled), so a rerun resumes."""
    from tqdm.auto import tqdm

    from filingsum.dataset.references import attach_references
    from filingsum.dataset.teacher import TeacherRefused
    from filingsum.filings.gold import load_gold

    data = config.data
    gold, gold_warnings = (load_gold(data.gold, own_outputs) if "gold" in data.references else (None, []))
    warnings += gold_warnings
    if data.fit_strategy == "chunk" and "gold" in data.references:
        warnings.append("fit_strategy=chunk: only gold written for a chunk's exact text is attached to it")
    bar = tqdm(total=len(records), desc="teacher", unit="req", disable=not progress or teacher is None)
    try:
        return attach_references(
            records, data.references, gold=gold, teacher=teacher, count_tokens=count_tokens,
            max_summary_tokens=max_summary_tokens, partial_ids=partial_ids, on_teacher_done=bar.update,
        )
    except TeacherRefused as exc:  # not a passing error: falling back would mix extractive references in
        saved, cache = (teacher.answers_saved, teacher.cache_dir) if teacher is not None else (0, "the cache")
        raise TeacherRefused(f"{exc}; no dataset was written, and the {saved} answer(s) received this run are kept "
                             f"in {cache}: rerun the same command to resume", exc.status) from None
    finally:
        bar.close()
        if teacher is not None:
            teacher.close()


def _filter(
    config: RunConfig, records: list[FilingRecord], outcomes: dict[str, ReferenceOutcome],
    count_tokens: Callable[[str], int], max_summary_tokens: int,
) -> tuple[list[FilingRecord], list[Drop]]:
    """The filters phase (`filters.filter_records`), told how each record's reference ended and failed."""
    return filter_records(
        records, count_tokens=count_tokens, config=config.data.filters, max_summary_tokens=max_summary_tokens,
        finish_reasons={rid: o.finish_reason for rid, o in outcomes.items()},
        reference_errors={rid: o.errors for rid, o in outcomes.items()},
    )


def _card(
    config: RunConfig, result: BuildResult, files: list[Path], count_tokens: Callable[[str], int]
) -> dict[str, Any]:
    """The dataset card (`card.build_card`) of a build's result, with the settings and counts of its run."""
    data = config.data
    label_cache = {r.id: count_tokens(r.reference or "") for r in result.records}
    return build_card(
        records=result.records, label_tokens=lambda r: label_cache[r.id], drops=[d.to_dict() for d in result.drops],
        skipped=[s.to_dict() for s in result.skipped], warnings=result.warnings,
        config=card_config(config), inputs=[str(f) for f in files],
        extra={
            "model": config.model.name, "max_source_tokens": config.model.max_source_tokens,
            "fit_strategy": data.fit_strategy, "references_priority": list(data.references),
            "files_extracted": result.files_extracted, "files_resumed": result.files_resumed,
            "teacher_requests": result.teacher_requests,
        },
    )


def _write_dataset(result: BuildResult, title: str, no_records_note: str = "") -> None:
    """Put the dataset in OUT as a whole. A build without records writes no dataset (an existing one is kept):
    its card goes to ``OUT/.work/card.failed.md`` and a NoRecordsError says why."""
    out, records, card = result.out_dir, result.records, result.card
    if not records:
        failed = out / ".work" / "card.failed.md"
        atomic_write_text(failed, render_card_markdown(card, title))
        kept = (f"the existing dataset in {out} was kept" if has_records(out)
                else f"no dataset was written to {out}")
        raise NoRecordsError(
            f"the build produced no records ({len(result.skipped)} file(s) skipped, {len(result.drops)} record(s) "
            f"dropped; reasons in {failed}); {kept}{no_records_note}", result,
        )
    replace_outputs(out, lambda folder: write_dataset_files(folder, records, card, title))


def write_dataset_files(folder: Path, records: Sequence[FilingRecord], card: dict[str, Any], title: str) -> None:
    """Every dataset output in ``folder``: the splits, hf/, the card (JSON and Markdown), records.jsonl last."""
    rows = [r.model_dump() for r in records]
    for name in SPLITS:
        atomic_write_jsonl(folder / f"{name}.jsonl", [row for row in rows if row["split"] == name])
    write_hf(records, folder / "hf")
    atomic_write_json(folder / "card.json", card)
    atomic_write_text(folder / "card.md", render_card_markdown(card, title))
    atomic_write_jsonl(folder / "records.jsonl", rows)
