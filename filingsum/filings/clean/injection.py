"""Prompt injection: text in a filing is data, never an instruction to the model.

The rule: a sentence is removed when it *addresses the model*: an "ignore / disregard / forget the previous
instructions" command (English, German, French, Spanish, Italian, Portuguese; also spelled out letter by
letter) at the start of a sentence or clause ("Ignore...", "Please ignore...", "IMPORTANT: ignore...",
"You must ignore..."), a role marker ("SYSTEM:"), a chat-template token, "you are now", and the like. A
sentence that merely *mentions* such a phrase inside its own statement ("...attacks such as 'ignore previous
instructions'", "...e-mails that tell employees to disregard prior instructions...") is kept: removing it
would drop real business content. The fence and the system prompt (filingsum.core.prompt) stay the main
defence; this filter keeps obvious commands out of the training data and the model's input.
"""

from __future__ import annotations

import re

from filingsum.core.text import normalise_whitespace

_EN_QUALIFIER = r"(?:previous|prior|above|earlier|preceding|foregoing|all|any|your|system|these|those|other)"
_EN_NOUN = r"(?:instructions?|prompts?|directions|rules|guidelines|commands|directives|orders)"

# (cheap substring triggers on the lower-cased text, pattern, needs a clause start): a pattern runs only when a
# trigger occurs; "needs a clause start" patterns only count where the sentence addresses the reader.
_INJECTION_RULES: tuple[tuple[tuple[str, ...], str, bool], ...] = (
    (
        ("ignore", "disregard", "forget", "override"),
        rf"\b(?:ignore|disregard|forget|override)\b[^.\n]{{0,40}}\b{_EN_QUALIFIER}\b[^.\n]{{0,30}}\b{_EN_NOUN}\b"
        rf"|\b(?:ignore|disregard|forget)\b[^.\n]{{0,20}}\b{_EN_NOUN}\b[^.\n]{{0,12}}\b(?:above|before|earlier)\b"
        r"|\b(?:ignore|disregard|forget)\s+"
        r"(?:all\s+|everything\s+|anything\s+|what\s+(?:is|was)\s+(?:written\s+|said\s+)?)?"
        r"(?:of\s+)?(?:the\s+|that\s+)?(?:above|foregoing|preceding|previous|prior|earlier)\b",
        True,
    ),
    (
        ("ignor", "vergiss", "vergessen", "missacht", "oubli", "olvid", "dimentic", "esque"),
        r"\b(?:ignorier\w*|vergiss|vergessen|missachte\w*|ignore[sz]?|oublie[sz]?|ignora[dr]?|olvid[ae]\w*|"
        r"dimentica|esque[çc]a)\b[^.\n]{0,50}\b(?:anweisungen|instruktionen|befehle|vorgaben|instructions|consignes|"
        r"directives|instrucciones|indicaciones|istruzioni|instru[çc](?:õ|o)es)\b",
        True,
    ),
    (("you are now",), r"\byou are now\b", False),
    (("instruction",), r"\b(?:new|updated|real) instructions?\s*:", False),
    (("system", "assistant", "user"), r"(?m)^\s*(?:system|assistant|user)\s*:", False),
    (("<|", "[inst", "[/inst", "<<sys", "<</sys"), r"<\|[a-z_]+\|>|\[/?inst\]|<</?sys>>", False),
    (("summari",), r"\b(?:do not|don't) summari[sz]e\b", False),
    (("as an ai",), r"\bas an ai (?:language )?model\b", False),
    (("system prompt",), r"\bsystem prompt\b", False),
    (("instead", "now"), r"\b(?:instead|now),? (?:write|output|respond|say|print|reply)\b", False),
)
INJECTION_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.IGNORECASE) for _, p, _ in _INJECTION_RULES)

# What may stand before a command at the start of a clause: nothing, a label ending in ":" ("IMPORTANT:"),
# ";" or a dash, a politeness or sequencing word, "you must/should/...", "I want you to", or a short vocative
# ("Assistant, ..."); quotes and brackets around it are ignored.
_CLAUSE_LEAD_IN = re.compile(
    r"(?:^|[:;\u2013\u2014]|\s-|\b(?:please|now|then|also|instead|immediately|bitte|"
    r"veuillez|por favor|per favore|you (?:must|should|shall|will|need to|have to|are to)|"
    r"(?:i|we) (?:want|need|ask|instruct) you to|you to)|^\W*\w+(?:\s+\w+)?,)[\W_]*$",
    re.IGNORECASE,
)
# Letters spelled out one by one ("i g n o r e  p r e v i o u s"): squashed before matching.
_SPACED_RUN = re.compile(r"(?<!\w)(?:\w[ .\-_*]+){4,}\w(?!\w)")
_SQUASHED_COMMAND = re.compile(
    r"(?:ignore|disregard|forget|ignoriere|vergiss|oubliez|ignora|olvida)(?:all|any|the|your|alle|toutes|les|"
    r"todas|las|le)*(?:previous|prior|above|earlier|preceding|vorherigen|precedentes|précédentes|anteriores|"
    r"precedenti)(?:instructions?|prompts?|rules|anweisungen|instrucciones|istruzioni)?"
)
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")


def _detection_form(text: str) -> str:
    """The text as a reader sees it: compatibility forms folded (NFKC), invisible characters removed, and
    letter-by-letter runs squashed into words. Used only to detect; what is kept is the original text."""
    import unicodedata

    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return _SPACED_RUN.sub(lambda m: re.sub(r"[ .\-_*]+", "", m.group()) + " ", text)


def _spelled_out_command(text: str) -> bool:
    return any(_SQUASHED_COMMAND.search(re.sub(r"\W+", "", m.group()).lower()) for m in _SPACED_RUN.finditer(text))


def _injection_patterns_in(text: str) -> list[tuple[re.Pattern[str], bool]]:
    lower = text.lower()
    return [
        (pattern, clause_start)
        for (triggers, _, clause_start), pattern in zip(_INJECTION_RULES, INJECTION_PATTERNS)
        if any(t in lower for t in triggers) and pattern.search(text)
    ]


def _addresses_model(sentence: str, candidates: list[tuple[re.Pattern[str], bool]] | None = None) -> bool:
    """Whether one sentence is an instruction to the model (the rule in the module docstring)."""
    if _spelled_out_command(_INVISIBLE.sub("", sentence)):
        return True
    form = _detection_form(sentence)
    for pattern, clause_start in _injection_patterns_in(form) if candidates is None else candidates:
        for match in pattern.finditer(form):
            if not clause_start or _CLAUSE_LEAD_IN.search(form[: match.start()]):
                return True
    return False


def strip_prompt_injection(text: str) -> tuple[str, list[str]]:
    """Remove sentences that address the model ("Ignore previous instructions ...") and say so in a warning;
    sentences that only mention such a phrase are kept (see the rule in the module docstring)."""
    from filingsum.core.text import split_sentences

    form = _detection_form(text)
    if not _injection_patterns_in(form) and not _spelled_out_command(_INVISIBLE.sub("", text)):
        return text, []
    removed: list[str] = []
    kept_lines: list[str] = []
    for line in text.split("\n"):
        if not _addresses_model(line) and not any(
            _addresses_model(s) for s in split_sentences(line)
        ):
            kept_lines.append(line)
            continue
        sentences = split_sentences(line) or [line]
        keep = [s for s in sentences if not _addresses_model(s)]
        removed += [s for s in sentences if s not in keep]
        kept_lines.append(" ".join(keep))
    if not removed:
        return text, []
    cleaned = normalise_whitespace("\n".join(kept_lines))
    sample = removed[0] if len(removed[0]) <= 80 else removed[0][:77] + "..."
    warning = (
        f"removed {len(removed)} sentence(s) that read as instructions to the model (possible prompt injection), "
        f"e.g. {sample!r}"
    )
    return cleaned, [warning]
