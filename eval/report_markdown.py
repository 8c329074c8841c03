"""report.md: the CI/PR view of an eval report: the systems table, figures and claims per document, the gates."""

from __future__ import annotations

from filingsum.eval.gates import GateOutcome
from filingsum.eval.report_cells import (
    CLAIM_METRICS,
    FIGURE_COUNTS,
    format_value,
    markdown_cell,
    metric_cell,
    shown_metrics,
)
from filingsum.eval.report_model import Report


def render_markdown(report: Report) -> str:
    metrics = shown_metrics(report)
    n_docs = max((r.counts.get("documents", 0) for r in report.systems.values()), default=0)
    limit = report.config.get("max_summary_tokens", report.config.get("token_limit"))  # older reports
    lines = ["# filingsum eval report", ""]
    lines.append(f"Created {report.created}; {len(report.systems)} systems; up to {n_docs} documents"
                 + (f"; token limit {limit}." if limit else "."))
    lines.append("")
    lines.append("| system | docs | " + " | ".join(metrics) + " |")
    lines.append("|---|---:|" + "---:|" * len(metrics))
    for name, result in report.systems.items():
        cells = [metric_cell(result, m) for m in metrics]
        lines.append(f"| {markdown_cell(name)} | {result.counts.get('documents', 0)} | " + " | ".join(cells) + " |")
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
                lines.append(f"| {markdown_cell(name)} | {markdown_cell(doc_id)} | – | – | – | "
                             f"failed: {markdown_cell(str(row['error'])[:80])} |")
                continue
            cells = [format_value(row.get(m), "tokens_max") for m in FIGURE_COUNTS]
            lines.append(f"| {markdown_cell(name)} | {markdown_cell(doc_id)} | " + " | ".join(cells) + f" | "
                         f"{format_value(row.get('number_precision'), 'number_precision')} |")
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
            cells = [format_value(row.get(m), m) for m in CLAIM_METRICS]
            lines.append(f"| {markdown_cell(name)} | {markdown_cell(doc_id)} | " + " | ".join(cells) + " |")
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
