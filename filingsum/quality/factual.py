"""Factual overlap of a summary with its source: figures and names the source supports, and the spans it does not.

`number_precision` and `entity_precision` are None when the summary states no figure / no name: a metric
that is undefined is not a zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from filingsum.quality.name_forms import ALIASES, abbreviation_supported, acronyms, demonym_forms, spelled_out
from filingsum.quality.numbers import DEFAULT_MAX_ROUNDING, DEFAULT_REL_TOL, SupportCheck, check_numbers

Span = tuple[int, int, str]

# Words that open sentences or phrases in capitals without naming anything.
STOPWORDS = frozenset(
    """
    a an the this that these those our we us it its they their them he she his her i you your my
    in on at for of and or but nor as by with from to into onto over under about after before during
    also however additionally furthermore moreover overall finally further thus therefore meanwhile
    while although though since because if then there here which who whom whose what when where why how
    is are was were be been being has have had do does did will would can could may might must shall should
    each every other such both many most some all any no not only more less much few several
    first second third last next new besides despite beyond within among across through throughout unless
    whether either neither via per
    """.split()
)
# Business words that open summary sentences without naming anything, even where the source never writes
# them in lower case ("Headcount grew", "Liquidity comes from ...").
COMMON_OPENERS = frozenset(
    """
    headcount revenue sales growth margin profitability demand pricing inventory operating gross total overall
    international domestic quarterly annual subscription advertising manufacturing research customers employees
    workforce liquidity capital cash debt segment products services distribution financing funding profit earnings
    income expenses costs nearly almost approximately roughly around substantially virtually about stockholders
    shareholders higher lower increased decreased rising falling stronger weaker larger smaller fewer lower-than-
    expected one two three four five six seven eight nine ten eleven twelve several many most half absent excluding
    including given compared following amid largely mainly mostly partly chiefly primarily stripping adjusted driven led
    """.split()
)
CALENDAR_WORDS = frozenset(
    """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    monday tuesday wednesday thursday friday saturday sunday q1 q2 q3 q4
    """.split()
)

_WORD = re.compile(r"[^\W_]+(?:[&'\u2019.\-][^\W_]+)*")
# Lower-case words of running text; not parts of web addresses ("www.crexendo.com" does not make a name common).
_LOWER_WORD = re.compile(r"(?<![\w.@/])[a-z][a-z'\u2019\-]*(?![\w@/]|\.\w)")


_INNER_CAPITAL = re.compile(r"[a-z]+[A-Z]")
# Month abbreviations ("Mar.", "Sept.") name no company: "Mars" must not match "Mar.".
_MONTH_ABBREVIATIONS = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec".split())
_MONTH_TOKEN = "\x00month"


def _is_name_token(token: str) -> bool:
    # "Crexendo", "SEC", "AT&T"; also "iPhone" / "eBay" (lower-case start, capital inside). A capitalised
    # compound with a lower-case part ("Second-quarter", "Year-over-year") is an ordinary word.
    if "-" in token and any(part[:1].islower() for part in token.split("-")[1:]):
        return False
    return token[0].isupper() or (token[0].islower() and _INNER_CAPITAL.match(token) is not None)


def _lowercase_words(text: str) -> frozenset[str]:
    """The lower-case words of a text, with the parts of hyphenated ones ("headcount-related" gives
    "headcount"), so a sentence-initial "Headcount" reads as the common word it is."""
    words = {w.rstrip("'\u2019") for w in _LOWER_WORD.findall(text)}
    words.update(part for w in list(words) if "-" in w for part in w.split("-") if len(part) > 2)
    return frozenset(words)


@lru_cache(maxsize=100_000)
def _norm(token: str) -> str:
    """A name token as matched, case kept: possessive dropped, a plural "s" dropped ("Services" ~ "Service")."""
    token = re.sub(r"['\u2019]s$", "", token)
    if token.lower() in _MONTH_ABBREVIATIONS:
        return _MONTH_TOKEN
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss") and not token.isupper():
        token = token[:-1]
    return token


def _title(token: str) -> str:
    """ "APPLE" -> "Apple" (headings in capitals spell names too); other tokens unchanged."""
    return token[0] + token[1:].lower() if len(token) > 1 and token.isupper() and token.isalpha() else token


@dataclass(frozen=True)
class SourceTerms:
    """A source's words for name look-ups, case kept.

    joined: the normalised words as one space-joined string (a phrase look-up is a substring search), and
    the same with headings' capitals title-cased; names: words the source uses as names (capitalised where
    no sentence starts, or only ever capitalised); standalone: names the source also uses on their own, not
    inside a longer capitalised run; lowercase: its lower-case words; cased: lower-case form -> spelling of
    the words the source only ever writes with capitals ("netflix" -> "Netflix", "iphone" -> "iPhone").
    """

    joined: str
    joined_titled: str
    names: frozenset[str]
    standalone: frozenset[str]
    lowercase: frozenset[str]
    cased: dict[str, str]
    acronyms: frozenset[str] = frozenset()  # initials of its runs of words ("EMEA", "R&D", "WTO")

    @classmethod
    def from_text(cls, text: str) -> SourceTerms:
        matches = list(_WORD.finditer(text))
        words = [m.group(0) for m in matches]
        normed = [_norm(w) for w in words]
        is_name = [_is_name_token(w) for w in words]
        lowercase = _lowercase_words(text)
        names: set[str] = set()
        standalone: set[str] = set()
        cased: dict[str, str] = {}
        for i, (m, word, norm) in enumerate(zip(matches, words, normed, strict=True)):
            if not is_name[i] or norm == _MONTH_TOKEN:
                continue
            prev_joined = i > 0 and is_name[i - 1] and text[matches[i - 1].end() : m.start()] == " "
            next_name = i + 1 < len(words) and is_name[i + 1] and words[i + 1].lower() not in STOPWORDS
            gap = text[m.end() : matches[i + 1].start()] if i + 1 < len(words) else ""
            next_joined = next_name and gap == " "
            # A word opening a sentence is a name only if the text never writes it in lower case, or it
            # leads a run of names or a number ("Defense, Space & Security", "Phase 1"): "Growth is..."
            # next to "growth" is not.
            leads = (next_name and gap in (" ", ", ")) or re.match(r" \d", text[m.end() : m.end() + 2]) is not None
            if (_sentence_initial(text, m.start(), ".!?") and _common(word.lower(), lowercase) and not leads
                    and not _opens_row_label(text, m.start())):
                continue
            names.update({norm, _title(norm)})
            # the parts of a capitalised compound name things too ("System-PIX" names "PIX")
            names.update(_norm(part) for part in word.split("-")[1:] if part[:1].isupper() and len(part) > 1)
            if not prev_joined and not next_joined:
                standalone.update({norm, _title(norm)})
            # Spelled with capitals inside a sentence ("watch Netflix", "the iPhone"), never in lower case:
            # a lower-case "netflix" in a summary is this name.
            inside = i > 0 and words[i - 1][0].islower() and text[matches[i - 1].end() : m.start()] == " "
            if inside and word.lower() not in lowercase:
                cased.setdefault(word.lower(), word)
        joined = " " + " ".join(normed) + " "
        joined_titled = " " + " ".join(_title(n) for n in normed) + " "
        return cls(joined, joined_titled, frozenset(names), frozenset(standalone), lowercase, cased,
                   acronyms(words))

    def has_phrase(self, tokens: tuple[str, ...]) -> bool:
        from filingsum.quality.name_forms import without_initials_in  # "Brian Olsavsky" for "Brian T. Olsavsky"
        phrase = f" {' '.join(tokens)} "
        return phrase in self.joined or phrase in self.joined_titled or without_initials_in(tokens, self.joined)


@lru_cache(maxsize=512)
def source_terms(source: str) -> SourceTerms:
    return SourceTerms.from_text(source)


@dataclass(frozen=True)
class EntityMention:
    start: int
    end: int
    text: str
    tokens: tuple[str, ...]
    lowercase: bool = False  # a lower-case spelling of a name the source capitalises ("netflix")

    @property
    def span(self) -> Span:
        return (self.start, self.end, self.text)


def _sentence_initial(text: str, start: int, marks: str = ".!?:;") -> bool:
    """Whether the word at `start` opens a sentence, a line or (with the default marks) a clause."""
    before = text[max(0, start - 200) : start]
    stripped = before.rstrip(" \t\"'\u201c\u2018([")
    return not stripped or stripped[-1] in marks or stripped[-1] == "\n"


def _opens_row_label(text: str, start: int) -> bool:
    """Whether the word at `start` opens a table row's label ("Service: 9,054 | 25 | ..."): a row's name, even
    where the text also writes the word in lower case."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    label = line.split("|", 1)[0]
    return "|" in line and not text[line_start:start].strip() and ":" in label and "." not in label.split(":")[0]


def _common(word: str, lowercase: frozenset[str]) -> bool:
    """Whether a word (lower-cased) is written in lower case in the text, as it stands or in the singular or
    plural ("Subscriptions" at a sentence start, "subscription" in the text)."""
    return word in lowercase or f"{word}s" in lowercase or (word.endswith("s") and word[:-1] in lowercase)


def extract_entities(text: str, common_words: frozenset[str] = frozenset()) -> list[EntityMention]:
    """Runs of capitalised words ("Crexendo", "Cloud Telecommunications Services", "SEC").

    A sentence-initial word is dropped when it is a stopword or otherwise appears in lower case (in this
    text or in `common_words`): "Revenue comes from..." names nothing. Calendar words are left to the
    number checks.
    """
    lowercase = _lowercase_words(text) | common_words
    groups: list[list[re.Match[str]]] = []
    for m in _WORD.finditer(text):
        token = m.group(0)
        if not _is_name_token(token):
            continue
        possessive = bool(groups) and re.search(r"['\u2019]s$", groups[-1][-1].group(0)) is not None
        if groups and text[groups[-1][-1].end() : m.start()] == " " and not possessive:
            groups[-1].append(m)  # "Amazon's AWS" is two names: the owner and what it owns
        else:
            groups.append([m])
    mentions: list[EntityMention] = []
    for group in groups:
        while group:
            first = group[0].group(0)
            low = re.sub(r"['\u2019]s$", "", first.lower())
            ignorable = low in STOPWORDS or low in CALENDAR_WORDS or len(first) == 1 or (
                _common(low, COMMON_OPENERS) and _sentence_initial(text, group[0].start()))  # "Revenues", too
            if ignorable or (_sentence_initial(text, group[0].start()) and _common(low, lowercase)):
                group = group[1:]
            else:
                break
        # Calendar words at the edges of a run are dates ("December", "Monday Apple"); inside a name they are
        # part of it ("NFL Sunday Ticket").
        while group and group[0].group(0).lower() in CALENDAR_WORDS:
            group = group[1:]
        while group and group[-1].group(0).lower() in CALENDAR_WORDS:
            group = group[:-1]
        if not group:
            continue
        start, end = group[0].start(), group[-1].end()
        surface = text[start:end]
        trimmed = re.sub(r"['\u2019]s$", "", surface)
        end -= len(surface) - len(trimmed)
        mentions.append(EntityMention(start, end, trimmed, tuple(_norm(m.group(0)) for m in group)))
    return mentions


def lowercase_names(text: str, terms: SourceTerms) -> list[EntityMention]:
    """Lower-case words of a summary that the source only writes as names ("netflix" where the source says
    "Netflix", "iphone" for "iPhone"), adjacent ones joined ("apple music"), in the source's spelling."""
    mentions: list[EntityMention] = []
    for m in _LOWER_WORD.finditer(text):
        word = m.group(0)
        spelled = terms.cased.get(word)
        if spelled is None or word in terms.lowercase or word in STOPWORDS:
            continue
        token = _norm(spelled)
        last = mentions[-1] if mentions else None
        if last is not None and text[last.end : m.start()] == " ":
            mentions[-1] = EntityMention(last.start, m.end(), text[last.start : m.end()], (*last.tokens, token),
                                         lowercase=True)
        else:
            mentions.append(EntityMention(m.start(), m.end(), word, (token,), lowercase=True))
    return mentions


def _entity_supported(entity: EntityMention, terms: SourceTerms) -> bool:
    alias = ALIASES.get(entity.tokens)
    if alias and _tokens_supported(alias, terms):
        return True
    tokens = entity.tokens
    if len(tokens) > 1 and "".join(t[0] for t in tokens).upper() in terms.names:
        return True  # "Deposit Insurance Fund" where the source writes "DIF"
    return _tokens_supported(tokens, terms)


def _tokens_supported(tokens: tuple[str, ...], terms: SourceTerms) -> bool:
    if len(tokens) == 1:
        return (tokens[0] in terms.names or any(form in terms.names for form in demonym_forms(tokens[0]))
                or abbreviation_supported(tokens[0], terms))
    if terms.has_phrase(tokens):
        return True
    if any(terms.has_phrase((*tokens[:-1], form)) for form in demonym_forms(tokens[-1])):
        return True  # "Central American operations" where the source says "Central America"
    if re.fullmatch(r"[A-Z]{2,6}", tokens[0]):  # "WTO Agreement" for "World Trade Organization Agreement"
        spelled = spelled_out(tokens[0], terms.joined)
        if spelled and terms.has_phrase(tuple(w.title() if w.islower() and len(w) > 3 else w
                                              for w in spelled.split()) + tokens[1:]):
            return True
    # A longer name is supported when it splits into parts the source has as they stand: phrases of two or
    # more adjacent words, or single words the source uses as names on their own ("Crexendo" +
    # "Cloud Telecommunications"). Words that only ever open sentences or sit inside other names do not
    # stitch into a new name ("Cloud Growth Platform").
    reachable = [True] + [False] * len(tokens)
    for end in range(1, len(tokens) + 1):
        for start in range(end):
            if not reachable[start]:
                continue
            part = tokens[start:end]
            if (len(part) == 1 and (part[0] in terms.standalone or abbreviation_supported(part[0], terms))) or (
                    len(part) > 1 and terms.has_phrase(part)):
                reachable[end] = True
                break
    return reachable[-1]


@dataclass
class EntityCheck(SupportCheck[EntityMention]):
    """A summary's names and capitalised terms split into those the source supports and those it does not."""


def check_entities(summary: str, source: str) -> EntityCheck:
    """The summary's names (capitalised runs, and lower-case spellings of the source's names), each supported
    when the source has it with the same capitals, as a phrase or as parts the source uses on their own."""
    terms = source_terms(source)
    entities = extract_entities(summary, terms.lowercase) + lowercase_names(summary, terms)
    entities.sort(key=lambda e: e.start)
    supported: list[EntityMention] = []
    unsupported: list[EntityMention] = []
    for entity in entities:
        (supported if _entity_supported(entity, terms) else unsupported).append(entity)
    return EntityCheck(supported, unsupported)


def number_precision(
    summary: str, source: str, *, rel_tol: float = DEFAULT_REL_TOL, max_rounding: float = DEFAULT_MAX_ROUNDING
) -> float | None:
    """Share of the summary's figures (amounts, counts, percentages, dates) that the source supports."""
    return check_numbers(summary, source, rel_tol=rel_tol, max_rounding=max_rounding).precision


def contradicted_numbers(
    summary: str, source: str, *, rel_tol: float = DEFAULT_REL_TOL, max_rounding: float = DEFAULT_MAX_ROUNDING
) -> int:
    """How many of the summary's figures the source contradicts (same figure with the opposite sign or
    direction, or the same metric with only other values)."""
    return len(check_numbers(summary, source, rel_tol=rel_tol, max_rounding=max_rounding).contradicted)


def entity_precision(summary: str, source: str) -> float | None:
    """Share of the summary's capitalised names and terms found in the source."""
    return check_entities(summary, source).precision


def unsupported_numbers(summary: str, source: str, **tolerances: float) -> list[Span]:
    """(start, end, text) in the summary of each figure the source does not support."""
    return [m.span for m in check_numbers(summary, source, **tolerances).unsupported]


def unsupported_entities(summary: str, source: str) -> list[Span]:
    """(start, end, text) in the summary of each name or term the source does not contain."""
    return [m.span for m in check_entities(summary, source).unsupported]


class NLIModelError(RuntimeError):
    """The configured NLI model could not be loaded or has no entailment label."""


@lru_cache(maxsize=2)
def _load_nli(model_name: str) -> tuple[Any, Any, int]:
    try:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model_name)
        model = AutoModelForSequenceClassification.from_pretrained(model_name).eval()
    except (OSError, ValueError) as exc:
        raise NLIModelError(
            f"NLI model {model_name!r} could not be loaded ({type(exc).__name__}: {exc}). Set eval.nli_model "
            "to a local directory or a hub id available offline, or leave it unset to skip NLI scoring."
        ) from exc
    labels = {str(v).lower(): int(k) for k, v in model.config.id2label.items()}
    entail = next((i for name, i in labels.items() if name.startswith("entail")), None)
    if entail is None:
        raise NLIModelError(f"NLI model {model_name!r} has no 'entailment' label (labels: {sorted(labels)})")
    return tokenizer, model, entail


def nli_consistency(
    summary: str, source: str, model_name: str | None = None, *, chunk_tokens: int = 400
) -> float | None:
    """Mean over summary sentences of the best entailment probability against any source chunk.

    Off by default: returns None unless `model_name` is given (eval.nli_model in the config).
    """
    if not model_name:
        return None
    import torch

    tokenizer, model, entail = _load_nli(model_name)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", summary.strip()) if s]
    if not sentences:
        return None
    ids = tokenizer(source, add_special_tokens=False)["input_ids"]
    chunks = [tokenizer.decode(ids[i : i + chunk_tokens]) for i in range(0, max(len(ids), 1), chunk_tokens)]
    scores = []
    with torch.no_grad():
        for sentence in sentences:
            batch = tokenizer(chunks, [sentence] * len(chunks), truncation="only_first", padding=True,
                              return_tensors="pt")
            probs = model(**batch).logits.softmax(-1)[:, entail]
            scores.append(float(probs.max()))
    return sum(scores) / len(scores)
