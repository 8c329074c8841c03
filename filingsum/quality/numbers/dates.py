"""Dates and years in text: "December 31, 2016", "12/31/2016", "fiscal 2016", and dates a table header spells
over two lines ("Year Ended December 31," above "| 2016 | 2015")."""

from __future__ import annotations

import re

from filingsum.quality.numbers.mention import NumberMention
from filingsum.quality.numbers.spans import TakenSpans

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
YEAR_RE = r"(?:1[89]|20)\d{2}"
# "December 31, 2016 and 2017", "December 31, 2016, 2015 and 2014": more years for the same month and day.
_MORE_YEARS = rf"(?P<more>(?:\s*,?\s*(?:and\s+|or\s+)?{YEAR_RE}\b(?!\s*[-/]\d))*)"

_DATE_PATTERNS = (
    # December 31, 2016 / Dec. 31 2016 / May 2011 / December 31, 2016 and 2017
    re.compile(
        rf"\b(?=[adfjmnos])(?P<month>{_MONTH_RE})\.?\s+(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?"
        rf"(?P<year>{YEAR_RE})\b{_MORE_YEARS}",
        re.IGNORECASE,
    ),
    # 31 December 2016
    re.compile(rf"\b(?=\d)(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH_RE})\.?,?\s+(?P<year>{YEAR_RE})\b", re.IGNORECASE),
    # 12/31/2016
    re.compile(rf"(?<![\w/])(?=\d)(?P<month>\d{{1,2}})/(?P<day>\d{{1,2}})/(?P<year>{YEAR_RE})(?![\w/])"),
    # 2016-12-31
    re.compile(rf"(?<![\w-])(?=[12])(?P<year>{YEAR_RE})-(?P<month>\d{{2}})-(?P<day>\d{{2}})(?![\w-])"),
)
# A table header: "Year Ended December 31," with the years in the next lines ("| 2016 | 2015").
_HEADER_DATE = re.compile(
    rf"\b(?=[adfjmnos])(?P<month>{_MONTH_RE})\.?\s+(?P<day>\d{{1,2}}),?(?=[\s|]*(?:\n|\|))", re.IGNORECASE
)
_HEADER_DATE_REACH = 200
# The first day of a range whose year is written once, at its end: "from July 22 to September 30, 2023".
_RANGE_START = re.compile(
    rf"\b(?=[adfjmnos])(?P<month>{_MONTH_RE})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:to|through|until|and|"
    rf"[-\u2013\u2014])\s*(?:{_MONTH_RE})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?P<year>{YEAR_RE})\b", re.IGNORECASE
)
_FISCAL_YEAR = re.compile(rf"\b(?=[fF])(?:fiscal(?:\s+year)?|FY)\s*'?(?P<year>{YEAR_RE})\b", re.IGNORECASE)


def _date(year: int, month: int, day: int | None) -> str:
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def date_mentions(text: str) -> list[NumberMention]:
    found: list[NumberMention] = []
    taken = TakenSpans()
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
            extra = tuple(_date(int(y), month, day) for y in re.findall(YEAR_RE, more))
            end = m.end() if extra else m.end("year")
            found.append(NumberMention(m.start(), end, text[m.start():end], "date", float(year),
                                       _date(year, month, day), more_dates=extra))
            taken.add(m.start(), end)
    for m in _RANGE_START.finditer(text):  # "July 22 to September 30, 2023": the first day takes the year
        if taken.free(m.start(), m.end("day")) and 1 <= int(m["day"]) <= 31:
            year, month = int(m["year"]), _MONTHS[m["month"].lower()]
            end = m.end("day")
            found.append(NumberMention(m.start(), end, text[m.start():end], "date", float(year),
                                       _date(year, month, int(m["day"]))))
            taken.add(m.start(), end)
    for m in _FISCAL_YEAR.finditer(text):
        if taken.free(m.start(), m.end()):
            found.append(NumberMention(m.start(), m.end(), m.group(0), "year", float(m["year"]), m["year"]))
            taken.add(m.start(), m.end())
    return found


def header_dates(text: str) -> set[str]:
    """Dates a table header spells over two lines: "Year Ended December 31," then "| 2016 | 2015"."""
    out: set[str] = set()
    for m in _HEADER_DATE.finditer(text):
        day = int(m["day"])
        if not 1 <= day <= 31:
            continue
        month = _MONTHS[m["month"].lower()]
        window = text[m.end() : m.end() + _HEADER_DATE_REACH]
        stop = re.search(r"[A-Za-z]{3,}(?![^\n]*\|)", window)  # the header ends where a text row starts
        for year in re.findall(rf"(?<![\d,.$]){YEAR_RE}(?![\d,.%])", window[: stop.start()] if stop else window):
            out.add(_date(int(year), month, day))
    return out


# "Three Months Ended August 31" in a table's heading, whose years stand in the column headings.
_DAY_WITHOUT_YEAR = re.compile(
    rf"\b(?=[adfjmnos])(?P<month>{_MONTH_RE})\.?\s+(?P<day>\d{{1,2}})\b(?!\s*,?\s*{YEAR_RE}\b)", re.IGNORECASE
)


def heading_dates(heading: str) -> set[str]:
    """The dates a table's heading gives its year columns: "Three Months Ended August 31 / (Dollars in millions):
    2024 | Actual | 2023" -> 2024-08-31 and 2023-08-31."""
    days = [(_MONTHS[m["month"].lower()], int(m["day"])) for m in _DAY_WITHOUT_YEAR.finditer(heading)
            if 1 <= int(m["day"]) <= 31]
    if not days:
        return set()
    years = {int(y) for y in re.findall(rf"(?<![\d,.$]){YEAR_RE}(?![\d,.%])", heading)}
    return {_date(year, month, day) for year in years for month, day in days}
