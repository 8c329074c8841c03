"""The claim check: a summary split into claims, each claim's names, figures, periods, roles, polarity and vague
quantities checked against the source, and the findings assembled into one verdict per claim."""

from __future__ import annotations

from filingsum.core.text import split_sentences
from filingsum.quality.claims.alignment import MIN_BIND, MIN_SUPPORT, Judge
from filingsum.quality.claims.changes import check_change
from filingsum.quality.claims.directions import check_directions
from filingsum.quality.claims.figures import check_figure
from filingsum.quality.claims.index import SourceIndex, source_index
from filingsum.quality.claims.names import (
    check_name_swap,
    check_roles,
    ends_company_name,
    is_company_name,
    is_subject,
)
from filingsum.quality.claims.offsets import check_offset_roles
from filingsum.quality.claims.periods import check_durations, check_period, check_quarter
from filingsum.quality.claims.polarity import check_polarity
from filingsum.quality.claims.quantities import check_count, check_vague, check_vague_words
from filingsum.quality.claims.records import Claim, ClaimCheck, ClaimVerdict, ClaimVerdictKind
from filingsum.quality.claims.split import split_claims
from filingsum.quality.claims.swaps import check_swapped_names
from filingsum.quality.claims.words import content_words
from filingsum.quality.factual import EntityMention, _entity_supported, extract_entities, source_terms
from filingsum.quality.name_forms import abbreviated_in, abbreviations, spelled_out
from filingsum.quality.numbers import apply_scale_notes, extract_numbers
from filingsum.quality.textdefects import is_meta_statement

# How much of a claim the unit must hold before a name it lacks counts as a swapped one.
SWAP_SUPPORT = 0.6


def _subject_names(flat: str, claim: Claim, names: list[EntityMention], company: str | None) -> set[int]:
    """Starts of the claim's names that stand for the company the source is about: the filer's name wherever
    it stands when the filer is known, else the claim's first name when it is the claim's subject."""
    if company:
        # The filer is known: its name is supported wherever it stands (a filing calls itself "we"), and no
        # other name gets the subject's benefit of the doubt ("Disney is one of the world's leading ...").
        return {n.start for n in names if is_company_name(n.text, company)
                or ends_company_name(flat[max(0, n.start - 60) : n.start], n.text, company)}
    return {n.start for n in names[:1] if is_subject(flat, claim, n)}


def _judge_claim(index: SourceIndex, claim: Claim, flat: str, names: list[EntityMention],
                 sentence: str, company: str | None = None) -> ClaimVerdict:
    """One claim's verdict: the first contradiction its checks find, else the first unsupported finding, else
    supported when a source unit holds most of the claim or one of its figures is supported."""
    judge = Judge(index, claim)
    ranked = judge.ranked()
    best_cov, best = ranked[0] if ranked else (0.0, None)

    def verdict(kind: ClaimVerdictKind, reason: str, k: int | None) -> ClaimVerdict:
        cov = judge.coverage(k) if k is not None else 0.0
        return ClaimVerdict(claim.text, claim.sentence, claim.start, claim.end, kind, reason,
                            judge.evidence(k) if k is not None else None, round(cov, 3))

    if is_meta_statement(claim.text):
        return verdict("unsupported", "about the text, not the company", None)
    terms = source_terms(index.text)
    subjects = _subject_names(flat, claim, names, company)
    unsupported_names = [n for n in names if not _entity_supported(n, terms) and n.start not in subjects]
    found: list[tuple[str, str, int | None]] = []
    if unsupported_names:
        found.append(("unsupported", f"{unsupported_names[0].text!r} is not in the source", best))
    figure_ok = False
    anchor: int | None = None  # the unit stating the claim's first supported figure: where its words are judged
    for i, readings in enumerate(claim.figures):
        kind, reason, k = check_figure(judge, i, readings)
        if kind == "unsupported":
            count = check_count(judge, readings, best)
            if count:
                kind, reason, k = count
        found.append((kind, reason, k))
        figure_ok = figure_ok or kind == "supported"
        if kind == "supported" and anchor is None and k is not None and index.units[k].kind == "sentence" and (
                readings[0].kind == "percent" or readings[0].currency):
            anchor = k  # an amount or a share, not a count ("the first nine months")
    duration = check_durations(judge)
    if duration:
        found.append(duration)
    found += _period_and_name_findings(judge, [n for n in names if n not in unsupported_names], subjects,
                                       best, best_cov)
    # Direction, negation and vague quantities are read in the sentence that states the claim's figure ("Web
    # Services revenue fell 19%" against the sentence with the 19%), else in the best-aligned one.
    aligned = anchor if anchor is not None else (best if best is not None and best_cov >= MIN_BIND else None)
    if aligned is not None:
        for check in (check_polarity, check_vague, check_quarter, check_vague_words, check_directions,
                      check_swapped_names, check_offset_roles):
            result = check(judge, aligned)
            if result:
                found.append(result)
    change = check_change(claim.text, claim.start, claim.figures)  # "rose from $3.2 billion to $2.4 billion"
    if change:
        found.append((*change, aligned if aligned is not None else best))
    for kind in ("contradicted", "unsupported"):
        hit = next((f for f in found if f[0] == kind), None)
        if hit:
            return verdict(hit[0], hit[1], hit[2])  # type: ignore[arg-type]
    if best is None or (best_cov < MIN_SUPPORT and not figure_ok):
        return verdict("unsupported", "no source sentence holds most of this claim", best)
    return verdict("supported", "; ".join(f[1] for f in found) or "an aligned source sentence says this", best)


def _period_and_name_findings(judge: Judge, names: list[EntityMention], subjects: set[int], best: int | None,
                              best_cov: float) -> list[tuple[str, str, int | None]]:
    """The claim's periods against the source's, its names' roles, and a name put where the source has another."""
    found = [r for r in (check_period(judge, m, best) for m in judge.claim.periods) if r]
    role = check_roles(judge.index, judge.claim, names, subjects)
    if role:
        found.append(role)
    if best is not None and best_cov >= SWAP_SUPPORT:
        swap = check_name_swap(judge.index, judge.claim, names, subjects, best)
        if swap:
            found.append(swap)
    return found


def claim_words(text: str, source: str) -> frozenset[str]:
    """A claim's content words, an abbreviation replaced by the source's words for it ("G&A" by "general and
    administrative", "EPS" by "earnings per share"), so that the claim aligns with the sentence that spells it."""
    words = set(content_words(text))
    for token in abbreviations(text):
        spelled = spelled_out(token, source)
        if spelled:
            words -= content_words(token)
            words |= content_words(spelled)
    for token in abbreviated_in(text, source):  # "return on invested capital" where the source says "ROIC"
        words |= content_words(token)
    return frozenset(words)


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
        claim = Claim(sentence_index, start, end, text, claim_words(text, source), figures, periods)
        subject = [n for n in names[:1] if is_subject(flat, claim, n)]
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
