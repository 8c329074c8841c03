"""Faults the eighth probe found in reading filings (P8-F1, P8-F2): each on real files written to disk, through the
real extraction path or the real CLI in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures_text import BUSINESS_BODY
from test_faults import data_config, observe, write_filings

from filingsum.cli import main
from filingsum.filings.ingest import IngestError
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
