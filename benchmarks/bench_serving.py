"""Serving throughput: vLLM merged, vLLM adapter, `transformers serve` and HF `generate`, one workload, one run.

Every system gets the same requests: ``--requests`` distinct filing windows (``--prompt-tokens`` each, cut
without overlap from the Item 1 sections of ../shared/filings, else the seed filings; no window is sent
twice, so no system wins on a prefix cache), ``--concurrency`` in flight, ``--max-summary-tokens`` greedy output
tokens (vLLM: ignore_eos, so every answer is full length; HF generate: min_new_tokens; transformers serve
has no such switch and may stop early at EOS: its tokens are counted as they come). The tuned model is the
embedded SmolLM2 plus a fresh rank-16 LoRA adapter (all-linear; the compute is that of any r=16 adapter):

- vLLM merged: the adapter merged into the base, served as `filingsum serve` does on CPU (its CPU binding
  chosen by serve.cpu_reserved_cores: auto); vllm_merged_1core / vllm_merged_2core pin it (one core kept
  for vLLM's scheduler, vLLM's own default, or none: compute on every core);
- vLLM adapter: base + the adapter by name (`serve.lora: adapter`, what a GPU serves);
- transformers serve: the merged dir (the fallback without vLLM);
- HF generate: the merged model in-process, batches of ``--concurrency`` (left-padded).

Printed per system: output tokens/s, requests/s, p50/p95 latency, and server start-to-ready seconds.

    python benchmarks/bench_serving.py                                  # CPU defaults: 16 x 1024 -> 128, 8 concurrent
    # GPU:
    python benchmarks/bench_serving.py --requests 256 --concurrency 64 --prompt-tokens 2500 --max-summary-tokens 512
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from filingsum.core.config import RunConfig  # noqa: E402
from filingsum.serving.launcher import free_port, launch  # noqa: E402
from filingsum.serving.loadtest import format_report, percentile, run_load_test  # noqa: E402

SEEDS = sorted((REPO / "data" / "samples").glob("*.txt"))
SHARED = REPO.parent / "shared" / "filings"
MODEL = "embedded:smollm2-135m-instruct"
SYSTEMS = ("vllm_merged", "vllm_merged_1core", "vllm_merged_2core", "vllm_adapter", "transformers_serve",
           "hf_generate")


def filing_windows(tokenizer, tokens: int, count: int) -> tuple[list[str], str]:
    """``count`` distinct, non-overlapping windows of ``tokens`` tokens from Item 1 sections, and their source."""
    from filingsum.filings.sections import extract_filing_sections

    files = sorted(p for p in SHARED.glob("*") if p.suffix in (".html", ".htm", ".txt")) if SHARED.is_dir() else []
    source = "../shared/filings" if files else "data/samples"
    windows: list[str] = []
    for path in files or SEEDS:
        try:
            sections = list(extract_filing_sections(path, ["item_1"]))
        except Exception as exc:  # noqa: BLE001 (a filing the sectioner cannot read is skipped, not fatal)
            print(f"skipping {path.name}: {exc}", file=sys.stderr)
            continue
        for section in sections:
            ids = tokenizer(section.text, add_special_tokens=False)["input_ids"]
            for start in range(0, len(ids) - tokens + 1, tokens):
                windows.append(tokenizer.decode(ids[start:start + tokens]))
                if len(windows) == count:
                    assert len(set(windows)) == count, "windows repeat"
                    return windows, source
    raise SystemExit(f"only {len(windows)} windows of {tokens} tokens in {source}; ask for fewer or shorter")


def hf_generate(model_dir: str, tokenizer, texts: list[str], max_summary_tokens: int, batch: int) -> dict:
    import torch

    from filingsum.core.models import load_model
    from filingsum.core.prompt import render_prompt

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = load_model(model_dir, dtype=torch.bfloat16 if device == "cuda" else torch.float32).to(device).eval()
    tokenizer.padding_side = "left"
    latencies, out_tokens = [], 0
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        prompts = [render_prompt(tokenizer, t) for t in texts[i:i + batch]]
        inputs = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=max_summary_tokens, min_new_tokens=max_summary_tokens,
                do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
        latencies += [time.perf_counter() - t0] * len(prompts)
        out_tokens += (out.shape[1] - inputs["input_ids"].shape[1]) * len(prompts)
    wall = time.perf_counter() - started
    return {"requests": len(texts), "ok": len(texts), "output_tokens": out_tokens, "wall_s": wall,
            "requests_per_s": len(texts) / wall, "output_tokens_per_s": out_tokens / wall,
            "p50_s": percentile(latencies, 50), "p95_s": percentile(latencies, 95), "ready_s": None}


def serve_and_load(config: RunConfig, texts: list[str], args, extra_body: dict | None, **launch_kwargs) -> dict:
    config = config.model_copy(deep=True)
    config.serve.port = free_port()
    with launch(config, **launch_kwargs) as server:
        name = server.model_names[-1]  # the adapter's name (by name or merged), else the model dir
        warm = run_load_test(server.base_url, name, ["Warm-up."], requests=1, concurrency=1, max_summary_tokens=4)
        assert warm.ok == 1, f"warm-up failed: {warm.error_samples}"
        report = run_load_test(server.base_url, name, texts, requests=len(texts), concurrency=args.concurrency,
                               max_summary_tokens=args.max_summary_tokens, extra_body=extra_body,
                                   request_timeout_s=3600,
                               deadline_s=7200)
        ready_s, described = server.ready_s, f"{server.backend} on {server.device}, {server.weights} weights"
    print(f"[{described}]\n{format_report(report)}", flush=True)
    assert report.balanced and report.ok == len(texts), f"{report.ok}/{len(texts)} ok: {report.error_samples}"
    return {"requests": len(texts), "ok": report.ok, "output_tokens": report.output_tokens,
            "wall_s": report.wall_s, "requests_per_s": report.summaries_per_s,
            "output_tokens_per_s": report.output_tokens_per_s, "p50_s": report.latency_p50_s,
            "p95_s": report.latency_p95_s, "ready_s": ready_s, "server": described}


def fresh_adapter(out: Path) -> Path:
    from peft import LoraConfig, get_peft_model

    from filingsum.core.models import load_model, load_tokenizer

    peft_model = get_peft_model(load_model(MODEL), LoraConfig(r=16, lora_alpha=32, target_modules="all-linear"))
    peft_model.save_pretrained(out)
    load_tokenizer(MODEL).save_pretrained(out)
    return out


def parse_args() -> tuple[argparse.Namespace, list[str]]:
    """The flags, and the systems to run (the parser exits on an unknown one)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=16, help="requests per system (distinct windows)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--prompt-tokens", type=int, default=1024, help="filing tokens per request")
    parser.add_argument("--max-summary-tokens", "--max-tokens", type=int, default=128, help="output tokens per request")
    parser.add_argument("--adapter", help="LoRA adapter dir (default: a fresh r=16 adapter on the embedded SmolLM2)")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma-separated subset of {','.join(SYSTEMS)}")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    systems = [s for s in args.systems.split(",") if s]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    return args, systems


def run_system(system: str, config: RunConfig, texts: list[str], args, tokenizer, merged: Path) -> dict:
    """One system's figures on the workload (``config.serve`` is restored after a pinned vLLM merged run)."""
    full_length = {"ignore_eos": True}  # vLLM extension: every answer is exactly max_summary_tokens long
    if system.startswith("vllm_merged"):
        config.serve.lora = "merged"
        config.serve.cpu_reserved_cores = {"vllm_merged_1core": 1, "vllm_merged_2core": 0}.get(system, "auto")
        result = serve_and_load(config, texts, args, full_length, backend="vllm")
        config.serve.cpu_reserved_cores = "auto"
        return result
    if system == "vllm_adapter":
        config.serve.lora = "adapter"
        return serve_and_load(config, texts, args, full_length, backend="vllm")
    if system == "transformers_serve":
        return serve_and_load(config, texts, args, None, backend="transformers")
    return hf_generate(str(merged), tokenizer, texts, args.max_summary_tokens, args.concurrency)


def print_results(results: dict[str, dict]) -> None:
    """The per-system table, vLLM merged against the fallbacks (with the targets), and 2 cores against 1."""
    print(f"{'system':20} {'out tok/s':>10} {'req/s':>7} {'p50 s':>8} {'p95 s':>8} {'ready s':>8} {'tokens':>7}")
    for name, r in results.items():
        ready = f"{r['ready_s']:.0f}" if r["ready_s"] is not None else "-"
        print(f"{name:20} {r['output_tokens_per_s']:10.1f} {r['requests_per_s']:7.3f} "
              f"{r['p50_s'] or float('nan'):8.1f} {r['p95_s'] or float('nan'):8.1f} "
              f"{ready:>8} {r['output_tokens']:7d}")
    for name in [s for s in results if s.startswith("vllm_merged")]:
        for other, target in (("transformers_serve", 3.0), ("hf_generate", 1.5)):
            if other in results:
                ratio = results[name]["output_tokens_per_s"] / results[other]["output_tokens_per_s"]
                print(f"{name} / {other}: {ratio:.2f}x output tok/s (target >= {target:g}x)")
    if "vllm_merged_1core" in results and "vllm_merged_2core" in results:
        two, one = results["vllm_merged_2core"], results["vllm_merged_1core"]
        ratio = two["output_tokens_per_s"] / one["output_tokens_per_s"]
        print(f"vLLM merged, 2 compute cores / 1: {ratio:.2f}x output tok/s")


def main() -> int:
    args, systems = parse_args()

    from filingsum.core.models import load_tokenizer
    from filingsum.inference.adapters import merged_model_dir

    workdir = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    tokenizer = load_tokenizer(MODEL)
    texts, source = filing_windows(tokenizer, args.prompt_tokens, args.requests)
    adapter = Path(args.adapter) if args.adapter else fresh_adapter(workdir / "adapter")
    merged = merged_model_dir(adapter, fallback_base=MODEL)
    config = RunConfig.model_validate({
        "run_name": "filingsum", "model": {"name": MODEL}, "train": {"output_dir": str(workdir)},
        "serve": {"max_summary_tokens": max(args.max_summary_tokens, 16),
            "max_model_len": args.prompt_tokens + args.max_summary_tokens + 512,
                  "startup_timeout_s": 1800, "adapters": {"filingsum": str(adapter)}},
    })
    load_before = os.getloadavg()
    results: dict[str, dict] = {}
    for system in systems:
        print(f"=== {system} ===", flush=True)
        results[system] = run_system(system, config, texts, args, tokenizer, merged)
    load_after = os.getloadavg()

    print(f"\nworkload: {args.requests} requests per system, distinct {args.prompt_tokens}-token windows from "
          f"{source}, {args.max_summary_tokens} output tokens, {args.concurrency} concurrent; {MODEL} + r=16 LoRA; "
          f"{os.cpu_count()} CPUs; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print_results(results)
    print(f"command: python benchmarks/bench_serving.py {shlex.join(sys.argv[1:])}".rstrip())
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "source": source, "results": results,
                                               "load": [load_before, load_after]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
