"""What a figure measures, read from the words of its clause: metric words (revenue, backlog), metric
families, direction cues (increased/decreased, income/loss), the table row it sits in, its counted noun."""

from __future__ import annotations

import re
from dataclasses import replace

from filingsum.quality.abbreviations import spelled_out_words
from filingsum.quality.numbers.mention import NumberMention
from filingsum.quality.numbers.nouns import counted_noun, identifier_word, singular_of

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
_GENERIC_LABEL_WORDS = frozenset("total net the and of other in for to as a an".split())
# Direction cues read in a figure's clause: the change (increased/decreased) and the level (income/loss).
_CHANGE_UP = frozenset("increase increased increases increasing grew grow grows growing growth rose rise rises "
                       "rising higher gained improved expanded up climbed jumped soared surged swelled".split())
_CHANGE_DOWN = frozenset("decrease decreased decreases decreasing decline declined declines declining fell fall "
                         "falls falling lower drop dropped drops reduced reduction down contracted cut cuts lowered "
                         "trimmed slipped slid eased shrank dipped tumbled plunged".split())
_LEVEL_UP = frozenset("income profit profits earnings earned gain gains positive surplus".split())
_LEVEL_DOWN = frozenset("loss losses lost deficit negative".split())
_CUE_WORDS_BEFORE = 8
_CUE_WORDS_AFTER = 3
_METRIC_WORDS_BEFORE = 12
_METRIC_WORDS_AFTER = 8
# A clause ends at sentence punctuation, a table cell, a blank line or a comparison; a single line break
# does not end one (hard-wrapped filings break sentences anywhere).
_CLAUSE_BOUNDARY = re.compile(r"[;!?|]|\.(?=\s)|\n[ \t]*\n|\b(?:versus|compared|from|against)\b", re.IGNORECASE)


_NEUTRAL_PHRASES = re.compile(
    r"\bincome\s+tax(?:es)?\b|\bup\s+to\b|\bcomprehensive\s+income\b"
    r"|\bpercent(?:age)?\s+of\s+(?:total\s+|net\s+)*[a-z]+",  # the base of a percentage, not its metric
    re.IGNORECASE,
)
_CLAUSE_WORD = re.compile(r"[a-z][a-z'\-]*")


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
        if re.search(r"[A-Za-z0-9)]\.\s*$", line):
            return frozenset()  # a sentence that ends the text: "Revenue was $45.2 million in 2020."
    label = re.split(r"[:|$\d]|\((?=[\d$])", line, maxsplit=1)[0]  # "Income (loss) from operations" is whole
    # but what is in brackets is a gloss or an alternative, not the row's name: "Other income (expense)",
    # "Southeast (Florida, Georgia, South Carolina)"
    label = re.sub(r"\([^()]*\)", " ", label)
    if start - line_start < len(label):
        return frozenset()  # "six" of "Deliveries during the first six months: 137 | ...": the label, not a cell
    return frozenset(singular_of(w) for w in _CLAUSE_WORD.findall(label.lower()) if w not in _GENERIC_LABEL_WORDS)


_LABEL_ALIAS = re.compile(r"[^:|$(\d]*\(([A-Z][A-Za-z&]{1,7})\)\s*[:|]")


def _row_alias(text: str, start: int) -> str:
    """The abbreviation a row label gives itself ("APAC" in "Asia-Pacific (APAC): 1,305,253 | ..."), lowercased."""
    line_start = text.rfind("\n", 0, start) + 1
    m = _LABEL_ALIAS.match(text, line_start, start)
    return m.group(1).lower() if m and sum(c.isupper() for c in m.group(1)) >= 2 else ""


def _implied_words(text: str, x: NumberMention) -> frozenset[str]:
    """Words a figure implies: "18% of revenue" is a percentage of revenue."""
    if x.kind == "percent" and re.match(r"\s+of\b", text[x.end : x.end + 5]):
        return frozenset({"percentage"})
    return frozenset()


# A sentence ends at ". " but not after an initial ("Walmart U.S. comparable sales rose 5.5%"), at a blank line
# and at "; ".
_SENTENCE_BREAK = re.compile(r"(?<![A-Z])\. |\n\n|; ")


def _sentence_words(text: str, start: int, end: int) -> frozenset[str]:
    """The words of the sentence around a figure (for finding a table row's label in a summary sentence)."""
    head = text[max(0, start - 300) : start]
    cut = max((m.start() for m in _SENTENCE_BREAK.finditer(head)), default=-1)
    tail = text[end : end + 300]
    stop = next((m.start() for m in _SENTENCE_BREAK.finditer(tail)), len(tail))
    sentence = head[cut + 1 :] + " " + tail[:stop]
    # "R&D expense was $1,589 million" names the row "Research and development"
    sentence += " " + spelled_out_words(sentence, places=True)
    if "%" in sentence:
        sentence += " percent percentage"  # "rose to 23% from 14%" names the row "as a percent of net revenues"
    # possessives name the row too: "Reality Labs' operating loss" for "Reality Labs: (17,729) | ..."
    return frozenset(singular_of(w.removesuffix("'s").rstrip("'")) for w in _CLAUSE_WORD.findall(sentence.lower()))


_EARLIER = frozenset("a the last prior previous year quarter period".split())  # "... than a year earlier"
_FILLER_BEFORE = frozenset("a an by of the approximately about roughly nearly some over almost".split())


def _adjacent_change(text: str, start: int, end: int, floor: int, ceiling: int) -> int:
    """The direction a change word right beside a figure gives it: "a $2.91 billion increase in repayments",
    "decreased by $845 million", "an increase of 5%"; 0 when none stands there. It wins over the clause's other
    cues ("The decrease was primarily due to a $2.91 billion increase in ...")."""
    tail = text[end:ceiling][:40].lower()
    after = _CLAUSE_WORD.findall(tail) if re.match(r"\s+[a-z]", tail) else []  # "5%, higher costs": a new item
    if after and after[0] in _CHANGE_UP | _CHANGE_DOWN:
        either = len(after) >= 3 and after[1] == "or" and after[2] in _CHANGE_UP | _CHANGE_DOWN
        return 0 if either else (1 if after[0] in _CHANGE_UP else -1)  # "1% higher or lower": neither
    if len(after) >= 3 and after[0] in ("fewer", "more", "less") and after[1] == "than" and after[2] in _EARLIER:
        return 1 if after[0] == "more" else -1  # "4,605 units, 10 fewer than a year earlier"
    head = text[max(floor, start - 60) : start].lower()
    head = head[max(head.rfind(","), head.rfind(";"), head.rfind(":")) + 1 :]  # this item's words only
    before = [w for w in _CLAUSE_WORD.findall(head) if w not in _FILLER_BEFORE]
    if before and before[-1] in _CHANGE_UP | _CHANGE_DOWN:
        if len(before) >= 3 and before[-2] == "or" and before[-3] in _CHANGE_UP | _CHANGE_DOWN:
            return 0  # "higher or lower by 1%"
        return 1 if before[-1] in _CHANGE_UP else -1
    return 0


def _cue(words: list[str], up: frozenset[str], down: frozenset[str]) -> int:
    ups = any(w in up for w in words)
    downs = any(w in down for w in words)
    return 0 if ups == downs else (1 if ups else -1)


def with_context(text: str, mentions: list[NumberMention]) -> list[NumberMention]:
    """Each amount, count and percentage with its noun, direction cues, metric words and table row."""
    out: list[NumberMention] = []
    for i, x in enumerate(mentions):
        if x.kind not in ("number", "percent"):
            out.append(x)
            continue
        floor = mentions[i - 1].end if i else 0
        ceiling = mentions[i + 1].start if i + 1 < len(mentions) else len(text)
        row = _row_label(text, x.start)
        if row:  # a table row's last cell: the words after it label the next row ("Operating income: ...")
            line_end = text.find("\n", x.end)
            ceiling = min(ceiling, len(text) if line_end < 0 else line_end)
        base = x.kind == "percent" and _PERCENT_BASE.match(text[x.end : x.end + 30]) is not None
        after = [] if base else _words_after(text, x.end, ceiling)
        around = _words_before(text, x.start, floor) + after
        wide = _words_before(text, x.start, floor, _METRIC_WORDS_BEFORE) + _words_after(
            text, x.end, ceiling, _METRIC_WORDS_AFTER)
        bare = x.kind == "number" and x.currency is None
        noun = counted_noun(text, x.start, x.end) if bare else ()
        wide += [w for w in row if w in _METRIC_WORDS or f"{w}s" in _METRIC_WORDS]
        out.append(replace(
            x,
            noun=frozenset(noun) or x.noun,  # "two-week" carries its unit from extraction
            head=noun[-1] if noun else x.head,
            change=x.change or _adjacent_change(text, x.start, x.end, floor, ceiling)
            or _cue(around, _CHANGE_UP, _CHANGE_DOWN),
            level=x.level or _cue(around, _LEVEL_UP, _LEVEL_DOWN),
            metric=frozenset(_METRIC_WORDS.get(w) or _METRIC_WORDS[f"{w}s"] for w in wide
                             if w in _METRIC_WORDS or f"{w}s" in _METRIC_WORDS),
            family=frozenset(_METRIC_FAMILIES[_METRIC_WORDS[w]] for w in around
                             if _METRIC_WORDS.get(w) in _METRIC_FAMILIES),
            identifier=identifier_word(text, x.start) if bare and "$" not in x.text else None,
            row=row,
            row_alias=_row_alias(text, x.start) if row else "",
            context=_sentence_words(text, x.start, x.end) | _implied_words(text, x),
        ))
    return out
