"""Claim-level alignment (filingsum.quality.claims): verdicts with their evidence, on real filing text."""

from __future__ import annotations

import doctest

import filingsum.quality.claims as claims
from filingsum.quality.claims import check_claims, split_claims, vague_share
from filingsum.quality.metrics import METRICS
from filingsum.quality.numbers import check_numbers

SOURCE = """Americas net sales increased 9% in 2024. Europe net sales increased 5% in 2024.

We face aggressive international competitors who are intent on increasing their market share, such as Airbus and \
entrants from China. The Company does not sell directly to consumers in China.

Our operations comprise three reportable segments: Walmart U.S., Walmart International and Sam's Club U.S.

Approximately 80% of BCA's total backlog, in dollar terms, is with non-U.S. airlines."""


def _verdict(summary: str) -> str:
    check = check_claims(summary, SOURCE)
    assert len(check.claims) == 1
    return check.claims[0].verdict


def test_docstring_examples_run():
    assert doctest.testmod(claims).failed == 0


def test_each_verdict_with_evidence():
    check = check_claims("Americas net sales rose 9% in 2024. Europe net sales rose 9% in 2024.", SOURCE)
    supported, contradicted = check.claims
    assert supported.verdict == "supported" and "Americas net sales increased 9%" in supported.evidence
    assert contradicted.verdict == "contradicted" and "Europe" in contradicted.evidence and contradicted.reason
    assert check.contradiction_rate == 0.5 and check.unsupported_sentence_rate == 0.5


def test_direction_negation_role_vague_count():
    assert _verdict("Americas net sales decreased 9% in 2024.") == "contradicted"
    assert _verdict("The company sells directly to consumers in China.") == "contradicted"
    assert _verdict("The company does not sell directly to consumers in China.") == "supported"
    assert _verdict("Its competitors include Airbus.") == "supported"
    assert _verdict("Its suppliers include Airbus.") == "contradicted"
    assert _verdict("Most of BCA's backlog is with non-U.S. airlines.") == "supported"
    assert _verdict("About a third of BCA's backlog is with non-U.S. airlines.") == "contradicted"
    assert _verdict("The company has four reportable segments.") == "contradicted"


def test_unsupported_names_figures_and_text_about_the_text():
    assert _verdict("Americas net sales increased 9% on strong sales of the Vision Pro.") == "unsupported"
    assert _verdict("Japan net sales increased 14% in 2024.") != "supported"
    assert _verdict("The excerpt does not describe how the company is financed.") == "unsupported"


def test_clauses_and_vague_shares():
    flat = "Apple sells iPhones through its stores; carriers resell iPhones to consumers worldwide."
    assert len(split_claims(flat)) == 2
    assert vague_share("nearly all of its sales")[1] == (85.0, 100.0)
    assert vague_share("revenue grew") is None


def test_metrics_registered_with_directions():
    assert METRICS["claim_support_rate"].higher_is_better is True
    assert METRICS["contradiction_rate"].higher_is_better is False
    assert METRICS["unsupported_sentence_rate"].worst == 1.0
    assert check_claims("", SOURCE).support_rate is None


def test_the_filers_name_is_supported_and_no_other_name_gets_the_subjects_pass():
    from filingsum.quality.claims import is_company_name

    source = "We are one of the world's leading entertainment services, with paid memberships in over 190 countries."
    assert check_claims("Netflix is one of the world's leading entertainment services.", source, "Netflix").claims[
        0].verdict == "supported"
    swapped = check_claims("Disney is one of the world's leading entertainment services.", source, "Netflix")
    assert swapped.claims[0].verdict == "unsupported" and "Disney" in swapped.claims[0].reason
    assert is_company_name("P&G", "Procter & Gamble") and is_company_name("Meta's", "Meta Platforms, Inc.")
    assert is_company_name("Coca-Cola", "Coca Cola") and not is_company_name("Pepsi", "Coca Cola")


def test_a_figure_listed_with_respectively_belongs_to_its_own_item():
    source = ("Total revenues increased by $854 million, due to a $1.0 billion increase in cloud and license revenues, "
              "partially offset by a decrease in hardware and services revenues by $59 million and $120 million, "
              "respectively.")
    assert _verdicts("Services revenues decreased by $120 million.", source) == ["supported"]
    assert _verdicts("Hardware revenues decreased by $120 million.", source) == ["contradicted"]


def test_a_year_after_compared_to_is_the_base_not_the_period():
    source = "Total revenue for 2024 was $164.50 billion, an increase of 22% compared to 2023."
    assert _verdicts("Total revenue grew 22% in 2024.", source) == ["supported"]
    assert _verdicts("Total revenue grew 22% in 2023.", source) == ["contradicted"]


def test_hard_wrapped_sentences_are_read_across_line_breaks():
    source = ("Revenue                      $3,525    $3,100\n"
              "On January 27, 2020, the Company entered into an agreement to purchase our\n"
              "corporate office building from a company owned by our CEO for $2,500,000.\n")
    assert _verdicts("The company bought its corporate office building for $2,500,000.", source) == ["supported"]


def _verdicts(summary: str, source: str) -> list[str]:
    return [c.verdict for c in check_claims(summary, source).claims]


# --- mechanisms added on 2026-12-03 (tuned on tests/planted/claims_fresh2.yaml) ---------------------------------

CHANGES = """Interest expense was $3.2 billion and $2.4 billion in 2023 and 2024 and was primarily related to debt.

On August 1, 2024, AbbVie completed the acquisition of Cerevel Therapeutics Holdings, Inc.

On February 12, 2024, AbbVie completed the acquisition of ImmunoGen, Inc.

Accordingly, our first quarter is typically our largest collections and operating cash flow quarter.

We sell most of our products through a software subscription model.

Our brands are used mostly to enable cross-border transactions (typically representing a small portion of overall \
transaction volume).

Sales increased 11% in 2024, compared to the prior year. AWS sales increased 19% in 2024.

We have not experienced any work stoppages. As of November 29, 2024, we employed 30,709 people.

For the fiscal second quarter of 2025, worldwide sales were $23.7 billion, as compared to 2024 fiscal second quarter \
sales of $22.4 billion.

Government-backed structures (such as the Brazilian Instant Payment System-PIX and UPI in India) compete with us. \
Sales by U.S. companies were $13.5 billion."""


def _one(summary: str, company: str | None = None) -> tuple[str, str]:
    check = check_claims(summary, CHANGES, company)
    bad = [c for c in check.claims if c.verdict != "supported"]
    return (bad[0].verdict, bad[0].reason) if bad else ("supported", "")


def test_a_change_with_both_ends_must_go_the_way_its_verb_says():
    assert _one("Interest expense fell from $3.2 billion in 2023 to $2.4 billion in 2024.")[0] == "supported"
    verdict, reason = _one("Interest expense rose from $3.2 billion in 2023 to $2.4 billion in 2024.")
    assert verdict == "contradicted" and "from $3.2 billion to $2.4 billion is a fall" in reason
    from filingsum.quality.claims.changes import check_change
    from filingsum.quality.numbers import extract_numbers

    for text, expected in [("The loss narrowed to $17,729 million from $16,120 million.", "contradicted"),
                           ("The loss widened to $17,729 million from $16,120 million.", None),
                           ("Sales increased 5% to 1,070 million.", None)]:
        found = check_change(text, 0, [[m] for m in extract_numbers(text) if m.kind in ("number", "percent")])
        assert (found[0] if found else None) == expected, text


def test_a_date_of_the_same_precision_in_another_sentence_is_a_wrong_date():
    assert _one("AbbVie completed its acquisition of Cerevel Therapeutics on August 1, 2024.")[0] == "supported"
    verdict, reason = _one("AbbVie completed its acquisition of Cerevel Therapeutics on February 12, 2024.")
    assert verdict == "contradicted" and "2024-08-01" in reason


def test_a_quarter_the_aligned_sentence_does_not_name():
    assert _one("The first quarter is typically the largest collections and operating cash flow quarter.")[0] == \
        "supported"
    assert _one("The third quarter is typically the largest collections and operating cash flow quarter.")[0] == \
        "contradicted"


def test_vague_words_against_the_source_words_of_the_same_kind():
    assert _one("It sells most of its products through a software subscription model.")[0] == "supported"
    assert _one("It sells a few of its products through a software subscription model.")[0] == "contradicted"
    assert _one("Its brands are used mostly to enable cross-border transactions, a small portion of transaction "
                "volume.")[0] == "supported"
    verdict, reason = _one("Its brands are used mostly to enable cross-border transactions, a large portion of "
                           "transaction volume.")
    assert verdict == "contradicted" and "'large portion'" in reason


def test_a_possessive_splits_names_and_aliases_and_demonyms_are_the_same_name():
    assert _one("Acme's AWS sales increased 19% in 2024.", company="Acme")[0] == "supported"
    assert _one("Systems such as Brazil's PIX and UPI in India compete with it.")[0] == "supported"
    assert _one("Sales by United States companies were $13.5 billion.")[0] == "supported"


def test_a_negation_from_another_sentence_of_the_source_is_not_a_contradiction():
    assert _one("Acme, which employed 30,709 people as of November 29, 2024, has not experienced work stoppages.",
                company="Acme")[0] == "supported"


def test_a_comparison_base_year_before_the_figure_dates_it():
    assert _one("Second quarter sales were $22.4 billion in fiscal 2024.")[0] == "supported"
    assert _one("Second quarter sales were $22.4 billion in fiscal 2025.")[0] == "contradicted"


QUALIFIED = """Worldwide net revenues increased by 4% on a reported and 5% on a constant currency basis.

In the fiscal second quarter, the negative impact of the Stelara sales decline on U.S. operational sales was \
approximately 8.5%.

Current remaining performance obligation as of January 31, 2025 was approximately $30.2 billion.

The Digital Media segment includes Creative Cloud and Document Cloud. Document Cloud revenue in fiscal 2024 was \
$3.18 billion, representing 18% year-over-year growth."""


def test_a_figure_given_another_qualifier_or_named_item_than_the_sources():
    def verdict(summary: str) -> str:
        return [c.verdict for c in check_claims(summary, QUALIFIED).claims][0]

    assert verdict("Worldwide net revenues rose 5% on a constant currency basis.") == "supported"
    assert verdict("Worldwide net revenues rose 5% on a reported basis.") == "contradicted"
    assert verdict("The Stelara decline cut U.S. operational sales by about 8.5% in the quarter.") == "supported"
    assert verdict("The Stelara decline cut international operational sales by about 8.5% in the quarter.") == \
        "contradicted"
    assert verdict("Total remaining performance obligation was about $30.2 billion as of January 31, 2025.") == \
        "contradicted"
    assert verdict("Adobe's Document Cloud revenue grew 18% in fiscal 2024.") == "supported"
    assert verdict("Adobe's Creative Cloud revenue grew 18% in fiscal 2024.") == "contradicted"


def test_months_abbreviations_and_table_scales_are_not_false_alarms():
    from filingsum.quality.factual import check_entities

    source = ("In May 2024, we increased our commercial paper program to $19.5 billion. Research and development "
              "expense rose. The Europe, Middle East and Africa segment grew. Exxon Mobil Corporation reports.")
    assert _verdict_of("In May 2024 the company increased its commercial paper program to $19.5 billion.",
                       source) == "supported"
    assert check_entities("R&D rose in EMEA at ExxonMobil.", source).unsupported == []
    assert [e.text for e in check_entities("S&P and XYZ.", source).unsupported] == ["S&P", "XYZ"]
    table = "Streaming revenues: $4,414,746 | $3,763,727 | $651,019 | 17%"
    assert _verdict_of("Streaming revenues were about $4.41 billion.", table) == "supported"
    assert _verdict_of("Streaming revenues were about $44.1 billion.", table) != "supported"


def _verdict_of(summary: str, source: str, company: str | None = None) -> str:
    return [c.verdict for c in check_claims(summary, source, company).claims][0]


def test_a_name_put_where_the_source_has_another_is_contradicted():
    source = ("In October 2024, S&P placed our credit ratings on review for a downgrade. Moody's downgraded our "
              "rating in April 2024. The FAA grounded all 737-9 aircraft with a mid-exit door plug.")
    def verdict(summary: str) -> str:
        return [c.verdict for c in check_claims(summary, source, "The Boeing Company").claims][0]

    assert verdict("In October 2024 S&P placed Boeing's ratings on review for a downgrade.") == "supported"
    assert verdict("In October 2024 the agency Moody's placed Boeing's ratings on review for a downgrade.") == \
        "contradicted"


def test_an_abbreviation_aligns_with_the_words_the_source_spells_it_with():
    from filingsum.quality.name_forms import spelled_out

    source = ("General and administrative expenses in 2024 decreased $1.67 billion, or 15%, compared to 2023. "
              "Diluted earnings per share were $2.39. Reality Labs (RL) lost money. SRS sells roofing supplies.")
    assert spelled_out("G&A", source) == "general and administrative"
    assert spelled_out("EPS", source) == "earnings per share"
    assert spelled_out("RL", source) is None  # the source uses it itself
    assert spelled_out("SRS", source) is None
    assert spelled_out("GA", source) is None  # two capitals without "&": capitalised words only
    assert _verdicts("G&A expenses decreased $1.67 billion in 2024.", source) == ["supported"]
    assert _verdicts("Diluted EPS was $2.39.", source) == ["supported"]


def test_a_length_of_time_is_not_a_figure_to_find_among_amounts():
    source = ("We believe that our current sources of funds will provide us with adequate liquidity during the "
              "12-month period following June 30, 2025. The six-month effective tax rate was 34%.")
    assert _verdicts("Tesla expects adequate liquidity over the 12 months after June 30, 2025.", source) == [
        "supported"]
    assert _verdicts("The six-month effective tax rate was 34%.", source) == ["supported"]
    assert _verdicts("Tesla expects adequate liquidity over the 18 months after June 30, 2025.", source) != [
        "supported"]


def test_a_vague_share_of_a_stated_whole_is_read_from_its_parts():
    source = ("General and administrative expenses in 2024 decreased $1.67 billion, or 15%, compared to 2023. "
              "The decrease was mostly driven by a favorable impact of $1.55 billion in legal-related costs.")
    assert _verdicts("Most of Meta's $1.67 billion G&A decline came from lower legal-related costs.", source) == [
        "supported"]


def test_a_change_given_only_by_its_two_ends_is_their_difference():
    source = ("Cloud services revenues represented 42% and 37% of our total revenues in the first three months of "
              "fiscal 2025 and 2024, respectively.")
    assert _verdicts("Cloud services rose 5 percentage points to 42% of total revenues in fiscal 2025.", source) == [
        "supported"]
    assert _verdicts("Cloud services rose 8 percentage points to 42% of total revenues in fiscal 2025.", source) == [
        "contradicted"]
    arr = "Digital Media ARR grew to $17.33 billion at the end of fiscal 2024 from $15.30 billion a year earlier."
    assert _verdicts("Digital Media ARR rose by about $2 billion to $17.33 billion in fiscal 2024.", arr) == [
        "supported"]
    assert _verdicts("Digital Media ARR rose by about $4 billion to $17.33 billion in fiscal 2024.", arr) != [
        "supported"]


def test_dates_listed_before_their_figures_pair_with_them_respectively():
    source = ("Operating income for North America for the three months ended June 27, 2025 and June 28, 2024 was "
              "$1,621 million and $1,376 million, respectively. Cash capex in the second quarter of 2025 was $6.3 "
              "billion, down $0.2 billion from the second quarter of 2024.")
    assert _verdicts("North America earned $1,621 million of operating income in the second quarter of 2025.",
                     source) == ["supported"]
    assert _verdicts("North America earned $1,376 million of operating income in the second quarter of 2025.",
                     source) == ["contradicted"]
    assert _verdicts("Cash capex was $6.3 billion in the second quarter of 2025, down $0.2 billion.", source) == [
        "supported"]


def test_a_claim_may_hedge_what_the_source_states_but_not_state_what_it_hedges():
    source = ("Employees in certain non-customer-facing roles have flexibility to work up to two days a week "
              "remotely. Tariffs may increase our costs.")
    assert _verdicts("Some non-customer-facing employees may work remotely up to two days a week.", source) == [
        "supported"]
    assert _verdicts("Tariffs increase its costs.", source) == ["contradicted"]


def test_a_whole_the_source_gives_only_as_its_parts_is_their_sum():
    source = ("At December 31, 2024, we had $13.8 billion of cash, $12.5 billion of short-term investments, and "
              "$10.0 billion of unused borrowing capacity on revolving credit line agreements.")
    assert _verdicts("Boeing ended 2024 with about $26 billion of cash and short-term investments.", source) == [
        "supported"]
    assert _verdicts("Boeing ended 2024 with about $30 billion of cash and short-term investments.", source) != [
        "supported"]


def test_items_listed_after_their_figures_or_beside_them_without_respectively():
    cash = ("As of June 30, 2025, we had $15.59 billion and $21.20 billion of cash and cash equivalents and "
            "short-term investments, respectively.")
    assert _verdicts("Tesla held $21.20 billion of short-term investments at June 30, 2025.", cash) == ["supported"]
    assert _verdicts("Tesla held $21.20 billion of cash and cash equivalents at June 30, 2025.", cash) == [
        "contradicted"]
    charges = ("The 777X and 767 programs recognized earnings charges totaling $3,499 million and $580 million "
               "during the year ended December 31, 2024.")
    assert _verdicts("The 767 program recognized $580 million of earnings charges in 2024.", charges) == ["supported"]
    assert _verdicts("The 767 program recognized $3,499 million of earnings charges in 2024.", charges) == [
        "contradicted"]
    years = "At December 31, 2024 and 2023, our pension plans were $4.8 billion and $5.4 billion underfunded."
    assert _verdicts("Pension underfunding narrowed to $4.8 billion at the end of 2024 from $5.4 billion a year "
                     "earlier.", years) == ["supported"]


def test_a_length_of_time_as_a_modifier_must_be_one_the_source_states():
    source = "In the second quarter of 2024, we entered into a $4.0 billion five-year revolving credit agreement."
    assert _verdicts("Boeing entered into a $4.0 billion five-year revolving credit agreement in 2024.", source) == [
        "supported"]
    assert _verdicts("Boeing entered into a $4.0 billion seven-year revolving credit agreement in 2024.", source) == [
        "unsupported"]
    shares = "Prescription pharmaceuticals accounted for 77.0% of net revenues in fiscal 1999."
    assert _verdicts("Prescription pharmaceuticals produced about three-quarters of net revenues in fiscal 1999.",
                     shares) == ["supported"]  # a share, not a length of time


def test_the_period_phrase_right_after_a_figure_dates_it():
    source = ("As a percent of net sales, SG&A was 18.0% in fiscal 2024 compared to 17.4% in fiscal 2023. The "
              "effective income tax rate for the three months ended March 31, 2025, was 18.6%, compared to 17.7% "
              "for the three months ended March 31, 2024.")
    assert _verdicts("SG&A was 17.4% of net sales in fiscal 2023.", source) == ["supported"]
    assert _verdicts("SG&A was 17.4% of net sales in fiscal 2024.", source) == ["contradicted"]
    assert _verdicts("The effective tax rate was 17.7% for the three months ended March 31, 2025.", source) == [
        "contradicted"]
    assert _verdicts("SG&A rose to 18.0% of net sales in fiscal 2024 from 17.4% a year earlier.", source) == [
        "supported"]


def test_a_change_word_right_beside_a_figure_gives_its_direction():
    source = ("Net cash used in financing activities decreased. The decrease was primarily due to a $2.91 billion "
              "increase in repayments of debt and a $845 million decrease in proceeds from issuances of debt.")
    assert _verdicts("It was driven by a $2.91 billion increase in debt repayments.", source) == ["supported"]
    assert _verdicts("It was driven by a $2.91 billion decrease in debt repayments.", source) == ["contradicted"]


def test_a_change_from_the_level_of_a_figure_goes_the_way_its_verb_says():
    source = "The FY26 request would provide $19 billion for NASA, compared with $25 billion in FY25."
    assert _verdicts("The FY26 request would cut NASA's funding to $19 billion from the FY25 level of $25 billion.",
                     source) == ["supported"]
    assert _verdicts("The FY26 request would raise NASA's funding to $19 billion from the FY25 level of $25 "
                     "billion.", source) == ["contradicted"]


def test_a_vague_share_of_a_stated_whole_that_its_parts_do_not_fit_is_contradicted():
    source = ("General and administrative expenses in 2024 decreased $1.67 billion, or 15%, compared to 2023. "
              "The decrease was mostly driven by a favorable impact of $1.55 billion in legal-related costs.")
    assert _verdicts("Only a small part of Meta's $1.67 billion G&A decline came from lower legal-related costs.",
                     source) == ["contradicted"]
    assert _verdicts("G&A expenses fell about 15% in 2024.", source) == ["supported"]


def test_heading_lines_between_a_tables_caption_and_its_rows_keep_the_caption():
    source = ("The following table sets forth our gross premiums written by region for the periods indicated:\n\n"
              "Years ended December 31,\n\n2009 | 2008\n\n(Amounts in thousands)\n\n"
              "Southeast: $108,235 | 110,123\nWest: 1,430 | 2,124\nTotal: $179,571 | 181,849")
    assert _verdicts("GAINSCO's total gross premiums written were about $179.6 million in 2009.", source) == [
        "supported"]
    assert _verdicts("GAINSCO's total gross premiums written were about $179.6 million in 2008.", source) == [
        "contradicted"]


def test_the_subject_of_a_sentence_listing_figures_belongs_to_each_of_them():
    source = ("For the fiscal second quarter of 2025, worldwide sales were $23.7 billion, a total increase of 5.8%, "
              "which included operational growth of 4.6% and a currency impact of 1.2% as compared to 2024 fiscal "
              "second quarter sales of $22.4 billion.")
    assert _verdicts("J&J's second-quarter 2025 sales reached $23.7 billion, up 5.8%.", source) == ["supported"]
    assert _verdicts("J&J's second-quarter 2025 sales had a currency impact of 4.6%.", source) == ["contradicted"]


def test_lengths_of_time_are_counts_of_their_unit_in_any_spelling():
    from filingsum.quality.numbers import check_numbers, extract_numbers

    assert [(m.value, sorted(m.noun)) for m in extract_numbers("in a two-week period")] == [(2.0, ["week"])]
    assert [(m.value, sorted(m.noun)) for m in extract_numbers("the 12-month period")] == [(12.0, ["month"])]
    checked = check_numbers("It cleared lesions within two weeks.", "a reduction in lesions in a two-week period")
    assert checked.precision == 1.0
    assert [m.change for m in extract_numbers("if margins had been higher or lower by 1%")] == [0]
    assert [m.change for m in extract_numbers("a decrease in volume of 5%, higher commodity costs")] == [-1]


# A table as 10-Qs print it (the cells are made up, the layout is real): the percent sign only on the first and
# total rows, several figures in one cell, parenthesised declines, and the period's day in the heading above
# the year columns.
_TABLE = """Three Months Ended August 31,

(Dollars in millions): 2024 | 2023 | Total Change Operations Change

Hardware: $4,951 | $4,904 | 1.0 % 1.5 %
Orthopaedics: 4,546 | 4,652 | (2.3) (2.1)
Cardiovascular: 4,416 | 3,679 | 20.0 19.4
Operating income: 1,200 | 1,100 | 9.1 9.0
Total: $13,913 | $13,235 | 5.1 % 5.3 %"""


def test_a_bare_figure_in_a_column_of_percentages_is_a_percentage():
    assert _verdicts("Cardiovascular sales rose 20.0% to $4,416 million.", _TABLE) == ["supported"]
    assert _verdicts("Orthopaedics sales declined 2.3% to $4,546 million.", _TABLE) == ["supported"]
    # the same cells read the other way round are wrong
    assert _verdicts("Orthopaedics sales rose 2.3% to $4,546 million.", _TABLE) != ["supported"]
    assert _verdicts("Cardiovascular sales rose 9.1% to $4,416 million.", _TABLE) != ["supported"]


def test_the_last_cell_of_a_row_is_not_labelled_by_the_next_row():
    # "Operating income" starts the next line: the 2.3 decline stays a sales figure, not an earnings one
    source = "Orthopaedics sales: $4,546 | $4,652 | (2.3)%\nOperating income: 1,200 | 1,100 | 9%"
    assert [c.verdict for c in check_claims("Orthopaedics sales fell 2.3%.", source).claims] == ["supported"]


def test_the_day_in_a_tables_heading_dates_its_year_columns():
    assert _verdicts("Hardware revenue was $4,951 million in the quarter ended August 31, 2024.", _TABLE) == [
        "supported"]
    assert _verdicts("Hardware revenue was $4,951 million in the quarter ended May 31, 2024.", _TABLE) != [
        "supported"]


def test_a_half_year_a_change_size_and_a_growth_column_are_not_shares():
    source = ("Payment network: $17,335 | $15,824 | 10%\nValue-added services: 10,832 | 9,274 | 17%\n\n"
              "Orthopaedics sales were $4,546 million in the first half of 2025.\n\n"
              "Interest income was $40 million, compared to $61 million a year earlier.")
    assert [c.verdict for c in check_claims("The payment network generated most of net revenue.", source).claims
            ] == ["supported"]  # 10% is its growth, not its share
    assert [c.verdict for c in check_claims("Orthopaedics sales were $4,546 million in the first half of 2025.",
                                            source).claims] == ["supported"]
    assert [c.verdict for c in check_claims("Interest income fell by about a third to $40 million.",
                                            source).claims] == ["supported"]
    # a row of shares still checks the share
    shares = "Percentage of total revenue: Americas 60% | EMEA 26% | APAC 14%\n\nFabric & Home Care: 35% | 36%"
    assert check_claims("Fabric & Home Care made up most of net sales.", shares).claims[0].verdict == "contradicted"


def test_the_base_of_a_change_is_for_the_period_before():
    source = "The C & CAE ratio for nonstandard personal auto was 75.3% and 74.2% for 2009 and 2008, respectively."
    assert [c.verdict for c in check_claims("The C & CAE ratio for nonstandard personal auto rose to 75.3% in 2009 "
                                            "from 74.2%.", source).claims] == ["supported"]
    assert [c.verdict for c in check_claims("The C & CAE ratio for nonstandard personal auto rose to 74.2% in 2009 "
                                            "from 75.3%.", source).claims] != ["supported"]


def test_a_wordy_column_heading_line_keeps_the_tables_scale_and_a_row_label_names_its_row():
    source = ("Subscription and support revenues consisted of the following (in millions):\n\n"
              "2025 As a % of Total Subscription and Support Revenues 2024 As a % of Total Subscription and Support "
              "Revenues Growth Rate\n\n"
              "Sales: $8,322 | 23% | $7,580 | 23% | 10%\nService: 9,054 | 25 | 8,245 | 25 | 10\n"
              "Total: $35,679 | 100% | $32,537 | 100% | 10%\n\n"
              "We expect our service offerings to grow.")
    for summary in ("Total subscription and support revenue was nearly $35.7 billion.",
                    "Service brought in about $9.1 billion of subscription and support revenue."):
        check = check_claims(summary, source)
        assert [c.verdict for c in check.claims] == ["supported"], check.claims
    assert check_claims("Total subscription and support revenue was nearly $35.7 million.", source
                        ).claims[0].verdict != "supported"


def test_a_share_of_two_items_together_is_not_one_rows_share():
    source = "(in millions): 2025 | As a % of Total\n\nSales: $8,322 | 23%\nService: 9,054 | 25\nTotal: $35,679 | 100%"
    assert check_claims("Sales and Service together generated nearly half of revenue.", source
                        ).claims[0].verdict != "contradicted"
    assert check_claims("Sales generated nearly half of revenue.", source).claims[0].verdict == "contradicted"


def test_a_vague_share_of_a_whole_is_read_from_the_rows_of_a_table():
    source = ("Operating income (loss) by segment is as follows (in millions):\n\n2023 | 2024\n\n"
              "North America: $14,877 | $24,967\nInternational: (2,656) | 3,792\nAWS: 24,631 | 39,834\n"
              "Consolidated: $36,852 | $68,593")
    assert _verdict_of("AWS contributed more than half of the company's 2024 operating income.", source) == "supported"
    assert _verdict_of(
        "AWS contributed less than a third of the company's 2024 operating income.", source) == "contradicted"
    assert _verdict_of(
        "AWS contributed about two-thirds of the company's 2023 operating income.", source) == "supported"
    # the whole named by the row is no part of it
    assert _verdict_of(
        "International's loss offset about a fifth of North America's 2023 operating income.", source) != (
        "contradicted")


def test_a_tables_year_columns_give_a_rows_direction():
    source = ("Information about operating expenses is as follows (in millions):\n\n2023 | 2024\n\n"
              "Sales and marketing: 44,370 | 43,907\nTechnology and infrastructure: 85,622 | 88,544\n\n"
              "Six Months Ended | Change\nJune 30, | June 30, | YTD'25 vs. YTD'24\n2025 | 2024\n\n"
              "(in thousands, except percentages)\n\n"
              "Cost of revenues: $10,588,458 | $10,151,216 | $437,242 | 4%")
    assert _verdict_of("Sales and marketing expenses declined to $43,907 million in 2024.", source) == "supported"
    assert _verdict_of("Sales and marketing expenses rose to $43,907 million in 2024.", source) == "contradicted"
    assert _verdict_of("Cost of revenues rose 4% in the first half of 2025.", source) == "supported"
    assert _verdict_of("Cost of revenues fell 4% in the first half of 2025.", source) == "contradicted"


def test_each_thing_a_sentence_moves_keeps_its_direction():
    source = ("Gross margin decreased primarily due to higher commodity costs and unfavorable category mix. "
              "The increase was driven by an increase in the number of switched transactions.")
    assert _verdict_of(
        "Higher commodity costs and unfavorable category mix lowered gross margin.", source) == "supported"
    assert _verdict_of(
        "Higher commodity costs and unfavorable category mix raised gross margin.", source) == "contradicted"
    assert _verdict_of(
        "Lower commodity costs and unfavorable category mix lowered gross margin.", source) == "contradicted"
    assert _verdict_of("Growth came from a decrease in switched transactions.", source) == "contradicted"
    assert _verdict_of("Growth came from more switched transactions.", source) == "supported"


def test_years_listed_after_figures_sub_headings_and_spelled_out_abbreviations():
    source = ("Shipping costs were $89.5 billion and $95.8 billion in 2023 and 2024.\n\n"
              "Our ROIC was 31.3% for fiscal 2024 and 36.7% for fiscal 2023.\n\n"
              "(Dollars in millions): 2024 | Actual | Constant | 2023\n\nHardware Revenues:\n\n"
              "Total Margin: $438 | 1% | 2% | $433\n\nServices Revenues:\n\nTotal Margin: $197 | -17% | -17% | $238")
    assert _verdict_of("Shipping costs were $95.8 billion in 2024.", source) == "supported"
    assert _verdict_of("Shipping costs were $95.8 billion in 2023.", source) == "contradicted"
    assert _verdict_of("Return on invested capital was 36.7% in fiscal 2023.", source) == "supported"
    assert _verdict_of("Return on invested capital was 36.7% in fiscal 2024.", source) == "contradicted"
    assert _verdict_of("The services business earned a total margin of $238 million in 2023.", source) == "supported"
    assert _verdict_of("The services business earned a total margin of $238 million in 2024.", source) == "contradicted"


def test_a_date_keeps_its_role():
    source = ("On July 16, 2025, the Board of Directors declared a regular cash dividend of $1.30 per share, payable "
              "on September 9, 2025, to shareholders of record as of August 26, 2025.")
    assert _verdict_of(
        "The $1.30 dividend declared on July 16, 2025 is payable on September 9, 2025.", source) == "supported"
    assert _verdict_of(
        "The $1.30 dividend declared on July 16, 2025 is payable on August 26, 2025.", source) == "contradicted"
    assert _verdict_of("Shareholders of record on August 26, 2025 receive the $1.30 dividend.", source) == "supported"


def test_two_names_in_each_others_places_are_a_contradiction():
    source = ("On July 1, 2024, Robert A. Michael, the then President and Chief Operating Officer, succeeded "
              "Richard A. Gonzalez as Chief Executive Officer. Our PhonePe business in India continues to grow.")
    assert _verdict_of(
        "Robert A. Michael succeeded Richard A. Gonzalez as Chief Executive Officer.", source) == "supported"
    assert _verdict_of(
        "Richard A. Gonzalez succeeded Robert A. Michael as Chief Executive Officer.", source) == "contradicted"
    assert _verdict_of(
        "Richard A. Gonzalez was succeeded by Robert A. Michael as Chief Executive Officer.", source) == (
        "supported")
    # reordered, not swapped
    assert _verdict_of(
        "In India, its PhonePe business continues to grow.", source) == "supported"


def test_a_count_of_listed_items_or_of_a_tables_rows():
    source = ("(dollars in millions): 2024 | 2023 | % Change\n\nAmericas: $12,891 | $11,654 | 11%\n"
              "EMEA: 5,554 | 4,881 | 14%\nAPAC: 3,060 | 2,874 | 6%\nTotal revenue: $21,505 | $19,409 | 11%\n\n"
              "In 1998 the Company acquired LOPROX, TOPICORT and A/T/S from HMR.")
    assert _verdict_of("EMEA revenue grew 14%, the fastest of its three regions.", source) == "supported"
    assert _verdict_of("EMEA revenue grew 14%, the fastest of its four regions.", source) != "supported"
    assert _verdict_of(
        "The HMR deal brought the Company three products: LOPROX, TOPICORT and A/T/S.", source) == "supported"
    assert _verdict_of(
        "The HMR deal brought the Company four products: LOPROX, TOPICORT and A/T/S.", source) == "contradicted"


def test_a_number_the_source_uses_as_a_name_is_supported():
    source = "The 777X and 767 programs recognized earnings charges."
    assert check_claims("Boeing's 777X and 767 programs took charges.", source, "Boeing").claims[0].verdict == (
        "supported")
    assert check_claims("Boeing's 777X and 787 programs took charges.", source, "Boeing").claims[0].verdict != (
        "supported")


def test_a_leading_place_the_aligned_sentence_does_not_give_is_a_swap():
    source = ("Our businesses in Mexico and Canada, for example, offer prepaid cards and money transfers. "
              "Other offerings in Brazil include in-house advertising for brands and online marketplace sellers.")
    assert check_claims("In Brazil, it offers prepaid cards and money transfers.", source).claims[0].verdict == (
        "contradicted")
    assert check_claims("In Mexico and Canada, it offers prepaid cards and money transfers.", source
                        ).claims[0].verdict == "supported"


def test_idiomatic_not_conditioned_may_and_a_governing_prohibition():
    source = ("We concluded that it is more likely than not that the deferred tax assets will be realized. "
              "Prior approval is required before we may acquire more than 5% of the voting shares of a bank. "
              "We are subject to prohibitions on our ability to merge, or acquire control of another company if "
              "our liabilities would exceed 10% of all liabilities.")
    assert _verdict_of(
        "The company judged the deferred tax assets more likely than not to be realized.", source) == "supported"
    assert _verdict_of("The company needs prior approval before acquiring more than 5% of the voting shares of a bank."
                   , source) == "supported"
    assert _verdict_of("The company may not acquire control of another company if its liabilities would exceed 10% of "
                   "all liabilities.", source) == "supported"


def test_a_figure_naming_its_item_after_it_is_bound_to_that_item():
    source = ("In December 2023, AbbVie entered into a $9.0 billion 364-day bridge credit agreement and $5.0 billion "
              "364-day term loan credit agreement.")
    assert _verdict_of(
        "AbbVie entered into a $9.0 billion 364-day bridge credit agreement in December 2023.", source, "AbbVie") == (
        "supported")
    assert _verdict_of(
        "AbbVie entered into a $5.0 billion 364-day bridge credit agreement in December 2023.", source, "AbbVie") == (
        "contradicted")


def test_a_labelled_year_header_and_years_split_off_by_a_dates_comma():
    source = ("Years ended December 31,: 2024 | 2023 | 2022\nRevenues: $19,954 | $19,127 | $17,611\n"
              "Operating margins: 18.1% | 17.4% | 15.5%\n\n"
              "Capital expenditures were $3.89 billion and $5.05 billion for the six months ended June 30, 2025 and "
              "2024, respectively.")
    assert _verdict_of("The operating margin was 15.5% in 2022.", source) == "supported"
    assert _verdict_of("The operating margin was 15.5% in 2023.", source) == "contradicted"
    assert _verdict_of(
        "Capital expenditures were $5.05 billion in the first six months of 2024.", source) == "supported"
    assert _verdict_of(
        "Capital expenditures were $5.05 billion in the first six months of 2025.", source) == "contradicted"


def test_a_sentence_whose_only_year_is_a_comparison_base_dates_nothing():
    source = ("Our guidance covers the first quarter of 2025. Net sales are expected to be between $151.0 billion "
              "and $155.5 billion, or to grow between 5% and 9% compared with first quarter 2024.")
    assert check_claims("First-quarter 2025 net sales were guided to between $151.0 billion and $155.5 billion.",
                        source).claims[0].verdict == "supported"


def test_a_long_prose_line_with_two_years_is_no_column_heading_and_a_bare_ratio_reads_its_column():
    from filingsum.quality.numbers.scale_notes import is_column_heading

    assert is_column_heading("2025 As a % of Total Revenues 2024 As a % of Total Revenues Growth Rate")
    assert not is_column_heading("Rates have an effect as of December 31, 2024. A 50 basis point change would "
                                 "have had these effects on costs in 2025 and obligations as of December 31, 2024:")
    table = "Claims ratio: 74.1% | 73.3%\nExpense Ratio (2) (3): 25.6 | 25.7"
    check = check_numbers("The expense ratio edged down to 25.6 from 25.7.", table)
    assert not check.contradicted and not check.unverifiable


# --- mechanisms added on 2026-12-04 (tuned on tests/planted/claims_fresh5.yaml) ---------------------------------


def test_a_standard_abbreviation_names_the_row_the_table_spells_out():
    source = ("Three Months Ended June 30, | Six Months Ended June 30,\n"
              "(Dollars in millions): 2025 | 2024 | 2025 | 2024\n"
              "Research and development: $1,589 | $1,074 | $2,998 | $2,225\n"
              "Selling, general and administrative: $1,366 | $1,277 | $2,617 | $2,651")
    assert _verdict_of("Tesla spent $2,998 million on R&D in the six months ended June 30, 2025.", source) == \
        "supported"
    assert _verdict_of("Tesla's SG&A expense was $1,366 million in the second quarter of 2025.", source) == \
        "supported"
    assert _verdict_of("Tesla's SG&A expense was $1,589 million in the second quarter of 2025.", source) != \
        "supported"  # R&D's figure, not SG&A's
    from filingsum.quality.factual import check_entities

    assert not check_entities("Its SG&A rose.", source).unsupported
    assert [e.text for e in check_entities("Its D&A rose.", source).unsupported] == ["D&A"]


def test_a_percent_of_a_base_reads_the_row_that_says_percent():
    source = ("years ended December 31 (dollars in millions): 2024 | 2023 | 2022\n"
              "Research and development: $12,791 | $7,675 | $6,510\n"
              "as a percent of net revenues: 23% | 14% | 11%")
    assert _verdict_of("R&D rose to 23% of AbbVie's net revenues in 2024 from 14% in 2023, an increase of nine "
                       "percentage points.", source, "AbbVie Inc.") == "supported"
    assert _verdict_of("R&D rose to 23% of AbbVie's net revenues in 2024 from 11% in 2023, an increase of twelve "
                       "percentage points.", source, "AbbVie Inc.") != "supported"


def test_a_size_in_points_written_as_a_modifier_is_a_points_figure():
    from filingsum.quality.numbers import extract_numbers

    assert [m.head for m in extract_numbers("a five-percentage-point drop")] == ["point"]
    assert [m.head for m in extract_numbers("a 0.7 percentage point decline")] == ["point"]
    assert [m.head for m in extract_numbers("the 737 program")] == [""]


def test_a_common_word_opening_a_sentence_and_a_place_adjective_are_no_unknown_names():
    from filingsum.quality.factual import check_entities

    source = ("The increase was due to personnel-related costs. Walmart operates in Mexico and Central America "
              "(which includes Costa Rica and Honduras).")
    assert not check_entities("Higher personnel-related costs drove the increase.", source).unsupported
    assert not check_entities("Its Central American operations cover Costa Rica and Honduras.", source).unsupported
    assert [e.text for e in check_entities("Its South American operations grew.", source).unsupported] == \
        ["South American"]


def test_a_count_against_the_list_the_claim_gives_itself():
    source = ("Backlog / (Dollars in millions): 2025 | 2024\nCommercial Airplanes: 522,140 | 435,175\n"
              "Defense, Space & Security: 73,957 | 64,023\nGlobal Services: 22,591 | 21,293\n\n"
              "SG&A increased driven by higher facilities expenses, employee and labor costs and marketing expenses.")
    claim = ("Boeing breaks its backlog down across {} business segments, Commercial Airplanes, Defense, Space & "
             "Security and Global Services, plus unallocated items.")
    assert _verdict_of(claim.format("three"), source) == "supported"
    assert _verdict_of(claim.format("four"), source) == "contradicted"
    drivers = "The SG&A increase had {} drivers: facilities expenses, employee and labor costs, and marketing."
    assert _verdict_of(drivers.format("three"), source) == "supported"
    assert _verdict_of(drivers.format("two"), source) == "contradicted"


def test_a_unit_scale_note_and_a_us_row():
    source = ("Three Months Ended | Six Months Ended\nJune 30, | June 30,\n2025 | 2024 | 2025 | 2024\n\n"
              "Net production of crude oil, natural gas liquids, bitumen and synthetic oil\n\n"
              "(thousands of barrels daily)\n\nUnited States: 1,494 | 1,261 | 1,456 | 1,038\n"
              "Africa: 139 | 215 | 138 | 220\n\nNet natural gas production available for sale\n\n"
              "(millions of cubic feet daily)\n\nUnited States: 3,313 | 2,900 | 3,290 | 2,570\n"
              "Oil-equivalent production (1): 4,630 | 4,358 | 4,591 | 4,071\n\n"
              "(thousands of oil-equivalent barrels daily)\n\n"
              "(1) Natural gas is converted to an oil-equivalent basis at six million cubic feet per one thousand "
              "barrels.")
    assert _verdict_of("ExxonMobil's U.S. liquids production averaged 1,494 thousand barrels a day in the second "
                       "quarter of 2025.", source) == "supported"
    assert _verdict_of("ExxonMobil's U.S. liquids production averaged 1,494 million barrels a day in the second "
                       "quarter of 2025.", source) != "supported"
    lone = ("2025 | 2024\nOil-equivalent production: 4,630 | 4,358\n\n(thousands of oil-equivalent barrels "
            "daily)")
    assert _verdict_of("Oil-equivalent production was 4,630 thousand barrels per day in 2025.", lone) == \
        "supported"  # its note is under it, and no other above
    assert _verdict_of("Oil-equivalent production was 4,630 million barrels per day in 2025.", lone) != "supported"
    assert _verdict_of("ExxonMobil's U.S. gas production was 3,313 million cubic feet daily in the second quarter "
                       "of 2025.", source) == "supported"


def test_notes_of_two_columns_on_one_line_keep_the_first_reading():
    source = ("Year Ended December 31, 2024 | As of December 31, 2024\n"
              "Programs | (in billions) | % Increase | (in millions) | % Increase\n"
              "Consumer Credit: $3,634 | 9% | 1,070 | 5%\nConsumer Debit and Prepaid: 4,865 | 12% | 1,935 | 9%")
    assert not check_numbers("Consumer debit and prepaid GDV was $4,865 billion.", source).unsupported
    assert check_numbers("Consumer debit and prepaid GDV was $4,865 million.", source).unsupported


def test_an_initial_does_not_end_the_sentence_that_names_a_row():
    source = ("Fiscal Years Ended January 31,\n\n2025 | 2024 | 2025 | 2024\nWith Fuel | Fuel Impact\n"
              "Walmart U.S.: 4.8% | 5.5% | (0.1)% | (0.1)%\nSam's Club U.S.: 4.7% | 2.3% | (1.5)% | (2.6)%")
    assert _verdict_of("Walmart U.S. comparable sales rose 5.5% in fiscal 2024.", source) == "supported"
    assert _verdict_of("Walmart U.S. comparable sales rose 2.3% in fiscal 2024.", source) != "supported"


def test_a_figure_of_four_digits_is_that_number_not_one_within_the_rounding_tolerance():
    from filingsum.quality.numbers.matching import significant_digits

    assert [significant_digits(t) for t in ("$94,360 million", "$5.3 billion", "32,000", "$89.13")] == [4, 2, 2, 4]
    source = "(dollars in millions): 2025 | 2024\nTotal net sales: $94,036 | $85,777"
    ticket = "Fiscal 2024 | Fiscal 2023\nAverage ticket: $89.31 | $90.07"
    assert not check_numbers("Total net sales were $94,036 million.", source).unsupported
    assert not check_numbers("Total net sales were about $94.0 billion.", source).unsupported  # rounded
    assert not check_numbers("The average ticket was $89.31.", ticket).unsupported
    assert check_numbers("Total net sales were $94,360 million.", source).unsupported  # transposed digits
    assert check_numbers("The average ticket was $89.13.", ticket).unsupported


def test_except_percentages_leaves_no_money_at_face_value_and_a_row_label_reads_past_its_brackets():
    source = ("(in thousands, except percentages)\nCost of revenues: $5,325,311 | $5,174,143 | 3%\n\n"
              "2024 | 2023\n(in millions, except percentages)\nIncome (loss) from operations: $87,109 | $(17,729)\n"
              "Southeast (Florida, Georgia, South Carolina): $108,235 | 110,123")
    assert not check_numbers("Cost of revenues was about $5.3 billion.", source).unsupported
    assert check_numbers("Cost of revenues was about $5.3 million.", source).unsupported
    assert not check_numbers("Reality Labs' loss from operations was $17,729 million.", source).unsupported
    assert not check_numbers("Premiums in the Southeast were $108.2 million.", source.replace("millions", "thousands")
                             ).unsupported


def test_a_scale_note_opening_a_line_in_brackets_scales_its_table():
    source = ("(millions of dollars) | Three Months Ended | Six Months Ended\nJune 30, | June 30,\n"
              "2025 | 2024 | 2025 | 2024\n\nEarnings (loss) (U.S. GAAP)\n\n"
              "United States: 1,212 | 2,430 | 3,082 | 3,484")
    assert not check_numbers("U.S. upstream earnings were $1,212 million in the second quarter of 2025.",
                             source).unsupported
    assert check_numbers("U.S. upstream earnings were $1,212 billion in the second quarter of 2025.",
                         source).unsupported


def test_a_change_in_a_table_of_bare_figures_is_their_difference_and_its_direction_is_checked():
    source = ("Acquired IPR&D and Milestones\n\nyears ended December 31 (in millions): 2024 | 2023 | 2022\n"
              "Upfront charges: $2,627 | $582 | $445\nDevelopment milestones: 130 | 196 | 252")
    assert _verdict_of("AbbVie's development milestone charges decreased by $66 million in 2024.", source) == \
        "supported"
    assert _verdict_of("AbbVie's development milestone charges increased by $66 million in 2024.", source) == \
        "contradicted"


def test_a_dollar_and_percent_change_heading_spans_two_columns_and_a_heading_keeps_the_years():
    tesla = ("Three Months Ended June 30, | Change | Six Months Ended June 30, | Change\n"
             "(Dollars in millions): 2025 | 2024 | $% | 2025 | 2024 | $%\n"
             "Research and development: $1,589 | $1,074 | $515 | 48% | $2,998 | $2,225 | $773 | 35%")
    assert _verdict_of("Tesla spent $2,998 million on R&D in the six months ended June 30, 2025.", tesla) == \
        "supported"
    assert _verdict_of("Tesla spent $2,998 million on R&D in the six months ended June 30, 2024.", tesla) == \
        "contradicted"
    exxon = ("Three Months Ended | Six Months Ended\nJune 30, | June 30,\n2025 | 2024 | 2025 | 2024\n\n"
             "Net production of crude oil, natural gas liquids, bitumen and synthetic oil\n\n"
             "(thousands of barrels daily)\n\nWorldwide: 3,259 | 2,984 | 3,201 | 2,771")
    claim = "Worldwide liquids production averaged 2,771 thousand barrels daily in the first six months of {}."
    assert _verdict_of(claim.format(2024), exxon) == "supported"
    assert _verdict_of(claim.format(2025), exxon) == "contradicted"


def test_the_year_of_an_event_a_sentence_mentions_does_not_date_its_figures():
    source = ("In 2024, the Company recorded other operating charges of $4,163 million. These charges consisted of "
              "$3,109 million related to the remeasurement of our contingent consideration liability to fair value "
              "in conjunction with our acquisition of fairlife in 2020, $760 million related to the impairment of "
              "our BodyArmor trademark and $126 million related to the impairment of a trademark in Latin America.")
    assert _verdict_of("Coca-Cola's 2024 other operating charges included $3,109 million from remeasuring the "
                       "fairlife contingent consideration liability.", source, "The Coca-Cola Company") == "supported"
    assert _verdict_of("Coca-Cola took a $760 million impairment charge on its BodyArmor trademark in 2024.", source,
                       "The Coca-Cola Company") == "supported"
    assert _verdict_of("Coca-Cola acquired fairlife in 2020.", source, "The Coca-Cola Company") == "supported"
    assert _verdict_of("Coca-Cola acquired fairlife in 2024.", source, "The Coca-Cola Company") != "supported"


def test_a_rate_of_change_beside_one_of_its_ends_is_read_from_the_two_ends():
    source = ("Research and development expense, net is summarized in the following table:\n\n"
              "(Dollars in millions) | Six months ended June 30 | Three months ended June 30\n"
              "2025 | 2024 | 2025 | 2024\nDefense, Space & Security: 420 | 494 | 221 | 259\n"
              "Total: $1,754 | $1,822 | $910 | $954")
    claim = "Boeing {} R&D by about {}% to roughly $1.75 billion in the first half of 2025."
    assert _verdict_of(claim.format("trimmed", 4), source, "The Boeing Company") == "supported"
    assert _verdict_of(claim.format("trimmed", 9), source, "The Boeing Company") != "supported"
    assert _verdict_of(claim.format("raised", 4), source, "The Boeing Company") != "supported"


def test_a_table_figure_copied_bare_or_with_the_scale_its_note_gives_out_of_view():
    cut = ("2023 | 2024\nFree cash flow less principal repayments of finance leases and financing obligations: "
           "$32,158 | $35,507")  # a window that cut the table's "(in millions)" off
    assert not check_numbers("Free cash flow less principal repayments of finance leases and financing "
                             "obligations reached $35,507 million in 2024.", cut).unsupported
    assert check_numbers("Free cash flow less principal repayments of finance leases and financing "
                         "obligations reached $35.5 million in 2024.", cut).unsupported  # not the cell's digits
    noted = ("(millions of dollars) | Three Months Ended\n2025 | 2024\n\nEarnings (loss) (U.S. GAAP)\n\n"
             "Total: 1,366 | 946\nOther income (expense): 354 | 216")
    assert not check_numbers("Earnings (U.S. GAAP) rose to 1,366 from 946 a year earlier.", noted).unsupported
    assert not check_numbers("Other income was $354 million.", noted).unsupported


def test_a_persons_name_without_the_middle_initial_the_source_gives():
    source = ("Brian T. Olsavsky 61 Senior Vice President and Chief Financial Officer\n"
              "Shelley L. Reynolds 60 Vice President, Worldwide Controller, and Principal Accounting Officer")
    assert _verdict_of("Brian Olsavsky is Amazon's Senior Vice President and Chief Financial Officer.", source,
                       "Amazon.com, Inc.") == "supported"
    assert _verdict_of("Brian Reynolds is Amazon's Senior Vice President and Chief Financial Officer.", source,
                       "Amazon.com, Inc.") != "supported"  # not a name the source gives, with or without initials


def test_a_segment_the_source_calls_by_its_initials_and_the_claim_by_its_name():
    source = ("(Dollars in millions)\n\nYears ended December 31,: 2024 | 2023\n"
              "Commercial Airplanes: $22,861 | $33,901\nGlobal Services: 19,954 | 19,127\n\n"
              "Revenues decreased by $11,277 million in 2024 compared with 2023 driven by lower revenues at BCA and "
              "BDS, partially offset by higher revenues at BGS. BGS revenues increased by $827 million primarily due "
              "to higher commercial services revenue.")
    claim = "Boeing's {} revenues increased by $827 million in 2024."
    assert _verdict_of(claim.format("Global Services"), source, "The Boeing Company") == "supported"
    assert _verdict_of(claim.format("Commercial Airplanes"), source, "The Boeing Company") == "contradicted"


def test_us_for_united_states_is_not_a_swapped_name():
    source = ("A significant portion of our net revenue is concentrated among our five largest customers. No "
              "individual country, other than the United States, generated more than 10% of net revenue in any such "
              "period. Our U.S. revenue grew 9%.")
    assert _verdict_of("No single country besides the U.S. topped 10% of Mastercard's revenue.", source,
                       "Mastercard Incorporated") == "supported"


def test_a_count_against_the_list_that_follows_its_colon():
    source = ("Net cash used in financing activities increased $1.3 billion in 2024 versus the prior year, primarily "
              "due to higher cash paid for repurchases of our Class A common stock, dividends, and repayments of "
              "debt, partially offset by an increase in cash proceeds received from debt issuances.")
    claim = ("Mastercard cites {} higher uses of cash behind its larger 2024 financing outflows: share repurchases, "
             "dividends and debt repayments.")
    assert _verdict_of(claim.format("three"), source, "Mastercard Incorporated") == "supported"
    assert _verdict_of(claim.format("two"), source, "Mastercard Incorporated") == "contradicted"


def test_a_row_giving_the_claims_other_figure_does_not_contradict_this_one():
    source = ("Three Months Ended | Change\nJune 30, | June 30, | Q2'25 vs. Q2'24\n2025 | 2024\n\n"
              "(in thousands, except percentages)\n\n"
              "Sales and marketing: $713,265 | $644,084 | $69,181 | 11%\n"
              "As a percentage of revenues: 6 % | 7 %")
    claim = ("Netflix's sales and marketing spending grew about 11% to roughly $713 million in the second quarter of "
             "2025, yet dipped to {}% of revenue.")
    assert _verdict_of(claim.format(6), source, "Netflix, Inc.") == "supported"
    assert _verdict_of(claim.format(9), source, "Netflix, Inc.") != "supported"


def test_operating_cash_flow_is_the_statements_cash_provided_by_operating_activities():
    source = ("Three Months Ended | Change\nJune 30, | June 30, | Q2'25 vs. Q2'24\n2025 | 2024\n\n"
              "(in thousands, except percentages)\n\n"
              "Net cash provided by operating activities: $2,423,258 | $1,290,847 | $1,132,411 | 88%\n"
              "Net cash used in financing activities: (2,502,868) | (1,489,381) | 1,013,487 | 68%")
    claim = "Netflix's operating cash flow rose {}% to about $2.4 billion in the second quarter of 2025."
    assert _verdict_of(claim.format(88), source, "Netflix, Inc.") == "supported"
    assert _verdict_of(claim.format(68), source, "Netflix, Inc.") != "supported"


def test_a_change_columns_year_span_under_the_header_does_not_redate_the_rows():
    source = ("(dollars in millions): 2024 | 2023 | 2022 | % Change\n\n2024-2023\n\n"
              "Digital Media: $15,864 | $14,216 | $12,842 | 12%\nDigital Experience: 5,366 | 4,893 | 4,422 | 10%")
    claim = "Adobe's Digital Experience revenue was $4,422 million in fiscal {}."
    assert _verdict_of(claim.format(2022), source, "Adobe Inc.") == "supported"
    assert _verdict_of(claim.format(2023), source, "Adobe Inc.") == "contradicted"


def test_a_roll_forward_row_named_without_its_balance_at_end_of_year_words():
    source = ("A reconciliation of the changes in the gross amount of unrecognized tax benefits is as follows (in "
              "millions):\n\nYear Ended December 31,: 2024 | 2023\n"
              "Balance of unrecognized tax benefits at beginning of year: $929 | $926\n"
              "Decrease related to settlements with taxing authorities: (57) | —\n"
              "Balance of unrecognized tax benefits at end of year: $880 | $929")
    claim = "Coca-Cola's unrecognized tax benefits decreased during 2024, from $929 million to ${} million."
    assert _verdict_of(claim.format(880), source, "The Coca-Cola Company") == "supported"
    assert _verdict_of(claim.format(890), source, "The Coca-Cola Company") != "supported"


def test_percentage_points_of_a_rate_against_a_rate_reconciliations_bare_cells():
    source = ("A reconciliation of the statutory U.S. federal tax rate and our effective tax rate is as follows:\n\n"
              "Year Ended December 31,: 2024 | 2023\nStatutory U.S. federal tax rate: 21.0% | 21.0%\n"
              "Equity income or loss: (2.6) | (2.1)\nExcess tax benefits on stock-based compensation: (0.5) | (0.3)\n"
              "Effective tax rate: 18.6% | 17.4%")
    claim = "{} lowered Coca-Cola's 2024 effective tax rate by 2.6 percentage points."
    assert _verdict_of(claim.format("Equity income"), source, "The Coca-Cola Company") == "supported"
    assert _verdict_of(claim.format("Excess tax benefits on stock-based compensation"), source,
                       "The Coca-Cola Company") != "supported"


def test_a_unit_count_under_a_note_that_scales_only_money_and_square_feet():
    source = ("Fiscal Years Ended January 31,\n\n"
              "(Dollar amounts and retail square feet in millions): 2025 | 2024 | 2023\n"
              "Net sales: $462,415 | $441,817 | $420,553\nUnit counts at period end: 4,605 | 4,615 | 4,717\n"
              "Retail square feet at period end: 698 | 699 | 702")
    claim = "Walmart U.S. ended fiscal 2025 with 4,605 units, {} fewer than a year earlier."
    assert _verdict_of(claim.format(10), source, "Walmart Inc.") == "supported"
    assert _verdict_of(claim.format(20), source, "Walmart Inc.") != "supported"
    assert not check_numbers("Walmart U.S. had 4,605 units.", source).unsupported


def test_a_year_before_a_name_is_a_year_not_a_count_of_listed_items():
    source = ("The following table shows net sales by reportable segment for 2024, 2023 and 2022 (dollars in "
              "millions):\n\n2024 | Change | 2023 | Change | 2022\n"
              "Americas: $167,045 | 3% | $162,560 | (4)% | $169,658\n\n"
              "Americas net sales increased during 2024 compared to 2023 due primarily to higher net sales of "
              "Services.")
    claim = "Apple attributes its 2024 Americas sales increase primarily to higher net sales of {}."
    assert _verdict_of(claim.format("Services"), source, "Apple Inc.") == "supported"
    assert _verdict_of(claim.format("iPhone"), source, "Apple Inc.") != "supported"


def test_the_base_date_of_a_comparison_split_off_by_its_comma_does_not_date_the_change():
    source = ("The increase in cost of revenues for the year ended December 31, 2024 as compared to the year ended "
              "December 31, 2023 was due to a $1,104 million increase in content amortization relating to our "
              "existing and new content. Cost of revenues was $21,038 million in 2024 and $19,715 million in 2023.")
    claim = "Netflix's content amortization rose $1,104 million in {}, which explains the increase in cost of revenues."
    assert _verdict_of(claim.format(2024), source, "Netflix, Inc.") == "supported"


def test_drivers_and_offsets_trading_places_are_contradicted():
    source = ("Products gross margin and Products gross margin percentage increased during 2024 compared to 2023 due "
              "to cost savings, partially offset by a different Products mix and the weakness in foreign currencies "
              "relative to the U.S. dollar.")
    faithful = ("Cost savings drove the increase in Apple's Products gross margin in 2024, partially offset by a "
                "different Products mix and weaker foreign currencies.")
    swapped = ("A different Products mix drove the increase in Apple's Products gross margin in 2024, partially "
               "offset by cost savings and weaker foreign currencies.")
    assert _verdict_of(faithful, source, "Apple Inc.") == "supported"
    assert _verdict_of(swapped, source, "Apple Inc.") == "contradicted"


def test_a_share_located_outside_a_country_sizes_the_rest_inside_it():
    source = ("As of December 31, 2024, Boeing’s total workforce was approximately 172,000 with 15% located outside "
              "of the U.S. As of December 31, 2024, our global workforce was comprised of approximately 24% women.")
    claim = "{} of Boeing's roughly 172,000 employees are located in the U.S."
    assert _verdict_of(claim.format("The large majority"), source, "The Boeing Company") == "supported"
    assert _verdict_of(claim.format("About half"), source, "The Boeing Company") == "contradicted"


def test_a_rounded_total_in_a_clause_that_says_it_rose_binds_to_the_total_row():
    source = ("The following table shows net sales by reportable segment for 2024, 2023 and 2022 (dollars in "
              "millions):\n\n2024 | Change | 2023 | Change | 2022\n"
              "Americas: $167,045 | 3% | $162,560 | (4)% | $169,658\nEurope: 101,328 | 7% | 94,294 | (1)% | 95,118\n"
              "Greater China: 66,952 | (8)% | 72,559 | (2)% | 74,200\nJapan: 25,052 | 3% | 24,257 | (7)% | 25,977\n"
              "Rest of Asia Pacific: 30,658 | 4% | 29,615 | 1% | 29,375\n"
              "Total net sales: $391,035 | 2% | $383,285 | (3)% | $394,328\n\n"
              "Americas net sales increased during 2024 compared to 2023 due primarily to higher net sales of "
              "Services.")
    claim = ("Apple's fiscal 2024 sales rose about 2% to roughly ${} billion, with Europe up 7% and the Americas up "
             "3%, while Greater China fell 8% to about $67 billion.")
    assert _verdict_of(claim.format(391), source, "Apple Inc.") == "supported"
    assert _verdict_of(claim.format(383), source, "Apple Inc.") != "supported"


def test_a_negation_in_another_clause_of_the_sentence_with_an_irregular_verb():
    source = ("These cash inflows were partially offset by the repayment upon maturity of the $400 million aggregate "
              "principal amount of our 5.750% Senior Notes in the year ended December 31, 2024 as compared to no "
              "repayments of debt in the corresponding period in 2023, coupled with a $218 million increase in the "
              "repurchases of common stock.")
    claim = "Netflix repaid its $400 million 5.750% Senior Notes at maturity in 2024, having repaid no debt in 2023."
    assert _verdict_of(claim, source, "Netflix, Inc.") == "supported"


def test_a_defined_term_is_not_a_name_swapped_for_a_party():
    source = ("On July 21, 2023, AEON completed the Merger with Priveterra Acquisition Corp. In connection with the "
              "Merger, AEON entered into agreements with existing and new AEON investors. Funding available at the "
              "closing included approximately $30 million of committed financing from existing and new AEON "
              "investors, together with cash held by Priveterra.")
    claim = ("Funding available at the Merger closing included approximately $30 million of committed financing from "
             "existing and new {} investors.")
    assert _verdict_of(claim.format("AEON"), source, "AEON Biopharma, Inc.") == "supported"


def test_a_bare_start_of_a_change_shares_the_scale_word_of_its_end():
    source = ("(thousands of barrels daily) | Three Months Ended\nJune 30,\n2025 | 2024\n\nRefinery throughput\n\n"
              "Canada: 376 | 387")
    claim = "ExxonMobil's Canadian refinery throughput {} to 376 thousand barrels daily in the second quarter of " \
            "2025 from 387."
    assert "is a rise" not in " ".join(c.reason for c in check_claims(claim.format("fell"), source).claims)
    assert _verdict_of(claim.format("rose"), source, "Exxon Mobil Corporation") == "contradicted"


def test_a_count_of_the_items_a_source_sentence_marks_i_to_iv():
    source = ("We will remain an emerging growth company until the earliest of (i) the last day of the fiscal year "
              "following the fifth anniversary of Priveterra's initial public offering (December 31, 2026), (ii) the "
              "last day of the fiscal year in which we have total annual gross revenue of at least $1.235 billion, "
              "(iii) the last day of the fiscal year in which we are deemed to be a large accelerated filer, or (iv) "
              "the date on which we have issued more than $1.0 billion in non-convertible debt securities during the "
              "prior three-year period.")
    claim = "AEON lists {} events, the earliest of which would end its emerging growth company status."
    assert _verdict_of(claim.format("four"), source, "AEON Biopharma, Inc.") == "supported"
    assert _verdict_of(claim.format("five"), source, "AEON Biopharma, Inc.") == "contradicted"


def test_the_filers_name_at_the_start_of_a_sentence_is_the_filers():
    source = ("Our brokerage subsidiaries are regulated by the SEC, the Financial Industry Regulatory Authority "
              "(FINRA) and, in some cases, the CFTC.")
    claim = "Wells Fargo's brokerage subsidiaries are regulated by the SEC as well as FINRA."
    assert _verdict_of(claim, source, "Wells Fargo") == "supported"
    assert _verdict_of("Fargo Wells's brokerage subsidiaries are regulated by the SEC.", source,
                       "Wells Fargo") == "unsupported"


def test_a_figure_named_by_no_row_is_the_total_rows():
    source = ("The table below provides supplemental information on net sales, earnings before income taxes and net "
              "earnings by reportable business segment for the three months ended March 31, 2025, versus the "
              "comparable prior year period (dollar amounts in millions):\n\nThree Months Ended March 31, 2025\n\n"
              "Net Sales | % Change Versus Year Ago\nBeauty: $3,490 | (2)%\nGrooming: 1,505 | (2)%\n"
              "Fabric & Home Care: 6,948 | (3)%\nTotal Company: $19,776 | (2)%")
    claim = "P&G's {}net sales were about ${} billion in the three months ended March 31, 2025."
    assert _verdict_of(claim.format("total ", "19.8"), source, "Procter & Gamble") == "supported"
    assert _verdict_of(claim.format("total ", "19.8").replace("billion", "million"), source,
                       "Procter & Gamble") != "supported"


def test_growth_that_slowed_from_one_rate_to_a_lower_one_is_a_fall():
    source = ("Cross-border volume growth, on a local currency basis, was 17% in 2024 compared with 25% in 2023.")
    claim = "Mastercard's cross-border volume growth {} in 2024, to 17% from 25%."
    assert "is a fall" not in " ".join(c.reason for c in check_claims(claim.format("slowed"), source,
                                                                         "Mastercard Incorporated").claims)
    assert _verdict_of(claim.format("accelerated"), source, "Mastercard Incorporated") == "contradicted"


def test_a_contrast_set_off_by_commas_is_not_a_negation():
    source = ("Research and development expenses were $43,873 million in 2024, our largest cost. Cost of revenue was "
              "$30,161 million in 2024.")
    claim = "Research and development, not cost of revenue, was Meta's largest cost line in 2024."
    assert "negation" not in " ".join(c.reason for c in check_claims(claim, source, "Meta Platforms, Inc.").claims)
    assert _verdict_of("Meta's research and development was not its largest cost in 2024.", source,
                       "Meta Platforms, Inc.") == "contradicted"
