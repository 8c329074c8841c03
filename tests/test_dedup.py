"""Duplicate detection on real seed text and controlled edits of it."""

from __future__ import annotations

import random

import pytest
from fixtures_text import CREXENDO_10K, CREXENDO_10Q, FUSION_10K

from filingsum.dataset.dedup import content_hash, find_duplicates, jaccard, shingles
from filingsum.filings.sections import extract_filing_sections


@pytest.fixture(scope="module")
def seeds() -> list[str]:
    return [extract_filing_sections(p, ("item_1",))[0].text for p in (CREXENDO_10K, FUSION_10K, CREXENDO_10Q)]


def _edit_words(text: str, share: float, seed: int = 0) -> str:
    """Replace a share of the words with a marker: a controlled near-duplicate."""
    rng = random.Random(seed)
    words = text.split()
    for i in rng.sample(range(len(words)), int(len(words) * share)):
        words[i] = "EDITED"
    return " ".join(words)


def test_distinct_filings_are_not_duplicates(seeds: list[str]):
    assert find_duplicates(seeds) == {}


def test_exact_duplicate_up_to_whitespace_maps_to_the_first(seeds: list[str]):
    crexendo, fusion, _ = seeds
    reflowed = "  " + crexendo.replace("\n\n", "\n").replace(" ", "  ")
    assert find_duplicates([crexendo, fusion, reflowed, crexendo]) == {2: 0, 3: 0}


def test_near_duplicate_threshold(seeds: list[str]):
    fusion = seeds[1]
    light = _edit_words(fusion, 0.005)  # a handful of words changed: most 5-word shingles survive
    heavy = _edit_words(fusion, 0.2)  # one word in five changed: most shingles break
    assert jaccard(shingles(fusion), shingles(light)) >= 0.9
    assert jaccard(shingles(fusion), shingles(heavy)) < 0.5
    assert find_duplicates([seeds[0], fusion, light, heavy], threshold=0.9) == {2: 1}
    # a lower threshold also catches the heavier edit
    heavy_jaccard = jaccard(shingles(fusion), shingles(heavy))
    assert find_duplicates([fusion, heavy], threshold=max(0.05, heavy_jaccard - 0.05)) == {1: 0}


def test_duplicates_point_at_kept_texts_only(seeds: list[str]):
    a = seeds[1]
    b = _edit_words(a, 0.004, seed=1)
    c = _edit_words(b, 0.004, seed=2)
    result = find_duplicates([a, b, c], threshold=0.9)
    assert result == {1: 0, 2: 0}


def test_results_are_deterministic(seeds: list[str]):
    texts = [seeds[1], _edit_words(seeds[1], 0.005), seeds[0], _edit_words(seeds[0], 0.005)]
    assert find_duplicates(texts) == find_duplicates(list(texts)) == {1: 0, 3: 2}


def test_short_and_empty_texts_and_bad_threshold():
    assert find_duplicates(["", "", "Revenue grew.", "revenue  grew"]) == {1: 0, 3: 2}
    with pytest.raises(ValueError):
        find_duplicates(["a"], threshold=0)
    assert content_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
