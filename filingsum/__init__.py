"""filingsum: faithful business-model summaries of SEC filings with a small, self-hosted model."""

__version__ = "0.1.0"
