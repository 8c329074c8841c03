"""Arguments every config-driven stage shares, and the argparse types of numeric flags."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable

from filingsum.core.config import ConfigError, RunConfig, load_config, parse_overrides

# What the prompt costs beyond the filing text (chat template, instruction): a generous estimate, so the
# context check below needs no tokenizer (the default instruction renders to about 90 tokens on SmolLM2).
PROMPT_OVERHEAD_TOKENS = 160


class _OneConfig(argparse.Action):
    """``--config``: one file. A repeated one is remembered (``_configs_given``) and refused by `load_run_config`
    (exit 2), not silently dropped for the last."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        earlier = getattr(namespace, self.dest, None)
        if earlier is not None:
            namespace._configs_given = [*getattr(namespace, "_configs_given", [earlier]), values]
        setattr(namespace, self.dest, values)


def add_config_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--config", "-c", required=required, action=_OneConfig,
                        help="YAML run config (see configs/); one file: --set overrides its values")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
        help="override a config value, e.g. --set train.max_steps=2 (repeatable)",
    )


def load_run_config(args: argparse.Namespace, *, check_context: bool = True) -> RunConfig:
    """The run's config (``--config`` and ``--set``); every config error in one ConfigError (exit 2). With
    ``check_context``, also the context check (`check_context_budget`). UsageError for a repeated --config."""
    given = getattr(args, "_configs_given", None)
    if given:
        from filingsum.core.errors import UsageError

        raise UsageError(f"--config is given {len(given)} times ({', '.join(map(str, given))}), and only one is "
                         "read; give one --config; use --set KEY=VALUE for overrides")
    if getattr(args, "config", None):
        config = load_config(args.config, args.overrides)
    else:
        config = parse_overrides(args.overrides, "--set")
    if check_context:
        check_context_budget(config)
    return config


def check_context_budget(config: RunConfig, *, summary_tokens: int | None = None, instruction: str | None = None,
                         what: str = "--instruction", count_tokens: Callable[[str], int] | None = None) -> None:
    """Source budget + summary cap + prompt against the model's context (when it can be read cheaply):
    ConfigError when the source and the summary alone do not fit, a warning when the prompt tips it over. An
    ``instruction`` other than the default (``what`` names where it came from) is counted (``count_tokens``, else
    the model's tokenizer) in place of the default's share of the prompt: UsageError when it leaves no room for the
    filing (alone, or with the summary cap and the chat template, it fills the context)."""
    from filingsum.core.models import context_length
    from filingsum.core.prompt import DEFAULT_INSTRUCTION

    context = context_length(config.model.name)
    if context is None:
        return
    source = config.model.max_source_tokens
    summary = summary_tokens if summary_tokens is not None else config.model.max_summary_tokens
    if source + summary > context:
        raise ConfigError(
            f"model.max_source_tokens ({source}) + model.max_summary_tokens ({summary}) = {source + summary} "
            f"tokens cannot fit in the {context}-token context of {config.model.name}; lower "
            f"model.max_source_tokens to at most {max(0, context - summary - PROMPT_OVERHEAD_TOKENS)}"
        )
    prompt, note = PROMPT_OVERHEAD_TOKENS, ""
    if instruction and instruction.strip() != DEFAULT_INSTRUCTION.strip():
        prompt, note = _prompt_with(config, instruction, what, count_tokens, context, summary)
    if source + summary + prompt > context:
        print(f"filingsum: warning: model.max_source_tokens ({source}) + model.max_summary_tokens ({summary}) + "
              f"about {prompt} prompt tokens{note} exceed the {context}-token context of {config.model.name}: long "
              f"filings may be cut (or refused by the server); lower model.max_source_tokens to at most "
              f"{context - summary - prompt}{f', or shorten {what}' if note else ''}", file=sys.stderr)


def _prompt_with(config: RunConfig, instruction: str, what: str, count_tokens: Callable[[str], int] | None,
                 context: int, summary: int) -> tuple[int, str]:
    """The prompt's tokens with ``instruction`` in place of the default one (both counted; the rest of the estimate
    is the chat template's) and the note a warning adds; UsageError when no token is left for the filing."""
    from filingsum.core.errors import UsageError
    from filingsum.core.prompt import DEFAULT_INSTRUCTION

    if count_tokens is None:
        from filingsum.core.models import load_tokenizer
        from filingsum.core.tokens import token_counter

        count_tokens = token_counter(load_tokenizer(config.model.name))
    tokens = count_tokens(instruction)
    template = max(0, PROMPT_OVERHEAD_TOKENS - count_tokens(DEFAULT_INSTRUCTION))  # chat template, system prompt
    if tokens + summary + template >= context:
        alone = " (more than the whole context)" if tokens >= context else ""
        raise UsageError(
            f"{what} is {tokens:,} tokens{alone}: with the {summary}-token summary cap and about {template} tokens "
            f"of chat template it leaves no room for the filing in the {context}-token context of "
            f"{config.model.name}; shorten it to at most "
            f"{max(0, context - summary - template - config.model.max_source_tokens):,} tokens (with "
            f"model.max_source_tokens {config.model.max_source_tokens})")
    return template + tokens, f" ({what}: {tokens:,} tokens)"


def configured(args: argparse.Namespace, pick: Callable[[RunConfig], object], fallback: str) -> str:
    """A value of the run's config for a message (e.g. an output dir after Ctrl-C); ``fallback`` when the
    config cannot be read (the message must not fail)."""
    try:
        return str(pick(load_run_config(args, check_context=False)))
    except Exception:  # noqa: BLE001
        return fallback


# --- argparse types: a zero or negative count is refused at parse time (exit 2, one line) -----------------


def _number(text: str, kind: type, minimum: float, what: str) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    if value < minimum or (minimum == 0 and what == "positive" and value <= 0):
        raise argparse.ArgumentTypeError(f"must be {what}, not {text}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return int(_number(text, int, 1, "at least 1"))


def bounded_positive_int(maximum: int) -> Callable[[str], int]:
    """argparse type: an integer from 1 to ``maximum``."""
    def parse(text: str) -> int:
        value = positive_int(text)
        if value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, not {text}")
        return value

    return parse


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    return int(_number(text, int, 0, "0 or more"))


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    return float(_number(text, float, 0, "positive"))


def non_negative_float(text: str) -> float:
    """argparse type: a finite number >= 0."""
    return float(_number(text, float, 0, "0 or more"))


def temperature(text: str) -> float:
    """argparse type: a sampling temperature, 0 (greedy) to 2 (the OpenAI API's range)."""
    value = float(_number(text, float, 0, "a temperature from 0 to 2"))
    if value > 2:
        raise argparse.ArgumentTypeError(f"must be a temperature from 0 to 2 (the OpenAI API's range), not {text}")
    return value


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1..65535."""
    value = int(_number(text, int, 1, "a port number from 1 to 65535"))
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, not {text}")
    return value


# --- argparse types of output paths: '-' is standard output to Unix tools, never a path named '-' ----------------


def _refuse_dash(text: str, takes: str, fix: str) -> str:
    if text == "-":
        raise argparse.ArgumentTypeError(f"'-' (standard output) {takes}; {fix}")
    return text


def output_dir(text: str) -> str:
    """argparse type of a directory-valued --out: '-' is a usage error (exit 2), not a dir named '-'."""
    return _refuse_dash(text, "cannot take a directory of outputs", "give a directory path (./- for a dir named '-')")


def report_file(text: str) -> str:
    """argparse type of a file that a command writes besides its printed report (loadtest --json): '-' is a usage
    error (exit 2), since standard output already takes the printed report, not a file named '-'."""
    return _refuse_dash(text, "already takes the printed report", "give a file path (./- for a file named '-')")
