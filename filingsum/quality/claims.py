"""Claim-level alignment: every claim of a summary checked against the source sentence (or table row) it comes
from, not against the whole document.

A summary is split into claims (its sentences, or clauses where a sentence joins two claims with "; ",
", while", ", whereas", ", but" or ", and"). Each claim is aligned to the source units that share the most of
its content: sentences of the prose and rows of the tables (a row carries its table's caption and column
headings). Content words are weighted by how rare they are in the source (idf), so "Europe" counts for more
than "net sales"; the claim's figures are anchors.

Every claim gets one of three verdicts, with the source unit that decided it and the reason:

- **supported**: an aligned unit states it. A figure must be in a unit that is about the same thing (most of
  the claim's rare words: segment, region, product, metric), with the same unit and scale, the same
  direction, and the same period where the claim names one; a name must be in the source, and a role the
  claim gives it (customer, supplier, competitor, subsidiary, partner, regulator) must be its role there;
- **contradicted**: the aligned unit says otherwise: another value for the same metric, the opposite
  direction, the figure belongs to another segment or period (a unit that matches the claim better gives
  another value), a negation or modal the source does not have ("sells directly" for "does not sell
  directly"), a vague quantity the aligned figure rules out ("most" for 45%), a count the aligned sentence
  does not enumerate ("three segments" for two), a name in another role;
- **unsupported**: no unit states it: a figure or name found nowhere (or only in unrelated text), or too
  little of the claim's content in any one unit, or a sentence about the text rather than the company.

>>> source = ("Americas net sales increased 9% in 2024. Europe net sales increased 5% in 2024. "
...           "The Company does not sell directly to consumers in China.")
>>> [c.verdict for c in check_claims("Americas net sales rose 9% in 2024.", source).claims]
['supported']
>>> check_claims("Europe net sales rose 9% in 2024.", source).claims[0].reason
'the source gives another value for this: 5%'
>>> check_claims("The company sells directly to consumers in China.", source).claims[0].verdict
'contradicted'

`check_claims` is a pure function; the source's index (units, idf, figures) is built once per source text
and cached, since one source is scored against many summaries.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from nltk.stem import porter

from filingsum.core.text import split_sentences
from filingsum.quality.factual import STOPWORDS, EntityMention, _entity_supported, extract_entities, source_terms
from filingsum.quality.numbers import (
    FigureVerdict,
    NumberMention,
    SourceFigures,
    apply_scale_notes,
    classify_figure,
    extract_numbers,
    is_sane,
    source_readings,
)
from filingsum.quality.textdefects import is_meta_statement

ClaimVerdictKind = Literal["supported", "contradicted", "unsupported"]

# A unit must hold this share of a claim's (idf-weighted) content for the claim to be read as coming from it.
MIN_SUPPORT = 0.45
# A figure is bound to a unit only when the unit holds this much of the claim's content besides the figure.
MIN_BIND = 0.3
# A unit that gives another value wins over the unit holding the claim's value only by this margin.
BIND_MARGIN = 0.2
# Candidate units checked per claim (by overlap), besides those holding one of its figures.
TOP_UNITS = 6
FIGURE_WEIGHT = 3.0

_WORD = re.compile(r"[a-z][a-z'\u2019]*[a-z]|[a-z]")
_GENERIC = frozenset(
    """
    company companies company's corporation inc registrant firm business businesses also including include
    includes included which total year years fiscal million billion thousand percent approximately about
    roughly nearly around some primarily mainly principally generally certain various related respectively
    following follows well result results period periods compared time
    """.split()
)
_EXCLUDED = STOPWORDS | _GENERIC | frozenset({"s", "t", "nt"})
_SYNONYMS = {
    "grew": "grow", "rose": "rise", "sold": "sell", "sale": "sell", "fell": "fall", "bought": "buy",
    "revenu": "revenu", "sell": "sell", "client": "custom", "consum": "consum", "employe": "employe",
    "peopl": "employe", "staff": "employe", "headcount": "employe", "worker": "employe", "declin": "decreas",
    "lower": "decreas", "increas": "increas", "higher": "increas", "up": "increas", "down": "decreas",
    "drop": "decreas", "grow": "increas", "rise": "increas", "fall": "decreas", "growth": "increas",
    "reduc": "decreas", "gain": "increas", "offer": "provid", "suppli": "provid", "compet": "competitor",
    "competit": "competitor", "rival": "competitor", "compani": "compani",
}
_STEM = lru_cache(maxsize=200_000)(porter.PorterStemmer().stem)


@lru_cache(maxsize=200_000)
def _key(word: str) -> str | None:
    word = word.replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if word in _EXCLUDED or len(word) < 2:
        return None
    stem = _SYNONYMS.get(word) or _SYNONYMS.get(_STEM(word), _STEM(word))
    return _SYNONYMS.get(stem, stem)


def content_words(text: str) -> frozenset[str]:
    """The stems of a text's content words (stopwords and generic filing words dropped, a few synonyms merged).

    >>> sorted(content_words("Revenue grew 9% in the Americas"))
    ['america', 'increas', 'revenu']
    """
    out = set()
    for raw in _WORD.findall(text.lower()):
        for part in raw.split("-"):
            key = _key(part)
            if key:
                out.add(key)
    return frozenset(out)


# --- the source, indexed once -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceUnit:
    """A sentence of the source's prose or a row of one of its tables (with the table's caption and headings)."""

    index: int
    start: int
    end: int
    text: str
    kind: Literal["sentence", "row"]
    context: str = ""  # a row's table caption and column headings
    words: frozenset[str] = frozenset()

    @property
    def evidence(self) -> str:
        return f"{self.text}  [{self.context}]" if self.context else self.text


_PARAGRAPH = re.compile(r"\n[ \t]*\n+")
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9$])")
_ABBREVIATION = re.compile(
    r"(?:\b(?:Inc|Co|Corp|Ltd|Mr|Mrs|Ms|Dr|St|No|Nos|vs|U\.S|e\.g|i\.e|etc|approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug|"
    r"Sep|Sept|Oct|Nov|Dec|L\.P|N\.A|S\.A)|\b[A-Z])\.$"
)
_YEAR_CELL = re.compile(r"^[^\d]*?((?:19|20)\d\d)\b[^\d]*$", re.IGNORECASE)
_DAY_CELL = re.compile(r"^\s*(?:[A-Za-z]+\s+)*[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s*$")
_FIGURE = re.compile(r"\d[\d,.]*")


def _prose_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        if _ABBREVIATION.search(text[max(start, m.start() - 6) : m.start() + 1]):
            continue
        spans.append((pos, m.start() + 1))
        pos = m.end()
    if text[pos:end].strip():
        spans.append((pos, end))
    return spans


def _is_row(line: str) -> bool:
    if "|" in line:
        return True
    figures = _FIGURE.findall(line)
    words = re.findall(r"[A-Za-z]{2,}", line)
    first = re.search(r"\$?\(?\d", line)
    return len(figures) >= 2 and first is not None and len(re.findall(r"[A-Za-z]{2,}", line[first.start():])) <= 2 \
        and len(words) <= 12


def _header_years(line: str) -> list[int | None] | None:
    """The column years of a header row ("2024 | Change | 2023"), or None when the line is not a header."""
    cells = [c.strip() for c in line.split("|")]
    if "|" in line and not re.search(r"\d", line):
        return [None] * len(cells)  # "Three Months Ended | Nine Months Ended": headings without years
    if len(cells) < 2 and not re.fullmatch(r"(?:\s*(?:19|20)\d\d\s*){2,}", line):
        return None
    if len(cells) < 2:
        cells = line.split()
    years: list[int | None] = []
    for cell in cells:
        m = _YEAR_CELL.match(cell)
        if m:
            years.append(int(m.group(1)))
        elif _DAY_CELL.match(cell):
            years.append(None)
        elif re.search(r"\d", cell.replace("%", "")):
            return None
        else:
            years.append(None)
    return years if any(years) or all(y is None for y in years) else None


@dataclass
class SourceIndex:
    """A source's units with their words and figures, an inverted index and idf weights."""

    text: str
    units: list[SourceUnit]
    postings: dict[str, list[int]]
    idf: dict[str, float]
    unit_figures: list[SourceFigures]
    figure_periods: dict[tuple[int, int], frozenset[int]]  # (start, end) of a figure -> the years it is for
    unit_years: list[frozenset[int]]
    unit_dates: list[frozenset[str]]
    starts: list[int] = field(default_factory=list)

    def unit_at(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.starts, pos) - 1)

    def weight(self, word: str) -> float:
        return self.idf.get(word, 0.0)


def _build_units(text: str) -> tuple[list[SourceUnit], dict[tuple[int, int], int | None]]:
    """Sentences and table rows of a source, in order; and for each table row, its column years."""
    units: list[SourceUnit] = []
    row_years: dict[tuple[int, int], list[int | None]] = {}
    caption = ""
    header: list[int | None] | None = None
    header_text = ""
    pos = 0
    blocks = []
    for m in _PARAGRAPH.finditer(text):
        blocks.append((pos, m.start()))
        pos = m.end()
    blocks.append((pos, len(text)))
    for b_start, b_end in blocks:
        line_pos = b_start
        lines = []
        for line in text[b_start:b_end].split("\n"):
            lines.append((line_pos, line_pos + len(line), line))
            line_pos += len(line) + 1
        if not any(_is_row(line) for _, _, line in lines):
            for s, e in _prose_sentences(text, b_start, b_end):
                units.append(SourceUnit(len(units), s, e, " ".join(text[s:e].split()), "sentence"))
            last = text[b_start:b_end].strip()
            if last:
                caption = last[-300:] if (last.endswith(":") or "in millions" in last.lower()
                                          or "in thousands" in last.lower() or "in billions" in last.lower()
                                          or len(last) < 80) else ""
                header, header_text = None, ""
            continue
        prose: list[tuple[int, int, str]] = []  # consecutive prose lines: one run (hard-wrapped text)

        def flush_prose(prose: list[tuple[int, int, str]]) -> None:
            nonlocal caption, header, header_text
            if prose:
                for ss, se in _prose_sentences(text, prose[0][0], prose[-1][1]):
                    units.append(SourceUnit(len(units), ss, se, " ".join(text[ss:se].split()), "sentence"))
                caption = prose[-1][2].strip()[-300:]
                header, header_text = None, ""
                prose.clear()

        for s, e, line in lines:
            if not line.strip():
                continue
            years = _header_years(line)
            if years is not None:
                flush_prose(prose)
                if any(years):
                    header = years
                header_text = f"{header_text} / {line.strip()}"[-300:] if header_text else line.strip()
                continue
            if not _is_row(line):
                prose.append((s, e, line))
                continue
            flush_prose(prose)
            context = " / ".join(p for p in (caption, header_text) if p)
            units.append(SourceUnit(len(units), s, e, line.strip(), "row", context))
            if header:
                row_years[(s, e)] = header
        flush_prose(prose)
    return units, row_years


def _cell_years(line_start: int, line: str, header: list[int | None], pos: int) -> frozenset[int]:
    """The year of the column a figure at `pos` sits in, mapping the row's cells onto the header's."""
    cells = line.split("|") if "|" in line else re.split(r"\s{2,}", line)
    bounds = []
    offset = 0
    for cell in cells:
        bounds.append(offset)
        offset += len(cell) + 1
    k = bisect.bisect_right(bounds, pos - line_start) - 1
    if len(cells) == len(header):
        year = header[k]
    else:
        only_years = [y for y in header if y is not None]
        year = only_years[k] if len(cells) == len(only_years) and k < len(only_years) else None
    return frozenset({year}) if year else frozenset()


def _alone_on_line(text: str, mention: NumberMention) -> bool:
    line_start = text.rfind("\n", 0, mention.start) + 1
    line_end = text.find("\n", mention.end)
    return text[line_start : len(text) if line_end < 0 else line_end].strip() == mention.text.strip()


@lru_cache(maxsize=256)
def source_index(text: str) -> SourceIndex:
    """The source's units, words, idf and figures; cached per source text."""
    units, row_years = _build_units(text)
    starts = [u.start for u in units]
    readings_all = source_readings(text)
    per_unit: list[list[NumberMention]] = [[] for _ in units]
    periods: dict[tuple[int, int], frozenset[int]] = {}
    years: list[set[int]] = [set() for _ in units]
    dates: list[set[str]] = [set() for _ in units]
    for readings in readings_all:
        first = readings[0]
        if not units:
            break
        k = max(0, bisect.bisect_right(starts, first.start) - 1)
        unit = units[k]
        if first.kind in ("year", "date"):
            years[k].add(int(first.value))
            for d in (first.date, *first.more_dates):
                if first.kind == "date" and d:
                    dates[k].update((d, d[:7]))
                    years[k].add(int(d[:4]))
            continue
        if first.kind == "number" and _alone_on_line(text, first):
            continue
        header = row_years.get((unit.start, unit.end))
        if header:
            periods[(first.start, first.end)] = _cell_years(unit.start, text[unit.start:unit.end], header, first.start)
        per_unit[k].extend(readings)
    unit_words = []
    df: dict[str, int] = {}
    postings: dict[str, list[int]] = {}
    for unit in units:
        words = content_words(unit.text + " " + unit.context)
        unit_words.append(words)
        for w in words:
            df[w] = df.get(w, 0) + 1
            postings.setdefault(w, []).append(unit.index)
    n = max(1, len(units))
    idf = {w: math.log(1 + n / c) for w, c in df.items()}
    units = [SourceUnit(u.index, u.start, u.end, u.text, u.kind, u.context, unit_words[u.index]) for u in units]
    for k, unit in enumerate(units):
        if unit.kind == "row":
            for m in re.finditer(r"(?:19|20)\d\d", unit.context):
                years[k].add(int(m.group(0)))
    figures = [_unit_figures(ms, ys, ds) for ms, ys, ds in zip(per_unit, years, dates, strict=True)]
    return SourceIndex(text, units, postings, idf, figures, periods, [frozenset(y) for y in years],
                       [frozenset(d) for d in dates], starts)


def _unit_figures(mentions: list[NumberMention], years: set[int], dates: set[str]) -> SourceFigures:
    figures = SourceFigures(years=set(years), dates=set(dates))
    for mention in mentions:
        if not is_sane(mention):
            continue
        pool = figures.percents if mention.kind == "percent" else figures.numbers
        pool.append((mention.magnitude, len(figures.mentions)))
        figures.mentions.append(mention)
    figures.numbers.sort()
    figures.percents.sort()
    return figures


# --- claims ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClaimVerdict:
    """One claim of a summary, its verdict, the source text behind it and why."""

    claim: str
    sentence: int  # index of the summary sentence it belongs to
    start: int  # offsets in the whitespace-normalised summary
    end: int
    verdict: ClaimVerdictKind
    reason: str
    evidence: str | None = None
    coverage: float = 0.0  # share of the claim's content the evidence unit holds


@dataclass
class ClaimCheck:
    """A summary's claims with their verdicts, and the sentence-level view."""

    claims: list[ClaimVerdict]
    sentences: list[str]

    def _share(self, verdict: str) -> float | None:
        return sum(c.verdict == verdict for c in self.claims) / len(self.claims) if self.claims else None

    @property
    def support_rate(self) -> float | None:
        return self._share("supported")

    @property
    def contradiction_rate(self) -> float | None:
        return self._share("contradicted")

    @property
    def unsupported_sentence_rate(self) -> float | None:
        """Share of the summary's sentences with at least one claim the source does not support (unsupported
        or contradicted)."""
        if not self.sentences:
            return None
        bad = {c.sentence for c in self.claims if c.verdict != "supported"}
        return len(bad) / len(self.sentences)


_CLAUSE_SPLIT = re.compile(r";\s+|,\s+(?=(?:while|whereas|but|and)\s)")
_MIN_CLAUSE_WORDS = 5


def split_claims(summary: str) -> list[tuple[int, int, int]]:
    """(sentence index, start, end) of each claim in the whitespace-normalised summary: its sentences, split
    again at "; " and ", while/whereas/but/and" where both sides have five or more words.

    >>> flat = "Apple sells iPhones and Macs through its stores, while carriers resell iPhones to consumers."
    >>> [flat[s:e] for _, s, e in split_claims(flat)]
    ['Apple sells iPhones and Macs through its stores', 'while carriers resell iPhones to consumers.']
    """
    flat = " ".join(summary.split())
    out: list[tuple[int, int, int]] = []
    pos = 0
    for i, sentence in enumerate(split_sentences(flat)):
        start = flat.find(sentence, pos)
        if start < 0:
            start = pos
        end = start + len(sentence)
        pos = end
        cuts = [start]
        for m in _CLAUSE_SPLIT.finditer(flat, start, end):
            left = flat[cuts[-1] : m.start()]
            right = flat[m.end() : end]
            if len(left.split()) >= _MIN_CLAUSE_WORDS and len(right.split()) >= _MIN_CLAUSE_WORDS:
                out.append((i, cuts[-1], m.start()))
                cuts.append(m.end())
        out.append((i, cuts[-1], end))
    return out


# Cues read in a clause.
_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without|cannot)\b|n't\b", re.IGNORECASE)
_MODAL = re.compile(r"\b(?:may|might|could)\b", re.IGNORECASE)
# "no revenue unless approved" says what "revenue only after approval" says.
_CONDITIONAL = re.compile(r"\b(?:unless|until|only\s+(?:after|if|when|once|upon))\b", re.IGNORECASE)
_EXCLUSIVE = re.compile(r"\b(?:only|exclusively|solely|entirely|all\s+of\s+its)\b", re.IGNORECASE)
_HEDGED = re.compile(r"\b(?:primarily|mainly|principally|largely|mostly|predominantly|also|some|certain|"
                     r"majority|most)\b", re.IGNORECASE)
_ROLES = {
    "customer": r"customers?|clients?|buyers?|purchasers?|sells?\s+to|sold\s+to",
    "supplier": r"suppliers?|vendors?|manufacturers?|sources?\s+from|sourced\s+from|supplie[sd]|supply|"
                r"contract\s+manufactur\w*|provided\s+by|manufactured\s+(?:\w+\s+){0,8}?by|made\s+by|buys?\s+from",
    "competitor": r"competitors?|compet\w+|rivals?",
    "subsidiary": r"subsidiar(?:y|ies)|wholly[\s-]owned|acquired|acquisition\s+of",
    "partner": r"partners?|partnered|partnering|partnerships?|alliances?|collaborat\w+|joint\s+venture",
    "regulator": r"regulators?|regulated\s+by|regulatory\s+authorit\w+|agency|commission",
}
_ROLE_RE = {role: re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE) for role, pattern in _ROLES.items()}
_ROLE_REACH = 60

# Vague quantities as shares in percent: (low, high).
_VAGUE = [
    (re.compile(r"\b(?:nearly|almost|substantially|virtually|essentially)\s+all\b|\bvast\s+majority\b", re.I),
     (85.0, 100.0), "nearly all"),
    (re.compile(r"\b(?:nearly|almost|just\s+under|a\s+little\s+under)\s+(?:one[\s-])?half\b", re.I),
     (40.0, 50.0), "nearly half"),
    (re.compile(r"\b(?:about|roughly|approximately|around|some|close\s+to)\s+(?:one[\s-])?half\b|\bhalf\s+of\b",
                re.I), (42.0, 58.0), "about half"),
    (re.compile(r"\bmore\s+than\s+half\b|\bover\s+half\b|\bmost\b|\bmajority\b|\bbulk\s+of\b", re.I),
     (50.0, 100.0), "most"),
    (re.compile(r"\btwo[\s-]thirds\b", re.I), (60.0, 72.0), "two-thirds"),
    (re.compile(r"\bthree[\s-]quarters\b|\bthree[\s-]fourths\b", re.I), (70.0, 80.0), "three-quarters"),
    (re.compile(r"\b(?:a|one)[\s-]third\b", re.I), (28.0, 40.0), "a third"),
    (re.compile(r"\b(?:a|one)[\s-](?:quarter|fourth)\b", re.I), (20.0, 30.0), "a quarter"),
    (re.compile(r"\bless\s+than\s+half\b|\bminority\b|\bsmall\s+(?:portion|share|part|fraction)\b", re.I),
     (0.0, 50.0), "less than half"),
]


def vague_share(text: str) -> tuple[str, tuple[float, float]] | None:
    """The first vague quantity of a text and the range of shares (in percent) it allows.

    >>> vague_share("Most of its revenue comes from subscriptions.")
    ('most', (50.0, 100.0))
    >>> vague_share("about half of sales") is None
    False
    """
    best = None
    for pattern, bounds, name in _VAGUE:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), name, bounds)
    return (best[1], best[2]) if best else None


def _clause_at(text: str, words: frozenset[str]) -> str:
    """The clause of a source unit that holds the most of a claim's words."""
    parts = re.split(r";|,\s+|\.\s|\s+(?:while|whereas|but|although)\s+", text)
    if len(parts) == 1:
        return text
    return max(parts, key=lambda p: len(content_words(p) & words))


@dataclass
class _Claim:
    sentence: int
    start: int
    end: int
    text: str
    words: frozenset[str]
    figures: list[list[NumberMention]]  # readings of each amount, count or percentage
    periods: list[NumberMention]  # its years and dates
    subject: frozenset[str] = frozenset()  # words of the name the claim is about ("Walmart U.S.")


def _plain_words(text: str) -> frozenset[str]:
    """Stemmed words but stopwords, generic words kept ("total", "net")."""
    return frozenset(_STEM(w) for w in re.findall(r"[a-z]+", text.lower()) if w not in STOPWORDS and len(w) > 1)


class _Judge:
    """Checks one claim against an indexed source."""

    def __init__(self, index: SourceIndex, claim: _Claim) -> None:
        self.index = index
        self.claim = claim
        self.total = sum(index.weight(w) for w in claim.words)
        scores: dict[int, float] = {}
        for w in claim.words:
            weight = index.weight(w)
            for k in index.postings.get(w, ()):
                scores[k] = scores.get(k, 0.0) + weight
        self.word_scores = scores
        # Per figure, the units holding a value near it (one pass over the units per claim, not per call).
        self.figure_units: list[set[int]] = []
        for readings in claim.figures:
            near: set[int] = set()
            if is_sane(readings[0]):
                for k, figs in enumerate(index.unit_figures):
                    if figs.mentions and any(figs.near(r, max(r.half_unit, 0.005 * r.magnitude, 1e-9))
                                             for r in readings):
                        near.add(k)
            self.figure_units.append(near)
        self.sane = [is_sane(readings[0]) for readings in claim.figures]
        self._supports: dict[tuple[int, int], bool] = {}
        self._coverage: dict[tuple[int, int | None], float] = {}

    def supports(self, i: int, k: int) -> bool:
        key = (i, k)
        if key not in self._supports:
            self._supports[key] = k in self.figure_units[i] and any(
                classify_figure([r], self.index.unit_figures[k]).verdict == "supported"
                for r in self.claim.figures[i])
        return self._supports[key]

    def coverage(self, k: int, skip: int | None = None) -> float:
        """Share of the claim's content unit k holds: its words by idf, and its other figures as anchors."""
        key = (k, skip)
        if key not in self._coverage:
            self._coverage[key] = self._compute_coverage(k, skip)
        return self._coverage[key]

    def _compute_coverage(self, k: int, skip: int | None) -> float:
        total = self.total
        got = self.word_scores.get(k, 0.0)
        for i, sane in enumerate(self.sane):
            if i == skip or not sane:
                continue
            total += FIGURE_WEIGHT
            if self.supports(i, k):
                got += FIGURE_WEIGHT
        cov = got / total if total else 0.0
        unit = self.index.units[k]
        if unit.kind == "row":
            head = re.split(r"[:|$(\d]", unit.text, maxsplit=1)[0]
            label = content_words(head)
            # the claim names the row: "Hardware revenues decreased 8%"; every word of the label, "Total"
            # included ("Total revenues" is not named by "hardware revenues")
            if label and label <= self.claim.words and _plain_words(head) <= _plain_words(self.claim.text):
                cov = max(cov, 0.6 + 0.4 * cov)
        return cov

    def ranked(self, skip: int | None = None) -> list[tuple[float, int]]:
        candidates = sorted(self.word_scores, key=lambda k: -self.word_scores[k])[:TOP_UNITS]
        for units in self.figure_units:  # the skipped figure's own units too: scored without it, not dropped
            candidates.extend(units)
        return sorted({(self.coverage(k, skip), k) for k in candidates}, key=lambda x: (-x[0], x[1]))

    def evidence(self, k: int) -> str:
        return self.index.units[k].evidence


_SELF_REFERENCE = re.compile(r"\b(?:the\s+Company|we|our|us)\b", re.IGNORECASE)


def _subject_of(index: SourceIndex, k: int, claim: _Claim) -> frozenset[str]:
    """The claim's subject words when the source unit speaks of the company as "we" or "the Company" (so
    "Walmart" in the claim is the "we" of the unit); otherwise they qualify like any word ("Europe")."""
    unit = index.units[k]
    return claim.subject if _SELF_REFERENCE.search(index.text[unit.start : unit.end]) else frozenset()


_SEGMENT_SPLIT = re.compile(r"[,;]\s+|\s+and\s+(?=(?:the|our|its|their|a|an)\b)|\s+(?:while|whereas)\s+")
_YEAR_IN_TEXT = re.compile(r"(?<![\d,.$])(?:19|20)\d\d(?![\d%]|[,.]\d)")


_CLAIM_SEGMENT_SPLIT = re.compile(r"[,;]\s+|\s+and\s+(?!other\b)|\s+(?:while|whereas)\s+")


def _segment(text: str, pos: int, splitter: re.Pattern[str] = _SEGMENT_SPLIT) -> tuple[int, int]:
    """The comma/semicolon segment of a text around offset `pos` ("26% in Europe" in a list of regions)."""
    start = 0
    for m in splitter.finditer(text):
        if m.end() <= pos:
            start = m.end()
        elif m.start() >= pos:
            return start, m.start()
    return start, len(text)


_CONTINUATION = re.compile(r"\s*(?:to|from|reaching|totaling|totalling)\s+[$\d(]", re.IGNORECASE)


def _sibling_binding(index: SourceIndex, k: int, figure: NumberMention, claim: _Claim,
                     claim_figure: NumberMention) -> str | None:
    """Where a source sentence lists several figures of one kind ("18% in United States & Canada, 26% in
    Europe"), the segment of the supporting figure must be the one the claim's words name: None when it is,
    else the sibling segment the claim's words point to."""
    unit = index.units[k]
    raw = index.text[unit.start : unit.end]
    siblings = [m for m in index.unit_figures[k].mentions
                if m.kind == figure.kind and m.start != figure.start and unit.start <= m.start < unit.end
                and m.currency == figure.currency and any(c.isdigit() for c in m.text)]
    if unit.kind == "row" or not siblings:
        return None
    own_span = _segment(raw, figure.start - unit.start)
    if _CONTINUATION.match(raw[own_span[0] : own_span[1]]):
        return None  # "revenue increased 14% or $425,000, to $3,525,000": the level of the same item
    own = content_words(raw[own_span[0] : own_span[1]])
    if not own:
        return None  # "89.5% and 87.1%, respectively, of ...": the words are elsewhere in the sentence
    sibling_words: dict[str, frozenset[str]] = {}
    for m in siblings:
        span = _segment(raw, m.start - unit.start)
        if span != own_span:
            sibling_words[raw[span[0] : span[1]]] = content_words(raw[span[0] : span[1]])
    if not sibling_words:
        return None
    c_span = _segment(claim.text, claim_figure.start - claim.start)
    said = content_words(claim.text[c_span[0] : c_span[1]]) - _subject_of(index, k, claim)
    everywhere = frozenset().union(*sibling_words.values())
    if said & (own - everywhere):
        return None
    for text, words in sibling_words.items():
        if said & (words - own):
            return text.strip()
    return None


# A year after these words is the base a change is measured against, not the period of the figure: "an
# increase of 22% compared to 2023" states 2024's growth.
_COMPARED_TO = re.compile(r"(?:compared\s+(?:to|with)|from|over|versus|vs\.?|than|relative\s+to|against)\s+"
                          r"(?:(?:the|fiscal|calendar|full|year|same\s+period\s+(?:of|in)|end\s+of)\s+)*$",
                          re.IGNORECASE)


_FIG = r"\(?\$?\d[\d,.]*\)?%?(?:\s+(?:million|billion|thousand|trillion|percent))?"
_RESPECTIVELY = re.compile(  # a lookahead, so that every "A and B" of the sentence is tried
    rf"(?=\b(?P<a>[A-Za-z][\w-]*)\s+and\s+(?P<b>[A-Za-z][\w-]*)\b[^.;]{{0,80}}?(?P<x>{_FIG})\s*,?\s+and\s+"
    rf"(?P<y>{_FIG}),?\s+respectively)", re.IGNORECASE)


def _respectively_binding(index: SourceIndex, k: int, figure: NumberMention, claim: _Claim) -> str | None:
    """"hardware and services revenues by $59 million and $120 million, respectively": the figure belongs to
    the item in the same place of the list; the item the claim names instead when it names the other one."""
    unit = index.units[k]
    raw = index.text[unit.start : unit.end]
    for m in _RESPECTIVELY.finditer(raw):
        pos = figure.start - unit.start
        if m.start("x") <= pos < m.end("x"):
            own, other = m.group("a"), m.group("b")
        elif m.start("y") <= pos < m.end("y"):
            own, other = m.group("b"), m.group("a")
        else:
            continue
        own_words, other_words = content_words(own), content_words(other)
        if other_words and other_words <= claim.words and not own_words & claim.words:
            return other
    return None


def _prose_period(index: SourceIndex, k: int, figure: NumberMention) -> frozenset[int]:
    """The years a prose figure is for: those of its segment ("$441.8 billion and $420.6 billion for fiscal
    2024 and 2023, respectively" pairs them in order), else none."""
    unit = index.units[k]
    raw = index.text[unit.start : unit.end]
    span = _segment(raw, figure.start - unit.start)
    seg = raw[span[0] : span[1]]
    found = list(_YEAR_IN_TEXT.finditer(seg))
    years = [int(m.group()) for m in found if not _COMPARED_TO.search(seg[max(0, m.start() - 40) : m.start()])]
    if not years:
        if not found:
            return frozenset()
        # only a comparison base here ("an increase of 22% compared to 2023"): the sentence's own years
        return frozenset(int(m.group()) for m in _YEAR_IN_TEXT.finditer(raw)
                         if not _COMPARED_TO.search(raw[max(0, m.start() - 40) : m.start()]))
    same = [m for m in index.unit_figures[k].mentions
            if m.kind == figure.kind and unit.start + span[0] <= m.start < unit.start + span[1]]
    starts = sorted({m.start for m in same})
    if "respectively" in raw[span[1] : span[1] + 20].lower() and len(starts) == len(years) > 1:
        return frozenset({years[starts.index(figure.start)]})
    return frozenset(years)


def _figure_period_ok(index: SourceIndex, verdict: FigureVerdict, claim: _Claim, k: int) -> frozenset[int] | None:
    """None when the claim's years fit the evidence figure's period; else the years the source gives it for."""
    claim_years = {int(p.value) for p in claim.periods if p.kind == "year"} | {
        int(d[:4]) for p in claim.periods if p.kind == "date" for d in (p.date, *p.more_dates) if d}
    if not claim_years or verdict.evidence is None:
        return None
    period = index.figure_periods.get((verdict.evidence.start, verdict.evidence.end))
    if not period and index.units[k].kind == "sentence":
        period = _prose_period(index, k, verdict.evidence)
    if period and not (claim_years & period):
        return period
    return None


def _check_figure(judge: _Judge, i: int, readings: list[NumberMention]) -> tuple[str, str, int | None]:
    """(verdict, reason, evidence unit) for one of the claim's figures."""
    index, claim = judge.index, judge.claim
    first = readings[0]
    if not is_sane(first):
        return "unsupported", f"{first.text!r} is not a figure of sane magnitude", None
    supported: list[tuple[float, int, FigureVerdict]] = []
    contradicted: list[tuple[float, int, FigureVerdict]] = []
    for cov, k in judge.ranked(skip=i):
        verdict = classify_figure(readings, index.unit_figures[k])
        if verdict.verdict == "supported":
            supported.append((cov, k, verdict))
        elif verdict.verdict == "contradicted":
            contradicted.append((cov, k, verdict))
    best_s = max(supported, key=lambda x: x[0], default=None)
    best_c = max(contradicted, key=lambda x: x[0], default=None)
    if best_s and best_c and best_c[0] > best_s[0] + BIND_MARGIN:
        # The better-matching unit gives another value: it wins only when it holds claim words the
        # supporting unit lacks (the segment, region or metric the claim names).
        lacking = claim.words - index.units[best_s[1]].words - _subject_of(index, best_s[1], claim)
        held = sum(index.weight(w) for w in lacking & index.units[best_c[1]].words)
        if held < 0.1 * judge.total:
            best_c = None
    if best_s and best_s[0] < MIN_BIND and len(claim.figures) > 1:
        # "generated $14.8 billion of cash and issued $4.0 billion of debt": each figure with its own words
        span = _segment(claim.text, first.start - claim.start, _CLAIM_SEGMENT_SPLIT)
        local = content_words(claim.text[span[0] : span[1]])
        local_total = sum(index.weight(w) for w in local)
        held = sum(index.weight(w) for w in local & index.units[best_s[1]].words)
        if local_total and held / local_total >= 0.5:
            best_s = (max(best_s[0], MIN_BIND), best_s[1], best_s[2])
    if best_s and best_s[0] >= MIN_BIND and (best_c is None or best_c[0] <= best_s[0] + BIND_MARGIN):
        cov, k, verdict = best_s
        if verdict.evidence is not None:
            sibling = _sibling_binding(index, k, verdict.evidence, claim, verdict.mention)
            swapped = _respectively_binding(index, k, verdict.evidence, claim)
            if swapped:
                return "contradicted", f"the source gives {first.text} for the item listed beside {swapped!r}", k
            if sibling:
                return "contradicted", f"the source gives {first.text} for another item; the claim's is in "\
                    f"{sibling!r}", k
        wrong_period = _figure_period_ok(index, verdict, claim, k)
        if wrong_period:
            years = ", ".join(str(y) for y in sorted(wrong_period))
            return "contradicted", f"the source gives {first.text} for {years}", k
        return "supported", f"{first.text} as stated", k
    if best_c and best_c[0] >= MIN_BIND:
        cov, k, verdict = best_c
        if verdict.reason.startswith("same value"):
            return "contradicted", f"the source states {first.text} with the opposite sign or direction", k
        shown = verdict.evidence.text if verdict.evidence else "another value"
        return "contradicted", f"the source gives another value for this: {shown}", k
    if best_s:
        return "unsupported", f"{first.text} appears only in unrelated text", best_s[1]
    return "unsupported", f"{first.text} is not in the source", None


def _check_period(judge: _Judge, mention: NumberMention, best: int | None) -> tuple[str, str, int | None] | None:
    """A year or date of the claim: in the source, and in the unit the claim comes from when that has dates."""
    index = judge.index
    if mention.kind == "date":
        wanted = {d for d in (mention.date, *mention.more_dates) if d}
        holders = [k for k, ds in enumerate(index.unit_dates) if wanted & ds]
        everywhere = all(any(d in ds for ds in index.unit_dates) for d in wanted)
        if not everywhere:
            return "unsupported", f"{mention.text} is not in the source", None
        years = {int(d[:4]) for d in wanted}
    else:
        years = {int(mention.value)}
        holders = [k for k, ys in enumerate(index.unit_years) if years & ys]
        if not holders:
            return "unsupported", f"{mention.text} is not in the source", None
    if best is None:
        return None
    best_years = index.unit_years[best]
    if not best_years or years & best_years:
        return None
    best_cov = judge.coverage(best)
    holder_cov = max((judge.coverage(k) for k in holders), default=0.0)
    if holder_cov + BIND_MARGIN < best_cov:
        shown = ", ".join(str(y) for y in sorted(best_years))
        return "contradicted", f"the source dates this to {shown}, not {mention.text}", best
    return None


def _roles_in(text: str) -> set[str]:
    return {role for role, pattern in _ROLE_RE.items() if pattern.search(text)}


_ROLE_WORDS_REACH = 8


def _claim_roles(claim: str, start: int, end: int) -> set[str]:
    """The roles a claim gives the name at [start, end): role words within eight words of it, unless the name
    owns them ("Crexendo's customers", "the customers of BDS")."""
    if re.match(r"['\u2019]s\s+[a-z]", claim[end : end + 4]) or re.search(r"\b(?:of|for|by)\s+$", claim[:start]):
        return set()
    before = " ".join(claim[:start].split()[-_ROLE_WORDS_REACH:])
    after = " ".join(claim[end:].split()[:_ROLE_WORDS_REACH])
    return _roles_in(before + " | " + after)


def _check_roles(index: SourceIndex, claim: _Claim, names: list[EntityMention],
                 subjects: set[int]) -> tuple[str, str, int | None] | None:
    """A name the claim gives a role (customer, supplier, competitor, ...) must have that role in the source
    sentences that name it."""
    for name in names:
        s, e = name.start - claim.start, name.end - claim.start
        copula = re.match(r"\s+(?:is|are|was|were|became|remains?)\b|,\s+(?:a|an|its)\b", claim.text[e:])
        if name.start in subjects and _VERB_AFTER.match(claim.text[e : e + 30]) and not copula:
            continue  # the company the claim is about: "Home Depot acquired SRS"
        claim_roles = _claim_roles(claim.text, s, e)
        if not claim_roles:
            continue
        pattern = re.compile(r"\b" + r"\s+".join(re.escape(t) for t in name.text.split()) + r"\b")
        source_roles: set[str] = set()
        where = None
        for m in pattern.finditer(index.text):
            k = index.unit_at(m.start())
            unit = index.units[k]
            source_roles |= _roles_in(index.text[unit.start : unit.end])
            where = where if where is not None else k
        if where is None:
            continue
        if not (claim_roles & source_roles):
            said = "/".join(sorted(source_roles)) or "no role"
            kind = "contradicted" if source_roles else "unsupported"
            return (kind, f"the source gives {name.text} {said}, not {'/'.join(sorted(claim_roles))}", where)
    return None


def _count_items(text: str, noun: str, after_noun: bool = True) -> int | None:
    """How many items a sentence enumerates for a noun ("two segments: Cloud Services and Web Services" or
    "its segments, which consist of A, B and C"); None when it enumerates none."""
    m = re.search(rf"\b{re.escape(noun[:5])}\w*", text, re.IGNORECASE)
    if not m:
        return None
    tail = text[m.end() :]
    if not after_noun and not re.match(r"\s*(?::|\u2014|-\s|,?\s+(?:which\s+)?(?:are|is|includ\w*|consist\w*\s+of|"
                                       r"compris\w*|namely))", tail):
        return None
    lead = re.match(r"[^:;.]{0,60}?(?::|\binclud\w*|\bconsist\w*\s+of|\bcompris\w*|\bare|\bnamely|\u2014|-)\s+",
                    tail)
    if not lead:
        return None
    body = re.split(r"[.;]\s|\.$", tail[lead.end() :], maxsplit=1)[0]
    items = [p for p in re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+", body) if p.strip()]
    kept = []
    for item in items:
        if len(item.split()) > 6:
            break
        kept.append(item)
    return len(kept) if len(kept) >= 2 else None


def _check_count(judge: _Judge, readings: list[NumberMention], best: int | None) -> tuple[str, str, int] | None:
    """A count the figure check could not place ("three segments"): against what the aligned unit enumerates."""
    first = readings[0]
    if first.kind != "number" or not first.head or first.currency:
        return None
    listed = _count_items(judge.claim.text[first.end - judge.claim.start :], first.head, after_noun=False)
    if listed is not None:
        if abs(listed - first.value) < 0.5:
            return "supported", f"the claim lists {listed} {first.head}s", best  # type: ignore[return-value]
        return "contradicted", f"{first.text} {first.head}s, but the claim lists {listed}", best  # type: ignore[return-value]
    if best is None:
        return None
    text = judge.index.units[best].text
    n = _count_items(text, first.head)
    if n is None:
        return None
    if abs(n - first.value) < 0.5:
        return "supported", f"the source enumerates {n} {first.head}s", best
    return "contradicted", f"the source enumerates {n} {first.head}s, not {first.text}", best


_UP = frozenset(_key(w) or w for w in "increase increased increases grew grow grows rose rise rises higher "
                                   "gained improved expanded".split())
_DOWN = frozenset(_key(w) or w for w in "decrease decreased decreases declined decline fell fall falls lower "
                                     "dropped reduced contracted".split())


def _direction(text: str) -> int:
    """+1 when a text says something rose, -1 fell, 0 neither or both."""
    words = {_key(w) or w for w in _WORD.findall(text.lower())}
    ups, downs = bool(words & _UP), bool(words & _DOWN)
    return 0 if ups == downs else (1 if ups else -1)


def _check_vague(judge: _Judge, best: int) -> tuple[str, str, int] | None:
    vague = vague_share(judge.claim.text)
    if vague is None:
        return None
    name, (low, high) = vague
    figs = judge.index.unit_figures[best]
    shares = [abs(m.value) for m in figs.mentions if m.kind == "percent"]
    if shares:
        if any(low - 2 <= s <= high + 2 for s in shares):
            return None
        return "contradicted", f"{name!r} does not fit the source's {shares[0]:g}%", best
    source_vague = vague_share(judge.index.units[best].text)
    if source_vague and (source_vague[1][1] < low or source_vague[1][0] > high):
        return "contradicted", f"{name!r} where the source says {source_vague[0]!r}", best
    return None


def _check_polarity(judge: _Judge, best: int) -> tuple[str, str, int] | None:
    """Negation, modal and exclusivity of the claim against the clause of the source it comes from."""
    claim = judge.claim.text
    source = _clause_at(judge.index.units[best].text, judge.claim.words)
    conditional = _CONDITIONAL.search(claim)
    for pattern, what in ((_NEGATION, "negation"), (_MODAL, "modal")):
        if what == "negation" and conditional:
            continue
        in_claim, in_source = pattern.search(claim), pattern.search(source)
        if bool(in_claim) != bool(in_source):
            said = in_source.group(0) if in_source else in_claim.group(0)  # type: ignore[union-attr]
            side = "the source says" if in_source else "the source does not say"
            return "contradicted", f"{what} differs: {side} {said!r}", best
    up, down = _direction(claim), _direction(source)
    if up and down and up != down:
        return "contradicted", f"direction differs: the source says it {'rose' if down > 0 else 'fell'}", best
    if _EXCLUSIVE.search(claim) and not _EXCLUSIVE.search(source) and _HEDGED.search(source):
        return "contradicted", f"the claim says {_EXCLUSIVE.search(claim).group(0)!r}, the source does not", best  # type: ignore[union-attr]
    return None


# A filing speaks of itself as "the Company" or "we": a summary names it ("Apple sells ..."), and that name
# need not be in the excerpt. The claim's first name is its subject when it opens the claim, owns something
# ("Apple's") or a verb follows it ("... Apple had").
_VERB_AFTER = re.compile(r"\s+(?:also\s+)?(?:is|are|was|were|has|had|have|will|may|can|does|did|[a-z]+(?:s|ed))\b")


def _is_subject(flat: str, claim: _Claim, name: EntityMention) -> bool:
    """Whether a name is what the claim is about: in its first words, or the owner ("Apple's iPhone")."""
    lead = flat[claim.start : name.start]
    owner = re.match(r"['\u2019]s\b", flat[name.end : name.end + 2]) is not None
    return len(lead.split()) <= 3 or owner or _VERB_AFTER.match(flat[name.end : name.end + 30]) is not None


_LEGAL_FORM = frozenset({"inc", "incorporated", "corp", "corporation", "co", "company", "companies", "ltd",
                         "limited", "plc", "holdings", "holding", "group", "the", "llc", "lp", "na", "sa", "ag", "nv"})


def _name_tokens(name: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", name.lower().replace("\u2019", "'").replace("'s ", " "))
    return [w for w in words if w not in _LEGAL_FORM]


def is_company_name(name: str, company: str) -> bool:
    """Whether a name in a summary names the filer: "Meta" for "Meta Platforms, Inc.", "Coca-Cola" for "Coca
    Cola", "Wells Fargo" for "Wells Fargo & Company" (one is a leading run of the other's words)."""
    said, filer = _name_tokens(name.removesuffix("'s").removesuffix("\u2019s")), _name_tokens(company)
    if not said or not filer:
        return False
    if len(said) > 1 and all(len(w) == 1 for w in said) and said == [w[0] for w in filer]:
        return True  # "P&G" for Procter & Gamble, "J&J" for Johnson & Johnson
    shorter, longer = sorted((said, filer), key=len)
    return longer[: len(shorter)] == shorter


def _judge_claim(index: SourceIndex, claim: _Claim, flat: str, names: list[EntityMention],
                 sentence: str, company: str | None = None) -> ClaimVerdict:
    judge = _Judge(index, claim)
    ranked = judge.ranked()
    best_cov, best = ranked[0] if ranked else (0.0, None)

    def verdict(kind: ClaimVerdictKind, reason: str, k: int | None) -> ClaimVerdict:
        cov = judge.coverage(k) if k is not None else 0.0
        return ClaimVerdict(claim.text, claim.sentence, claim.start, claim.end, kind, reason,
                            judge.evidence(k) if k is not None else None, round(cov, 3))

    if is_meta_statement(claim.text):
        return verdict("unsupported", "about the text, not the company", None)
    terms = source_terms(index.text)
    if company:
        # The filer is known: its name is supported wherever it stands (a filing calls itself "we"), and no
        # other name gets the subject's benefit of the doubt ("Disney is one of the world's leading ...").
        subjects = {n.start for n in names if is_company_name(n.text, company)}
    else:
        subjects = {n.start for n in names[:1] if _is_subject(flat, claim, n)}
    unsupported_names = [n for n in names if not _entity_supported(n, terms) and n.start not in subjects]
    found: list[tuple[str, str, int | None]] = []
    if unsupported_names:
        found.append(("unsupported", f"{unsupported_names[0].text!r} is not in the source", best))
    figure_ok = False
    anchor: int | None = None  # the unit stating the claim's first supported figure: where its words are judged
    for i, readings in enumerate(claim.figures):
        kind, reason, k = _check_figure(judge, i, readings)
        if kind == "unsupported":
            count = _check_count(judge, readings, best)
            if count:
                kind, reason, k = count
        found.append((kind, reason, k))
        figure_ok = figure_ok or kind == "supported"
        if kind == "supported" and anchor is None and k is not None and index.units[k].kind == "sentence" and (
                readings[0].kind == "percent" or readings[0].currency):
            anchor = k  # an amount or a share, not a count ("the first nine months")
    for mention in claim.periods:
        result = _check_period(judge, mention, best)
        if result:
            found.append(result)
    role = _check_roles(index, claim, [n for n in names if n not in unsupported_names], subjects)
    if role:
        found.append(role)
    # Direction, negation and vague quantities are read in the sentence that states the claim's figure ("Web
    # Services revenue fell 19%" against the sentence with the 19%), else in the best-aligned one.
    aligned = anchor if anchor is not None else (best if best is not None and best_cov >= MIN_BIND else None)
    if aligned is not None:
        for check in (_check_polarity, _check_vague):
            result = check(judge, aligned)
            if result:
                found.append(result)
    for kind in ("contradicted", "unsupported"):
        hit = next((f for f in found if f[0] == kind), None)
        if hit:
            return verdict(hit[0], hit[1], hit[2])  # type: ignore[arg-type]
    if best is None or (best_cov < MIN_SUPPORT and not figure_ok):
        return verdict("unsupported", "no source sentence holds most of this claim", best)
    return verdict("supported", "; ".join(f[1] for f in found) or "an aligned source sentence says this", best)


def check_claims(summary: str, source: str, company: str | None = None) -> ClaimCheck:
    """Every claim of the summary aligned to the source and judged: supported, contradicted or unsupported.

    ``company`` is the filer's name (the record's company), when known: a filing calls itself "we", so the
    summary's name for it is supported, and any other name must be in the source."""
    index = source_index(source)
    flat = " ".join(summary.split())
    spans = split_claims(flat)
    sentences = split_sentences(flat)
    mentions = apply_scale_notes(flat, extract_numbers(flat))
    terms = source_terms(source)
    entities = extract_entities(flat, terms.lowercase)
    claims: list[ClaimVerdict] = []
    for sentence_index, start, end in spans:
        text = flat[start:end]
        figures = [r for r in mentions if start <= r[0].start < end and r[0].kind in ("number", "percent")]
        periods = [r[0] for r in mentions if start <= r[0].start < end and r[0].kind in ("year", "date")]
        names = [e for e in entities if start <= e.start < end]
        claim = _Claim(sentence_index, start, end, text, content_words(text), figures, periods)
        subject = [n for n in names[:1] if _is_subject(flat, claim, n)]
        if subject:
            claim.subject = content_words(subject[0].text)
        claims.append(_judge_claim(index, claim, flat, names, sentences[sentence_index]
                                   if sentence_index < len(sentences) else text, company))
    return ClaimCheck(claims, sentences)


def claim_support_rate(summary: str, source: str, company: str | None = None) -> float | None:
    """Share of the summary's claims the source supports; None for an empty summary."""
    return check_claims(summary, source, company).support_rate


def contradiction_rate(summary: str, source: str, company: str | None = None) -> float | None:
    """Share of the summary's claims the source contradicts; None for an empty summary."""
    return check_claims(summary, source, company).contradiction_rate


def unsupported_sentence_rate(summary: str, source: str, company: str | None = None) -> float | None:
    """Share of the summary's sentences with a claim the source does not support; None for an empty summary."""
    return check_claims(summary, source, company).unsupported_sentence_rate
