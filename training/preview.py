"""`filingsum data preview`: the training examples of a built dataset as the model sees them.

Each record goes through `training.data.encode_record`, the function training tokenizes with (chat template,
-100 on the prompt, label cut at the summary cap), so the preview shows what training trains on: the prompt
as the model's chat template renders it, the label, which tokens carry the loss, the token counts against the
budgets (``model.max_source_tokens``, ``model.max_summary_tokens``, the model's context) and where the window
came from. It returns data; the CLI prints it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filingsum.core.config import RunConfig
from filingsum.core.errors import UsageError
from filingsum.core.schema import FilingRecord

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

IGNORE_INDEX = -100  # labels the loss skips


@dataclass(frozen=True)
class ExamplePreview:
    """One record as a training example."""

    record: FilingRecord
    split: str
    seq2seq: bool
    prompt: str  # the prompt as the chat template renders it (seq2seq: the source string)
    input_ids: list[int]
    labels: list[int]
    masked_ids: list[int]  # the input ids that carry no loss (decoder: the prompt; seq2seq: the whole source)
    loss_ids: list[int]  # the ids that carry the loss: the summary and the end-of-turn token
    masked_text: str  # masked_ids decoded (special tokens kept)
    loss_text: str  # loss_ids decoded
    source_tokens: int  # the filing text's tokens, counted as the dataset builder counts them
    label_cut: bool  # the reference was over the summary cap and was cut, as training cuts it
    max_source_tokens: int
    max_summary_tokens: int
    context: int | None  # the model's context (decoders); a longer example is skipped by training

    @property
    def fits_context(self) -> bool:
        return self.context is None or len(self.input_ids) <= self.context


@dataclass(frozen=True)
class DatasetPreview:
    data_dir: Path
    split: str
    model: str
    total: int  # records in the split that training would use
    examples: list[ExamplePreview]


def _split_holding(data_dir: Path, record_id: str, *, skip: str) -> str | None:
    """The other split of the dataset whose records (as training reads them) include ``record_id``, if any."""
    from filingsum.core.schema import SPLITS
    from filingsum.training.data import TrainingDataError, load_records

    for other in SPLITS:
        path = data_dir / f"{other}.jsonl"
        if other == skip or not path.is_file():
            continue
        try:
            if any(r.id == record_id for r in load_records(path)):
                return other
        except TrainingDataError:  # an unreadable other split: not where the id is
            continue
    return None


def preview_dataset(
    config: RunConfig, split: str = "train", n: int = 3, record_id: str | None = None,
    data_dir: str | Path | None = None,
) -> DatasetPreview:
    """The first ``n`` records of a split (or the one with ``record_id``) of the built dataset (data.out_dir,
    or ``data_dir``), encoded exactly as `filingsum train` encodes them. UsageError when the split is missing
    or the id is not in it."""
    from transformers import AutoConfig

    from filingsum.core.models import is_seq2seq, load_tokenizer, resolve_model
    from filingsum.core.tokens import token_count
    from filingsum.training.data import load_records

    data_dir = Path(data_dir or config.data.out_dir)
    path = data_dir / f"{split}.jsonl"
    if not path.is_file():
        raise UsageError(f"{path}: no {split} split; build the dataset first with `filingsum data build --config ...` "
                         "(data.out_dir), or pick another --split")
    records = load_records(path)  # as training reads them: rows without a reference are skipped
    if not records:
        raise UsageError(f"{path}: no records with a reference summary in the {split} split; pick another --split")
    if record_id is not None:
        chosen = [r for r in records if r.id == record_id]
        if not chosen:
            elsewhere = _split_holding(data_dir, record_id, skip=split)
            if elsewhere is not None:
                raise UsageError(f"{path}: no record with id {record_id!r} in the {split} split; it is in the "
                                 f"{elsewhere} split: --split {elsewhere}")
            guess = difflib.get_close_matches(record_id, [r.id for r in records], n=1, cutoff=0.4)
            hint = f" (did you mean {guess[0]!r}?)" if guess else ""
            raise UsageError(f"{path}: no record with id {record_id!r}{hint}")
    else:
        chosen = records[: max(0, n)]
    model_dir = resolve_model(config.model.name)
    model_config = AutoConfig.from_pretrained(model_dir, trust_remote_code=config.model.trust_remote_code)
    seq2seq = is_seq2seq(model_config)
    tokenizer = load_tokenizer(model_dir)
    context = None if seq2seq else getattr(model_config, "max_position_embeddings", None)
    examples = [
        preview_example(tokenizer, record, split=split, seq2seq=seq2seq, config=config, context=context,
                        source_tokens=token_count(record.text, tokenizer))
        for record in chosen
    ]
    return DatasetPreview(data_dir, split, config.model.name, len(records), examples)


def preview_example(
    tokenizer: PreTrainedTokenizerBase, record: FilingRecord, *, split: str, seq2seq: bool, config: RunConfig,
    context: int | None = None, source_tokens: int = 0,
) -> ExamplePreview:
    """One record through training's own encoding (`training.data.encode_record`)."""
    from filingsum.core.prompt import render_prompt
    from filingsum.training.data import encode_record

    cap = config.max_summary_tokens()
    example: dict[str, Any] = encode_record(tokenizer, record, seq2seq=seq2seq, max_summary_tokens=cap)
    input_ids, labels = list(example["input_ids"]), list(example["labels"])
    loss_ids = [t for t in labels if t != IGNORE_INDEX]
    masked_ids = input_ids if seq2seq else input_ids[: len(labels) - len(loss_ids)]
    full_label = tokenizer(record.reference.strip() if record.reference else "", add_special_tokens=False)["input_ids"]
    return ExamplePreview(
        record=record, split=split, seq2seq=seq2seq,
        prompt=render_prompt(tokenizer, record.text, record.instruction, seq2seq=seq2seq),
        input_ids=input_ids, labels=labels, masked_ids=masked_ids, loss_ids=loss_ids,
        masked_text=tokenizer.decode(masked_ids), loss_text=tokenizer.decode(loss_ids),
        source_tokens=source_tokens, label_cut=len(full_label) > cap,
        max_source_tokens=config.model.max_source_tokens, max_summary_tokens=cap, context=context,
    )
