"""The run's own callbacks: a diverged run stops before its broken weights are saved (`DivergenceCallback`),
and the generation eval summarizes a few validation filings and scores them like `filingsum eval`.

Validation loss says the model fits the references; it says nothing about whether the summaries stop, stay
within the summary cap (model.max_summary_tokens) or invent figures. After each evaluation this callback
generates (greedy) for the first
`generation_eval_samples` validation records and logs ROUGE-L, number precision and within-limit share as
`gen_*` metrics (TensorBoard, trainer_state log_history, metrics.json). Scoring uses eval.metrics; if that
import or a metric fails, a warning is logged and filingsum.training goes on.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transformers import TrainerCallback

from filingsum.core.schema import FilingRecord
from filingsum.training.errors import TrainingError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase, Trainer

log = logging.getLogger(__name__)


def score_summaries(
    predictions: list[str], records: list[FilingRecord], tokenizer: PreTrainedTokenizerBase, max_summary_tokens: int
) -> dict[str, float]:
    """Mean ROUGE-L, number precision and within-limit share over the generated summaries."""
    from filingsum.quality.metrics import score_document

    rows = [
        score_document(pred, rec.text, rec.reference, tokenizer=tokenizer, max_summary_tokens=max_summary_tokens,
            company=rec.company)
        for pred, rec in zip(predictions, records)
    ]
    out: dict[str, float] = {}
    for key in ("rougeL", "number_precision", "within_limit", "is_prose", "loop", "tokens"):
        values = [float(r[key]) for r in rows if r.get(key) is not None]
        if values:
            out[f"gen_{key}"] = sum(values) / len(values)
    return out


def generate_summaries(
    model: Any,
    tokenizer: PreTrainedTokenizerBase,
    records: list[FilingRecord],
    *,
    max_summary_tokens: int,
) -> list[str]:
    """Greedy summaries with the model being trained, through the same generation path as `filingsum eval`,
    one filing at a time (a handful of filings; no padding effects); the model's train mode is restored."""
    from filingsum.inference.local import GenerationSettings, LocalSummarizer

    was_training = model.training
    model.eval()
    try:
        settings = GenerationSettings(max_summary_tokens=max_summary_tokens, batch_size=1)
        outputs = LocalSummarizer.from_model(model, tokenizer, settings).summarize(
            [r.text for r in records], [r.instruction for r in records]
        )
    finally:
        model.train(was_training)
    return [o.text for o in outputs]


class GenerationEvalCallback(TrainerCallback):
    """Runs after each evaluation; `trainer` must be set once the Trainer exists (it logs through it)."""

    def __init__(
        self,
        records: list[FilingRecord],
        tokenizer: PreTrainedTokenizerBase,
        *,
        max_summary_tokens: int,
        checked_max_summary_tokens: int,
    ) -> None:
        self.records = records
        self.tokenizer = tokenizer
        self.max_summary_tokens = max_summary_tokens
        self.checked_max_summary_tokens = checked_max_summary_tokens
        self.trainer: Trainer | None = None
        self.last_metrics: dict[str, float] = {}
        self.last_predictions: list[str] = []

    def on_evaluate(self, args, state, control, model=None, **kwargs):  # noqa: ANN001 (Trainer's signature)
        if not self.records or self.trainer is None or not state.is_world_process_zero:
            return control
        try:
            self.last_predictions = generate_summaries(
                self.trainer.model, self.tokenizer, self.records, max_summary_tokens=self.max_summary_tokens,
            )
            self.last_metrics = score_summaries(self.last_predictions, self.records, self.tokenizer,
                self.checked_max_summary_tokens)
        except Exception as exc:  # noqa: BLE001 (scoring must never kill a training run)
            log.warning("generation eval failed, training continues: %s: %s", type(exc).__name__, exc)
            return control
        if self.last_metrics:
            # Trainer.log -> on_log callbacks (TensorBoard) and state.log_history (metrics.json).
            self.trainer.log(dict(self.last_metrics))
        return control


def weights_finite(model: Any, device: Any = None) -> bool:
    """Whether every trainable weight is finite (no NaN, no inf), agreed by every process of a distributed run
    (each may hold a shard): one flag per device, so one synchronisation each."""
    import torch

    flags: dict[Any, list[Any]] = {}
    for p in model.parameters():
        if p.requires_grad and p.numel():
            flags.setdefault(p.device, []).append(torch.isfinite(p).all())
    finite = all(bool(torch.stack(f).all()) for f in flags.values())
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        bad = torch.tensor(0 if finite else 1, device=device)
        torch.distributed.all_reduce(bad, op=torch.distributed.ReduceOp.MAX)
        finite = not bool(bad.item())
    return finite


class DivergenceCallback(TrainerCallback):
    """Stops a run whose training diverged: after every optimizer step, before the step is logged or saved, the
    trainable weights are checked. A loss or gradient norm that went NaN or infinite, or a learning rate that
    overflows, leaves NaN/inf weights; then a `TrainingError` (exit 1) names the step, and neither a checkpoint
    of those weights nor an adapter, metrics or finished.json is written: the earlier checkpoints stay.
    `trainer` (for the step's loss, `FilingsumTrainer.last_loss`) is set once the Trainer exists."""

    def __init__(self, checkpoint_dir: Path) -> None:
        self.checkpoint_dir = checkpoint_dir
        self.trainer: Any = None

    def on_step_end(self, args, state, control, model=None, **kwargs):  # noqa: ANN001 (Trainer's signature)
        if model is not None and not weights_finite(model, args.device):
            raise TrainingError(self.message(state.global_step, args.learning_rate))
        return control

    def message(self, step: int, learning_rate: float) -> str:
        loss = getattr(self.trainer, "last_loss", None)
        loss_text = f" (the step's loss: {float(loss):.4g})" if loss is not None else ""
        kept = sorted((p for p in self.checkpoint_dir.glob("checkpoint-*") if p.name[11:].isdigit()),
                      key=lambda p: int(p.name[11:])) if self.checkpoint_dir.is_dir() else []
        where = (f"the checkpoints before it are kept ({kept[-1]} the latest; a rerun resumes from it)" if kept
                 else "no checkpoint was saved before it")
        return (f"training diverged at step {step}: the weights became NaN or infinite{loss_text}, so nothing of "
                f"this step was saved and no adapter was written; {where}; lower train.learning_rate (now "
                f"{learning_rate:g}), or start over with --no-resume")
