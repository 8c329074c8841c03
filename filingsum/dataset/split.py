"""Split records by company, so no company's filings leak between train, validation and test.

Companies are ordered by a seeded hash of their normalised name and dealt out: the first ones to test, the
next to validation, the rest to train. The order of one company does not depend on which others are present,
so adding filings moves few companies between splits. Train always gets at least one company; a split with
a non-zero fraction gets at least one company when there are enough to keep train non-empty (test first).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from filingsum.core.config import SplitConfig
from filingsum.core.schema import SPLITS, FilingRecord

_LEGAL_SUFFIXES = re.compile(
    r"\b(?:inc|incorporated|corp|corporation|co|company|ltd|limited|llc|lp|plc|holdings?|group|nv|sa|ag)\b"
)


def company_key(name: str) -> str:
    """"Crexendo, Inc." and "CREXENDO INC" -> "crexendo"; punctuation, case and legal suffixes ignored."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    text = re.sub(r"[^a-z0-9 ]+", " ", text.replace(".", ""))
    stripped = " ".join(_LEGAL_SUFFIXES.sub(" ", text).split())
    return stripped or " ".join(text.split()) or "unknown"


def _order(key: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def split_sizes(groups: int, config: SplitConfig) -> dict[str, int]:
    """How many companies go to each split."""
    test = round(groups * config.test)
    validation = round(groups * config.validation)
    # A requested split gets one company if train still keeps one (test before validation: eval needs it).
    if config.test > 0 and test == 0 and groups - validation >= 2:
        test = 1
    if config.validation > 0 and validation == 0 and groups - test >= 2:
        validation = 1
    while test + validation >= groups and (test or validation):
        if validation >= test and validation:
            validation -= 1
        else:
            test -= 1
    return {"train": groups - test - validation, "validation": validation, "test": test}


def assign_splits(companies: Sequence[str], config: SplitConfig) -> dict[str, str]:
    """Split name per company key: pinned companies (``config.companies``) first, the rest dealt by fractions."""
    pinned = {company_key(c): split for split, names in config.companies.items() for c in names}
    keys = sorted({company_key(c) for c in companies} - set(pinned), key=lambda k: (_order(k, config.seed), k))
    sizes = split_sizes(len(keys), config)
    assignment: dict[str, str] = {}
    for i, key in enumerate(keys):
        if i < sizes["test"]:
            assignment[key] = "test"
        elif i < sizes["test"] + sizes["validation"]:
            assignment[key] = "validation"
        else:
            assignment[key] = "train"
    assignment.update({key: split for key, split in pinned.items() if key in {company_key(c) for c in companies}})
    return assignment


def split_records(records: Sequence[FilingRecord], config: SplitConfig) -> tuple[list[FilingRecord], list[str]]:
    """Records with ``split`` set, and warnings naming splits left empty."""
    assignment = assign_splits([r.company for r in records], config)
    out = [r.model_copy(update={"split": assignment[company_key(r.company)]}) for r in records]
    warnings: list[str] = []
    used = set(assignment.values())
    companies = len(assignment)
    for name in SPLITS:
        fraction = {"train": 1.0, "validation": config.validation, "test": config.test}[name]
        if name not in used and fraction > 0:
            warnings.append(
                f"split '{name}' is empty: {companies} compan{'y' if companies == 1 else 'ies'} "
                "cannot fill every split without sharing a company"
            )
    return out, warnings
