"""Faults the eighth probe found in reading filings (P8-F1, P8-F2): each on real files written to disk, through the
real extraction path or the real CLI in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures_text import BUSINESS_BODY, SAMPLES, SHARED_FILINGS
from test_faults import FILING, data_config, observe, write_filings

from filingsum.cli import main
from filingsum.filings.ingest import IngestError, load_documents
from filingsum.filings.prepare import extract_file

# --- P8-F1: "Item 1. Business" named inside a sentence is not the Item 1 heading -------------------------------

AMENDMENT_COVER = """UNITED STATES
SECURITIES AND EXCHANGE COMMISSION
Washington, D.C. 20549

FORM 10-K/A
(Amendment No. 1)

[X] ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934
For the fiscal year ended December 31, 2023

Commission File Number 001-34567

NORTHWIND HOLDINGS, INC.
(Exact name of registrant as specified in its charter)

Delaware                                   26-1234567
(State of incorporation)                   (I.R.S. Employer Identification No.)

EXPLANATORY NOTE

This Amendment No. 1 on Form 10-K/A (this "Amendment") amends the Annual Report on Form 10-K of
Northwind Holdings, Inc. for the fiscal year ended December 31, 2023, filed with the Securities and
Exchange Commission on February 29, 2024 (the "Original Filing"), solely to include the information
required by Part III of Form 10-K. Except as described above, no other part of the Original Filing,
{mention} and continues to speak as of the date of the Original Filing, and
this Amendment does not reflect events occurring after that date or modify any other disclosure.
"""
AMENDMENT_PART_III = """
PART III

Item 10. Directors, Executive Officers and Corporate Governance

Our board of directors consists of seven members. The following table sets forth the name, age and
position of each of our directors and executive officers as of April 15, 2024.

Item 11. Executive Compensation

The compensation committee of the board reviews and approves the compensation of our named executive
officers each year, including base salary, annual cash incentives and long-term equity awards.

Item 12. Security Ownership of Certain Beneficial Owners and Management and Related Stockholder Matters

The following table sets forth information regarding beneficial ownership of our common stock as of
April 15, 2024 by each person known to us to own more than 5% of our common stock.

PART IV

Item 15. Exhibits and Financial Statement Schedules

31.1 Certification of the Chief Executive Officer

SIGNATURES

Pursuant to the requirements of Section 13 or 15(d) of the Securities Exchange Act of 1934, the registrant
has duly caused this report to be signed on its behalf by the undersigned, thereunto duly authorized.
"""
NOT_AMENDED = "Item 1. Business is not amended"


def _amendment(path: Path, mention: str = NOT_AMENDED, item_1: str = "") -> Path:
    path.write_text(AMENDMENT_COVER.format(mention=mention) + item_1 + AMENDMENT_PART_III, encoding="utf-8")
    return path


@pytest.mark.parametrize("mention", [
    NOT_AMENDED, "Item 1. Business and Item 7. Management's Discussion are not amended",
    "Item 1. Business, Item 1A. Risk Factors and Item 7 remain unchanged",
])
def test_a_10k_a_whose_explanatory_note_names_item_1_in_a_sentence_has_no_item_1(tmp_path, mention):
    """The note's hard-wrapped line "Item 1. Business is not amended and continues ..." was taken for the Item 1
    heading: the note's last sentence was summarized as the company's business (probe P8-F1)."""
    path = _amendment(tmp_path / "northwind_10-k-a_2024.txt", mention)
    with pytest.raises(IngestError) as caught:
        extract_file(path, ["item_1"])
    reason = caught.value.reason
    assert "no Item 1. Business found, though the file has headings for Item 10, Item 11" in reason, reason
    assert "\n" not in reason
    (whole,) = extract_file(path, ["whole"])  # the filing itself is fine: it holds Part III
    assert "Executive Compensation" in whole.text


def test_a_10k_a_that_restates_item_1_gives_the_restated_section_not_the_note(tmp_path):
    path = _amendment(tmp_path / "northwind_10-k-a_2024.txt", "Item 1. Business is amended and restated in full",
                      f"\nPART I\n\nItem 1. Business\n\n{BUSINESS_BODY}\n")
    (section,) = extract_file(path, ["item_1"])
    assert section.text.startswith("Item 1. Business\n") and "Acme Widgets, Inc. designs" in section.text
    assert "Original Filing" not in section.text and "Executive Compensation" not in section.text


def test_data_build_makes_no_record_of_a_10k_a_explanatory_note(tmp_path, capsys):
    inputs = write_filings(tmp_path / "in", [0, 1, 2, 3, 4])
    _amendment(inputs / "northwind_10-k-a_2024.txt")
    out = tmp_path / "dataset"
    status = main(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [inputs], out))])
    err = capsys.readouterr().err
    records = [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    from_note = [r for r in records if "northwind" in r["source_path"]]
    observe("`data build`: a 10-K/A whose explanatory note names Item 1", status, err, wrong=len(from_note))
    assert status == 0 and "Traceback" not in err, err[-3000:]
    assert len(records) == 5 and from_note == []
    skipped = json.loads((out / "card.json").read_text(encoding="utf-8"))["skipped_files"]
    assert any("northwind" in json.dumps(s) and "no Item 1. Business found" in json.dumps(s) for s in skipped), skipped


# --- P8-F2: bare-CR line ends are line breaks; a file with none at all is said to have none ---------------------

CREXENDO_BODY = (SAMPLES / "crexendo_10k_2016_item1_prompt.txt").read_text(encoding="utf-8").split("\n\n", 1)[1]
CREXENDO_10K_TEXT = ("CREXENDO, INC.\nFORM 10-K\nANNUAL REPORT FOR THE FISCAL YEAR ENDED DECEMBER 31, 2016\n\n"
                     + CREXENDO_BODY)


def _real_filing_text(name: str) -> str:
    if not (SHARED_FILINGS / name).is_file():
        pytest.skip("../shared/filings is absent")
    return load_documents(SHARED_FILINGS / name)[0].text


@pytest.mark.parametrize("name, text", [
    ("crexendo_10-k_2016.txt", lambda: CREXENDO_10K_TEXT),  # a plain-text 10-K: cover lines, then Item 1
    ("crexendo_10-k_2016_prompt.txt", lambda: (SAMPLES / "crexendo_10k_2016_item1_prompt.txt").read_text("utf-8")),
    ("acme_10k_2020.txt", lambda: FILING.format(name="Acme Widgets", product="widgets", customers="farmers")
     + "\nItem 1A. Risk Factors\n\nWidgets break.\n"),
    ("medicis_10-k_1999.txt", lambda: _real_filing_text("medicis-10-k-1999.html")),  # a real 10-K's text
    ("gainsco_10-k_2010.txt", lambda: _real_filing_text("gainsco-10-k-2010-03.html")),
])
def test_a_file_with_bare_cr_line_ends_gives_the_sections_it_gives_with_lf(tmp_path, name, text):
    """Lone CRs (old Mac line ends) were not line breaks: a file opening with its Item 1 heading was "Item 1.
    Business is only a heading ... with no text under it", a prompt-wrapped one "a request but no filing text",
    and a real 10-K's whole text (cover, Item 7, financial statements) was sent as its Item 1 (probe P8-F2)."""
    lf = text()
    (tmp_path / "lf").mkdir()
    (tmp_path / "cr").mkdir()
    (tmp_path / "lf" / name).write_bytes(lf.encode("utf-8"))
    (tmp_path / "cr" / name).write_bytes(lf.replace("\n", "\r").encode("utf-8"))
    (expected,) = extract_file(tmp_path / "lf" / name, ["item_1"])
    assert expected.text.lower().startswith(("item 1. business", "item 1: business")) and not expected.warnings
    (section,) = extract_file(tmp_path / "cr" / name, ["item_1"])
    assert (section.text, section.warnings, section.instruction) == (expected.text, [], expected.instruction)


def test_a_file_with_no_line_break_says_so_instead_of_only_a_heading(tmp_path):
    """A filing on one line (its line ends lost) was "Item 1. Business is only a heading (or a table-of-contents
    entry) with no text under it": the heading finder works by lines, and the message now says the file has none."""
    one_line = " ".join((FILING.format(name="Acme Widgets", product="widgets", customers="farmers")
                         + "\nItem 1A. Risk Factors\n\n" + "Widgets break. " * 200).split())
    path = tmp_path / "acme_10k_2020.txt"
    path.write_text(one_line, encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        extract_file(path, ["item_1"])
    reason = caught.value.reason
    assert f"the file has no line breaks (one {len(one_line):,}-character line)" in reason, reason
    assert "only a heading" not in reason and "\n" not in reason
    (whole,) = extract_file(path, ["whole"])
    assert "designs and sells widgets" in whole.text


def test_a_whole_filing_on_one_line_used_as_item_1_names_the_cause(tmp_path):
    """Without a heading at its start a one-line filing's whole text stands in for Item 1, as for any text
    without headings; the warning now says why no heading could be found."""
    one_line = " ".join(CREXENDO_10K_TEXT.split())
    path = tmp_path / "crexendo_10-k_2016.txt"
    path.write_text(one_line, encoding="utf-8")
    (section,) = extract_file(path, ["item_1"])
    assert section.warnings == [f"no Item 1. Business heading found: the file has no line breaks (one "
                                f"{len(one_line):,}-character line), and headings are found by lines; used the "
                                "whole text"]
