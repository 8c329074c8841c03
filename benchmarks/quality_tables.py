"""The quality benchmark's statistics and tables (benchmarks/bench_quality.py): each metric's mean with its 95%
bootstrap interval over documents, the validation table of candidate inputs, and the documents with a defect
(loop, meta statement, self-denial, repeated sentence) per system.
"""

from __future__ import annotations

import random

BOOTSTRAP_SAMPLES = 2000
TABLE_METRICS = (
    "rougeL", "rouge1", "rouge2", "loop", "meta_statement_rate", "self_denial_rate", "repeated_sentence_rate",
    "within_limit", "is_prose", "states_figure", "number_precision", "entity_precision", "claim_support_rate",
    "contradiction_rate", "unsupported_sentence_rate", "novel_ngram_ratio", "aspect_coverage", "repetition",
    "tokens",
)


def bootstrap_interval(values: list[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean over documents."""
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choice(values) for _ in range(n)) / n for _ in range(samples))
    return means[int(0.025 * samples)], means[min(samples - 1, int(0.975 * samples))]


def metric_table(report) -> tuple[dict, str]:
    """Per system and metric: mean, 95% interval, documents defined on; and the Markdown table."""
    stats: dict[str, dict[str, dict]] = {}
    for name, result in report.systems.items():
        stats[name] = {}
        for metric in TABLE_METRICS:
            values = [float(row[metric]) for row in result.per_document.values()
                      if isinstance(row.get(metric), (int, float, bool)) and row.get(metric) is not None]
            if not values:
                stats[name][metric] = {"mean": None, "ci95": None, "n": 0, "of": len(result.per_document)}
                continue
            stats[name][metric] = {"mean": sum(values) / len(values), "ci95": bootstrap_interval(values),
                                   "n": len(values), "of": len(result.per_document)}
    systems = list(stats)
    lines = ["| metric | " + " | ".join(systems) + " |", "|---" * (len(systems) + 1) + "|"]
    for metric in TABLE_METRICS:
        cells = []
        for name in systems:
            s = stats[name][metric]
            if s["mean"] is None:
                cells.append(f"n/a (0/{s['of']})")
            else:
                lo, hi = s["ci95"]
                fmt = "{:.0f}" if metric == "tokens" else "{:.3f}"
                cells.append(f"{fmt.format(s['mean'])} [{fmt.format(lo)}, {fmt.format(hi)}] ({s['n']}/{s['of']})")
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    return stats, "\n".join(lines)


def inputs_markdown(trials: dict[str, dict], chosen: str) -> str:
    metrics = list(next(iter(trials.values())))
    lines = ["validation, through serve + summarize (whole-section references):", "",
             "| input | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
    for name, means in trials.items():
        mark = " (chosen)" if name == chosen else ""
        lines.append(f"| {name}{mark} | " + " | ".join(f"{means[m]:.3f}" for m in metrics) + " |")
    return "\n".join(lines)


def defect_listing(report) -> dict[str, dict[str, list[str]]]:
    """Per system: the documents with a loop, a meta statement, a self-denial or a repeated sentence."""
    listing: dict[str, dict[str, list[str]]] = {}
    for name, result in report.systems.items():
        found: dict[str, list[str]] = {"loop": [], "meta_statement_rate": [], "self_denial_rate": [],
                                       "repeated_sentence_rate": []}
        for doc_id, row in result.per_document.items():
            for metric in found:
                if row.get(metric):
                    found[metric].append(doc_id)
        listing[name] = found
    return listing


def defects_markdown(listing: dict[str, dict[str, list[str]]]) -> str:
    lines = ["| system | loops | meta statements | self-denials | repeated sentences |", "|---|---|---|---|---|"]
    for name, found in listing.items():
        cells = [f"{len(v)}: {', '.join(v)}" if v else "0" for v in found.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
