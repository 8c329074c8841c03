"""Human-written gold summaries: JSONL files read into an index looked up by input file and section.

One line per summary: ``source_file`` (basename of the input file, JSONL rows as "file.jsonl#N"), optional
``section``, ``company``, ``form``, ``author``, and ``summary``; an entry written for one model input (the
reference corpus) also carries ``input_sha256``, the sha256 of that fitted window's text. The dataset builder
attaches them as references and eval scores against them, so both read them through this one module.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filingsum.core.io import read_jsonl
from filingsum.core.json_rows import lone_surrogate
from filingsum.core.text import content_hash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GoldSummary:
    source_file: str
    summary: str
    section: str | None = None
    company: str | None = None
    form: str | None = None
    author: str | None = None
    origin_file: str = ""
    input_sha256: str | None = None  # written for this exact model input (a fitted window), not the section


def source_basename(source_path: str) -> str:
    """Basename of an input file; JSONL rows keep their "#line" suffix ("filings.jsonl#3")."""
    path, _, line = source_path.partition("#")
    name = Path(path).name
    return f"{name}#{line}" if line else name


class GoldIndex:
    """Gold summaries looked up by (basename, section), falling back to entries without a section."""

    def __init__(self, entries: Iterable[GoldSummary] = ()):
        self._by_section: dict[tuple[str, str], GoldSummary] = {}
        self._any_section: dict[str, GoldSummary] = {}
        self._by_input: dict[str, GoldSummary] = {}
        for entry in entries:
            if entry.input_sha256:
                self._by_input.setdefault(entry.input_sha256, entry)
            elif entry.section:
                self._by_section.setdefault((entry.source_file, entry.section), entry)
            else:
                self._any_section.setdefault(entry.source_file, entry)

    def __len__(self) -> int:
        return len(self._by_section) + len(self._any_section) + len(self._by_input)

    def lookup_input(self, text: str) -> GoldSummary | None:
        """The entry written for exactly this model input, if any."""
        return self._by_input.get(content_hash(text))

    def lookup(self, source_path: str, section: str) -> GoldSummary | None:
        name = source_basename(source_path)
        return self._by_section.get((name, section)) or self._any_section.get(name)


def _gold_files(specs: Sequence[str], leave_out: Sequence[Path] = ()) -> list[Path]:
    """The JSONL files of ``specs`` (files, dirs searched recursively, globs), less those at or under a path of
    ``leave_out`` (compared resolved; each left out file is logged, in one line)."""
    files = _spec_files(specs)
    if not leave_out:
        return files
    real = [Path(os.path.realpath(p)) for p in leave_out]
    kept, left = [], []
    for path in files:
        resolved = Path(os.path.realpath(path))
        (left if any(resolved == r or resolved.is_relative_to(r) for r in real) else kept).append(path)
    if left:
        log.warning("data.gold: %d file(s) left out: this build writes them (its records, splits or journal are "
                    "not gold): %s", len(left), ", ".join(map(str, left)))
    return kept


def _spec_files(specs: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.jsonl")))
        elif path.is_file():
            files.append(path)
        else:
            files.extend(sorted(Path().glob(spec)) if any(c in spec for c in "*?[") else [])
    return files


def missing_gold_paths(specs: Sequence[str]) -> list[str]:
    """The gold specs that name no file or directory (globs aside: a glob may match nothing)."""
    return [spec for spec in specs if not any(c in spec for c in "*?[") and not Path(spec).exists()]


def load_gold(specs: Sequence[str], leave_out: Sequence[Path] = ()) -> tuple[GoldIndex, list[str]]:
    """Gold entries from JSONL files/dirs, and warnings for unusable lines or missing paths (never raises).
    Files at or under a path of ``leave_out`` (a build's own outputs: a gold dir may hold its output dir, or be
    it) are not read, with a logged line.

    A UTF-8 byte-order mark is read as such (editors on Windows write one). A missing path, an unreadable file
    and a file without one usable row are also logged as warnings: each silently turns gold references into
    the next source (teacher, extractive)."""
    warnings: list[str] = []
    entries: list[GoldSummary] = []
    for spec in missing_gold_paths(specs):
        warnings.append(f"gold path {spec} does not exist")
        log.warning("gold path %s does not exist: no gold summary from it", spec)
    for path in _gold_files(specs, leave_out):
        try:
            rows = list(read_jsonl(path, encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            warnings.append(f"gold file {path} unreadable: {type(exc).__name__}: {exc}")
            log.warning("gold file %s is unreadable (%s: %s): no gold summary from it", path, type(exc).__name__, exc)
            continue
        found = _gold_entries(path, rows, warnings)
        if not found:
            log.warning("gold file %s has no usable row (each needs 'source_file' and a non-empty 'summary'): no "
                        "gold summary from it", path)
        entries.extend(found)
    return GoldIndex(entries), warnings


def _gold_entries(path: Path, rows: list[Any], warnings: list[str]) -> list[GoldSummary]:
    """The usable rows of one gold file; a warning in ``warnings`` for each unusable one."""
    entries: list[GoldSummary] = []
    for number, row in enumerate(rows, start=1):
        summary = row.get("summary") if isinstance(row, dict) else None
        source_file = row.get("source_file") if isinstance(row, dict) else None
        if not isinstance(summary, str) or not summary.strip() or not isinstance(source_file, str):
            warnings.append(f"gold file {path} row {number}: needs 'source_file' and a non-empty 'summary'")
            continue
        if (where := lone_surrogate(row, skip=("source_file",))) is not None:  # a file name may hold one (PEP 383)
            warnings.append(f"gold file {path} row {number}: skipped, {where} holds a lone UTF-16 surrogate, which "
                            "is not text")
            log.warning("%s", warnings[-1])
            continue
        entries.append(
            GoldSummary(
                source_file=Path(source_file).name if "#" not in source_file else source_file,
                summary=summary.strip(),
                section=row.get("section") or None,
                company=row.get("company"),
                form=row.get("form"),
                author=row.get("author"),
                origin_file=str(path),
                input_sha256=row.get("input_sha256") or None,
            )
        )
    return entries
