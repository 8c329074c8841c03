"""`train(config)`: LoRA / QLoRA / full fine-tuning on the HF Trainer, writing one run directory.

Why the plain `transformers.Trainer` and not TRL's `SFTTrainer`: `filingsum.core.prompt.encode_example` already
builds the masked examples (chat template, -100 on the prompt) identically for decoder and seq2seq models,
which is the part SFTTrainer would add; TRL is not a dependency and would be one more version to pin. The
Trainer still brings accelerate underneath (mixed precision, gradient accumulation, DDP/FSDP through
`accelerate launch`), seeded sampling, checkpoint/resume, early stopping and tqdm progress with ETA.
Seq2seq models also use the plain Trainer: generation during eval is done by GenerationEvalCallback, so
Seq2SeqTrainer's predict_with_generate is not needed.

Run directory (train.output_dir), see docs/training.md:
  adapter/ checkpoints/ logs/ merged/ (train.merge) config.resolved.yaml data.json metrics.json loss.png
  run_card.md finished.json

Reruns (training/checkpoints.py): the run dir is checked before any work (a file, unwritable: exit 2); a run
that finished with the same data, model and settings is a no-op; a resume onto checkpoints of other data or
another model stops (exit 2) unless train.force_resume; a damaged newest checkpoint is set aside and the
previous one used. Resuming is exact (same batches, optimizer, scheduler and RNG state as an uninterrupted
run), with length-grouped batches too (`epoch_seeded_length_sampler`).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from filingsum.core.config import ConfigError, RunConfig
from filingsum.core.contract import contract_from_config, write_contract
from filingsum.core.errors import FilingsumError, UsageError
from filingsum.core.io import MIN_FREE_BYTES, atomic_write_json, atomic_write_text, free_bytes, preflight_output_dir
from filingsum.core.schema import FilingRecord
from filingsum.training.checkpoints import (
    clear_finished,
    finished_run,
    mark_finished,
    read_fingerprint,
    resume_mismatch,
    run_fingerprint,
    usable_checkpoint,
)

if TYPE_CHECKING:
    from datasets import Dataset
    from transformers import PreTrainedTokenizerBase

    from filingsum.training.callbacks import GenerationEvalCallback

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"
ADAPTER = "adapter"
FULL_MODEL = "model"
MERGED = "merged"
FULL_FT_PARAM_WARNING = 2_000_000_000


class TrainingError(FilingsumError):
    """Training cannot run as configured (QLoRA without a GPU, flash-attention missing, ...)."""


class ResumeMismatchError(UsageError):
    """output_dir holds checkpoints of other data or another model; resuming would mix two runs."""


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


# --- decisions (pure, tested) ----------------------------------------------------------------------------

# CPU flags of a native bfloat16 matmul (Intel AMX, AVX512-BF16; Arm's BF16 extension): without one, oneDNN
# emulates bf16 and an autocast LoRA step is ~2x slower than fp32 (52 vs 100 tokens/s on an AVX512 Xeon
# without them; 367 vs 182 with AMX: BENCHMARKS.md).
NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16", "bf16"})


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from /proc/cpuinfo (Linux; empty elsewhere or when unreadable)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def resolve_precision(requested: str, *, cuda: bool, bf16_supported: bool,
                      cpu_features: frozenset[str] | None = None) -> str:
    """'bf16' | 'fp16' | 'fp32'. auto: bf16 on GPUs that support it, fp16 on older GPUs; on CPU, bf16 autocast
    where the CPU multiplies bf16 natively (``cpu_features``, default: this machine's), else fp32."""
    if requested == "auto":
        if not cuda:
            features = cpu_flags() if cpu_features is None else cpu_features
            return "bf16" if features & NATIVE_BF16_FLAGS else "fp32"
        return "bf16" if bf16_supported else "fp16"
    if requested == "fp16" and not cuda:
        raise TrainingError("train.precision=fp16 needs a CUDA GPU (use auto, fp32 or bf16 on CPU)")
    if requested == "bf16" and cuda and not bf16_supported:
        raise TrainingError("train.precision=bf16: this GPU has no bfloat16 support (use auto or fp16)")
    if requested == "bf16" and not cuda:
        features = cpu_flags() if cpu_features is None else cpu_features
        if features and not features & NATIVE_BF16_FLAGS:
            log.warning("train.precision=bf16 on a CPU without native bfloat16 (no AMX or AVX512-BF16): it is "
                        "emulated, about 2x slower than fp32; train.precision=auto picks fp32 here")
    return requested


def resolve_attn_implementation(requested: str, *, cuda: bool, seq2seq: bool) -> str | None:
    """None lets transformers pick (sdpa where the architecture supports it, else eager)."""
    flash_installed = importlib.util.find_spec("flash_attn") is not None
    if requested == "flash_attention_2":
        if not cuda or not flash_installed:
            raise TrainingError(
                "model.attn_implementation=flash_attention_2 needs a CUDA GPU and the flash-attn package "
                "(pip install flash-attn --no-build-isolation); use sdpa or auto"
            )
        return requested
    if requested == "auto":
        return "flash_attention_2" if cuda and flash_installed and not seq2seq else None
    return requested


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


def last_complete_checkpoint(checkpoint_dir: Path) -> str | None:
    """The newest usable checkpoint-N: a run killed mid-save, a full disk or a damaged file leaves a torn
    newest checkpoint, which is set aside with a warning (training.checkpoints.usable_checkpoint)."""
    return usable_checkpoint(checkpoint_dir)


def _checkpointing_arguments(enabled: bool) -> dict[str, Any]:
    """Gradient (activation) checkpointing arguments, under the name this transformers version uses."""
    import dataclasses

    from transformers import TrainingArguments

    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    prefix = "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"
    if not enabled:
        return {}
    # Non-reentrant checkpointing works with frozen embeddings (LoRA) without enable_input_require_grads.
    return {prefix: True, f"{prefix}_kwargs": {"use_reentrant": False}}


# --- model ------------------------------------------------------------------------------------------------

def _torch_dtype(precision: str, method: str, model_dtype: str, *, cuda: bool = True) -> Any:
    import torch

    if model_dtype != "auto":
        return getattr(torch, model_dtype)
    # Full fine-tuning keeps fp32 master weights (AMP autocasts the matmuls); LoRA freezes the base, so on a
    # GPU it is loaded in the compute dtype (half the memory) and peft keeps the adapter weights in fp32. On
    # CPU fp32 weights under bf16 autocast run faster than bf16 weights (367 vs 156 tokens/s, BENCHMARKS.md).
    if method == "full" or not cuda:
        return torch.float32
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)


def _load_model(config: RunConfig, model_dir: str, *, seq2seq: bool, precision: str, cuda: bool) -> Any:
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    t = config.train
    kwargs: dict[str, Any] = {"dtype": _torch_dtype(precision, t.method, config.model.dtype, cuda=cuda),
                              "trust_remote_code": config.model.trust_remote_code}
    attn = resolve_attn_implementation(config.model.attn_implementation, cuda=cuda, seq2seq=seq2seq)
    if attn:
        kwargs["attn_implementation"] = attn
    if t.method == "qlora":
        if not cuda:
            raise TrainingError("train.method=qlora needs a CUDA GPU (4-bit bitsandbytes); use method=lora on CPU")
        if importlib.util.find_spec("bitsandbytes") is None:
            raise TrainingError("train.method=qlora needs bitsandbytes: pip install 'filingsum[qlora]'")
        from transformers import BitsAndBytesConfig

        compute = torch.bfloat16 if precision == "bf16" else torch.float16
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute,
        )
        kwargs["dtype"] = compute
        from accelerate import PartialState

        kwargs["device_map"] = {"": PartialState().local_process_index}
    auto = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
    model = auto.from_pretrained(model_dir, **kwargs)
    if t.gradient_checkpointing:
        model.config.use_cache = False
    if t.method == "qlora":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=t.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    return model


def _apply_peft(model: Any, config: RunConfig, *, seq2seq: bool) -> Any:
    t = config.train
    if t.method == "full":
        total = sum(p.numel() for p in model.parameters())
        if total > FULL_FT_PARAM_WARNING:
            log.warning("full fine-tuning a %.1fB-parameter model: expect large memory use; consider lora",
                        total / 1e9)
        for p in model.parameters():
            p.requires_grad_(True)
        return model
    from peft import LoraConfig, TaskType, get_peft_model

    if t.init_adapter:
        return _continue_adapter(model, t.init_adapter)
    lora = LoraConfig(
        r=t.lora.r, lora_alpha=t.lora.alpha, lora_dropout=t.lora.dropout,
        target_modules=t.lora.target_modules, bias="none",
        task_type=TaskType.SEQ_2_SEQ_LM if seq2seq else TaskType.CAUSAL_LM,
    )
    return get_peft_model(model, lora)


def _continue_adapter(model: Any, spec: str) -> Any:
    """The base with ``spec``'s LoRA weights loaded trainable (train.init_adapter): training goes on from them."""
    from peft import PeftModel

    from filingsum.core.models import AdapterError, find_adapter_dir

    try:
        adapter_dir = find_adapter_dir(spec)
    except AdapterError as exc:
        raise TrainingError(f"train.init_adapter: {exc}") from exc
    log.info("train.init_adapter: continuing from the weights of %s (its own LoRA settings; train.lora ignored)",
             adapter_dir)
    return PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=True)


def _param_counts(model: Any) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


# --- the run ---------------------------------------------------------------------------------------------

def _trainer_class(base: type) -> type:
    """The Trainer with two resume fixes: length-grouped batches seeded per epoch, so a resumed run sees the
    same batches as an uninterrupted one (training.data.epoch_seeded_length_sampler), and no step past
    max_steps when resuming from the final checkpoint (the stock loop trains one more step before it checks);
    everything else is the stock Trainer."""
    from filingsum.training.data import epoch_seeded_length_sampler

    class FilingsumTrainer(base):  # type: ignore[misc, valid-type]
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


def _write_resolved_config(config: RunConfig, run_dir: Path) -> None:
    data = config.model_dump(mode="json")
    header = f"# resolved from {config.source_path or '<in-memory config>'}\n"
    atomic_write_text(run_dir / "config.resolved.yaml", header + yaml.safe_dump(data, sort_keys=False))


def _finished_result(config: RunConfig, run_dir: Path, marker: dict[str, Any]) -> TrainResult:
    """The result of a run that had already finished: read from its run dir, nothing trained (model None)."""
    t = config.train
    out_dir = run_dir / (FULL_MODEL if t.method == "full" else ADAPTER)
    merged_dir = None
    if t.merge and t.method != "full":
        merged_dir = run_dir / MERGED
        if not merged_dir.is_dir():
            from filingsum.core.models import resolve_model
            from filingsum.inference.adapters import merge_adapter

            merged_dir = merge_adapter(out_dir, merged_dir, base_model=resolve_model(config.model.name))
    metrics = (read_fingerprint(run_dir, "metrics.json") or {}).get("final_metrics", {})
    log.info("%s already finished (step %s) with the same data, model and settings: nothing to train "
             "(--no-resume trains it again)", run_dir, marker.get("global_step"))
    return TrainResult(run_dir=run_dir, adapter_dir=out_dir if t.method != "full" else None, model_dir=out_dir,
                       merged_dir=merged_dir, metrics=metrics, resumed_from=None, model=None)


def _check_free_space(run_dir: Path, trainable: int, total: int, config: RunConfig) -> None:
    """Enough room for the checkpoints the run keeps (weights + two Adam moments of the trained parameters,
    the full model too for method=full), before the first step rather than at the first save."""
    t = config.train
    per_checkpoint = trainable * 4 * 3 + (total * 4 if t.method == "full" else 0)
    needed = max(MIN_FREE_BYTES, per_checkpoint * (t.save_total_limit + 1))
    free = free_bytes(run_dir)
    if free is not None and free < needed:
        preflight_output_dir(run_dir, what="run directory (train.output_dir)", min_free_bytes=needed)


def tokenize_splits(
    config: RunConfig, train_records: list[FilingRecord], val_records: list[FilingRecord],
    tokenizer: PreTrainedTokenizerBase, *, seq2seq: bool, max_length: int | None,
) -> tuple[Dataset, Dataset | None]:
    """Train and validation datasets with labels cut at the run's summary cap (model.max_summary_tokens);
    TrainingError when no training example fits the model's context; None for an empty validation split."""
    from filingsum.training.data import tokenize_records

    encode = dict(seq2seq=seq2seq, max_summary_tokens=config.summary_tokens(), max_length=max_length)
    train_ds = tokenize_records(train_records, tokenizer, **encode)
    if len(train_ds) == 0:
        raise TrainingError(f"{config.data.out_dir}: no training example fits the model's context")
    val_ds = tokenize_records(val_records, tokenizer, **encode) if val_records else None
    return train_ds, (val_ds if val_ds is not None and len(val_ds) else None)


def generation_callback(
    config: RunConfig, val_records: list[FilingRecord], tokenizer: PreTrainedTokenizerBase
) -> GenerationEvalCallback | None:
    """The generation eval on the first validation filings (None when off or there are none): greedy up to
    the summary cap (train.generation_max_new_tokens overrides it), scored against the cap."""
    from filingsum.training.callbacks import GenerationEvalCallback

    t = config.train
    if not t.generation_eval_samples or not val_records:
        return None
    return GenerationEvalCallback(
        val_records[: t.generation_eval_samples], tokenizer,
        max_new_tokens=config.summary_tokens(t.generation_max_new_tokens), limit=config.summary_tokens(),
    )


def train(config: RunConfig) -> TrainResult:
    """Train as configured and write the run directory; rerunning after a kill resumes (train.resume), and
    rerunning a finished run is a no-op (TrainResult.model is None then)."""
    import torch
    from transformers import EarlyStoppingCallback, Trainer, TrainingArguments, set_seed

    from filingsum.core.models import is_seq2seq, load_tokenizer, resolve_model
    from filingsum.training.data import data_fingerprint, load_split_records, make_collator
    from filingsum.training.plots import plot_loss
    from filingsum.training.run_card import render_run_card
    from filingsum.training.tracking import point_tensorboard, tracking_arguments

    t = config.train
    run_dir = Path(t.output_dir)
    checkpoint_dir = run_dir / CHECKPOINTS
    preflight_output_dir(run_dir, what="run directory (train.output_dir)")
    tracking = tracking_arguments(config, run_dir)  # a tracker that is not installed stops here, before any work

    splits = load_split_records(config.data.out_dir)
    train_records = splits["train"]
    val_records = splits.get("validation", [])
    fingerprint = run_fingerprint(config, {
        "data_dir": str(config.data.out_dir),
        "train": {"records": len(train_records), "sha256": data_fingerprint(train_records)},
        "validation": {"records": len(val_records), "sha256": data_fingerprint(val_records)},
    })
    if t.resume:
        marker = finished_run(run_dir, fingerprint)
        if marker is not None:
            result = _finished_result(config, run_dir, marker)
            if t.push_to_hub and result.adapter_dir is not None and os.environ.get("RANK", "0") == "0":
                from filingsum.training.publish import publish_run

                result.published = publish_run(run_dir, t.push_to_hub)  # push_to_hub added after the run
            return result
        previous = read_fingerprint(run_dir) if checkpoint_dir.is_dir() else None
        mismatch = resume_mismatch(previous, fingerprint)
        if previous and previous.get("settings_sha256") not in (None, fingerprint["settings_sha256"]):
            log.warning("%s: the model or train settings differ from those of its checkpoints; resuming with the "
                        "new ones (--no-resume to start over)", run_dir)
        if mismatch and not t.force_resume:
            raise ResumeMismatchError(
                f"{run_dir}: its checkpoints belong to another run: {mismatch}; use another train.output_dir, "
                "--no-resume to start over, or --force-resume to continue anyway"
            )
        if mismatch:
            log.warning("%s: resuming on purpose (force_resume) although %s", run_dir, mismatch)
    elif checkpoint_dir.is_dir() and any(checkpoint_dir.iterdir()):
        # A fresh start must not leave the old run's later checkpoints for a future resume to pick up.
        aside = run_dir / f"{CHECKPOINTS}.previous-{time.strftime('%Y%m%d-%H%M%S')}"
        checkpoint_dir.rename(aside)
        log.warning("train.resume is off: the previous checkpoints were moved to %s", aside)
    clear_finished(run_dir)

    model_dir = resolve_model(config.model.name)
    from transformers import AutoConfig

    model_config = AutoConfig.from_pretrained(model_dir, trust_remote_code=config.model.trust_remote_code)
    seq2seq = is_seq2seq(model_config)
    tokenizer = load_tokenizer(model_dir)
    tokenizer.padding_side = "right"

    cuda = torch.cuda.is_available()
    precision = resolve_precision(t.precision, cuda=cuda, bf16_supported=cuda and torch.cuda.is_bf16_supported())
    max_length = None if seq2seq else getattr(model_config, "max_position_embeddings", None)
    train_ds, val_ds = tokenize_splits(config, train_records, val_records, tokenizer, seq2seq=seq2seq,
                                       max_length=max_length)
    fingerprint["train"]["examples"] = len(train_ds)
    fingerprint["validation"]["examples"] = len(val_ds) if val_ds is not None else 0

    set_seed(t.seed)  # before the model: LoRA's initialisation draws from the RNG
    model = _load_model(config, model_dir, seq2seq=seq2seq, precision=precision, cuda=cuda)
    model = _apply_peft(model, config, seq2seq=seq2seq)
    trainable, total = _param_counts(model)
    log.info("trainable parameters: %d of %d (%.2f%%)", trainable, total, 100 * trainable / max(total, 1))
    _check_free_space(run_dir, trainable, total, config)

    collate = make_collator(tokenizer, seq2seq=seq2seq, packing=t.packing, model=model,
                            pad_to_multiple_of=8 if cuda else None)
    args = TrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio,  # a float in [0, 1) is a ratio of the total steps
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.eval_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        **_checkpointing_arguments(t.gradient_checkpointing),
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=not cuda,
        train_sampling_strategy="group_by_length" if t.group_by_length and not collate.packed else "random",
        logging_steps=t.logging_steps,
        logging_first_step=True,
        save_total_limit=t.save_total_limit,
        seed=t.seed,
        data_seed=t.seed,
        **tracking,  # train.report_to / train.run_name: the Trainer's own integrations (training.tracking)
        ddp_find_unused_parameters=False if t.method != "full" else None,
        include_num_input_tokens_seen="non_padding",
        dataloader_num_workers=0,
        **schedule_arguments(t, has_validation=val_ds is not None),
    )
    callbacks: list[Any] = []
    if t.early_stopping_patience and val_ds is not None:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=t.early_stopping_patience))
    gen_callback = generation_callback(config, val_records, tokenizer)
    if gen_callback is not None:
        callbacks.append(gen_callback)
    trainer = _trainer_class(Trainer)(
        model=model, args=args, data_collator=collate.collator, train_dataset=train_ds, eval_dataset=val_ds,
        processing_class=tokenizer, callbacks=callbacks,
    )
    if gen_callback is not None:
        gen_callback.trainer = trainer
    point_tensorboard(trainer.callback_handler.callbacks, run_dir / "logs")  # also for the final evaluate()

    resume_from = last_complete_checkpoint(checkpoint_dir) if t.resume else None
    if resume_from:
        log.info("resuming from %s", resume_from)
    if trainer.is_world_process_zero():
        _write_resolved_config(config, run_dir)
        atomic_write_json(run_dir / "data.json", fingerprint)
    train_output = trainer.train(resume_from_checkpoint=resume_from)

    final_metrics: dict[str, Any] = dict(train_output.metrics)
    if val_ds is not None:
        final_metrics.update(trainer.evaluate())  # the kept (best) model's validation loss + gen_* metrics
        if gen_callback is not None:
            final_metrics.update(gen_callback.last_metrics)

    is_main = trainer.is_world_process_zero()
    out_dir = run_dir / (FULL_MODEL if t.method == "full" else ADAPTER)
    trainer.save_model(str(out_dir))  # collective under FSDP/DeepSpeed: every process calls it
    merged_dir = None
    if is_main:
        tokenizer.save_pretrained(out_dir)  # with the chat template, so serving renders the training prompt
        # What serve, summarize and eval must feed and decode this model with (core.contract).
        write_contract(out_dir, contract_from_config(config))
        if t.merge and t.method != "full":
            from filingsum.inference.adapters import merge_adapter

            merged_dir = merge_adapter(out_dir, run_dir / MERGED, base_model=model_dir)
        summary = {
            "model_dir": model_dir, "seq2seq": seq2seq, "precision": precision,
            "device": torch.cuda.get_device_name(0) if cuda else "cpu", "world_size": args.world_size,
            "distributed_type": trainer.accelerator.distributed_type.value,
            "trainable_params": trainable, "total_params": total,
            "train_examples": len(train_ds), "validation_examples": len(val_ds) if val_ds is not None else 0,
            "train_fingerprint": fingerprint["train"]["sha256"], "global_step": trainer.state.global_step,
            "epoch": trainer.state.epoch, "resumed_from": resume_from,
            "best_checkpoint": trainer.state.best_model_checkpoint, "merged_dir": str(merged_dir or ""),
            "final_metrics": final_metrics,
        }
        atomic_write_json(run_dir / "metrics.json", {
            **summary,
            "generation_eval_predictions": gen_callback.last_predictions if gen_callback else [],
            "log_history": trainer.state.log_history,
        })
        plot_loss(trainer.state.log_history, run_dir / "loss.png", title=f"{config.run_name}: loss")
        atomic_write_text(run_dir / "run_card.md", render_run_card(config, summary))
        mark_finished(run_dir, fingerprint, trainer.state.global_step)  # last: the run is complete
    published = None
    if is_main and t.push_to_hub:
        if t.method == "full":
            log.warning("train.push_to_hub: method full has no adapter to export; upload %s with `hf upload`", out_dir)
        else:
            from filingsum.training.publish import publish_run

            published = publish_run(run_dir, t.push_to_hub)  # after the run is complete: a failure keeps it
    return TrainResult(
        run_dir=run_dir,
        adapter_dir=out_dir if t.method != "full" else None,
        model_dir=out_dir,
        merged_dir=merged_dir,
        metrics=final_metrics,
        resumed_from=resume_from,
        model=trainer.model,
        published=published,
    )
