"""Training data: FilingRecord JSONL -> tokenized `datasets.Dataset` -> padded batches.

Every example goes through `filingsum.core.prompt.encode_example`, the same contract eval and serving use, so
the model is trained on exactly the prompt it will be served with (decoder: chat template with the loss on
the summary + end-of-turn only; seq2seq: source -> target).

The data phase of `train` is `setup_data`: the train and validation records tokenized with labels cut at the
run's summary cap (`tokenize_splits`); the batch collator (`make_collator`) follows the model.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from filingsum.core.config import RunConfig
from filingsum.core.errors import FilingsumError
from filingsum.core.io import read_jsonl
from filingsum.core.prompt import encode_example
from filingsum.core.schema import SPLITS, FilingRecord

if TYPE_CHECKING:
    from datasets import Dataset
    from transformers import PreTrainedTokenizerBase

    from filingsum.training.model import ResolvedBase

log = logging.getLogger(__name__)


class TrainingDataError(FilingsumError):
    """The dataset cannot be trained on (missing train split, no usable records): exit 2, nothing started."""

    exit_status = 2


def load_records(path: str | Path) -> list[FilingRecord]:
    """Records with a non-empty reference from one JSONL file; invalid rows are logged and skipped."""
    path = Path(path)
    records: list[FilingRecord] = []
    try:
        rows = list(read_jsonl(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TrainingDataError(f"{path}: not a readable JSONL file ({exc})") from None
    for line_no, row in enumerate(rows, 1):
        try:
            record = FilingRecord.model_validate(row)
        except ValidationError as exc:
            log.warning("%s row %d: skipped, not a FilingRecord (%s)", path, line_no, exc.errors()[0]["msg"])
            continue
        if not (record.reference or "").strip() or not record.text.strip():
            log.warning("%s row %d (%s): skipped, empty text or reference", path, line_no, record.id)
            continue
        records.append(record)
    return records


def load_split_records(data_dir: str | Path) -> dict[str, list[FilingRecord]]:
    """train/validation/test records from a built dataset dir; train is required, the others optional."""
    data_dir = Path(data_dir)
    train_path = data_dir / "train.jsonl"
    if not train_path.is_file():
        raise TrainingDataError(
            f"{train_path}: no training data; build it first with `filingsum data build --config ...` "
            f"(data.out_dir)"
        )
    splits = {name: load_records(data_dir / f"{name}.jsonl") for name in SPLITS
              if (data_dir / f"{name}.jsonl").is_file()}
    if not splits["train"]:
        raise TrainingDataError(f"{train_path}: no records with a reference summary to train on")
    return splits


def data_fingerprint(records: list[FilingRecord]) -> str:
    """sha256 over the (id, text, reference) of the records, in order: what the run was trained on."""
    digest = hashlib.sha256()
    for r in records:
        digest.update(json.dumps([r.id, r.instruction, r.text, r.reference], ensure_ascii=False).encode())
    return digest.hexdigest()


def encode_record(
    tokenizer: PreTrainedTokenizerBase, record: FilingRecord, *, seq2seq: bool, max_summary_tokens: int
) -> dict[str, Any]:
    example = encode_example(tokenizer, record.text, record.reference or "", record.instruction, seq2seq=seq2seq)
    labels = example["labels"]
    supervised = [t for t in labels if t != -100]
    if len(supervised) > max_summary_tokens + 1:
        # References are filtered to the token limit upstream; a longer one is cut, keeping the end token
        # so the model still learns to stop.
        cut = len(labels) - len(supervised) + max_summary_tokens
        labels = labels[:cut] + [tokenizer.eos_token_id]
        if not seq2seq:
            example["input_ids"] = example["input_ids"][:cut] + [tokenizer.eos_token_id]
            example["attention_mask"] = example["attention_mask"][: len(example["input_ids"])]
        example["labels"] = labels
    example["length"] = len(example["input_ids"]) + (len(example["labels"]) if seq2seq else 0)
    return example


def tokenize_records(
    records: list[FilingRecord],
    tokenizer: PreTrainedTokenizerBase,
    *,
    seq2seq: bool,
    max_summary_tokens: int,
    max_length: int | None = None,
) -> Dataset:
    """A Dataset with input_ids, attention_mask, labels and length (for group-by-length sampling).

    Examples longer than ``max_length`` (the model's context) are dropped with a warning, not truncated:
    cutting the prompt would leave a summary of text the model never saw.
    """
    from datasets import Dataset

    rows = []
    for record in records:
        example = encode_record(tokenizer, record, seq2seq=seq2seq, max_summary_tokens=max_summary_tokens)
        if max_length and len(example["input_ids"]) > max_length:
            log.warning("%s: skipped, %d tokens exceed the model's %d", record.id, len(example["input_ids"]),
                        max_length)
            continue
        rows.append(example)
    if not rows:
        return Dataset.from_dict({"input_ids": [], "attention_mask": [], "labels": [], "length": []})
    return Dataset.from_list(rows)


def tokenize_splits(
    config: RunConfig, train_records: list[FilingRecord], val_records: list[FilingRecord],
    tokenizer: PreTrainedTokenizerBase, *, seq2seq: bool, max_length: int | None,
) -> tuple[Dataset, Dataset | None]:
    """Train and validation datasets with labels cut at the run's summary cap (model.max_summary_tokens);
    TrainingDataError when no training example fits the model's context; None for an empty validation split."""
    encode = dict(seq2seq=seq2seq, max_summary_tokens=config.max_summary_tokens(), max_length=max_length)
    train_ds = tokenize_records(train_records, tokenizer, **encode)
    if len(train_ds) == 0:
        raise TrainingDataError(f"{config.data.out_dir}: no training example fits the model's context")
    val_ds = tokenize_records(val_records, tokenizer, **encode) if val_records else None
    return train_ds, (val_ds if val_ds is not None and len(val_ds) else None)


@dataclass
class TrainingData:
    """The run's examples: the records (the generation eval reads validation filings) and their datasets."""

    train_records: list[FilingRecord]
    val_records: list[FilingRecord]
    train_ds: Dataset
    val_ds: Dataset | None  # None when there is no validation split or none of it fits

    @property
    def validation_examples(self) -> int:
        return len(self.val_ds) if self.val_ds is not None else 0


def setup_data(config: RunConfig, splits: dict[str, list[FilingRecord]], base: ResolvedBase) -> TrainingData:
    """The tokenized train and validation splits (load_split_records' ``splits``) for the resolved base."""
    train_records = splits["train"]
    val_records = splits.get("validation", [])
    train_ds, val_ds = tokenize_splits(config, train_records, val_records, base.tokenizer, seq2seq=base.seq2seq,
                                       max_length=base.max_length)
    return TrainingData(train_records=train_records, val_records=val_records, train_ds=train_ds, val_ds=val_ds)


def epoch_seeded_length_sampler(lengths: list[int], batch_size: int, seed: int) -> Any:
    """transformers' LengthGroupedSampler with the order a pure function of (seed, epoch).

    The stock sampler draws from the global torch RNG when an epoch starts; a run resumed past its first epoch
    reaches that point with a different RNG state (the checkpoint's state is restored only after the sampler
    has drawn), so its batches, and so its adapter, differ from an uninterrupted run's. Seeded per epoch
    (the Trainer calls ``set_epoch`` before every epoch, resumed ones included), both runs see the same
    batches, as the Trainer's default random sampler already does (accelerate's SeedableRandomSampler).
    """
    import torch
    from transformers.trainer_pt_utils import LengthGroupedSampler

    class EpochSeededLengthGroupedSampler(LengthGroupedSampler):
        def __init__(self) -> None:
            super().__init__(batch_size, lengths=list(lengths), generator=torch.Generator())
            self.seed = seed
            self.epoch = 0

        def set_epoch(self, epoch: int) -> None:
            self.epoch = int(epoch)

        def __iter__(self):  # noqa: ANN204
            self.generator.manual_seed(self.seed + self.epoch)
            return super().__iter__()

    return EpochSeededLengthGroupedSampler()


@dataclass
class CollatorChoice:
    collator: Any
    packed: bool


def make_collator(
    tokenizer: PreTrainedTokenizerBase,
    *,
    seq2seq: bool,
    packing: bool = False,
    model: Any = None,
    pad_to_multiple_of: int | None = None,
) -> CollatorChoice:
    """The batch collator.

    - default (decoder and seq2seq): `DataCollatorForSeq2Seq` pads input_ids/attention_mask with the pad
      token and labels with -100 (seq2seq: with the model given it also builds decoder_input_ids).
    - packing (decoder only): `DataCollatorWithFlattening` concatenates a batch into one row without padding,
      restarting position_ids per example and putting -100 on each example's first label, so neither
      labels nor attention cross examples (sdpa/flash-attention read the boundaries from position_ids).
    """
    from transformers import DataCollatorForSeq2Seq, DataCollatorWithFlattening

    if packing and not seq2seq:
        return CollatorChoice(DataCollatorWithFlattening(return_position_ids=True, separator_id=-100), True)
    if packing:
        log.warning("train.packing is ignored for seq2seq models (source and target are separate sequences)")
    collator = DataCollatorForSeq2Seq(
        tokenizer, model=model if seq2seq else None, padding=True, label_pad_token_id=-100,
        pad_to_multiple_of=pad_to_multiple_of, return_tensors="pt",
    )
    return CollatorChoice(collator, False)
