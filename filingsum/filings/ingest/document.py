"""A filing as loaded from disk (`SourceDocument`), and the error for a file that cannot be one (`IngestError`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

from filingsum.core.errors import FilingsumError
from filingsum.core.names import printable, storable
from filingsum.core.schema import FormType
from filingsum.core.text import unify_line_ends

DocumentKind = Literal["text", "html", "sgml", "prompt", "jsonl"]
Form = FormType


class IngestError(FilingsumError):
    """A file that cannot be used as a filing, with the reason in words."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path = printable(path)  # a name that is not UTF-8, escaped: the message is printed and stored
        self.reason = printable(reason)
        super().__init__(f"{self.path}: {reason}")


@dataclass
class SourceDocument:
    """One filing as loaded from disk, before sectioning and cleaning."""

    source_path: str
    text: str
    kind: DocumentKind
    instruction: str | None = None
    form: Form = "unknown"
    company: str | None = None
    fiscal_period: str | None = None
    html: str | None = None
    warnings: list[str] = field(default_factory=list)
    # The edgartools Document for HTML inputs, kept so sectioning does not parse the HTML twice.
    parsed_html: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The file's name becomes records, ids and results: one that is not UTF-8 is escaped here once
        # (filingsum.core.names); its control characters stay (the data names the real file; what is shown
        # escapes them). A company name detected from it is escaped for display.
        self.source_path = storable(self.source_path)
        # Files come decoded with LF line ends (ingest.decode); a JSONL row's text or a caller's may hold "\r".
        self.text = unify_line_ends(self.text)
        if self.company is not None:
            self.company = printable(self.company)
