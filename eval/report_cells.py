"""What the report's tables show and how a value reads there: the metric columns (those with a value in some
system, in TABLE_METRICS order), a value's text and a mean with its (k/n) count. Shared by report.md
(`report_markdown`) and report.html (`report_html`).
"""

from __future__ import annotations

import math
from typing import Any

from filingsum.eval.report_model import EvalResult, Report

TABLE_METRICS = (
    "scored_fraction", "rouge1", "rouge2", "rougeL", "rougeLsum", "rougeLsum_split", "tokens", "tokens_max",
    "within_limit", "is_prose", "repetition", "loop", "meta_statement_rate", "self_denial_rate",
    "repeated_sentence_rate", "aspect_coverage", "claim_support_rate", "contradiction_rate",
    "unsupported_sentence_rate", "number_precision", "number_contradiction_rate", "contradicted_numbers",
    "entity_precision", "novel_ngram_ratio", "nli_consistency", "empty",
)
FIGURE_COUNTS = ("supported_numbers", "contradicted_numbers", "unverifiable_numbers")
CLAIM_METRICS = ("claim_support_rate", "contradiction_rate", "unsupported_sentence_rate")


def markdown_cell(text: object) -> str:
    """``text`` as one Markdown table cell: a ``|`` escaped (it would start a new column) and line breaks made
    spaces (they would end the row). System names, document ids and error messages come from users' files."""
    return " ".join(str(text).replace("\\", "\\\\").replace("|", "\\|").split())


def format_value(value: Any, metric: str) -> str:
    """A value as a table shows it: – when undefined, token counts whole (a mean to one decimal), booleans as
    yes/no, the rest to three decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if metric in ("tokens", "tokens_max"):
        return f"{value:.0f}" if metric == "tokens_max" else f"{value:.1f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.3f}"


def shown_metrics(report: Report) -> list[str]:
    """The metric columns: those of TABLE_METRICS that some system has a value for, in that order."""
    present = {k for r in report.systems.values() for k, v in r.aggregate.items() if v is not None}
    return [m for m in TABLE_METRICS if m in present]


def metric_cell(result: EvalResult, metric: str) -> str:
    """A system's mean of a metric, with (k/n) when only k of its n documents had a value."""
    text = format_value(result.aggregate.get(metric), metric)
    defined, total = result.counts.get(metric, 0), result.counts.get("documents", 0)
    if text != "–" and metric not in ("tokens_max",) and defined < total:
        text += f" ({defined}/{total})"
    return text
