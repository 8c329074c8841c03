"""One preprocessing path from a filing file to model inputs: ingest -> section -> clean -> fit.

The dataset builder (which adds dedup, ids and references between the steps) and every summarizer (the local
model and the endpoint client) go through these functions, so a filing summarized in production is read,
sectioned, cleaned and fitted exactly like the filings the model was trained on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from filingsum.core.schema import FilingSection, FitStrategy
from filingsum.filings.fit import FittedText, fit_section
from filingsum.filings.ingest import DEFAULT_MAX_BYTES, IngestError, SourceDocument, load_documents
from filingsum.filings.sections import extract_sections, resolve_section

CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class PreparedInput:
    """One cleaned section of a filing and the model inputs fitted from it (several for ``chunk``)."""

    section: FilingSection
    pieces: list[FittedText]


def extract_file(
    path: str | os.PathLike[str], wanted: Sequence[str], max_bytes: int = DEFAULT_MAX_BYTES
) -> list[FilingSection]:
    """The wanted sections of one input file, cleaned; IngestError when it holds none (the reason says why:
    unreadable file, wrong form for the section, nothing left after cleaning)."""
    return extract_documents(load_documents(path, max_bytes=max_bytes), wanted, path)


def extract_documents(
    documents: Sequence[SourceDocument], wanted: Sequence[str], path: str | os.PathLike[str]
) -> list[FilingSection]:
    """The wanted sections of the documents of one input file (``path``, as `load_documents` or
    `parse_documents` gives them), cleaned; IngestError when they hold none (wrong form for the section, nothing
    left after cleaning)."""
    sections: list[FilingSection] = []
    notes: list[str] = []
    for doc in documents:
        missing: list[str] = []
        found = extract_sections(doc, wanted, skipped=missing)
        sections.extend(found)
        if not found:
            mapped = [resolve_section(s, doc.form) for s in wanted]
            reasons = [note for target, note in mapped if target is None and note] + missing
            notes.append(
                f"no wanted section ({', '.join(wanted)}) in this {doc.form} document"
                + (f": {'; '.join(reasons)}" if reasons else " (empty after cleaning)")
            )
    if not sections:
        raise IngestError(Path(path), "; ".join(dict.fromkeys(notes)) or "no sections found")
    return sections


def prepare_inputs(
    path: str | os.PathLike[str],
    sections: Sequence[str],
    count_tokens: CountTokens,
    budget: int,
    strategy: FitStrategy,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[PreparedInput]:
    """Every wanted section of a filing with its text fitted to ``budget`` tokens by ``strategy`` (as
    ``data.fit_strategy``); IngestError when the file cannot be used or holds no wanted section."""
    return fit_sections(extract_file(path, sections, max_bytes), count_tokens, budget, strategy)


def fit_sections(
    sections: Sequence[FilingSection], count_tokens: CountTokens, budget: int, strategy: FitStrategy
) -> list[PreparedInput]:
    """Each section with its text fitted to ``budget`` tokens by ``strategy`` (as ``data.fit_strategy``)."""
    return [PreparedInput(section, fit_section(section.text, count_tokens, budget, strategy)) for section in sections]
