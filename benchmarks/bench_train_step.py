"""One LoRA training step of the embedded SmolLM2 on CPU, by weight dtype and autocast (issue 21.3).

    python benchmarks/bench_train_step.py [--tokens 1450] [--steps 2]

Forward + backward of a LoRA r=16 (all linear layers) model on one sequence of ``--tokens`` tokens (a training
window with its summary), after one warm-up step, for: the base weights in bfloat16 (what a "bf16" LoRA load
would do), float32 weights with bf16 autocast (what `train.precision: bf16` with `model.dtype: float32` runs:
the Trainer autocasts), and plain float32. Prints seconds per step and tokens per second for each.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1450)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from filingsum.core.models import resolve_model

    torch.manual_seed(0)
    model_dir = resolve_model("embedded:smollm2-135m-instruct")
    ids = torch.randint(100, 40000, (1, args.tokens))
    load = os.getloadavg()[0]
    print(f"load average before: {load:.2f}; {torch.get_num_threads()} torch threads")
    for name, dtype, autocast in (("bf16 weights", torch.bfloat16, False),
                                  ("fp32 + bf16 autocast", torch.float32, True),
                                  ("fp32", torch.float32, False)):
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear",
                                                 task_type="CAUSAL_LM"))
        model.train()

        def step(model=model, autocast=autocast) -> None:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                loss = model(input_ids=ids, labels=ids).loss
            loss.backward()

        step()  # warm-up
        started = time.perf_counter()
        for _ in range(args.steps):
            step()
        seconds = (time.perf_counter() - started) / args.steps
        print(f"{name}: {seconds:.2f} s/step, {args.tokens / seconds:.0f} tokens/s")
    print(f"load average after: {os.getloadavg()[0]:.2f}; "
          f"command: python benchmarks/bench_train_step.py --tokens {args.tokens} --steps {args.steps}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
