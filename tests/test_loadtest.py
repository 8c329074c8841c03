"""The load test's accounting: every request id ends in exactly one outcome, even when things go wrong."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from filingsum.cli import main
from filingsum.serving.loadtest import percentile, run_load_test
from filingsum.serving.ports import free_port

TEXT = (Path(__file__).resolve().parents[1] / "data" / "samples"
        / "crexendo_10k_2016_item1_prompt.txt").read_text()[:2000]


def test_refuses_non_local_hosts():
    for endpoint in ("http://example.com:8000/v1", "http://10.0.0.5:8000/v1"):
        with pytest.raises(ValueError, match="local server"):
            run_load_test(endpoint, "m", ["x"], requests=1, concurrency=1, max_summary_tokens=8)
    assert main(["loadtest", "--endpoint", "http://example.com/v1", "--model", "m", "--requests", "1"]) == 2


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([3.0], 99) == 3.0 and percentile([], 50) is None


def test_unreachable_server_every_request_is_an_error():
    report = run_load_test(f"http://127.0.0.1:{free_port()}/v1", "m", ["x"], requests=12, concurrency=4,
                           max_summary_tokens=8, request_timeout_s=5)
    assert (report.sent, report.ok, report.errors, report.timeouts, report.not_sent) == (12, 0, 12, 0, 0)
    assert report.balanced and report.latency_p50_s is None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from _serving_helpers import tiny_server

    with tiny_server(tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.mark.slow
def test_load_test_against_a_real_server(server):
    report = run_load_test(server.base_url, server.model_names[0], [TEXT], requests=8, concurrency=4,
                           max_summary_tokens=4, temperature=1.0)
    assert report.balanced and report.ok == 8 and report.errors == report.timeouts == 0
    assert report.output_tokens == sum(r.completion_tokens for r in report.records) and 0 < report.output_tokens <= 32
    assert report.latency_p50_s <= report.latency_p95_s <= report.latency_p99_s
    assert report.summaries_per_s > 0


@pytest.mark.slow
def test_tiny_timeout_and_deadline_are_accounted(server):
    # 2 workers, a per-request timeout too short to answer, and a total deadline that runs out mid-run: 80
    # timeouts of 0.05 s take 2 s on 2 workers, twice the deadline (40 took exactly the deadline: a coin toss)
    report = run_load_test(server.base_url, server.model_names[0], [TEXT * 3], requests=80, concurrency=2,
                           max_summary_tokens=64, request_timeout_s=0.05, deadline_s=1.0)
    assert report.balanced
    assert report.timeouts > 0 and report.not_sent > 0
    assert report.sent == report.ok + report.errors + report.timeouts
    assert report.sent + report.not_sent == 80


@pytest.mark.slow
def test_server_killed_mid_run_loses_nothing(tmp_path):
    from _serving_helpers import tiny_server

    with tiny_server(tmp_path) as server:
        killer = threading.Timer(1.5, server.stop)
        killer.start()
        started = time.monotonic()
        # far more requests than any machine answers in 1.5 s (30 took 1.1 s on a quiet Zen 4): the kill lands
        # mid-run; the ones after it are refused at once, so the run still ends in seconds
        report = run_load_test(server.base_url, server.model_names[0], [TEXT], requests=1000, concurrency=3,
                               max_summary_tokens=16, temperature=1.0, request_timeout_s=30)
        killer.join()
    assert time.monotonic() - started < 60
    assert report.balanced and report.ok > 0 and report.errors > 0  # requests after the kill fail, and are counted
    assert report.sent == report.ok + report.errors + report.timeouts == 1000


def test_loadtest_reads_each_input_file_once_and_sends_it_fitted_as_summarize_would(tmp_path, monkeypatch, capsys):
    """`loadtest` read each --input twice: once to refuse a device, FIFO, over-size or binary file (exit 2), then
    again to fit it. Each is now read once, and what was read is what is fitted and sent."""
    import sys

    from _fake_openai import FakeOpenAI

    from filingsum.core.config import RunConfig
    from filingsum.core.models import load_tokenizer
    from filingsum.core.prompt import build_messages
    from filingsum.core.tokens import token_counter
    from filingsum.filings.ingest import read_text_file
    from filingsum.filings.prepare import prepare_inputs

    samples = Path(__file__).resolve().parents[1] / "data" / "samples"
    filings = [tmp_path / name for name in ("crexendo_10k_2016_item1_prompt.txt", "fusion_10k_2016_item1_prompt.txt")]
    for filing in filings:
        filing.write_bytes((samples / filing.name).read_bytes())
    filings.append(tmp_path / "acme_10k_2024.txt")
    filings[-1].write_text("ACME CORP\nFORM 10-K\n\nItem 1. Business\n\n" + "Acme sells widgets to retailers. " * 400
                           + "\n\nItem 1A. Risk Factors\n\nMany risks.\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  name: tiny-random\n  max_source_tokens: 256\n", encoding="utf-8")

    reads: list[str] = []

    def counting_read_text_file(path, *args, **kwargs):
        reads.append(Path(path).name)
        return read_text_file(path, *args, **kwargs)

    # wherever the reader was imported by name: the ingest package, its loader and decode modules
    for module in [m for name, m in sys.modules.items() if name.startswith("filingsum")]:
        if getattr(module, "read_text_file", None) is read_text_file:
            monkeypatch.setattr(module, "read_text_file", counting_read_text_file)
    with FakeOpenAI() as server:
        status = main(["loadtest", "--config", str(config), "--endpoint", server.base_url, "--model", "fake",
                       *(arg for filing in filings for arg in ("--input", str(filing))), "--requests", "3",
                       "--concurrency", "1"])
        bodies = list(server.bodies)
    err = capsys.readouterr().err
    assert status == 0, err[-2000:]
    assert sorted(reads) == sorted(f.name for f in filings), reads  # before: each name twice

    run_config = RunConfig.model_validate({"model": {"name": "tiny-random", "max_source_tokens": 256}})
    count_tokens = token_counter(load_tokenizer("tiny-random"))
    fitted = [item.pieces[0].text for filing in filings
              for item in prepare_inputs(filing, run_config.data.sections, count_tokens, 256,
                                         run_config.data.fit_strategy)]
    assert sorted(b["messages"][-1]["content"] for b in bodies) == sorted(build_messages(t)[-1]["content"]
                                                                         for t in fitted)
