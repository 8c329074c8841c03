"""`filingsum models`: build or check the cached model dirs (embedded SmolLM2, tiny test models)."""

from __future__ import annotations

import argparse

HELP = "prepare or inspect models (embedded SmolLM2, tiny test models, hub ids, local dirs)"
DESCRIPTION = """Resolve model specs to local directories, building cached ones on first use.

  filingsum models prepare embedded:smollm2-135m-instruct tiny-random
  filingsum models check embedded:smollm2-135m-instruct
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=["prepare", "check"], help="prepare: build if needed; check: verify every file's sha256"
    )
    parser.add_argument("specs", nargs="+", help="model specs")


def interrupted(args: argparse.Namespace) -> str:
    return "a model dir left half-built is detected by its manifest and rebuilt on the next use"


def run(args: argparse.Namespace) -> int:
    from filingsum.core.models import cache_problem, cache_root, download_hub_model, resolve_model

    if args.action == "prepare":
        from filingsum.core.io import preflight_output_dir

        preflight_output_dir(cache_root(), what="model cache ($FILINGSUM_CACHE)")
    status = 0
    for spec in args.specs:
        if args.action == "prepare":
            resolved = resolve_model(spec)
            if resolved == spec.strip():  # a hub id: prepared means downloaded (or found in the HF cache)
                resolved = download_hub_model(resolved)
            print(f"{spec}\t{resolved}")
            continue
        name = spec.replace("embedded:", "embedded-")
        target = cache_root() / "models" / name
        problem = cache_problem(target, full=True) if target.exists() else "not built"
        print(f"{spec}\t{target}\t{problem or 'ok'}")
        status |= problem is not None
    return status
