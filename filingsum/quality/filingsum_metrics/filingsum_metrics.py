"""filingsum's summary metrics as an `evaluate` metric module, loadable offline by path.

    import evaluate
    from filingsum.quality import EVALUATE_METRIC_PATH
    metric = evaluate.load(EVALUATE_METRIC_PATH)         # no Hub access: a local script
    metric.compute(predictions=[...], references=[...], sources=[...])

Every per-document metric of `filingsum.quality.metrics.score_document` (ROUGE as rouge_score computes it,
the token limit, prose, loops, meta statements, self-denials, aspect coverage, figure and name precision,
claim-level support) averaged over the documents where it is defined, with ``<metric>_n`` the number of such
documents. ``sources`` (the filing text each summary was written from) is needed for the faithfulness
metrics; without it they are undefined (None). Token counts use ``tokenizer`` (a model spec, default the
embedded SmolLM2).
"""

from __future__ import annotations

import datasets
import evaluate

_DESCRIPTION = __doc__
_KWARGS = """
Args:
    predictions: list of generated summaries.
    references: list of reference summaries.
    sources: optional list of source texts (the filing each summary was written from).
    max_summary_tokens: the summary token cap for within_limit (default: the config's model.max_summary_tokens).
    tokenizer: model spec whose tokenizer counts summary tokens (default embedded:smollm2-135m-instruct).
Returns:
    dict: metric -> mean over the documents where it is defined, and metric_n -> that number of documents.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class FilingsumMetrics(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="", inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
            reference_urls=["https://github.com/google-research/google-research/tree/master/rouge"],
        )

    def _compute(self, predictions, references, sources=None, max_summary_tokens: int | None = None,
                 tokenizer: str = "embedded:smollm2-135m-instruct") -> dict:
        from filingsum.core.config import RunConfig
        from filingsum.core.models import load_tokenizer

        max_summary_tokens = max_summary_tokens or RunConfig().max_summary_tokens()  # the project's one cap resolver
        from filingsum.quality.metrics import METRICS, score_document

        tok = load_tokenizer(tokenizer)
        sources = list(sources) if sources is not None else [""] * len(predictions)
        if len(sources) != len(predictions):
            raise ValueError(f"{len(sources)} sources for {len(predictions)} predictions")
        rows = [score_document(p, s, r, tokenizer=tok, max_summary_tokens=max_summary_tokens)
                for p, r, s in zip(predictions, references, sources)]
        out: dict[str, float | int | None] = {}
        for name in METRICS:
            if not any(name in row for row in rows):
                continue  # aggregate-only or optional metrics (nli_consistency)
            unsourced = name in _NEEDS_SOURCE and not any(sources)
            values = [] if unsourced else [float(row[name]) for row in rows if row.get(name) is not None]
            out[name] = sum(values) / len(values) if values else None
            out[f"{name}_n"] = len(values)
        return out


_NEEDS_SOURCE = frozenset({
    "number_precision", "number_contradiction_rate", "supported_numbers", "contradicted_numbers",
    "unverifiable_numbers", "entity_precision", "novel_ngram_ratio", "claim_support_rate", "contradiction_rate",
    "unsupported_sentence_rate",
})
