"""Download a 10-K/10-Q primary document from EDGAR through edgartools, atomically.

The SEC asks every client to identify itself ("Name email@example.com"); pass `identity=` or set
EDGAR_IDENTITY. `year` is the fiscal year of the report (its period of report), falling back to the filing
year when EDGAR's index has no report date.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from filingsum.core.errors import FilingsumError
from filingsum.core.io import atomic_write_text

log = logging.getLogger(__name__)

SUPPORTED_FORMS = ("10-K", "10-Q")


class FetchError(FilingsumError):
    """A filing that cannot be fetched, with the reason in one line (the CLI prints it, exit 1)."""


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def _year_of(value: Any) -> int | None:
    if value is None:
        return None
    year = getattr(value, "year", None)
    if isinstance(year, int):
        return year
    text = str(value).strip()
    return int(text[:4]) if len(text) >= 4 and text[:4].isdigit() else None


def _fiscal_year(filing: Any) -> int | None:
    return _year_of(getattr(filing, "report_date", None)) or _year_of(getattr(filing, "filing_date", None))


def filing_file_name(ticker: str, form: str, filing_date: Any) -> str:
    """"aapl-10-k-2024-11-01.html": the naming used by ../shared/filings."""
    date = str(getattr(filing_date, "isoformat", lambda: filing_date)())[:10]
    return f"{ticker.lower()}-{form.lower()}-{date}.html"


def fetch_filing(
    ticker: str, form: str, year: int, out_dir: str | os.PathLike[str], identity: str | None = None
) -> Path:
    """Fetch the `form` filing of `ticker` for fiscal `year` into `out_dir`; returns the written HTML path.

    Raises FetchError when no identity is given, the form is not 10-K/10-Q, the company is unknown, no
    filing matches, or the filing has no HTML primary document. An existing file is not fetched again.
    """
    identity = identity or os.environ.get("EDGAR_IDENTITY")
    if not identity or "@" not in identity:
        raise FetchError(
            "EDGAR requires an identity like 'Jane Doe jane@example.com': pass identity= or set EDGAR_IDENTITY"
        )
    form = form.upper()
    if form not in SUPPORTED_FORMS:
        raise FetchError(f"form {form!r} is not supported; use one of {', '.join(SUPPORTED_FORMS)}")

    import edgar

    edgar.set_identity(identity)
    try:
        company = edgar.Company(ticker)
        unknown = company is None or getattr(company, "not_found", False)  # a lazy lookup: the network is here
    except Exception as exc:  # noqa: BLE001 (edgartools raises its own lookup errors; httpx its own)
        if "connect" in type(exc).__name__.lower() or isinstance(exc, OSError):
            raise FetchError(f"cannot reach SEC EDGAR ({_one_line(exc)}); `data fetch` needs network access: "
                             "fetch on a connected machine and copy the HTML into data/raw") from None
        raise FetchError(f"company {ticker!r} not found on EDGAR ({_one_line(exc)})") from None
    if unknown:
        raise FetchError(f"company {ticker!r} not found on EDGAR")

    try:
        filings = list(company.get_filings(form=form, amendments=False) or [])
    except Exception as exc:  # network or EDGAR index trouble
        raise FetchError(f"listing {form} filings of {ticker.upper()} on EDGAR failed ({_one_line(exc)})") from exc
    matching = [f for f in filings if _fiscal_year(f) == year]
    if not matching:
        years = sorted({y for y in (_fiscal_year(f) for f in filings) if y is not None})
        available = f"years on EDGAR: {', '.join(map(str, years))}" if years else "no such filings on EDGAR"
        raise FetchError(f"no {form} of {ticker.upper()} for fiscal year {year} ({available})")
    filing = max(matching, key=lambda f: str(getattr(f, "filing_date", "")))

    out_path = Path(out_dir) / filing_file_name(ticker, form, filing.filing_date)
    if out_path.exists() and out_path.stat().st_size > 0:
        log.info("%s already fetched", out_path)
        return out_path
    try:
        html = filing.html()
    except Exception as exc:  # edgartools raises its own, httpx's and parser errors alike: any is a failed download
        raise FetchError(f"downloading the {form} of {ticker.upper()} failed ({_one_line(exc)})") from exc
    if not html:
        raise FetchError(f"{form} of {ticker.upper()} filed {filing.filing_date} has no HTML primary document")
    atomic_write_text(out_path, html)
    log.info("fetched %s %s %s -> %s", ticker.upper(), form, year, out_path)
    return out_path
