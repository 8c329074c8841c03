"""`filingsum train`: LoRA / QLoRA / full fine-tuning driven by one YAML config.

Heavy imports (torch, transformers, peft) happen inside run(), so `filingsum --help` stays instant.
"""

from __future__ import annotations

import argparse
import sys

from filingsum.cli.common import add_config_arguments, load_run_config, positive_int
from filingsum.core.errors import UsageError

HELP = "fine-tune a model (LoRA, QLoRA or full) on a built dataset"
DESCRIPTION = """\
Fine-tune the configured model on DATA_OUT_DIR/train.jsonl (data.out_dir), evaluating on validation.jsonl.

Writes a run directory at train.output_dir: adapter/ (peft, loadable by vLLM), checkpoints/, metrics.json,
loss.png, run_card.md, logs/ (TensorBoard), config.resolved.yaml; merged/ when train.merge is true.
Rerunning the same command after a kill or Ctrl-C resumes from the last checkpoint (train.resume); rerunning
a finished run does nothing (with other settings that train no further step it stops, exit 2); resuming onto
checkpoints of other data or another model stops unless --force-resume, and onto checkpoints of another LoRA
rank, target modules, method or init adapter stops always (--no-resume starts over).

Multi-GPU: filingsum train --launch configs/accelerate-ddp.yaml --config C
  (accelerate's launcher run by this command: Ctrl-C, SIGTERM or SIGHUP stops every process and exits in one line;
  `accelerate launch --config_file configs/accelerate-ddp.yaml -m filingsum.cli train --config C` also works)

Examples:
  filingsum train --config configs/smollm2-quality-cpu.yaml
  filingsum train --config configs/smollm2-quality-cpu.yaml --set train.max_steps=10 --set train.merge=true
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument(
        "--no-resume", action="store_true",
        help="start from scratch even if output_dir has checkpoints (they are moved aside, not deleted)",
    )
    parser.add_argument(
        "--force-resume", action="store_true",
        help="resume even if output_dir's checkpoints were trained on other data or another model",
    )
    parser.add_argument(
        "--launch", metavar="ACCELERATE_CONFIG",
        help="train with several processes as this accelerate config says (configs/accelerate-ddp.yaml, "
        "-fsdp, -deepspeed, -ddp-cpu): `accelerate launch` run by this command",
    )
    parser.add_argument("--num-processes", type=positive_int, help="with --launch: the number of processes")


def interrupted(args: argparse.Namespace) -> str:
    from pathlib import Path

    from filingsum.cli.common import configured

    run_dir = configured(args, lambda c: c.train.output_dir, "train.output_dir")
    checkpoints = Path(run_dir) / "checkpoints"
    if run_dir != "train.output_dir" and not any(checkpoints.glob("checkpoint-*")):  # before the first save
        return "no checkpoint was saved yet (interrupted before the first one); rerun the same command to start over"
    return (f"checkpoints saved so far are kept in {checkpoints}/; rerun the same command to resume from "
            "the last one")


def run(args: argparse.Namespace) -> int:
    """SIGHUP (a closed terminal, `kill -HUP`; under --launch passed on to each worker) stops it as SIGTERM does:
    checkpoints kept, the run dir's lock released, one line, exit 129."""
    from filingsum.cli import unwinding_on_sighup

    with unwinding_on_sighup():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    config = load_run_config(args)
    if getattr(args, "no_resume", False):
        config.train.resume = False
    if getattr(args, "force_resume", False):
        config.train.force_resume = True
    if config.train.push_to_hub:  # a repo id, token or offline setting that cannot work: before hours of training
        from filingsum.inference.export import check_push_target

        check_push_target(config.train.push_to_hub, what="train.push_to_hub")
    if getattr(args, "num_processes", None) and not getattr(args, "launch", None):
        raise UsageError("--num-processes needs --launch ACCELERATE_CONFIG (e.g. configs/accelerate-ddp.yaml)")
    if getattr(args, "launch", None):  # the config is valid: now start the processes that train on it
        from filingsum.cli.train_launch import launch_training

        return launch_training(args)
    from filingsum.training.trainer import train

    result = train(config)
    print(f"run dir: {result.run_dir}")
    print(f"adapter: {result.adapter_dir}")
    if result.merged_dir:
        print(f"merged:  {result.merged_dir}")
    if result.published is not None:
        if result.published.error:
            print(f"filingsum: error: push to {result.published.repo} failed: {result.published.error}",
                  file=sys.stderr)
            return 1
        print(f"exported: {result.published.export.out_dir}; pushed: {result.published.export.hub_url}")
    return 0
