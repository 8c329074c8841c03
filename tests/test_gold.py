"""The hand-written gold summaries: one per seed filing, within budget, prose, and faithful in their figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"
SEEDS = REPO / "data" / "gold" / "seeds.jsonl"

MAX_SUMMARY_TOKENS = 512
NUMBER = re.compile(r"\d[\d,.]*")
# A line that opens like a list item or a heading: "-", "*", "•", "●", "?" (the seeds' mangled bullet), "#",
# "1." or "1)".
LIST_OR_HEADING = re.compile(r"^\s*(?:[-*•●?#]|\d+[.)])")


def _entries() -> list[dict]:
    return [json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text)


ENTRIES = _entries()


@pytest.fixture(scope="module")
def tokenizer():
    from filingsum.core.models import load_tokenizer

    return load_tokenizer("embedded:smollm2-135m-instruct")


def test_one_entry_per_sample_file() -> None:
    names = [entry["source_file"] for entry in ENTRIES]
    assert sorted(names) == sorted(path.name for path in SAMPLES.glob("*.txt"))
    assert len(names) == len(set(names))
    for entry in ENTRIES:
        assert entry["section"] == ("item_1" if entry["form"] == "10-K" else "part_i_item_2")
        assert entry["company"] and entry["fiscal_period"] and entry["author"]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["source_file"])
def test_summary_fits_the_token_budget(entry: dict, tokenizer) -> None:
    ids = tokenizer(entry["summary"], add_special_tokens=False)["input_ids"]
    assert 0 < len(ids) <= MAX_SUMMARY_TOKENS


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["source_file"])
def test_summary_is_continuous_prose(entry: dict) -> None:
    lines = [line for line in entry["summary"].splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, "one or two paragraphs"
    for line in lines:
        assert not LIST_OR_HEADING.match(line), line[:60]
    assert "**" not in entry["summary"]
    # the reference corpus's length rule, in the model's tokens (data/gold/WRITING.md)
    from filingsum.core.models import load_tokenizer
    from filingsum.core.tokens import token_counter
    from filingsum.dataset.corpus import CORPUS_MODEL, REFERENCE_MAX_TOKENS, REFERENCE_MIN_TOKENS

    n = token_counter(load_tokenizer(CORPUS_MODEL))(entry["summary"])
    assert REFERENCE_MIN_TOKENS <= n <= REFERENCE_MAX_TOKENS


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["source_file"])
def test_summary_is_about_the_company(entry: dict) -> None:
    from filingsum.quality.textdefects import meta_statements

    assert meta_statements(entry["summary"]) == []


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["source_file"])
def test_every_number_occurs_in_the_source(entry: dict) -> None:
    source = _normalised((SAMPLES / entry["source_file"]).read_text(encoding="utf-8"))
    numbers = [match.rstrip(",.") for match in NUMBER.findall(entry["summary"])]
    assert numbers, "a business-model summary of these filings quotes some figures"
    missing = [number for number in numbers if number not in source]
    assert not missing, f"figures not in {entry['source_file']}: {missing}"
