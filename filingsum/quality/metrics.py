"""Per-document summary metrics: small pure functions under stable names (like HF `evaluate` metrics).

A metric that is undefined for a document (no reference for ROUGE, no figure for number_precision) is
None, never 0; aggregates average the defined values and report how many there were.

ROUGE (rouge1, rouge2, rougeL, rougeLsum) gives the numbers of `rouge_score.rouge_scorer.RougeScorer(types,
use_stemmer=True).score(reference, prediction)` on the raw strings, which is what
`evaluate.load("rouge").compute(predictions, references, use_stemmer=True, use_aggregator=False)` returns per
document (evaluate's "rouge" is a script on the Hub that wraps rouge_score, and cannot be fetched offline).
Like the library, rougeLsum splits sentences at newlines only: a one-paragraph summary is one "sentence".
`rougeLsum_split` is the variant most summarization papers report: sentences split first (the project's one
splitter, `filingsum.core.text.split_sentences`, which knows filing abbreviations), then rouge_score's
summary-level LCS. The n-gram counts and the LCS table are computed
here (the LCS bit-parallel, ~20x faster) and tests compare them with rouge_score on 400+ random raw pairs.

Figures: `number_precision` is supported / all figures; `contradicted_numbers` counts figures the source
contradicts (same figure with the opposite sign or direction, or the same metric with only other values), and
`number_contradiction_rate` is their share; `supported_numbers` and `unverifiable_numbers` complete the split.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nltk.stem import porter
from rouge_score import scoring
from rouge_score import tokenize as rouge_tokenize

from filingsum.core.aspects import ASPECTS, aspects_found
from filingsum.core.text import split_sentences
from filingsum.core.tokens import token_count
from filingsum.quality.claims import check_claims
from filingsum.quality.factual import entity_precision, nli_consistency
from filingsum.quality.numbers import check_numbers
from filingsum.quality.textdefects import meta_statement_rate, repeated_sentence_rate, self_denial_rate

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
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
ROUGE_VARIANTS = (*ROUGE_TYPES, "rougeLsum_split")


# --- ROUGE -------------------------------------------------------------------------------------------------

class _CachedStemmer:
    """rouge_score's Porter stemmer with a memo: filings repeat their vocabulary."""

    def __init__(self) -> None:
        self.stem = lru_cache(maxsize=200_000)(porter.PorterStemmer().stem)


_STEMMER = _CachedStemmer()


def sentences_for_rouge(text: str) -> str:
    """One sentence a line, the form rougeLsum expects (every line break ends a sentence)."""
    return "\n".join(split_sentences(text, line_breaks=True))


@lru_cache(maxsize=4096)
def _rouge_tokens(text: str) -> tuple[str, ...]:
    return tuple(rouge_tokenize.tokenize(text, _STEMMER))


def _lcs_rows(ref: tuple[str, ...], can: tuple[str, ...], keep_rows: bool) -> list[int]:
    """Rows of the LCS table as bit vectors (Hyyrö 2004): row i's value at column j is the number of zero
    bits of rows[i] below bit j. One big-int step per reference token instead of a Python loop per cell."""
    masks: dict[str, int] = {}
    for j, token in enumerate(can):
        masks[token] = masks.get(token, 0) | (1 << j)
    full = (1 << len(can)) - 1
    v = full
    rows = [v]
    for token in ref:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
        if keep_rows:
            rows.append(v)
    return rows if keep_rows else [v]


def lcs_length(ref: tuple[str, ...], can: tuple[str, ...]) -> int:
    if not ref or not can:
        return 0
    return len(can) - _lcs_rows(ref, can, keep_rows=False)[-1].bit_count()


def _lcs_indices(ref: tuple[str, ...], can: tuple[str, ...]) -> list[int]:
    """Reference indices of one LCS, read out exactly as rouge_score's _backtrack_norec does."""
    rows = _lcs_rows(ref, can, keep_rows=True)

    def table(i: int, j: int) -> int:
        return j - (rows[i] & ((1 << j) - 1)).bit_count()

    i, j = len(ref), len(can)
    out: list[int] = []
    while i > 0 and j > 0:
        if ref[i - 1] == can[j - 1]:
            out.append(i - 1)
            i -= 1
            j -= 1
        elif table(i, j - 1) > table(i - 1, j):
            j -= 1
        else:
            i -= 1
    return out


def _summary_level_lcs(ref_sents: list[tuple[str, ...]], can_sents: list[tuple[str, ...]]) -> float:
    """rouge_score's _summary_level_lcs (ROUGE 1.5.5 union LCS with the same double-count guard), F1."""
    m = sum(map(len, ref_sents))
    n = sum(map(len, can_sents))
    if not m or not n:
        return 0.0
    counts_r: Counter[str] = Counter()
    counts_c: Counter[str] = Counter()
    for s in ref_sents:
        counts_r.update(s)
    for s in can_sents:
        counts_c.update(s)
    hits = 0
    for r in ref_sents:
        union: set[int] = set()
        for c in can_sents:
            if c and r and not set(r).isdisjoint(c):
                union.update(_lcs_indices(r, c))
        for t in (r[i] for i in sorted(union)):
            if counts_c[t] > 0 and counts_r[t] > 0:
                hits += 1
                counts_c[t] -= 1
                counts_r[t] -= 1
    return scoring.fmeasure(hits / n, hits / m)


def _ngrams(tokens: tuple[str, ...], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _ngram_f1(ref: tuple[str, ...], pred: tuple[str, ...], n: int) -> float:
    """rouge_score's n-gram F1: clipped overlap counts over prediction and reference n-grams."""
    ref_grams, pred_grams = _ngrams(ref, n), _ngrams(pred, n)
    overlap = sum((ref_grams & pred_grams).values())
    ref_total, pred_total = sum(ref_grams.values()), sum(pred_grams.values())
    precision = overlap / max(pred_total, 1)
    recall = overlap / max(ref_total, 1)
    return scoring.fmeasure(precision, recall)


def _newline_sentences(text: str) -> list[tuple[str, ...]]:
    """rouge_score's rougeLsum sentences: the non-empty lines, tokenized."""
    return [_rouge_tokens(line) for line in text.split("\n") if line]


def rouge_scores(prediction: str, reference: str | None) -> dict[str, float | None]:
    """ROUGE-1/2/L/Lsum F1 as rouge_score gives them on these raw strings (use_stemmer=True), plus
    rougeLsum_split (sentences split first); all None without a reference.

    >>> {k: round(v, 3) for k, v in rouge_scores("the cat sat on the mat", "the cat lay on the mat").items()}
    {'rouge1': 0.833, 'rouge2': 0.6, 'rougeL': 0.833, 'rougeLsum': 0.833, 'rougeLsum_split': 0.833}
    """
    if reference is None:
        return dict.fromkeys(ROUGE_VARIANTS)
    pred = _rouge_tokens(prediction)
    ref = _rouge_tokens(reference)
    out: dict[str, float | None] = {}
    for n in (1, 2):
        out[f"rouge{n}"] = _ngram_f1(ref, pred, n)
    lcs = lcs_length(ref, pred)
    out["rougeL"] = scoring.fmeasure(lcs / len(pred), lcs / len(ref)) if pred and ref else 0.0
    ref_lines, pred_lines = _newline_sentences(reference), _newline_sentences(prediction)
    out["rougeLsum"] = _summary_level_lcs(ref_lines, pred_lines) if ref_lines and pred_lines else 0.0
    ref_sents = [_rouge_tokens(s) for s in split_sentences(reference, line_breaks=True)]
    pred_sents = [_rouge_tokens(s) for s in split_sentences(prediction, line_breaks=True)]
    out["rougeLsum_split"] = _summary_level_lcs(ref_sents, pred_sents) if ref_sents and pred_sents else 0.0
    return out


# --- length ------------------------------------------------------------------------------------------------

def within_limit(n_tokens: int, limit: int) -> bool:
    """Whether a summary of ``n_tokens`` fits the run's summary cap ``limit``."""
    return n_tokens <= limit


# --- form --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProseViolation:
    line: int  # 1-based
    kind: str  # bullet, numbered_list, heading, title_line, table, markdown
    text: str


_BULLET = re.compile(r"^\s*[-*\u2022\u25cf\u25aa\u25e6\u2023\u00b7\u2013\u2014+>]\s+")
_NUMBERED = re.compile(r"^\s*\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\s+")
_MD_HEADING = re.compile(r"^\s*#{1,6}(?:\s|$)")
_BOLD_LINE = re.compile(r"^\s*(?:\*\*|__).+(?:\*\*|__)\s*:?\s*$")
_TABLE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$|\|.*\|")
_MD_INLINE = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__|^\s*```")
_TITLE_MAX_WORDS = 8


def prose_violations(text: str) -> list[ProseViolation]:
    """Lines that break continuous prose: bullets, numbered lists, headings, title lines, tables, markdown."""
    lines = text.splitlines()
    non_empty = [ln for ln in lines if ln.strip()]
    found: list[ProseViolation] = []
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped:
            continue
        kind = None
        if _TABLE.search(line):
            kind = "table"
        elif _MD_HEADING.match(line) or _BOLD_LINE.match(line):
            kind = "heading"
        elif _BULLET.match(line):
            kind = "bullet"
        elif _NUMBERED.match(line):
            kind = "numbered_list"
        elif len(stripped.split()) <= _TITLE_MAX_WORDS and (
            stripped.endswith(":") or (len(non_empty) > 1 and not re.search(r"[.!?\"'\u201d)\]]$", stripped))
        ):
            kind = "title_line"
        elif _MD_INLINE.search(line):
            kind = "markdown"
        if kind:
            found.append(ProseViolation(number, kind, stripped[:120]))
    return found


def is_prose(text: str) -> bool:
    """Continuous text: something written, and no list, heading, table or markdown line."""
    return bool(text.strip()) and not prose_violations(text)


# --- repetition --------------------------------------------------------------------------------------------

_WORDS = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def repeated_ngram_rate(text: str, n: int = 4) -> float | None:
    """Share of word n-grams that repeat an earlier one (0 for no repetition); None if shorter than n."""
    words = _words(text)
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return None
    return 1.0 - len(set(grams)) / len(grams)


def has_loop(text: str, min_repeats: int = 3, max_span: int = 60, max_words: int = 5_000) -> bool:
    """Whether some span of 1..max_span words is repeated min_repeats or more times back to back (within
    the first max_words words: a summary is ~400; a runaway generation loops early)."""
    return loop_start(text, min_repeats, max_span, max_words) is not None


def loop_start(text: str, min_repeats: int = 3, max_span: int = 60, max_words: int = 5_000) -> int | None:
    """Character offset where the earliest back-to-back repetition (``has_loop``) begins; None without one.

    >>> text = "It sells pumps. It earns fees, earns fees, earns fees, earns fees."
    >>> text[loop_start(text):]
    'earns fees, earns fees, earns fees, earns fees.'
    """
    matches = list(_WORDS.finditer(text.lower()))[:max_words]
    words = [m.group(0) for m in matches]
    earliest: int | None = None
    for span in range(1, min(max_span, len(words) // min_repeats) + 1):
        run = 0
        for j in range(len(words) - span):
            if words[j] == words[j + span]:
                run += 1
                if run >= (min_repeats - 1) * span:
                    first = j - run + 1
                    earliest = first if earliest is None else min(earliest, first)
                    break
            else:
                run = 0
    return None if earliest is None else matches[earliest].start()


# --- content -----------------------------------------------------------------------------------------------

def aspect_coverage(text: str) -> float:
    """Share of the five aspects (revenue sources, customers, products, channels, financing) mentioned."""
    found = aspects_found(text)
    return sum(found.values()) / len(ASPECTS)


@lru_cache(maxsize=512)
def _source_ngrams(source: str, n: int) -> frozenset[tuple[str, ...]]:
    words = _words(source)
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def novel_ngram_ratio(summary: str, source: str, n: int = 3) -> float | None:
    """Share of the summary's word n-grams that never occur in the source (abstraction or invention)."""
    words = _words(summary)
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return None
    seen = _source_ngrams(source, n)
    return sum(g not in seen for g in grams) / len(grams)


# --- one document ------------------------------------------------------------------------------------------

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
    limit: int,
    nli_model: str | None = None,
    company: str | None = None,
) -> dict[str, MetricValue]:
    """Every metric for one summary. Give `n_tokens` (batch-counted) or a `tokenizer` to count with; ``limit``
    is the run's summary cap (`RunConfig.summary_tokens`) for ``within_limit``; ``company`` is the filer's name
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
        within_limit=not empty and within_limit(n_tokens, limit),  # no summary is not a summary within limit
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
