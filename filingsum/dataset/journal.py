"""The extraction journal (``OUT/.work/extract.jsonl``): one row per extracted input file, keyed by the file
(path, size, mtime, sha256) and the extraction settings, so a rerun after a kill or an edit parses only what
changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from filingsum.core.io import read_jsonl, sha256_file

JOURNAL_VERSION = 1  # bump when extraction output changes, so old journal rows are not reused


def journal_key(path: Path, settings: dict[str, Any]) -> str:
    """Identity of one extraction: the file (path, size, mtime, sha256) and the settings that shape it."""
    stat = path.stat()
    identity = {
        "path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256_file(path),
        "settings": settings, "version": JOURNAL_VERSION,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def read_journal(journal_path: Path) -> dict[str, dict[str, Any]]:
    """The journal's rows by key (the last row of a key wins; a torn last line is ignored); {} without one."""
    done: dict[str, dict[str, Any]] = {}
    if journal_path.exists():
        for row in read_jsonl(journal_path):
            done[row["key"]] = row
    return done


def journal_row(key: str, path: Path, sections: list[dict[str, Any]], skip: str | None) -> dict[str, Any]:
    """The row that journals one file's extraction: its sections (as dicts) or why it was skipped."""
    return {"key": key, "path": str(path), "sections": sections, "skip": skip}
