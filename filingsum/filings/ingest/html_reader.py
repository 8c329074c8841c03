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


def _too_deep(exc: BaseException) -> bool:
    """Whether edgartools failed for running out of stack (markup nested about a thousand levels deep): it
    wraps the RecursionError in its HTMLParsingError."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    contexts = [getattr(e, "context", None) for e in chain]  # edgartools: {'error_type': 'RecursionError'}
    return any(isinstance(e, RecursionError) for e in chain) or any(
        isinstance(c, dict) and c.get("error_type") == "RecursionError" for c in contexts)


def _deep_html_text(html: str, path: str | os.PathLike[str]) -> str:
    """The text of HTML too deeply nested for edgartools, read as a stream of tags; IngestError
    (one plain reason) when even that fails."""
    from filingsum.filings.ingest.html_text import html_plain_text

    try:
        return html_plain_text(html)
    except Exception as exc:  # noqa: BLE001 (a reason in words, never the library's text)
        raise IngestError(path, "HTML nested too deeply to parse (over about 1,000 levels)") from exc


def parse_html_document(html: str, path: str | os.PathLike[str]) -> tuple[Any, str]:
    """Parse filing HTML with edgartools; returns (edgartools Document, full text). HTML nested too deeply
    for edgartools gives (None, its text read by `html_text.html_plain_text`)."""
    from edgar.documents import ParserConfig, parse_html

    form_match = re.search(r"name=\"dei:DocumentType\"[^>]*>\s*(?:<[^>]+>\s*)*([^<\s]+)", html[:2_000_000])
    config = ParserConfig(form=form_match.group(1)) if form_match else None
    parsed: Any
    try:
        parsed = parse_html(html, config) if config else parse_html(html)
        text = parsed.text() or ""
    except Exception as exc:  # edgartools raises assorted errors on broken markup
        if not _too_deep(exc):
            raise IngestError(path, f"HTML could not be parsed: {type(exc).__name__}: {exc}") from exc
        parsed, text = None, _deep_html_text(html, path)
    if sum(ch.isalpha() for ch in text[:100000]) < 20:
        raise IngestError(path, "HTML with no extractable text")
    return parsed, text


def html_document(
    html: str, path: Path, kind: DocumentKind, source_path: str | None = None, warnings: list[str] | None = None
) -> SourceDocument:
    """A filing from its HTML: the parsed text, with form, company and period from the XBRL cover facts or the
    text."""
    parsed, text = parse_html_document(html, path)
    warnings = list(warnings or [])
    if parsed is None:
        warnings.append("HTML nested too deeply for edgartools (about 1,000 levels or more): its text was read "
                        "tag by tag, without the XBRL cover facts; sections found by the heading search")
    dei = _xbrl_facts(parsed) if parsed is not None else {}
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
        warnings=warnings,
        parsed_html=parsed,
    )
