"""Training throughput: filingsum's trainer vs a plain HF Trainer with default settings, on the same data.

Reports tokens/s (non-padding tokens through the model per second of training) and, on a GPU, MFU:
model FLOPs per token ~ 6 x parameters (forward 2N + backward 4N; with LoRA the frozen weights' gradient
is skipped, so ~4N is the work really done: both figures are printed) over the GPU's peak dense bf16 FLOP/s.

    python benchmarks/bench_train.py --models smollm2 qwen2.5-1.5b-shape --steps 30 --seq-len 1024   # GPU
    python benchmarks/bench_train.py --models tiny-random --steps 4 --seq-len 256                    # CPU smoke

Models: smollm2 (the embedded SmolLM2-135M), qwen2.5-1.5b-shape (randomly initialised with
Qwen2.5-1.5B's published dims: hidden 1536, 28 layers, 12 heads, 2 KV heads, intermediate 8960, vocab
151936; SmolLM2's tokenizer feeds it, its ids are all < 49152), tiny-random.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L4": 121.0, "A10": 125.0}


def model_dir(name: str, work: Path) -> str:
    from filingsum.core.models import resolve_model

    if name == "smollm2":
        return resolve_model("embedded:smollm2-135m-instruct")
    if name == "qwen2.5-1.5b-shape":
        import torch
        from transformers import AutoModelForCausalLM, Qwen2Config

        from filingsum.core.models import load_tokenizer

        out = work / "qwen2.5-1.5b-shape"
        if not (out / "config.json").exists():
            config = Qwen2Config(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12,
                                 num_key_value_heads=2, intermediate_size=8960, vocab_size=151936,
                                 max_position_embeddings=32768, tie_word_embeddings=True, rope_theta=1e6)
            torch.manual_seed(0)
            AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).save_pretrained(out)
            load_tokenizer("tiny-random").save_pretrained(out)
        return str(out)
    return resolve_model(name)


def write_data(data_dir: Path, tokenizer, seq_len: int, n: int) -> None:
    """n records: windows of the sample filings sized so prompt + summary is about seq_len tokens."""
    from filingsum.core.io import atomic_write_jsonl
    from filingsum.core.schema import FilingRecord

    text = " ".join((REPO / "data" / "samples" / "crexendo_10k_2016_item1_prompt.txt").read_text().split())
    words = text.split()
    rows = []
    for i in range(n):
        start = (i * 97) % max(1, len(words) - 2000)
        body_words = int(seq_len * 0.6)  # ~1.3 tokens per word, prompt overhead ~ 150 tokens
        body = " ".join(words[start:start + body_words])
        summary = " ".join(words[start:start + 60])
        rows.append(FilingRecord(
            id=f"bench-{i}", company="crexendo", source_path="bench", content_hash=str(i), section="item_1",
            instruction="Summarize the business model.", text=body, char_count=len(body), token_count=0,
            reference=summary, reference_origin="extractive",
        ).model_dump(mode="json"))
    atomic_write_jsonl(data_dir / "train.jsonl", rows)


def peak_flops() -> float | None:
    import torch

    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name(0)
    for key, tflops in PEAK_BF16_TFLOPS.items():
        if key in name:
            return tflops * 1e12
    return None


def run_filingsum(model: str, data_dir: Path, out: Path, steps: int, batch: int) -> dict:
    from filingsum.core.config import parse_config
    from filingsum.training.trainer import train

    config = parse_config({
        "model": {"name": model}, "data": {"out_dir": str(data_dir)},
        "train": {"output_dir": str(out), "max_steps": steps, "batch_size": batch, "gradient_accumulation_steps": 1,
                  "save_steps": steps, "generation_eval_samples": 0, "resume": False, "packing": False},
    })
    result = train(config)
    return {"tokens": result.metrics["num_input_tokens_seen"], "seconds": result.metrics["train_runtime"],
            "params": sum(p.numel() for p in result.model.parameters())}


def run_plain(model: str, data_dir: Path, out: Path, steps: int, batch: int) -> dict:
    """The baseline: same LoRA model and tokenized data, TrainingArguments left at their defaults."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, DataCollatorForSeq2Seq, Trainer, TrainingArguments

    from filingsum.core.config import ModelConfig
    from filingsum.core.models import load_tokenizer
    from filingsum.training.data import load_records, tokenize_records

    tok = load_tokenizer(model)
    ds = tokenize_records(load_records(data_dir / "train.jsonl"), tok, seq2seq=False,
                          max_summary_tokens=ModelConfig().max_summary_tokens)
    base = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)
    peft_model = get_peft_model(base, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear",
                                                 task_type="CAUSAL_LM"))
    args = TrainingArguments(output_dir=str(out), max_steps=steps, per_device_train_batch_size=batch,
                             report_to="none", save_strategy="no", include_num_input_tokens_seen="non_padding")
    trainer = Trainer(model=peft_model, args=args, train_dataset=ds,
                      data_collator=DataCollatorForSeq2Seq(tok, padding=True))
    metrics = trainer.train().metrics
    return {"tokens": metrics["num_input_tokens_seen"], "seconds": metrics["train_runtime"],
            "params": sum(p.numel() for p in peft_model.parameters())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["tiny-random"])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import torch

    from filingsum.core.models import load_tokenizer

    peak = peak_flops()
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in args.models:
            path = model_dir(name, work)
            data = work / f"data-{name}"
            write_data(data, load_tokenizer(path), args.seq_len, n=max(8, args.steps * args.batch))
            for label, fn in (("filingsum", run_filingsum), ("plain Trainer", run_plain)):
                r = fn(path, data, work / f"run-{name}-{label.split()[0]}", args.steps, args.batch)
                tps = r["tokens"] / r["seconds"]
                row = {"model": name, "trainer": label, "device": device, "tokens_per_s": tps, **r}
                if peak:
                    row["mfu_6N"] = 6 * r["params"] * tps / peak
                    row["mfu_4N"] = 4 * r["params"] * tps / peak
                results.append(row)
                print(f"{name:22s} {label:14s} {tps:10.1f} tok/s" +
                      (f"  MFU(6N) {row['mfu_6N']:.1%}  MFU(4N) {row['mfu_4N']:.1%}" if peak else ""), flush=True)
    print("command: python benchmarks/bench_train.py " + " ".join(sys.argv[1:]))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
