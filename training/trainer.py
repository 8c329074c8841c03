"""`train(config)`: LoRA / QLoRA / full fine-tuning on the HF Trainer, writing one run directory.

Why the plain `transformers.Trainer` and not TRL's `SFTTrainer`: `filingsum.core.prompt.encode_example` already
builds the masked examples (chat template, -100 on the prompt) identically for decoder and seq2seq models,
which is the part SFTTrainer would add; TRL is not a dependency and would be one more version to pin. The
Trainer still brings accelerate underneath (mixed precision, gradient accumulation, DDP/FSDP through
`accelerate launch`), seeded sampling, checkpoint/resume, early stopping and tqdm progress with ETA.
Seq2seq models also use the plain Trainer: generation during eval is done by GenerationEvalCallback, so
Seq2SeqTrainer's predict_with_generate is not needed.

`train` reads as the recipe's phases, each in its own module:
  resume policy   training.resume     a finished run is a no-op; checkpoints of another run stop it
  setup_model     training.model      base model, tokenizer, precision; LoRA / init_adapter / full
  setup_data      training.data       tokenized train and validation splits; the batch collator
  arguments       training.arguments  TrainingArguments from the config
  run             training.loop       Trainer + callbacks, resumed from the last usable checkpoint
  write_outputs   training.outputs    adapter, contract, merged model, metrics, loss plot, run card

Run directory (train.output_dir, training.run_dir), see docs/training.md:
  adapter/ checkpoints/ logs/ merged/ (train.merge) config.resolved.yaml data.json metrics.json loss.png
  run_card.md finished.json

Reruns (training/resume.py, training/checkpoints.py): the run dir is locked (a second `train` on it at the
same time refuses, exit 2) and checked before any work (a file, unwritable: exit 2); a run that finished with
the same data, model and settings is a no-op; a resume onto checkpoints of other data or another model stops
(exit 2) unless train.force_resume, onto checkpoints of other weight shapes (LoRA rank, target modules, method,
init adapter) always, and so does a finished run whose new settings train no further step, all with the run dir
untouched; a damaged newest checkpoint is set aside and the previous one used. A run
whose weights turn NaN or infinite stops at that step (TrainingError, exit 1; training.callbacks) with its
earlier checkpoints kept and no adapter written. Resuming is exact (same batches, optimizer, scheduler and
RNG state as an uninterrupted run), with length-grouped batches too (`epoch_seeded_length_sampler`).
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from filingsum.core.config import RunConfig
from filingsum.core.io import OutputLock, preflight_output_dir
from filingsum.core.processes import exit_with_launcher
from filingsum.training.arguments import training_arguments
from filingsum.training.data import load_split_records, make_collator, setup_data
from filingsum.training.loop import run_trainer
from filingsum.training.model import load_base, setup_model
from filingsum.training.outputs import TrainResult, write_outputs
from filingsum.training.resume import finished_rerun, prepare_run_dir, run_data_fingerprint
from filingsum.training.run_dir import CHECKPOINTS, check_free_space, check_written_parts
from filingsum.training.tracking import tracking_arguments

__all__ = ["TrainResult", "train"]


def train(config: RunConfig) -> TrainResult:
    """Train as configured and write the run directory; rerunning after a kill resumes (train.resume), and
    rerunning a finished run is a no-op (TrainResult.model is None then). One run per run directory: a second
    one on the same train.output_dir refuses (`OutputBusyError`, exit 2), naming the first."""
    exit_with_launcher()  # a worker of `accelerate launch`: stop when the launcher dies (a kill -9 of it included)
    run_dir = Path(config.train.output_dir)
    with run_dir_lock(run_dir):
        return _train(config, run_dir)


def run_dir_lock(run_dir: Path) -> AbstractContextManager[object]:
    """The run directory's lock (`OutputLock`), taken by the main process of a run: the other processes of a
    distributed run (RANK > 0) share the directory with it."""
    if os.environ.get("RANK", "0") != "0":
        return nullcontext()
    return OutputLock(run_dir, "run directory (train.output_dir)")


def _train(config: RunConfig, run_dir: Path) -> TrainResult:
    t = config.train
    preflight_output_dir(run_dir, what="run directory (train.output_dir)")
    check_written_parts(run_dir)  # a symlinked adapter/ would be written through: refused before any work
    tracking = tracking_arguments(config, run_dir)  # a tracker that is not installed stops here, before any work

    splits = load_split_records(config.data.out_dir)
    fingerprint = run_data_fingerprint(config, splits)
    if t.resume and (finished := finished_rerun(config, run_dir, fingerprint)) is not None:
        return finished
    prepare_run_dir(config, run_dir, fingerprint)

    base = load_base(config)
    data = setup_data(config, splits, base)
    fingerprint["train"]["examples"] = len(data.train_ds)
    fingerprint["validation"]["examples"] = data.validation_examples

    trainable = setup_model(config, base)
    check_free_space(run_dir, trainable.trainable_params, trainable.total_params, config)
    collate = make_collator(base.tokenizer, seq2seq=base.seq2seq, packing=t.packing, model=trainable.model,
                            pad_to_multiple_of=8 if base.cuda else None)
    args = training_arguments(config, run_dir / CHECKPOINTS, precision=base.precision, cuda=base.cuda,
                              packed=collate.packed, has_validation=data.val_ds is not None, tracking=tracking)

    trained = run_trainer(config, run_dir, trainable.model, args, collate.collator, data, base.tokenizer,
                          fingerprint)
    return write_outputs(config, run_dir, base, data, trainable, trained, fingerprint)
