"""The inference contract: written by train, carried by the shipped default and merged dirs, and read first by
summarize, serve and eval, so the path a user takes without flags feeds the model what it was trained on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI

from filingsum.core.config import RunConfig, parse_config
from filingsum.core.contract import (
    CONTRACT_FILE,
    InferenceContract,
    apply_contract,
    config_with_contract,
    contract_for_model,
    contract_from_config,
    prompt_version,
    read_contract,
    write_contract,
)
from filingsum.core.models import BUILTIN_ADAPTERS

ROOT = Path(__file__).resolve().parents[1]
FUSION = ROOT / "data" / "samples" / "fusion_10k_2016_item1_prompt.txt"
SMOLLM2 = "embedded:smollm2-135m-instruct"


def _contract(**changes) -> InferenceContract:
    fields = dict(base_model=SMOLLM2, prompt_version=prompt_version(), sections=("item_1",), max_source_tokens=1024,
                  fit_strategy="aspects", max_summary_tokens=384, repetition_penalty=1.1, dtype="float32")
    return InferenceContract(**{**fields, **changes})


def test_round_trip_and_unreadable_file(tmp_path):
    contract = _contract()
    write_contract(tmp_path, contract)
    assert read_contract(tmp_path) == contract
    assert read_contract(tmp_path / "nothing") is None
    (tmp_path / CONTRACT_FILE).write_text("{not json")
    with pytest.raises(Exception, match="not a usable inference contract"):
        read_contract(tmp_path)


def test_defaults_follow_the_contract_silently():
    config = RunConfig()  # no key set: every inference setting comes from the model
    assert apply_contract(config, _contract()) == []
    assert (config.model.max_source_tokens, config.model.max_summary_tokens) == (1024, 384)
    assert config.model.repetition_penalty == 1.1 and config.data.fit_strategy == "aspects"


def test_explicit_choices_win_with_a_warning_naming_both_values():
    config = parse_config({"model": {"max_source_tokens": 1536}})
    warnings = apply_contract(config, _contract(), {"max_summary_tokens": 200, "fit_strategy": None})
    assert config.model.max_source_tokens == 1536 and config.model.max_summary_tokens == 200
    assert config.data.fit_strategy == "aspects"  # None = not given: the contract's
    text = "\n".join(warnings)
    assert "max_source_tokens" in text and "1024" in text and "1536" in text
    assert "max_summary_tokens" in text and "384" in text and "200" in text
    assert len(warnings) == 2


def test_an_equal_explicit_value_does_not_warn():
    config = parse_config({"model": {"max_source_tokens": 1024, "dtype": "auto"}})
    assert apply_contract(config, _contract()) == []


def test_config_with_contract_copies(tmp_path):
    write_contract(tmp_path, _contract(max_summary_tokens=300))
    config = RunConfig()
    changed, warnings = config_with_contract(config, tmp_path)
    assert changed.model.max_summary_tokens == 300 and config.model.max_summary_tokens == 512
    assert config_with_contract(config, tmp_path / "none")[0] is config


def test_the_shipped_default_carries_its_contract():
    contract = read_contract(BUILTIN_ADAPTERS["filingsum-smollm2"])
    assert contract is not None and contract.base_model == SMOLLM2
    assert contract.prompt_version == prompt_version()  # trained on the prompt this code builds
    assert contract_for_model("filingsum-smollm2") == contract  # the name `filingsum serve` serves it under
    assert contract_for_model("some-other-model") is None


def test_contract_from_config_resolves_auto_dtype():
    contract = contract_from_config(parse_config({"model": {"max_source_tokens": 700}}))
    assert contract.max_source_tokens == 700 and contract.dtype == "float32" and contract.sections == ("item_1",)


FILINGS = ROOT.parent / "shared" / "filings"


@pytest.mark.parametrize("path", [FUSION, FILINGS / "nflx-10-k-2025-01-27.html"], ids=["seed", "edgar-html"])
def test_summarize_without_flags_feeds_the_shipped_default_its_training_inputs(path, capsys):
    """`filingsum summarize FILE --endpoint URL`, nothing else, against a server that serves the shipped default:
    the prompt it sends tokenizes to exactly the prompt ids of the training window built from the same filing
    (corpus window, contract budget and fit, the file's own request for a prompt-wrapped seed)."""
    from filingsum.cli import main
    from filingsum.core.models import load_tokenizer
    from filingsum.core.prompt import prompt_ids
    from filingsum.dataset.corpus import corpus_windows
    from filingsum.filings.ingest import load_documents

    if not path.is_file():
        pytest.skip(f"{path} not here (../shared/filings)")
    contract = read_contract(BUILTIN_ADAPTERS["filingsum-smollm2"])
    with FakeOpenAI(model="filingsum-smollm2") as server:
        assert main(["summarize", str(path), "--endpoint", server.base_url]) == 0
    (body,) = server.bodies
    tokenizer = load_tokenizer(contract.base_model)
    sent = tokenizer.apply_chat_template(body["messages"], tokenize=False, add_generation_prompt=True)
    sent_ids = tokenizer(sent, add_special_tokens=False)["input_ids"]
    windows = [w for w in corpus_windows(path, contract.max_source_tokens) if w["window"] == "aspects"]
    window = next(w for w in windows if w["section"] in ("item_1", "part_i_item_2"))
    instruction = load_documents(path)[0].instruction
    assert sent_ids == prompt_ids(tokenizer, window["text"], instruction)
    assert body["max_tokens"] == contract.max_summary_tokens
    assert "warning" not in capsys.readouterr().err


def test_summarize_flag_that_departs_from_the_contract_warns(capsys):
    from filingsum.cli import main

    with FakeOpenAI(model="filingsum-smollm2") as server:
        assert main(["summarize", str(FUSION), "--endpoint", server.base_url, "--max-source-tokens", "1536"]) == 0
    err = capsys.readouterr().err
    assert "warning: max_source_tokens" in err and "1024" in err and "1536" in err


def test_merge_carries_the_contract(tmp_path):
    from test_merge import _random_adapter

    from filingsum.inference.adapters import merge_adapter

    adapter = _random_adapter("tiny-random", tmp_path / "adapter")
    write_contract(adapter, _contract(base_model="tiny-random"))
    merged = merge_adapter(adapter, tmp_path / "merged")
    assert read_contract(merged) == read_contract(adapter)
    assert json.loads((merged / CONTRACT_FILE).read_text())["max_summary_tokens"] == 384


def test_serve_decodes_as_the_contract_says(tmp_path):
    from filingsum.serving.launcher import config_under_contract

    write_contract(tmp_path, _contract(max_summary_tokens=256, repetition_penalty=1.2))
    config = config_under_contract(RunConfig(), tmp_path)
    assert config.max_summary_tokens(config.serve.max_summary_tokens) == 256 and config.model.repetition_penalty == 1.2
