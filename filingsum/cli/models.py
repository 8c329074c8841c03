"""`filingsum models`: build or check the cached model dirs (embedded SmolLM2, tiny test models)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "prepare or inspect models (embedded SmolLM2, tiny test models, hub ids, local dirs)"
DESCRIPTION = """Resolve model specs to local directories, building cached ones on first use.

  filingsum models prepare embedded:smollm2-135m-instruct tiny-random
  filingsum models check embedded:smollm2-135m-instruct
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=["prepare", "check"], help="prepare: build or download if needed; check: verify every "
        "file's sha256 (built models), a local dir's config, a hub id's presence in the HF cache"
    )
    parser.add_argument("specs", nargs="+", help="model specs")


def interrupted(args: argparse.Namespace) -> str:
    return "a model dir left half-built is detected by its manifest and rebuilt on the next use"


def run(args: argparse.Namespace) -> int:
    from filingsum.core.hub_models import download_hub_model
    from filingsum.core.models import cache_root, resolve_model

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
        target, problem = check_spec(spec)
        print(f"{spec}\t{target}\t{problem or 'ok'}")
        status |= problem is not None
    return status


def check_spec(spec: str) -> tuple[str, str | None]:
    """Where a model spec lives and why it cannot be used (None: usable). A model filingsum builds (embedded:,
    tiny-random) is hashed against its manifest; a local directory must hold config.json (or an adapter's); a
    hub id must be in the Hugging Face cache (nothing is downloaded: `models prepare` does that)."""
    from filingsum.core.models import (
        EMBEDDED_MODELS,
        EMBEDDED_PREFIX,
        TINY_MODELS,
        ModelResolutionError,
        cache_problem,
        cache_root,
        resolve_model,
    )

    spec = spec.strip()
    if spec.startswith(EMBEDDED_PREFIX) and spec[len(EMBEDDED_PREFIX):] not in EMBEDDED_MODELS:
        known = ", ".join(EMBEDDED_PREFIX + name for name in EMBEDDED_MODELS)
        return "-", f"unknown embedded model; embedded models: {known}"
    if spec.startswith(EMBEDDED_PREFIX) or spec in TINY_MODELS:
        target = cache_root() / "models" / spec.replace(EMBEDDED_PREFIX, "embedded-")
        if not target.exists():
            return str(target), f"not built: `filingsum models prepare {spec}` builds it"
        return str(target), cache_problem(target, full=True)
    try:
        resolved = resolve_model(spec)  # a local dir checked, a hub id returned unchanged
    except ModelResolutionError as exc:
        return "-", str(exc)
    if Path(spec).expanduser().exists():  # a local dir, checked by resolve_model
        return resolved, None
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(spec, local_files_only=True), None
    except Exception:  # noqa: BLE001 (not cached, in any of its forms)
        return "-", f"a hub id not in the Hugging Face cache: `filingsum models prepare {spec}` downloads it"
