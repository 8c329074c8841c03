"""Vague quantities and counts of a claim checked: "most" or "about half" against the share the source gives,
"three segments" against what the claim or the source enumerates."""

from __future__ import annotations

import re
from functools import lru_cache

from filingsum.quality.claims.alignment import Judge
from filingsum.quality.claims.table_shares import row_share, table_items
from filingsum.quality.claims.words import content_words
from filingsum.quality.numbers import NumberMention

# Vague quantities as shares in percent: (low, high).
_VAGUE = [
    (re.compile(r"\b(?:nearly|almost|substantially|virtually|essentially)\s+all\b|\bvast\s+majority\b", re.I),
     (85.0, 100.0), "nearly all"),
    (re.compile(r"\b(?:nearly|almost|just\s+under|a\s+little\s+under)\s+(?:one[\s-])?half\b", re.I),
     (40.0, 50.0), "nearly half"),
    (re.compile(r"\b(?:about|roughly|approximately|around|some|close\s+to)\s+(?:one[\s-])?half\b|"
                r"(?<!first\s)(?<!second\s)(?<!back\s)(?<!front\s)\bhalf\s+of\b",
                re.I), (42.0, 58.0), "about half"),
    (re.compile(r"\bmore\s+than\s+half\b|\bover\s+half\b|\bmost\b|\bmajority\b|\bbulk\s+of\b", re.I),
     (50.0, 100.0), "most"),
    (re.compile(r"\btwo[\s-]thirds\b", re.I), (60.0, 72.0), "two-thirds"),
    (re.compile(r"\bthree[\s-]quarters\b|\bthree[\s-]fourths\b", re.I), (70.0, 80.0), "three-quarters"),
    (re.compile(r"\b(?:a|one)[\s-]third\b", re.I), (28.0, 40.0), "a third"),
    (re.compile(r"\b(?:a|one)[\s-](?:quarter|fourth)\b", re.I), (20.0, 30.0), "a quarter"),
    (re.compile(r"\bless\s+than\s+(?:a|one)[\s-]third\b", re.I), (0.0, 33.4), "less than a third"),
    (re.compile(r"\bless\s+than\s+(?:a|one)[\s-](?:quarter|fourth)\b", re.I), (0.0, 25.0), "less than a quarter"),
    (re.compile(r"\b(?:a|one)[\s-]fifth\b", re.I), (15.0, 25.0), "a fifth"),
    (re.compile(r"\b(?:small|tiny|minor)\s+(?:portion|share|part|fraction)\b", re.I), (0.0, 20.0),
     "a small part"),
    (re.compile(r"\bless\s+than\s+half\b|\bminority\b", re.I), (0.0, 50.0), "less than half"),
]


def vague_share(text: str) -> tuple[str, tuple[float, float]] | None:
    """The first vague quantity of a text and the range of shares (in percent) it allows.

    >>> vague_share("Most of its revenue comes from subscriptions.")
    ('most', (50.0, 100.0))
    >>> vague_share("about half of sales") is None
    False
    """
    found = _vague_match(text)
    return (found[1], found[2]) if found else None


def _vague_match(text: str) -> tuple[re.Match[str], str, tuple[float, float]] | None:
    """The vague quantity that starts first in a text: its match, name and range."""
    best = None
    for pattern, bounds, name in _VAGUE:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0].start()):
            best = (m, name, bounds)
    return best


_APPOSITION = re.compile(r"\s*,\s+(?=[A-Z])")  # "three business segments, Commercial Airplanes, ..."


def _count_items(text: str, noun: str, after_noun: bool = True, names: str = "") -> int | None:
    """How many items a sentence enumerates for a noun ("two segments: Cloud Services and Web Services",
    "its segments, which consist of A, B and C", "three segments, A, B and C"); None when it enumerates none.
    ``names``: a text whose "X, Y" phrases are one item ("Defense, Space & Security")."""
    m = re.search(rf"\b{re.escape(noun[:5])}\w*", text, re.IGNORECASE)
    if not m:
        return None
    tail = text[m.end() :]
    apposition = None if after_noun else _APPOSITION.match(tail)
    if not after_noun and not apposition and not re.match(
            r"\s*(?::|\u2014|-\s|,?\s+(?:which\s+)?(?:are|is|includ\w*|consist\w*\s+of|compris\w*|namely))", tail):
        return None
    lead = apposition or re.match(
        r"[^:;.]{0,60}?(?::|\binclud\w*|\bconsist\w*\s+of|\bcompris\w*|\bare|\bnamely|\u2014|-)\s+", tail)
    if not lead:
        return None
    body = _SENTENCE_END.split(tail[lead.end() :], maxsplit=1)[0]
    kept = []
    for item in _list_items(body, names):
        if len(item.split()) > 6:
            break
        kept.append(item)
    return len(kept) if len(kept) >= 2 else None


# Where a list ends: a semicolon, or a full stop that ends the sentence ("50-mg., 75-mg. and 100-mg." and
# "U.S. bottlers" hold abbreviations' stops).
_SENTENCE_END = re.compile(r";\s|\.\s+(?=[A-Z\"\u201c(])|\.$")
_PHRASE = r"(?:[^:;.()]|\.(?=\S|\s+[a-z]))"  # the count's own phrase: no clause end, abbreviations allowed


def _colon_list(after: str, names: str) -> int | None:
    """How many items follow a colon that closes the count's own phrase ("three higher uses of cash behind its
    outflows: share repurchases, dividends and debt repayments"), or stand in brackets after it ("four kinds of
    third parties (bottlers, distributors, wholesalers and retailers)"); None when no such list follows."""
    bracket = re.match(rf"{_PHRASE}{{0,80}}?\(([^()]{{3,300}})\)", after)
    colon = re.match(rf"{_PHRASE}{{0,80}}?:\s+", after)
    if bracket and not (colon and colon.end() < bracket.start(1)):
        body = bracket.group(1)
    elif colon:
        body = _SENTENCE_END.split(after[colon.end() :], maxsplit=1)[0]
    else:
        return None
    items = _list_items(body, names)
    return len(items) if len(items) >= 2 and all(len(item.split()) <= 6 for item in items) else None


def _one_name(first: str, second: str, names: str) -> bool:
    """Whether ``names`` writes "first, second" as one name ("Defense, Space & Security: 73,957"), not as two
    items of its own list ("California, New York, Texas and Nevada")."""
    pattern = rf"(?<!, )(?<! and )\b{re.escape(first)}, {re.escape(second)}\b(?!,| and | or )"
    return len(first) + len(second) < 60 and re.search(pattern, names) is not None


_LIST_END = re.compile(r"(?:plus|as\s+well\s+as|while|which|but|excluding|except)\b")  # ", plus unallocated items"


def _list_items(body: str, names: str) -> list[str]:
    """The items of an English list: "A, B and C", "A, B, and C", "A and B"; an item may hold "and" when commas
    part the list ("facilities costs, employee and labor costs, and marketing"), and "X, Y" is one item where
    ``names`` writes it so. The list ends at a part of more than six words ("..., Japan and Germany and
    collectively comprised ...")."""
    parts = [p.strip() for p in body.split(",") if p.strip()]
    long = next((i for i, p in enumerate(parts) if len(p.split()) > 6 or _LIST_END.match(p)), len(parts))
    ending: list[str] = []
    if long < len(parts) and not _LIST_END.match(parts[long]):
        for piece in re.split(r"\s+(?:and|or)\s+", re.sub(r"^(?:and|or)\s+", "", parts[long])):
            if len(piece.split()) > 6:
                break
            ending.append(piece)
    items = parts[:long]
    if ending:
        items += ending
    elif items:
        last = items.pop()
        if items and re.match(r"(?:and|or)\s", last):
            items.append(re.sub(r"^(?:and|or)\s+", "", last))  # the serial comma: the last item is whole
        else:
            items.extend(p for p in re.split(r"\s+(?:and|or)\s+", last, maxsplit=1) if p.strip())
    merged: list[str] = []
    for item in items:
        if merged and _one_name(merged[-1], item, names):
            merged[-1] = f"{merged[-1]}, {item}"
        else:
            merged.append(item)
    return merged


_MAX_LISTED = 30  # the longest list a sentence enumerates item by item
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")
_MARKER = re.compile(r"\((i{1,3}|iv|vi{0,3}|ix|x|[a-h]|[1-9])\)\s")


def _marked_items(text: str) -> int | None:
    """How many items a source sentence enumerates with markers "(i) ... (ii) ... (iv)" or "(a) ... (c)": the
    run from the first marker on, when there is one run only; None without one."""
    markers = [m.group(1) for m in _MARKER.finditer(text)]
    for sequence in (_ROMAN, tuple("abcdefgh"), tuple("123456789")):
        run = [m for m in markers if m in sequence]
        if len(run) >= 2 and run == list(sequence[: len(run)]):
            return len(run)
    return None


def check_count(judge: Judge, readings: list[NumberMention], best: int | None) -> tuple[str, str, int] | None:
    """A count the figure check could not place ("three segments"): against what the aligned unit enumerates."""
    first = readings[0]
    after = judge.claim.text[first.end - judge.claim.start :]
    next_word = re.match(r"\s+(?:of\s+(?:the\s+|its\s+|their\s+|[A-Z][\w&.\u2019'-]*['\u2019]s\s+)?"
                         r"(?:[a-z]+\s+)?)?([a-z]{3,})\b", after)  # "three of Coca-Cola's reporting units"
    head = first.head or (next_word.group(1).rstrip("s") if next_word else "")  # "three products: ..."
    if first.kind != "number" or not head or first.currency or not 0 < first.value <= _MAX_LISTED \
            or first.value != int(first.value):
        return None  # "its 2024 Americas sales", "4,605 units": no list is that long
    listed = _count_items(after, head, after_noun=False, names=judge.index.text)
    if listed is None:
        listed = _colon_list(after, judge.index.text)  # "three higher uses of cash ...: A, B and C"
    if listed is not None:
        if abs(listed - first.value) < 0.5:
            return "supported", f"the claim lists {listed} {head}s", best  # type: ignore[return-value]
        return "contradicted", f"{first.text} {head}s, but the claim lists {listed}", best  # type: ignore[return-value]
    if best is None:
        return None
    text = judge.index.units[best].text
    n = _count_items(text, head)
    if n is None:
        n = _marked_items(text)  # "until the earliest of (i) ..., (ii) ..., (iii) ... or (iv) ..."
    if n is None:
        rows = table_items(judge.index, best)
        if rows and abs(rows - first.value) < 0.5:  # "its three regions": the rows of the aligned table
            return "supported", f"the source's table has {rows} rows of {head}s", best
        return None
    if abs(n - first.value) < 0.5:
        return "supported", f"the source enumerates {n} {head}s", best
    return "contradicted", f"the source enumerates {n} {head}s, not {first.text}", best


_OF_WHOLE = re.compile(r"\bof\s+(?:the\s+|its\s+|their\s+|[A-Z][\w&.\u2019']*\s+){0,3}(?:roughly\s+|about\s+|"
                       r"approximately\s+|nearly\s+)?\$\d", re.IGNORECASE)


def _share_of_stated_whole(text: str) -> bool:
    """Whether the claim's vague quantity is a share of an amount it states right after it: "most of Meta's
    $1.67 billion decline", "less than a third of Tesla's roughly $7 billion of debt"."""
    for pattern, _, _ in _VAGUE:
        m = pattern.search(text)
        if m is None:
            continue
        tail = text[m.end() :].lstrip()
        if m.group(0).lower().endswith(" of"):  # "half of", "bulk of": the pattern took the "of"
            tail = "of " + tail
        if _OF_WHOLE.match(tail):
            return True
    return False


def _share_of_a_whole(text: str) -> bool:
    """Whether the claim's vague quantity is a share "of" something ("most of Mastercard's net revenue"), not
    how often or how many ("most customers")."""
    found = _vague_match(text)
    if found is None:
        return False
    m = found[0]
    return m.group(0).lower().endswith(" of") or re.match(r"\s*of\b", text[m.end() :]) is not None


def _names_the_whole(judge: Judge, k: int) -> bool:
    """Whether row k is the whole of the claim's share ("about a fifth of Family of Apps' operating income" aligned
    to the Family of Apps row), not its part."""
    found = _vague_match(judge.claim.text)
    if found is None:
        return False
    label = re.split(r"[:|$(\d]", judge.index.units[k].text, maxsplit=1)[0]
    whole = re.split(r"\b(?:came|comes|come|was|were|is|are|from|in|at|for)\b|[,.;]",
                     judge.claim.text[found[0].end() :], maxsplit=1)[0]
    return bool(content_words(label) & content_words(whole))


def derived_shares(judge: Judge, best: int) -> list[float]:
    """Shares (in percent) of a whole the claim states ("of Meta's $1.67 billion decline") that amounts of the
    aligned unit and its neighbours make up ("$1.55 billion in legal-related costs": 93%)."""
    wholes = [r[0] for r in judge.claim.figures if r[0].kind == "number" and r[0].currency and r[0].value > 0]
    if not wholes:
        return []
    units = range(max(0, best - 1), min(len(judge.index.units), best + 2))
    parts = [m for k in units for m in judge.index.unit_figures[k].mentions
             if m.kind == "number" and m.currency and m.value > 0]
    return [100.0 * p.value / w.value for w in wholes for p in parts
            if p.currency == w.currency and p.value < w.value * (1 - 0.005)]


# A vague quantity that sizes a change ("fell by about a third", "cut its costs by half", "halved").
_CHANGE_SIZE = re.compile(r"\b(?:by|rose|fell|grew|declined|dropped|increased|decreased|shrank|jumped|climbed|"
                          r"slipped)\s+(?:about|roughly|around|nearly|almost|more\s+than|over|some|close\s+to)?\s*"
                          r"(?:a|one|two)?[\s-]*(?:half|third|thirds|quarter|quarters)\b|\bhalved\b", re.IGNORECASE)
_TOGETHER = re.compile(r"\b(?:together|combined|between\s+them|in\s+all)\b", re.IGNORECASE)
# A table row whose percentages are shares of a whole ("Percentage of total revenue", "As a % of Total ...", or
# a row of percentages only); in a row of amounts they are changes ("% Change", "Increase (Decrease)").
_SHARE_ROW = re.compile(r"%\s+of\b|\bpercent(?:age)?\s+of\b|\bshare\s+of\b|\bmix\b", re.IGNORECASE)


_OUTSIDE = re.compile(r"\b(?:outside|international|abroad|overseas|foreign|non-U\.?S\.?)\b", re.IGNORECASE)
_OUTSIDE_AFTER = re.compile(r"\s*(?:of\s+(?:them|which|these|those|our\s+\w+)\s+)?(?:(?:were|are|is|was)\s+)?"
                            r"(?:located\s+|based\s+|employed\s+)?outside\b", re.IGNORECASE)


def check_vague(judge: Judge, best: int) -> tuple[str, str, int] | None:
    """A vague quantity of the claim ("most") against the shares the aligned unit gives, else against its own
    vague quantity."""
    vague = vague_share(judge.claim.text)
    if vague is None:
        return None
    name, (low, high) = vague
    if _CHANGE_SIZE.search(judge.claim.text):
        return None  # "interest income fell by about a third": the size of a change, not a share of a whole
    together = _TOGETHER.search(judge.claim.text) is not None  # "Sales and Service together": no one row's share
    figs = judge.index.unit_figures[best]
    unit = judge.index.units[best]
    shares = [abs(m.value) for m in figs.mentions if m.kind == "percent" and not m.change  # not growth rates
              and (unit.kind == "sentence" or _SHARE_ROW.search(f"{unit.text} {unit.context}")
                   or all(m.kind == "percent" for m in figs.mentions))]  # "Fabric & Home Care: 35% | 36%"
    if unit.kind == "sentence" and not _OUTSIDE.search(judge.claim.text):
        # "172,000 with 15% located outside of the U.S.": the claim's "most ... in the U.S." is the other 85%
        text = judge.index.text
        shares += [100.0 - abs(m.value) for m in figs.mentions if m.kind == "percent" and not m.change
                   and _OUTSIDE_AFTER.match(text, m.end)]
    derived = derived_shares(judge, best)
    if any(low - 2 <= s <= high + 2 for s in derived):
        return None  # "most of its $1.67 billion decline": $1.55 billion of it, the next sentence says
    if derived and _share_of_stated_whole(judge.claim.text):
        shown = ", ".join(f"{s:.0f}%" for s in sorted(derived)[:3])
        return "contradicted", f"{name!r} does not fit the parts the source gives of that whole ({shown})", best
    if shares and not together:
        if any(low - 2 <= s <= high + 2 for s in shares):
            return None
        return "contradicted", f"{name!r} does not fit the source's {shares[0]:g}%", best
    if not shares and not together and _share_of_a_whole(judge.claim.text):
        years = {int(p.value) for p in judge.claim.periods if p.kind == "year"} | {
            int(p.date[:4]) for p in judge.claim.periods if p.kind == "date" and p.date}
        # "AWS contributed more than half of Amazon's operating income": AWS's row against the total row
        row = row_share(judge.index, best, years)
        if row is not None and row[0] <= 100 and not _names_the_whole(judge, best):
            share, shown = row
            if low - 3 <= share <= high + 3:
                return None
            return "contradicted", f"{name!r} does not fit {shown} ({share:.0f}%)", best
    source_vague = vague_share(judge.index.units[best].text)
    if source_vague and (source_vague[1][1] < low or source_vague[1][0] > high):
        return "contradicted", f"{name!r} where the source says {source_vague[0]!r}", best
    return None


# Vague words by what they quantify, each with the range it allows (a share, or how often, in percent). A
# claim's word contradicts the source when the aligned unit uses words of the same kind and none of their
# ranges meets the claim's: "a few industries" where the source says "almost every industry", "a large portion"
# where it says "a small portion", "occasionally" where it says "generally". Longer phrases first.
_KINDS: list[tuple[str, re.Pattern[str], tuple[float, float]]] = [
    ("share", re.compile(r"\b(?:nearly|almost|substantially|virtually|essentially)\s+(?:all|every)\b|"
                         r"\bvast\s+majority\b", re.I), (85.0, 100.0)),
    ("share", re.compile(r"\bless\s+than\s+half\b|\bminority\b", re.I), (0.0, 49.0)),
    ("share", re.compile(r"\b(?:more\s+than|over)\s+half\b|\bmost\b|\bmajority\b|\bbulk\s+of\b", re.I),
     (50.0, 100.0)),
    ("share", re.compile(r"\ba\s+(?:few|handful)\b|\bfew\b", re.I), (1.0, 15.0)),
    ("share", re.compile(r"\b(?:many|numerous)\b", re.I), (20.0, 100.0)),
    # not "some 65 billion servings": "some" before a figure means "about"
    ("share", re.compile(r"\b(?:some|several)\b(?!\s+\$?\d)", re.I), (1.0, 49.0)),
    ("share", re.compile(r"\b(?:all|every)\b", re.I), (95.0, 100.0)),
    ("portion", re.compile(r"\b(?:small|minor|modest|limited)\s+(?:portion|share|part|fraction|percentage|"
                           r"number|amount)\b", re.I), (0.0, 19.0)),
    ("portion", re.compile(r"\b(?:significant|substantial|large|major|meaningful|considerable)\s+(?:portion|"
                           r"share|part|fraction|percentage|number|amount)\b", re.I), (20.0, 100.0)),
    ("often", re.compile(r"\b(?:almost|nearly)\s+always\b", re.I), (85.0, 100.0)),
    ("often", re.compile(r"\balways\b", re.I), (95.0, 100.0)),
    ("often", re.compile(r"\b(?:generally|usually|typically|normally|mostly|predominantly|largely)\b", re.I),
     (55.0, 100.0)),
    ("often", re.compile(r"\b(?:often|frequently|commonly)\b", re.I), (30.0, 100.0)),
    ("often", re.compile(r"\b(?:sometimes|occasionally|at\s+times)\b", re.I), (5.0, 50.0)),
    ("often", re.compile(r"\b(?:rarely|seldom|infrequently)\b", re.I), (0.0, 10.0)),
]


def vague_words(text: str) -> list[tuple[str, str, tuple[float, float]]]:
    """(kind, words, range) of each vague word of a text, a longer phrase taking its words from shorter ones.

    >>> [w for _, w, _ in vague_words("a few of its products, generally")]
    ['a few', 'generally']
    """
    return list(_vague_words(text))


@lru_cache(maxsize=8192)
def _vague_words(text: str) -> tuple[tuple[str, str, tuple[float, float]], ...]:
    """`vague_words`, cached: a source unit is read once for every claim aligned to it."""
    taken: list[tuple[int, int]] = []
    found = []
    for kind, pattern, bounds in _KINDS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append(m.span())
            found.append((m.start(), kind, m.group(0), bounds))
    return tuple((kind, words, bounds) for _, kind, words, bounds in sorted(found))


def check_vague_words(judge: Judge, best: int) -> tuple[str, str, int] | None:
    """A vague word of the claim against the aligned unit's words of the same kind (`vague_words`)."""
    stated = vague_words(judge.index.units[best].text)
    if not stated:
        return None
    for kind, words, (low, high) in vague_words(judge.claim.text):
        same = [(w, b) for k, w, b in stated if k == kind]
        if same and not any(b[0] <= high and low <= b[1] for _, b in same):
            return "contradicted", f"{words!r} where the source says {same[0][0]!r}", best
    return None
