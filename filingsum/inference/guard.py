"""Guarded output: every sentence of a generated summary checked with the eval's own checks before a user sees it.

A sentence is a finding when it repeats an earlier sentence, talks about the text rather than the company
(a meta statement), denies what the summary states elsewhere, is a section heading copied in ("Human Capital
Management."), or states a figure or a name the source (the fitted input the model read) does not support.
The policy (``summarize.guard``) decides what happens:

- ``drop``: the findings are removed from the summary (unless nothing would be left: then it is kept whole
  and flagged);
- ``flag``: the summary is kept as generated and the findings are reported;
- ``off``: no check.

A list item written twice in a row ("healthcare, healthcare and hospitality") is kept once under ``drop``
and reported under ``flag``. A loop (a span repeated back to back) is regenerated once with a repetition
penalty before the checks (`Summarizer._reduce`). What was done is reported per summary as `GuardChecks`
(`SummaryResult.checks`). The endpoint itself returns the raw model output: only `filingsum summarize` and
the Python API guard.
"""

from __future__ import annotations

import re

from filingsum.core.schema import GuardChecks, GuardFinding, GuardPolicy
from filingsum.core.text import split_sentences

RETRY_REPETITION_PENALTY = 1.15


def _sentence_spans(summary: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    cursor = 0
    for sentence in split_sentences(summary):
        sentence = sentence.strip()
        if not sentence:
            continue
        start = summary.find(sentence, cursor)
        if start < 0:  # the splitter normalised whitespace: fall back to the running position
            start = cursor
        end = start + len(sentence)
        spans.append((start, end, sentence))
        cursor = end
    return spans


def sentence_findings(summary: str, source: str) -> list[GuardFinding]:
    """One finding per offending sentence (the first reason found), in summary order."""
    from filingsum.quality.factual import check_entities
    from filingsum.quality.numbers import check_numbers
    from filingsum.quality.textdefects import heading_fragments, meta_statements, repeated_sentences, self_denials

    spans = _sentence_spans(summary)
    reasons: dict[int, str] = {}
    for defects, label in ((repeated_sentences(summary), "repeated"), (meta_statements(summary), "meta"),
                           (self_denials(summary), "self-denial"), (heading_fragments(summary), "heading")):
        for defect in defects:
            reasons.setdefault(defect.index, f"{label}: {defect.reason}")

    def sentence_of(position: int) -> int | None:
        for i, (start, end, _) in enumerate(spans):
            if start <= position < end:
                return i
        return None

    numbers = check_numbers(summary, source)
    contradicted = {id(m) for m in numbers.contradicted}
    for mention in numbers.unsupported:
        i = sentence_of(mention.start)
        if i is not None:
            kind = "contradicted" if id(mention) in contradicted else "unsupported"
            reasons.setdefault(i, f"figure {mention.text!r} {kind} by the source")
    for mention in check_entities(summary, source).unsupported:
        i = sentence_of(mention.start)
        if i is not None:
            reasons.setdefault(i, f"name {mention.text!r} not in the source")
    n = len(spans)
    return [GuardFinding(sentence=spans[i][2], index=i, reason=reasons[i]) for i in sorted(reasons) if i < n]


def cut_loop(summary: str) -> str | None:
    """The summary up to the last sentence that ends before a loop starts; None without a loop (or when the
    loop starts in the first sentence, so nothing whole would be left)."""
    from filingsum.quality.metrics import loop_start

    start = loop_start(summary)
    if start is None:
        return None
    kept = [sentence for begin, end, sentence in _sentence_spans(summary) if end <= start]
    return " ".join(kept) if kept else None


_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s*$")


def cut_unfinished(summary: str) -> str | None:
    """The summary without a last sentence that stops mid-way (no closing punctuation: the token cap cut it);
    None when it ends a sentence, or when that sentence is all there is."""
    if _SENTENCE_END.search(summary):
        return None
    spans = _sentence_spans(summary)
    if len(spans) < 2:
        return None
    return " ".join(sentence for _, _, sentence in spans[:-1])


# An item of a list written twice in a row ("legal and healthcare, healthcare and hospitality"): one to six
# words in lower case (a name such as "New York, New York" is left alone), then a comma, or "and"/"or" for items
# of two words or more (so "more and more" is left alone), and the second copy ends the item (a comma, "and",
# "or" or the sentence's end follows: "direct sales and direct sales personnel" is two items).
_ITEM_WORDS = r"[a-z][\w&'-]*(?:\s+[a-z][\w&'-]*){%s}"
_ITEM_END = r"(?=\s*(?:[,.;:)]|and\b|or\b|$))"
_REPEATED_ITEM = re.compile(
    rf"\b(?P<item>{_ITEM_WORDS % '0,5'}),\s+(?:and\s+|or\s+)?(?P=item){_ITEM_END}"
    rf"|\b(?P<long>{_ITEM_WORDS % '1,5'})\s+(?:and|or)\s+(?P=long){_ITEM_END}")


def collapse_repeated_items(summary: str) -> tuple[str, list[str]]:
    """The summary with each list item written twice in a row kept once, and the items collapsed."""
    collapsed: list[str] = []

    def keep_one(match: re.Match[str]) -> str:
        item = match.group("item") or match.group("long")
        collapsed.append(item)
        return item

    previous = None
    while previous != summary:  # "a, a, a" takes two passes
        previous, summary = summary, _REPEATED_ITEM.sub(keep_one, summary)
    return summary, collapsed


def guard_summary(summary: str, source: str, policy: GuardPolicy, *, retried: bool = False) -> tuple[str, GuardChecks]:
    """The summary as the policy leaves it, and what was checked, dropped or flagged. Under ``drop`` a loop
    that survived the retry is cut at the last whole sentence before it."""
    if policy == "off":
        return summary, GuardChecks(policy="off", retried=retried)
    loop_finding: list[GuardFinding] = []
    if policy == "drop":
        before_loop = cut_loop(summary)
        if before_loop is not None:
            loop_finding = [GuardFinding(sentence=summary[len(before_loop):].strip()[:300], index=-1,
                                         reason="loop: cut at the last whole sentence before it")]
            summary = before_loop
        whole = cut_unfinished(summary)
        if whole is not None:
            loop_finding.append(GuardFinding(sentence=summary[len(whole):].strip()[:300], index=-1,
                                             reason="unfinished last sentence (the summary cap cut it): dropped"))
            summary = whole
    collapsed, items = collapse_repeated_items(summary)
    repeated = [GuardFinding(sentence=item, index=-1, reason=f"list item {item!r} written twice in a row"
                             + (": kept once" if policy == "drop" else "")) for item in items]
    if policy == "drop":
        summary = collapsed
        loop_finding += repeated
    findings = sentence_findings(summary, source)
    if policy == "flag":
        findings += repeated
    if policy == "flag" or not findings:
        return summary, GuardChecks(policy=policy, retried=retried, flagged=findings, dropped=loop_finding)
    spans = _sentence_spans(summary)
    dropped = {f.index for f in findings}
    kept = [sentence for i, (_, _, sentence) in enumerate(spans) if i not in dropped]
    if not kept:  # dropping everything would leave no summary: keep it, say so
        return summary, GuardChecks(policy=policy, retried=retried, flagged=findings, dropped=loop_finding,
                                    note="every sentence had a finding: kept whole and flagged")
    return " ".join(kept), GuardChecks(policy=policy, retried=retried, dropped=loop_finding + findings)


def guard_line(checks: GuardChecks | None) -> str:
    """One line for the Markdown output: what the guard did to a summary."""
    if checks is None or checks.policy == "off":
        return "checks: off"
    parts = [f"checks ({checks.policy}):"]
    if checks.retried:
        parts.append(f"regenerated once with repetition penalty {RETRY_REPETITION_PENALTY} (loop);")
    if checks.dropped:
        parts.append(f"{len(checks.dropped)} sentence(s) dropped (" +
                     "; ".join(f.reason for f in checks.dropped) + ")")
    elif checks.flagged:
        parts.append(f"{len(checks.flagged)} sentence(s) flagged (" + "; ".join(f.reason for f in checks.flagged) + ")")
    else:
        parts.append("every sentence passed")
    if checks.note:
        parts.append(f"[{checks.note}]")
    return " ".join(parts)
