"""`TrainingArguments` from the run config: optimisation, precision, batching, eval/save schedule, tracking.

`schedule_arguments` (eval and save strategies) and `checkpointing_arguments` (gradient checkpointing under
this transformers version's name) are the decisions; `training_arguments` assembles them with the rest of
the config's `train` section. Warmup: transformers 5 deprecates ``warmup_ratio`` (gone from 5.2) and reads
a float in [0, 1) given as ``warmup_steps`` as a ratio of the total steps; train.warmup_ratio is validated to
that range (core.config), so it is never read as a step count.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from filingsum.core.config import ConfigError, RunConfig

if TYPE_CHECKING:
    from transformers import TrainingArguments


def schedule_arguments(train_cfg: Any, has_validation: bool) -> dict[str, Any]:
    """eval/save strategies: steps when given, else per epoch; saves align with evals so the best checkpoint
    (lowest validation loss) exists on disk for load_best_model_at_end."""
    args: dict[str, Any] = {}
    eval_steps, save_steps = train_cfg.eval_steps, train_cfg.save_steps
    if has_validation:
        if eval_steps is None and save_steps is not None:
            eval_steps = save_steps
        if save_steps is None and eval_steps is not None:
            save_steps = eval_steps
        if eval_steps is not None and save_steps % eval_steps != 0:
            raise ConfigError(
                f"train.save_steps ({save_steps}) must be a multiple of train.eval_steps ({eval_steps}) so "
                "the best checkpoint by validation loss is saved"
            )
        args["eval_strategy"] = "steps" if eval_steps else "epoch"
        if eval_steps:
            args["eval_steps"] = eval_steps
        args["load_best_model_at_end"] = True
        args["metric_for_best_model"] = "eval_loss"
        args["greater_is_better"] = False
    else:
        args["eval_strategy"] = "no"
    args["save_strategy"] = "steps" if save_steps else "epoch"
    if save_steps:
        args["save_steps"] = save_steps
    return args


def checkpointing_arguments(enabled: bool) -> dict[str, Any]:
    """Gradient (activation) checkpointing arguments, under the name this transformers version uses."""
    import dataclasses

    from transformers import TrainingArguments

    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    prefix = "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"
    if not enabled:
        return {}
    # Non-reentrant checkpointing works with frozen embeddings (LoRA) without enable_input_require_grads.
    return {prefix: True, f"{prefix}_kwargs": {"use_reentrant": False}}


def training_arguments(
    config: RunConfig, checkpoint_dir: Path, *, precision: str, cuda: bool, packed: bool, has_validation: bool,
    tracking: dict[str, Any],
) -> TrainingArguments:
    """The Trainer's arguments for this run: checkpoints under ``checkpoint_dir``; ``packed`` (the collator
    flattens batches) turns length grouping off; ``tracking`` is training.tracking.tracking_arguments."""
    from transformers import TrainingArguments

    t = config.train
    return TrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio,  # a float in [0, 1) is a ratio of the total steps (module docstring)
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.eval_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        **checkpointing_arguments(t.gradient_checkpointing),
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=not cuda,
        train_sampling_strategy="group_by_length" if t.group_by_length and not packed else "random",
        logging_steps=t.logging_steps,
        logging_first_step=True,
        save_total_limit=t.save_total_limit,
        seed=t.seed,
        data_seed=t.seed,
        **tracking,  # train.report_to / train.run_name: the Trainer's own integrations (training.tracking)
        ddp_find_unused_parameters=False if t.method != "full" else None,
        include_num_input_tokens_seen="non_padding",
        dataloader_num_workers=0,
        **schedule_arguments(t, has_validation=has_validation),
    )
