"""The periods of a claim checked: a year or date of the claim must be in the source (and in the unit the claim
comes from, when that unit is dated), and a figure must be stated for the years the claim gives it ("compared
to 2023" is a comparison base, not the figure's year)."""

from __future__ import annotations

import re
from functools import lru_cache

from filingsum.quality.claims.alignment import BIND_MARGIN, MIN_SUPPORT, Judge
from filingsum.quality.claims.index import SourceIndex
from filingsum.quality.claims.records import Claim
from filingsum.quality.claims.split import CLAIM_SEGMENT_SPLIT, segment_at
from filingsum.quality.claims.words import content_words, year_earlier
from filingsum.quality.numbers import FigureVerdict, NumberMention
from filingsum.quality.numbers.dates import date_mentions

_YEAR_IN_TEXT = re.compile(r"(?<![\d,.$])(?:19|20)\d\d(?![\d%]|[,.]\d)")


# A year after these words is the base a change is measured against, not the period of the figure: "an
# increase of 22% compared to 2023" states 2024's growth.
_COMPARED_TO = re.compile(r"(?:compared\s+(?:to|with)|from|over|versus|vs\.?|than|relative\s+to|against)\s+"
                          r"(?:(?:in|the|fiscal|calendar|full|year|same\s+period\s+(?:of|in)|end\s+of|first|second|"
                          r"third|fourth|quarter|half|three|six|nine|twelve|months?|ended|of)\s+)*"
                          r"(?:[A-Z][a-z]+\.?\s+\d{1,2},\s*)?$",  # "... compared to the year ended December 31, 2023"
                          re.IGNORECASE)
_BASE_REACH = 60  # characters before a year searched for the words that make it a base


# A verb between a base year and a figure: the year ends the comparison, it does not date the figure ("as compared
# to the year ended December 31, 2023 was due to a $1,104 million increase").
_CLAUSE_VERB = re.compile(r"\b(?:was|were|is|are|had|has|have|reflect\w*|due|driven|primarily)\b", re.IGNORECASE)


# Counts that measure a period's length ("the first six months"), not figures dated by a period.
_PERIOD_NOUNS = frozenset({"month", "week", "quarter", "day"})


_YEARS_THEN_RESPECTIVELY = re.compile(r",\s*(?:19|20)\d\d(?:\s*,?\s*(?:and\s+)?(?:19|20)\d\d)+,?\s+respectively",
                                      re.IGNORECASE)


# A year that dates an event the sentence mentions, not the period of its figures: "$3,109 million related to
# ... our acquisition of fairlife in 2020", "a brand we acquired in 2021", "since 2019".
_EVENT_BEFORE = re.compile(r"\b(?:acqui\w+|founded|formed|established|incorporated|since|(?:re-?)?launched|"
                           r"introduced|purchased|bought|sold|completed|opened|merge[rd]\w*|entered\s+into|signed|"
                           r"issued)\b[^.;,$%\d]{0,40}$", re.IGNORECASE)


def _event_year(text: str, start: int) -> bool:
    return _EVENT_BEFORE.search(text[max(0, start - 50) : start]) is not None


def _prose_period(index: SourceIndex, k: int, figure: NumberMention) -> frozenset[int]:
    """The years a prose figure is for: those of its segment ("$441.8 billion and $420.6 billion for fiscal
    2024 and 2023, respectively" pairs them in order), else none."""
    unit = index.units[k]
    raw = index.text[unit.start : unit.end]
    span = segment_at(raw, figure.start - unit.start)
    seg = raw[span[0] : span[1]]
    found = [m for m in _YEAR_IN_TEXT.finditer(seg) if not _event_year(seg, m.start())]
    at = figure.start - unit.start - span[0]
    # "compared to 2024 fiscal second quarter sales of $22.4 billion": a base year before the figure dates it
    if not found:
        # "$3.89 billion and $5.05 billion for the six months ended June 30, 2025 and 2024, respectively": the
        # date's comma split the years off
        tail = _YEARS_THEN_RESPECTIVELY.match(raw, span[1])
        same = sorted({m.start for m in index.unit_figures[k].mentions
                       if m.kind == figure.kind and m.currency == figure.currency
                       and unit.start + span[0] <= m.start < unit.start + span[1]})
        if tail:
            listed = [int(y) for y in _YEAR_IN_TEXT.findall(tail.group(0))]
            if len(listed) == len(same) and figure.start in same:
                return frozenset({listed[same.index(figure.start)]})
    base = span[0]  # looked for in the sentence: a date's comma may have split "compared to ... 31," off the segment
    years = [int(m.group()) for m in found
             if not _COMPARED_TO.search(raw[max(0, base + m.start() - _BASE_REACH) : base + m.start()])
             or (m.start() < at and not _CLAUSE_VERB.search(seg[m.end() : at]))]
    if not found and year_earlier(seg):
        # "compared to $17.5 billion a year earlier": the year before the sentence's own years
        return frozenset(int(m.group()) - 1 for m in _YEAR_IN_TEXT.finditer(raw)
                         if not _COMPARED_TO.search(raw[max(0, m.start() - _BASE_REACH) : m.start()]))
    if not years:
        if not found:
            return frozenset()
        # only a comparison base here ("an increase of 22% compared to 2023"): the sentence's own years
        return frozenset(int(m.group()) for m in _YEAR_IN_TEXT.finditer(raw)
                         if not _COMPARED_TO.search(raw[max(0, m.start() - _BASE_REACH) : m.start()])
                         and not _event_year(raw, m.start()))
    same = [m for m in index.unit_figures[k].mentions
            if m.kind == figure.kind and unit.start + span[0] <= m.start < unit.start + span[1]]
    starts = sorted({m.start for m in same})
    # "Shipping costs were $89.5 billion and $95.8 billion in 2023 and 2024": in order, without "respectively"
    listed_after = len(starts) == len(found) > 1 and all(unit.start + span[0] + m.start() > starts[-1] for m in found)
    if ("respectively" in raw[span[1] : span[1] + 20].lower() or listed_after) and len(starts) > 1:
        if len(starts) != len(years):
            # "for the three months ended June 27, 2025 and June 28, 2024 was $1,621 million and $1,376 million,
            # respectively": the years stand before the figures' segment, the comma of a date splitting them off
            before = raw[: span[0]]
            years = [int(m.group()) for m in _YEAR_IN_TEXT.finditer(before)
                     if not _COMPARED_TO.search(before[max(0, m.start() - _BASE_REACH) : m.start()])
                     ][-len(starts):] + years
            years = years[-len(starts):] if len(years) >= len(starts) else years
        if len(starts) == len(years):
            return frozenset({years[starts.index(figure.start)]})
    return frozenset(years)


# The period a figure is stated for, right after it: "17.4% in fiscal 2023", "17.7% for the three months ended
# March 31, 2024", "$3.85 billion during the six months ended June 30, 2024".
_DAY = r"(?:\b[A-Z][a-z]+\.?\s+\d{1,2},\s*)?"  # "March 31, " before a year
_PERIOD_AFTER = re.compile(rf"\s*,?\s*(?:in|for|during|at|as\s+of|on)\b[^.;$%,]{{0,50}}?{_DAY}"
                           r"(?<![\d,.$])((?:19|20)\d\d)(?![\d%]|[,.]\d)", re.IGNORECASE)
_BASE_WORDS = re.compile(r"\b(?:relative|compared|versus|vs|from|than|over|against|prior|previous)\b", re.IGNORECASE)


def _year_right_after(index: SourceIndex, k: int, figure: NumberMention) -> int | None:
    """The year of the period phrase that follows a prose figure before any other figure of its kind ("18.0% in
    fiscal 2024 compared to 17.4% in fiscal 2023": 2023 for 17.4%), unless a list of them follows ("... 2025
    and 2024", which "respectively" pairs); None when no period phrase follows it."""
    unit = index.units[k]
    following = [m.start for m in index.unit_figures[k].mentions
                 if m.start > figure.start and m.kind == figure.kind and m.currency == figure.currency]
    stop = min([unit.end, *following])
    window = index.text[figure.end : stop]
    m = _PERIOD_AFTER.match(window)
    listed = re.match(rf"\s*(?:,|and)\s*{_DAY}(?:19|20)\d\d", window[m.end() :]) if m else None
    if m is None or _BASE_WORDS.search(m.group(0)) or listed:
        return None
    return int(m.group(1))


def wrong_figure_period(index: SourceIndex, verdict: FigureVerdict, claim: Claim, k: int, coverage: float = 0.0
                        ) -> frozenset[int] | None:
    """None when the claim's years fit the evidence figure's period; else the years the source gives it for.
    ``coverage``: how much of the claim unit k holds (a period phrase right after the figure binds only in a
    unit the claim comes from)."""
    claim_years = {int(p.value) for p in claim.periods if p.kind == "year"} | {
        int(d[:4]) for p in claim.periods if p.kind == "date" for d in (p.date, *p.more_dates) if d}
    if year_earlier(claim.text):
        claim_years |= {y - 1 for y in claim_years}  # "from $715 million a year earlier"
    if not claim_years or verdict.evidence is None or verdict.evidence.noun & _PERIOD_NOUNS:
        return None  # "six" of "the first six months": the length of the period, not a figure dated by it
    if _undated_base(claim, verdict.mention):
        return None  # "rose to 75.3% in 2009 from 74.2%": the base of the change, for the period before
    period = index.figure_periods.get((verdict.evidence.start, verdict.evidence.end))
    if not period and index.units[k].kind == "sentence":
        own = _year_right_after(index, k, verdict.evidence) if coverage >= MIN_SUPPORT else None
        if own is not None:  # bound right after the figure: judged by the years of the claim's own clause
            span = segment_at(claim.text, verdict.mention.start - claim.start, CLAIM_SEGMENT_SPLIT)
            local = {int(p.value) if p.kind == "year" else int((p.date or "0")[:4]) for p in claim.periods
                     if span[0] <= p.start - claim.start < span[1]}
            if year_earlier(claim.text[span[0] : span[1]]):
                local |= {y - 1 for y in local}  # "from $715 million a year earlier"
            return frozenset({own}) if local and own not in local else None
        period = _prose_period(index, k, verdict.evidence)
    if period and not (claim_years & period):
        return period
    return None


# "from", "up from", "compared with", "versus" right before a claim's figure: the base a change starts from.
_BASE_BEFORE = re.compile(r"\b(?:from|compared\s+(?:to|with)|versus|vs\.?|against)\s+(?:about|roughly|around|"
                          r"approximately|nearly|almost|some|just|over|under)?\s*$", re.IGNORECASE)


def _undated_base(claim: Claim, mention: NumberMention) -> bool:
    """Whether a claim's figure is the base of a change it states with no year of its own ("rose to 75.3% in 2009
    from 74.2%", "up from roughly $2.2 billion"): it is for the period before the claim's."""
    at = mention.start - claim.start
    if not _BASE_BEFORE.search(claim.text[max(0, at - 40) : at]):
        return False
    rest = re.split(r"[,;]", claim.text[mention.end - claim.start :], maxsplit=1)[0]
    return not _YEAR_IN_TEXT.search(rest)


# What a date is the date of, by the word right before it: "payable on September 9, 2025, to shareholders of
# record as of August 26, 2025".
_DATE_ROLES = {
    "payment": re.compile(r"\b(?:payable|paid|payment|pays?)\b", re.IGNORECASE),
    "record": re.compile(r"\brecord\b", re.IGNORECASE),
    "declaration": re.compile(r"\b(?:declared?|announced?)\b", re.IGNORECASE),
    "maturity": re.compile(r"\b(?:matur\w*|due|expir\w*)\b", re.IGNORECASE),
}
_ROLE_REACH = 30


def _date_role(text: str, start: int) -> str | None:
    before = text[max(0, start - _ROLE_REACH) : start]
    before = re.split(r"[,;]", before)[-1] if not before.rstrip().endswith(",") else before
    found = [(m.end(), role) for role, pattern in _DATE_ROLES.items() for m in pattern.finditer(before)]
    return max(found)[1] if found else None


def check_date_role(judge: Judge, mention: NumberMention) -> tuple[str, str, int | None] | None:
    """A date the claim gives a role ("payable on August 26, 2025") against the date the source gives that role
    in the same unit ("payable on September 9, 2025, to shareholders of record as of August 26, 2025")."""
    if mention.kind != "date" or not mention.date or len(mention.date) < 10:
        return None
    role = _date_role(judge.claim.text, mention.start - judge.claim.start)
    if role is None:
        return None
    index = judge.index
    for k, dates in enumerate(index.unit_dates):
        if mention.date not in dates:
            continue
        unit = index.units[k]
        raw = index.text[unit.start : unit.end]
        same_role = [d for d in date_mentions(raw)
                     if d.date and len(d.date) == 10 and _date_role(raw, d.start) == role]
        stated = {d.date for d in same_role}
        if stated and mention.date not in stated:
            return "contradicted", f"the source gives {same_role[0].text} as the {role} date", k
    return None


def check_period(judge: Judge, mention: NumberMention, best: int | None) -> tuple[str, str, int | None] | None:
    """A year or date of the claim: in the source, and in the unit the claim comes from when that has dates."""
    index = judge.index
    if mention.kind == "date":
        wanted = {d for d in (mention.date, *mention.more_dates) if d}
        holders = [k for k, ds in enumerate(index.unit_dates) if wanted & ds]
        everywhere = all(any(d in ds for ds in index.unit_dates) for d in wanted)
        if not everywhere:
            return "unsupported", f"{mention.text} is not in the source", None
        role = check_date_role(judge, mention)
        if role is not None:
            return role
        years = {int(d[:4]) for d in wanted}
    else:
        years = {int(mention.value)}
        holders = [k for k, ys in enumerate(index.unit_years) if years & ys]
        if not holders:
            return "unsupported", f"{mention.text} is not in the source", None
    if best is None:
        return None
    if mention.kind == "date":
        # "completed the acquisition on February 12, 2024" against a sentence that dates it August 1, 2024: the
        # same year, another day (or month) of the same precision.
        same_precision = {d for d in index.unit_dates[best] if any(len(d) == len(w) for w in wanted)}
        if same_precision and not wanted & same_precision and _closer_elsewhere(judge, best, holders) is False:
            shown = ", ".join(sorted(same_precision))
            return "contradicted", f"the source dates this to {shown}, not {mention.text}", best
    best_years = index.unit_years[best]
    about_an_event = _event_year(judge.claim.text, mention.start - judge.claim.start)  # "incorporated in 1919"
    if index.units[best].kind == "sentence" and not about_an_event:  # "... our acquisition of fairlife in 2020"
        raw = index.text[index.units[best].start : index.units[best].end]
        events: dict[bool, set[int]] = {True: set(), False: set()}
        for m in _YEAR_IN_TEXT.finditer(raw):
            events[_event_year(raw, m.start())].add(int(m.group()))
        best_years = best_years - (events[True] - events[False])
    if not best_years or years & best_years or _only_bases(index, best):
        return None
    if _closer_elsewhere(judge, best, holders) is False:
        shown = ", ".join(str(y) for y in sorted(best_years))
        return "contradicted", f"the source dates this to {shown}, not {mention.text}", best
    return None


def _only_bases(index: SourceIndex, k: int) -> bool:
    """Whether every year of a source sentence is the base of a comparison ("expected to grow between 5% and 9%
    compared with first quarter 2024"): the sentence's own period is not stated there."""
    unit = index.units[k]
    if unit.kind != "sentence":
        return False
    found = list(_YEAR_IN_TEXT.finditer(unit.text))
    return bool(found) and all(_COMPARED_TO.search(unit.text[max(0, m.start() - _BASE_REACH) : m.start()])
                               for m in found)


def _closer_elsewhere(judge: Judge, best: int, holders: list[int]) -> bool:
    """Whether a unit that holds the claim's period is about as close to the claim as the best unit (then the
    claim may come from there); False when the best unit is clearly the claim's source."""
    best_cov, best_words = judge.coverage(best), _claim_words_in(judge, best)
    for k in holders:
        if k == best:
            continue
        dominated = _claim_words_in(judge, k) < best_words  # the best unit says all it says of the claim, and more
        if not dominated and judge.coverage(k) + BIND_MARGIN >= best_cov:
            return True
    return False


_MONTHS = content_words("January February March April May June July August September October November December")


def _claim_words_in(judge: Judge, k: int) -> frozenset[str]:
    """The claim's words unit k holds, its period's month names aside (they are what is being checked)."""
    return frozenset(w for w in judge.claim.words - _MONTHS if k in judge.index.postings.get(w, ()))


_QUARTER = re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th|q[1-4])(?:[\s-]+(?:fiscal\s+)?quarter)?\b",
                      re.IGNORECASE)
_ORDINAL = {"first": 1, "1st": 1, "q1": 1, "second": 2, "2nd": 2, "q2": 2, "third": 3, "3rd": 3, "q3": 3,
            "fourth": 4, "4th": 4, "q4": 4}


@lru_cache(maxsize=8192)  # a source unit is read for every claim aligned to it
def _quarters(text: str) -> frozenset[int]:
    return frozenset({_ORDINAL[m.group(1).lower()] for m in _QUARTER.finditer(text)
            if m.group(1).lower().startswith("q") or "quarter" in m.group(0).lower()})


def check_quarter(judge: Judge, aligned: int) -> tuple[str, str, int] | None:
    """"our third quarter is typically our largest" against a source sentence that says the first quarter: the
    claim's quarter is not among those of the unit it comes from, which names others."""
    claimed = _quarters(judge.claim.text)
    stated = _quarters(judge.index.units[aligned].text)
    if claimed and stated and not claimed & stated:
        names = {1: "first", 2: "second", 3: "third", 4: "fourth"}
        shown = ", ".join(names[q] for q in sorted(stated))
        return "contradicted", f"the source says the {shown} quarter", aligned
    return None


# Lengths of time: "12 months", "six-month", "a 364-day facility", "five-year revolving credit agreement".
_TIME_UNITS = ("month", "year", "week", "day", "quarter")
_SPELLED = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
            10: "ten", 11: "eleven", 12: "twelve", 15: "fifteen", 18: "eighteen", 20: "twenty", 24: "twenty-four",
            30: "thirty", 36: "thirty-six"}
_WORD_VALUES = {word: value for value, word in _SPELLED.items()}
_DURATION = re.compile(rf"(?<![\w.,$])(\d{{1,3}}|{'|'.join(sorted(_WORD_VALUES, key=len, reverse=True))})"
                       rf"[\s-]({'|'.join(_TIME_UNITS)})s?\b", re.IGNORECASE)


def duration_unit(index: SourceIndex, value: int, unit: str) -> int | None:
    """The source unit stating a length of time in any spelling ("12-month", "twelve months", "12 months"), or
    None."""
    forms = [str(value)] + ([_SPELLED[value]] if value in _SPELLED else [])
    pattern = rf"(?<![\w.,$])(?:{'|'.join(re.escape(f) for f in forms)})[\s-]+{unit}s?\b"
    match = re.search(pattern, index.text, re.IGNORECASE)
    return index.unit_at(match.start()) if match else None


def duration_of_figure(index: SourceIndex, figure: NumberMention) -> int | None:
    """For a count of months, years, ... ("over the next 12 months"): the unit stating that length of time; a
    period's length is not an amount to be found among figures."""
    unit = next((u for u in _TIME_UNITS if u in figure.noun), None)
    if unit is None or figure.value != int(figure.value) or not 0 < figure.value <= 366:
        return None
    return duration_unit(index, int(figure.value), unit)


def check_durations(judge: Judge) -> tuple[str, str, int | None] | None:
    """A length of time written as a modifier ("a five-year revolving credit agreement", "a 364-day facility",
    which are not figures) must be one the source states, in any spelling."""
    for m in _DURATION.finditer(judge.claim.text):
        if m.group(0)[len(m.group(1))] != "-" or m.group(0).lower().endswith("s"):
            continue  # "six months" is a count (the figure check reads it), "three-quarters" a share
        raw = m.group(1).lower()
        value = int(raw) if raw.isdigit() else _WORD_VALUES[raw]
        if duration_unit(judge.index, value, m.group(2).lower()) is None:
            return "unsupported", f"{m.group(0)!r} is not in the source", None
    return None
