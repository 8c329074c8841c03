"""The metric registry: every per-document metric's name, better direction, description and the value a
failed document counts as (`METRICS`), and the type of a metric's value."""

from __future__ import annotations

from dataclasses import dataclass

MetricValue = float | int | bool | None


@dataclass(frozen=True)
class MetricInfo:
    name: str
    higher_is_better: bool | None  # None: no better direction (token count)
    description: str
    # The value a failed document (no prediction, scoring error, empty summary) counts as in the aggregate,
    # so that failures count against every gate; None: failures are not counted for this metric (counts).
    worst: float | None = None


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("rouge1", True, "ROUGE-1 F1 against the reference (stemmed, rouge_score on raw text)", 0.0),
        MetricInfo("rouge2", True, "ROUGE-2 F1 against the reference (stemmed, rouge_score on raw text)", 0.0),
        MetricInfo("rougeL", True, "ROUGE-L F1 (longest common subsequence, rouge_score)", 0.0),
        MetricInfo("rougeLsum", True, "ROUGE-Lsum F1, sentences split at newlines (as rouge_score/evaluate)", 0.0),
        MetricInfo("rougeLsum_split", True, "ROUGE-Lsum F1 after sentence splitting (papers' variant)", 0.0),
        MetricInfo("tokens", None, "summary length in the model tokenizer's tokens"),
        MetricInfo("tokens_max", None, "longest summary in tokens (aggregate only)"),
        MetricInfo("within_limit", True, "a summary was written and fits the token limit (share of documents)", 0.0),
        MetricInfo("is_prose", True, "continuous prose: no bullets, numbered lists, headings or tables", 0.0),
        MetricInfo("repetition", False, "share of duplicate word 4-grams", 1.0),
        MetricInfo("loop", False, "a word span repeated 3+ times in a row (degenerate generation)", 1.0),
        MetricInfo("meta_statement_rate", False,
                   "share of sentences about the text rather than the company ('this excerpt', 'does not "
                   "describe')", 1.0),
        MetricInfo("self_denial_rate", False, "share of sentences denying what the summary states elsewhere", 1.0),
        MetricInfo("repeated_sentence_rate", False, "share of sentences repeating an earlier sentence", 1.0),
        MetricInfo("states_figure", True, "the summary states at least one figure (share of documents)", 0.0),
        MetricInfo("aspect_coverage", True, "share of the five business-model aspects covered", 0.0),
        MetricInfo("number_precision", True, "share of the summary's figures the source supports", 0.0),
        MetricInfo("number_contradiction_rate", False, "share of the summary's figures the source contradicts",
                   1.0),
        MetricInfo("claim_support_rate", True,
                   "share of the summary's claims an aligned source sentence or table row supports", 0.0),
        MetricInfo("contradiction_rate", False,
                   "share of claims the aligned source contradicts (other value, direction, period, segment, "
                   "negation, role, vague quantity or count)", 1.0),
        MetricInfo("unsupported_sentence_rate", False,
                   "share of summary sentences with a claim the source does not support", 1.0),
        MetricInfo("supported_numbers", None, "figures the source supports (count)"),
        MetricInfo("contradicted_numbers", False, "figures the source contradicts: other value or direction"),
        MetricInfo("unverifiable_numbers", False, "figures the source neither supports nor contradicts (count)"),
        MetricInfo("entity_precision", True, "share of the summary's names found in the source (case-aware)", 0.0),
        MetricInfo("novel_ngram_ratio", False, "share of summary word trigrams absent from the source", 1.0),
        MetricInfo("nli_consistency", True, "mean entailment probability of summary sentences (optional)", 0.0),
        MetricInfo("empty", False, "the system returned no summary", 1.0),
        MetricInfo("scored_fraction", True, "share of documents with a summary that was scored (aggregate only)"),
    )
}
