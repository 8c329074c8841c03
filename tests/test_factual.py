"""Number normalisation and factual precision against the real seed filings and their gold summaries."""

from __future__ import annotations

import json

import pytest
from fixtures_text import CREXENDO_FAITHFUL_SUMMARY

from filingsum.quality.factual import (
    NLIModelError,
    check_entities,
    entity_precision,
    nli_consistency,
    number_precision,
    unsupported_entities,
    unsupported_numbers,
)
from filingsum.quality.numbers import check_numbers, extract_numbers, parse_number, words_to_number

# Written by hand from data/samples/crexendo_10k_2016_item1_prompt.txt: segment table "(in thousands)"
# $7,757 / $1,362 / $9,119 for 2016, R&D "$826,000 ... December 31, 2016", 53 employees incl. 15 sales
# representatives, "thirty-six to sixty month term", OTCQX Marketplace, ticker "CXDO".
FAITHFUL = CREXENDO_FAITHFUL_SUMMARY
PLANTED = (
    FAITHFUL.replace("$826,000 in research", "$1.1 billion in research")
    .replace("and website hosting", "and the CrexCloud Quantum Router")
    .replace("trades on the OTCQX Marketplace", "trades on Nasdaq alongside Vonage")
)


@pytest.fixture(scope="module")
def crexendo(samples) -> str:
    return (samples / "crexendo_10k_2016_item1_prompt.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("$1.1 billion", "number", 1.1e9),
        ("1,100,000", "number", 1.1e6),
        ("$826,000", "number", 826_000),
        ("thirty-six", "number", 36),
        ("fivehundredtwelve", "number", 512),
        ("five hundred twelve", "number", 512),
        ("12.5%", "percent", 12.5),
        ("12.5 percent", "percent", 12.5),
        ("($3.2) million", "number", -3.2e6),
        ("$(3,210)", "number", -3210),
        ("$1.1B", "number", 1.1e9),
        ("2016", "year", 2016),
        ("fiscal 2016", "year", 2016),
        ("December 31, 2016", "date", 2016),
    ],
)
def test_parse_number(text, kind, value):
    mention = parse_number(text)
    assert mention is not None and mention.kind == kind
    assert mention.value == pytest.approx(value)


def test_dates_and_scale_equivalence():
    assert parse_number("December 31, 2016").date == "2016-12-31"
    assert parse_number("May 2011").date == "2011-05"
    assert (parse_number("1.1 billion").value == parse_number("1,100 million").value
            == parse_number("1,100,000,000").value)
    assert parse_number("3G") is None and parse_number("52nd") is None and parse_number("see note 3") is None
    assert words_to_number("ninety-nine") == 99 and words_to_number("revenue") is None


def test_extract_numbers_in_running_text():
    text = "Revenue rose 12.5% to $9.1 million in fiscal 2016, up from ($3.2) million; Q3 and 4G are not figures."
    found = [(m.kind, m.text) for m in extract_numbers(text)]
    assert found == [("percent", "12.5%"), ("number", "$9.1 million"), ("year", "fiscal 2016"),
                     ("number", "($3.2) million")]


def test_number_matching_tolerance_and_scale_words():
    source = "We invested $826,000 in research. Backlog was 1,100 million dollars. Margin was 12.5 percent."
    assert number_precision("R&D was $826,000 and backlog $1.1 billion.", source) == 1.0
    assert number_precision("Backlog was 1,100,000,000.", source) == 1.0
    assert number_precision("R&D was $827,000.", source) == 1.0  # 0.12% off: within the 0.5% tolerance
    assert number_precision("R&D was $850,000.", source) == 0.0  # 2.9% off
    assert number_precision("Margin was 12.5%.", source) == 1.0
    assert number_precision("Margin was $12.5.", source) == 0.0  # a percentage is not an amount
    assert number_precision("R&D was $0.8 million.", source) == 1.0  # rounded to the stated digit
    assert number_precision("Crexendo sells cloud services.", source) is None  # no figure: undefined


def test_declared_thousands_scale(crexendo):
    # The segment table is "(in thousands)": $9,119 there is $9.1 million in a summary.
    assert number_precision("Consolidated revenue was $9.1 million.", crexendo) == 1.0
    without_hint = crexendo.replace("(in thousands)", "")
    assert number_precision("Consolidated revenue was $9.1 million.", without_hint) == 0.0


def test_declared_scale_covers_its_table_not_later_prose(samples):
    mdna = (samples / "crexendo_10q_2020q3_mdna.txt").read_text(encoding="utf-8")
    # The results table "(in thousands ...)" has Total revenue $4,143 for the quarter.
    assert number_precision("Quarterly revenue was $4.1 million.", mdna) == 1.0
    # Pages later, prose says "$1,051,000" in full dollars: that is no $1.1 billion.
    assert "$1,051,000" in mdna
    assert number_precision("Marketing cost $1.1 billion.", mdna) == 0.0
    assert number_precision("Marketing cost $1.05 million.", mdna) == 1.0


def test_faithful_beats_planted_errors(crexendo):
    assert number_precision(FAITHFUL, crexendo) == 1.0
    assert entity_precision(FAITHFUL, crexendo) == 1.0
    assert number_precision(PLANTED, crexendo) < number_precision(FAITHFUL, crexendo)
    assert entity_precision(PLANTED, crexendo) < entity_precision(FAITHFUL, crexendo)
    assert [text for _, _, text in unsupported_numbers(PLANTED, crexendo)] == ["$1.1 billion"]
    names = [text for _, _, text in unsupported_entities(PLANTED, crexendo)]
    assert names == ["CrexCloud Quantum Router", "Nasdaq", "Vonage"]
    for start, end, text in unsupported_numbers(PLANTED, crexendo) + unsupported_entities(PLANTED, crexendo):
        assert PLANTED[start:end] == text


def test_sentence_initial_common_words_are_not_names(crexendo):
    check = check_entities("Revenue comes from subscriptions. Our customers are small businesses.", crexendo)
    assert check.total == 0 and check.precision is None
    # A name stays a name at the start of a sentence.
    assert [e.text for e in check_entities("Vonage sells phones.", crexendo).unsupported] == ["Vonage"]


def test_gold_summaries_are_fully_supported(repo, samples):
    rows = [json.loads(line) for line in (repo / "data" / "gold" / "seeds.jsonl").read_text().splitlines() if line]
    assert len(rows) == 3
    for row in rows:
        source = (samples / row["source_file"]).read_text(encoding="utf-8")
        numbers = check_numbers(row["summary"], source)
        assert numbers.total > 5, row["source_file"]
        assert numbers.unsupported == [], row["source_file"]
        assert entity_precision(row["summary"], source) == 1.0, row["source_file"]
        # Another filing's summary is mostly unsupported by this source.
        other = next(r for r in rows if r["source_file"] != row["source_file"] and r["company"] != row["company"])
        assert number_precision(other["summary"], source) < 0.6


def test_nli_off_by_default_and_clear_error_for_missing_model(tmp_path):
    assert nli_consistency(FAITHFUL, "source text") is None
    with pytest.raises(NLIModelError, match="could not be loaded"):
        nli_consistency(FAITHFUL, "source text", str(tmp_path / "no-such-nli-model"))


def test_real_filing_sentences_support_themselves_not_another_company(shared_filings):
    from filingsum.core.text import split_sentences
    from filingsum.filings.sections import extract_filing_sections

    netflix = extract_filing_sections(shared_filings / "nflx-10-k-2025-01-27.html")[0].text
    coca_cola = extract_filing_sections(shared_filings / "ko-10-k-2025-02-20.html")[0].text
    sentences = split_sentences(netflix)
    with_figures = [s for s in sentences if any(c.isdigit() for c in s)][:12]
    summary = " ".join(with_figures + sentences[len(sentences) // 2 : len(sentences) // 2 + 8])
    numbers = check_numbers(summary, netflix)
    assert numbers.total >= 5 and numbers.precision == 1.0, [m.text for m in numbers.unsupported]
    assert entity_precision(summary, netflix) == 1.0, unsupported_entities(summary, netflix)
    assert entity_precision(summary, coca_cola) < 1.0
    assert "Netflix" in {text for _, _, text in unsupported_entities(summary, coca_cola)}
    assert number_precision(summary, coca_cola) < 1.0


# --- issue 11: each answer a finance reader called wrong, as a regression test ------------------------------

@pytest.mark.parametrize(
    ("summary", "source", "verdict"),
    [
        # units: the figure's unit (currency, counted noun) must match, not just its value
        ("Revenue was $5 million.", "Our devices reach 5 million homes.", "unverifiable"),
        ("The company has 5,000 employees.", "The plan costs $5,000 per year.", "unverifiable"),
        ("The company has 5,000 employees.", "We had 5,000 full-time employees.", "supported"),
        # scale: prose words set no scale; a table's note does, before or after its figure
        ("Revenue was $1.2 billion.", "Used in millions of homes. We have 1,200 employees.", "unverifiable"),
        ("Revenue was $3.5 million.", "Total revenue | $3,500 (in thousands)", "supported"),
        ("Revenue was $3,500.", "Revenue (in thousands)\nTotal revenue | $3,500", "contradicted"),
        # years only where they act as years
        ("The company operates 2000 stores.", "We operate 2,000 stores.", "supported"),
        ("The company operates 2000 stores.", "We were founded in 2000 and operate 310 stores.", "contradicted"),
        ("In 2000 the company opened its first store.", "We opened our first store in 2000.", "supported"),
        # sign and direction
        ("It reported a net loss of $3.2 million.", "We reported net income of $3.2 million.", "contradicted"),
        ("Sales increased 12%.", "Sales decreased 12% from the prior year.", "contradicted"),
        ("Its loss was $3.2 million.", "Net loss | $(3.2) million", "supported"),
        # figures that used to be dropped unchecked
        ("Backlog was 1.1bn dollars.", "Backlog was $1.1 billion at year end.", "supported"),
        ("Backlog was 1.1bn dollars.", "Backlog was $1.4 billion at year end.", "contradicted"),
        # "three and nine months" is two figures, not 3 + 9
        ("In the three and nine months ended March 31, 2025, sales grew.",
         "Results for the three and nine months ended March 31, 2025:", "supported"),
        ("In the three months ended March 31, 2025, sales grew 12%.",
         "Sales grew 12% in the nine months ended March 31, 2025.", "contradicted"),
        # dates as dates
        ("As of December 31, 2017, it had cash.", "As of December 31, 2016 and 2017, we held cash.", "supported"),
        ("As of December 31, 2015, it had cash.", "As of December 31, 2016 and 2017, we held cash.", "unverifiable"),
    ],
)
def test_issue_11_number_regressions(summary, source, verdict):
    verdicts = check_numbers(summary, source).verdicts
    figure = next((v for v in verdicts if v.mention.kind != "year"), verdicts[0])  # the figure under test
    assert figure.verdict == verdict, (figure.mention.text, figure.reason)


@pytest.mark.parametrize(
    ("summary", "source", "supported"),
    [
        ("The company sells to Apple.", "We sell apple juice to grocers.", False),
        ("The company sells to Apple.", "We sell to Apple Inc. and other retailers.", True),
        ("It launched the Cloud Growth Platform.",
         "Cloud services grew. Growth was strong. Platform fees rose. We sell cloud growth platform tools.", False),
        ("It launched the Cloud Growth Platform.", "We launched our Cloud Growth Platform in May.", True),
        ("It sells to Mars.", "Revenue for the quarter ended Mar. 31, 2016 rose.", False),
        ("It sells to Mars.", "It sells snacks to Mars, Incorporated.", True),
        ("Crexendo's Cloud Telecommunications segment grew.",
         "Crexendo, Inc. reports the Cloud Telecommunications Services segment.", True),
    ],
)
def test_issue_11_name_regressions(summary, source, supported):
    check = check_entities(summary, source)
    names = [e for e in check.supported + check.unsupported if e.text not in {"It", "The"}]
    assert names and all((e in check.supported) == supported for e in names), (check.supported, check.unsupported)


def test_lower_case_spellings_of_the_sources_names_are_checked():
    source = "Customers can buy the iPhone online. Members watch Netflix on any device."
    check = check_entities("customers buy the iphone and watch netflix.", source)
    assert {(e.text, e.lowercase) for e in check.supported} == {("iphone", True), ("netflix", True)}
    # What it cannot do: a lower-case name the source never mentions reads as an ordinary word.
    assert check_entities("members watch hulu.", source).total == 0


# --- issue 19: tables read as tables, analyst rounding, sane magnitudes ------------------------------------------

_TABLE = """Segment results ($B) | 2024 | 2023
Revenue (1) | 60.9 | 55.1
Operating margin | (2.7) pts | 1.1 pts

We had 32,439 employees at the end of the year. Net sales were $60,922 million."""


@pytest.mark.parametrize("summary, verdict", [
    ("Revenue was $60.9 billion in 2024.", "supported"),  # "($B)" scales the table
    ("Operating margin decreased 2.7 percentage points.", "supported"),  # "(2.7) pts"
    ("Operating margin increased 2.7 percentage points.", "contradicted"),
    ("Operating margin decreased 2.7%.", "unverifiable"),  # points are not percent
    ("The company had about 32,000 employees.", "supported"),
    ("The company had more than 32,000 employees.", "supported"),
    ("The company had more than 33,000 employees.", "contradicted"),
    ("Net sales were $60.9 billion.", "supported"),
])
def test_tables_and_analyst_rounding(summary, verdict):
    assert [v.verdict for v in check_numbers(summary, _TABLE).verdicts if v.mention.kind != "year"] == [verdict]


def test_footnote_markers_are_not_figures():
    assert not [m for m in extract_numbers("Revenue (1) | 2024") if m.kind == "number"]
    assert [m.value for m in extract_numbers("Net loss | (8) | (5)")] == [-8.0, -5.0]


def test_scale_note_on_a_line_of_column_headings():
    source = ("(Dollars in millions): 2024 | Actual | Constant | 2023\n\n"
              "Cloud and license: $11,389 | 10% | 11% | $10,356")
    assert check_numbers("Cloud and license revenues were $11.4 billion.", source).precision == 1.0


@pytest.mark.parametrize("digits", [308, 309, 10_000])
def test_figures_beyond_sane_magnitude_are_unverifiable(digits):
    huge = "9" * digits
    check = check_numbers(f"Revenue was {huge} dollars.", f"Revenue was {huge} dollars.")
    assert [v.verdict for v in check.verdicts] == ["unverifiable"]


def test_names_with_calendar_words_and_common_openers():
    source = "Subscribers watch NFL Sunday Ticket on YouTube. Growth came from headcount-related expenses."
    assert check_entities("NFL Sunday Ticket is offered on YouTube.", source).precision == 1.0
    assert check_entities("Headcount grew. Second-quarter revenue rose.", source).total == 0


def test_an_abbreviation_leading_a_name_the_source_spells_out():
    from filingsum.quality.factual import check_entities
    source = ("The agreement recognizes tariff-free trade of products within the scope of the World Trade "
              "Organization Agreement on Trade in Civil Aircraft.")
    assert check_entities("It covers products of the WTO Agreement on Trade in Civil Aircraft.", source
                          ).unsupported == []
    assert [e.text for e in check_entities("It covers products of the WTO Accord on Trade in Civil Aircraft.",
                                           source).unsupported]


def test_a_figure_in_the_last_sentence_of_the_source_is_prose_not_a_table_row():
    """Eighth probe P8-F3: a source whose last line was "Revenue was $45.2 million in 2020." read it as a
    hard-wrapped table row (two figures, two words after the first), so "$45.2 million" named no row and the
    summary's copy of it was "not in the source" (number precision 0, the gate failed)."""
    from filingsum.quality.numbers import check_numbers

    source = "Acme sells widgets to automakers. Revenue was $45.2 million in 2020."
    assert check_numbers("Revenue was $45.2 million.", source).precision == 1.0
    assert check_numbers("Revenue was $54.2 million.", source).precision == 0.0
