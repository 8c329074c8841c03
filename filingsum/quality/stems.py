"""One memoised Porter stemmer for the checks that compare words by stem (claim alignment, table row labels)."""

from __future__ import annotations

from functools import lru_cache

from nltk.stem import porter

stem = lru_cache(maxsize=200_000)(porter.PorterStemmer().stem)
