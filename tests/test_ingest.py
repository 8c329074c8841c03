"""Ingestion: discovery, decoding, kinds of input, metadata detection, and clear errors for bad input."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fixtures_text import (
    CREXENDO_10K,
    CREXENDO_10Q,
    FUSION_10K,
    SHARED_FILINGS,
    load_shared,
    sgml_submission,
    synthetic_10k_html,
)

from filingsum.filings.ingest import (
    IngestError,
    canonical_company,
    company_from_file_name,
    detect_form,
    discover_inputs,
    load_documents,
)


def test_discover_inputs_files_dirs_globs_sorted_and_deduplicated(tmp_path: Path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.html").write_text("<html><body><p>x</p></body></html>")
    (tmp_path / "b" / "notes.bin").write_bytes(b"\x00\x01")
    (tmp_path / "b" / ".hidden.txt").write_text("secret")
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "c.jsonl").write_text('{"text": "gamma"}\n')

    found = discover_inputs([str(tmp_path), str(tmp_path / "a.txt"), str(tmp_path / "*.txt")])

    # a.txt named three ways comes back once; the .bin and the hidden file are left out; sorted by path
    assert found == [tmp_path / "a.txt", tmp_path / "b" / "two.html", tmp_path / "c.jsonl"]


def test_discover_inputs_rejects_a_spec_that_matches_nothing(tmp_path: Path):
    with pytest.raises(IngestError, match="no such file"):
        discover_inputs([str(tmp_path / "missing.txt")])
    with pytest.raises(IngestError, match="matches no files"):
        discover_inputs([str(tmp_path / "*.htm")])


def test_prompt_wrapped_seed_splits_off_the_request():
    (doc,) = load_documents(CREXENDO_10K)
    assert doc.kind == "prompt"
    assert doc.instruction.startswith("Summarize the business model from the following text.")
    assert "details of financing" in doc.instruction
    assert "Prompt:" not in doc.text and "Summarize the business model" not in doc.text
    assert doc.text.lstrip().startswith("ITEM 1.")
    assert (doc.form, doc.company, doc.fiscal_period) == ("10-K", "Crexendo", "2016")


def test_fusion_seed_metadata():
    (doc,) = load_documents(FUSION_10K)
    assert doc.kind == "prompt" and doc.form == "10-K"
    assert doc.company == "Fusion"
    assert "Fusion Telecommunications International, Inc." in doc.text


def test_plain_text_10q_seed_is_detected_as_10q():
    (doc,) = load_documents(CREXENDO_10Q)
    assert doc.kind == "text" and doc.instruction is None
    assert doc.form == "10-Q"
    # "the year ended December 31, 2019" in the text refers to the 10-K, not this report's period
    assert doc.fiscal_period == "2020-Q3"


def test_synthetic_html_uses_inline_xbrl_cover_facts(tmp_path: Path):
    path = tmp_path / "acme-10k.htm"
    path.write_text(synthetic_10k_html(company="ACME WIDGETS, INC."))
    (doc,) = load_documents(path)
    assert doc.kind == "html" and doc.html is not None
    assert (doc.form, doc.company, doc.fiscal_period) == ("10-K", "Acme Widgets", "2023-12-31")
    assert "designs and sells industrial widgets" in doc.text
    assert "<p>" not in doc.text


def test_sgml_full_submission_takes_the_main_10k_document(tmp_path: Path):
    path = tmp_path / "0000000000-24-000001.txt"
    path.write_text(sgml_submission(synthetic_10k_html(with_xbrl=False)))
    (doc,) = load_documents(path)
    assert doc.kind == "sgml" and doc.form == "10-K"
    assert doc.company == "Acme Widgets"  # COMPANY CONFORMED NAME, canonicalised
    assert doc.fiscal_period == "2023-12-31"  # CONFORMED PERIOD OF REPORT 20231231
    assert "designs and sells industrial widgets" in doc.text
    assert "Subsidiaries of the registrant" not in doc.text  # the EX-21 document is not the filing


def test_sgml_submission_with_a_plain_text_10q(tmp_path: Path):
    body = CREXENDO_10Q.read_text(encoding="utf-8")
    text = sgml_submission(body).replace("<TYPE>10-K", "<TYPE>10-Q").replace("20231231", "20200930")
    path = tmp_path / "0001140361-20-025511.txt"
    path.write_text(text)
    (doc,) = load_documents(path)
    assert (doc.kind, doc.form, doc.fiscal_period, doc.html) == ("sgml", "10-Q", "2020-09-30", None)
    assert doc.text.startswith("This section and other parts of this Form 10-Q")


def test_sgml_submission_without_a_10k_or_10q_is_an_error(tmp_path: Path):
    path = tmp_path / "s.txt"
    path.write_text(sgml_submission("<html><body>x</body></html>").replace("<TYPE>10-K", "<TYPE>8-K"))
    with pytest.raises(IngestError, match=r"no 10-K or 10-Q document.*EX-21, 8-K"):
        load_documents(path)


def test_jsonl_gives_one_document_per_usable_line(tmp_path: Path, caplog):
    path = tmp_path / "batch.jsonl"
    rows = [
        {"text": "ITEM 1. BUSINESS\nWe sell widgets to manufacturers.", "company": "Acme", "form": "10k"},
        {"text": "Quarterly MD&A text for this Form 10-Q."},
        {"company": "no text here"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    with caplog.at_level(logging.WARNING):
        docs = load_documents(path)
    assert [d.kind for d in docs] == ["jsonl", "jsonl"]
    assert docs[0].company == "Acme" and docs[0].form == "10-K"
    assert docs[1].form == "10-Q"
    assert docs[0].source_path.endswith("batch.jsonl#1") and docs[1].source_path.endswith("#2")
    assert "line 3" in caplog.text and "line 4" in caplog.text
    assert any("2 unusable line(s)" in w for w in docs[0].warnings)


def test_jsonl_without_usable_rows_is_an_error(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"title": "x"}\n')
    with pytest.raises(IngestError, match="no usable rows"):
        load_documents(path)


def test_empty_file_is_an_error(tmp_path: Path):
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n")
    with pytest.raises(IngestError, match="empty") as info:
        load_documents(path)
    assert info.value.path == str(path)


def test_binary_file_is_an_error(tmp_path: Path):
    path = tmp_path / "filing.txt"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    with pytest.raises(IngestError, match="binary"):
        load_documents(path)


def test_file_over_the_size_limit_is_an_error_that_says_so(tmp_path: Path):
    path = tmp_path / "huge.txt"
    path.write_text("ITEM 1. BUSINESS\n" + "We sell widgets. " * 200_000)  # ~3.2 MB (MiB, as data.max_file_mb)
    with pytest.raises(IngestError, match=r"3\.24 MB, over the 2 MB limit") as raised:
        load_documents(path, max_bytes=2 * 1024 * 1024)
    with pytest.raises(IngestError, match=r"file is 3\.24 MB, over the 0\.03 MB limit"):  # probe F29: "0.0 MB, over"
        load_documents(path, max_bytes=int(0.03 * 1024 * 1024))
    small = tmp_path / "small.txt"
    small.write_text("x" * 40_000)
    with pytest.raises(IngestError, match=r"file is 0\.0381 MB, over the 0\.03 MB limit"):
        load_documents(small, max_bytes=int(0.03 * 1024 * 1024))
    # the fix names settings that exist: the config key and the summarize flag
    assert "data.max_file_mb" in str(raised.value) and "--max-file-mb" in str(raised.value)
    assert load_documents(path)[0].text.startswith("ITEM 1.")  # the default 50 MB limit lets it through


def test_cp1252_text_is_decoded_with_a_warning(tmp_path: Path):
    path = tmp_path / "legacy_10k_2001.txt"
    text = "ITEM 1. BUSINESS\nThe Company\u2019s \u201cCaf\u00e9\u201d brand \u2013 sold for \u20ac5."
    path.write_bytes(text.encode("cp1252"))
    (doc,) = load_documents(path)
    assert "Company\u2019s \u201cCaf\u00e9\u201d brand \u2013 sold for \u20ac5" in doc.text
    assert any("cp1252" in w for w in doc.warnings)


def test_undecodable_garbage_is_an_error(tmp_path: Path):
    path = tmp_path / "garbage.txt"
    path.write_bytes(bytes(range(0xA0, 0x100)) * 50)  # valid cp1252, but no text at all
    with pytest.raises(IngestError, match="undecodable"):
        load_documents(path)


def test_html_without_text_is_an_error(tmp_path: Path):
    path = tmp_path / "soup.html"
    path.write_text("<html><head><script>var x = 1;</script></head><body><div><img src='a.png'></div></body></html>")
    with pytest.raises(IngestError, match="no extractable text"):
        load_documents(path)


@pytest.mark.parametrize(
    ("name", "company"),
    [
        ("crexendo_10k_2016_item1_prompt.txt", "Crexendo"),
        ("aapl-10-k-2024-11-01.html", "AAPL"),
        ("acme_widgets_10q_2020q3.txt", "Acme Widgets"),
        ("10k_2016.txt", None),
    ],
)
def test_company_from_file_name(name: str, company: str | None):
    assert company_from_file_name(name) == company


def test_canonical_company_gives_one_spelling_per_company():
    assert canonical_company("THE BOEING COMPANY") == canonical_company("BOEING CO") == "Boeing"
    assert canonical_company("AMAZON.COM, INC.") == "Amazon.com"
    assert canonical_company("Meta Platforms, Inc.") == "Meta Platforms"
    # "& Company" goes whole: the registrant name of wfc-10-k-2025-02-25.html was "Wells Fargo &"
    assert canonical_company("WELLS FARGO & COMPANY") == canonical_company("Wells Fargo & Co.") == "Wells Fargo"
    assert canonical_company("Johnson & Johnson") == "Johnson & Johnson"


def test_detect_form_prefers_the_cover_page_over_references_to_other_forms():
    text = "FORM 10-Q\nQUARTERLY REPORT\nRead with our Annual Report on Form 10-K for the year ended 2019."
    assert detect_form(text) == "10-Q"
    assert detect_form("Our results, discussed in this Annual Report on Form 10-K, were good.") == "10-K"
    assert detect_form("no clue here", "notes.txt") == "unknown"


@pytest.mark.skipif(not SHARED_FILINGS.is_dir(), reason="../shared/filings is absent")
def test_real_edgar_html_metadata_from_inline_xbrl():
    doc = load_shared("ko-10-q-2025-07-24.html")
    assert (doc.kind, doc.form, doc.company, doc.fiscal_period) == ("html", "10-Q", "Coca Cola", "2025-06-27")
    assert doc.parsed_html is not None and "Coca-Cola" in doc.text


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_unicode_filings_with_a_byte_order_mark_are_decoded(tmp_path: Path, codec: str):
    text = "ITEM 1. BUSINESS\n\nAcmé Corp sells widgets to retailers — and earns fees from service plans.\n"
    path = tmp_path / "acme_10k_2020.txt"
    bom = {"utf-16": b"", "utf-16-be": "\ufeff".encode("utf-16-be"), "utf-32": b""}[codec]
    path.write_bytes(bom + text.encode(codec))  # utf-16 / utf-32 write their own (little-endian) BOM
    (doc,) = load_documents(path)
    assert "Acmé Corp sells widgets to retailers — and earns fees" in doc.text
    # NUL bytes without a byte-order mark are still binary
    path.write_bytes(text.encode("utf-16-le"))
    with pytest.raises(IngestError, match="binary"):
        load_documents(path)
