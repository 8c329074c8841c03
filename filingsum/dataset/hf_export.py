"""The dataset as a Hugging Face `datasets.DatasetDict` (train/validation/test) saved to disk: its features
(the record schema as Arrow types) and the save."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from filingsum.core.schema import SPLITS, FilingRecord


def hf_features() -> Any:
    from datasets import Features, List, Value

    return Features({
        "id": Value("string"), "company": Value("string"), "form": Value("string"),
        "fiscal_period": Value("string"), "source_path": Value("string"), "content_hash": Value("string"),
        "section": Value("string"), "instruction": Value("string"), "text": Value("string"),
        "char_count": Value("int64"), "token_count": Value("int64"), "kept_ratio": Value("float64"),
        "warnings": List(Value("string")), "reference": Value("string"), "reference_origin": Value("string"),
        "split": Value("string"),
    })


def write_hf(records: Sequence[FilingRecord], target: Path) -> None:
    """Save a DatasetDict (train/validation/test, empty splits allowed) at ``target`` (inside the staging dir)."""
    from datasets import Dataset, DatasetDict

    features = hf_features()
    dd = DatasetDict({
        name: Dataset.from_list([r.model_dump() for r in records if r.split == name], features=features)
        if any(r.split == name for r in records)
        else Dataset.from_dict({k: [] for k in features}, features=features)
        for name in SPLITS
    })
    dd.save_to_disk(str(target))
