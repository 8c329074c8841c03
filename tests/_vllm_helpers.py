"""Shared by the real-vLLM tests: a tiny trained adapter, one server at a time, process-group checks."""

from __future__ import annotations

import os
from pathlib import Path

from filingsum.core.config import RunConfig
from filingsum.serving.launcher import ServerProcess, free_port, launch

BASE = "embedded:smollm2-135m-instruct"
ADAPTER_NAME = "filingsum"
CAP = 48  # serve.max_summary_tokens in the test servers: the server-side output cap
MAX_MODEL_LEN = 1024
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SUMMARY = ("Crexendo sells cloud telecommunications services and web services to small and medium businesses "
           "for recurring monthly fees, through direct sales and resellers, and funds itself from operations.")


def train_tiny_adapter(out: Path, steps: int = 4) -> Path:
    """A rank-8 LoRA on the embedded SmolLM2, trained for a few steps on one (filing excerpt, summary) pair with
    the prompt contract, so its greedy output really differs from the base's. Saved with the tokenizer (and so
    the chat template), as `filingsum train` saves a run's adapter."""
    import torch
    from peft import LoraConfig, get_peft_model

    from filingsum.core.models import load_model, load_tokenizer
    from filingsum.core.prompt import render_prompt

    torch.manual_seed(0)
    tokenizer = load_tokenizer(BASE)
    model = get_peft_model(load_model(BASE, dtype=torch.float32),
                           LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", lora_dropout=0.0))
    text = (SAMPLES / "crexendo_10k_2016_item1_prompt.txt").read_text(encoding="utf-8")[:500]
    prompt_ids = tokenizer(render_prompt(tokenizer, text), add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(SUMMARY + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    input_ids = torch.tensor([prompt_ids + answer_ids])
    labels = torch.tensor([[-100] * len(prompt_ids) + answer_ids])
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-3)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=input_ids, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def server_config(tmp: Path, adapter: Path, *, lora: str, backend: str = "vllm") -> RunConfig:
    return RunConfig.model_validate({
        "run_name": ADAPTER_NAME,
        "model": {"name": BASE, "max_source_tokens": 384},
        "train": {"output_dir": str(tmp / "run")},
        "eval": {"out_dir": str(tmp / "eval")},
        "serve": {"backend": backend, "lora": lora, "port": free_port(), "max_summary_tokens": CAP,
                  "max_model_len": MAX_MODEL_LEN, "cpu_kvcache_gib": 1, "startup_timeout_s": 900,
                  "adapters": {ADAPTER_NAME: str(adapter)}},
    })


KEY_VAR = "FILINGSUM_TEST_VLLM_KEY"


class ServerPool:
    """At most one vLLM server alive at a time (each takes ~2.5 GB on CPU): ``get(kind)`` reuses the running
    server of that kind, or stops the other one and starts it. Kinds: "adapter" (base + LoRA by name,
    serve.lora: adapter), "merged" (serve.backend and serve.lora auto: what a CPU user gets) and "keyed" (merged, with
    serve.api_key_env)."""

    def __init__(self, tmp: Path, adapter: Path):
        self.tmp, self.adapter = tmp, adapter
        self.kind: str | None = None
        self.server: ServerProcess | None = None
        self.groups: list[int] = []  # process groups of every server started, for the orphan check

    def config(self, kind: str) -> RunConfig:
        if kind == "adapter":
            return server_config(self.tmp, self.adapter, lora="adapter")
        config = server_config(self.tmp, self.adapter, lora="auto", backend="auto")
        if kind == "keyed":  # merged, requiring the key held in $KEY_VAR (set by the test before it starts)
            config.serve.api_key_env = KEY_VAR
        return config

    def get(self, kind: str) -> ServerProcess:
        if self.kind == kind and self.server is not None and self.server.is_running():
            return self.server
        self.release()
        self.server = launch(self.config(kind), log_path=self.tmp / f"serve-{kind}.log")
        self.kind = kind
        self.groups.append(self.server.process.pid)
        return self.server

    def release(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.server, self.kind = None, None


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in a process group, read from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members
