"""report.html: one self-contained page of an eval report: the systems table, the gates, score distributions
as an inline PNG, the per-document table, and source/summary examples with the figures and names the source
does not support marked and every claim next to its evidence.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Sequence
from typing import Any

from filingsum.eval.gates import GateOutcome
from filingsum.eval.report_cells import CLAIM_METRICS, FIGURE_COUNTS, format_value, metric_cell, shown_metrics
from filingsum.eval.report_model import Report
from filingsum.quality.claims import check_claims
from filingsum.quality.factual import unsupported_entities
from filingsum.quality.numbers import check_numbers

PLOT_METRICS = ("rougeL", "tokens", "aspect_coverage", "number_precision", "entity_precision",
                "novel_ngram_ratio", "repetition")
DOC_TABLE_METRICS = ("rougeL", "tokens", "is_prose", "aspect_coverage", *CLAIM_METRICS, "number_precision",
                     *FIGURE_COUNTS, "entity_precision", "novel_ngram_ratio")
# What one example shows of a summary or reference (its figures, names and claims checked on that much: the claim
# check grows faster than the text, and a runaway 21 MB prediction took minutes), and of each piece of evidence.
MAX_SHOWN_SUMMARY_CHARS = 20_000
MAX_SHOWN_EVIDENCE_CHARS = 1_000


def _shown(text: str, limit: int) -> tuple[str, str]:
    """The first ``limit`` characters of ``text``, and a visible note of what was left out ("" when nothing)."""
    if len(text) <= limit:
        return text, ""
    return text[:limit], f"\n[… {len(text) - limit:,} more characters]"


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
        evidence, more = _shown(claim.evidence or "–", MAX_SHOWN_EVIDENCE_CHARS)
        rows.append(f'<tr class="{cls}"><td>{html.escape(claim.claim)}</td><td>{claim.verdict}</td>'
                    f"<td>{html.escape(claim.reason)}</td><td>{html.escape(evidence + more)}</td></tr>")
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
        shown, more = _shown(source, max_source_chars)
        summaries = []
        reference = next((p.reference for preds in by_system.values() if (p := preds.get(doc_id)) and p.reference),
                         None)
        if reference:
            summaries.append(f"<h4>reference</h4><div class=\"summary\">"
                             f"{html.escape(''.join(_shown(reference, MAX_SHOWN_SUMMARY_CHARS)))}</div>")
        for name, preds in by_system.items():
            pred = preds.get(doc_id)
            if pred is None:
                continue
            prediction, cut = _shown(pred.prediction, MAX_SHOWN_SUMMARY_CHARS)
            summaries.append(f"<h4>{html.escape(name)}</h4><div class=\"summary\">"
                             f"{highlight_unsupported(prediction, pred.source)}{html.escape(cut)}</div>"
                             f"{claims_html(prediction, pred.source, pred.company)}")
        parts.append(f"<h3>{html.escape(doc_id)}</h3><div class=\"example\"><div class=\"source\">"
                     f"{html.escape(shown + more)}</div><div class=\"summaries\">{''.join(summaries)}</div></div>")
    return "".join(parts) or "<p>No predictions attached to this report.</p>"


def render_html(report: Report, *, examples: int = 5, max_source_chars: int = 30_000) -> str:
    metrics = shown_metrics(report)
    summary_rows = [[html.escape(name), str(r.counts.get("documents", 0))]
                    + [html.escape(metric_cell(r, m)) for m in metrics]
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
            row.extend(html.escape(format_value(values.get(m), m)) for m in doc_metrics)
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
