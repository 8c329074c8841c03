"""What a run writes into its run directory, and `TrainResult`, what `train` returns.

Before training (`write_run_inputs`): config.resolved.yaml and data.json (the run's fingerprint). After it
(`write_outputs`): the weights (adapter/ or model/) with the tokenizer and the serving contract, merged/
(train.merge), metrics.json, loss.png, run_card.md and, last, finished.json; then the Hub upload
(train.push_to_hub). Only the main process writes files; saving the model is collective.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from filingsum.core.config import RunConfig
from filingsum.core.contract import contract_from_config, write_contract
from filingsum.core.io import atomic_write_json, atomic_write_text, follow_umask
from filingsum.core.redact import redact_values
from filingsum.training.checkpoints import mark_finished
from filingsum.training.run_dir import CHECKPOINTS, MERGED, RESOLVED_CONFIG, model_output_dir

if TYPE_CHECKING:
    from filingsum.training.data import TrainingData
    from filingsum.training.loop import TrainedRun
    from filingsum.training.model import ResolvedBase, TrainableModel

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    run_dir: Path
    adapter_dir: Path | None  # peft adapter (lora/qlora); None for method=full
    model_dir: Path  # what to serve: adapter_dir for lora/qlora, the full model dir for method=full
    merged_dir: Path | None
    metrics: dict[str, Any] = field(default_factory=dict)
    resumed_from: str | None = None
    model: Any = field(default=None, repr=False)  # the trained in-memory model (peft-wrapped for lora)
    published: Any = None  # training.publish.PublishOutcome when train.push_to_hub is set


def stored_config(config: RunConfig) -> dict[str, Any]:
    """The config as config.resolved.yaml stores it: no URL credentials or keys in the run dir."""
    return redact_values(config.model_dump(mode="json"))


def write_run_inputs(config: RunConfig, run_dir: Path, fingerprint: dict[str, Any]) -> None:
    """config.resolved.yaml (the config as run) and data.json (what the checkpoints depend on)."""
    header = f"# resolved from {config.source_path or '<in-memory config>'}\n"
    atomic_write_text(run_dir / RESOLVED_CONFIG, header + yaml.safe_dump(stored_config(config), sort_keys=False))
    atomic_write_json(run_dir / "data.json", fingerprint)


def write_outputs(
    config: RunConfig, run_dir: Path, base: ResolvedBase, data: TrainingData, trainable: TrainableModel,
    trained: TrainedRun, fingerprint: dict[str, Any],
) -> TrainResult:
    """Save the trained model and the run's reports, publish if asked, and return the result."""
    t = config.train
    trainer = trained.trainer
    is_main = trainer.is_world_process_zero()
    out_dir = model_output_dir(run_dir, t.method)
    trainer.save_model(str(out_dir))  # collective under FSDP/DeepSpeed: every process calls it
    merged_dir = None
    if is_main:
        merged_dir = _write_serving_files(config, run_dir, out_dir, base)
        summary = run_summary(base, data, trainable, trained, fingerprint, merged_dir)
        _write_reports(config, run_dir, summary, trained, fingerprint)
    published = None
    if is_main and t.push_to_hub:
        published = publish_trained(config, run_dir, out_dir)
    return TrainResult(
        run_dir=run_dir,
        adapter_dir=out_dir if t.method != "full" else None,
        model_dir=out_dir,
        merged_dir=merged_dir,
        metrics=trained.final_metrics,
        resumed_from=trained.resume_from,
        model=trainer.model,
        published=published,
    )


def _write_serving_files(config: RunConfig, run_dir: Path, out_dir: Path, base: ResolvedBase) -> Path | None:
    """Beside the weights, what serving needs; then merged/ when train.merge (its path, else None)."""
    base.tokenizer.save_pretrained(out_dir)  # with the chat template, so serving renders the training prompt
    # What serve, summarize and eval must feed and decode this model with (core.contract).
    write_contract(out_dir, contract_from_config(config))
    for part in (out_dir, run_dir / CHECKPOINTS):  # safetensors wrote the weights 0600: the umask's mode, as the rest
        if part.is_dir():
            follow_umask(part)
    if config.train.merge and config.train.method != "full":
        from filingsum.inference.adapters import merge_adapter

        return merge_adapter(out_dir, run_dir / MERGED, base_model=base.model_dir)
    return None


def run_summary(
    base: ResolvedBase, data: TrainingData, trainable: TrainableModel, trained: TrainedRun,
    fingerprint: dict[str, Any], merged_dir: Path | None,
) -> dict[str, Any]:
    """The run's facts for metrics.json and the run card (in this order)."""
    import torch

    trainer = trained.trainer
    return {
        "model_dir": base.model_dir, "seq2seq": base.seq2seq, "precision": base.precision,
        "device": torch.cuda.get_device_name(0) if base.cuda else "cpu", "world_size": trainer.args.world_size,
        "distributed_type": trainer.accelerator.distributed_type.value,
        "trainable_params": trainable.trainable_params, "total_params": trainable.total_params,
        "train_examples": len(data.train_ds), "validation_examples": data.validation_examples,
        "train_fingerprint": fingerprint["train"]["sha256"], "global_step": trainer.state.global_step,
        "epoch": trainer.state.epoch, "resumed_from": trained.resume_from,
        "best_checkpoint": trainer.state.best_model_checkpoint, "merged_dir": str(merged_dir or ""),
        "final_metrics": trained.final_metrics,
    }


def _write_reports(config: RunConfig, run_dir: Path, summary: dict[str, Any], trained: TrainedRun,
                   fingerprint: dict[str, Any]) -> None:
    """metrics.json, loss.png, run_card.md, then finished.json (last: the run is complete)."""
    from filingsum.training.plots import plot_loss
    from filingsum.training.run_card import render_run_card

    state = trained.trainer.state
    gen_callback = trained.gen_callback
    atomic_write_json(run_dir / "metrics.json", {
        **summary,
        "generation_eval_predictions": gen_callback.last_predictions if gen_callback else [],
        "log_history": state.log_history,
    })
    plot_loss(state.log_history, run_dir / "loss.png", title=f"{config.run_name}: loss")
    atomic_write_text(run_dir / "run_card.md", render_run_card(config, summary))
    mark_finished(run_dir, fingerprint, state.global_step)  # last: the run is complete


def publish_trained(config: RunConfig, run_dir: Path, out_dir: Path) -> Any:
    """train.push_to_hub after the run is complete (a failed upload keeps it); None for method=full."""
    if config.train.method == "full":
        log.warning("train.push_to_hub: method full has no adapter to export; upload %s with `hf upload`", out_dir)
        return None
    from filingsum.training.publish import publish_run

    return publish_run(run_dir, config.train.push_to_hub)  # after the run is complete: a failure keeps it
