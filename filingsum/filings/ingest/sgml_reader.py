"""Read EDGAR full-submission .txt files (SGML with several <DOCUMENT>s): the 10-K or 10-Q document among them,
with the company and period from the submission header."""

from __future__ import annotations

import re
from pathlib import Path

from filingsum.filings.ingest.document import IngestError, SourceDocument
from filingsum.filings.ingest.html_reader import html_document, looks_like_html
from filingsum.filings.ingest.metadata import (
    canonical_company,
    detect_company,
    detect_fiscal_period,
    form_from_label,
    iso_date,
)

_SGML_DOCUMENT = re.compile(r"<DOCUMENT>(.*?)(?:</DOCUMENT>|\Z)", re.DOTALL | re.IGNORECASE)
_SGML_TYPE = re.compile(r"<TYPE>\s*([^\s<]+)", re.IGNORECASE)
_SGML_TEXT = re.compile(r"<TEXT>(.*?)(?:</TEXT>|\Z)", re.DOTALL | re.IGNORECASE)
_SGML_HEADER_FIELD = r"(?m)^\s*{}:\s*(.+?)\s*$"


def is_sgml_submission(text: str) -> bool:
    """Whether the text is an EDGAR full submission (SEC-DOCUMENT / SEC-HEADER / <DOCUMENT><TYPE>)."""
    head = text[:20000]
    return "<SEC-DOCUMENT>" in head or "<SEC-HEADER>" in head or bool(re.search(r"<DOCUMENT>\s*<TYPE>", head))


def sgml_document(text: str, path: Path, warnings: list[str]) -> SourceDocument:
    """The first 10-K or 10-Q document of a submission; IngestError when there is none or it has no text."""
    header = text[: text.find("<DOCUMENT>")] if "<DOCUMENT>" in text else text[:20000]

    def header_field(name: str) -> str | None:
        match = re.search(_SGML_HEADER_FIELD.format(re.escape(name)), header)
        return match.group(1) if match else None

    types: list[str] = []
    for block in _SGML_DOCUMENT.finditer(text):
        type_match = _SGML_TYPE.search(block.group(1))
        doc_type = type_match.group(1).upper() if type_match else "?"
        types.append(doc_type)
        if form_from_label(doc_type) == "unknown" or doc_type.startswith("10-12"):
            continue
        body_match = _SGML_TEXT.search(block.group(1))
        body = body_match.group(1).strip() if body_match else ""
        if not body:
            raise IngestError(path, f"the {doc_type} document of the submission has no <TEXT>")
        company = header_field("COMPANY CONFORMED NAME")
        period_raw = header_field("CONFORMED PERIOD OF REPORT")
        period = iso_date(period_raw) if period_raw else None
        if looks_like_html(body) or re.search(r"<(?:p|div|table|font)[\s>]", body[:20000], re.IGNORECASE):
            doc = html_document(body, path, kind="sgml", warnings=warnings)
        else:
            doc = SourceDocument(source_path=str(path), text=body, kind="sgml", warnings=list(warnings))
        doc.form = form_from_label(doc_type)
        doc.company = canonical_company(company) or doc.company or detect_company(doc.text, path.name)
        doc.fiscal_period = period or doc.fiscal_period or detect_fiscal_period(doc.text, path.name)
        return doc
    found = ", ".join(types) or "none"
    raise IngestError(path, f"no 10-K or 10-Q document in the submission (document types: {found})")
