"""EndpointSummarizer against a real `transformers serve` on 127.0.0.1 (tiny model: garbage text, real plumbing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filingsum.core.prompt import prompt_ids
from filingsum.core.tokens import token_counter
from filingsum.filings.fit import chunk_text
from filingsum.filings.sections import extract_filing_sections
from filingsum.inference.batch import write_results
from filingsum.inference.endpoint import EndpointSummarizer
from filingsum.serving.launcher import free_port

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SEED = SAMPLES / "crexendo_10k_2016_item1_prompt.txt"  # ~3.7k tokens of Item 1
MAX_TOKENS = 6


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from _serving_helpers import tiny_server

    with tiny_server(tmp_path_factory.mktemp("server")) as server:
        yield server


def _client(server, **kwargs) -> EndpointSummarizer:
    # temperature 1: the test model samples (greedy decoding of a random model emits only newlines)
    options = dict(tokenizer="tiny-random", max_summary_tokens=MAX_TOKENS, max_source_tokens=1536, temperature=1.0,
                   max_retries=0, timeout_s=120)
    return EndpointSummarizer(server.base_url, server.model_names[0], **{**options, **kwargs})


@pytest.mark.slow
def test_summarize_file_sends_the_training_prompt(server, tiny_tokenizer):
    (result,) = _client(server, max_source_tokens=4096).summarize_file(SEED)
    assert result.error is None and result.summary and result.summary.strip()
    assert result.id == "crexendo_10k_2016_item1_prompt#item_1" and result.chunks == 1
    assert 1 <= result.completion_tokens <= MAX_TOKENS
    # The server counted exactly the prompt training uses: same sectioning, cleaning and chat template.
    (section,) = extract_filing_sections(SEED, ["item_1"])
    assert result.prompt_tokens == len(prompt_ids(tiny_tokenizer, section.text, section.instruction))


@pytest.mark.slow
def test_long_filing_is_fitted_like_training_by_default(server, tiny_tokenizer):
    from filingsum.filings.fit import fit_section

    (section,) = extract_filing_sections(SEED, ["item_1"])
    budget = 512
    fitted = fit_section(section.text, token_counter(tiny_tokenizer), budget, "aspects")[0].text
    assert len(fitted) < len(section.text) / 2
    (result,) = _client(server, max_source_tokens=budget).summarize_file(SEED)
    assert result.error is None and result.chunks == 1
    # one request with exactly the text the dataset builder would have put in a training example
    assert result.prompt_tokens == len(prompt_ids(tiny_tokenizer, fitted, section.instruction))


@pytest.mark.slow
def test_long_filing_is_map_reduced(server, tiny_tokenizer):
    text = (SAMPLES / "fusion_10k_2016_item1_prompt.txt").read_text().split("\n\n", 1)[1]
    budget = 2048
    expected_chunks = len(chunk_text(text, token_counter(tiny_tokenizer), budget))
    assert expected_chunks > 1
    result = _client(server, max_source_tokens=budget, concurrency=3,
                     fit_strategy="chunk").summarize_text(text, id="long")
    assert result.error is None and result.summary
    assert result.chunks == expected_chunks
    assert result.prompt_tokens < budget + len(prompt_ids(tiny_tokenizer, ""))  # the reduce step fits too


@pytest.mark.slow
def test_batch_keeps_every_input_and_writes_jsonl(server, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.txt", "b.txt"):
        (inputs / name).write_text((SAMPLES / "crexendo_10q_2020q3_mdna.txt").read_text()[:3000])
    (inputs / "empty.txt").write_text("")
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 40)
    specs = [str(inputs), str(tmp_path / "nothing-*.html")]
    results = list(_client(server, concurrency=3, max_source_tokens=512).summarize_paths(specs))
    by_source = {Path(r.source_path).name: r for r in results}
    assert set(by_source) == {"a.txt", "b.txt", "empty.txt", "binary.txt", "nothing-*.html"}
    assert len(results) == 5
    assert by_source["a.txt"].summary and by_source["b.txt"].summary
    for bad in ("empty.txt", "binary.txt", "nothing-*.html"):
        assert by_source[bad].summary is None and by_source[bad].error
    out = write_results(results, tmp_path / "out" / "sums.jsonl")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 5 and all(r["completion_tokens"] for r in rows if r["summary"])


@pytest.mark.slow
def test_summarize_command_prints_one_and_writes_many(server, tmp_path, capsys):
    from filingsum.cli import main

    common = ["--endpoint", server.base_url, "--model", server.model_names[0], "--tokenizer", "tiny-random",
              "--max-tokens", str(MAX_TOKENS), "--max-source-tokens", "4096", "--temperature", "1"]
    assert main(["summarize", str(SEED), *common]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed
    out = tmp_path / "sums.md"
    assert main(["summarize", str(SAMPLES), *common, "--out", str(out), "--concurrency", "2"]) == 0
    markdown = out.read_text()
    assert markdown.count("\n## ") == len(list(SAMPLES.glob("*.txt"))) and "tokens:" in markdown


def test_unreachable_endpoint_gives_error_records_not_exceptions(tmp_path):
    port = free_port()  # nothing listens on it
    client = EndpointSummarizer(f"http://127.0.0.1:{port}/v1", "x", tokenizer="tiny-random", max_summary_tokens=8,
                                max_source_tokens=1536, max_retries=1, timeout_s=5)
    results = list(client.summarize_paths([str(SEED), str(SAMPLES / "crexendo_10q_2020q3_mdna.txt")]))
    assert len(results) == 2
    assert all(r.summary is None and "unreachable" in r.error and r.error_kind == "unreachable" for r in results)
    empty = client.summarize_text("   ")
    assert empty.error.endswith("nothing to summarize") and empty.error_kind == "input"


def test_summarize_command_exits_1_when_endpoint_is_down(capsys):
    from filingsum.cli import main

    status = main(["summarize", str(SEED), "--endpoint", f"http://127.0.0.1:{free_port()}/v1", "--model", "x",
                   "--tokenizer", "tiny-random", "--max-retries", "0"])
    assert status == 1
    assert "unreachable" in capsys.readouterr().err


def test_summarize_without_model_asks_the_endpoint_and_says_why_it_cannot(capsys):
    from filingsum.cli import main

    status = main(["summarize", str(SEED), "--endpoint", f"http://127.0.0.1:{free_port()}/v1",
                   "--tokenizer", "tiny-random", "--max-retries", "0"])
    assert status == 2
    err = capsys.readouterr().err
    assert "--model not given" in err and "pass --model NAME" in err
