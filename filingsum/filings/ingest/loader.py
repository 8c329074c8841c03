"""Load one input file: read it safely, tell its format (JSONL, SGML submission, HTML, prompt-wrapped, plain
text) and hand it to that format's reader."""

from __future__ import annotations

import os
from pathlib import Path

from filingsum.filings.ingest.decode import DEFAULT_MAX_BYTES, read_text_file
from filingsum.filings.ingest.document import IngestError, SourceDocument
from filingsum.filings.ingest.html_reader import html_document, looks_like_html
from filingsum.filings.ingest.sgml_reader import is_sgml_submission, sgml_document
from filingsum.filings.ingest.text_readers import jsonl_documents, split_prompt, text_document

_HTML_SUFFIXES = (".htm", ".html", ".xhtml", ".xml")


def load_documents(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> list[SourceDocument]:
    """Load one input file as filing documents (one per file, or one per line for JSONL).

    Raises IngestError with the reason for: a missing, empty, oversized (over `max_bytes`), binary or
    undecodable file; HTML without text; a submission without a 10-K/10-Q; JSONL without usable rows.
    """
    path = Path(path)
    text, warnings = read_text_file(path, max_bytes)
    return parse_documents(text, path, warnings)


def parse_documents(text: str, path: str | os.PathLike[str], warnings: list[str]) -> list[SourceDocument]:
    """The filing documents in the text of one file already read (`read_text_file`'s text and warnings): its
    format told from ``path``'s suffix and the text. IngestError as `load_documents` raises it, reading aside."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return jsonl_documents(text, path, warnings)
    if is_sgml_submission(text):
        return [sgml_document(text, path, warnings)]
    if suffix in _HTML_SUFFIXES or looks_like_html(text):
        return [html_document(text, path, kind="html", warnings=warnings)]
    prompt = split_prompt(text)
    if prompt is not None:
        request, body = prompt
        if not body.strip():
            raise IngestError(path, "prompt-wrapped file has a request but no filing text after it")
        return [text_document(body, path, "prompt", warnings, instruction=request or None)]
    return [text_document(text, path, "text", warnings)]
