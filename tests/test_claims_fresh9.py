"""The claim checks' changes made on claims_fresh9's false alarms (2026-12-05), each on filing text: the faithful
sentence passes and a sentence with a planted error of the same kind is still flagged."""

from __future__ import annotations

from filingsum.quality.claims import check_claims
from filingsum.quality.factual import extract_entities
from filingsum.quality.numbers.dates import date_mentions


def _verdicts(summary: str, source: str) -> list[str]:
    return [c.verdict for c in check_claims(summary, source).claims]


def test_a_count_is_checked_against_the_claims_own_list_after_abbreviation_stops_or_in_brackets():
    source = ("DYNACIN is available in 50-mg., 75-mg. and 100-mg. tablets. Coca-Cola reaches consumers through "
              "independent bottling partners, distributors, wholesalers and retailers, and through its consolidated "
              "bottling and distribution operations.")
    assert _verdicts("DYNACIN comes in three dosage forms: 50-mg., 75-mg. and 100-mg.", source) == ["supported"]
    assert _verdicts("DYNACIN comes in four dosage forms: 50-mg., 75-mg. and 100-mg.", source) == ["contradicted"]
    bracketed = ("Coca-Cola reaches consumers through {} kinds of third parties (independent bottling partners, "
                 "distributors, wholesalers and retailers).")
    assert _verdicts(bracketed.format("four"), source) == ["supported"]
    assert _verdicts(bracketed.format("three"), source) == ["contradicted"]


def test_the_first_day_of_a_range_takes_the_year_written_at_its_end():
    dates = {m.text: m.date for m in date_mentions("the successor period from July 22 to September 30, 2023")}
    assert dates == {"July 22": "2023-07-22", "September 30, 2023": "2023-09-30"}


def test_a_figure_stated_twice_in_one_sentence_belongs_to_either_item():
    source = ("We expect our R&D expenses to continue to increase as we continue our Phase 2 clinical studies for "
              "ABP-450 to treat migraine, commence a Phase 2 study of ABP-450 for gastroparesis, and as we develop "
              "and initiate a Phase 3 study of ABP-450 in cervical dystonia.")
    assert _verdicts("AEON plans to commence a Phase 2 study of ABP-450 for gastroparesis.", source) == ["supported"]
    assert _verdicts("AEON plans to commence a Phase 3 study of ABP-450 for gastroparesis.",
                     source) == ["contradicted"]


def test_some_before_a_figure_means_about_not_a_share():
    source = ("Beverages bearing trademarks owned by or licensed to the Company account for 2.2 billion of the "
              "estimated 65 billion servings of all beverages consumed worldwide every day.")
    faithful = "Its brands make up roughly 2.2 billion of the some 65 billion servings consumed worldwide each day."
    assert _verdicts(faithful, source) == ["supported"]
    vague = "Its brands make up 2.2 billion of some of the servings of beverages consumed worldwide every day."
    assert _verdicts(vague, source) == ["contradicted"]  # "some" of them, where the source says "all"


def test_a_sentence_opening_adverb_or_preposition_names_nobody():
    for opener in ("Stripping out currency moves", "Largely thanks to stable currencies", "Absent currency moves"):
        assert extract_entities(f"{opener}, net sales rose 11% in 2024.") == []
    assert [e.text for e in extract_entities("Zorbex said net sales rose 11% in 2024.")] == ["Zorbex"]


def test_a_percent_sign_that_opens_the_next_cell_types_the_column_below_an_amount_row():
    source = """Total capital expenditures and the percentage of such totals by operating segment were as follows \
(in millions):

Year Ended December 31,: 2024 | 2023
Capital expenditures: $2,064 $ | 1,852
Europe, Middle East & Africa: 0.8 | % 2.3%
North America: 29.2 | 22.3
Global Ventures: 9.9 | 10.4
Bottling Investments: 35.6 | 45.5
Corporate: 23.6 | 18.3
"""
    assert _verdicts("Bottling Investments accounted for 35.6% of capital expenditures in 2024.",
                     source) == ["supported"]
    assert _verdicts("Bottling Investments accounted for 53.6% of capital expenditures in 2024.",
                     source) != ["supported"]
