"""Small FilingRecord datasets for the training tests: real sample-filing text, hand-written references."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from filingsum.core.io import atomic_write_jsonl
from filingsum.core.schema import FilingRecord

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"

# (sample file, characters into the body, reference written for that excerpt)
EXCERPTS = [
    ("crexendo_10k_2016_item1_prompt.txt", 0,
     "Crexendo sells cloud telecommunications and broadband Internet services to businesses of any size "
     "for monthly fees."),
    ("crexendo_10k_2016_item1_prompt.txt", 1200,
     "Crexendo earns recurring revenue from cloud telecommunications contracts with business customers."),
    ("fusion_10k_2016_item1_prompt.txt", 0,
     "Fusion offers cloud communications and connectivity to businesses and voice services to carriers."),
    ("fusion_10k_2016_item1_prompt.txt", 1200,
     "Fusion sells a package of cloud services to business customers through two segments."),
    ("crexendo_10q_2020q3_mdna.txt", 1000,
     "Crexendo provides cloud communications and web services in two operating segments."),
    ("crexendo_10q_2020q3_mdna.txt", 2200,
     "Crexendo reports revenue from cloud telecommunications services and web services."),
]


def excerpt(name: str, start: int, chars: int = 400) -> str:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    if text.startswith("Prompt:"):
        text = text.split("\n\n", 1)[1]
    return " ".join(text[start:start + chars].split())


def make_record(i: int, name: str, start: int, reference: str, split: str, chars: int = 400) -> dict:
    text = excerpt(name, start, chars)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return FilingRecord(
        id=f"{Path(name).stem}-{start}-{digest[:8]}", company=name.split("_")[0], form="10-K",
        source_path=str(SAMPLES / name), content_hash=digest, section="item_1",
        instruction="Summarize the business model of this company in one sentence.", text=text,
        char_count=len(text), token_count=len(text.split()), reference=reference, reference_origin="gold",
        split=split,
    ).model_dump(mode="json")


def write_dataset(out_dir: Path, *, n_train: int = 4, n_validation: int = 0, chars: int = 400) -> Path:
    """train.jsonl (+ validation.jsonl) from the excerpts; validation rows reuse train excerpts when short."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [make_record(i, *EXCERPTS[i % len(EXCERPTS)], "train", chars) for i in range(n_train)]
    atomic_write_jsonl(out_dir / "train.jsonl", rows)
    if n_validation:
        val = [make_record(i, *EXCERPTS[(n_train + i) % len(EXCERPTS)], "validation", chars)
               for i in range(n_validation)]
        atomic_write_jsonl(out_dir / "validation.jsonl", val)
    return out_dir


def write_config(path: Path, data_dir: Path, run_dir: Path, model: str = "tiny-random", **train: object) -> Path:
    config = {
        "run_name": "test",
        "model": {"name": model, "max_summary_tokens": 64},
        "data": {"out_dir": str(data_dir)},
        # fp32: the tests compare losses and logits across runs and processes; precision=auto would train under
        # bf16 autocast on a CPU with native bfloat16 (AMX, AVX512-BF16) and fp32 elsewhere, so the same test
        # would hold to 1e-5 on one CI machine and miss by 1e-2 on the next. A test of auto sets it itself.
        "train": {"output_dir": str(run_dir), "gradient_accumulation_steps": 1, "learning_rate": 1e-2,
                  "warmup_ratio": 0.0, "lr_scheduler": "constant", "generation_eval_samples": 0,
                  "logging_steps": 1, "precision": "fp32", **train},
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
