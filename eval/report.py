"""Eval results and their reports: report.json (stable schema), report.md (CI/PR table) and report.html
(one self-contained file: tables, score distributions as inline PNGs, source/summary examples with the
figures and names the source does not support marked).

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

import base64
import html
import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filingsum.core.errors import UsageError
from filingsum.core.io import atomic_write_json, atomic_write_text
from filingsum.core.schema import PredictionRecord
from filingsum.eval.gates import GateOutcome
from filingsum.quality.claims import check_claims
from filingsum.quality.factual import unsupported_entities
from filingsum.quality.metrics import METRICS, MetricValue
from filingsum.quality.numbers import check_numbers

SCHEMA_VERSION = 1
TABLE_METRICS = (
    "scored_fraction", "rouge1", "rouge2", "rougeL", "rougeLsum", "rougeLsum_split", "tokens", "tokens_max",
    "within_limit", "is_prose", "repetition", "loop", "meta_statement_rate", "self_denial_rate",
    "repeated_sentence_rate", "aspect_coverage", "claim_support_rate", "contradiction_rate",
    "unsupported_sentence_rate", "number_precision", "number_contradiction_rate", "contradicted_numbers",
    "entity_precision", "novel_ngram_ratio", "nli_consistency", "empty",
)
FIGURE_COUNTS = ("supported_numbers", "contradicted_numbers", "unverifiable_numbers")
PLOT_METRICS = ("rougeL", "tokens", "aspect_coverage", "number_precision", "entity_precision",
                "novel_ngram_ratio", "repetition")
CLAIM_METRICS = ("claim_support_rate", "contradiction_rate", "unsupported_sentence_rate")
DOC_TABLE_METRICS = ("rougeL", "tokens", "is_prose", "aspect_coverage", *CLAIM_METRICS, "number_precision",
                     *FIGURE_COUNTS, "entity_precision", "novel_ngram_ratio")


def _failed(row: Mapping[str, MetricValue | str]) -> bool:
    return bool(row.get("error")) or row.get("empty") is True


def aggregate_metrics(per_document: Mapping[str, Mapping[str, MetricValue]]) -> tuple[dict, dict]:
    """Means over the defined (non-None) values of each metric, and how many there were.

    Booleans average to shares (within_limit -> share within the limit). tokens_max is the longest summary.
    A failed document (error or empty summary) counts as the metric's worst value wherever one is defined,
    and scored_fraction is the share of documents that did not fail.
    """
    names: list[str] = []
    for row in per_document.values():
        names.extend(k for k in row if k not in names and k != "error")
    aggregate: dict[str, float | None] = {}
    counts: dict[str, int] = {"documents": len(per_document)}
    for name in names:
        worst = METRICS[name].worst if name in METRICS else None
        values = []
        for row in per_document.values():
            if _failed(row) and worst is not None:
                values.append(worst)
            elif (v := row.get(name)) is not None:
                values.append(float(v))
        aggregate[name] = sum(values) / len(values) if values else None
        counts[name] = len(values)
        if name == "tokens":
            aggregate["tokens_max"] = max(values) if values else None
            counts["tokens_max"] = len(values)
    failed = sum(1 for row in per_document.values() if _failed(row))
    errors = sum(1 for row in per_document.values() if row.get("error"))
    aggregate["scored_fraction"] = 1 - failed / len(per_document) if per_document else None
    counts["scored_fraction"] = len(per_document)
    if failed:
        counts["failed"] = failed
    if errors:
        counts["errors"] = errors
    return aggregate, counts


@dataclass
class EvalResult:
    """One system's scores: per document (by id) and aggregated."""

    system: str
    per_document: dict[str, dict[str, MetricValue]]
    aggregate: dict[str, float | None]
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"aggregate": self.aggregate, "counts": self.counts, "per_document": self.per_document}


@dataclass
class Report:
    """Several systems scored side by side. `predictions` (not serialised) feed the HTML examples."""

    systems: dict[str, EvalResult]
    config: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    gates: GateOutcome | None = None
    predictions: dict[str, list[PredictionRecord]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "systems": {name: result.to_dict() for name, result in self.systems.items()},
            "config": self.config,
            "created": self.created,
            "gates": self.gates.to_dict() if self.gates else None,
        }


# --- Markdown ----------------------------------------------------------------------------------------------

def _fmt(value: Any, metric: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if metric in ("tokens", "tokens_max"):
        return f"{value:.0f}" if metric == "tokens_max" else f"{value:.1f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.3f}"


def _shown_metrics(report: Report) -> list[str]:
    present = {k for r in report.systems.values() for k, v in r.aggregate.items() if v is not None}
    return [m for m in TABLE_METRICS if m in present]


def _cell(result: EvalResult, metric: str) -> str:
    text = _fmt(result.aggregate.get(metric), metric)
    defined, total = result.counts.get(metric, 0), result.counts.get("documents", 0)
    if text != "–" and metric not in ("tokens_max",) and defined < total:
        text += f" ({defined}/{total})"
    return text


def render_markdown(report: Report) -> str:
    metrics = _shown_metrics(report)
    n_docs = max((r.counts.get("documents", 0) for r in report.systems.values()), default=0)
    limit = report.config.get("token_limit")
    lines = ["# filingsum eval report", ""]
    lines.append(f"Created {report.created}; {len(report.systems)} systems; up to {n_docs} documents"
                 + (f"; token limit {limit}." if limit else "."))
    lines.append("")
    lines.append("| system | docs | " + " | ".join(metrics) + " |")
    lines.append("|---|---:|" + "---:|" * len(metrics))
    for name, result in report.systems.items():
        cells = [_cell(result, m) for m in metrics]
        lines.append(f"| {name} | {result.counts.get('documents', 0)} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Means over documents where a metric is defined; (k/n) when only k of n documents had a value. "
                 "within_limit, is_prose, loop and empty are shares of documents.")
    lines.append("Figures: number_precision = supported / all figures; contradicted = the source states the same "
                 "figure with the opposite sign or direction, or the same metric only with other values.")
    for name, result in report.systems.items():
        if result.counts.get("failed"):
            lines.append(f"**{name}: {result.counts['failed']} document(s) failed** ({result.counts.get('errors', 0)} "
                         "errors, the rest empty summaries; see 'error' in report.json per_document). They count "
                         "as the worst value of every metric and lower scored_fraction.")
    lines.append("")
    lines.extend(_markdown_figures(report))
    lines.append("")
    lines.extend(_markdown_claims(report))
    lines.append("")
    lines.extend(_markdown_gates(report.gates))
    return "\n".join(lines) + "\n"


def _markdown_figures(report: Report) -> list[str]:
    """Per document and system: figures supported / contradicted / unverifiable, or why it failed."""
    lines = ["## Figures per document", "", "| system | document | supported | contradicted | unverifiable | "
             "number_precision |", "|---|---|---:|---:|---:|---:|"]
    for name, result in report.systems.items():
        for doc_id, row in result.per_document.items():
            if row.get("error"):
                lines.append(f"| {name} | {doc_id} | – | – | – | failed: {str(row['error'])[:80]} |")
                continue
            cells = [_fmt(row.get(m), "tokens_max") for m in FIGURE_COUNTS]
            lines.append(f"| {name} | {doc_id} | " + " | ".join(cells) + f" | "
                         f"{_fmt(row.get('number_precision'), 'number_precision')} |")
    return lines


def _markdown_claims(report: Report) -> list[str]:
    """Per document and system: the claim-level rates (supported / contradicted claims, sentences with an
    unsupported claim)."""
    lines = ["## Claims per document", "", "| system | document | claim_support_rate | contradiction_rate | "
             "unsupported_sentence_rate |", "|---|---|---:|---:|---:|"]
    for name, result in report.systems.items():
        for doc_id, row in result.per_document.items():
            if row.get("error"):
                continue
            cells = [_fmt(row.get(m), m) for m in CLAIM_METRICS]
            lines.append(f"| {name} | {doc_id} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Each summary claim is aligned to the source sentence or table row that best supports it: "
                 "supported, contradicted (the aligned source says otherwise) or unsupported (no source unit "
                 "says it); report.html shows each sentence next to its evidence.")
    return lines


def _markdown_gates(outcome: GateOutcome | None) -> list[str]:
    if outcome is None or not outcome.gates:
        return ["## Gates", "", "No gates configured."]
    verdict = "PASSED" if outcome.passed else f"FAILED ({len(outcome.failures)} of {len(outcome.gates)})"
    lines = ["## Gates", "", f"System `{outcome.system}`: **{verdict}**", ""]
    failed = {str(f.gate): f for f in outcome.failures}
    for gate in outcome.gates:
        failure = failed.get(str(gate))
        lines.append(f"- {'FAIL' if failure else 'pass'} `{gate}`" + (f": {failure.reason}" if failure else ""))
    return lines


# --- HTML --------------------------------------------------------------------------------------------------

def highlight_spans(text: str, spans: Sequence[tuple[int, int, str]], css_class: str = "") -> str:
    """HTML-escaped text with each (start, end, label) span wrapped in <mark> (overlaps merged)."""
    merged: list[list[Any]] = []
    for start, end, label in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, label])
    out, pos = [], 0
    attr = f' class="{html.escape(css_class)}"' if css_class else ""
    for start, end, label in merged:
        out.append(html.escape(text[pos:start]))
        cls = attr or (' class="contradicted"' if str(label).startswith("contradicted") else "")
        note = "the source says otherwise" if str(label).startswith("contradicted") else "not found in the source"
        out.append(f'<mark{cls} title="{html.escape(str(label))}: {note}">'
                   f"{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def highlight_unsupported(summary: str, source: str) -> str:
    """The summary as HTML, its contradicted figures, unverifiable figures and unsupported names marked."""
    check = check_numbers(summary, source)
    spans = [(m.start, m.end, "contradicted figure") for m in check.contradicted]
    spans += [(m.start, m.end, "unverifiable figure") for m in check.unverifiable]
    spans += [(s, e, "name") for s, e, _ in unsupported_entities(summary, source)]
    return highlight_spans(summary, spans)


_VERDICT_CLASS = {"supported": "ok", "contradicted": "contradicted", "unsupported": "unsupported"}


def claims_html(summary: str, source: str, company: str | None = None) -> str:
    """Each claim of the summary next to its verdict, the reason and the source sentence (or table row) that
    decided it."""
    check = check_claims(summary, source, company)
    if not check.claims:
        return ""
    rows = []
    for claim in check.claims:
        cls = _VERDICT_CLASS[claim.verdict]
        rows.append(f'<tr class="{cls}"><td>{html.escape(claim.claim)}</td><td>{claim.verdict}</td>'
                    f"<td>{html.escape(claim.reason)}</td><td>{html.escape(claim.evidence or '–')}</td></tr>")
    return ('<table class="claims"><thead><tr><th>claim</th><th>verdict</th><th>reason</th>'
            f"<th>evidence in the source</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _distribution_png(report: Report) -> str | None:
    """Histograms of per-document scores, one panel per metric, systems overlaid; base64 PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    metrics = [m for m in PLOT_METRICS
               if any(r.get(m) is not None for res in report.systems.values() for r in res.per_document.values())]
    if not metrics:
        return None
    cols = min(4, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig = Figure(figsize=(4 * cols, 3 * rows), dpi=80)
    FigureCanvasAgg(fig)
    for i, metric in enumerate(metrics):
        ax = fig.add_subplot(rows, cols, i + 1)
        per_system = {
            name: [float(v) for r in result.per_document.values() if (v := r.get(metric)) is not None]
            for name, result in report.systems.items()
        }
        everything = [v for values in per_system.values() for v in values]
        # Shared bins so systems compare bar for bar; ratios on their whole 0-1 range.
        low, high = (0.0, 1.0) if metric != "tokens" else (min(everything), max(everything))
        if high <= low:
            high = low + 1.0
        bins = [low + (high - low) * k / 20 for k in range(21)]
        for name, values in per_system.items():
            if values:
                ax.hist(values, bins=bins, alpha=0.5, label=name)
        ax.set_title(metric, fontsize=10)
        ax.tick_params(labelsize=8)
    fig.axes[0].legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
mark{background:#ffd54f;padding:0 2px}mark.contradicted{background:#ef9a9a}
.pass{color:#1b5e20}.fail{color:#b71c1c;font-weight:bold}
.example{display:flex;gap:1em;margin-bottom:2em}
.source{flex:1;max-height:32em;overflow:auto;white-space:pre-wrap;font-size:12px;background:#f7f7f7;padding:.5em}
table.claims td{text-align:left;font-size:12px;max-width:40em}
tr.contradicted td{background:#ffebee}tr.unsupported td{background:#fff8e1}
.summaries{flex:1}.summary{white-space:pre-wrap;font-size:13px;border-left:3px solid #90caf9;padding:.3em .6em}
"""


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_gates(outcome: GateOutcome | None) -> str:
    if outcome is None or not outcome.gates:
        return "<p>No gates configured.</p>"
    failed = {str(f.gate): f for f in outcome.failures}
    items = []
    for gate in outcome.gates:
        f = failed.get(str(gate))
        status = '<span class="fail">FAIL</span>' if f else '<span class="pass">pass</span>'
        items.append(f"<li>{status} <code>{html.escape(str(gate))}</code>"
                     + (f": {html.escape(f.reason)}" if f else "") + "</li>")
    verdict = "PASSED" if outcome.passed else "FAILED"
    return (f"<p>System <code>{html.escape(outcome.system)}</code>: "
            f"<span class=\"{'pass' if outcome.passed else 'fail'}\">{verdict}</span></p><ul>{''.join(items)}</ul>")


def _examples_html(report: Report, n_examples: int, max_source_chars: int) -> str:
    by_system = {name: {p.id: p for p in preds} for name, preds in report.predictions.items()}
    ids: list[str] = []
    for preds in report.predictions.values():
        ids.extend(p.id for p in preds if p.id not in ids)
    parts = []
    for doc_id in ids[:n_examples]:
        source = next(p.source for preds in by_system.values() if (p := preds.get(doc_id)))
        shown = source[:max_source_chars]
        more = (f"\n[… {len(source) - max_source_chars:,} more characters]" if len(source) > max_source_chars
                else "")
        summaries = []
        reference = next((p.reference for preds in by_system.values() if (p := preds.get(doc_id)) and p.reference),
                         None)
        if reference:
            summaries.append(f"<h4>reference</h4><div class=\"summary\">{html.escape(reference)}</div>")
        for name, preds in by_system.items():
            pred = preds.get(doc_id)
            if pred is None:
                continue
            summaries.append(f"<h4>{html.escape(name)}</h4><div class=\"summary\">"
                             f"{highlight_unsupported(pred.prediction, pred.source)}</div>"
                             f"{claims_html(pred.prediction, pred.source, pred.company)}")
        parts.append(f"<h3>{html.escape(doc_id)}</h3><div class=\"example\"><div class=\"source\">"
                     f"{html.escape(shown + more)}</div><div class=\"summaries\">{''.join(summaries)}</div></div>")
    return "".join(parts) or "<p>No predictions attached to this report.</p>"


def render_html(report: Report, *, examples: int = 5, max_source_chars: int = 30_000) -> str:
    metrics = _shown_metrics(report)
    summary_rows = [[html.escape(name), str(r.counts.get("documents", 0))] + [html.escape(_cell(r, m)) for m in metrics]
                    for name, r in report.systems.items()]
    doc_ids: list[str] = []
    for result in report.systems.values():
        doc_ids.extend(i for i in result.per_document if i not in doc_ids)
    doc_metrics = [m for m in DOC_TABLE_METRICS if m in metrics]
    doc_headers = ["document"] + [f"{s} {m}" for s in report.systems for m in doc_metrics]
    doc_rows = []
    for doc_id in doc_ids:
        row = [html.escape(doc_id)]
        for result in report.systems.values():
            values = result.per_document.get(doc_id, {})
            row.extend(html.escape(_fmt(values.get(m), m)) for m in doc_metrics)
        doc_rows.append(row)
    png = _distribution_png(report)
    plot = (f'<img alt="score distributions" src="data:image/png;base64,{png}">' if png
            else "<p>No scores to plot.</p>")
    config = html.escape(json.dumps(report.config, indent=2, default=str))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>filingsum eval report</title><style>{_CSS}</style></head>
<body>
<h1>filingsum eval report</h1>
<p>Created {html.escape(report.created)}.</p>
<h2>Systems</h2>
{_html_table(["system", "docs", *metrics], summary_rows)}
<h2>Gates</h2>
{_html_gates(report.gates)}
<h2>Score distributions</h2>
{plot}
<h2>Per document</h2>
{_html_table(doc_headers, doc_rows)}
<h2>Examples</h2>
<p>Figures and names in a summary that the source does not contain are <mark>marked</mark>; figures the
source contradicts (other value or opposite direction for the same fact) are
<mark class="contradicted">marked red</mark>. Under each summary, every claim stands next to its verdict
and the source sentence or table row it was aligned to.</p>
{_examples_html(report, examples, max_source_chars)}
<h2>Config</h2>
<pre>{config}</pre>
</body></html>
"""


def write_report(report: Report, out_dir: str | os.PathLike[str], *, examples: int = 5) -> dict[str, Path]:
    """Write report.json, report.md and report.html into out_dir (atomically) and return their paths."""
    out = Path(out_dir)
    return {
        "json": atomic_write_json(out / "report.json", report.to_dict()),
        "markdown": atomic_write_text(out / "report.md", render_markdown(report)),
        "html": atomic_write_text(out / "report.html", render_html(report, examples=examples)),
    }


def load_report_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A report.json as a dict, with a clear error when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable report.json ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("systems"), dict):
        raise UsageError(f"{path}: not a filingsum report (no 'systems' mapping)")
    return data


__all__ = ["METRICS", "EvalResult", "Report", "aggregate_metrics", "claims_html", "highlight_spans",
           "highlight_unsupported",
           "load_report_json", "render_html", "render_markdown", "write_report"]
