"""Eval results and their reports, written and read back: report.json (stable schema), report.md (CI/PR table,
`report_markdown`) and report.html (one self-contained file: tables, score distributions as inline PNGs,
source/summary examples with the figures and names the source does not support marked; `report_html`). The
results themselves are `report_model`'s; this module re-exports the names the rest of eval uses.

report.json schema:
  {"systems": {NAME: {"aggregate": {metric: mean|null},
                      "counts": {metric: defined values, "documents": n, "failed": k, "errors": e},
                      "per_document": {ID: {metric: value|null} | {"error": "..."}}}},
   "config": {...}, "created": ISO-8601 UTC, "gates": {"system", "passed", "gates", "failures"} | null}

Per document, the figures of a summary are split into supported_numbers, contradicted_numbers and
unverifiable_numbers (number_precision = supported / all). A failed document (the system returned an error,
the summary is empty, or scoring raised) counts as the worst value of every metric that has one
(`MetricInfo.worst`: 0 for shares that should be high, 1 for rates that should be low), and
`scored_fraction` is the share of documents that did not fail: failures count against every gate.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from filingsum.core.errors import UsageError
from filingsum.core.io import atomic_write_json, atomic_write_text, require_input_file
from filingsum.core.json_rows import loads
from filingsum.eval.report_cells import TABLE_METRICS
from filingsum.eval.report_html import claims_html, highlight_spans, highlight_unsupported, render_html
from filingsum.eval.report_markdown import render_markdown
from filingsum.eval.report_model import SCHEMA_VERSION, EvalResult, Report, aggregate_metrics
from filingsum.quality.metrics import METRICS


def write_report(report: Report, out_dir: str | os.PathLike[str], *, examples: int = 5) -> dict[str, Path]:
    """Write report.json, report.md and report.html into out_dir (atomically) and return their paths."""
    out = Path(out_dir)
    return {
        "json": atomic_write_json(out / "report.json", report.to_dict()),
        "markdown": atomic_write_text(out / "report.md", render_markdown(report)),
        "html": atomic_write_text(out / "report.html", render_html(report, examples=examples)),
    }


# How each report file this project writes opens: an earlier eval report may be replaced, a user's own file of the
# same name may not (`is_eval_report`). report.json: "schema_version" (newer reports) then a "systems" mapping.
_REPORT_JSON_HEAD = re.compile(rb'\A\s*\{\s*(?:"schema_version"\s*:\s*\d+\s*,\s*)?"systems"\s*:\s*\{')
_REPORT_TITLE = b"filingsum eval report"


def is_eval_report(name: str, head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) opens a report file ``name`` (report.json, .md or .html) as
    `write_report` writes it.

    >>> is_eval_report("report.md", b"# filingsum eval report\\n\\nCreated ...")
    True
    >>> is_eval_report("report.json", b'{"budget": 12345}')
    False
    """
    if name.endswith(".json"):
        return bool(_REPORT_JSON_HEAD.match(head))
    if name.endswith(".md"):
        return head.startswith(b"# " + _REPORT_TITLE)
    return head.lstrip().startswith(b"<!DOCTYPE html>") and b"<title>" + _REPORT_TITLE + b"</title>" in head[:4096]


def load_report_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A report.json as a dict, with a clear error when it is not one (UsageError, exit 2): a FIFO, a device or a
    directory is refused without being opened (a FIFO would block the reader, /dev/zero never ends)."""
    require_input_file(path, "report")
    try:
        data = loads(Path(path).read_text(encoding="utf-8"))  # nested past the recursion limit: not a report
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable report.json ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("systems"), dict):
        raise UsageError(f"{path}: not a filingsum report (no 'systems' mapping)")
    return data


__all__ = ["METRICS", "SCHEMA_VERSION", "TABLE_METRICS", "EvalResult", "Report", "aggregate_metrics", "claims_html",
           "highlight_spans", "highlight_unsupported", "is_eval_report", "load_report_json", "render_html",
           "render_markdown", "write_report"]
