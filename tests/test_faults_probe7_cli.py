"""Faults of the seventh fresh probe (2026-12-04 evening) in the command line itself: an empty target-module list
(a peft traceback), empty argument values that silently meant the default output or the current directory (a
dataset and a report replaced, the repo read as filings), and `serve` options dropped without a word. Each runs
the real CLI in process and asserts the exit status, the one line the user sees and that nothing was written.
docs/reliability.md lists them.
"""

from __future__ import annotations

import pytest
from test_faults import assert_one_line_failure, observe

from filingsum.cli import main

CONFIG = "configs/smollm2-cpu.yaml"


def test_an_empty_target_module_list_is_a_config_error_before_anything_is_written(tmp_path, capsys):
    """P7-F1: `train.lora.target_modules=[]` printed peft's NoMatchingPeftModuleError traceback, exit 1, and left an
    empty run dir."""
    run = tmp_path / "run"
    status = main(["train", "--config", CONFIG, "--set", f"train.output_dir={run}", "--set", "train.max_steps=1",
                   "--set", "train.lora.target_modules=[]"])
    err = capsys.readouterr().err
    observe("`train` with train.lora.target_modules=[]", status, err)
    assert_one_line_failure(status, err, 2, "train.lora.target_modules", "the list is empty", "all-linear")
    assert not run.exists()


@pytest.mark.parametrize("argv", [
    ["data", "build", "--config", CONFIG, "--out", ""],
    ["data", "build", "--config", CONFIG, "--out="],
    ["eval", "--config", CONFIG, "--out", ""],
    ["data", "build", "--config", CONFIG, "--input", "", "--out", "OUT"],
    ["summarize", "", "--endpoint", "http://127.0.0.1:9/v1", "--model", "x", "--out", "OUT"],
], ids=["build-out", "build-out=", "eval-out", "build-input", "summarize-input"])
def test_an_empty_value_never_means_the_default_output_or_the_current_dir(tmp_path, capsys, monkeypatch, argv):
    """P7-F3, P7-F4: `--out ''` (an unset shell variable) wrote to the config's default output, replacing the
    dataset or report there, exit 0; `--input ''` and `summarize ''` read the current directory recursively."""
    monkeypatch.chdir(tmp_path)  # the default outputs would be written under here
    (tmp_path / "configs").mkdir()
    (tmp_path / CONFIG).write_text("model:\n  name: tiny-random\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("Item 1. Business\n\nAcme sells anvils to retailers. " * 40, encoding="utf-8")
    argv = [str(tmp_path / "OUT") if a == "OUT" else a for a in argv]
    status = main(argv)
    err = capsys.readouterr().err
    observe(f"`{' '.join(argv[:2])}` with an empty value", status, err)
    assert_one_line_failure(status, err, 2, "''", "an empty value never means the default")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["configs", "notes.txt"]  # nothing written anywhere


def test_serve_refuses_an_adapter_name_given_twice_and_options_merged_would_ignore(tmp_path, capsys):
    """P7-F5: `serve --adapter x=A --adapter x=B` served B and dropped A without a word; `--merged DIR` with
    `--adapter`/`--lora` ignored them."""
    a, b = tmp_path / "a", tmp_path / "b"
    status = main(["serve", "--config", CONFIG, "--adapter", f"x={a}", "--adapter", f"x={b}", "--port", "9"])
    err = capsys.readouterr().err
    observe("`serve --adapter x=A --adapter x=B`", status, err)
    assert_one_line_failure(status, err, 2, "'x' is given twice", str(a), str(b))
    status = main(["serve", "--config", CONFIG, "--merged", str(tmp_path), "--lora", "adapter", "--port", "9"])
    err = capsys.readouterr().err
    observe("`serve --merged DIR --lora adapter`", status, err)
    assert_one_line_failure(status, err, 2, "--merged", "--lora would be ignored")


def test_a_temperature_outside_the_openai_range_is_a_usage_error(capsys):
    """`summarize --temperature 1e9` passed the flag check and failed per file with an HTTP 400, exit 1."""
    with pytest.raises(SystemExit) as exit_info:
        main(["summarize", "x.txt", "--endpoint", "http://127.0.0.1:9/v1", "--temperature", "1e9"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "must be a temperature from 0 to 2" in err, err


def test_loadtest_sends_each_filing_fitted_as_summarize_fits_it(tmp_path, capsys):
    """P7-F7: `loadtest` sent its input filings whole, so 2 of the 3 seed filings overran the server's context (HTTP
    400) while throughput was reported from the rest, exit 0. It now sends what `summarize` would: the filing's
    section fitted to model.max_source_tokens with the model's tokenizer."""
    from _fake_openai import FakeOpenAI

    from filingsum.core.models import load_tokenizer

    config = tmp_path / "c.yaml"
    config.write_text("model:\n  name: tiny-random\n  max_source_tokens: 256\n", encoding="utf-8")
    words = [f"Acme sells product line {i} to retailers in region {i % 7} for cash and on credit terms."
             for i in range(3000)]
    filing = tmp_path / "acme_10k_2024.txt"
    filing.write_text("ACME CORP\nFORM 10-K\n\nItem 1. Business\n\n" + " ".join(words) + "\n\nItem 1A. Risk Factors\n\n"
                      "Many risks.\n", encoding="utf-8")
    with FakeOpenAI() as server:
        status = main(["loadtest", "--config", str(config), "--endpoint", server.base_url, "--model", "fake",
                       "--input", str(filing), "--requests", "2", "--concurrency", "1"])
        bodies = list(server.bodies)
    capsys.readouterr()
    tokenizer = load_tokenizer("tiny-random")
    sent = [len(tokenizer(m["content"])["input_ids"]) for b in bodies for m in b["messages"] if m["role"] == "user"]
    assert status == 0 and len(sent) == 2, (status, sent)
    assert all(n <= 256 + 200 for n in sent), sent  # the fitted section and the request's own words, not 60k tokens
