"""Find input filings and load them as `SourceDocument`s.

Supported inputs: plain text, EDGAR HTML (inline XBRL included, parsed with edgartools), EDGAR full-submission
.txt (SGML with several <DOCUMENT>s), prompt-wrapped files ("Prompt: <request>" then the filing) and JSONL
with a `text` field. Anything unusable raises `IngestError(path, reason)` so a batch can log it and go on.

The package, by job: `discover` (which files the specs name), `decode` (bytes to text, refusing non-regular,
oversized, binary and undecodable files), `loader` (tell a file's format and read it) with one reader per
format (`html_reader`, `sgml_reader`, `text_readers`), `metadata` (form, company and fiscal period) and
`document` (`SourceDocument`, `IngestError`). Every public name is importable from here.
"""

from __future__ import annotations

from filingsum.filings.ingest.decode import DEFAULT_MAX_BYTES, binary_format, decode_bytes, read_text_file
from filingsum.filings.ingest.discover import INPUT_SUFFIXES, discover_inputs
from filingsum.filings.ingest.document import DocumentKind, Form, IngestError, SourceDocument
from filingsum.filings.ingest.html_reader import parse_html_document
from filingsum.filings.ingest.loader import load_documents, parse_documents
from filingsum.filings.ingest.metadata import (
    canonical_company,
    company_from_file_name,
    detect_company,
    detect_fiscal_period,
    detect_form,
    fiscal_period_from_file_name,
    form_from_label,
)
from filingsum.filings.ingest.text_readers import split_prompt

__all__ = [
    "DEFAULT_MAX_BYTES", "INPUT_SUFFIXES", "DocumentKind", "Form", "IngestError", "SourceDocument", "binary_format",
    "canonical_company", "company_from_file_name", "decode_bytes", "detect_company", "detect_fiscal_period",
    "detect_form", "discover_inputs", "fiscal_period_from_file_name", "form_from_label", "load_documents",
    "parse_documents", "parse_html_document", "read_text_file", "split_prompt",
]
