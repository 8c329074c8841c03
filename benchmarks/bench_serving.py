"""Serving throughput and latency: filingsum's server stack under the issue's workload, vs plain HF generate.

GPU with vLLM (the real measurement): ~2.5k-token filings, 512-token outputs (ignore_eos, so every answer is
full length), 256 requests, 64 concurrent; vLLM with the LoRA adapter, vLLM with merged weights, and
transformers `generate` in batches on the same GPU.

CPU (no vLLM or no GPU): a small version so the script itself is exercised: `transformers serve` with the
tiny random model, 16 requests, 4 concurrent, 32-token outputs, vs HF generate one request at a time.

    python benchmarks/bench_serving.py            # picks GPU or CPU
    python benchmarks/bench_serving.py --cpu      # force the small CPU version
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from filingsum.core.config import RunConfig  # noqa: E402
from filingsum.serving.launcher import free_port, launch, vllm_unavailable_reason  # noqa: E402
from filingsum.serving.loadtest import format_report, percentile, run_load_test  # noqa: E402

SEEDS = sorted((REPO / "data" / "samples").glob("*.txt"))
SHARED = REPO.parent / "shared" / "filings"


def filing_texts(tokenizer, tokens: int, count: int) -> list[str]:
    """`count` distinct filing excerpts of about `tokens` tokens each (seed files, then shared filings)."""
    from filingsum.filings.sections import extract_filing_sections

    sources = [s.text for f in SEEDS for s in extract_filing_sections(f, ["item_1"])]
    ids = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in sources]
    texts = []
    for i in range(count):
        doc = ids[i % len(ids)]
        start = (i // len(ids)) * 97 % max(1, len(doc) - tokens)  # different windows, so no prefix cache win
        texts.append(tokenizer.decode(doc[start:start + tokens]))
    return texts


def hf_generate(model_spec: str, tokenizer, texts: list[str], max_new_tokens: int, batch: int) -> dict:
    import torch

    from filingsum.core.models import load_model
    from filingsum.core.prompt import render_prompt

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = load_model(model_spec, dtype=torch.bfloat16 if device == "cuda" else torch.float32).to(device).eval()
    tokenizer.padding_side = "left"
    latencies, out_tokens = [], 0
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        prompts = [render_prompt(tokenizer, t) for t in texts[i:i + batch]]
        inputs = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=max_new_tokens, min_new_tokens=max_new_tokens,
                                 do_sample=False, pad_token_id=tokenizer.pad_token_id)
        latencies += [time.perf_counter() - t0] * len(prompts)
        out_tokens += (out.shape[1] - inputs["input_ids"].shape[1]) * len(prompts)
    wall = time.perf_counter() - started
    return {"summaries_per_s": len(texts) / wall, "output_tokens_per_s": out_tokens / wall,
            "p50_s": percentile(latencies, 50), "p95_s": percentile(latencies, 95), "requests": len(texts),
            "batch": batch}


def serve_and_load(config: RunConfig, texts, *, requests, concurrency, max_tokens, extra_body, **launch_kwargs):
    with launch(config, **launch_kwargs) as server:
        name = server.model_names[-1]  # the adapter name when one is served, else the model
        warm = run_load_test(server.base_url, name, texts[:1], requests=2, concurrency=1, max_tokens=8)
        assert warm.ok, f"warm-up failed: {warm.error_samples}"
        report = run_load_test(server.base_url, name, texts, requests=requests, concurrency=concurrency,
                               max_tokens=max_tokens, extra_body=extra_body, request_timeout_s=600,
                               deadline_s=3600)
    print(format_report(report), flush=True)
    return {"summaries_per_s": report.summaries_per_s, "output_tokens_per_s": report.output_tokens_per_s,
            "p50_s": report.latency_p50_s, "p95_s": report.latency_p95_s, "ok": report.ok,
            "errors": report.errors, "timeouts": report.timeouts, "balanced": report.balanced}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu", action="store_true", help="run the small CPU version even if a GPU is here")
    parser.add_argument("--model", default=None, help="base model spec (GPU default: embedded SmolLM2)")
    parser.add_argument("--adapter", default=None, help="LoRA adapter dir (GPU default: a fresh r=16 adapter)")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()

    from filingsum.core.models import load_tokenizer

    reason = "forced by --cpu" if args.cpu else vllm_unavailable_reason()
    gpu = reason is None
    workdir = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    results: dict[str, dict] = {}
    if gpu:
        model = args.model or "embedded:smollm2-135m-instruct"
        tokens, requests, concurrency, max_tokens, batch = 2500, 256, 64, 512, 16
    else:
        print(f"vLLM path unavailable ({reason}): running the small CPU version", flush=True)
        model = args.model or "tiny-random"
        tokens, requests, concurrency, max_tokens, batch = 2500, 16, 4, 32, 1
    tokenizer = load_tokenizer(model)
    texts = filing_texts(tokenizer, tokens, min(requests, 32))
    serve = {"port": free_port(), "max_tokens": max_tokens, "startup_timeout_s": 900}

    if gpu:
        from filingsum.inference.adapters import merged_model_dir

        adapter = Path(args.adapter) if args.adapter else _fresh_adapter(model, workdir / "adapter")
        config = RunConfig.model_validate({"model": {"name": model}, "train": {"output_dir": str(workdir)},
                                           "serve": {**serve, "backend": "vllm", "max_model_len": 4096}})
        force_full = {"ignore_eos": True}  # vLLM extension: every answer is exactly max_tokens long
        results["vllm_adapter"] = serve_and_load(config, texts, requests=requests, concurrency=concurrency,
                                                 max_tokens=max_tokens, extra_body=force_full,
                                                 adapters={"filingsum": adapter})
        config.serve.port = free_port()
        results["vllm_merged"] = serve_and_load(config, texts, requests=requests, concurrency=concurrency,
                                                max_tokens=max_tokens, extra_body=force_full,
                                                merged=merged_model_dir(adapter, fallback_base=model))
        results["hf_generate"] = hf_generate(model, tokenizer, texts * (64 // len(texts) or 1), max_tokens, batch)
    else:
        config = RunConfig.model_validate({"model": {"name": model}, "train": {"output_dir": str(workdir)},
                                           "serve": {**serve, "backend": "transformers"}})
        results["transformers_serve"] = serve_and_load(config, texts, requests=requests, concurrency=concurrency,
                                                       max_tokens=max_tokens, extra_body=None, adapters={})
        results["hf_generate"] = hf_generate(model, tokenizer, texts[:requests], max_tokens, batch)

    print(f"\nworkload: ~{tokens}-token filings, {max_tokens}-token outputs, {requests} requests, "
          f"{concurrency} concurrent; model {model}; {'GPU/vLLM' if gpu else 'CPU'}")
    print(f"{'system':22} {'summaries/s':>12} {'out tok/s':>10} {'p50 s':>8} {'p95 s':>8}")
    for name, r in results.items():
        print(f"{name:22} {r['summaries_per_s']:12.2f} {r['output_tokens_per_s']:10.1f} "
              f"{r['p50_s'] or float('nan'):8.2f} {r['p95_s'] or float('nan'):8.2f}")
    print(f"command: python benchmarks/bench_serving.py {shlex.join(sys.argv[1:])}".rstrip())
    if args.json:
        Path(args.json).write_text(json.dumps({"gpu": gpu, "results": results}, indent=2))
    return 0


def _fresh_adapter(model: str, out: Path) -> Path:
    from peft import LoraConfig, get_peft_model

    from filingsum.core.models import load_model

    peft_model = get_peft_model(load_model(model), LoraConfig(r=16, lora_alpha=32, target_modules="all-linear"))
    peft_model.save_pretrained(out)
    return out


if __name__ == "__main__":
    sys.exit(main())
