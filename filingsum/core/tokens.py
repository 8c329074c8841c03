"""Token counting with the model's tokenizer: the one counter every budget and limit uses.

Budgets (the source text fitted to ``model.max_source_tokens``), label filters, references, the eval limit
check and the clients all count plain text without special tokens, so a count means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

CountTokens = Callable[[str], int]


def token_count(text: str, tokenizer: PreTrainedTokenizerBase) -> int:
    """Tokens of ``text`` with the model's tokenizer (no special tokens), never a word count."""
    return len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


def token_counts(texts: list[str], tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """Batch form of token_count (one fast-tokenizer call)."""
    if not texts:
        return []
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]]


def token_counter(tokenizer: PreTrainedTokenizerBase) -> CountTokens:
    """``token_count`` bound to a tokenizer: the ``count_tokens`` callable the pure fitting functions take."""
    return lambda text: token_count(text, tokenizer)
