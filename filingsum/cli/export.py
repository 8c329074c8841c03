"""`filingsum export`: a tuned adapter as a standalone model (merged safetensors, card, optional GGUF and Hub push)."""

from __future__ import annotations

import argparse

from filingsum.cli.common import output_dir

HELP = "export a run's adapter as a standalone model: merged safetensors + model card (+ GGUF, + Hub upload)"
DESCRIPTION = """\
Merge a LoRA adapter into its base and write a standalone model dir that transformers and vLLM load without
filingsum: safetensors weights, the tokenizer (training chat template), generation_config.json, the inference
contract (filingsum_contract.json) and README.md, a Hugging Face model card (base_model, library_name,
license, tags, and the tuned system's metrics from <run>/eval/report.json when the run has one).

RUN_OR_ADAPTER is a run dir (its adapter/), an adapter dir, or a built-in adapter (embedded:filingsum-smollm2).
--gguf also writes <name>.f32.gguf with the gguf package (Llama-architecture models such as SmolLM2; no
compiler needed; quantize it with llama.cpp's llama-quantize). --push-to-hub uploads the dir to a Hub model
repo (needs a token: `hf auth login` or HF_TOKEN, and the network).

examples:
  filingsum export runs/smollm2-cpu --out exports/smollm2-cpu
  filingsum export embedded:filingsum-smollm2 --out exports/filingsum-smollm2 --gguf
  filingsum export runs/smollm2-cpu --out exports/smollm2-cpu --push-to-hub me/filingsum-smollm2
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="RUN_OR_ADAPTER", help="run dir, adapter dir or embedded:filingsum-smollm2")
    parser.add_argument("--out", required=True, type=output_dir, metavar="DIR", help="output dir (new or empty)")
    parser.add_argument("--gguf", action="store_true", help="also write an F32 GGUF (Llama-architecture models)")
    parser.add_argument("--push-to-hub", metavar="REPO", help="upload the export to this Hub model repo")
    parser.add_argument("--private", action="store_true", help="create the Hub repo private")
    parser.add_argument("--license", help="license in the card (default: the base model's, else 'other')")
    parser.add_argument("--name", help="model name in the card and the GGUF file (default: the run's dir name)")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")


def interrupted(args: argparse.Namespace) -> str:
    return f"the merge writes to a staging dir first, so {args.out} holds either nothing new or a complete model"


def run(args: argparse.Namespace) -> int:
    from filingsum.core.output_lock import OutputLock
    from filingsum.inference.export import export_model

    with OutputLock(args.out, "export directory (--out)"):  # a second export into --out refuses, naming this one
        result = export_model(
            args.source, args.out, gguf=args.gguf, push_to_hub=args.push_to_hub, license=args.license,
            name=args.name, private=args.private, overwrite=args.overwrite,
        )
    print(f"exported {result.adapter_dir} merged into {result.base_model} -> {result.out_dir}")
    print(f"files: {', '.join(result.files)}")
    if result.report_path:
        print(f"card: {result.card_path} (metrics of the tuned system from {result.report_path})")
    else:
        print(f"card: {result.card_path} (no eval report found: run `filingsum eval` to add metrics)")
    if args.gguf:
        print(f"gguf: {result.gguf_path}" if result.gguf_path else f"gguf: {result.gguf_note}")
    if result.hub_url:
        print(f"pushed: {result.hub_url}")
    return 0
