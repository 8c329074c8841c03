"""Tracking through the Trainer's own integrations: train.report_to and train.run_name as TrainingArguments
resolves them, W&B offline unless the user chose a mode, unknown trackers as config errors, and TensorBoard
writing a real event file into the run's logs/ (no training step)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from filingsum.core.config import ConfigError, parse_config
from filingsum.core.errors import UsageError
from filingsum.training.tracking import point_tensorboard, tracking_arguments

ROOT = Path(__file__).resolve().parents[1]


def _arguments(tmp_path, train: dict, environ: dict | None = None, run_name: str = "acme"):
    from transformers import TrainingArguments

    config = parse_config({"run_name": run_name, "train": train}, "test")
    tracking = tracking_arguments(config, tmp_path / "run", environ={} if environ is None else environ)
    return TrainingArguments(output_dir=str(tmp_path / "ckpt"), use_cpu=True, **tracking)


def test_default_is_tensorboard_named_after_the_run(tmp_path):
    args = _arguments(tmp_path, {})
    assert args.report_to == ["tensorboard"]
    assert args.run_name == "acme"


def test_run_name_and_none(tmp_path):
    args = _arguments(tmp_path, {"run_name": "lr-sweep-3", "report_to": ["none"]})
    assert args.report_to == [] and args.run_name == "lr-sweep-3"


@pytest.fixture
def fake_wandb(tmp_path, monkeypatch):
    """An importable `wandb` (the tracker's package check looks for it; nothing here imports it)."""
    site = tmp_path / "site"
    (site / "wandb").mkdir(parents=True)
    (site / "wandb" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(site))


def test_wandb_runs_offline_unless_the_user_chose_a_mode(tmp_path, fake_wandb, caplog):
    env: dict[str, str] = {}
    with caplog.at_level(logging.INFO, logger="filingsum.training.tracking"):
        args = _arguments(tmp_path, {"report_to": ["tensorboard", "wandb"]}, env)
    assert args.report_to == ["tensorboard", "wandb"]
    assert env["WANDB_MODE"] == "offline" and env["WANDB_DIR"] == str(tmp_path / "run")
    assert "running offline" in caplog.text and "wandb sync" in caplog.text

    env = {"WANDB_MODE": "online"}
    _arguments(tmp_path, {"report_to": "wandb"}, env)  # a single name, as --set train.report_to=wandb gives
    assert env["WANDB_MODE"] == "online"


def test_a_tracker_that_is_not_installed_stops_before_any_work(tmp_path):
    with pytest.raises(UsageError, match="mlflow is not installed; pip install mlflow"):
        _arguments(tmp_path, {"report_to": ["tensorboard", "mlflow"]})


@pytest.mark.parametrize(("value", "message"), [
    (["comet"], "train.report_to.0"),
    (["none", "wandb"], "cannot be combined"),
])
def test_unknown_or_contradictory_report_to_is_a_config_error(value, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"train": {"report_to": value}}, "test")


def test_cli_set_report_to_unknown_exits_2(capsys):
    from filingsum.cli import main

    assert main(["train", "--config", str(ROOT / "configs" / "smollm2-cpu.yaml"),
                 "--set", "train.report_to=comet"]) == 2
    assert "train.report_to" in capsys.readouterr().err


def test_tensorboard_writes_its_event_file_into_the_runs_logs(tmp_path):
    from transformers import Trainer

    from filingsum.core.models import load_model

    args = _arguments(tmp_path, {})
    trainer = Trainer(model=load_model("tiny-random"), args=args)
    point_tensorboard(trainer.callback_handler.callbacks, tmp_path / "run" / "logs")
    trainer.callback_handler.on_train_begin(args, trainer.state, trainer.control)
    trainer.callback_handler.on_log(args, trainer.state, trainer.control, {"loss": 1.5})
    trainer.callback_handler.on_train_end(args, trainer.state, trainer.control)
    assert list((tmp_path / "run" / "logs").glob("events.out.tfevents.*"))
    assert not (tmp_path / "ckpt" / "runs").exists()
