"""Faults the ninth probe found in finding a filing's sections and inputs (P9-F2, P9-F3, P9-F9): each on real
files written to disk, through the real extraction path, or the real CLI in process against a stand-in
OpenAI-compatible server on 127.0.0.1 (tests/_fake_openai.py). docs/reliability.md lists them.

- P9-F3: `Item 1. Description of Business` (10-KSB), `Item 1. Our Business`, `Items 1 and 2. Business and
  Properties` were not Item 1, and the skip said "no Item 1. Business found, though the file has headings for
  Item 1" (an 8-K's `Item 1.01` too); a plain-text 10-KSB was an "unknown" form.
- P9-F2: a file with no item heading (an S-1, an NT 10-K notice) went out whole as `#item_1`, its "used the whole
  text" warning on neither the console nor the result record; a notification of late filing is now skipped.
- P9-F9: `summarize DIR` read its own earlier results (another --out name) and a dataset built in DIR as filings:
  an error record and exit 1, every record summarized twice (records.jsonl and its split).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI
from fixtures_text import BUSINESS_BODY, MDNA_BODY
from test_faults import data_config, observe, write_filings

from filingsum import Summarizer
from filingsum.cli import main
from filingsum.filings.ingest import IngestError
from filingsum.filings.prepare import extract_file

ANSWER = "The company sells widgets to manufacturers and earns revenue from product sales and subscriptions."


def _summarize(server: FakeOpenAI, *args: str) -> int:
    return main(["summarize", *args, "--endpoint", server.base_url, "--model", "fake", "--tokenizer", "tiny-random",
                 "--max-retries", "0"])


# --- P9-F3: common Item 1 headings, and a reason that names the heading it saw -------------------------------------

TEN_K = """FORM 10-K
HCO INC

PART I

{heading}

{body}

ITEM 1A. RISK FACTORS
We face risks of many kinds that could harm our business and results.

ITEM 2. PROPERTIES
We lease an office.
"""
TEN_KSB = """UNITED STATES SECURITIES AND EXCHANGE COMMISSION
Washington, D.C. 20549

FORM 10-KSB

[X] ANNUAL REPORT UNDER SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934
For the fiscal year ended December 31, 2006

SMALLCO, INC.
(Exact name of small business issuer as specified in its charter)

PART I

ITEM 1. DESCRIPTION OF BUSINESS

{body}

ITEM 2. DESCRIPTION OF PROPERTY

We lease 4,000 square feet of office space in Tempe, Arizona.

ITEM 6. MANAGEMENT'S DISCUSSION AND ANALYSIS OR PLAN OF OPERATION

{mdna}

ITEM 7. FINANCIAL STATEMENTS

The financial statements begin on page F-1 of this report and are incorporated here by reference.

ITEM 8. CHANGES IN AND DISAGREEMENTS WITH ACCOUNTANTS ON ACCOUNTING AND FINANCIAL DISCLOSURE

None. Our independent registered public accounting firm has audited our financial statements since 2001, and we
have had no disagreement with it on any matter of accounting principles or practices or financial disclosure.

SIGNATURES
"""
EIGHT_K = """FORM 8-K
CURRENT REPORT
EIGHTCO INC

Item 1.01 Entry into a Material Definitive Agreement.

On March 1, 2020, the Company entered into a credit agreement with Big Bank for a $50 million revolving facility.

Item 2.03 Creation of a Direct Financial Obligation.

The information in Item 1.01 above about the credit agreement is incorporated into this Item 2.03 by reference.

Item 9.01 Financial Statements and Exhibits.

(d) Exhibits. 10.1 Credit Agreement dated March 1, 2020.
"""
ITEM_1_HEADINGS = ["ITEM 1. DESCRIPTION OF BUSINESS", "Item 1. Our Business", "Items 1 and 2. Business and Properties",
                   "ITEMS 1 AND 2. BUSINESS AND PROPERTIES", "Item 1. Description of the Business"]


@pytest.mark.parametrize("heading", ITEM_1_HEADINGS)
def test_common_item_1_titles_are_item_1(tmp_path, heading):
    """P9-F3: each was skipped as "no Item 1. Business found, though the file has headings for Item 1"."""
    path = tmp_path / "hco_10k_2020.txt"
    path.write_text(TEN_K.format(heading=heading, body=BUSINESS_BODY), encoding="utf-8")
    (section,) = extract_file(path, ["item_1"])
    assert section.section == "item_1" and section.form == "10-K"
    assert section.text.startswith(heading) and BUSINESS_BODY in section.text, section.text
    assert "RISK FACTORS" not in section.text and section.warnings == []


def test_a_plain_text_10ksb_is_a_10k_with_its_item_1(tmp_path):
    """P9-F3: "FORM 10-KSB" was an unknown form, and its "Description of Business" no Item 1."""
    path = tmp_path / "smallco_annual_2006.txt"
    path.write_text(TEN_KSB.format(body=BUSINESS_BODY, mdna=MDNA_BODY), encoding="utf-8")
    (section,) = extract_file(path, ["item_1"])
    assert section.form == "10-K" and section.fiscal_period == "2006-12-31"
    assert section.text.startswith("ITEM 1. DESCRIPTION OF BUSINESS") and BUSINESS_BODY in section.text
    assert "square feet" not in section.text


def test_a_10ksb_asked_for_item_7_names_its_item_7_heading(tmp_path):
    """A 10-KSB's Item 7 is its financial statements (its MD&A is Item 6): the reason names the heading it saw."""
    path = tmp_path / "smallco_annual_2006.txt"
    path.write_text(TEN_KSB.format(body=BUSINESS_BODY, mdna=MDNA_BODY), encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        extract_file(path, ["item_7"])
    reason = caught.value.reason
    assert ("no Item 7. Management's Discussion and Analysis found: 'ITEM 7. FINANCIAL STATEMENTS' is not Item 7. "
            "Management's Discussion and Analysis: its title is not Management's Discussion and Analysis; the file "
            "has headings for Item 1, Item 2, Item 6, Item 7, Item 8: skipped") in reason, reason


def test_an_8k_item_is_named_as_one_not_as_item_1(tmp_path):
    """P9-F3: an 8-K's "Item 1.01" was skipped as "no Item 1. Business found, though the file has headings for
    Item 1": a reason that contradicts itself."""
    path = tmp_path / "eightco_8k.txt"
    path.write_text(EIGHT_K, encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        extract_file(path, ["item_1"])
    reason = caught.value.reason
    assert ("no Item 1. Business found: 'Item 1.01 Entry into a Material Definitive Agreement.' is an 8-K item, not "
            "Item 1. Business; the file has headings for Item 1.01, Item 2.03: skipped") in reason, reason
    assert "headings for Item 1," not in reason and "\n" not in reason


def test_summarize_takes_the_common_item_1_titles(tmp_path, capsys):
    """The probe's run: `summarize DIR` of these filings summarized 1 and failed the rest (exit 1)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i, heading in enumerate(ITEM_1_HEADINGS):
        (inputs / f"hco{i}_10k_2020.txt").write_text(TEN_K.format(heading=heading, body=BUSINESS_BODY),
                                                     encoding="utf-8")
    out = tmp_path / "sums.jsonl"
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        status = _summarize(server, str(inputs), "--out", str(out))
    err = capsys.readouterr().err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    observe("`summarize` of 10-Ks whose Item 1 is 'Description of Business', 'Our Business', 'Items 1 and 2'",
            status, err, wrong=sum(r["error"] is not None for r in rows))
    assert status == 0, err[-3000:]
    assert [r["id"] for r in rows] == [f"hco{i}_10k_2020#item_1" for i in range(len(ITEM_1_HEADINGS))]
    assert all(r["summary"] == ANSWER for r in rows), rows
    prompts = [body["messages"][-1]["content"] for body in server.bodies]
    assert all(BUSINESS_BODY[:60] in p and "RISK FACTORS" not in p for p in prompts)


# --- P9-F2: a file with no item heading is sent whole: said on the console and in the record; a late notice skipped --

LATE_NOTICE = """UNITED STATES
SECURITIES AND EXCHANGE COMMISSION
Washington, D.C. 20549

FORM 12b-25

NOTIFICATION OF LATE FILING

(Check one): [X] Form 10-K  [ ] Form 20-F  [ ] Form 11-K  [ ] Form 10-Q

For Period Ended: December 31, 2020

PART I - REGISTRANT INFORMATION

LATECO INC

PART II - RULES 12b-25(b) AND (c)

PART III - NARRATIVE

The registrant could not complete its Form 10-K, including Item 1. Business, within the prescribed time period
without unreasonable effort or expense, because its auditors need more time to finish their review.

PART IV - OTHER INFORMATION
"""
PROSPECTUS = """As filed with the Securities and Exchange Commission on March 1, 2021

FORM S-1
REGISTRATION STATEMENT UNDER THE SECURITIES ACT OF 1933

NEWCO, INC.

PROSPECTUS SUMMARY

This summary highlights information contained elsewhere in this prospectus. We are offering 5,000,000 shares.

BUSINESS

{body}

UNDERWRITING

The underwriters named below have agreed to buy the shares offered by this prospectus at the offering price.
"""
WHOLE = "no Item 1. Business heading found; used the whole text"


def test_summarize_says_when_a_file_without_item_headings_is_sent_whole(tmp_path, capsys):
    """P9-F2: an S-1 prospectus went out whole as `#item_1`, its warning on neither the console nor the record."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "newco_s1.txt").write_text(PROSPECTUS.format(body=BUSINESS_BODY), encoding="utf-8")
    (inputs / "hco_10k_2020.txt").write_text(TEN_K.format(heading="ITEM 1. BUSINESS", body=BUSINESS_BODY),
                                             encoding="utf-8")
    out = tmp_path / "sums.jsonl"
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        status = _summarize(server, str(inputs), "--out", str(out))
    err = capsys.readouterr().err
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    observe("`summarize` of an S-1 with no item headings", status, err,
            wrong=int(f"newco_s1#item_1: {WHOLE}" not in err))
    assert status == 0, err[-3000:]
    assert err.count(f"filingsum: warning: newco_s1#item_1: {WHOLE}\n") == 1, err[-3000:]
    assert err.count("used the whole text") == 1  # the 10-K has its Item 1: no warning for it
    assert rows["newco_s1#item_1"]["warnings"] == [WHOLE] and rows["newco_s1#item_1"]["summary"] == ANSWER
    assert rows["hco_10k_2020#item_1"]["warnings"] == []


def test_summarize_md_says_when_a_file_is_sent_whole(tmp_path, capsys):
    path = tmp_path / "newco_s1.txt"
    path.write_text(PROSPECTUS.format(body=BUSINESS_BODY), encoding="utf-8")
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        status = _summarize(server, str(path), "--out", str(tmp_path / "sums.md"))
    err = capsys.readouterr().err
    assert status == 0 and f"filingsum: warning: newco_s1#item_1: {WHOLE}" in err, err[-3000:]
    assert f"warnings: {WHOLE}\n" in (tmp_path / "sums.md").read_text(encoding="utf-8")


def test_a_notification_of_late_filing_is_skipped_not_summarized_as_item_1(tmp_path, capsys):
    """P9-F2: a Form 12b-25 (NT 10-K) notice was sent whole as `#item_1` and got a "business model summary"."""
    path = tmp_path / "lateco_nt10k.txt"
    path.write_text(LATE_NOTICE, encoding="utf-8")
    out = tmp_path / "sums.jsonl"
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        status = _summarize(server, str(path), "--out", str(out))
        sent = server.requests
    err = capsys.readouterr().err
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    observe("`summarize` of an NT 10-K notice", status, err, wrong=sent)
    assert status == 1 and sent == 0 and row["summary"] is None and row["error_kind"] == "input", (row, err[-3000:])
    assert "a notification of late filing (Form 12b-25, NT 10-K or NT 10-Q), not a 10-K or 10-Q" in row["error"]
    assert "a notification of late filing" in err and "Traceback" not in err
    (whole,) = extract_file(path, ["whole"])  # asked for, the notice itself is still there
    assert "could not complete its Form 10-K" in whole.text


def test_a_10k_that_names_its_late_filing_notice_in_a_sentence_is_still_a_10k(tmp_path):
    path = tmp_path / "hco_10k_2020.txt"
    body = f"{BUSINESS_BODY}\nForm 12b-25 was filed on March 31, 2021, as our auditors needed more time.\n"
    path.write_text("NT 10-K was filed on March 31, 2021, for this report.\n" + TEN_K.format(
        heading="ITEM 1. BUSINESS", body=body), encoding="utf-8")
    (section,) = extract_file(path, ["item_1"])
    assert section.text.startswith("ITEM 1. BUSINESS") and "Form 12b-25 was filed" in section.text


# --- P9-F9: `summarize DIR` leaves out its own earlier results and a dataset built in DIR ---------------------------


def _dataset_in(inputs: Path, tmp_path: Path) -> Path:
    """A real dataset built by `data build` from other filings into ``inputs``/ds."""
    filings = write_filings(tmp_path / "other_filings", [2, 3, 4, 5])
    out = inputs / "ds"
    assert main(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [filings], out))]) == 0
    assert (out / "card.json").is_file() and (out / "records.jsonl").is_file() and (out / "train.jsonl").is_file()
    return out


def test_summarize_dir_leaves_out_its_earlier_results_and_a_dataset_in_it(tmp_path, capsys, caplog):
    """P9-F9: the probe's run2 had an error record for run1.jsonl (exit 1), and the dataset's records came out twice
    ("records#1#item_1", "train#1#item_1") with an error for its empty validation.jsonl."""
    inputs = write_filings(tmp_path / "in", [0, 1])
    dataset = _dataset_in(inputs, tmp_path)
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        assert _summarize(server, str(inputs / "acme_10k_2020.txt"), str(inputs / "borealis_10k_2020.txt"),
                          "--out", str(inputs / "run1.jsonl")) == 0
        capsys.readouterr()
        sent_before = server.requests
        with caplog.at_level(logging.WARNING):
            status = _summarize(server, str(inputs), "--out", str(tmp_path / "run2.jsonl"))
        sent = server.requests - sent_before
        logged = [r.getMessage() for r in caplog.records if "filingsum's own outputs" in r.getMessage()]
        api = Summarizer.from_endpoint(server.base_url, "fake", config={"model": {"name": "tiny-random"}},
                                       max_retries=0).summarize_files([inputs])  # the Python API finds the same
    err = capsys.readouterr().err
    rows = [json.loads(line) for line in (tmp_path / "run2.jsonl").read_text(encoding="utf-8").splitlines()]
    observe("`summarize DIR` where DIR holds an earlier results file and a built dataset", status, err,
            wrong=len(rows) - 2)
    assert status == 0, err[-3000:]
    assert [r["id"] for r in rows] == ["acme_10k_2020#item_1", "borealis_10k_2020#item_1"], rows
    assert all(r["error"] is None for r in rows) and sent == 2 and "2 summarized, 0 failed" in err
    (line,) = logged  # one line for both
    assert "1 earlier summaries file (" in line and "run1.jsonl" in line, line
    assert f"1 earlier dataset ({dataset.resolve()}: its " in line, line
    assert [r.id for r in api] == [r["id"] for r in rows] and all(r.summary == ANSWER for r in api), api


def test_summarize_of_a_dataset_dir_says_it_holds_no_filings_and_its_split_can_be_named(tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    dataset = _dataset_in(inputs, tmp_path)
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        status = _summarize(server, str(dataset), "--out", str(tmp_path / "sums.jsonl"))
        err = capsys.readouterr().err
        assert status == 2 and server.requests == 0, err[-3000:]
        assert "no filings to summarize: it holds only filingsum's own outputs (1 earlier dataset (" in err, err
        assert "name its records.jsonl or a split file to summarize a dataset's records" in err
        assert not (tmp_path / "sums.jsonl").exists()
        records = (dataset / "records.jsonl").read_text(encoding="utf-8").splitlines()
        assert _summarize(server, str(dataset / "records.jsonl"), "--out", str(tmp_path / "sums.jsonl")) == 0
    rows = [json.loads(line) for line in (tmp_path / "sums.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(records) and all(r["id"].startswith("records#") for r in rows), rows
