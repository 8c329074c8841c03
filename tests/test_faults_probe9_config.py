"""The ninth probe's settings faults (docs/reliability.md, "Ninth probe"): a teacher temperature past 0..2 and a
teacher that rejects every request with one 4xx (P9-F8).

Real components throughout: HTTP servers on 127.0.0.1 (tests/_fake_openai.py), the real CLI (in-process `main`),
real YAML files and filings."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import yaml
from _fake_openai import FakeOpenAI
from test_faults import assert_one_line_failure, data_config, observe, write_filings

from filingsum.cli import main

# --- P9-F8: the teacher's temperature, and a teacher that rejects every request ----------------------------------


def _teacher_build(tmp_path: Path, base_url: str, filings: int = 5, **teacher: object) -> Path:
    config = data_config(tmp_path / "build.yaml", [write_filings(tmp_path / "in", range(filings))], tmp_path / "ds")
    data = yaml.safe_load(config.read_text())
    data["data"]["references"] = ["teacher", "extractive"]
    data["data"]["teacher"] = {"base_url": base_url, "model": "teach", "max_retries": 0, "timeout_s": 10,
                               "concurrency": 1, **teacher}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config


class Rejects:
    """A teacher's answer per chat request: HTTP ``status`` with the server's ``message`` (formatted with the
    request's number, so that a ``{n}`` in it makes each answer differ), after the first ``answered`` summaries."""

    def __init__(self, status: int, message: str, answered: int = 0):
        self.status, self.message, self.answered = status, message, answered
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, body: dict):
        with self.lock:
            self.calls += 1
            n = self.calls
        if n <= self.answered:
            filing = body["messages"][-1]["content"].split("<filing>", 1)[-1].replace("</filing>", " ")
            return " ".join(filing.split()[:60]) + "."
        return self.status, {"error": {"message": self.message.format(n=n), "type": "BadRequestError"}}, {}


def test_a_teacher_temperature_past_two_is_a_config_error(tmp_path, capsys, monkeypatch):
    """P9-F8: `data.teacher.temperature: 50` was accepted (summarize --temperature is checked 0..2); every request
    then got HTTP 400 and fell back to extractive references, exit 0. Now a config error before any request."""
    monkeypatch.setenv("OPENAI_API_KEY", "k-p9")
    with FakeOpenAI(model="teach") as server:
        code = main(["data", "build", "--config", str(_teacher_build(tmp_path, server.base_url, temperature=50))])
        err = capsys.readouterr().err
        observe("`data build`: data.teacher.temperature: 50", code, err, wrong=int(code == 0))
        assert_one_line_failure(code, err, 2, "data.teacher.temperature", "2")
        assert server.requests == 0
    assert not (tmp_path / "ds" / "records.jsonl").exists()


def test_a_teacher_rejecting_every_request_with_one_4xx_stops_the_build(tmp_path, capsys, monkeypatch):
    """P9-F8: a teacher that answered every request with the same HTTP 400 left a build of extractive references,
    exit 0. Now the third identical rejection stops it: one line naming the status and the server's message, no
    request after it, no dataset, exit 2 (as a refused key does)."""
    monkeypatch.setenv("OPENAI_API_KEY", "k-p9")
    rejects = Rejects(400, "max_tokens: Input should be less than or equal to 64")
    with FakeOpenAI(model="teach", respond=rejects) as server:
        code = main(["data", "build", "--config", str(_teacher_build(tmp_path, server.base_url))])
        err = capsys.readouterr().err
        observe("`data build`: the teacher answers every request with the same HTTP 400", code, err,
                wrong=int(code == 0))
        assert_one_line_failure(code, err, 2, f"data.teacher: {server.base_url}/chat/completions",
                                "first 3 teacher requests with HTTP 400",
                                "max_tokens: Input should be less than or equal to 64",
                                "no dataset was written")
        assert server.requests == 3  # 5 filings: the rest were not sent
    assert not (tmp_path / "ds" / "records.jsonl").exists()


def test_4xx_answers_that_differ_or_follow_an_answer_still_fall_back(tmp_path, capsys, monkeypatch):
    """What is not one rejection of every request keeps the per-record fallback: 400s whose messages differ (a
    context-length error names each prompt's size), and 400s after a first answer."""
    monkeypatch.setenv("OPENAI_API_KEY", "k-p9")
    for case, rejects in (("differ", Rejects(400, "prompt {n}000 tokens past the context")),
                          ("after", Rejects(400, "the same message", answered=1))):
        with FakeOpenAI(model="teach", respond=rejects) as server:
            code = main(["data", "build", "--config", str(_teacher_build(tmp_path / case, server.base_url))])
            err = capsys.readouterr().err
            assert code == 0, err[-2000:]
            assert server.requests == 5, case
        rows = [json.loads(line) for line in (tmp_path / case / "ds" / "records.jsonl").read_text().splitlines()]
        origins = sorted(r["reference_origin"] for r in rows)
        assert origins == (["extractive"] * 5 if case == "differ" else ["extractive"] * 4 + ["teacher"]), origins
