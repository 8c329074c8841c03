"""The run phase: the Trainer (with its two resume fixes) and its callbacks, resumed from the last usable
checkpoint, trained, and evaluated once more at the end (the kept, best model)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filingsum.core.config import RunConfig
from filingsum.core.schema import FilingRecord
from filingsum.training.checkpoints import FINISHED, clear_finished
from filingsum.training.outputs import write_run_inputs
from filingsum.training.resume import check_not_finished, last_complete_checkpoint
from filingsum.training.run_dir import CHECKPOINTS

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase, TrainingArguments

    from filingsum.training.callbacks import GenerationEvalCallback
    from filingsum.training.data import TrainingData

log = logging.getLogger(__name__)


@dataclass
class TrainedRun:
    """What the run phase leaves for the outputs: the Trainer (state, model), the final metrics, the checkpoint
    it resumed from and the generation-eval callback (its last predictions)."""

    trainer: Any
    final_metrics: dict[str, Any] = field(default_factory=dict)
    resume_from: str | None = None
    gen_callback: GenerationEvalCallback | None = None


def trainer_class(base: type) -> type:
    """The Trainer with two resume fixes: length-grouped batches seeded per epoch, so a resumed run sees the
    same batches as an uninterrupted one (training.data.epoch_seeded_length_sampler), and no step past
    max_steps when resuming from the final checkpoint (the stock loop trains one more step before it checks);
    it also keeps the last loss for the message of a diverged run; everything else is the stock Trainer."""
    from filingsum.training.data import epoch_seeded_length_sampler

    class FilingsumTrainer(base):  # type: ignore[misc, valid-type]
        last_loss: Any = None  # the last micro-batch's loss (a tensor: no sync), for DivergenceCallback's message

        def training_step(self, *args: Any, **kwargs: Any) -> Any:
            self.last_loss = super().training_step(*args, **kwargs)
            return self.last_loss

        def _run_epoch(self, *args: Any, **kwargs: Any) -> Any:
            if self.state.max_steps > 0 and self.state.global_step >= self.state.max_steps:
                self.control.should_training_stop = True  # nothing left to train: straight to finalization
                return None
            return super()._run_epoch(*args, **kwargs)

        def _get_train_sampler(self, train_dataset: Any = None) -> Any:
            dataset = train_dataset if train_dataset is not None else self.train_dataset
            args = self.args
            columns = getattr(dataset, "column_names", None) or ()
            if args.train_sampling_strategy != "group_by_length" or "input_ids" not in columns:
                return super()._get_train_sampler(train_dataset)
            # The Trainer drops the "length" column (not a model input) before this point; count as it does.
            lengths = (dataset[args.length_column_name] if args.length_column_name in columns
                       else [len(ids) for ids in dataset["input_ids"]])
            return epoch_seeded_length_sampler(
                lengths, args.train_batch_size * args.gradient_accumulation_steps,
                seed=args.data_seed if args.data_seed is not None else args.seed,
            )

    return FilingsumTrainer


def generation_callback(
    config: RunConfig, val_records: list[FilingRecord], tokenizer: PreTrainedTokenizerBase
) -> GenerationEvalCallback | None:
    """The generation eval on the first validation filings (None when off or there are none): greedy up to
    the summary cap (train.generation_max_summary_tokens overrides it), scored against the cap."""
    from filingsum.training.callbacks import GenerationEvalCallback

    t = config.train
    if not t.generation_eval_samples or not val_records:
        return None
    return GenerationEvalCallback(
        val_records[: t.generation_eval_samples], tokenizer,
        max_summary_tokens=config.max_summary_tokens(t.generation_max_summary_tokens),
            checked_max_summary_tokens=config.max_summary_tokens(),
    )


def build_trainer(
    config: RunConfig, model: Any, args: TrainingArguments, collator: Any, data: TrainingData,
    tokenizer: PreTrainedTokenizerBase, logging_dir: Path,
) -> tuple[Any, GenerationEvalCallback | None]:
    """The Trainer with the divergence stop, early stopping (train.early_stopping_patience, with validation
    data) and the generation eval as callbacks, TensorBoard writing into ``logging_dir``; and the generation
    callback."""
    from transformers import EarlyStoppingCallback, Trainer

    from filingsum.training.callbacks import DivergenceCallback
    from filingsum.training.tracking import point_tensorboard

    t = config.train
    divergence = DivergenceCallback(Path(args.output_dir))
    callbacks: list[Any] = [divergence]
    if t.early_stopping_patience and data.val_ds is not None:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=t.early_stopping_patience))
    gen_callback = generation_callback(config, data.val_records, tokenizer)
    if gen_callback is not None:
        callbacks.append(gen_callback)
    trainer = trainer_class(Trainer)(
        model=model, args=args, data_collator=collator, train_dataset=data.train_ds, eval_dataset=data.val_ds,
        processing_class=tokenizer, callbacks=callbacks,
    )
    divergence.trainer = trainer
    if gen_callback is not None:
        gen_callback.trainer = trainer
    point_tensorboard(trainer.callback_handler.callbacks, logging_dir)  # also for the final evaluate()
    return trainer, gen_callback


def planned_steps(trainer: Any) -> int | None:
    """The optimizer steps the Trainer trains to in all: train.max_steps, else train.epochs over its batches
    (counted as the Trainer counts them); None where this transformers has no such count (not public API)."""
    count = getattr(trainer, "set_initial_training_values", None)
    return None if count is None else int(count(trainer.args, trainer.get_train_dataloader())[-1])


def run_trainer(
    config: RunConfig, run_dir: Path, model: Any, args: TrainingArguments, collator: Any, data: TrainingData,
    tokenizer: PreTrainedTokenizerBase, fingerprint: dict[str, Any],
) -> TrainedRun:
    """Train (resuming from the newest usable checkpoint when train.resume), after the main process has
    written the run's inputs; then evaluate the kept model on the validation split."""
    trainer, gen_callback = build_trainer(config, model, args, collator, data, tokenizer, run_dir / "logs")
    resume_from = last_complete_checkpoint(run_dir / CHECKPOINTS) if config.train.resume else None
    if resume_from and config.train.max_steps < 0 and (run_dir / FINISHED).is_file():
        steps = planned_steps(trainer)  # train.epochs: known from the data only now
        if steps is not None:
            check_not_finished(config, run_dir, steps)
    if resume_from:
        log.info("resuming from %s", resume_from)
    if trainer.is_world_process_zero():
        clear_finished(run_dir)  # from here on the run is no longer finished until it finishes again
        write_run_inputs(config, run_dir, fingerprint)
    train_output = trainer.train(resume_from_checkpoint=resume_from)

    final_metrics: dict[str, Any] = dict(train_output.metrics)
    if data.val_ds is not None:
        final_metrics.update(trainer.evaluate())  # the kept (best) model's validation loss + gen_* metrics
        if gen_callback is not None:
            final_metrics.update(gen_callback.last_metrics)
    return TrainedRun(trainer=trainer, final_metrics=final_metrics, resume_from=resume_from,
                      gen_callback=gen_callback)
