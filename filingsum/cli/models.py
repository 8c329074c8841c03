"""`filingsum models`: build or check the cached model dirs (embedded SmolLM2, tiny test models)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "prepare or inspect models (embedded SmolLM2, tiny test models, hub ids, local dirs)"
DESCRIPTION = """Resolve model specs to local directories, building cached ones on first use.

  filingsum models prepare embedded:smollm2-135m-instruct tiny-random
  filingsum models check embedded:smollm2-135m-instruct

A built-in adapter (embedded:filingsum-smollm2, the shipped default) is its base model plus the adapter shipped
in the package: prepare builds the base, check checks both.
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
            shipped = builtin_adapter(spec)  # the shipped default: its base is what needs building
            resolved = resolve_model(shipped[1] if shipped else spec)
            if resolved == spec.strip():  # a hub id: prepared means downloaded (or found in the HF cache)
                resolved = download_hub_model(resolved)
            print(f"{spec}\t{resolved}" + (f"\t(base of the adapter {shipped[0]})" if shipped else ""))
            continue
        target, problem = check_spec(spec)
        print(f"{spec}\t{target}\t{problem or 'ok'}")
        status |= problem is not None
    return status


def builtin_adapter(spec: str) -> tuple[Path, str] | None:
    """(dir, base model spec) of the built-in adapter ``spec`` names (embedded:filingsum-smollm2), found as
    serve, export and train.init_adapter find it; None for any other spec. AdapterError when it is not
    installed or names no base."""
    from filingsum.core.models import builtin_adapter_dir, find_adapter_dir
    from filingsum.inference.adapters import adapter_base_model

    if builtin_adapter_dir(spec) is None:
        return None
    adapter = find_adapter_dir(spec)
    return adapter, str(adapter_base_model(adapter, required=True))


def check_spec(spec: str) -> tuple[str, str | None]:
    """Where a model spec lives and why it cannot be used (None: usable). A model filingsum builds (embedded:,
    tiny-random) is hashed against its manifest; a local directory must hold config.json (or an adapter's); a
    hub id must be in the Hugging Face cache (nothing is downloaded: `models prepare` does that)."""
    from filingsum.core.model_files import model_dir_problem
    from filingsum.core.models import (
        EMBEDDED_MODELS,
        EMBEDDED_PREFIX,
        TINY_MODELS,
        AdapterError,
        ModelResolutionError,
        cache_problem,
        cache_root,
        resolve_model,
    )

    spec = spec.strip()
    try:
        shipped = builtin_adapter(spec)
    except AdapterError as exc:
        return "-", str(exc)
    if shipped is not None:
        adapter, base = shipped
        base_target, base_problem = check_spec(base)
        adapter_problem = model_dir_problem(adapter)
        problem = f"adapter: {adapter_problem}" if adapter_problem else base_problem and f"base {base}: {base_problem}"
        return f"{adapter} on {base_target}", problem
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
