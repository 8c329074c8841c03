"""Read the text formats: plain text, prompt-wrapped files ("Prompt: <request>" then the filing) and JSONL with
a `text` field per line (HTML rows go to the HTML reader); metadata the file does not give is detected."""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path
from typing import Any

from filingsum.core.json_rows import loads_text
from filingsum.filings.ingest.document import DocumentKind, IngestError, SourceDocument
from filingsum.filings.ingest.html_reader import html_document, looks_like_html
from filingsum.filings.ingest.metadata import detect_company, detect_fiscal_period, detect_form, form_from_label

log = logging.getLogger("filingsum.filings.ingest")  # the logger these messages have always come from

_PROMPT_PREFIX = re.compile(r"\A\s*Prompt:[ \t]*", re.IGNORECASE)


def split_prompt(text: str) -> tuple[str, str] | None:
    """("request", "filing") for a "Prompt: <request>\\n\\n<filing>" file, else None."""
    prefix = _PROMPT_PREFIX.match(text)
    if not prefix:
        return None
    rest = text[prefix.end():]
    parts = re.split(r"\n[ \t]*\n", rest, maxsplit=1)
    if len(parts) == 1:
        parts = rest.split("\n", 1)
    request = " ".join(parts[0].split())
    body = parts[1] if len(parts) > 1 else ""
    return request, body


def text_document(text: str, path: Path, kind: DocumentKind, warnings: list[str], **meta: Any) -> SourceDocument:
    """A text filing; form, company and period from ``meta`` where given, else detected."""
    return SourceDocument(
        source_path=meta.pop("source_path", str(path)),
        text=text,
        kind=kind,
        form=meta.pop("form", None) or detect_form(text, path.name),
        company=meta.pop("company", None) or detect_company(text, path.name),
        fiscal_period=meta.pop("fiscal_period", None) or detect_fiscal_period(text, path.name),
        warnings=list(warnings),
        **meta,
    )


def jsonl_documents(text: str, path: Path, warnings: list[str]) -> list[SourceDocument]:
    """One filing per usable JSONL row; unusable rows are skipped with a warning, none usable is IngestError."""
    documents: list[SourceDocument] = []
    problems: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = loads_text(line)  # nested past the recursion limit, or a lone surrogate: skipped too
        except json.JSONDecodeError as exc:
            problems.append(f"line {lineno}: not usable JSON ({exc.msg})")
            continue
        body = row.get("text") if isinstance(row, dict) else None
        if not isinstance(body, str) or not body.strip():
            problems.append(f"line {lineno}: no non-empty 'text' field")
            continue
        fields = _row_metadata(row)
        if isinstance(fields, str):
            problems.append(f"line {lineno}: {fields}")
            continue
        source = f"{path}#{lineno}"
        row_form = form_from_label(fields["form"]) if fields["form"] else None
        meta = {"source_path": source, "company": fields["company"], "fiscal_period": fields["fiscal_period"],
                "instruction": fields["instruction"]}
        if looks_like_html(body):
            try:
                doc = html_document(body, path, kind="jsonl", source_path=source, warnings=warnings)
            except IngestError as exc:
                problems.append(f"line {lineno}: {exc.reason}")
                continue
            doc.company = meta["company"] or doc.company
            doc.fiscal_period = meta["fiscal_period"] or doc.fiscal_period
            doc.instruction = meta["instruction"]
            doc.form = row_form if row_form and row_form != "unknown" else doc.form
        else:
            known_form = row_form if row_form != "unknown" else None
            doc = text_document(body, path, "jsonl", warnings, form=known_form, **meta)
        documents.append(doc)
    for problem in problems:
        log.warning("%s: skipped %s", path, problem)
    if not documents:
        detail = "; ".join(problems[:3]) or "no rows"
        raise IngestError(path, f"JSONL file has no usable rows ({detail})")
    if problems:
        for doc in documents:
            doc.warnings.append(f"{len(problems)} unusable line(s) in {path.name} skipped")
    return documents


_METADATA_FIELDS = ("company", "form", "fiscal_period", "instruction")


def _row_metadata(row: dict[str, Any]) -> dict[str, str | None] | str:
    """A JSONL row's metadata fields as text (None where absent or empty), or why the row cannot be used.

    A number is taken as text (a year ``2016`` is "2016", ``2016.0`` too); a list, an object, true/false or a
    non-finite number is no name or period: the row is skipped, naming the field.

    >>> _row_metadata({"fiscal_period": 2016, "company": "Acme"})["fiscal_period"]
    '2016'
    >>> _row_metadata({"company": ["Acme"]})
    'company is ["Acme"], not a string'
    """
    fields: dict[str, str | None] = {}
    for name in _METADATA_FIELDS:
        value = row.get(name)
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            value = str(value)
        if value is not None and not isinstance(value, str):
            shown = json.dumps(value, ensure_ascii=False)
            return f"{name} is {shown if len(shown) <= 60 else shown[:59] + '…'}, not a string"
        fields[name] = value or None
    return fields
