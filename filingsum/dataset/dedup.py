"""Exact and near-duplicate detection for filing sections (deterministic, no external service).

Exact duplicates: equal SHA-256 of the whitespace-normalised text. Near duplicates: Jaccard similarity of
word 5-gram shingles at or above a threshold. Candidate pairs come from MinHash with LSH banding (numpy,
fixed seeds) so large corpora are not compared pairwise; every candidate is then verified with the exact
Jaccard, so the threshold is exact, not approximate.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from filingsum.core.text import content_hash

SHINGLE_WORDS = 5
NUM_PERMUTATIONS = 128
_MERSENNE = np.uint64((1 << 61) - 1)
_WORD = re.compile(r"\w+")


def _normalised(text: str) -> str:
    return " ".join(text.split())


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[int]:
    """Hashed word n-grams of a text (lower-cased); a text shorter than `size` words is one shingle."""
    words = _WORD.findall(text.lower())
    if not words:
        return set()
    if len(words) <= size:
        return {zlib.crc32(" ".join(words).encode())}
    return {zlib.crc32(" ".join(words[i:i + size]).encode()) for i in range(len(words) - size + 1)}


def jaccard(a: set[int], b: set[int]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _permutations(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, (1 << 31) - 1, size=NUM_PERMUTATIONS, dtype=np.uint64)
    b = rng.integers(0, (1 << 31) - 1, size=NUM_PERMUTATIONS, dtype=np.uint64)
    return a, b


_A, _B = _permutations()


def minhash(shingle_set: set[int]) -> np.ndarray:
    """MinHash signature (NUM_PERMUTATIONS values) of a shingle set; 32-bit inputs keep a*x+b inside uint64."""
    if not shingle_set:
        return np.full(NUM_PERMUTATIONS, np.iinfo(np.uint64).max, dtype=np.uint64)
    x = np.fromiter(shingle_set, dtype=np.uint64, count=len(shingle_set))
    hashed = (np.outer(x, _A) + _B) % _MERSENNE
    return hashed.min(axis=0)


def _bands(threshold: float) -> int:
    """Number of LSH bands: enough that pairs at the threshold become candidates with near certainty."""
    for bands in (16, 32, 64, 128):
        rows = NUM_PERMUTATIONS // bands
        if 1 - (1 - threshold**rows) ** bands >= 0.999:
            return bands
    return 128


def find_duplicates(texts: Sequence[str], threshold: float = 0.9) -> dict[int, int]:
    """Map each duplicate's index to the index of the earlier text it duplicates (the first one is kept).

    A text is a duplicate if its normalised content hash equals a kept text's, or if its shingle Jaccard
    with a kept text is >= `threshold`. Texts are visited in order and compared with kept texts only, so
    every value in the result is an index that is itself kept.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    duplicates: dict[int, int] = {}
    first_by_hash: dict[str, int] = {}
    kept_shingles: dict[int, set[int]] = {}
    bands = _bands(threshold)
    rows = NUM_PERMUTATIONS // bands
    buckets: list[dict[bytes, list[int]]] = [defaultdict(list) for _ in range(bands)]

    for index, text in enumerate(texts):
        digest = content_hash(_normalised(text))
        if digest in first_by_hash:
            duplicates[index] = first_by_hash[digest]
            continue
        shingle_set = shingles(text)
        signature = minhash(shingle_set)
        keys = [signature[b * rows:(b + 1) * rows].tobytes() for b in range(bands)]
        candidates = sorted({k for band, key in enumerate(keys) for k in buckets[band].get(key, ())})
        match = next((c for c in candidates if jaccard(shingle_set, kept_shingles[c]) >= threshold), None)
        if match is not None:
            duplicates[index] = match
            continue
        first_by_hash[digest] = index
        kept_shingles[index] = shingle_set
        for band, key in enumerate(keys):
            buckets[band][key].append(index)
    return duplicates
