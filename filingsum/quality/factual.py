"""Factual overlap of a summary with its source: figures and names the source supports, and the spans it does not.

`number_precision` and `entity_precision` are None when the summary states no figure / no name: a metric
that is undefined is not a zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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
    first second third last next new
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


def _is_name_token(token: str) -> bool:
    # "Crexendo", "SEC", "AT&T"; also "iPhone" / "eBay" (lower-case start, capital inside).
    return token[0].isupper() or (token[0].islower() and _INNER_CAPITAL.match(token) is not None)


@lru_cache(maxsize=100_000)
def _norm(token: str) -> str:
    token = token.lower()
    token = re.sub(r"['\u2019]s$", "", token)
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        token = token[:-1]
    return token


@dataclass(frozen=True)
class SourceTerms:
    """A source's normalised words as one space-joined string (phrase look-ups are substring searches), its
    capitalised words and its lower-case words."""

    joined: str
    capitalised: frozenset[str]
    lowercase: frozenset[str]

    @classmethod
    def from_text(cls, text: str) -> "SourceTerms":
        words = _WORD.findall(text)
        joined = " " + " ".join(_norm(w) for w in words) + " "
        capitalised = frozenset(_norm(w) for w in words if w[0].isupper() or _INNER_CAPITAL.match(w))
        return cls(joined, capitalised, frozenset(_LOWER_WORD.findall(text)))

    def has_phrase(self, tokens: tuple[str, ...]) -> bool:
        return f" {' '.join(tokens)} " in self.joined


@lru_cache(maxsize=512)
def source_terms(source: str) -> SourceTerms:
    return SourceTerms.from_text(source)


@dataclass(frozen=True)
class EntityMention:
    start: int
    end: int
    text: str
    tokens: tuple[str, ...]

    @property
    def span(self) -> Span:
        return (self.start, self.end, self.text)


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start]
    stripped = before.rstrip(" \t\"'\u201c\u2018([")
    return not stripped or stripped[-1] in ".!?:;" or "\n" in before[len(stripped) :]


def extract_entities(text: str, common_words: frozenset[str] = frozenset()) -> list[EntityMention]:
    """Runs of capitalised words ("Crexendo", "Cloud Telecommunications Services", "SEC").

    A sentence-initial word is dropped when it is a stopword or otherwise appears in lower case (in this
    text or in `common_words`): "Revenue comes from..." names nothing. Calendar words are left to the
    number checks.
    """
    lowercase = frozenset(_LOWER_WORD.findall(text)) | common_words
    groups: list[list[re.Match[str]]] = []
    for m in _WORD.finditer(text):
        token = m.group(0)
        if not _is_name_token(token):
            continue
        if groups and text[groups[-1][-1].end() : m.start()] == " ":
            groups[-1].append(m)
        else:
            groups.append([m])
    mentions: list[EntityMention] = []
    for group in groups:
        while group:
            first = group[0].group(0)
            low = re.sub(r"['\u2019]s$", "", first.lower())
            ignorable = low in STOPWORDS or low in CALENDAR_WORDS or len(first) == 1
            if ignorable or (_sentence_initial(text, group[0].start()) and low in lowercase):
                group = group[1:]
            else:
                break
        group = [m for m in group if m.group(0).lower() not in CALENDAR_WORDS]
        if not group:
            continue
        start, end = group[0].start(), group[-1].end()
        surface = text[start:end]
        trimmed = re.sub(r"['\u2019]s$", "", surface)
        end -= len(surface) - len(trimmed)
        mentions.append(EntityMention(start, end, trimmed, tuple(_norm(m.group(0)) for m in group)))
    return mentions


def _entity_supported(entity: EntityMention, terms: SourceTerms) -> bool:
    if terms.has_phrase(entity.tokens):
        return True
    # A longer or recombined name ("Crexendo Cloud Telecommunications") is supported when each of its
    # words is a capitalised word of the source; an invented product or another company's name is not.
    return len(entity.tokens) > 1 and all(t in terms.capitalised for t in entity.tokens)


@dataclass
class EntityCheck(SupportCheck[EntityMention]):
    """A summary's names and capitalised terms split into those the source supports and those it does not."""


def check_entities(summary: str, source: str) -> EntityCheck:
    terms = source_terms(source)
    supported: list[EntityMention] = []
    unsupported: list[EntityMention] = []
    for entity in extract_entities(summary, terms.lowercase):
        (supported if _entity_supported(entity, terms) else unsupported).append(entity)
    return EntityCheck(supported, unsupported)


def number_precision(
    summary: str, source: str, *, rel_tol: float = DEFAULT_REL_TOL, max_rounding: float = DEFAULT_MAX_ROUNDING
) -> float | None:
    """Share of the summary's figures (amounts, counts, percentages, dates) that the source supports."""
    return check_numbers(summary, source, rel_tol=rel_tol, max_rounding=max_rounding).precision


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
