"""Numbers, amounts, percentages and dates in text, normalised to canonical values and matched across texts.

"$1.1 billion", "1,100 million" and "1,100,000,000" are the same value; "thirty-six" is 36; "12.5 percent" is
the percentage 12.5; "December 31, 2016" is the date 2016-12-31 and "fiscal 2016" the year 2016.

Matching is deliberately modest: values match within a relative tolerance (0.5% by default), widened to the
rounding a stated figure implies ("$7.8 million" covers 7,750,000-7,850,000, capped at 5%), and a source
that declares "(in thousands)" / "(in millions)" also offers the bare figures of the 2,000 characters after
the declaration (its table) at that scale. Signs are not
compared, since a summary says "a loss of $3.2 million" where the filing prints "$(3,210)".
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, Literal, TypeVar

NumberKind = Literal["number", "percent", "year", "date"]

DEFAULT_REL_TOL = 0.005
DEFAULT_MAX_ROUNDING = 0.05

_SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SCALE_ABBREVIATIONS = {"k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
# Written as a trie: an alternation of 22 names is slow in `re` on 20k-character sources.
_MONTH_RE = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    "|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_YEAR_RE = r"(?:1[89]|20)\d{2}"

_DATE_PATTERNS = (
    # December 31, 2016 / Dec. 31 2016 / May 2011
    re.compile(
        rf"\b(?=[adfjmnos])(?P<month>{_MONTH_RE})\.?\s+(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?(?P<year>{_YEAR_RE})\b",
        re.IGNORECASE,
    ),
    # 31 December 2016
    re.compile(rf"\b(?=\d)(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH_RE})\.?,?\s+(?P<year>{_YEAR_RE})\b", re.IGNORECASE),
    # 12/31/2016
    re.compile(rf"(?<![\w/])(?=\d)(?P<month>\d{{1,2}})/(?P<day>\d{{1,2}})/(?P<year>{_YEAR_RE})(?![\w/])"),
    # 2016-12-31
    re.compile(rf"(?<![\w-])(?=[12])(?P<year>{_YEAR_RE})-(?P<month>\d{{2}})-(?P<day>\d{{2}})(?![\w-])"),
)
_FISCAL_YEAR = re.compile(rf"\b(?=[fF])(?:fiscal(?:\s+year)?|FY)\s*'?(?P<year>{_YEAR_RE})\b", re.IGNORECASE)

_AMOUNT = re.compile(
    r"""
    (?=[-(\u2212$€£Uu.\d])
    (?<![\w.,/])
    (?P<lparen>\(\s?)?
    (?P<sign>[-\u2212](?=[$\d.]))?
    (?P<currency>US\$|\$|€|£|USD\s?)?
    (?P<innerparen>\()?
    (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
    (?P<rparen>\))?
    (?:\s?(?P<scaleword>thousand|million|billion|trillion)s?\b|(?P<scaleabbr>\s?(?:bn|mn|mm|[kmb]))(?![\w]))?
    (?P<rparen2>\))?
    (?:\s?(?P<percent>%|percent\b|per\s?cent\b))?
    (?![\w])
    """,
    re.VERBOSE | re.IGNORECASE,
)

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_MULTIPLIERS = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORD = "|".join(sorted([*_UNITS, *_MULTIPLIERS], key=len, reverse=True))
# Spelled-out numbers, also glued together ("fivehundredtwelve", as in the seed request).
_NUMBER_WORDS = re.compile(
    rf"\b(?=[zotfsenhmb])(?:{_NUMBER_WORD})(?:(?:[\s-]+(?:and[\s-]+)?)?(?:{_NUMBER_WORD}))*\b", re.IGNORECASE
)
_NUMBER_WORD_TOKEN = re.compile(_NUMBER_WORD, re.IGNORECASE)
# Too idiomatic to count as a stated figure ("one of the largest providers").
_IDIOMATIC_WORDS = frozenset({"one", "zero"})

_SCALE_HINT = re.compile(r"\b(?=[iI])in\s+(?P<scale>thousands|millions)\b", re.IGNORECASE)
# A "(in thousands)" declaration covers the table right after it, not the prose pages later on.
SCALE_HINT_REACH = 2_000


@dataclass(frozen=True)
class NumberMention:
    """One figure found in a text: where it is, what it says, and its canonical value."""

    start: int
    end: int
    text: str
    kind: NumberKind
    value: float  # the amount or count, the percentage, or the year for years and dates
    date: str | None = None  # "2016-12-31", "2011-05" or "2016" for dates and years
    half_unit: float = 0.0  # half a unit of the last stated digit: the rounding the figure implies
    scaled: bool = False  # carries a scale word ("million") or abbreviation ("$1.1B")

    @property
    def span(self) -> tuple[int, int, str]:
        return (self.start, self.end, self.text)


def words_to_number(text: str) -> int | None:
    """Value of a spelled-out number: "thirty-six" -> 36, "fivehundredtwelve" -> 512; None if not one."""
    tokens = [t.lower() for t in _NUMBER_WORD_TOKEN.findall(text)]
    if not tokens or _NUMBER_WORD_TOKEN.sub("", re.sub(r"[\s-]+|\band\b", "", text, flags=re.I)):
        return None
    total, current = 0, 0
    for token in tokens:
        if token in _UNITS:
            current += _UNITS[token]
        elif token == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * _MULTIPLIERS[token]
            current = 0
    return total + current


def _half_unit(num: str, scale: float) -> float:
    decimals = len(num.split(".", 1)[1]) if "." in num else 0
    return 0.5 * 10.0 ** (-decimals) * scale


class _Taken:
    """Non-overlapping spans already claimed, for O(log n) overlap checks on long sources."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def free(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end)  # spans starting before `end`...
        return i == 0 or self.ends[i - 1] <= start  # ...the last of which must end by `start`

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def _date_mentions(text: str) -> list[NumberMention]:
    found: list[NumberMention] = []
    taken = _Taken()
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if not taken.free(m.start(), m.end()):
                continue
            year = int(m["year"])
            month_raw = m["month"]
            month = int(month_raw) if month_raw.isdigit() else _MONTHS[month_raw.lower()]
            if not 1 <= month <= 12:
                continue
            day = int(m["day"]) if m["day"] else None
            if day is not None and not 1 <= day <= 31:
                continue
            date = f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")
            found.append(NumberMention(m.start(), m.end(), m.group(0), "date", float(year), date))
            taken.add(m.start(), m.end())
    for m in _FISCAL_YEAR.finditer(text):
        if taken.free(m.start(), m.end()):
            found.append(NumberMention(m.start(), m.end(), m.group(0), "year", float(m["year"]), m["year"]))
            taken.add(m.start(), m.end())
    return found


def _amount_mention(m: re.Match[str]) -> NumberMention | None:
    num = m["num"]
    currency = bool(m["currency"])
    scale = 1.0
    if m["scaleword"]:
        scale = _SCALE_WORDS[m["scaleword"].lower()]
    elif m["scaleabbr"]:
        if not currency:  # "5m" without a currency sign is more likely metres than millions
            return None
        scale = _SCALE_ABBREVIATIONS[m["scaleabbr"].strip().lower()]
    value = float(num.replace(",", "")) * scale
    start, end = m.start(), m.end()
    text = m.group(0)
    opens, closes = text.count("("), text.count(")")
    negative = bool(m["sign"]) or (opens == closes == 1)
    # An unmatched bracket is punctuation around the figure ("(see note 3)"), not part of it.
    if opens > closes:
        start += len(text) - len(text.lstrip("( "))
    elif closes > opens:
        end -= len(text) - len(text.rstrip(")"))
    text = m.string[start:end]
    if m["percent"]:
        return NumberMention(start, end, text, "percent", -value if negative else value,
                             half_unit=_half_unit(num, 1.0))
    is_year = (
        not currency and scale == 1.0 and "," not in num and "." not in num and re.fullmatch(_YEAR_RE, num)
    )
    if is_year:
        s, e = m.start("num"), m.end("num")
        return NumberMention(s, e, num, "year", float(num), num)
    return NumberMention(start, end, text, "number", -value if negative else value,
                         half_unit=_half_unit(num, scale), scaled=scale != 1.0)


def extract_numbers(text: str) -> list[NumberMention]:
    """Every figure in a text, in order: dates and fiscal years, amounts, counts, percentages, number words."""
    mentions = _date_mentions(text)
    taken = _Taken()
    for x in mentions:
        taken.add(x.start, x.end)
    free = taken.free

    for m in _AMOUNT.finditer(text):
        mention = _amount_mention(m)
        if mention is not None and free(mention.start, mention.end):
            mentions.append(mention)
            taken.add(mention.start, mention.end)
    for m in _NUMBER_WORDS.finditer(text):
        phrase = m.group(0)
        if phrase.lower() in _IDIOMATIC_WORDS or not free(m.start(), m.end()):
            continue
        value = words_to_number(phrase)
        if value is None:
            continue
        kind: NumberKind = "number"
        end = m.end()
        pct = re.match(r"\s?(?:percent|per\s?cent)\b", text[end:], re.IGNORECASE)
        if pct:
            kind, end = "percent", end + pct.end()
        mentions.append(NumberMention(m.start(), end, text[m.start():end], kind, float(value), half_unit=0.5))
        taken.add(m.start(), end)
    mentions.sort(key=lambda x: x.start)
    return mentions


def parse_number(text: str) -> NumberMention | None:
    """The canonical value of one figure written on its own ("$1.1 billion", "thirty-six", "fiscal 2016")."""
    stripped = text.strip()
    mentions = extract_numbers(stripped)
    if len(mentions) != 1:
        return None
    mention = mentions[0]
    rest = stripped[: mention.start] + stripped[mention.end :]
    return mention if not re.sub(r"[\s().,:;$%-]", "", rest) else None


@dataclass
class SourceFigures:
    """The figures of one source text, indexed for tolerance look-ups."""

    numbers: list[float] = field(default_factory=list)  # sorted absolute values, with declared-scale variants
    percents: list[float] = field(default_factory=list)
    years: set[int] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)  # "YYYY-MM-DD" and "YYYY-MM"

    @classmethod
    def from_text(cls, text: str) -> "SourceFigures":
        figures = cls()
        hints = [(m.start(), 1e3 if m["scale"].lower() == "thousands" else 1e6) for m in _SCALE_HINT.finditer(text)]
        hint_starts = [h for h, _ in hints]
        numbers: list[float] = []
        percents: list[float] = []
        for mention in extract_numbers(text):
            if mention.kind == "number":
                numbers.append(abs(mention.value))
                i = bisect.bisect_right(hint_starts, mention.start) - 1
                if not mention.scaled and i >= 0 and mention.start - hints[i][0] <= SCALE_HINT_REACH:
                    numbers.append(abs(mention.value) * hints[i][1])
            elif mention.kind == "percent":
                percents.append(abs(mention.value))
            else:
                figures.years.add(int(mention.value))
                if mention.kind == "date" and mention.date:
                    figures.dates.add(mention.date)
                    figures.dates.add(mention.date[:7])
        figures.numbers = sorted(numbers)
        figures.percents = sorted(percents)
        return figures


@lru_cache(maxsize=512)
def source_figures(source: str) -> SourceFigures:
    """Cached per source text: one source is scored against many summaries (systems, baselines)."""
    return SourceFigures.from_text(source)


def _near(sorted_values: list[float], value: float, tolerance: float) -> bool:
    i = bisect.bisect_left(sorted_values, value - tolerance)
    return i < len(sorted_values) and sorted_values[i] <= value + tolerance


def is_supported(
    mention: NumberMention,
    figures: SourceFigures,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    max_rounding: float = DEFAULT_MAX_ROUNDING,
) -> bool:
    """Whether a summary's figure appears in the source (same kind, value within tolerance)."""
    if mention.kind == "year":
        return int(mention.value) in figures.years
    if mention.kind == "date":
        return mention.date in figures.dates
    value = abs(mention.value)
    tolerance = max(rel_tol * value, min(mention.half_unit, max_rounding * value))
    pool = figures.percents if mention.kind == "percent" else figures.numbers
    return _near(pool, value, tolerance)


Mention = TypeVar("Mention")


@dataclass
class SupportCheck(Generic[Mention]):
    """A summary's mentions (figures, names) split into those the source supports and those it does not."""

    supported: list[Mention]
    unsupported: list[Mention]

    @property
    def total(self) -> int:
        return len(self.supported) + len(self.unsupported)

    @property
    def precision(self) -> float | None:
        """Share supported; None when the summary has no such mentions (undefined, not 0)."""
        return len(self.supported) / self.total if self.total else None


@dataclass
class NumberCheck(SupportCheck[NumberMention]):
    """A summary's figures split into those the source supports and those it does not."""


def check_numbers(
    summary: str,
    source: str,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    max_rounding: float = DEFAULT_MAX_ROUNDING,
) -> NumberCheck:
    figures = source_figures(source)
    supported: list[NumberMention] = []
    unsupported: list[NumberMention] = []
    for mention in extract_numbers(summary):
        ok = is_supported(mention, figures, rel_tol=rel_tol, max_rounding=max_rounding)
        (supported if ok else unsupported).append(mention)
    return NumberCheck(supported, unsupported)
