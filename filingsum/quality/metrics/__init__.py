"""Per-document summary metrics: small pure functions under stable names (like HF `evaluate` metrics).

A metric that is undefined for a document (no reference for ROUGE, no figure for number_precision) is
None, never 0; aggregates average the defined values and report how many there were.

Figures: `number_precision` is supported / all figures; `contradicted_numbers` counts figures the source
contradicts (same figure with the opposite sign or direction, or the same metric with only other values), and
`number_contradiction_rate` is their share; `supported_numbers` and `unverifiable_numbers` complete the split.

The package, one job a module:

- registry: `METRICS`, each metric's name, better direction, description and value for a failed document;
- rouge: ROUGE-1/2/L/Lsum against the reference, as rouge_score computes it (`rouge_scores`);
- form: fits the token cap (`within_limit`), continuous prose (`prose_violations`, `is_prose`);
- repetition: repeated word n-grams, loops (`has_loop`, `loop_start`);
- content: business-model aspects covered, word n-grams absent from the source;
- document: every metric for one summary (`score_document`).
"""

from filingsum.quality.metrics.content import aspect_coverage, novel_ngram_ratio
from filingsum.quality.metrics.document import MAX_SCORED_CHARS, score_document
from filingsum.quality.metrics.form import ProseViolation, is_prose, prose_violations, within_limit
from filingsum.quality.metrics.registry import METRICS, MetricInfo, MetricValue
from filingsum.quality.metrics.repetition import has_loop, loop_start, repeated_ngram_rate
from filingsum.quality.metrics.rouge import ROUGE_TYPES, ROUGE_VARIANTS, lcs_length, rouge_scores, sentences_for_rouge

__all__ = [
    "MAX_SCORED_CHARS",
    "METRICS",
    "ROUGE_TYPES",
    "ROUGE_VARIANTS",
    "MetricInfo",
    "MetricValue",
    "ProseViolation",
    "aspect_coverage",
    "has_loop",
    "is_prose",
    "lcs_length",
    "loop_start",
    "novel_ngram_ratio",
    "prose_violations",
    "repeated_ngram_rate",
    "rouge_scores",
    "score_document",
    "sentences_for_rouge",
    "within_limit",
]

# The worked examples in the metrics' docstrings, for doctest.testmod(filingsum.quality.metrics): doctest
# looks only at functions defined in the module it is given, and these are defined in its submodules.
__test__ = {"rouge_scores": rouge_scores, "loop_start": loop_start}
