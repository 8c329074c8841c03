"""The figures of a claim checked: each bound to the source unit about the same thing (same value, unit, scale
and direction), then to the item of that unit it belongs to (a list of segments or regions, "A and B ...,
respectively") and its period; another value in a better-matching unit contradicts it."""

from __future__ import annotations

import re

from filingsum.quality.claims.alignment import BIND_MARGIN, MIN_BIND, Judge, subject_of
from filingsum.quality.claims.index import SourceIndex
from filingsum.quality.claims.periods import duration_of_figure, wrong_figure_period
from filingsum.quality.claims.prenominal import check_prenominal
from filingsum.quality.claims.qualifiers import check_named_item, check_qualifiers
from filingsum.quality.claims.records import Claim
from filingsum.quality.claims.split import CLAIM_SEGMENT_SPLIT, segment_at
from filingsum.quality.claims.words import content_words
from filingsum.quality.numbers import FigureVerdict, NumberMention, classify_figure, is_sane

_CONTINUATION = re.compile(r"\s*(?:to|from|reaching|totaling|totalling)\s+[$\d(]", re.IGNORECASE)
# "..., compared with $715 million in the same period in 2024": the same item in the comparison period, whose
# year the period check reads.
_COMPARISON = re.compile(r"\s*,?\s*(?:as\s+)?(?:compared\s+(?:to|with)|versus|vs\.?|against)\b", re.IGNORECASE)


def _sibling_binding(index: SourceIndex, k: int, figure: NumberMention, claim: Claim,
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
    own_span = segment_at(raw, figure.start - unit.start)
    if _CONTINUATION.match(raw[own_span[0] : own_span[1]]) or _COMPARISON.match(raw[own_span[0] : own_span[1]]):
        return None  # "revenue increased 14% or $425,000, to $3,525,000": the level of the same item
    own = content_words(raw[own_span[0] : own_span[1]])
    if not own:
        return None  # "89.5% and 87.1%, respectively, of ...": the words are elsewhere in the sentence
    # a segment that states the same figure again is the figure's too ("Phase 2 studies ... for migraine,
    # commence a Phase 2 study ... for gastroparesis")
    twins = {segment_at(raw, m.start - unit.start) for m in siblings if m.value == figure.value}
    own = own.union(*(content_words(raw[a:b]) for a, b in twins))
    sibling_words: dict[str, frozenset[str]] = {}
    for m in siblings:
        span = segment_at(raw, m.start - unit.start)
        if span != own_span and span not in twins and not _COMPARISON.match(raw[span[0] : span[1]]):
            sibling_words[raw[span[0] : span[1]]] = content_words(raw[span[0] : span[1]])
    if not sibling_words:
        return None
    lead_span = segment_at(raw, 0)
    if lead_span != own_span and not any(lead_span[0] <= m.start - unit.start < lead_span[1] for m in siblings):
        # "For the second quarter, worldwide sales were $23.7 billion, a total increase of 5.8%, ... a currency
        # impact of 1.2% as compared to ... sales of $22.4 billion": the sentence's subject is every figure's
        shared = content_words(raw[lead_span[0] : lead_span[1]])
        sibling_words = {t: w - shared for t, w in sibling_words.items()}
    c_span = segment_at(claim.text, claim_figure.start - claim.start, CLAIM_SEGMENT_SPLIT)
    said = content_words(claim.text[c_span[0] : c_span[1]]) - subject_of(index, k, claim)
    everywhere = frozenset().union(*sibling_words.values())
    if said & (own - everywhere):
        return None
    for text, words in sibling_words.items():
        if said & (words - own):
            return text.strip()
    return None


_FIG = r"\(?\$?\d[\d,.]*\)?%?(?:\s+(?:million|billion|thousand|trillion|percent))?"
_ITEM = r"[A-Za-z0-9][\w-]*"
# "A and B ... X and Y, respectively" (a lookahead, so that every "A and B" of the sentence is tried); without
# "respectively" when the two lists stand close ("The 777X and 767 programs recognized earnings charges totaling
# $3,499 million and $580 million").
_RESPECTIVELY = re.compile(
    rf"(?=\b(?P<a>{_ITEM})\s+and\s+(?P<b>{_ITEM})\b[^.;]{{0,80}}?(?P<x>{_FIG})\s*,?\s+and\s+"
    rf"(?P<y>{_FIG})(?:,?\s+respectively|(?!\s*,?\s*(?:and\s+)?{_FIG})))", re.IGNORECASE)
# "X and Y of A and B, respectively": the figures first ("$15.59 billion and $21.20 billion of cash and cash
# equivalents and short-term investments, respectively"); the items split at their last "and".
_RESPECTIVELY_AFTER = re.compile(
    rf"(?P<x>{_FIG})\s*,?\s+and\s+(?P<y>{_FIG})\s+(?:of|in|for|from)\s+(?P<items>[^.;]{{3,120}}?),?\s+"
    r"respectively", re.IGNORECASE)


_PERIOD_ITEM = re.compile(r"(?:19|20)\d\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?", re.I)


def _item_words(text: str) -> frozenset[str]:
    """An item's words, its numbers included ("767" of "the 777X and 767 programs")."""
    return content_words(text) | frozenset(re.findall(r"\b\d\w*", text.lower()))


def _respectively_binding(index: SourceIndex, k: int, figure: NumberMention, claim: Claim) -> str | None:
    """"hardware and services revenues by $59 million and $120 million, respectively": the figure belongs to
    the item in the same place of the list; the item the claim names instead when it names the other one."""
    unit = index.units[k]
    raw = index.text[unit.start : unit.end]
    pos = figure.start - unit.start
    pairs = [(m, m.group("a"), m.group("b")) for m in _RESPECTIVELY.finditer(raw)]
    for m in _RESPECTIVELY_AFTER.finditer(raw):
        first, sep, second = m.group("items").rpartition(" and ")
        if sep:
            pairs.append((m, first, second))
    said = _item_words(claim.text)
    for m, a, b in pairs:
        if _PERIOD_ITEM.fullmatch(a.strip()) or _PERIOD_ITEM.fullmatch(b.strip()):
            continue  # "At December 31, 2024 and 2023, ... $4.8 billion and $5.4 billion": the period check reads these
        if m.start("x") <= pos < m.end("x"):
            own, other = a, b
        elif m.start("y") <= pos < m.end("y"):
            own, other = b, a
        else:
            continue
        own_words, other_words = _item_words(own), _item_words(other)
        if other_words and other_words <= said and not own_words & said:
            return other
    return None


def _scale_unread(index: SourceIndex, k: int, figure: NumberMention) -> bool:
    """Whether a table row states the claim's figure in thousands or millions whose note was not read ("$4.41
    billion" for "Streaming revenues: $4,414,746" of a table "in thousands" stated pages above it)."""
    if index.units[k].kind != "row" or figure.kind != "number" or not figure.value:
        return False
    tolerance = max(figure.half_unit, 0.005 * figure.magnitude)
    return any(m.kind == "number" and not m.scaled and abs(abs(m.value) * scale - figure.magnitude) <= tolerance
               for m in index.unit_figures[k].mentions for scale in (1e3, 1e6))


def _derived_difference(judge: Judge, i: int, first: NumberMention) -> tuple[str, str, int | None] | None:
    """A change the claim states that the source gives only as its two ends: "rose seven percentage points to
    42%" against "42% and 35%", "rose by about $2 billion to $17.3 billion" against "$17.33 billion ... $15.3
    billion". Supported when two figures of a well-aligned unit differ by it (one of them the claim's other
    figure, where it gives one); contradicted when that unit gives exactly two such figures, the claim's other
    figure among them, and they differ by another amount; None when no unit gives both ends."""
    claim, index = judge.claim, judge.index
    points = first.kind == "number" and bool(first.noun & {"point", "basi"})
    # a change in money or in a scaled quantity ("fell by 76 thousand barrels a day" against a table in thousands)
    money = first.kind == "number" and first.change != 0 and not points and (
        first.currency is not None or first.scaled)
    # a change in a count, from the claim's own other end ("4,605 units, 10 fewer than a year earlier")
    count = (first.kind == "number" and first.change != 0 and not points and not money and first.currency is None
             and any(j != i and r[0].kind == "number" and r[0].currency is None for j, r in enumerate(claim.figures)))
    if not (points or money or count) or first.value <= 0:
        return None
    per = 100.0 if "basi" in first.noun else 1.0
    value, tolerance = first.value / per, max(first.half_unit / per, 0.005 * first.value / per)

    def same_kind(m: NumberMention) -> bool:
        if points:
            return m.kind == "percent"
        if count:
            return m.kind == "number" and m.currency is None
        # a table's bare figures under its scale note are money of the table's currency or quantities alike
        return m.kind == "number" and (m.currency == first.currency or (m.currency is None and m.scaled))

    anchors = [r[0] for j, r in enumerate(claim.figures) if j != i and same_kind(r[0])]

    def is_anchor(m: NumberMention) -> bool:
        return any(abs(m.value - a.value) <= max(a.half_unit, 0.005 * abs(a.value)) for a in anchors)

    for cov, k in judge.ranked(skip=i)[:4]:
        if cov < MIN_BIND:
            break
        ends = [m for m in index.unit_figures[k].mentions if same_kind(m) and is_sane(m)]
        pairs = [(a, b) for x, a in enumerate(ends) for b in ends[x + 1 :]
                 if not anchors or is_anchor(a) or is_anchor(b)]
        matching = [(a, b) for a, b in pairs if abs(abs(a.value - b.value) - value) <= tolerance]
        if matching:
            if (money or count) and all(_went_the_other_way(index, a, b, first.change) for a, b in matching):
                older = _older(index, *matching[0])
                return "contradicted", f"the source's figures went the other way, from {older.text}", k
            return "supported", f"{first.text} as the difference of the source's figures", k
        if anchors and len(ends) == 2 and len(pairs) == 1:
            a, b = pairs[0]
            return "contradicted", f"the source's {a.text} and {b.text} differ by {abs(a.value - b.value):g}", k
    return None


def _years(index: SourceIndex, m: NumberMention) -> frozenset[int]:
    return index.figure_periods.get((m.start, m.end), frozenset())


def _older(index: SourceIndex, a: NumberMention, b: NumberMention) -> NumberMention:
    return a if max(_years(index, a), default=0) < max(_years(index, b), default=0) else b


def _went_the_other_way(index: SourceIndex, a: NumberMention, b: NumberMention, change: int) -> bool:
    """Whether two dated ends of a change ("Development milestones: 130 | 196", 2024 and 2023) moved against the
    claim's direction; False when either end is undated or both share a year."""
    ya, yb = _years(index, a), _years(index, b)
    if len(ya) != 1 or len(yb) != 1 or ya == yb:
        return False
    old, new = (a, b) if max(ya) < max(yb) else (b, a)
    return (new.value - old.value) * change < 0


def _derived_growth(judge: Judge, i: int, first: NumberMention) -> tuple[str, str, int | None] | None:
    """A rate of change the claim states beside one of its ends ("trimmed R&D by about 4% to roughly $1.75
    billion", "grew about 8% to roughly $15.5 billion") that the source gives only as the two ends: supported
    when a well-aligned unit holds that end and another figure it grew from or fell to by that rate."""
    if first.kind != "percent" or first.change == 0 or first.value <= 0:
        return None
    claim, index = judge.claim, judge.index
    anchors = [r[0] for j, r in enumerate(claim.figures) if j != i and r[0].kind == "number" and r[0].value > 0]
    if not anchors:
        return None  # without the end the claim names, any two figures of a table may differ by some rate
    tolerance = max(first.half_unit, 0.02 * first.value)
    for cov, k in judge.ranked(skip=i)[:8]:
        if cov < MIN_BIND / 2:  # the unit must hold the claim's end too, which binds it (a table's "Total:" row)
            break
        ends = [m for m in index.unit_figures[k].mentions if m.kind == "number" and is_sane(m) and m.value > 0]
        for new in ends:
            if not any(abs(new.value - a.value) <= max(a.half_unit, 0.02 * a.value) for a in anchors):
                continue
            for old in ends:
                if old is new or old.value == new.value:
                    continue
                rate = (new.value - old.value) / old.value * 100
                if abs(abs(rate) - first.value) <= tolerance and rate * first.change > 0:
                    return "supported", f"{first.text} as the change between the source's {old.text} and {new.text}", k
    return None


# Words that join items into a whole: "cash and short-term investments", "the 777X and 767 programs together".
_JOINED = re.compile(r"\b(?:and|plus|together|combined|in\s+all|altogether|collectively|in\s+total)\b", re.I)


def _derived_sum(judge: Judge, i: int, first: NumberMention) -> tuple[str, str, int | None] | None:
    """A whole the claim states that the source gives only as its parts: "about $26 billion of cash and
    short-term investments" against "$13.8 billion of cash, $12.5 billion of short-term investments". Supported
    when the claim joins items ("and", "together", "combined") and two or three figures
    of one well-aligned unit add up to it; None otherwise."""
    claim, index = judge.claim, judge.index
    if first.kind not in ("number", "percent") or first.value <= 0 or first.noun & {"point", "basi"}:
        return None
    if not _JOINED.search(claim.text):
        return None
    # the figure's own rounding, at most 5% of it: "$30 billion" is not a rounding of 13.8 + 12.5
    tolerance = max(min(first.half_unit, 0.05 * first.value), 0.005 * first.value)
    for cov, k in judge.ranked(skip=i)[:3]:
        if cov < MIN_BIND:
            break
        parts = [m.value for m in index.unit_figures[k].mentions
                 if m.kind == first.kind and m.currency == first.currency and is_sane(m) and 0 < m.value < first.value]
        sums = {a + b for x, a in enumerate(parts) for b in parts[x + 1 :]}
        sums |= {a + b + c for x, a in enumerate(parts) for y, b in enumerate(parts[x + 1 :], x + 1)
                 for c in parts[y + 1 :]} if len(parts) <= 8 else set()
        if any(abs(total - first.value) <= tolerance for total in sums):
            return "supported", f"{first.text} as the sum of the source's figures", k
    return None


def _bound(judge: Judge, k: int, verdict: FigureVerdict, first: NumberMention) -> tuple[str, str, int | None]:
    """A figure unit k supports, checked for its binding there: the list item, "respectively" place, qualifier,
    named item and period the source gives it."""
    index, claim = judge.index, judge.claim
    if verdict.evidence is not None:
        sibling = _sibling_binding(index, k, verdict.evidence, claim, verdict.mention)
        swapped = _respectively_binding(index, k, verdict.evidence, claim)
        if swapped:
            return "contradicted", f"the source gives {first.text} for the item listed beside {swapped!r}", k
        if sibling:
            return "contradicted", f"the source gives {first.text} for another item; the claim's is in {sibling!r}", k
        qualified = (check_qualifiers(judge, k, verdict.evidence) or check_named_item(judge, k, verdict.evidence)
                     if index.units[k].kind == "sentence" else None)
        if qualified:
            return qualified
        other = check_prenominal(judge, k, verdict.evidence, verdict.mention)
        if other:  # "$5.0 billion bridge credit agreement" where $5.0 billion is the term loan's
            return "contradicted", f"the source gives {first.text} for another item than {other}'s", k
    wrong_period = wrong_figure_period(index, verdict, claim, k, judge.coverage(k))
    if wrong_period:
        years = ", ".join(str(y) for y in sorted(wrong_period))
        return "contradicted", f"the source gives {first.text} for {years}", k
    return "supported", f"{first.text} as stated", k


def _named_by_digits(index: SourceIndex, figure: NumberMention) -> bool:
    """Whether a bare number of the claim ("767", no currency, percent or counted noun) is a name the source
    writes with the same digits ("the 777X and 767 programs")."""
    if figure.kind != "number" or figure.currency or figure.noun or not figure.text.isdigit() or len(figure.text) < 3:
        return False
    return re.search(rf"(?<![\d,.$]){figure.text}(?=[A-Z]?\b)(?![,.]\d|\s*%)", index.text) is not None


_DIRECTION_KEYS = frozenset({"increas", "decreas"})  # content_words' keys of rose/grew/fell/declined/...


def _states_another_figure(claim: Claim, i: int, verdict: FigureVerdict) -> bool:
    """Whether the value a unit gives against the claim's i-th figure is one the claim states itself, as another of
    its figures ("grew about 11% to $713 million ..., yet dipped to 6% of revenue" against the row's 11%)."""
    evidence = verdict.evidence
    if evidence is None:
        return False
    return any(reading.kind == evidence.kind and abs(reading.value - evidence.value) <= 0.005 * abs(evidence.value)
               for j, readings in enumerate(claim.figures) if j != i for reading in readings[:1])


def _held_by_its_own_words(judge: Judge, first: NumberMention, k: int) -> bool:
    """Whether unit ``k`` holds most of the words of the claim's clause that states the figure: "generated $14.8
    billion of cash and issued $4.0 billion of debt", each figure with its own words (the company's name aside
    where the unit calls it "we")."""
    index, claim = judge.index, judge.claim
    span = segment_at(claim.text, first.start - claim.start, CLAIM_SEGMENT_SPLIT)
    local = content_words(claim.text[span[0] : span[1]]) - claim.subject
    if index.units[k].kind == "row":
        local -= _DIRECTION_KEYS  # "sales rose about 2% to roughly $391 billion": a row states no direction
    local_total = sum(index.weight(w) for w in local)
    held = sum(index.weight(w) for w in sorted(local & index.units[k].words))
    return bool(local_total) and held / local_total >= 0.34


def check_figure(judge: Judge, i: int, readings: list[NumberMention]) -> tuple[str, str, int | None]:
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
    if best_s and best_c and _states_another_figure(claim, i, best_c[2]):
        best_c = None  # the row giving "11%" beside the claim's "6%" is where the claim's own "11%" comes from
    if best_s and best_c and best_c[0] > best_s[0] + BIND_MARGIN:
        # The better-matching unit gives another value: it wins only when it holds claim words the
        # supporting unit lacks (the segment, region or metric the claim names).
        lacking = claim.words - index.units[best_s[1]].words - subject_of(index, best_s[1], claim)
        held = sum(index.weight(w) for w in sorted(lacking & index.units[best_c[1]].words))
        if held < 0.1 * judge.total:
            best_c = None
    if best_s and best_s[0] < MIN_BIND and _held_by_its_own_words(judge, first, best_s[1]):
        best_s = (max(best_s[0], MIN_BIND), best_s[1], best_s[2])
    if best_s and best_s[0] >= MIN_BIND and (best_c is None or best_c[0] <= best_s[0] + BIND_MARGIN):
        return _bound(judge, best_s[1], best_s[2], first)
    if best_c and best_c[0] >= MIN_BIND:
        cov, k, verdict = best_c
        total = _derived_sum(judge, i, first)
        if total is not None:
            return total
        if _scale_unread(index, k, first):
            return "supported", f"{first.text} as stated (in the table's thousands or millions)", k
        if verdict.reason.startswith("same value"):
            return "contradicted", f"the source states {first.text} with the opposite sign or direction", k
        shown = verdict.evidence.text if verdict.evidence else "another value"
        return "contradicted", f"the source gives another value for this: {shown}", k
    derived = _derived_difference(judge, i, first) or _derived_sum(judge, i, first) or _derived_growth(judge, i, first)
    if derived is not None:
        return derived
    duration = duration_of_figure(index, first)
    if duration is not None:  # "the six-month period", "over the next 12 months": context, not a fact to bind
        return "supported", f"{first.text} as a length of time the source states", duration
    if best_s:
        return "unsupported", f"{first.text} appears only in unrelated text", best_s[1]
    if _named_by_digits(index, first):  # "the 777X and 767": a model the source names by its number
        return "supported", f"{first.text} as a name the source uses", None
    table = next((k for cov, k in judge.ranked(skip=i) if cov >= MIN_BIND and _scale_unread(index, k, first)), None)
    if table is not None:  # "$2,386 million" for "Commercial Airplanes: $2,386 | ..." of a table in millions
        return "supported", f"{first.text} as stated (in the table's thousands or millions)", table
    return "unsupported", f"{first.text} is not in the source", None
