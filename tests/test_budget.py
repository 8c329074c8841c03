"""One token budget: set `model.max_summary_tokens: 256` and every stage follows it, with no other field set.

Labels (training encode), references (the teacher's max_tokens and the extractive fallback), generation
(local max_new_tokens and the training generation eval), the eval limit check, and the server cap (the vLLM
command and the endpoint client's max_tokens) are checked on real components: the tiny model's tokenizer and
weights, real files, a real HTTP endpoint on 127.0.0.1 that records what it was asked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI

from filingsum.core.config import RunConfig, parse_config
from filingsum.core.io import read_jsonl
from filingsum.core.schema import FilingRecord
from filingsum.core.tokens import token_counter

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
CAP = 256
ANSWER = ("The company sells cloud telephone services and hosted software to small and medium businesses, "
          "reaching them through resellers, distributors and its own direct sales team, and it finances its "
          "operations with cash from operations and a bank line of credit.")


@pytest.fixture()
def endpoint():
    """An OpenAI-compatible endpoint that records every request (``.bodies``) and answers ANSWER."""
    with FakeOpenAI(respond=lambda body: ANSWER) as server:
        yield server


def _max_tokens(server: FakeOpenAI) -> list[int]:
    return [body.get("max_tokens") for body in server.bodies]


def _config(tmp_path: Path, **data: object) -> RunConfig:
    return parse_config({
        "model": {"name": "tiny-random", "max_summary_tokens": CAP, "max_source_tokens": 1024},
        "data": {"inputs": [str(SAMPLES)], "out_dir": str(tmp_path / "data"), "gold": [], **data},
        "train": {"output_dir": str(tmp_path / "run"), "generation_eval_samples": 1},
        "eval": {"systems": ["extractive"], "split": "all", "out_dir": str(tmp_path / "eval"), "references": []},
    })


def test_no_stage_field_overrides_the_cap_by_default(tmp_path):
    config = _config(tmp_path)
    overrides = [config.data.filters.max_summary_tokens, config.train.generation_max_summary_tokens,
                 config.eval.max_summary_tokens, config.serve.max_summary_tokens]
    assert overrides == [None] * 4
    assert config.max_summary_tokens() == CAP and config.max_summary_tokens(100) == 100


def test_extractive_references_and_the_eval_limit_follow_the_cap(tmp_path, tiny_tokenizer):
    from filingsum.dataset.build import build_dataset
    from filingsum.eval.run import evaluate_config
    from filingsum.filings.extractive import extractive_summary

    config = _config(tmp_path, references=["extractive"])
    built = build_dataset(config, progress=False)
    count = token_counter(tiny_tokenizer)
    lengths = [count(r.reference) for r in built.records]
    assert built.records and max(lengths) <= CAP
    # the default cap would have taken more: the 256 really bit
    assert max(count(extractive_summary(r.text, count, 512)) for r in built.records) > CAP

    assert evaluate_config(config).gates.passed
    report = json.loads((tmp_path / "eval" / "report.json").read_text())
    assert report["config"]["max_summary_tokens"] == CAP
    extractive = report["systems"]["extractive"]["aggregate"]
    assert extractive["tokens_max"] <= CAP and extractive["within_limit"] == 1.0


def test_the_teacher_is_asked_for_the_cap(tmp_path, endpoint):
    from filingsum.dataset.build import build_dataset

    teacher = {"base_url": endpoint.base_url, "model": "teacher", "max_retries": 0}
    config = _config(tmp_path, references=["teacher"], teacher=teacher,
                     inputs=[str(SAMPLES / "crexendo_10k_2016_item1_prompt.txt")])
    built = build_dataset(config, progress=False)
    assert endpoint.bodies and set(_max_tokens(endpoint)) == {CAP}
    rows = list(read_jsonl(tmp_path / "data" / "records.jsonl"))
    assert rows and all(row["reference_origin"] == "teacher" for row in rows), [d.reason for d in built.drops]


def test_training_labels_and_generation_eval_follow_the_cap(tmp_path, tiny_tokenizer):
    from filingsum.training.data import tokenize_splits
    from filingsum.training.loop import generation_callback

    config = _config(tmp_path)
    record = FilingRecord(
        id="r1", company="Acme", source_path="a.txt", content_hash="0" * 64, section="item_1",
        instruction="Summarize.", text="Acme sells widgets.", char_count=19, token_count=4,
        reference="Acme sells widgets to small businesses. " * 80,
    )
    train_ds, val_ds = tokenize_splits(config, [record], [], tiny_tokenizer, seq2seq=False, max_length=None)
    supervised = [t for t in train_ds[0]["labels"] if t != -100]
    assert len(supervised) == CAP + 1 and supervised[-1] == tiny_tokenizer.eos_token_id  # the cap, then eos
    assert val_ds is None
    callback = generation_callback(config, [record], tiny_tokenizer)
    assert (callback.max_summary_tokens, callback.checked_max_summary_tokens) == (CAP, CAP)


def test_local_generation_stops_at_the_cap(tmp_path):
    from filingsum.inference.factory import summarizer_from_config

    summarizer = summarizer_from_config(_config(tmp_path), "zero-shot")
    # the random tiny model never emits its end token: it runs until the cap stops it
    (out,) = summarizer.summarize(["Acme sells widgets to small businesses."])
    assert out.completion_tokens == CAP and out.finish_reason == "length"


def _cpu_engine(monkeypatch) -> None:
    """The launcher's engine search answers a vLLM CPU engine (its command is built, never run)."""
    from filingsum.serving import launcher
    from filingsum.serving.engine import VllmEngine

    monkeypatch.setattr(launcher, "choose_engine",
                        lambda serve: VllmEngine("/engine/bin/python", "0.32.0", "cpu", "test"))


def test_server_cap_and_client_max_tokens_follow_the_cap(tmp_path, endpoint, monkeypatch):
    from filingsum.inference.factory import summarizer_from_config
    from filingsum.serving.launcher import prepare_server

    _cpu_engine(monkeypatch)
    config = _config(tmp_path)
    server = prepare_server(config, backend="vllm", adapters={})
    flag = server.command.index("--override-generation-config")
    assert json.loads(server.command[flag + 1]) == {"max_new_tokens": CAP}

    client = summarizer_from_config(config, "endpoint", base_url=endpoint.base_url, served_model="m")
    result = client.summarize_text("Acme sells widgets to small businesses.")
    assert result.summary == ANSWER and result.finish_reason == "stop"
    assert _max_tokens(endpoint) == [CAP]
    assert "repetition_penalty" not in endpoint.bodies[0]  # neutral: not sent to strict servers


def test_server_and_client_decode_with_the_runs_repetition_penalty(tmp_path, endpoint, monkeypatch):
    """model.repetition_penalty is the vLLM server's default and what the endpoint client sends, as local
    generation uses it: one decoding setting for eval and serving."""
    from filingsum.inference.factory import summarizer_from_config
    from filingsum.serving.launcher import prepare_server

    _cpu_engine(monkeypatch)
    config = _config(tmp_path)
    config.model.repetition_penalty = 1.15
    server = prepare_server(config, backend="vllm", adapters={})
    flag = server.command.index("--override-generation-config")
    assert json.loads(server.command[flag + 1]) == {"max_new_tokens": CAP, "repetition_penalty": 1.15}
    client = summarizer_from_config(config, "endpoint", base_url=endpoint.base_url, served_model="m")
    assert client.summarize_text("Acme sells widgets to small businesses.").summary == ANSWER
    assert endpoint.bodies[0]["repetition_penalty"] == 1.15


def test_no_module_hard_codes_the_cap():
    """The cap's default lives in core.prompt (MAX_SUMMARY_TOKENS) and is read by core.config only; no other
    product module imports it or writes a bare 512 (cache sizes, vLLM's LoRA ranks and its CPU attention head
    sizes are not token caps)."""
    import ast

    from test_layers import module_files

    allowed = {"filingsum.core.prompt", "filingsum.core.config"}
    found = []
    for name, path in module_files().items():
        if name in allowed:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        not_caps = {id(node.value) for node in ast.walk(tree)
                    if isinstance(node, ast.keyword) and node.arg == "maxsize"}
        not_caps |= {id(elt) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                     and any(getattr(t, "id", "") in ("VLLM_LORA_RANKS", "VLLM_CPU_HEAD_SIZES") for t in node.targets)
                     for elt in getattr(node.value, "elts", [])}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value == 512 and id(node) not in not_caps:
                found.append(f"{name}:{node.lineno}: 512")
            if isinstance(node, (ast.Name, ast.alias)) and "MAX_SUMMARY_TOKENS" in (getattr(node, "id", None),
                                                                                    getattr(node, "name", None)):
                found.append(f"{name}:{getattr(node, 'lineno', '?')}: MAX_SUMMARY_TOKENS")
    assert found == []
