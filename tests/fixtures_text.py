"""Builders of synthetic filings for the ingest/sections/clean tests (plain helpers, not fixtures)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"
SHARED_FILINGS = REPO.parent / "shared" / "filings"

CREXENDO_10K = SAMPLES / "crexendo_10k_2016_item1_prompt.txt"
FUSION_10K = SAMPLES / "fusion_10k_2016_item1_prompt.txt"
CREXENDO_10Q = SAMPLES / "crexendo_10q_2020q3_mdna.txt"

BUSINESS_BODY = (
    "Acme Widgets, Inc. designs and sells industrial widgets to manufacturers in North America. "
    "We generate revenue from product sales and from annual maintenance subscriptions. "
    "Our customers are mid-sized manufacturers and distributors; no customer exceeded 10% of net sales. "
    "We sell through a direct sales force and a network of 120 independent distributors. "
    "In 2023 we entered into a $50.0 million revolving credit facility with First Bank, N.A."
)
MDNA_BODY = (
    "Net sales increased 12% to $412.3 million in 2023, driven by higher widget volumes. "
    "Gross margin was 41.2% compared to 39.8% in the prior year."
)


def synthetic_10k_html(company: str = "Acme Widgets, Inc.", *, with_xbrl: bool = True) -> str:
    """A small 10-K as EDGAR-style HTML (optionally with inline XBRL cover facts)."""
    dei = (
        '<div style="display:none"><ix:header><ix:hidden>'
        '<ix:nonNumeric name="dei:DocumentType" contextRef="c1">10-K</ix:nonNumeric>'
        f'<ix:nonNumeric name="dei:EntityRegistrantName" contextRef="c1">{company}</ix:nonNumeric>'
        '<ix:nonNumeric name="dei:DocumentPeriodEndDate" contextRef="c1">December 31, 2023</ix:nonNumeric>'
        "</ix:hidden></ix:header></div>"
        if with_xbrl
        else ""
    )
    return f"""<html><head><title>10-K</title></head><body>{dei}
<p style="text-align:center"><b>UNITED STATES SECURITIES AND EXCHANGE COMMISSION</b></p>
<p style="text-align:center"><b>FORM 10-K</b></p>
<p>ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934</p>
<p>For the fiscal year ended December 31, 2023</p>
<p><b>{company}</b></p>
<p>(Exact name of registrant as specified in its charter)</p>
<p><b>PART I</b></p>
<p><b>Item 1. Business</b></p>
<p>{BUSINESS_BODY}</p>
<p>{BUSINESS_BODY.replace("2023", "2022")}</p>
<p><b>Item 1A. Risk Factors</b></p>
<p>Our business depends on a small number of suppliers of specialty steel, and any disruption could hurt sales.</p>
<p><b>PART II</b></p>
<p><b>Item 7. Management's Discussion and Analysis of Financial Condition and Results of Operations</b></p>
<p>{MDNA_BODY}</p>
<table>
<tr><td></td><td>2023</td><td>2022</td></tr>
<tr><td>Net sales</td><td>$412.3</td><td>$368.1</td></tr>
</table>
<p><b>Item 8. Financial Statements and Supplementary Data</b></p>
<p>See the financial statements beginning on page F-1.</p>
</body></html>"""


def sgml_submission(main_html: str) -> str:
    """An EDGAR full submission: header, the 10-K document (HTML) and an exhibit document."""
    return f"""<SEC-DOCUMENT>0000000000-24-000001.txt : 20240301
<SEC-HEADER>0000000000-24-000001.hdr.sgml : 20240301
ACCESSION NUMBER:		0000000000-24-000001
CONFORMED SUBMISSION TYPE:	10-K
PUBLIC DOCUMENT COUNT:		2
CONFORMED PERIOD OF REPORT:	20231231
FILED AS OF DATE:		20240301

FILER:

	COMPANY DATA:
		COMPANY CONFORMED NAME:			ACME WIDGETS INC
		CENTRAL INDEX KEY:			0000000000
</SEC-HEADER>
<DOCUMENT>
<TYPE>EX-21
<SEQUENCE>2
<FILENAME>ex21.htm
<DESCRIPTION>SUBSIDIARIES
<TEXT>
<html><body><p>Subsidiaries of the registrant: Acme Widgets Europe GmbH.</p></body></html>
</TEXT>
</DOCUMENT>
<DOCUMENT>
<TYPE>10-K
<SEQUENCE>1
<FILENAME>acme-20231231.htm
<DESCRIPTION>10-K
<TEXT>
{main_html}
</TEXT>
</DOCUMENT>
</SEC-DOCUMENT>
"""


def toc_heavy_text() -> str:
    """A plain-text 10-K: cover, a table of contents listing every item, then the real items."""
    toc = "\n".join(
        f"Item {num}. {title} {page}"
        for num, title, page in [
            ("1", "Business", 3), ("1A", "Risk Factors", 9), ("1B", "Unresolved Staff Comments", 20),
            ("2", "Properties", 20), ("3", "Legal Proceedings", 21), ("7", "Management's Discussion and Analysis", 25),
            ("8", "Financial Statements", 40),
        ]
    )
    return f"""UNITED STATES SECURITIES AND EXCHANGE COMMISSION
FORM 10-K
ACME WIDGETS, INC.
(Exact name of registrant as specified in its charter)
For the fiscal year ended December 31, 2023

TABLE OF CONTENTS
PART I
{toc}

PART I

ITEM 1. BUSINESS

{BUSINESS_BODY}

For a discussion of our results, see Item 7. Management's Discussion and Analysis, below.
Item 7 of this report also describes our liquidity.

ITEM 1A. RISK FACTORS

Our business depends on a small number of suppliers of specialty steel.

ITEM 2. PROPERTIES

We lease our headquarters in Dayton, Ohio.

PART II

ITEM 7. MANAGEMENT'S DISCUSSION AND ANALYSIS OF FINANCIAL CONDITION AND RESULTS OF OPERATIONS

{MDNA_BODY}

ITEM 8. FINANCIAL STATEMENTS

See page F-1.
"""


@lru_cache(maxsize=4)
def load_shared(name: str):
    """A real EDGAR filing loaded once per test session (parsing takes about a second)."""
    from filingsum.filings.ingest import load_documents

    return load_documents(SHARED_FILINGS / name)[0]


# A faithful summary written by hand from the Crexendo 10-K seed (every figure and name is in it);
# the factual-precision tests plant errors into it, the metric tests score it.
CREXENDO_FAITHFUL_SUMMARY = (
    "Crexendo is a CLEC cloud services company that sells cloud telecommunications services, broadband "
    "Internet services and website hosting to businesses of any size at affordable monthly rates. Revenue is "
    "recurring: cloud telecommunications contracts typically run thirty-six to sixty months, and Crexendo also "
    "earns product revenue and equipment financing revenue from selling and leasing equipment. In 2016 the "
    "Cloud Telecommunications Services segment brought in $7.8 million of the $9.1 million consolidated "
    "revenue, and the Web Services segment $1.4 million. The company invested $826,000 in research and "
    "development in 2016. As of December 31, 2016 it had 53 employees, including 15 sales representatives. "
    "Its stock trades on the OTCQX Marketplace under the symbol CXDO."
)
