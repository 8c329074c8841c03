"""A build's inputs as extracted sections: the input files of its specs (never its own outputs), all of them or
one shard's, extracted (`extraction.extract_all`, a shard also writing its manifest); or, for a shard merge,
the extractions the shards already made, put back in input order."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from filingsum.core.config import DataConfig
from filingsum.core.errors import UsageError
from filingsum.core.parallel import default_workers
from filingsum.dataset import shards
from filingsum.dataset.extraction import Extraction, Extractor, FileExtraction, SkippedFile, extract_all
from filingsum.dataset.output_dir import DATASET_OUTPUTS
from filingsum.dataset.shards import Shard

log = logging.getLogger("filingsum.dataset.build")  # the build's logger, whichever of its modules logs


class InputsMissingError(UsageError):
    """Not one input of the build exists: nothing to build, and the existing dataset must not be replaced."""


def discover_build_inputs(specs: Sequence[str], out: Path) -> tuple[list[Path], list[SkippedFile]]:
    """The input files of ``specs``, never those of the output dir ``out`` (a build does not read its own
    records); a spec that yields nothing (missing, not a file, an empty dir) is a skipped input."""
    from filingsum.filings.ingest import IngestError, discover_inputs
    from filingsum.filings.ingest.discover import INPUT_SUFFIXES, other_files

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
            others: Counter[str] = Counter()
            found = discover_inputs([spec], exclude=(real_out,) if contains else own, left_out=others)
        except IngestError as exc:
            skipped.append(SkippedFile(spec, exc.reason))
            continue
        found, datasets = _outside_datasets(found, path)
        skipped += [SkippedFile(str(d), f"holds an earlier filingsum dataset (card.json): its {n} file(s) are left "
                                        "out") for d, n in datasets.items()]
        holds = f"; it holds {other_files(others)}" if others else ""
        if not found:
            skipped.append(SkippedFile(spec, f"holds no input files (or only the output dir's){holds}"))
        elif others:
            skipped.append(SkippedFile(spec, f"left out for their suffix: {other_files(others)} (a directory gives "
                                             f"only {', '.join(INPUT_SUFFIXES)} files)"))
        files.update(dict.fromkeys(found))
    return list(files), skipped


def _is_dataset(folder: Path) -> bool:
    return (folder / "card.json").is_file() and (folder / "records.jsonl").is_file()


def _outside_datasets(found: list[Path], spec: Path) -> tuple[list[Path], dict[Path, int]]:
    """The files of an input dir that do not belong to an earlier filingsum dataset inside it (a dir with a
    card.json and records.jsonl: its records and splits are not filings), and those datasets with their files'
    count."""
    if not spec.is_dir():
        return found, {}
    root = Path(os.path.realpath(spec))
    datasets: dict[Path, int] = {}
    kept = []
    for file in found:
        real = Path(os.path.realpath(file))
        owner = next((d for d in real.parents if d != root and root in d.parents and _is_dataset(d)), None)
        if owner is None:
            kept.append(file)
        else:
            datasets[owner] = datasets.get(owner, 0) + 1
    return kept, datasets


def require_some_input(specs: Sequence[str], out: Path) -> None:
    """`InputsMissingError` (exit 2, OUT untouched) when no spec yields an input file; the specs that yield
    none are logged as skipped."""
    found, missing_specs = discover_build_inputs(specs, out)
    if not found:
        missing = "; ".join(f"{s.path}: {s.reason}" for s in missing_specs)
        raise InputsMissingError(f"no input found ({missing}); nothing was built and {out} is unchanged")
    for skip in missing_specs:
        log.warning("input %s: %s (skipped)", skip.path, skip.reason)


def _max_bytes(data: DataConfig) -> int:
    return int(data.max_file_mb * 1024 * 1024)


def sharded_extraction(
    specs: list[str], data: DataConfig, out: Path, *, shard: Shard | None, progress: bool,
    extractor: Extractor | None = None,
) -> tuple[list[Path], list[SkippedFile], Extraction]:
    """Discover the inputs, keep ``shard``'s files (all when None) and extract them (with ``extractor``,
    `extract_all`); with a shard, also write its manifest. Returns (files, skipped inputs, extraction)."""
    files, skipped = discover_build_inputs(specs, out)
    log.info("%d input file(s) from %d spec(s)", len(files), len(specs))
    positions = list(range(len(files))) if shard is None else shards.select(files, specs, shard)
    if shard is not None:
        log.info("shard %s: %d of the %d input file(s)", shard, len(positions), len(files))
    mine = [files[i] for i in positions]
    extraction = extract_all(
        mine, data.sections, _max_bytes(data), out / ".work" / "extract.jsonl", progress=progress,
        workers=default_workers() if data.workers is None else data.workers, extractor=extractor,
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
    into ``out``. UsageError (exit 2) when the shards do not make one whole or used other extraction settings."""
    merged = shards.read_shards(folders)
    settings = {"sections": list(data.sections), "max_bytes": _max_bytes(data)}
    if merged.settings != settings:
        raise UsageError(
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
