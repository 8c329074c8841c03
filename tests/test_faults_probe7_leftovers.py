"""What the seventh probe left open, and the endpoint client's Retry-After: a teacher that takes the key on /models
but refuses it on chat requests (P7-F10), progress inside one input's map-reduce (P7-F11), and a 429 whose
Retry-After the client's own retries ignored.

Real components throughout: HTTP servers on 127.0.0.1 (tests/_fake_openai.py), the real CLI (in-process `main`),
real files, the real progress helper (observed, not replaced)."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest
import yaml
from _fake_openai import FakeOpenAI
from test_faults import assert_one_line_failure, data_config, observe, write_filings

from filingsum.cli import main

KEY = "TEACHER-KEY-p7-left"


@pytest.fixture
def teacher_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("P7_LEFT_KEY", KEY)


class ChatRefusals:
    """A teacher's answer per chat request: the first ``answered`` are summaries, then HTTP ``status`` (401, 403,
    500) while ``refusing`` is set; its /models (FakeOpenAI's) takes any key."""

    def __init__(self, status: int, answered: int):
        self.status, self.answered, self.refusing = status, answered, True
        self.lock = threading.Lock()
        self.calls = 0

    def __call__(self, body: dict):
        with self.lock:
            self.calls += 1
            refuse = self.refusing and self.calls > self.answered
        if refuse:
            return self.status, {"error": {"message": f"no ({KEY})", "type": "invalid_request_error"}}, {}
        filing = body["messages"][-1]["content"].split("<filing>", 1)[-1].replace("</filing>", " ")
        return " ".join(filing.split()[:60]) + "."


def _teacher_build(tmp_path: Path, base_url: str) -> Path:
    config = data_config(tmp_path / "build.yaml", [write_filings(tmp_path / "in", range(3))], tmp_path / "ds")
    data = yaml.safe_load(config.read_text())
    data["data"]["references"] = ["teacher", "extractive"]
    data["data"]["teacher"] = {"base_url": base_url, "model": "fake", "max_retries": 0, "timeout_s": 10,
                               "concurrency": 1, "api_key_env": "P7_LEFT_KEY"}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("status", [401, 403])
def test_data_build_stops_when_the_teacher_refuses_chat_requests_and_a_rerun_resumes(tmp_path, capsys, caplog,
                                                                                     teacher_key, status):
    """P7-F10 leftover: /models took the key, every chat request was refused, and the build fell back to
    extractive references with exit 0. Now one line naming the teacher's URL and the status (exit 2), no dataset,
    the answers received kept: the rerun asks only for the rest, and every reference is the teacher's."""
    refusals = ChatRefusals(status, answered=1)
    with FakeOpenAI(respond=refusals) as server:
        config = _teacher_build(tmp_path, server.base_url)
        code = main(["data", "build", "--config", str(config)])
        err = capsys.readouterr().err
        posts = server.requests
        observe(f"`data build`: the teacher takes the key on /models, refuses chat requests ({status})", code, err,
                wrong=int(code == 0))
        line = assert_one_line_failure(code, err, 2, f"data.teacher: {server.base_url}/chat/completions",
                                       f"HTTP {status}", "$P7_LEFT_KEY", "no dataset was written",
                                       "1 answer(s) received this run are kept in", "rerun the same command")
        assert KEY not in err + caplog.text, line
        assert posts == 2, "requests were sent after the refusal"  # one answered, one refused, none after
        assert not (tmp_path / "ds" / "records.jsonl").exists()
        assert len(list((tmp_path / "ds" / "teacher_cache").rglob("*.json"))) == 1

        refusals.refusing = False  # the key is fixed on the server's side: the same command resumes
        assert main(["data", "build", "--config", str(config)]) == 0, capsys.readouterr().err[-2000:]
        assert server.requests - posts == 2  # the two not answered; the cached one is not asked again
    records = _records(tmp_path / "ds")
    assert len(records) == 3 and {r["reference_origin"] for r in records} == {"teacher"}


def test_data_build_still_falls_back_on_a_teacher_server_error(tmp_path, capsys, caplog, teacher_key):
    """A 5xx is not a refusal: the records fall back to extractive references, each with a warning, exit 0."""
    with FakeOpenAI(respond=ChatRefusals(500, answered=0)) as server:
        code = main(["data", "build", "--config", str(_teacher_build(tmp_path, server.base_url))])
    err = capsys.readouterr().err
    assert code == 0, err[-2000:]
    records = _records(tmp_path / "ds")
    assert records and {r["reference_origin"] for r in records} == {"extractive"}
    assert all(any("teacher: HTTP 500" in w and "fell back to extractive" in w for w in r["warnings"])
               for r in records), records
    assert "teacher request failed: HTTP 500" in caplog.text


# --- P7-F11 leftover: progress inside one input's map-reduce ---------------------------------------------------


@pytest.fixture
def bars(monkeypatch) -> list[dict]:
    """Every progress bar the real helper (`filingsum.core.progress.Progress`) is asked for: its description, unit
    and total, and the steps it was advanced by, in order."""
    from filingsum.core import progress as progress_module

    seen: list[dict] = []

    class Observed(progress_module.Progress):
        def __init__(self, total, desc, unit="item", **kwargs):
            super().__init__(total, desc, unit, **kwargs)
            seen.append({"desc": desc, "unit": unit, "total": total, "steps": []})
            self._seen = seen[-1]

        def update(self, n=1, *, failed=False):
            self._seen["steps"].append(n)
            super().update(n, failed=failed)

    monkeypatch.setattr(progress_module, "Progress", Observed)
    return seen


def _long_filing(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "acme_10k_2020.txt"
    paragraphs = [f"Acme Widgets Inc. sells product line {i} to retailers in region {i % 9} for cash and on credit, "
                  f"through dealers and an online store; line {i} also earns service fees." for i in range(80)]
    path.write_text("Item 1. Business\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


def test_summarize_fit_chunk_shows_progress_for_the_map_and_each_reduce_round(tmp_path, capsys, caplog, bars):
    """`summarize --fit chunk` on one long input worked for minutes without a word. Now the chunk map and each
    reduce round have a bar (one step per chunk summary) and a final line with the counts."""
    answer = " ".join(f"Acme sells line {i} to retailers for cash." for i in range(4))  # the map needs a reduce
    out = tmp_path / "sums.jsonl"
    caplog.set_level(logging.INFO, logger="filingsum.progress")
    with FakeOpenAI(respond=lambda body: answer) as server:
        code = main(["summarize", str(_long_filing(tmp_path / "in")), "--endpoint", server.base_url, "--model",
                     "fake", "--tokenizer", "tiny-random", "--fit", "chunk", "--max-source-tokens", "256",
                     "--max-summary-tokens", "128", "--max-retries", "0", "--out", str(out)])
        requests = server.requests
    err = capsys.readouterr().err
    assert code == 0, err[-2000:]
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    chunk_bars = [b for b in bars if b["unit"] == "chunk"]
    assert [b["desc"] for b in chunk_bars] == [f"{record['id']}: chunk map", f"{record['id']}: reduce round 1"]
    mapped, reduced = chunk_bars[0]["total"], chunk_bars[1]["total"]
    assert mapped == record["chunks"] > 2 and reduced > 1
    assert all(b["steps"] == [1] * b["total"] for b in chunk_bars), chunk_bars  # a step per chunk summary
    assert requests == mapped + reduced + 1  # every request but the final summary was counted on a bar
    assert f"{record['id']}: chunk map: {mapped} of {mapped} chunk(s) done" in caplog.text
    assert f"{record['id']}: reduce round 1: {reduced} of {reduced} chunk(s) done" in caplog.text

    # several inputs run on parallel threads: one bar over the files, none per round
    bars.clear()
    second = tmp_path / "in" / "borealis_10k_2020.txt"
    second.write_text((tmp_path / "in" / "acme_10k_2020.txt").read_text(encoding="utf-8"), encoding="utf-8")
    with FakeOpenAI(respond=lambda body: answer) as server:
        code = main(["summarize", str(tmp_path / "in"), "--endpoint", server.base_url, "--model", "fake",
                     "--tokenizer", "tiny-random", "--fit", "chunk", "--max-source-tokens", "256",
                     "--max-summary-tokens", "128", "--max-retries", "0", "--out", str(tmp_path / "two.jsonl")])
    assert code == 0, capsys.readouterr().err[-2000:]
    assert [(b["desc"], b["total"]) for b in bars] == [("summarizing", 2)]


def test_the_local_summarizer_counts_chunk_summaries_batch_by_batch():
    """The local model's rounds advance a batch at a time, with the very summaries an uncounted call gives."""
    from filingsum.inference.local import GenerationSettings, LocalSummarizer

    local = LocalSummarizer("tiny-random", settings=GenerationSettings(max_summary_tokens=4, batch_size=2))
    texts = [f"Acme sells widget line {i} to retailers for cash." for i in range(3)]
    batches: list[int] = []
    real_generate = local.model.generate

    def generate(*args, **kwargs):  # the real generation, counted
        batches.append(len(batches))
        return real_generate(*args, **kwargs)

    local.model.generate = generate
    seen: list[int] = []
    counted = local.summarize_counted(texts, None, lambda generated: seen.append(len(batches)))
    assert seen == [1, 1, 2]  # two summaries after the first batch, the third after the second
    assert [g.text for g in counted] == [g.text for g in local.summarize(texts)]


# --- the endpoint client's retries: a 429's Retry-After ----------------------------------------------------------


class RateLimitedOnce:
    """A 429 with ``Retry-After: value`` for the first chat request, then summaries; ``arrived`` holds each
    request's arrival time (time.monotonic)."""

    def __init__(self, value: str):
        self.value, self.arrived = value, []

    def __call__(self, body: dict):
        self.arrived.append(time.monotonic())
        if len(self.arrived) == 1:
            return 429, {"error": {"message": "rate limited", "type": "rate_limit_error"}}, {"Retry-After": self.value}
        return "Acme sells widgets to retailers for cash."


@pytest.mark.parametrize("value, timeout_s, expected_s", [("1", 30.0, 1.0), ("3600", 1.5, 1.5)])
def test_the_endpoint_client_waits_what_a_429_retry_after_asks_capped_at_its_timeout(caplog, value, timeout_s,
                                                                                   expected_s):
    """The client's own retries waited 0.5 s after a 429, whatever its Retry-After asked (and a rate-limited
    server refuses a retry that comes early). It waits what is asked now, at most the request timeout (and 60 s),
    and says so in the log."""
    from filingsum.inference.endpoint import EndpointSummarizer

    caplog.set_level(logging.INFO, logger="filingsum.core.http_limits")
    limited = RateLimitedOnce(value)
    with FakeOpenAI(respond=limited) as server:
        client = EndpointSummarizer(server.base_url, "fake", tokenizer="tiny-random", max_summary_tokens=64,
                                    max_source_tokens=256, max_retries=1, timeout_s=timeout_s)
        (result,) = client.summarize(["Acme Widgets Inc. sells widgets to retailers for cash."])
    assert result.ok and result.text.startswith("Acme sells widgets"), result.error
    assert len(limited.arrived) == 2
    waited = limited.arrived[1] - limited.arrived[0]
    assert expected_s - 0.1 <= waited <= expected_s + 1.5, waited
    assert f"answered HTTP 429 with Retry-After '{value}': retrying in {expected_s:.1f} s" in caplog.text


def test_a_retry_after_wait_ends_at_cancel():
    """A long Retry-After wait (Ctrl-C calls `cancel()`) ends at once, and the request is not sent again."""
    from filingsum.inference.base import Cancelled
    from filingsum.inference.endpoint import EndpointSummarizer

    limited = RateLimitedOnce("30")
    with FakeOpenAI(respond=limited) as server:
        client = EndpointSummarizer(server.base_url, "fake", tokenizer="tiny-random", max_summary_tokens=64,
                                    max_source_tokens=256, max_retries=1, timeout_s=60)
        threading.Timer(0.5, client.cancel).start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            client.summarize(["Acme Widgets Inc. sells widgets to retailers for cash."])
        took = time.monotonic() - started
    assert took < 3 and len(limited.arrived) == 1, took
