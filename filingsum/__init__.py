"""filingsum: faithful business-model summaries of SEC filings with a small, self-hosted model.

The Python API (`filingsum.api`), imported on first use so that `import filingsum` stays fast:

    from filingsum import Summarizer, summarize_file, load_config
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from filingsum.core import __version__

if TYPE_CHECKING:
    from filingsum.api import Summarizer, SummaryResult, load_config, summarize_file

__all__ = ["Summarizer", "SummaryResult", "__version__", "load_config", "summarize_file"]


def __getattr__(name: str) -> Any:
    if name in ("Summarizer", "SummaryResult", "load_config", "summarize_file"):
        from filingsum import api

        return getattr(api, name)
    raise AttributeError(f"module 'filingsum' has no attribute {name!r}")
