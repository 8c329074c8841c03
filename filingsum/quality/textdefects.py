"""Text-level defects of a summary: sentences about the text, self-denials and repeated sentences.

A summary states what the filing says about the business. Three defects make it useless to a reader even
when every figure in it is right:

- a **meta statement** talks about the text rather than the company ("This excerpt from the annual report
  ...", "The filing does not describe how the company is financed");
- a **self-denial** denies what the summary states elsewhere ("... through retailers and carriers. The text
  does not describe distribution channels.");
- a **repeated sentence** says again what an earlier sentence said (the sentence-level form of a loop).

Each detector is a pure function over the summary's sentences (`filingsum.core.text.split_sentences`) that
returns the offending sentences with the reason, so the eval report, the reference checks and `summarize`'s
guard show the evidence and not just a count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from filingsum.core.aspects import ASPECTS
from filingsum.core.text import split_sentences

# The text as the subject: "this excerpt", "the passage", "the filing does not ...".
_TEXT_NOUN = (r"(?:excerpt|passage|text|section|document|window|snippet|extract|filing|report|disclosure|"
              r"10-k|10-q|form 10-k|form 10-q|annual report|quarterly report|md&a|item \d\w?)")
_TEXT_SUBJECT = re.compile(
    r"\b(?:this|the|that|above|provided|given)\s+(?:\w+\s+){0,2}?(?:excerpt|passage|snippet|extract|window)s?\b"
    r"|\b(?:this|the|above|provided|given)\s+(?:text|document)\b(?!\s+(?:messag|messaging|editor|processing))",
    re.IGNORECASE,
)
_REPORTING_VERB = (r"(?:describe|mention|discuss|specify|detail|say|state|address|explain|elaborate on|quantify|"
                   r"disclose|break down|identify|indicate|cover|reveal|outline|name|list|clarify|tell|"
                   r"go into|touch on|comment on|elaborate)")
_DENIAL = re.compile(
    r"\b(?:does|do|did|is|are|was|were)\s+not\s+(?:\w+\s+)?" + _REPORTING_VERB + r"\w*"
    r"|\b(?:doesn't|don't|didn't)\s+(?:\w+\s+)?" + _REPORTING_VERB + r"\w*"
    r"|\b(?:is|are|was|were)\s+not\s+(?:\w+\s+)?(?:described|mentioned|discussed|specified|detailed|stated|"
    r"addressed|explained|disclosed|provided|given|covered|quantified|identified|outlined|named|listed)\b"
    r"|\bno\s+(?:further\s+|specific\s+|other\s+|additional\s+|explicit\s+)?(?:information|details?|mention|"
    r"description|discussion|data|figures|breakdown)\b"
    r"|\b(?:not|never)\s+(?:explicitly|specifically|directly|clearly)\s+(?:" + _REPORTING_VERB + r"\w*|stated|"
    r"described|mentioned|discussed)"
    r"|\b(?:unclear|unspecified|unknown|not specified|not stated)\s+(?:from|in|by)\s+(?:the|this)\b"
    r"|\bbeyond\s+(?:the\s+scope|what)\b|\boutside\s+(?:the\s+scope|this)\b",
    re.IGNORECASE,
)
_TEXT_AS_AGENT = re.compile(
    r"\b(?:the|this)\s+(?:company's\s+)?" + _TEXT_NOUN + r"\s+(?:also\s+)?(?:describes|says|states|notes|mentions|"
    r"discusses|explains|outlines|highlights|covers|focuses|provides|gives|offers|contains|includes|presents|"
    r"reports that|does not|doesn't|is silent|makes no)\b"
    r"|\b(?:according to|as (?:described|stated|noted|mentioned|discussed) in|in|from)\s+(?:the|this)\s+"
    r"(?:excerpt|passage|text|snippet|extract|window)\b"
    r"|\b(?:is|are)\s+(?:described|discussed|mentioned|outlined|covered|highlighted)\s+in\s+(?:the|this)\s+"
    + _TEXT_NOUN,
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SentenceDefect:
    """One sentence of a summary with what is wrong with it."""

    sentence: str
    index: int  # position among the summary's sentences
    reason: str


def _sentences(summary: str) -> list[str]:
    return [s.strip() for s in split_sentences(summary) if s.strip()]


def _share(summary: str, find: Callable[[str], list[SentenceDefect]]) -> float | None:
    """Share of the summary's sentences a detector finds; None for an empty summary."""
    sentences = _sentences(summary)
    return len(find(summary)) / len(sentences) if sentences else None


def is_meta_statement(sentence: str) -> bool:
    """A sentence about the text (the excerpt, the filing) rather than about the company.

    >>> is_meta_statement("This excerpt from the company's annual report describes its segments.")
    True
    >>> is_meta_statement("The excerpt does not describe how the company is financed.")
    True
    >>> is_meta_statement("Financing is not described.")
    True
    >>> is_meta_statement("The company does not sell directly to consumers.")
    False
    >>> is_meta_statement("Apple files its annual report on Form 10-K with the SEC.")
    False
    """
    return bool(_TEXT_SUBJECT.search(sentence) or _DENIAL.search(sentence) or _TEXT_AS_AGENT.search(sentence))


def meta_statements(summary: str) -> list[SentenceDefect]:
    """The summary's sentences about the text rather than the company, with the phrase that shows it."""
    found: list[SentenceDefect] = []
    for i, sentence in enumerate(_sentences(summary)):
        for pattern in (_TEXT_SUBJECT, _DENIAL, _TEXT_AS_AGENT):
            match = pattern.search(sentence)
            if match:
                found.append(SentenceDefect(sentence, i, f"about the text: {match.group(0)!r}"))
                break
    return found


def meta_statement_rate(summary: str) -> float | None:
    """Share of the summary's sentences that are about the text; None for an empty summary.

    >>> meta_statement_rate("Visa earns fees. The excerpt does not say how it is financed.")
    0.5
    """
    return _share(summary, meta_statements)


_NEGATION = re.compile(
    r"\b(?:not|no|none|neither|nor|never|without|doesn't|don't|didn't|isn't|aren't|lacks?)\b", re.IGNORECASE
)


def _aspects_in(sentence: str) -> set[str]:
    return {a.name for a in ASPECTS if a.found_in(sentence)}


def _denied_aspects(sentence: str) -> set[str]:
    """Aspects a denying sentence says are absent: the aspect cues that follow the negation."""
    negation = _DENIAL.search(sentence) or _NEGATION.search(sentence)
    if negation is None:
        return set()
    return _aspects_in(sentence[negation.start():])


def self_denials(summary: str) -> list[SentenceDefect]:
    """Sentences that deny what another sentence of the same summary states.

    A denial ("does not describe", "no information on", "is not disclosed") that names an aspect (revenue,
    customers, products, channels, financing) which another, affirmative sentence of the summary covers.

    >>> [d.index for d in self_denials("It sells through carriers and retailers. "
    ...                                 "The text does not describe its distribution channels.")]
    [1]
    """
    sentences = _sentences(summary)
    stated: dict[int, set[str]] = {}
    denials: dict[int, set[str]] = {}
    for i, sentence in enumerate(sentences):
        if _DENIAL.search(sentence) or (is_meta_statement(sentence) and _NEGATION.search(sentence)):
            denials[i] = _denied_aspects(sentence)
        else:
            stated[i] = _aspects_in(sentence)
    found: list[SentenceDefect] = []
    for i, denied in denials.items():
        for j, aspects in stated.items():
            overlap = denied & aspects
            if overlap:
                found.append(SentenceDefect(
                    sentences[i], i, f"denies {', '.join(sorted(overlap))}, stated in sentence {j + 1}"))
                break
    return found


def self_denial_rate(summary: str) -> float | None:
    """Share of sentences that deny what the summary states elsewhere; None for an empty summary."""
    return _share(summary, self_denials)


_WORD = re.compile(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*")


# Long function words that say nothing of what a sentence states ("including those sold to ..." is "sells to ...").
_FILLER = frozenset("that this these those them they their there which with from into also including include "
                    "includes such other than have been were will would could about over under more most some only "
                    "each both".split())


def _content_words(sentence: str) -> set[str]:
    """Stems of a sentence's words of four letters or more, filler left out: "makes fountain syrups and sells them"
    and "makes fountain syrup sales, including those sold" share syrup, sell/sale..."""
    from filingsum.quality.stems import stem

    return {stem(w) for w in _WORD.findall(sentence.lower()) if len(w) > 3 and w not in _FILLER}


def repeated_sentences(summary: str, threshold: float = 0.8) -> list[SentenceDefect]:
    """Sentences that repeat an earlier one: the same sentence, or one whose content words (stemmed) mostly recur.

    >>> [d.index for d in repeated_sentences("It sells phones. It also sells tablets. It sells phones.")]
    [2]
    """
    sentences = _sentences(summary)
    found: list[SentenceDefect] = []
    seen: list[tuple[int, str, set[str]]] = []
    for i, sentence in enumerate(sentences):
        key = " ".join(_WORD.findall(sentence.lower()))
        words = _content_words(sentence)
        for j, earlier_key, earlier_words in seen:
            same = key == earlier_key
            overlap = (len(words & earlier_words) / len(words)) if len(words) >= 4 else 0.0
            if same or overlap >= threshold:
                found.append(SentenceDefect(sentence, i, f"repeats sentence {j + 1}"))
                break
        seen.append((i, key, words))
    return found


def repeated_sentence_rate(summary: str) -> float | None:
    """Share of sentences that repeat an earlier sentence; None for an empty summary."""
    return _share(summary, repeated_sentences)


# Words a heading may hold in lower case ("Suppliers and Supply Chain", "Sources and Availability of Raw
# Materials").
_HEADING_LINKS = frozenset("and or of the for in on to a an with & by at".split())
_HEADING_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019&-]*|\d+[A-Za-z]?")
_MAX_HEADING_WORDS = 8


def is_heading_fragment(sentence: str) -> bool:
    """A section heading copied in as a sentence ("Human Capital Management.", "Item 1. Business."): at most
    eight words, each capitalised (linking words aside), no verb a sentence would need.

    >>> is_heading_fragment("Suppliers and Supply Chain.")
    True
    >>> is_heading_fragment("Human Capital Management.")
    True
    >>> is_heading_fragment("Walmart sells groceries.")
    False
    """
    words = _HEADING_WORD.findall(sentence)
    if not words or len(words) > _MAX_HEADING_WORDS or re.search(r"[,;:$%()]|\d{2}", sentence):
        return False
    content = [w for w in words if w.lower() not in _HEADING_LINKS]
    return bool(content) and all(w[0].isupper() or w[0].isdigit() for w in content)


def heading_fragments(summary: str) -> list[SentenceDefect]:
    """The summary's sentences that are section headings, not sentences."""
    return [SentenceDefect(sentence, i, "a section heading, not a sentence")
            for i, sentence in enumerate(_sentences(summary)) if is_heading_fragment(sentence)]
