"""Clean a filing section's text into plain paragraphs (pure functions, no I/O).

Removes page furniture (page numbers, running headers/footers, vendor footers), turns bullet glyphs into
sentences, rejoins hard-wrapped lines (undoing hyphenation), keeps tables as readable rows
("Label: 2024 value | 2023 value") and never changes a number or a name. Output: paragraphs separated by
one blank line; the rows of one table stay on consecutive lines.

The steps, one module each: `lines` (characters normalised, rule lines and page furniture dropped), `tables`
(cells, numeric rows, wrapped values, row format), `classify` (table row, bullet, prose or blank) and
`assemble` (paragraphs, bullet sentences, table blocks). `injection` removes sentences that address the
model (`strip_prompt_injection`).
"""

from __future__ import annotations

from filingsum.core.text import normalise_whitespace
from filingsum.filings.clean.assemble import assemble_blocks
from filingsum.filings.clean.classify import classify_lines
from filingsum.filings.clean.injection import INJECTION_PATTERNS, strip_prompt_injection
from filingsum.filings.clean.lines import drop_page_furniture, split_lines
from filingsum.filings.clean.tables import merge_wrapped_cells

__all__ = ["INJECTION_PATTERNS", "clean_section_text", "strip_prompt_injection"]


def clean_section_text(text: str) -> str:
    """Cleaned text of a filing section: see the module docstring for what is removed and kept."""
    lines = drop_page_furniture(merge_wrapped_cells(split_lines(text)))
    blocks = assemble_blocks(classify_lines(lines))
    return normalise_whitespace("\n\n".join(blocks))
