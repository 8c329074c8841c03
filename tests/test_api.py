"""The Python API (`from filingsum import Summarizer, summarize_file, load_config`): the README's example run as
a doctest against a real HTTP stand-in server, the same requests as `filingsum summarize` (one path: the
served model's inference contract, then the output guard), local summarizers on a real tiny model, typing."""

from __future__ import annotations

import doctest
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]
FUSION = ROOT / "data" / "samples" / "fusion_10k_2016_item1_prompt.txt"
README_URL = "http://127.0.0.1:8011/v1"


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```pycon\n(.*?)```", section, flags=re.S)
    return block


def test_readme_example_runs_as_a_doctest(monkeypatch):
    monkeypatch.chdir(ROOT)  # the example's paths are the repository's
    with FakeOpenAI(model="filingsum-smollm2") as server:
        test = doctest.DocTestParser().get_doctest(readme_example().replace(README_URL, server.base_url),
                                                   {}, "README.md#python-api", "README.md", 0)
        assert len(test.examples) >= 6
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test, out=sys.stderr.write)
    assert runner.failures == 0
    assert runner.tries == len(test.examples)
    assert [b["max_tokens"] for b in server.bodies] == [512, 512]  # the shipped default's contract cap


def _respond(body):
    if body.get("repetition_penalty", 1.0) > 1.0:
        return "Fusion provides cloud services to businesses. The excerpt does not describe its pricing."
    return "Fusion sells " + "cloud services, " * 40


def test_api_sends_what_summarize_sends_and_guards_the_same(tmp_path):
    """One path: the API and `filingsum summarize` send identical requests (contract budget, fit, sections,
    cap) and apply the same guard (a loop retried with a repetition penalty, a meta sentence dropped)."""
    from filingsum import Summarizer, SummaryResult, load_config
    from filingsum.cli import main

    out = tmp_path / "cli.jsonl"
    with FakeOpenAI(model="filingsum-smollm2", respond=_respond) as server:
        assert main(["summarize", str(FUSION), "--endpoint", server.base_url, "--out", str(out)]) == 0
    cli_bodies = server.bodies
    (cli_row,) = [json.loads(line) for line in out.read_text().splitlines()]

    config = load_config()
    with FakeOpenAI(model="filingsum-smollm2", respond=_respond) as server:
        summarizer = Summarizer.from_endpoint(server.base_url, config=config)
        [result] = summarizer.summarize_file(FUSION)
    assert config.model.max_source_tokens == 1536 and summarizer.config.model.max_source_tokens == 1024  # a copy
    assert server.bodies == cli_bodies and len(cli_bodies) == 2
    assert isinstance(result, SummaryResult)
    assert result.summary == cli_row["summary"] == "Fusion provides cloud services to businesses."
    assert result.checks is not None and result.checks.retried and result.checks.policy == "drop"
    assert summarizer.contract is not None and summarizer.config.model.name == summarizer.contract.base_model
    assert summarizer.warnings == ()


def test_choices_that_depart_from_the_contract_warn_and_guard_can_be_turned_off():
    from filingsum import Summarizer, load_config

    config = load_config(overrides=["model.max_source_tokens=1536"])
    with FakeOpenAI(model="filingsum-smollm2", respond=_respond) as server:
        with pytest.warns(UserWarning, match="max_source_tokens.*1024.*1536"):
            summarizer = Summarizer.from_endpoint(server.base_url, "filingsum-smollm2", config=config, guard="off")
        [result] = summarizer.summarize_file(FUSION)
    assert summarizer.config.model.max_source_tokens == 1536 and config.model.max_source_tokens == 1536
    assert result.checks is None and result.summary.startswith("Fusion sells cloud services, cloud")
    assert len(server.bodies) == 1  # no guard: no retry


def test_unreachable_endpoint_without_a_model_name_is_a_usage_error():
    from filingsum import Summarizer
    from filingsum.core.errors import UsageError

    with pytest.raises(UsageError, match="could not be read"):
        Summarizer.from_endpoint("http://127.0.0.1:9/v1", timeout_s=1, max_retries=0)


def test_local_tiny_model_and_adapter_with_its_contract(tmp_path):
    """Summarizer.local on a model spec (loaded as is) and on an adapter dir that carries a contract (base and
    budgets from it), generating for real with the tiny random model."""
    from test_merge import _random_adapter

    from filingsum import Summarizer, load_config, summarize_file
    from filingsum.core.contract import InferenceContract, prompt_version, write_contract
    from filingsum.inference.local import LocalSummarizer

    config = load_config(overrides=["model.max_summary_tokens=16"])
    plain = Summarizer.local("tiny-random", config=config)
    assert isinstance(plain.engine, LocalSummarizer) and plain.config.model.name == "tiny-random"
    result = plain.summarize_text("Acme sells widgets to manufacturers through dealers. " * 5, id="acme")
    # tiny-random's random weights generate special tokens only: an empty summary, reported as the failure it is
    assert result.id == "acme" and result.error_kind == "empty" and result.completion_tokens <= 16

    adapter = _random_adapter("tiny-random", tmp_path / "run" / "adapter")
    write_contract(adapter, InferenceContract(
        base_model="tiny-random", prompt_version=prompt_version(), sections=("item_1",), max_source_tokens=700,
        fit_strategy="truncate", max_summary_tokens=16, repetition_penalty=1.0, dtype="float32"))
    tuned = Summarizer.local(tmp_path / "run")  # a run dir: its adapter/, the base from the contract
    assert tuned.config.model.name == "tiny-random" and tuned.config.model.max_source_tokens == 700
    assert tuned.config.data.fit_strategy == "truncate" and tuned.engine.max_summary_tokens == 16
    [row] = summarize_file(FUSION, model=str(tmp_path / "run"))
    assert row.id == "fusion_10k_2016_item1_prompt#item_1" and row.error is None and row.prompt_tokens <= 700 + 200


def test_import_is_light_and_typed():
    code = ("import sys, filingsum; from filingsum import Summarizer, summarize_file, load_config; "
            "print(sorted(m for m in ('torch', 'transformers', 'openai', 'datasets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    assert (ROOT / "filingsum" / "py.typed").is_file()
    import tomllib

    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["filingsum"]
