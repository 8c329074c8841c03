"""One figure written in digits: its sign, currency, scale word ("$1.2 billion"), percent sign, and the rounding
a hedge word implies ("about 32,000"); a bare four-digit number is a year only where it acts as one."""

from __future__ import annotations

import re

from filingsum.quality.numbers.dates import YEAR_RE
from filingsum.quality.numbers.mention import NumberMention
from filingsum.quality.numbers.nouns import NOUN_BREAK, sentence_opening

SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SCALE_ABBREVIATIONS = {"k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}
_CURRENCY_SIGNS = {"$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP"}
_CURRENCY_WORDS = {"dollar": "USD", "dollars": "USD", "u.s. dollars": "USD", "usd": "USD", "euro": "EUR",
                   "euros": "EUR", "eur": "EUR"}


AMOUNT = re.compile(
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


def _half_unit(num: str, scale: float) -> float:
    decimals = len(num.split(".", 1)[1]) if "." in num else 0
    return 0.5 * 10.0 ** (-decimals) * scale


def _acts_as_year(text: str, start: int, end: int) -> bool:
    """Whether a bare four-digit number 1800-2099 is a year here ("in 2000", "Act of 2022", "| 2016 |"), not a
    count ("operates 2000 stores", "a total of 2000 stores")."""
    before = re.findall(r"[A-Za-z]+", text[max(0, start - 30) : start])
    if before and before[-1].lower() in _YEAR_LEAD_WORDS:
        return True
    if before and before[-1][0].isupper() and not sentence_opening(text, text.rfind(before[-1], 0, start)):
        return True  # "Act 2022", "Form 2000" name a year or an identifier, not a count
    if len(before) >= 2 and before[-1] == "of" and before[-2][0].isupper():
        return True  # "Act of 2022"
    after = re.match(r"[ \t]+([A-Za-z][A-Za-z\-]*)", text[end : end + 30])
    if after is None:
        return True
    if after.group(1)[0].isupper():
        return True  # "its 2024 Americas sales": the year of a named thing
    word = after.group(1).lower()
    return not (word.endswith("s") and word not in _YEAR_FOLLOWERS and word not in NOUN_BREAK)


def amount_mention(m: re.Match[str]) -> NumberMention | None:
    num = m["num"]
    currency = None
    if m["currency"]:
        currency = _CURRENCY_SIGNS[m["currency"].lower()]
    elif m["curword"]:
        currency = _CURRENCY_WORDS.get(re.sub(r"\s+", " ", m["curword"].strip().lower()), "USD")
    scale = 1.0
    if m["scaleword"]:
        scale = SCALE_WORDS[m["scaleword"].lower()]
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
    before = m.string[max(0, m.start() - 2) : m.start()]  # two characters: a search of all the text is quadratic
    if (negative and not m["sign"] and currency is None and scale == 1.0 and not m["percent"]
            and re.fullmatch(r"\d{1,2}", num) and re.search(r"[A-Za-z)\u00ae\u2122][ \t]?$", before)):
        return None  # a footnote marker ("Revenue (1)"), not minus one
    signed = -value if negative else value
    if m["percent"]:
        return NumberMention(start, end, text, "percent", signed, half_unit=_half_unit(num, 1.0),
                             change=-1 if negative else 0)
    is_year_shaped = (
        currency is None and scale == 1.0 and not negative and "," not in num and "." not in num
        and re.fullmatch(YEAR_RE, num) is not None
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
