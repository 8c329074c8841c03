"""Every metric for one summary (`score_document`): ROUGE, length, form, repetition, text defects, aspects,
the figure and claim checks against the source, names, novelty and the optional NLI consistency."""

from __future__ import annotations

from typing import Any

from filingsum.core.tokens import token_count
from filingsum.quality.claims import check_claims
from filingsum.quality.factual import entity_precision, nli_consistency
from filingsum.quality.metrics.content import aspect_coverage, novel_ngram_ratio
from filingsum.quality.metrics.form import is_prose, within_limit
from filingsum.quality.metrics.registry import MetricValue
from filingsum.quality.metrics.repetition import has_loop, repeated_ngram_rate
from filingsum.quality.metrics.rouge import rouge_scores
from filingsum.quality.numbers import check_numbers
from filingsum.quality.textdefects import meta_statement_rate, repeated_sentence_rate, self_denial_rate

# ~25k tokens, 50x the summary limit: beyond it a "summary" is a runaway generation, and sentence splitting
# and LCS on megabytes would stall a run for one document.
MAX_SCORED_CHARS = 100_000


def score_document(
    prediction: str,
    source: str,
    reference: str | None = None,
    *,
    tokenizer: Any = None,
    n_tokens: int | None = None,
    max_summary_tokens: int,
    nli_model: str | None = None,
    company: str | None = None,
) -> dict[str, MetricValue]:
    """Every metric for one summary. Give `n_tokens` (batch-counted) or a `tokenizer` to count with;
    ``max_summary_tokens``
    is the run's summary cap (`RunConfig.max_summary_tokens`) for ``within_limit``; ``company`` is the filer's name
    for the claim checks (`check_claims`).

    A runaway prediction is scored on its first MAX_SCORED_CHARS characters (its token count is the whole).
    """
    if n_tokens is None:
        if tokenizer is None:
            raise ValueError("score_document needs the model's tokenizer (or n_tokens) to count summary tokens")
        n_tokens = token_count(prediction, tokenizer)
    prediction = prediction[:MAX_SCORED_CHARS]
    if reference is not None:
        reference = reference[:MAX_SCORED_CHARS]
    row: dict[str, MetricValue] = dict(rouge_scores(prediction, reference))
    empty = not prediction.strip()
    numbers = check_numbers(prediction, source)
    claims = check_claims(prediction, source, company)
    row.update(
        tokens=n_tokens,
        within_limit=not empty and within_limit(n_tokens, max_summary_tokens),
             # no summary is not a summary within limit
        is_prose=is_prose(prediction),
        repetition=repeated_ngram_rate(prediction),
        loop=has_loop(prediction),
        meta_statement_rate=meta_statement_rate(prediction),
        self_denial_rate=self_denial_rate(prediction),
        repeated_sentence_rate=repeated_sentence_rate(prediction),
        states_figure=numbers.total > 0,
        aspect_coverage=aspect_coverage(prediction),
        number_precision=numbers.precision,
        claim_support_rate=claims.support_rate,
        contradiction_rate=claims.contradiction_rate,
        unsupported_sentence_rate=claims.unsupported_sentence_rate,
        number_contradiction_rate=len(numbers.contradicted) / numbers.total if numbers.total else None,
        supported_numbers=len(numbers.supported),
        contradicted_numbers=len(numbers.contradicted),
        unverifiable_numbers=len(numbers.unverifiable),
        entity_precision=entity_precision(prediction, source),
        novel_ngram_ratio=novel_ngram_ratio(prediction, source),
    )
    if nli_model:
        row["nli_consistency"] = nli_consistency(prediction, source, nli_model)
    row["empty"] = empty
    return row
