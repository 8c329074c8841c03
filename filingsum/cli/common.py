"""Arguments every config-driven stage shares."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from filingsum.core.config import RunConfig, load_config, parse_config


def add_config_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--config", "-c", required=required, help="YAML run config (see configs/)")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
        help="override a config value, e.g. --set train.max_steps=2 (repeatable)",
    )


def load_run_config(args: argparse.Namespace) -> RunConfig:
    if getattr(args, "config", None):
        return load_config(args.config, args.overrides)
    from filingsum.core.config import apply_override

    data: dict = {}
    for override in args.overrides:
        data = apply_override(data, override, "--set")
    return parse_config(data, "--set")


def configured(args: argparse.Namespace, pick: Callable[[RunConfig], object], fallback: str) -> str:
    """A value of the run's config for a message (e.g. an output dir after Ctrl-C); ``fallback`` when the
    config cannot be read (the message must not fail)."""
    try:
        return str(pick(load_run_config(args)))
    except Exception:  # noqa: BLE001
        return fallback
