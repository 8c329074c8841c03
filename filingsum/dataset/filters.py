"""Quality filters on the labels: drop pairs a model should not learn from, with the reason.

Checks (the eval's own definitions, so the data is filtered by what it is later scored on):
- no reference at all (every source failed);
- empty, shorter than ``min_label_chars``, or truncated (teacher ``finish_reason == "length"``, or no final
  sentence punctuation);
- over ``max_summary_tokens`` with the model's tokenizer;
- not continuous prose (bullets, numbered lists, headings, tables: `eval.metrics.prose_violations`);
- figures the source does not support (`eval.factual.unsupported_numbers`). Gold labels are written by people
  from the whole section, which context fitting may have shortened: for them an unsupported figure is a
  record warning, not a drop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

from filingsum.core.config import FilterConfig
from filingsum.core.schema import FilingRecord

CountTokens = Callable[[str], int]
_FINAL_PUNCTUATION = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")


@dataclass(frozen=True)
class Drop:
    """A record left out of the dataset, at which stage and why."""

    id: str
    source_path: str
    stage: str  # dedup, reference, filter
    reason: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class LabelCheck:
    drop_reason: str | None
    warnings: tuple[str, ...] = ()


def check_label(
    label: str | None,
    source: str,
    *,
    count_tokens: CountTokens,
    config: FilterConfig,
    max_summary_tokens: int,
    origin: str = "teacher",
    finish_reason: str | None = None,
) -> LabelCheck:
    """Why a (label, source) pair should be dropped (None to keep it), plus warnings for kept ones; a label
    over ``max_summary_tokens`` (the run's summary cap, `RunConfig.max_summary_tokens`) is dropped."""
    text = (label or "").strip()
    if not text:
        return LabelCheck("empty label")
    if finish_reason == "length":
        return LabelCheck("truncated label: the teacher hit max_tokens (finish_reason=length)")
    if not _FINAL_PUNCTUATION.search(text):
        return LabelCheck(f"truncated label: no final sentence punctuation (ends {text[-30:]!r})")
    if len(text) < config.min_label_chars:
        return LabelCheck(f"label too short: {len(text)} characters < min_label_chars {config.min_label_chars}")
    tokens = count_tokens(text)
    if tokens > max_summary_tokens:
        return LabelCheck(f"label too long: {tokens} tokens > max_summary_tokens {max_summary_tokens}")
    if config.drop_non_prose:
        from filingsum.quality.metrics import prose_violations

        violations = prose_violations(text)
        if violations:
            first = violations[0]
            return LabelCheck(
                f"label is not continuous prose: {len(violations)} {first.kind} line(s), e.g. line "
                f"{first.line} {first.text[:60]!r}"
            )
    warnings: list[str] = []
    if config.drop_unsupported_numbers:
        from filingsum.quality.factual import unsupported_numbers

        unsupported = [span[2] for span in unsupported_numbers(text, source)]
        if unsupported:
            shown = ", ".join(repr(u) for u in unsupported[:5])
            message = f"label states {len(unsupported)} figure(s) absent from the source: {shown}"
            if origin != "gold":
                return LabelCheck(message)
            warnings.append(f"gold {message} (kept: gold labels are trusted)")
    return LabelCheck(None, tuple(warnings))


def filter_records(
    records: Sequence[FilingRecord],
    *,
    count_tokens: CountTokens,
    config: FilterConfig,
    max_summary_tokens: int,
    finish_reasons: Mapping[str, str | None] | None = None,
    reference_errors: Mapping[str, Sequence[str]] | None = None,
) -> tuple[list[FilingRecord], list[Drop]]:
    """Kept records (with any filter warnings added) and the drops with reasons."""
    kept: list[FilingRecord] = []
    drops: list[Drop] = []
    for record in records:
        if record.reference is None:
            errors = list((reference_errors or {}).get(record.id, ()))
            reason = "no reference: " + ("; ".join(errors) if errors else "no reference source matched")
            drops.append(Drop(record.id, record.source_path, "reference", reason))
            continue
        check = check_label(
            record.reference,
            record.text,
            count_tokens=count_tokens,
            config=config,
            max_summary_tokens=max_summary_tokens,
            origin=record.reference_origin,
            finish_reason=(finish_reasons or {}).get(record.id),
        )
        if check.drop_reason:
            drops.append(
                Drop(record.id, record.source_path, "filter", f"{record.reference_origin} {check.drop_reason}")
            )
            continue
        if check.warnings:
            record = record.model_copy(update={"warnings": [*record.warnings, *check.warnings]})
        kept.append(record)
    return kept, drops
