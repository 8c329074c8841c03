"""Training on CPU with the tiny test models: masking, collators, decoder and seq2seq runs, the run dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from filingsum.core.config import ConfigError, load_config, parse_config
from filingsum.core.models import load_tokenizer, resolve_model
from filingsum.core.prompt import prompt_ids
from filingsum.core.schema import FilingRecord
from filingsum.training.arguments import schedule_arguments
from filingsum.training.data import (
    TrainingDataError,
    encode_record,
    load_records,
    load_split_records,
    make_collator,
    tokenize_records,
)
from filingsum.training.errors import TrainingError
from filingsum.training.hardware import resolve_attn_implementation, resolve_precision
from filingsum.training.trainer import train
from tests._training_data import make_record, write_config, write_dataset


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("tiny-random")


def _record(i: int = 0) -> FilingRecord:
    from tests._training_data import EXCERPTS

    return FilingRecord.model_validate(make_record(i, *EXCERPTS[i], "train"))


# --- data -------------------------------------------------------------------------------------------------

def test_labels_mask_exactly_the_prompt(tokenizer):
    record = _record()
    example = encode_record(tokenizer, record, seq2seq=False, max_summary_tokens=512)
    n_prompt = len(prompt_ids(tokenizer, record.text, record.instruction))
    labels, ids = example["labels"], example["input_ids"]
    assert labels[:n_prompt] == [-100] * n_prompt
    assert all(t != -100 for t in labels[n_prompt:])
    assert labels[n_prompt:] == ids[n_prompt:]  # supervised tokens are the summary as fed to the model
    assert labels[-1] == tokenizer.eos_token_id  # the end-of-turn token is learned, so the model stops
    assert tokenizer.decode(labels[n_prompt:-1]) == record.reference
    # the prompt ends with the assistant header rendered by the chat template
    assert tokenizer.decode(ids[:n_prompt]).endswith("<|im_start|>assistant\n")


def test_long_reference_is_cut_but_keeps_the_end_token(tokenizer):
    record = _record().model_copy(update={"reference": "revenue " * 200})
    example = encode_record(tokenizer, record, seq2seq=False, max_summary_tokens=16)
    supervised = [t for t in example["labels"] if t != -100]
    assert len(supervised) == 17 and supervised[-1] == tokenizer.eos_token_id
    assert len(example["input_ids"]) == len(example["labels"]) == len(example["attention_mask"])


def test_decoder_collator_pads_labels_with_ignore_index(tokenizer):
    ds = tokenize_records([_record(0), _record(2)], tokenizer, seq2seq=False, max_summary_tokens=512)
    ds = ds.remove_columns("length")
    features = [ds[0], ds[1]]
    batch = make_collator(tokenizer, seq2seq=False).collator(features)
    lengths = [len(f["input_ids"]) for f in features]
    short = lengths.index(min(lengths))
    pad = max(lengths) - min(lengths)
    assert pad > 0
    assert batch["labels"][short, -pad:].tolist() == [-100] * pad
    assert batch["attention_mask"][short, -pad:].tolist() == [0] * pad
    assert batch["input_ids"][short, -pad:].tolist() == [tokenizer.pad_token_id] * pad
    # the end-of-turn token doubles as pad here; where it ends the summary it must stay supervised
    assert batch["labels"][short, min(lengths) - 1].item() == tokenizer.eos_token_id


def test_packing_collator_keeps_examples_apart(tokenizer):
    ds = tokenize_records([_record(0), _record(2)], tokenizer, seq2seq=False, max_summary_tokens=512)
    ds = ds.remove_columns("length")
    choice = make_collator(tokenizer, seq2seq=False, packing=True)
    assert choice.packed
    batch = choice.collator([ds[0], ds[1]])
    n0 = len(ds[0]["input_ids"])
    assert batch["input_ids"].shape == (1, n0 + len(ds[1]["input_ids"]))
    positions = batch["position_ids"][0].tolist()
    assert positions[0] == 0 and positions[n0] == 0 and positions[n0 - 1] == n0 - 1  # restarts per example
    assert batch["labels"][0, n0].item() == -100  # no label predicts example 2 from example 1


def test_seq2seq_collator_builds_decoder_inputs():
    tok = load_tokenizer("tiny-random-t5")
    from transformers import AutoModelForSeq2SeqLM

    model = AutoModelForSeq2SeqLM.from_pretrained(resolve_model("tiny-random-t5"))
    ds = tokenize_records([_record(0), _record(1)], tok, seq2seq=True, max_summary_tokens=512)
    ds = ds.remove_columns("length")
    assert ds[0]["labels"][-1] == tok.eos_token_id and -100 not in ds[0]["labels"]
    batch = make_collator(tok, seq2seq=True, model=model).collator([ds[0], ds[1]])
    assert "decoder_input_ids" in batch
    n0, n1 = len(ds[0]["labels"]), len(ds[1]["labels"])
    short, pad = (0, n1 - n0) if n0 < n1 else (1, n0 - n1)
    if pad:
        assert batch["labels"][short, -pad:].tolist() == [-100] * pad


def test_bad_rows_are_skipped_and_missing_train_is_a_clear_error(tmp_path):
    good = make_record(0, "crexendo_10k_2016_item1_prompt.txt", 0, "A summary.", "train")
    no_ref = dict(good, id="x", reference=None)
    (tmp_path / "train.jsonl").write_text(
        "\n".join([json.dumps(good), json.dumps(no_ref), json.dumps({"id": "broken"})]) + "\n"
    )
    assert [r.id for r in load_records(tmp_path / "train.jsonl")] == [good["id"]]
    with pytest.raises(TrainingDataError, match="train.jsonl"):
        load_split_records(tmp_path / "missing")


# --- decisions ----------------------------------------------------------------------------------------------

def test_precision_and_attention_decisions():
    ice_lake = frozenset({"avx512f", "avx512bw", "avx512_vnni"})  # AVX512, no native bf16: emulated, slower
    sapphire_rapids = ice_lake | {"avx512_bf16", "amx_bf16", "amx_tile"}
    assert resolve_precision("auto", cuda=False, bf16_supported=False, cpu_features=ice_lake) == "fp32"
    assert resolve_precision("auto", cuda=False, bf16_supported=False, cpu_features=sapphire_rapids) == "bf16"
    assert resolve_precision("auto", cuda=False, bf16_supported=False, cpu_features=frozenset()) == "fp32"
    assert resolve_precision("bf16", cuda=False, bf16_supported=False, cpu_features=ice_lake) == "bf16"  # warned
    assert resolve_precision("auto", cuda=False, bf16_supported=False) in ("fp32", "bf16")  # this machine's flags
    assert resolve_precision("auto", cuda=True, bf16_supported=True) == "bf16"
    assert resolve_precision("auto", cuda=True, bf16_supported=False) == "fp16"
    with pytest.raises(TrainingError, match="fp16"):
        resolve_precision("fp16", cuda=False, bf16_supported=False)
    with pytest.raises(TrainingError, match="flash"):
        resolve_attn_implementation("flash_attention_2", cuda=False, seq2seq=False)
    assert resolve_attn_implementation("auto", cuda=False, seq2seq=False) is None
    assert resolve_attn_implementation("sdpa", cuda=False, seq2seq=False) == "sdpa"


def test_schedule_keeps_the_best_checkpoint_on_disk():
    cfg = parse_config({"train": {"eval_steps": 5}}).train
    args = schedule_arguments(cfg, has_validation=True)
    assert args["save_steps"] == 5 and args["load_best_model_at_end"] and args["metric_for_best_model"] == "eval_loss"
    assert schedule_arguments(cfg, has_validation=False)["eval_strategy"] == "no"
    with pytest.raises(ConfigError, match="multiple"):
        schedule_arguments(parse_config({"train": {"eval_steps": 4, "save_steps": 6}}).train, has_validation=True)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU error path")
def test_qlora_without_gpu_is_a_clear_error(tmp_path):
    data = write_dataset(tmp_path / "data", n_train=1)
    config = load_config(write_config(tmp_path / "c.yaml", data, tmp_path / "run", method="qlora", max_steps=1))
    with pytest.raises(TrainingError, match="qlora needs a CUDA GPU"):
        train(config)


# --- real training ------------------------------------------------------------------------------------------

def _losses(run_dir: Path) -> list[float]:
    history = json.loads((run_dir / "metrics.json").read_text())["log_history"]
    return [e["loss"] for e in history if "loss" in e]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def test_decoder_lora_overfits_and_writes_the_run_dir(tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    data = write_dataset(tmp_path / "data", n_train=2, n_validation=1, chars=200)
    config = load_config(
        write_config(tmp_path / "c.yaml", data, tmp_path / "run", max_steps=16, learning_rate=0.1,
                     eval_steps=8, generation_eval_samples=1, generation_max_summary_tokens=8, merge=False)
    )
    result = train(config)
    run = result.run_dir
    losses = _losses(run)
    # tiny-random's tied 64-d embeddings stay frozen under LoRA, which caps how far the loss can fall from
    # ln(vocab) ~ 10.8; a steady drop is what LoRA can show here (full fine-tuning overfits, below).
    assert _mean(losses[-4:]) < _mean(losses[:4]) - 0.1, losses

    for name in ("adapter/adapter_config.json", "adapter/adapter_model.safetensors", "adapter/tokenizer.json",
                 "config.resolved.yaml", "data.json", "metrics.json", "loss.png", "run_card.md"):
        assert (run / name).is_file(), name
    assert (run / "adapter" / "chat_template.jinja").is_file() or "chat_template" in json.loads(
        (run / "adapter" / "tokenizer_config.json").read_text())
    assert list((run / "logs").glob("events.out.tfevents.*"))
    assert not (run / "checkpoints" / "runs").exists()  # TensorBoard writes only to logs/
    metrics = json.loads((run / "metrics.json").read_text())
    assert "eval_loss" in metrics["final_metrics"] and "gen_rougeL" in metrics["final_metrics"]
    assert any("gen_within_limit" in e for e in metrics["log_history"])
    assert metrics["best_checkpoint"].endswith(("checkpoint-8", "checkpoint-16"))
    assert json.loads((run / "data.json").read_text())["train"]["records"] == 2
    reloaded = parse_config(__import__("yaml").safe_load((run / "config.resolved.yaml").read_text()))
    assert reloaded.train.max_steps == 16

    # the saved adapter, loaded into transformers on a fresh base, is the trained model
    base = AutoModelForCausalLM.from_pretrained(resolve_model("tiny-random"))
    loaded = PeftModel.from_pretrained(base, str(result.adapter_dir)).eval()
    trained = result.model.eval()
    tok = load_tokenizer("tiny-random")
    rec = load_records(data / "train.jsonl")[0]
    ids = torch.tensor([prompt_ids(tok, rec.text, rec.instruction)])
    with torch.no_grad():
        torch.testing.assert_close(loaded(input_ids=ids).logits, trained(input_ids=ids).logits)
        gen = dict(max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
        assert loaded.generate(input_ids=ids, **gen).tolist() == trained.generate(input_ids=ids, **gen).tolist()
        # and it is not the untouched base
        fresh = AutoModelForCausalLM.from_pretrained(resolve_model("tiny-random")).eval()
        assert not torch.allclose(fresh(input_ids=ids).logits, trained(input_ids=ids).logits)


def test_seq2seq_lora_overfits(tmp_path):
    data = write_dataset(tmp_path / "data", n_train=2, chars=200)
    config = load_config(
        write_config(tmp_path / "c.yaml", data, tmp_path / "run", model="tiny-random-t5", max_steps=16,
                     learning_rate=0.3)
    )
    result = train(config)
    losses = _losses(result.run_dir)
    assert _mean(losses[-4:]) < 0.85 * _mean(losses[:4]), losses
    assert json.loads((result.adapter_dir / "adapter_config.json").read_text())["task_type"] == "SEQ_2_SEQ_LM"


def test_full_finetuning_saves_a_plain_model(tmp_path):
    from transformers import AutoModelForCausalLM

    data = write_dataset(tmp_path / "data", n_train=1, chars=120)
    config = load_config(write_config(tmp_path / "c.yaml", data, tmp_path / "run", method="full", max_steps=8,
                                      learning_rate=1e-2))
    result = train(config)
    losses = _losses(result.run_dir)
    assert losses[-1] < 0.7 * losses[0], losses  # one example, every weight trainable: it is memorised
    assert result.adapter_dir is None and (result.model_dir / "config.json").is_file()
    model = AutoModelForCausalLM.from_pretrained(result.model_dir)
    base = AutoModelForCausalLM.from_pretrained(resolve_model("tiny-random"))
    changed = [n for n, p in model.state_dict().items() if not torch.equal(p, base.state_dict()[n])]
    assert changed  # every weight was trainable; some moved


def test_cli_reports_missing_data_as_one_line(tmp_path, capsys):
    from filingsum.cli import main

    config = write_config(tmp_path / "c.yaml", tmp_path / "no-data", tmp_path / "run", max_steps=1)
    assert main(["train", "--config", str(config)]) == 2  # a usage error: no dataset, nothing started
    err = capsys.readouterr().err
    assert "train.jsonl" in err and "filingsum data" in err
    assert main(["train", "--config", str(config), "--set", "train.methd=lora"]) == 2
    assert "did you mean 'method'" in capsys.readouterr().err


def test_missing_training_data_names_the_real_command(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match=r"filingsum data build --config"):
        load_split_records(tmp_path)


def test_init_adapter_continues_from_an_adapters_weights(tmp_path):
    """train.init_adapter starts from a trained adapter (its own rank; train.lora ignored), so the continued
    run's first loss is the trained one, not the fresh model's; a missing adapter is a one-line TrainingError."""
    from filingsum.training.errors import TrainingError

    data = write_dataset(tmp_path / "data", n_train=1, chars=120)
    first = train(load_config(write_config(tmp_path / "a.yaml", data, tmp_path / "a", max_steps=12,
                                           learning_rate=0.1, lora={"r": 4, "alpha": 8})))
    trained = _losses(first.run_dir)
    assert trained[-1] < trained[0] - 0.1, trained
    continued = train(load_config(write_config(
        tmp_path / "b.yaml", data, tmp_path / "b", max_steps=1, learning_rate=1e-9, lora={"r": 8, "alpha": 16},
        init_adapter=str(first.run_dir))))
    (loss,) = _losses(continued.run_dir)
    assert abs(loss - trained[-1]) < abs(loss - trained[0]), (loss, trained)
    assert json.loads((continued.adapter_dir / "adapter_config.json").read_text())["r"] == 4
    with pytest.raises(TrainingError, match="train.init_adapter: .*no adapter_config.json"):
        train(load_config(write_config(tmp_path / "c.yaml", data, tmp_path / "c", max_steps=1,
                                       init_adapter=str(tmp_path / "nothing"))))
