"""Figures in text (amounts, counts, percentages, years, dates) with what they measure, matched across texts.

A figure is its value and what makes two equal values the same fact:

- value: "$1.1 billion", "1,100 million", "1.1bn dollars" and "1,100,000,000" are one value; "thirty-six"
  is 36; "December 31, 2016" is a date; a four-digit number is a year only where it acts as one ("in 2000",
  "fiscal 2000", a table header), so "2000 stores" is a count;
- unit: a currency ("$", "USD", "dollars"), a percentage, or for a count the noun it counts ("5,000
  employees" is neither "$5,000" nor "5,000 stores");
- scale: a scale word on the figure ("$1.2 billion"), or a table's note "(in thousands)" / "(in millions)"
  for the figures of that table only, before or after the note. Prose ("millions of homes") scales nothing;
- sign and direction: negative figures ("$(3,210)", "-4%"), a level cue (loss vs income) and a change cue
  (increased vs decreased) read from the figure's clause.

`check_numbers` sorts each summary figure into supported (the source states it: same unit, value within
tolerance, no opposite sign or direction), contradicted (the source states the same figure with the
opposite sign or direction, or the same metric, e.g. "employees" or "revenue", only with other values) or
unverifiable (neither). Values match within a relative tolerance (0.5% by default), widened to the
rounding a stated figure implies ("$7.8 million" covers 7,750,000-7,850,000, capped at 5%).
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Generic, Literal, TypeVar

NumberKind = Literal["number", "percent", "year", "date"]
Verdict = Literal["supported", "contradicted", "unverifiable"]

DEFAULT_REL_TOL = 0.005
DEFAULT_MAX_ROUNDING = 0.05

_SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SCALE_ABBREVIATIONS = {"k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}
_CURRENCY_SIGNS = {"$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP"}
_CURRENCY_WORDS = {"dollar": "USD", "dollars": "USD", "u.s. dollars": "USD", "usd": "USD", "euro": "EUR",
                   "euros": "EUR", "eur": "EUR"}

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
# "December 31, 2016 and 2017", "December 31, 2016, 2015 and 2014": more years for the same month and day.
_MORE_YEARS = rf"(?P<more>(?:\s*,?\s*(?:and\s+|or\s+)?{_YEAR_RE}\b(?!\s*[-/]\d))*)"

_DATE_PATTERNS = (
    # December 31, 2016 / Dec. 31 2016 / May 2011 / December 31, 2016 and 2017
    re.compile(
        rf"\b(?=[adfjmnos])(?P<month>{_MONTH_RE})\.?\s+(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?"
        rf"(?P<year>{_YEAR_RE})\b{_MORE_YEARS}",
        re.IGNORECASE,
    ),
    # 31 December 2016
    re.compile(rf"\b(?=\d)(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH_RE})\.?,?\s+(?P<year>{_YEAR_RE})\b", re.IGNORECASE),
    # 12/31/2016
    re.compile(rf"(?<![\w/])(?=\d)(?P<month>\d{{1,2}})/(?P<day>\d{{1,2}})/(?P<year>{_YEAR_RE})(?![\w/])"),
    # 2016-12-31
    re.compile(rf"(?<![\w-])(?=[12])(?P<year>{_YEAR_RE})-(?P<month>\d{{2}})-(?P<day>\d{{2}})(?![\w-])"),
)
# A table header: "Year Ended December 31," with the years in the next lines ("| 2016 | 2015").
_HEADER_DATE = re.compile(
    rf"\b(?=[adfjmnos])(?P<month>{_MONTH_RE})\.?\s+(?P<day>\d{{1,2}}),?(?=[\s|]*(?:\n|\|))", re.IGNORECASE
)
_HEADER_DATE_REACH = 200
_FISCAL_YEAR = re.compile(rf"\b(?=[fF])(?:fiscal(?:\s+year)?|FY)\s*'?(?P<year>{_YEAR_RE})\b", re.IGNORECASE)

_AMOUNT = re.compile(
    r"""
    (?=[-(\u2212$€£Uu.\d])
    (?<![\w.,/])(?<!\d-)
    (?P<lparen>\(\s?)?
    (?P<sign>[-\u2212](?=[$\d.]))?
    (?P<currency>US\$|\$|€|£|USD|EUR|GBP)?\s?
    (?P<innerparen>\()?
    (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
    (?P<rparen>\))?
    (?:\s?(?P<scaleword>thousand|million|billion|trillion)s?\b|\s?(?P<scaleabbr>bn|mn|mm|[kmb])(?![\w]))?
    (?P<rparen2>\))?
    (?:\s?(?P<percent>%|percent\b|per\s?cent\b))?
    (?P<curword>\s(?:U\.S\.\s)?(?:dollars?|euros?|USD|EUR)\b)?
    (?![\w])(?!-[A-Z\d])
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
# "and" joins only after hundred/thousand/... ("one hundred and twelve"); "three and nine months" is two figures.
_NUMBER_WORDS = re.compile(
    rf"\b(?=[zotfsenhmb])(?:{_NUMBER_WORD})"
    rf"(?:(?:[\s-]+|(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion))[\s-]+and[\s-]+)?"
    rf"(?:{_NUMBER_WORD}))*\b",
    re.IGNORECASE,
)
_NUMBER_WORD_TOKEN = re.compile(_NUMBER_WORD, re.IGNORECASE)
# Too idiomatic to count as a stated figure ("one of the largest providers").
_IDIOMATIC_WORDS = frozenset({"one", "zero"})


# --- what a figure measures: the words around it ------------------------------------------------------------

# Words after which a four-digit number is a year, whatever follows ("in 2016 revenue grew").
_YEAR_LEAD_WORDS = frozenset(
    "in since during fiscal fy through until till calendar circa year years ended ending early late mid "
    "from between before after by".split()
)
# Plural nouns after a four-digit number that still leave it a year ("2016 revenues were").
_YEAR_FOLLOWERS = frozenset(
    "revenues sales results earnings expenses costs margins profits losses figures operations filings "
    "shares notes annual".split()
)
# Words that end the noun phrase after a count ("15 of its 53 employees").
_NOUN_BREAK = frozenset(
    """
    of in and or to for from at as by with per compared versus vs which that was were is are be been the a an
    on into over under during since through across including while who whom where when than than up down
    each every our its their his her we they it this these those
    """.split()
)
# Words after a count that say nothing about what is counted ("5,000 new stores", "53 full time employees").
_NOUN_FILLER = frozenset(
    """
    new total additional full time part active approximately other more net gross annual monthly
    u.s us domestic international global worldwide retail company owned operated current former existing
    million billion thousand hundred
    """.split()
)
_NOUN_SYNONYMS = {
    "employee": "employee", "people": "employee", "person": "employee", "staff": "employee", "worker": "employee",
    "associate": "employee", "personnel": "employee", "headcount": "employee", "team": "employee",
    "location": "store", "store": "store", "outlet": "store", "restaurant": "store",
    "customer": "customer", "client": "customer", "subscriber": "subscriber", "member": "member",
    "month": "month", "year": "year", "day": "day",
    # "2.7 percentage points", "(2.7) pts", "2.7 ppts": one unit, not a percentage
    "point": "point", "pts": "point", "pt": "point", "ppt": "point", "ppts": "point", "percentage": "point",
}
# Metric words of the clause before a figure: "revenue was $9.1 million" and "revenue of $9.5 million" are
# two values of one metric (a contradiction when they disagree); "sales" and "revenue" are one metric.
_METRIC_WORDS = {
    "revenue": "revenue", "revenues": "revenue", "sales": "revenue", "income": "income", "earnings": "income",
    "profit": "income", "loss": "income", "losses": "income", "ebitda": "ebitda", "margin": "margin",
    "backlog": "backlog", "cash": "cash", "debt": "debt", "borrowings": "debt", "loan": "debt",
    "dividend": "dividend", "dividends": "dividend", "research": "research", "assets": "assets",
    "equity": "equity", "employees": "employee", "expense": "expense", "expenses": "expense",
    "payable": "payable", "buyback": "repurchase", "repurchase": "repurchase", "repurchases": "repurchase",
    "expenditures": "capex", "capex": "capex", "membership": "membership", "memberships": "membership",
}
# Families of metrics a figure can be read as, from the words right around it: a figure next to "revenue"
# is not the same fact as an equal one next to "net loss".
_METRIC_FAMILIES = {"revenue": "revenue", "income": "earnings", "margin": "earnings", "ebitda": "earnings"}
# "46.2% of net sales": the words after "of" name the base of a percentage, not what it measures.
_PERCENT_BASE = re.compile(r"^\s*(?:of|as\s+a\s+percentage\s+of)\b")
# Row labels too generic to tell two table rows apart.
_GENERIC_LABEL_WORDS = frozenset("total net the and of other in for to".split())
# Direction cues read in a figure's clause: the change (increased/decreased) and the level (income/loss).
_CHANGE_UP = frozenset("increase increased increases increasing grew grow grows growing growth rose rise rises "
                       "rising higher gained improved expanded up".split())
_CHANGE_DOWN = frozenset("decrease decreased decreases decreasing decline declined declines declining fell fall "
                         "falls falling lower drop dropped drops reduced reduction down contracted".split())
_LEVEL_UP = frozenset("income profit profits earnings earned gain gains positive surplus".split())
_LEVEL_DOWN = frozenset("loss losses lost deficit negative".split())
_CUE_WORDS_BEFORE = 8
_CUE_WORDS_AFTER = 3
_METRIC_WORDS_BEFORE = 12
_METRIC_WORDS_AFTER = 8
# A clause ends at sentence punctuation, a table cell, a blank line or a comparison; a single line break
# does not end one (hard-wrapped filings break sentences anywhere).
_CLAUSE_BOUNDARY = re.compile(r"[;!?|]|\.(?=\s)|\n[ \t]*\n|\b(?:versus|compared|from|against)\b", re.IGNORECASE)
# Capitalised words that number things rather than count them ("Note 20", "Phase 4", "Item 1A").
_PLURAL_WITHOUT_S = frozenset("feet people personnel staff children men women".split())
_NEUTRAL_PHRASES = re.compile(
    r"\bincome\s+tax(?:es)?\b|\bup\s+to\b|\bcomprehensive\s+income\b"
    r"|\bpercent(?:age)?\s+of\s+(?:total\s+|net\s+)*[a-z]+",  # the base of a percentage, not its metric
    re.IGNORECASE,
)
_CLAUSE_WORD = re.compile(r"[a-z][a-z'\-]*")


@dataclass(frozen=True)
class NumberMention:
    """One figure found in a text: where it is, what it says, its canonical value and what it measures."""

    start: int
    end: int
    text: str
    kind: NumberKind
    value: float  # the amount or count (negative when written so), the percentage, or the year
    date: str | None = None  # "2016-12-31", "2011-05" or "2016" for dates and years
    half_unit: float = 0.0  # half a unit of the last stated digit: the rounding the figure implies
    scaled: bool = False  # carries a scale word ("million"), abbreviation ("$1.1B") or a table's scale note
    currency: str | None = None  # "USD", "EUR", "GBP" for amounts of money
    noun: frozenset[str] = frozenset()  # what a count counts: {"employee"} for "53 full-time employees"
    head: str = ""  # the head of that noun phrase ("group" for "two primary customer groups")
    change: int = 0  # +1 increase, -1 decrease, 0 not stated
    level: int = 0  # +1 income/profit, -1 loss or a negative figure, 0 not stated
    metric: frozenset[str] = frozenset()  # metric words of its clause: {"revenue"}, {"backlog"}
    more_dates: tuple[str, ...] = ()  # "December 31, 2016 and 2017": the further dates of the same phrase
    identifier: str | None = None  # "note" for "Note 20": a number that names something, not a quantity
    family: frozenset[str] = frozenset()  # metric families right around it: {"revenue"}, {"earnings"}
    row: frozenset[str] = frozenset()  # a table row's label words ({"ipad"} for "iPad: 6,581 | 7,162 | (8)%"),
    # all of which a summary's sentence must name for that figure to support it
    context: frozenset[str] = frozenset()  # the words of its clause, to find a table row's label in
    bound: int = 0  # +1 "more than 32,000" (the value is a floor), -1 "less than" (a ceiling), 0 neither

    @property
    def span(self) -> tuple[int, int, str]:
        return (self.start, self.end, self.text)

    @property
    def magnitude(self) -> float:
        return abs(self.value)


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


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


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


# --- finding figures ----------------------------------------------------------------------------------------

def _date(year: int, month: int, day: int | None) -> str:
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


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
            more = m.groupdict().get("more") or ""
            extra = tuple(_date(int(y), month, day) for y in re.findall(_YEAR_RE, more))
            end = m.end() if extra else m.end("year")
            found.append(NumberMention(m.start(), end, text[m.start():end], "date", float(year),
                                       _date(year, month, day), more_dates=extra))
            taken.add(m.start(), end)
    for m in _FISCAL_YEAR.finditer(text):
        if taken.free(m.start(), m.end()):
            found.append(NumberMention(m.start(), m.end(), m.group(0), "year", float(m["year"]), m["year"]))
            taken.add(m.start(), m.end())
    return found


def _header_dates(text: str) -> set[str]:
    """Dates a table header spells over two lines: "Year Ended December 31," then "| 2016 | 2015"."""
    out: set[str] = set()
    for m in _HEADER_DATE.finditer(text):
        day = int(m["day"])
        if not 1 <= day <= 31:
            continue
        month = _MONTHS[m["month"].lower()]
        window = text[m.end() : m.end() + _HEADER_DATE_REACH]
        stop = re.search(r"[A-Za-z]{3,}(?![^\n]*\|)", window)  # the header ends where a text row starts
        for year in re.findall(rf"(?<![\d,.$]){_YEAR_RE}(?![\d,.%])", window[: stop.start()] if stop else window):
            out.add(_date(int(year), month, day))
    return out


def _words_before(text: str, start: int, floor: int, limit: int = _CUE_WORDS_BEFORE) -> list[str]:
    window = text[max(floor, start - 160) : start]
    cut = 0
    for b in _CLAUSE_BOUNDARY.finditer(window):
        cut = b.end()
    window = _NEUTRAL_PHRASES.sub(" ", window[cut:])
    return _CLAUSE_WORD.findall(window.lower())[-limit:]


def _words_after(text: str, end: int, ceiling: int, limit: int = _CUE_WORDS_AFTER) -> list[str]:
    window = text[end : min(ceiling, end + 90)]
    window = re.split(r"\b(?:and|or|but|while|whereas)\b", window, maxsplit=1)[0]
    b = _CLAUSE_BOUNDARY.search(window)
    window = _NEUTRAL_PHRASES.sub(" ", window[: b.start()] if b else window)
    window = re.split(r"[,:()\d$%]", window, maxsplit=1)[0]
    return _CLAUSE_WORD.findall(window.lower())[:limit]


def _row_label(text: str, start: int) -> frozenset[str]:
    """The label of the table row a figure sits in ("iPad" in "iPad: 6,581 | 7,162 | (8)%"); empty in prose."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    if "|" not in line:
        if len(line) > 400:
            return frozenset()  # a paragraph on one line, not a table row
        # A hard-wrapped table row: a label, then figures ("Service revenue  $3,654  $3,259  $10,747").
        first = re.search(r"\$?\(?\d", line)
        figures = re.findall(r"\d[\d,.]*", line)
        if first is None or len(figures) < 2 or len(re.findall(r"[A-Za-z]{2,}", line[first.start() :])) > 2:
            return frozenset()
    label = re.split(r"[:|$(\d]", line, maxsplit=1)[0]
    return frozenset(_singular(w) for w in _CLAUSE_WORD.findall(label.lower()) if w not in _GENERIC_LABEL_WORDS)


def _identifier(text: str, start: int) -> str | None:
    """The capitalised word a bare number is glued to ("Note 20", "Phase 4"), or None."""
    before = re.search(r"([A-Z][A-Za-z]*)[\u00ae\u2122\u2120]?[ \t]+$", text[max(0, start - 30) : start])
    if before is None or _sentence_opening(text, start - len(before.group(0))):
        return None
    return before.group(1).lower()


def _implied_words(text: str, x: NumberMention) -> frozenset[str]:
    """Words a figure implies: "18% of revenue" is a percentage of revenue."""
    if x.kind == "percent" and re.match(r"\s+of\b", text[x.end : x.end + 5]):
        return frozenset({"percentage"})
    return frozenset()


def _sentence_words(text: str, start: int, end: int) -> frozenset[str]:
    """The words of the sentence around a figure (for finding a table row's label in a summary sentence)."""
    head = text[max(0, start - 300) : start]
    cut = max(head.rfind(". "), head.rfind("\n\n"), head.rfind("; "))
    tail = text[end : end + 300]
    stop = min((i for i in (tail.find(". "), tail.find("\n\n"), tail.find("; ")) if i >= 0), default=len(tail))
    return frozenset(_singular(w) for w in _CLAUSE_WORD.findall((head[cut + 1 :] + " " + tail[:stop]).lower()))


def _cue(words: list[str], up: frozenset[str], down: frozenset[str]) -> int:
    ups = any(w in up for w in words)
    downs = any(w in down for w in words)
    return 0 if ups == downs else (1 if ups else -1)


def _noun(text: str, start: int, end: int) -> tuple[str, ...]:
    """What a count counts: the words of the noun phrase right after it on its line, up to its first plural
    ("53 full-time employees" -> {"employee"}), fillers dropped, synonyms merged. Empty for an identifier
    ("Phase 4 trials", "Item 8") and where a verb follows ("14,000 used tuition assistance")."""
    if start > 0 and text[start - 1] == "-":
        return ()  # "737-9", "10-K": part of a designation
    before = re.search(r"([A-Za-z]+)[ \t]+$", text[max(0, start - 30) : start])
    if before and before.group(1)[0].isupper() and not _sentence_opening(text, start - len(before.group(0))):
        return ()
    window = text[end : end + 80]
    # "33.7 billion and 33.3 billion unit cases": the noun of the last figure counts for all of them.
    window = re.sub(rf"^[ \t]*(?:and|or|to)[ \t]+(?:\$?[\d.,]+|(?:{_NUMBER_WORD})(?:-(?:{_NUMBER_WORD}))?)"
                    r"(?:[ \t]+(?:thousand|million|billion))?", "", window, flags=re.IGNORECASE)
    m = re.match(r"[ \t\-]*((?:[A-Za-z][A-Za-z'\-]*[ \t]*){1,4})", window)
    if not m:
        return ()
    words: list[str] = []
    for raw in m.group(1).split():
        word = raw.lower().strip("'-")
        if word in _NOUN_BREAK or (raw[0].isupper() and words) or word.endswith("ed"):
            break
        for part in word.split("-"):
            singular = _singular(part)
            if part and singular not in _NOUN_FILLER:
                words.append(_NOUN_SYNONYMS.get(singular, singular))
        if (word.endswith("s") and not word.endswith("ss")) or word in _PLURAL_WITHOUT_S:
            return tuple(words)
    # No plural noun: the number modifies ("60 month term", "the 737 program") rather than counts.
    return ()


def _sentence_opening(text: str, pos: int) -> bool:
    stripped = text[max(0, pos - 5) : pos].rstrip(" \t\"'(")
    return not stripped or stripped[-1] in ".!?:;\n|"


def nouns_match(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two counted nouns can be the same thing: a shared word or a shared stem of 5+ letters
    ("wholesalers" ~ "wholesale distributors"); an empty noun (a table figure) goes with any."""
    if not a or not b or a & b:
        return True
    return any(len(x) >= 5 and len(y) >= 5 and x[:5] == y[:5] for x in a for y in b)


def _acts_as_year(text: str, start: int, end: int) -> bool:
    """Whether a bare four-digit number 1800-2099 is a year here ("in 2000", "Act of 2022", "| 2016 |"), not a
    count ("operates 2000 stores", "a total of 2000 stores")."""
    before = re.findall(r"[A-Za-z]+", text[max(0, start - 30) : start])
    if before and before[-1].lower() in _YEAR_LEAD_WORDS:
        return True
    if before and before[-1][0].isupper() and not _sentence_opening(text, text.rfind(before[-1], 0, start)):
        return True  # "Act 2022", "Form 2000" name a year or an identifier, not a count
    if len(before) >= 2 and before[-1] == "of" and before[-2][0].isupper():
        return True  # "Act of 2022"
    after = re.match(r"[ \t]+([A-Za-z][A-Za-z\-]*)", text[end : end + 30])
    if after is None:
        return True
    word = after.group(1).lower()
    return not (word.endswith("s") and word not in _YEAR_FOLLOWERS and word not in _NOUN_BREAK)


def _amount_mention(m: re.Match[str]) -> NumberMention | None:
    num = m["num"]
    currency = None
    if m["currency"]:
        currency = _CURRENCY_SIGNS[m["currency"].lower()]
    elif m["curword"]:
        currency = _CURRENCY_WORDS.get(re.sub(r"\s+", " ", m["curword"].strip().lower()), "USD")
    scale = 1.0
    if m["scaleword"]:
        scale = _SCALE_WORDS[m["scaleword"].lower()]
    elif m["scaleabbr"]:
        scale = _SCALE_ABBREVIATIONS[m["scaleabbr"].lower()]
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
    if (negative and not m["sign"] and currency is None and scale == 1.0 and not m["percent"]
            and re.fullmatch(r"\d{1,2}", num) and re.search(r"[A-Za-z)\u00ae\u2122][ \t]?$", m.string[:m.start()])):
        return None  # a footnote marker ("Revenue (1)"), not minus one
    signed = -value if negative else value
    if m["percent"]:
        return NumberMention(start, end, text, "percent", signed, half_unit=_half_unit(num, 1.0),
                             change=-1 if negative else 0)
    is_year_shaped = (
        currency is None and scale == 1.0 and not negative and "," not in num and "." not in num
        and re.fullmatch(_YEAR_RE, num) is not None
    )
    if is_year_shaped and _acts_as_year(m.string, m.start("num"), m.end("num")):
        s, e = m.start("num"), m.end("num")
        return NumberMention(s, e, num, "year", float(num), num)
    half, bound = _hedged_rounding(m.string, start, num, scale)
    points = re.match(r"[ \t]*(?:percentage[ \t]+points?|pts?|ppts?)\b", m.string[end : end + 25], re.IGNORECASE)
    return NumberMention(start, end, text, "number", signed, half_unit=half,
                         scaled=scale != 1.0, currency=currency, level=-1 if negative and not points else 0,
                         change=-1 if negative and points else 0, bound=bound)


# Words before a round figure that say it is rounded ("about 32,000"), a floor ("more than 32,000") or a
# ceiling ("less than 1,000"): an analyst's rounding to the figure's last non-zero digit.
_HEDGE_BEFORE = re.compile(
    r"(?:(?P<about>about|approximately|approx\.|roughly|around|nearly|almost|some|close\s+to|an\s+estimated|~)"
    r"|(?P<over>more\s+than|over|above|in\s+excess\s+of|exceeding|upwards\s+of)"
    r"|(?P<under>less\s+than|under|below|fewer\s+than|up\s+to))\s*$",
    re.IGNORECASE,
)


def _hedged_rounding(text: str, start: int, num: str, scale: float) -> tuple[float, int]:
    """The rounding a figure implies (half a unit of its last stated digit), widened to its last non-zero
    digit when a hedge word precedes a round figure; and +1/-1 when the hedge makes it a floor/ceiling."""
    half = _half_unit(num, scale)
    hedge = _HEDGE_BEFORE.search(text[max(0, start - 25) : start])
    if hedge is None:
        return half, 0
    bound = 1 if hedge["over"] else (-1 if hedge["under"] else 0)
    digits = num.replace(",", "")
    if "." not in digits:
        zeros = len(digits) - len(digits.rstrip("0"))
        if zeros and digits.strip("0"):
            half = max(half, 0.5 * 10.0 ** zeros * scale)
    elif bound:
        half = max(half, _half_unit(num, scale))
    return half, bound


def _with_context(text: str, mentions: list[NumberMention]) -> list[NumberMention]:
    """Each amount, count and percentage with its noun, direction cues, metric words and table row."""
    out: list[NumberMention] = []
    for i, x in enumerate(mentions):
        if x.kind not in ("number", "percent"):
            out.append(x)
            continue
        floor = mentions[i - 1].end if i else 0
        ceiling = mentions[i + 1].start if i + 1 < len(mentions) else len(text)
        base = x.kind == "percent" and _PERCENT_BASE.match(text[x.end : x.end + 30]) is not None
        after = [] if base else _words_after(text, x.end, ceiling)
        around = _words_before(text, x.start, floor) + after
        wide = _words_before(text, x.start, floor, _METRIC_WORDS_BEFORE) + _words_after(
            text, x.end, ceiling, _METRIC_WORDS_AFTER)
        bare = x.kind == "number" and x.currency is None
        noun = _noun(text, x.start, x.end) if bare else ()
        row = _row_label(text, x.start)
        wide += [w for w in row if w in _METRIC_WORDS or f"{w}s" in _METRIC_WORDS]
        out.append(replace(
            x,
            noun=frozenset(noun),
            head=noun[-1] if noun else "",
            change=x.change or _cue(around, _CHANGE_UP, _CHANGE_DOWN),
            level=x.level or _cue(around, _LEVEL_UP, _LEVEL_DOWN),
            metric=frozenset(_METRIC_WORDS.get(w) or _METRIC_WORDS[f"{w}s"] for w in wide
                             if w in _METRIC_WORDS or f"{w}s" in _METRIC_WORDS),
            family=frozenset(_METRIC_FAMILIES[_METRIC_WORDS[w]] for w in around
                             if _METRIC_WORDS.get(w) in _METRIC_FAMILIES),
            identifier=_identifier(text, x.start) if bare and "$" not in x.text else None,
            row=row,
            context=_sentence_words(text, x.start, x.end) | _implied_words(text, x),
        ))
    return out


def extract_numbers(text: str) -> list[NumberMention]:
    """Every figure in a text, in order: dates and fiscal years, amounts, counts, percentages, number words,
    each with its unit, noun, direction cues and metric words (scale notes are applied by `check_numbers`)."""
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
        if re.match(r"[\s-]+(?:thirds?|quarters?|fourths?|fifths?|halves|half)\b", text[m.end() : m.end() + 12],
                    re.IGNORECASE):
            continue  # "two-thirds", "three quarters": a share, read by the claim checks

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
    return _with_context(text, mentions)


def parse_number(text: str) -> NumberMention | None:
    """The canonical value of one figure written on its own ("$1.1 billion", "thirty-six", "fiscal 2016")."""
    stripped = text.strip()
    mentions = extract_numbers(stripped)
    if len(mentions) != 1:
        return None
    mention = mentions[0]
    rest = stripped[: mention.start] + stripped[mention.end :]
    return mention if not re.sub(r"[\s().,:;$%-]", "", rest) else None


# --- scale notes --------------------------------------------------------------------------------------------

_SCALE_NOTE = re.compile(
    r"\((?P<lead>[^()\n]{0,40}?)\bin\s+(?P<scale>thousands|millions|billions)\b(?P<tail>[^()\n]{0,80})\)"
    r"|\b(?:dollars|amounts)\s+in\s+(?P<scale2>thousands|millions|billions)\b"
    r"|\bin\s+(?P<scale3>thousands|millions|billions)\s+of\s+(?:U\.S\.\s+)?dollars\b"
    r"|\(\s*(?:in\s+)?(?:US)?\$\s*(?:in\s+)?(?P<scale4>thousands|millions|billions|K|M|MM|B|bn)\b[^()\n]{0,60}\)",
    re.IGNORECASE,
)
_NOTE_SCALES = {"thousands": 1e3, "millions": 1e6, "billions": 1e9, "k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9,
                "bn": 1e9}
# How far a table reaches from its note: a note covers its table, not the pages after it.
SCALE_NOTE_REACH = 6_000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


@dataclass(frozen=True)
class ScaleRegion:
    """Characters [start, end) whose bare figures a scale note multiplies; `keep_face` when the note has
    exceptions ("except per share amounts"), so a figure may also be meant at face value."""

    start: int
    end: int
    scale: float
    keep_face: bool


def _is_prose_line(line: str) -> bool:
    if "|" in line:
        return False  # a table row, also when its header cells are wordy
    words = len(re.findall(r"[A-Za-z]{2,}", line))
    figures = len(re.findall(r"\d[\d,.]*", line))
    if words >= 4 and re.search(r"[a-z)]{2,}[.!?]\s*$", line) and words > figures:
        return True  # a short sentence after a table ends it
    return words >= 8 and words > 3 * figures


def scale_regions(text: str) -> list[ScaleRegion]:
    """Where each "(in thousands)"-style note applies: its own sentence when it sits in prose, plus the table
    lines (non-prose lines, blank lines included) right before and after it."""
    regions: list[ScaleRegion] = []
    for m in _SCALE_NOTE.finditer(text):
        word = (m["scale"] or m["scale2"] or m["scale3"] or m["scale4"]).lower()
        keep_face = "except" in m.group(0).lower()
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        line = text[line_start:line_end]
        if _is_prose_line(line):
            # The note's sentence, then the table after it.
            bounds = [line_start] + [line_start + s.end() for s in _SENTENCE_END.finditer(line)] + [line_end + 1]
            k = bisect.bisect_right(bounds, m.start()) - 1
            start, end = bounds[k], min(bounds[k + 1], line_end)
            if end == line_end:  # the line's last sentence introduces the table below it
                end = _table_end(text, line_end)
        elif re.search(r"\$\s?\d|\d,\d{3}|\d\.\d", text[m.end() : line_end]):
            start, end = line_start, line_end  # a row's own note: "Customer transactions (in millions): 1,637.2"
        else:
            start = _table_start(text, line_start)
            end = _table_end(text, line_end)
        regions.append(ScaleRegion(start, end, _NOTE_SCALES[word], keep_face))
    return regions


def _table_end(text: str, pos: int) -> int:
    limit = min(len(text), pos + SCALE_NOTE_REACH)
    while pos < limit:
        nxt = text.find("\n", pos + 1)
        nxt = len(text) if nxt < 0 else nxt
        line = text[pos + 1 : nxt]
        if _is_prose_line(line) or _SCALE_NOTE.search(line):
            return pos
        pos = nxt
    return limit


def _table_start(text: str, pos: int) -> int:
    limit = max(0, pos - SCALE_NOTE_REACH)
    while pos > limit:
        prev = text.rfind("\n", 0, pos - 1) + 1
        line = text[prev : pos - 1] if pos > 0 else ""
        if _is_prose_line(line) or _SCALE_NOTE.search(line):
            return pos
        pos = prev
    return limit


def apply_scale_notes(text: str, mentions: list[NumberMention]) -> list[list[NumberMention]]:
    """For each mention, the readings it has: itself, or under a scale note the scaled figure (and the face
    value too where the note has exceptions). Figures with their own scale word are left as they are."""
    regions = scale_regions(text)
    out: list[list[NumberMention]] = []
    for x in mentions:
        region = next((r for r in regions if r.start <= x.start < r.end), None)
        if (region is None or x.kind != "number" or x.scaled or not any(c.isdigit() for c in x.text)
                or x.head == "point"):
            out.append([x])
            continue
        scaled = replace(x, value=x.value * region.scale, half_unit=x.half_unit * region.scale, scaled=True)
        out.append([scaled, x] if region.keep_face else [scaled])
    return out


# --- checking a summary's figures against a source -----------------------------------------------------------

@dataclass
class SourceFigures:
    """The figures of one source text, indexed for tolerance look-ups (amounts and counts, percentages) and
    set look-ups (years, dates)."""

    numbers: list[tuple[float, int]] = field(default_factory=list)  # (magnitude, index into `mentions`)
    percents: list[tuple[float, int]] = field(default_factory=list)
    mentions: list[NumberMention] = field(default_factory=list)
    years: set[int] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)  # "YYYY-MM-DD" and "YYYY-MM"

    @classmethod
    def from_text(cls, text: str) -> SourceFigures:
        figures = cls()
        for readings in source_readings(text):
            for mention in readings:
                if mention.kind == "number" and _alone_on_line(text, mention):
                    continue  # a page number ("\n9\n"), not a figure of the filing
                if mention.kind in ("number", "percent"):
                    if not is_sane(mention):
                        continue
                    pool = figures.numbers if mention.kind == "number" else figures.percents
                    pool.append((mention.magnitude, len(figures.mentions)))
                    figures.mentions.append(mention)
                    continue
                figures.years.add(int(mention.value))
                for date in (mention.date, *mention.more_dates):
                    if mention.kind == "date" and date:
                        figures.dates.update((date, date[:7]))
                        figures.years.add(int(date[:4]))
        for date in _header_dates(text):
            figures.dates.update((date, date[:7]))
        figures.numbers.sort()
        figures.percents.sort()
        return figures

    def near(self, mention: NumberMention, tolerance: float) -> list[NumberMention]:
        """Source amounts/counts (or percentages) whose magnitude is within `tolerance` of the mention's."""
        pool = self.percents if mention.kind == "percent" else self.numbers
        value = mention.magnitude
        i = bisect.bisect_left(pool, (value - tolerance, -1))
        out = []
        while i < len(pool) and pool[i][0] <= value + tolerance:
            out.append(self.mentions[pool[i][1]])
            i += 1
        return out

    def same_metric(self, mention: NumberMention) -> list[NumberMention]:
        """Source figures of the same unit that measure the same thing (same counted noun or metric word)."""
        pool = self.percents if mention.kind == "percent" else self.numbers
        out = []
        for _, i in pool:
            other = self.mentions[i]
            if not _same_unit(mention, other) or other.identifier or mention.identifier:
                continue
            if mention.head and mention.head == other.head:
                out.append(other)
            elif mention.metric and mention.metric & other.metric:
                out.append(other)
        return out


@lru_cache(maxsize=256)
def source_readings(text: str) -> tuple[list[NumberMention], ...]:
    """The figures of a source with their readings under its scale notes; cached per source text (the figure
    checks and the claim checks of one source share them)."""
    return tuple(apply_scale_notes(text, extract_numbers(text)))


def _alone_on_line(text: str, mention: NumberMention) -> bool:
    line_start = text.rfind("\n", 0, mention.start) + 1
    line_end = text.find("\n", mention.end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    return line.strip() == mention.text.strip()


@lru_cache(maxsize=512)
def source_figures(source: str) -> SourceFigures:
    """Cached per source text: one source is scored against many summaries (systems, baselines)."""
    return SourceFigures.from_text(source)


# Beyond this a figure is not a quantity a filing states (the largest in a filing are ~1e13 dollars); a string
# of 309+ digits does not even parse to a finite float.
MAX_SANE_MAGNITUDE = 1e15


def is_sane(mention: NumberMention) -> bool:
    """Whether a figure parsed to a finite value of sane magnitude (a 308-digit "figure" is neither).

    >>> is_sane(parse_number("$60.9 billion")), is_sane(parse_number("9" * 309))
    (True, False)
    """
    return math.isfinite(mention.value) and abs(mention.value) < MAX_SANE_MAGNITUDE


def _same_unit(a: NumberMention, b: NumberMention) -> bool:
    """Whether two equal values would state the same kind of quantity: same currency, or a count of the same
    thing; a bare figure (no currency, no noun, as in a table) goes with either."""
    if a.kind != b.kind:
        return False
    if a.kind == "percent":
        return True
    if a.currency and b.currency:
        return a.currency == b.currency
    if a.currency or b.currency:
        plain = b if a.currency else a
        # "three-" of "three- and nine-month periods": a number written in words is a count, never money
        return not plain.noun and not plain.text.strip().isalpha()
    return nouns_match(a.noun, b.noun)


def _same_fact(summary: NumberMention, source: NumberMention) -> bool:
    """Whether a source figure can state the summary's fact: same unit, same identifier ("Note 20" states no
    count of countries), no different metric ("net sales" is not "net loss"), and a table figure only for a
    summary that names its row ("iPad net sales ... 8%" is not Europe's 8%)."""
    if not _same_unit(summary, source):
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
    # Most of the row's label, as summaries paraphrase labels ("segment revenue" -> "segment brought in").
    return len(source.row & summary.context) >= math.ceil(0.6 * len(source.row))


def _opposed(a: NumberMention, b: NumberMention) -> bool:
    """Opposite sign or direction, where both state one: "net loss" vs "net income", "increased" vs "fell"."""
    return (a.level * b.level < 0) or (a.change * b.change < 0)


def _tolerance(mention: NumberMention, rel_tol: float, max_rounding: float) -> float:
    value = mention.magnitude
    cap = max_rounding * value if not mention.bound else 2 * mention.half_unit
    if mention.bound == 0 and mention.half_unit > 0.5 * value * max_rounding:
        cap = max(cap, min(mention.half_unit, 0.1 * value))  # "about 32,000" for 32,439; "about 30" for 31.4
    return max(rel_tol * value, min(mention.half_unit, cap))


def _within_bound(summary: NumberMention, source: NumberMention) -> bool:
    """ "more than 32,000" holds for 32,439 but not for 31,900; "less than 1,000" the other way round."""
    if summary.bound > 0:
        return source.magnitude >= summary.magnitude
    if summary.bound < 0:
        return source.magnitude <= summary.magnitude
    return True


@dataclass(frozen=True)
class FigureVerdict:
    """One summary figure, what the check made of it, and the source figure behind the verdict (if any)."""

    mention: NumberMention
    verdict: Verdict
    reason: str
    evidence: NumberMention | None = None


def classify_figure(
    readings: list[NumberMention],
    figures: SourceFigures,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    max_rounding: float = DEFAULT_MAX_ROUNDING,
) -> FigureVerdict:
    """Supported, contradicted or unverifiable, for one summary figure given its readings (one, or two when a
    scale note with exceptions leaves it ambiguous)."""
    first = readings[0]
    if not is_sane(first):
        return FigureVerdict(first, "unverifiable", "not a finite figure of sane magnitude")
    if first.kind == "year":
        ok = int(first.value) in figures.years
        return FigureVerdict(first, "supported" if ok else "unverifiable", "year" if ok else "year not in source")
    if first.kind == "date":
        dates = (first.date, *first.more_dates)
        ok = all(d in figures.dates for d in dates if d)
        return FigureVerdict(first, "supported" if ok else "unverifiable", "date" if ok else "date not in source")
    opposed: NumberMention | None = None
    for mention in readings:
        tolerance = _tolerance(mention, rel_tol, max_rounding)
        if mention.bound:
            tolerance = max(tolerance, 2 * mention.half_unit)
        # The closest value first: "$53.0 billion" is the $53.0 billion of the source, not its $52.9 billion.
        for other in sorted(figures.near(mention, tolerance), key=lambda o: abs(o.magnitude - mention.magnitude)):
            if not _same_fact(mention, other) or not _within_bound(mention, other):
                continue
            if not _opposed(mention, other):
                return FigureVerdict(mention, "supported", "same value and unit", other)
            opposed = opposed or other
    if opposed is not None:
        return FigureVerdict(first, "contradicted", "same value, opposite sign or direction", opposed)
    for mention in readings:
        same = figures.same_metric(mention)
        if same:
            return FigureVerdict(first, "contradicted", "same metric, other value", same[0])
    return FigureVerdict(first, "unverifiable", "no such figure in the source")


def is_supported(
    mention: NumberMention,
    figures: SourceFigures,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    max_rounding: float = DEFAULT_MAX_ROUNDING,
) -> bool:
    """Whether a summary's figure (read without scale notes) appears in the source."""
    verdict = classify_figure([mention], figures, rel_tol=rel_tol, max_rounding=max_rounding)
    return verdict.verdict == "supported"


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
    """A summary's figures: supported, and the unsupported ones split into contradicted and unverifiable."""

    verdicts: list[FigureVerdict] = field(default_factory=list)

    @property
    def contradicted(self) -> list[NumberMention]:
        return [v.mention for v in self.verdicts if v.verdict == "contradicted"]

    @property
    def unverifiable(self) -> list[NumberMention]:
        return [v.mention for v in self.verdicts if v.verdict == "unverifiable"]


def check_numbers(
    summary: str,
    source: str,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    max_rounding: float = DEFAULT_MAX_ROUNDING,
) -> NumberCheck:
    """Every figure of the summary, judged against the source (scale notes applied in both texts)."""
    figures = source_figures(source)
    verdicts = [
        classify_figure(readings, figures, rel_tol=rel_tol, max_rounding=max_rounding)
        for readings in apply_scale_notes(summary, extract_numbers(summary))
    ]
    supported = [v.mention for v in verdicts if v.verdict == "supported"]
    unsupported = [v.mention for v in verdicts if v.verdict != "supported"]
    return NumberCheck(supported, unsupported, verdicts)
