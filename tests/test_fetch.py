"""fetch_filing against a recorded-response fake of edgartools (no network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import edgar
import pytest
from fixtures_text import synthetic_10k_html

from filingsum.dataset.fetch import FetchError, fetch_filing
from filingsum.filings.ingest import load_documents

IDENTITY = "Jane Doe jane@example.com"


@dataclass
class FakeFiling:
    """The EntityFiling attributes fetch_filing reads, with a recorded primary document."""

    form: str
    filing_date: date
    report_date: str | None
    document: str | None
    html_calls: int = 0

    def html(self) -> str | None:
        self.html_calls += 1
        return self.document


@dataclass
class FakeEdgar:
    filings: dict[str, list[FakeFiling]]
    identities: list[str] = field(default_factory=list)
    queries: list[tuple[str, str, bool]] = field(default_factory=list)

    def set_identity(self, identity: str) -> None:
        self.identities.append(identity)

    def company(self, ticker: str):
        if ticker.upper() not in self.filings:
            raise ValueError(f"Company not found: {ticker}")
        fake = self

        class FakeCompany:
            not_found = False

            def get_filings(self, *, form: str, amendments: bool = True):
                fake.queries.append((ticker, form, amendments))
                return [f for f in fake.filings[ticker.upper()] if f.form == form]

        return FakeCompany()


@pytest.fixture
def fake_edgar(monkeypatch) -> FakeEdgar:
    html_2023 = synthetic_10k_html()
    fake = FakeEdgar(
        {
            "ACME": [
                FakeFiling("10-K", date(2024, 2, 28), "2023-12-31", html_2023),
                FakeFiling("10-K", date(2023, 3, 1), "2022-12-31", html_2023.replace("2023", "2022")),
                FakeFiling("10-Q", date(2024, 5, 2), "2024-03-31", None),
            ]
        }
    )
    monkeypatch.setattr(edgar, "set_identity", fake.set_identity)
    monkeypatch.setattr(edgar, "Company", fake.company)
    monkeypatch.delenv("EDGAR_IDENTITY", raising=False)
    return fake


def test_fetch_writes_the_primary_document_for_the_fiscal_year(fake_edgar: FakeEdgar, tmp_path: Path):
    path = fetch_filing("acme", "10-K", 2023, tmp_path / "filings", identity=IDENTITY)
    assert path == tmp_path / "filings" / "acme-10-k-2024-02-28.html"  # filed in 2024 for fiscal 2023
    assert fake_edgar.identities == [IDENTITY]
    assert fake_edgar.queries == [("acme", "10-K", False)]
    (doc,) = load_documents(path)
    assert doc.form == "10-K" and doc.fiscal_period == "2023-12-31"
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # written atomically


def test_fetch_does_not_download_twice(fake_edgar: FakeEdgar, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("EDGAR_IDENTITY", IDENTITY)
    first = fetch_filing("ACME", "10-k", 2022, tmp_path)
    second = fetch_filing("ACME", "10-K", 2022, tmp_path)
    assert first == second == tmp_path / "acme-10-k-2023-03-01.html"
    assert fake_edgar.filings["ACME"][1].html_calls == 1


def test_missing_identity_is_a_clear_error(fake_edgar: FakeEdgar, tmp_path: Path):
    with pytest.raises(FetchError, match="EDGAR requires an identity.*EDGAR_IDENTITY"):
        fetch_filing("ACME", "10-K", 2023, tmp_path)
    with pytest.raises(FetchError, match="identity"):
        fetch_filing("ACME", "10-K", 2023, tmp_path, identity="no email here")
    assert fake_edgar.identities == []


def test_no_matching_filing_lists_the_years_available(fake_edgar: FakeEdgar, tmp_path: Path):
    with pytest.raises(FetchError, match=r"no 10-K of ACME for fiscal year 2019 \(years on EDGAR: 2022, 2023\)"):
        fetch_filing("ACME", "10-K", 2019, tmp_path, identity=IDENTITY)
    assert list(tmp_path.iterdir()) == []


def test_unknown_company_unsupported_form_and_missing_html(fake_edgar: FakeEdgar, tmp_path: Path):
    with pytest.raises(FetchError, match="company 'NOPE' not found"):
        fetch_filing("NOPE", "10-K", 2023, tmp_path, identity=IDENTITY)
    with pytest.raises(FetchError, match="not supported"):
        fetch_filing("ACME", "8-K", 2023, tmp_path, identity=IDENTITY)
    with pytest.raises(FetchError, match="has no HTML primary document"):
        fetch_filing("ACME", "10-Q", 2024, tmp_path, identity=IDENTITY)


def test_cli_unknown_ticker_is_one_line_not_a_traceback(fake_edgar: FakeEdgar, tmp_path: Path, capsys):
    from filingsum.cli import main

    status = main(["data", "fetch", "--ticker", "NOPE", "--year", "2023", "--out", str(tmp_path),
                   "--identity", IDENTITY])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("filingsum: error: company 'NOPE' not found on EDGAR") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_usage_errors_exit_2_naming_the_flag_before_any_request(fake_edgar: FakeEdgar, tmp_path: Path, capsys,
                                                                    monkeypatch):
    """Probe F27: no identity, an identity without an e-mail (the message said `pass identity=`, the library's
    keyword) and an empty --ticker '' (sent to EDGAR) exited 1."""
    from test_faults import assert_one_line_failure, observe

    from filingsum.cli import main

    base = ["data", "fetch", "--year", "2023", "--out", str(tmp_path / "raw")]
    cases = {
        "no identity": (["--ticker", "ACME"], "--identity"),
        "an identity without an e-mail": (["--ticker", "ACME", "--identity", "Jane Doe"], "--identity 'Jane Doe'"),
        "an empty --ticker": (["--ticker", "", "--identity", IDENTITY], "--ticker ''"),
        "a --ticker with a space": (["--ticker", "AC ME", "--identity", IDENTITY], "--ticker 'AC ME'"),
    }
    for what, (extra, needle) in cases.items():
        status = main(base + extra)
        err = capsys.readouterr().err
        observe(f"`data fetch` with {what}", status, err)
        line = assert_one_line_failure(status, err, 2, needle)
        assert "identity=" not in line
    monkeypatch.setenv("EDGAR_IDENTITY", "no email here")
    status = main(base + ["--ticker", "ACME"])
    assert_one_line_failure(status, capsys.readouterr().err, 2, "$EDGAR_IDENTITY 'no email here' has no e-mail")
    assert fake_edgar.identities == [] and fake_edgar.queries == [] and not (tmp_path / "raw").exists()
