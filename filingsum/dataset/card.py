"""The dataset card: what was built, from what, and what was left out and why (JSON + Markdown)."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from filingsum.core.config import RunConfig
from filingsum.core.schema import SPLITS, FilingRecord


def card_config(config: RunConfig) -> dict[str, Any]:
    """The config as the card records it: without data.workers, which changes how fast, never what is built, and
    with every credential in it masked (a teacher URL's, eval.endpoint's: core.redact)."""
    from filingsum.core.redact import redact_values

    return redact_values(config.model_dump(mode="json", exclude={"data": {"workers"}}))


def length_stats(values: Sequence[int]) -> dict[str, float | int | None]:
    """min / mean / p50 / p95 / max (nearest-rank percentiles); None everywhere for no values."""
    if not values:
        return {"count": 0, "min": None, "mean": None, "p50": None, "p95": None, "max": None}
    ordered = sorted(values)

    def rank(q: float) -> int:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return {
        "count": len(ordered),
        "min": ordered[0],
        "mean": round(statistics.fmean(ordered), 1),
        "p50": rank(0.5),
        "p95": rank(0.95),
        "max": ordered[-1],
    }


def build_card(
    *,
    records: Sequence[FilingRecord],
    label_tokens: Callable[[FilingRecord], int],
    drops: Sequence[dict[str, str]],
    skipped: Sequence[dict[str, str]],
    warnings: Sequence[str],
    config: dict[str, Any],
    inputs: Sequence[str],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    splits = {name: sum(1 for r in records if r.split == name) for name in SPLITS}
    companies = {
        name: sorted({r.company for r in records if r.split == name}) for name in SPLITS
    }
    drop_reasons = Counter(f"{d['stage']}: {d['reason'].split(':')[0]}" for d in drops)
    record_warnings = [
        {"id": r.id, "source_path": r.source_path, "warning": w} for r in records for w in r.warnings
    ]
    return {
        "records": len(records),
        "splits": splits,
        "empty_splits": [name for name, n in splits.items() if n == 0],
        "companies": companies,
        "inputs": len(inputs),
        "token_lengths": {
            "text": length_stats([r.token_count for r in records]),
            "label": length_stats([label_tokens(r) for r in records]),
        },
        "kept_ratio": length_stats([round(r.kept_ratio * 100) for r in records]) | {"unit": "percent"},
        "reference_origins": dict(Counter(r.reference_origin for r in records)),
        "sections": dict(Counter(r.section for r in records)),
        "forms": dict(Counter(r.form for r in records)),
        "drops": list(drops),
        "drop_reasons": dict(drop_reasons),
        "skipped_files": list(skipped),
        "warnings": list(warnings),
        "record_warnings": record_warnings,
        "config": config,
        **(extra or {}),
    }


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_card_markdown(card: dict[str, Any], title: str = "filingsum dataset") -> str:
    lines = [f"# {title}", ""]
    lines.append(
        f"{card['records']} records from {card['inputs']} input file(s); "
        f"{len(card['skipped_files'])} file(s) skipped, {len(card['drops'])} record(s) dropped."
    )
    lines += ["", "## Splits (by company)", "", "| split | records | companies |", "|---|---:|---|"]
    for name in SPLITS:
        lines.append(f"| {name} | {card['splits'][name]} | {_cell(', '.join(card['companies'][name]) or '-')} |")
    if card["empty_splits"]:
        lines += ["", f"Empty splits: {', '.join(card['empty_splits'])}."]
    lines += ["", "## Token lengths (model tokenizer)", "", "| | count | min | mean | p50 | p95 | max |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for name, stats in card["token_lengths"].items():
        cells = " | ".join("-" if stats[k] is None else str(stats[k])
                           for k in ("count", "min", "mean", "p50", "p95", "max"))
        lines.append(f"| {name} | {cells} |")
    kept = card["kept_ratio"]
    if kept["count"]:
        lines += ["", f"Share of each section kept by context fitting: mean {kept['mean']}%, min {kept['min']}%."]
    lines += ["", "## Reference origins", ""]
    lines += [f"- {origin}: {n}" for origin, n in sorted(card["reference_origins"].items())] or ["- none"]
    lines += ["", "## Skipped files", ""]
    if card["skipped_files"]:
        lines += ["| file | reason |", "|---|---|"]
        lines += [f"| {_cell(s['path'])} | {_cell(s['reason'])} |" for s in card["skipped_files"]]
    else:
        lines.append("None.")
    lines += ["", "## Dropped records", ""]
    if card["drops"]:
        lines += ["| id | stage | reason |", "|---|---|---|"]
        lines += [f"| {_cell(d['id'])} | {d['stage']} | {_cell(d['reason'])} |" for d in card["drops"]]
    else:
        lines.append("None.")
    lines += ["", "## Warnings", ""]
    all_warnings = [f"- {w}" for w in card["warnings"]]
    all_warnings += [f"- {_cell(w['id'])}: {_cell(w['warning'])}" for w in card["record_warnings"]]
    lines += all_warnings or ["None."]
    lines += ["", "## Config", "", "```yaml"]
    import yaml

    lines += [yaml.safe_dump(card["config"], sort_keys=False).rstrip(), "```", ""]
    return "\n".join(lines)
