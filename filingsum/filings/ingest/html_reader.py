"""Read EDGAR HTML filings (inline XBRL included) with edgartools: the text, and the form, company and period
from the XBRL cover facts where present, else from the text."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from filingsum.filings.ingest.document import DocumentKind, IngestError, SourceDocument
from filingsum.filings.ingest.metadata import (
    canonical_company,
    detect_company,
    detect_fiscal_period,
    detect_form,
    form_from_label,
    iso_date,
)


def looks_like_html(text: str) -> bool:
    """Whether the text opens as an HTML or XML document."""
    head = text[:4096].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or bool(re.search(r"<(?:html|body)[\s>]", head))


def _xbrl_facts(parsed: Any) -> dict[str, str]:
    facts: dict[str, str] = {}
    for fact in getattr(parsed.metadata, "xbrl_data", None) or []:
        concept = str(getattr(fact, "concept", ""))
        if concept.startswith("dei:") and concept not in facts and getattr(fact, "value", None):
            facts[concept] = " ".join(str(fact.value).split())
    return facts


def parse_html_document(html: str, path: str | os.PathLike[str]) -> tuple[Any, str]:
    """Parse filing HTML with edgartools; returns (edgartools Document, full text)."""
    from edgar.documents import ParserConfig, parse_html

    form_match = re.search(r"name=\"dei:DocumentType\"[^>]*>\s*(?:<[^>]+>\s*)*([^<\s]+)", html[:2_000_000])
    config = ParserConfig(form=form_match.group(1)) if form_match else None
    try:
        parsed = parse_html(html, config) if config else parse_html(html)
        text = parsed.text() or ""
    except Exception as exc:  # edgartools raises assorted errors on broken markup
        raise IngestError(path, f"HTML could not be parsed: {type(exc).__name__}: {exc}") from exc
    if sum(ch.isalpha() for ch in text[:100000]) < 20:
        raise IngestError(path, "HTML with no extractable text")
    return parsed, text


def html_document(
    html: str, path: Path, kind: DocumentKind, source_path: str | None = None, warnings: list[str] | None = None
) -> SourceDocument:
    """A filing from its HTML: the parsed text, with form, company and period from the XBRL cover facts or the
    text."""
    parsed, text = parse_html_document(html, path)
    dei = _xbrl_facts(parsed)
    form = form_from_label(dei.get("dei:DocumentType"))
    if form == "unknown":
        form = detect_form(text, path.name)
    company = canonical_company(dei.get("dei:EntityRegistrantName")) or detect_company(text, path.name)
    period = iso_date(dei["dei:DocumentPeriodEndDate"]) if "dei:DocumentPeriodEndDate" in dei else None
    return SourceDocument(
        source_path=source_path or str(path),
        text=text,
        kind=kind,
        form=form,
        company=company,
        fiscal_period=period or detect_fiscal_period(text, path.name),
        html=html,
        warnings=list(warnings or []),
        parsed_html=parsed,
    )
