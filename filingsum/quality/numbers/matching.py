"""When a source figure states a summary figure's fact: same unit, same metric, same row, no opposite sign or
direction, and values within tolerance (relative, widened to the rounding a stated figure implies)."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from filingsum.quality.numbers.mention import NumberMention
from filingsum.quality.numbers.nouns import nouns_match
from filingsum.quality.stems import stem

DEFAULT_REL_TOL = 0.005
DEFAULT_MAX_ROUNDING = 0.05


def same_unit(a: NumberMention, b: NumberMention) -> bool:
    """Whether two equal values would state the same kind of quantity: same currency, or a count of the same
    thing; a bare figure (no currency, no noun, as in a table) goes with either."""
    if a.kind != b.kind:
        # "the expense ratio edged down to 25.6" for "Expense Ratio: 25.6 | 25.7" in a column of percentages
        return (_column_percent(a) and (_bare(b) or _points(b))) or (_column_percent(b) and (_bare(a) or _points(a)))
    if a.kind == "percent":
        return True
    if a.currency and b.currency:
        return a.currency == b.currency
    if a.currency or b.currency:
        plain = b if a.currency else a
        # "three-" of "three- and nine-month periods": a number written in words is a count, never money
        return not plain.noun and not plain.text.strip().isalpha()
    return nouns_match(a.noun, b.noun)


def _column_percent(m: NumberMention) -> bool:
    """A percentage read from its table column, written without a percent sign."""
    return m.kind == "percent" and "%" not in m.text and "percent" not in m.text.lower()


_RATE_WORDS = frozenset("rate rates margin margins share ratio ratios yield mix".split())


def _points(m: NumberMention) -> bool:
    """A change of a rate in percentage points ("lowered the effective tax rate by 2.6 percentage points"): what a
    rate reconciliation's bare cells are; a growth rate's column ("revenue up 11") is not in points."""
    return m.kind == "number" and not m.currency and m.noun == frozenset({"point"}) and bool(m.context & _RATE_WORDS)


def _bare(m: NumberMention) -> bool:
    return m.kind == "number" and not m.currency and not m.noun and not m.scaled


def same_fact(summary: NumberMention, source: NumberMention) -> bool:
    """Whether a source figure can state the summary's fact: same unit, same identifier ("Note 20" states no
    count of countries), no different metric ("net sales" is not "net loss"), and a table figure only for a
    summary that names its row ("iPad net sales ... 8%" is not Europe's 8%)."""
    if not same_unit(summary, source):
        return False
    if summary.identifier and source.identifier:
        if summary.identifier != source.identifier:
            return False
    elif (summary.identifier and source.noun) or (source.identifier and summary.noun):
        return False
    if summary.family and source.family and not summary.family & source.family:
        return False  # "net loss" or "income" of the same value as "net sales" is another fact
    if not source.row or not summary.context:
        return True
    if source.row_alias and source.row_alias in summary.context:
        return True  # "APAC revenue grew 24%" names the row "Asia-Pacific (APAC)" by its abbreviation
    # Most of the row's label, as summaries paraphrase labels ("segment revenue" -> "segment brought in"; "operating
    # income" for "income from operations").
    if source.row <= _TOTAL_LABEL:
        return True  # "Total Company: $19,776", "Worldwide: 5,588": the whole, which a summary names by no row
    label = _label_words(source.row)
    return len(label & _stems(summary.context)) >= math.ceil(0.6 * len(label))


# Words of a label that makes its row the table's whole ("Total Company", "Worldwide", "Consolidated total").
_TOTAL_LABEL = frozenset("total totals company companies consolidated worldwide overall combined grand all".split())


# Words of a row label that do not name the item: which end of the period a roll-forward's balance is at ("Balance
# of unrecognized tax benefits at end of year": the period check judges the end), "or"/"and" of "Equity income or
# loss", and the words that say a row counts ("Unit counts", "Number of stores": the figure is the count).
_LABEL_FILLER = frozenset("at balance balances beginning end year period or and count counts number".split())


@lru_cache(maxsize=65_536)
def _label_words(row: frozenset[str]) -> frozenset[str]:
    kept = frozenset(w for w in row if w not in _LABEL_FILLER)
    return _stems(kept if kept else row)


@lru_cache(maxsize=65_536)
def _stems(words: frozenset[str]) -> frozenset[str]:
    return frozenset(stem(w) for w in words)


def opposite_direction(a: NumberMention, b: NumberMention) -> bool:
    """Opposite sign or direction, where both state one: "net loss" vs "net income", "increased" vs "fell"."""
    return (a.level * b.level < 0) or (a.change * b.change < 0)


def match_tolerance(mention: NumberMention, rel_tol: float, max_rounding: float) -> float:
    value = mention.magnitude
    cap = max_rounding * value if not mention.bound else 2 * mention.half_unit
    if mention.bound == 0 and mention.half_unit > 0.5 * value * max_rounding:
        cap = max(cap, min(mention.half_unit, 0.1 * value))  # "about 32,000" for 32,439; "about 30" for 31.4
    return max(rel_tol * value, min(mention.half_unit, cap))


def within_bound(summary: NumberMention, source: NumberMention) -> bool:
    """ "more than 32,000" holds for 32,439 but not for 31,900; "less than 1,000" the other way round."""
    if summary.bound > 0:
        return source.magnitude >= summary.magnitude
    if summary.bound < 0:
        return source.magnitude <= summary.magnitude
    return True


_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
PRECISE_DIGITS = 4  # "$94,360 million", "$89.13", "1,449 thousand": no writer rounds to four digits and errs


def significant_digits(text: str) -> int:
    """The significant digits a figure is written with: "$94,360 million" 4, "$5.3 billion" 2, "32,000" 2."""
    m = _DIGITS.search(text)
    if m is None:
        return 0
    number = m.group(0).replace(",", "")
    digits = number.replace(".", "").lstrip("0")
    return len(digits if "." in number else digits.rstrip("0"))


def precision_mismatch(summary: NumberMention, source: NumberMention) -> bool:
    """A figure written to four or more significant digits states that number, not one within the relative
    tolerance: "$94,360 million" is not the source's $94,036 million, nor "$89.13" its $89.31 (a transposition
    the 0.5% tolerance for rounding would let through)."""
    if summary.bound or significant_digits(summary.text) < PRECISE_DIGITS:
        return False
    return abs(summary.magnitude - source.magnitude) > 1.01 * max(summary.half_unit, source.half_unit)
