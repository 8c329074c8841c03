"""Claim-level alignment: every claim of a summary checked against the source sentence (or table row) it comes
from, not against the whole document.

A summary is split into claims (its sentences, or clauses where a sentence joins two claims with "; ",
", while", ", whereas", ", but" or ", and"). Each claim is aligned to the source units that share the most of
its content: sentences of the prose and rows of the tables (a row carries its table's caption and column
headings). Content words are weighted by how rare they are in the source (idf), so "Europe" counts for more
than "net sales"; the claim's figures are anchors.

Every claim gets one of three verdicts, with the source unit that decided it and the reason:

- **supported**: an aligned unit states it. A figure must be in a unit that is about the same thing (most of
  the claim's rare words: segment, region, product, metric), with the same unit and scale, the same
  direction, and the same period where the claim names one; a name must be in the source, and a role the
  claim gives it (customer, supplier, competitor, subsidiary, partner, regulator) must be its role there;
- **contradicted**: the aligned unit says otherwise: another value for the same metric, the opposite
  direction, the figure belongs to another segment or period (a unit that matches the claim better gives
  another value), a negation or modal the source does not have ("sells directly" for "does not sell
  directly"), a vague quantity the aligned figure rules out ("most" for 45%), a count the aligned sentence
  does not enumerate ("three segments" for two), a name in another role;
- **unsupported**: no unit states it: a figure or name found nowhere (or only in unrelated text), or too
  little of the claim's content in any one unit, or a sentence about the text rather than the company.

>>> source = ("Americas net sales increased 9% in 2024. Europe net sales increased 5% in 2024. "
...           "The Company does not sell directly to consumers in China.")
>>> [c.verdict for c in check_claims("Americas net sales rose 9% in 2024.", source).claims]
['supported']
>>> check_claims("Europe net sales rose 9% in 2024.", source).claims[0].reason
'the source gives another value for this: 5%'
>>> check_claims("The company sells directly to consumers in China.", source).claims[0].verdict
'contradicted'

`check_claims` is a pure function; the source's index (units, idf, figures) is built once per source text
and cached, since one source is scored against many summaries.

The package, one job a module: `words` (content words), `units` (the source's sentences and table rows), `index`
(the source indexed once), `records` (a claim and its verdict), `split` (claims, segments, clauses),
`alignment` (a claim's units ranked by coverage), `figures`, `periods`, `names`, `polarity` and `quantities`
(the checks), `check` (the verdicts assembled: `check_claims`).
"""

from filingsum.quality.claims.alignment import BIND_MARGIN, FIGURE_WEIGHT, MIN_BIND, MIN_SUPPORT, TOP_UNITS
from filingsum.quality.claims.check import (
    check_claims,
    claim_support_rate,
    contradiction_rate,
    unsupported_sentence_rate,
)
from filingsum.quality.claims.index import SourceIndex, source_index
from filingsum.quality.claims.names import is_company_name
from filingsum.quality.claims.quantities import vague_share
from filingsum.quality.claims.records import ClaimCheck, ClaimVerdict, ClaimVerdictKind
from filingsum.quality.claims.split import split_claims
from filingsum.quality.claims.units import SourceUnit
from filingsum.quality.claims.words import content_words

# doctest.testmod(claims) runs the doctests of the package's own objects: those of the modules' public
# functions are listed here so that they run too.
__test__ = {"content_words": content_words, "split_claims": split_claims, "vague_share": vague_share}

__all__ = [
    "BIND_MARGIN", "FIGURE_WEIGHT", "MIN_BIND", "MIN_SUPPORT", "TOP_UNITS", "ClaimCheck", "ClaimVerdict",
    "ClaimVerdictKind", "SourceIndex", "SourceUnit", "check_claims", "claim_support_rate", "content_words",
    "contradiction_rate", "is_company_name", "source_index", "split_claims", "unsupported_sentence_rate",
    "vague_share",
]
