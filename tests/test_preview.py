"""`filingsum data preview`: a dataset built from data/samples (extractive references, the tiny-random model's
real SmolLM2 tokenizer) shown as training encodes it; the preview's token ids are training's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from filingsum.core.config import parse_config
from filingsum.core.models import load_tokenizer
from filingsum.core.prompt import prompt_ids
from filingsum.training.data import encode_record, load_records
from filingsum.training.preview import preview_dataset

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
MODEL = {"name": "tiny-random", "max_source_tokens": 512, "max_summary_tokens": 64}


def _config(out: Path, **model) -> object:
    return parse_config({"model": {**MODEL, **model}, "data": {
        "out_dir": str(out), "references": ["extractive"], "workers": 0, "split": {"validation": 0, "test": 0},
    }}, "test")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    from filingsum.dataset.build import build_dataset

    out = tmp_path_factory.mktemp("preview") / "built"
    result = build_dataset(_config(out), inputs=[str(SAMPLES)], progress=False)
    assert len(result.records) >= 2
    return out


def _set_args(out: Path) -> list[str]:
    return [item for key, value in {**{f"model.{k}": v for k, v in MODEL.items()}, "data.out_dir": out}.items()
            for item in ("--set", f"{key}={value}")]


def test_preview_ids_are_training_ids(dataset):
    config = _config(dataset)
    preview = preview_dataset(config, "train", n=2)
    records = load_records(dataset / "train.jsonl")
    tokenizer = load_tokenizer("tiny-random")
    assert preview.total == len(records) and len(preview.examples) == 2
    for ex, record in zip(preview.examples, records):
        trained = encode_record(tokenizer, record, seq2seq=False, max_summary_tokens=config.max_summary_tokens())
        assert ex.record.id == record.id
        assert ex.input_ids == trained["input_ids"] and ex.labels == trained["labels"]
        # the masked part is exactly the chat-template prompt, the loss part the summary + end-of-turn
        assert ex.masked_ids == prompt_ids(tokenizer, record.text, record.instruction)
        assert tokenizer(ex.prompt, add_special_tokens=False)["input_ids"] == ex.masked_ids
        assert ex.prompt.startswith("<|im_start|>system") and ex.prompt.rstrip().endswith("<|im_start|>assistant")
        assert ex.labels[: len(ex.masked_ids)] == [-100] * len(ex.masked_ids)
        assert ex.loss_ids == ex.input_ids[len(ex.masked_ids):] and ex.loss_ids[-1] == tokenizer.eos_token_id
        assert ex.loss_text.startswith(record.reference.strip()[:40])
        assert ex.source_tokens == record.token_count <= ex.max_source_tokens == 512


def test_a_label_over_the_cap_is_shown_cut_as_training_cuts_it(dataset):
    config = _config(dataset, max_summary_tokens=16)
    (ex,) = preview_dataset(config, "train", n=1).examples
    trained = encode_record(load_tokenizer("tiny-random"), ex.record, seq2seq=False, max_summary_tokens=16)
    assert ex.label_cut and len(ex.loss_ids) == 17 and ex.labels == trained["labels"]


def test_seq2seq_preview_masks_the_whole_source(dataset):
    config = _config(dataset, name="tiny-random-t5")
    (ex,) = preview_dataset(config, "train", n=1).examples
    trained = encode_record(load_tokenizer("tiny-random-t5"), ex.record, seq2seq=True, max_summary_tokens=64)
    assert ex.seq2seq and ex.masked_ids == ex.input_ids == trained["input_ids"]
    assert ex.loss_ids == ex.labels == trained["labels"] and ex.context is None


def test_cli_preview_marks_the_loss_in_plain_text(dataset, capsys):
    from filingsum.cli import main

    records = load_records(dataset / "train.jsonl")
    assert main(["data", "preview", *_set_args(dataset), "--id", records[1].id]) == 0
    out = capsys.readouterr().out
    assert f"1/1 {records[1].id} (train)" in out
    assert f"source {records[1].source_path} | section {records[1].section}" in out
    assert "[no loss: " in out and "labels -100] prompt, as the chat template renders it:" in out
    assert "[loss: " in out and "<|im_start|>assistant" in out
    assert "/ model.max_source_tokens 512" in out and "/ model.max_summary_tokens 64 + 1 end token" in out
    assert out.index("[no loss: ") < out.index("<filing>") < out.index("[loss: ")


def test_cli_preview_errors_exit_2(dataset, capsys):
    from filingsum.cli import main

    assert main(["data", "preview", *_set_args(dataset), "--id", "crexendo-10-k-2016-item-1"]) == 2
    assert "no record with id" in capsys.readouterr().err
    assert main(["data", "preview", *_set_args(dataset), "--split", "test"]) == 2  # built, but empty
    assert "no records with a reference summary in the test split" in capsys.readouterr().err
    (dataset / "validation.jsonl").rename(dataset / "validation.jsonl.aside")
    try:
        assert main(["data", "preview", *_set_args(dataset), "--split", "validation"]) == 2
        assert "no validation split; build the dataset first" in capsys.readouterr().err
    finally:
        (dataset / "validation.jsonl.aside").rename(dataset / "validation.jsonl")
