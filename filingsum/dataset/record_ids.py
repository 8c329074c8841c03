"""Record ids: readable (company, form, period, section), stable across rebuilds and unique per content."""

from __future__ import annotations

import hashlib
import re

from filingsum.core.schema import FilingSection


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
