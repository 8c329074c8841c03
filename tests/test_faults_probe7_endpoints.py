"""Fault probe 7, endpoints and outputs: URL credentials next to an API key (P7-F10), a teacher that refuses
every request (P7-F10), `eval compare` of reports that scored different documents (P7-F13), `export` to an
unusable --out (P7-F12) and a warning that asked for the --model that was given (P7-F14).

Real components throughout: HTTP servers on 127.0.0.1, the real CLI (in-process `main`), real files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from _fake_openai import completion
from _local_http import LocalHTTPServer, QuietHandler
from test_faults import assert_one_line_failure, data_config, free_port, observe, write_filings

from filingsum.cli import main

PASSWORD = "PW-p7-SECRET-91"
RIGHT_KEY = "RIGHT-KEY-p7-abc"


class KeyedOpenAI(LocalHTTPServer):
    """An OpenAI-compatible server on 127.0.0.1 that answers /v1/models and /v1/chat/completions only with
    ``Authorization: Bearer RIGHT_KEY`` (401 otherwise, as vLLM's --api-key does); ``auth`` holds every request's
    Authorization header and ``posts`` counts the chat requests."""

    def __init__(self) -> None:
        self.auth: list[str | None] = []
        self.posts = 0
        outer = self

        class Handler(QuietHandler):
            def _answer(self, ok_body: dict) -> None:
                outer.auth.append(self.headers.get("Authorization"))
                ok = self.headers.get("Authorization") == f"Bearer {RIGHT_KEY}"
                body = ok_body if ok else {"error": {"message": "invalid api key", "type": "invalid_request_error"}}
                self.reply(200 if ok else 401, body)

            def do_GET(self):  # noqa: N802
                self._answer({"object": "list", "data": [{"id": "fake", "object": "model"}]})

            def do_POST(self):  # noqa: N802
                body = self.read_json()
                outer.posts += 1
                filing = body["messages"][-1]["content"].split("<filing>", 1)[-1]  # a summary quoting the filing
                self._answer(completion(body, " ".join(filing.replace("</filing>", " ").split()[:60]) + "."))

        super().__init__(Handler)
        self.url_with_credentials = self.base_url.replace("http://", f"http://alice:{PASSWORD}@")


@pytest.fixture
def no_default_key(monkeypatch):
    """No $OPENAI_API_KEY from the machine running the tests."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


# --- P7-F10: URL credentials and an API key ---------------------------------------------------------------------


def test_summarize_refuses_url_credentials_next_to_a_named_key_before_any_request(tmp_path, capsys, monkeypatch,
                                                                                 no_default_key):
    """The URL's user:password went out as Basic auth in place of the key: the server answered 401 and the
    message said "the server refused the API key ... check the key"."""
    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    monkeypatch.setenv("P7_KEY", RIGHT_KEY)
    with KeyedOpenAI() as server:
        status = main(["summarize", str(filing), "--endpoint", server.url_with_credentials, "--model", "fake",
                       "--tokenizer", "tiny-random", "--api-key-env", "P7_KEY", "--max-retries", "0"])
        err = capsys.readouterr().err
        sent = len(server.auth)
    observe("`summarize`: --endpoint with user:password and --api-key-env", status, err)
    line = assert_one_line_failure(status, err, 2, "--endpoint http://***@127.0.0.1", "carries a user and password",
                                   "--api-key-env P7_KEY")
    assert "refused the API key" not in line
    assert sent == 0, "a request was sent"
    assert PASSWORD not in err and RIGHT_KEY not in err


def test_python_api_refuses_url_credentials_next_to_an_api_key(no_default_key):
    from filingsum.api import Summarizer
    from filingsum.core.errors import UsageError

    with KeyedOpenAI() as server:
        with pytest.raises(UsageError, match="carries a user and password, and api_key gives an API key") as caught:
            Summarizer.from_endpoint(server.url_with_credentials, "fake", api_key=RIGHT_KEY,
                                     config={"model": {"name": "tiny-random"}}, max_retries=0)
        assert server.auth == [] and PASSWORD not in str(caught.value)


def test_a_refusal_of_url_credentials_blames_them_not_a_missing_key(tmp_path, capsys, no_default_key):
    """Without a key, a 401 for the URL's Basic credentials said "needs an API key ... and none was sent"."""
    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    with KeyedOpenAI() as server:
        status = main(["summarize", str(filing), "--endpoint", server.url_with_credentials, "--tokenizer",
                       "tiny-random", "--max-retries", "0"])
        err = capsys.readouterr().err
        assert server.auth and all(a and a.startswith("Basic ") for a in server.auth), server.auth
    observe("`summarize`: the server refuses the URL's user:password", status, err)
    line = assert_one_line_failure(status, err, 2, "refused the user and password in the URL (HTTP 401")
    assert "none was sent" not in line and PASSWORD not in err


def _teacher_config(tmp_path: Path, base_url: str, **teacher: object) -> Path:
    config = data_config(tmp_path / "build.yaml", [write_filings(tmp_path / "in", range(2))], tmp_path / "ds")
    data = yaml.safe_load(config.read_text())
    data["data"]["references"] = ["teacher", "extractive"]
    data["data"]["teacher"] = {"base_url": base_url, "model": "fake", "max_retries": 0, "timeout_s": 10, **teacher}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config


def test_data_build_refuses_a_teacher_url_with_credentials_next_to_a_named_key(tmp_path, capsys, monkeypatch,
                                                                               no_default_key):
    """Every teacher request got 401 (Basic auth in place of the key), and the build fell back to extractive
    references with exit 0."""
    monkeypatch.setenv("P7_TEACHER_KEY", RIGHT_KEY)
    with KeyedOpenAI() as server:
        config = _teacher_config(tmp_path, server.url_with_credentials, api_key_env="P7_TEACHER_KEY")
        status = main(["data", "build", "--config", str(config)])
        err = capsys.readouterr().err
        posts = server.posts
    observe("`data build`: teacher base_url with user:password and data.teacher.api_key_env", status, err,
            wrong=posts)
    assert_one_line_failure(status, err, 2, "data.teacher.base_url http://***@127.0.0.1",
                            "carries a user and password", "data.teacher.api_key_env (P7_TEACHER_KEY)")
    assert posts == 0 and not (tmp_path / "ds" / "records.jsonl").exists()
    assert PASSWORD not in err and RIGHT_KEY not in err


def test_data_build_stops_when_the_teacher_refuses_the_key_and_runs_with_the_right_one(tmp_path, capsys,
                                                                                     monkeypatch, no_default_key):
    """A teacher refusing every request (401) logged warnings and the build fell back to extractive references
    with exit 0. Now one line, exit 2, nothing built; the right key builds with teacher references."""
    monkeypatch.setenv("P7_TEACHER_KEY", "WRONG-KEY-p7-xyz")
    with KeyedOpenAI() as server:
        config = _teacher_config(tmp_path, server.base_url, api_key_env="P7_TEACHER_KEY")
        status = main(["data", "build", "--config", str(config)])
        err = capsys.readouterr().err
        refused_posts = server.posts
        observe("`data build`: the teacher refuses the key (401)", status, err, wrong=refused_posts)
        assert_one_line_failure(status, err, 2, "data.teacher:", "refused the API key in $P7_TEACHER_KEY",
                                "HTTP 401", "every teacher request would be refused")
        assert refused_posts == 0 and not (tmp_path / "ds" / "records.jsonl").exists()
        assert "WRONG-KEY" not in err

        monkeypatch.setenv("P7_TEACHER_KEY", RIGHT_KEY)
        assert main(["data", "build", "--config", str(config)]) == 0, capsys.readouterr().err[-2000:]
        assert server.posts > 0 and (tmp_path / "ds" / "records.jsonl").is_file()

    # only a refusal stops the build up front: an unreachable teacher is left to the build, as before
    assert main(["data", "build", "--config", str(config), "--out", str(tmp_path / "ds2")]) == 0, \
        capsys.readouterr().err[-2000:]



# --- P7-F14: the contract warning with --model given ------------------------------------------------------------


def test_an_unreachable_endpoint_with_model_given_does_not_ask_for_model(tmp_path, capsys, caplog, no_default_key):
    """The warning said "is the server running? pass --model NAME" although --model was given."""
    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    status = main(["summarize", str(filing), "--endpoint", f"http://127.0.0.1:{free_port()}/v1", "--model", "x",
                   "--tokenizer", "tiny-random", "--max-retries", "0", "--timeout", "2"])
    err = capsys.readouterr().err + caplog.text  # the warning is a log line (pytest captures the logging)
    assert status == 1, err[-2000:]
    warning = next(line for line in err.splitlines() if "/models could not be read" in line)
    assert "pass --model NAME" not in warning and "is the server running?" in warning


# --- P7-F13: eval compare of reports that scored different documents -------------------------------------------


def _eval_report(tmp_path: Path, name: str, ids: list[str]) -> Path:
    """A real report.json from `filingsum eval --predictions` of the documents ``ids``."""
    predictions = tmp_path / f"{name}.jsonl"
    predictions.write_text("".join(json.dumps({"id": doc, "source": f"{doc.title()} Corp sells widgets to shops.",
                                               "prediction": f"{doc.title()} Corp sells widgets.",
                                               "system": "tuned"}) + "\n" for doc in ids), encoding="utf-8")
    assert main(["eval", "--predictions", str(predictions), "--out", str(tmp_path / name), "--tokenizer",
                 "tiny-random"]) == 0
    return tmp_path / name / "report.json"


def test_eval_compare_refuses_reports_with_no_document_in_common_and_warns_on_a_partial_overlap(tmp_path, capsys):
    one = _eval_report(tmp_path, "one", ["acme"])
    two = _eval_report(tmp_path, "two", ["borealis", "cobalt"])
    overlap = _eval_report(tmp_path, "overlap", ["acme", "borealis"])
    capsys.readouterr()
    status = main(["eval", "compare", str(one), str(two)])
    err = capsys.readouterr().err
    observe("`eval compare`: reports with no document in common", status, err)
    assert_one_line_failure(status, err, 2, "a and b scored different documents: 1 vs 2, 0 in common")

    for markdown in ([], ["--markdown"]):
        status = main(["eval", "compare", str(one), str(overlap), *markdown])
        out, err = capsys.readouterr()
        assert status in (0, 1) and "Traceback" not in err
        assert "filingsum: warning: a and b scored different documents: 1 vs 2, 1 in common" in err, err
    assert "scored different documents" in out  # the Markdown (a PR comment) carries it too

    assert main(["eval", "compare", str(two), str(two)]) == 0
    assert "different documents" not in capsys.readouterr().err


# --- P7-F12: export checks --out before the merge ---------------------------------------------------------------


def _merges(monkeypatch) -> list[str]:
    """The merges export_model starts (the real merge still runs)."""
    import filingsum.inference.adapters as adapters

    started: list[str] = []
    real = adapters.merge_adapter

    def counting(*args, **kwargs):
        started.append(str(args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(adapters, "merge_adapter", counting)
    return started


def test_export_checks_its_out_dir_before_the_merge(tmp_path, capsys, monkeypatch):
    from test_export import _run_dir

    run = _run_dir(tmp_path)
    merges = _merges(monkeypatch)
    a_file = tmp_path / "a_file"
    a_file.write_text("not a directory")
    status = main(["export", str(run), "--out", str(a_file / "sub")])
    err = capsys.readouterr().err
    observe("`export --out FILE/sub`", status, err)
    assert_one_line_failure(status, err, 2, str(a_file / "sub"), "export directory (--out)")
    assert merges == []

    from filingsum.core import io as io_module

    with monkeypatch.context() as full:
        full.setattr(io_module, "free_bytes", lambda path: 4096)  # a full disk
        status = main(["export", str(run), "--out", str(tmp_path / "full" / "out")])
        err = capsys.readouterr().err
    observe("`export`: no free space for --out", status, err, user_caused=False)
    assert_one_line_failure(status, err, 2, "export directory (--out)", "4.0 KB free")
    assert merges == [] and not (tmp_path / "full" / "out").exists()

    if os.geteuid() != 0:  # root writes into a read-only dir
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        status = main(["export", str(run), "--out", str(locked / "out")])
        err = capsys.readouterr().err
        assert_one_line_failure(status, err, 2, "not writable")
        assert merges == []

    status = main(["export", str(run), "--out", str(tmp_path / "ok")])  # a usable --out exports as before
    assert status == 0, capsys.readouterr().err[-2000:]
    assert merges and (tmp_path / "ok" / "model.safetensors").is_file()


def test_chunk_summaries_that_never_shrink_still_end_in_one_summary():
    """P7-F11: `summarize --fit chunk` with a model whose chunk summaries stay near its cap failed after 4 reduce
    rounds ("chunk summaries still over budget"), keeping nothing. The joined summaries are now fitted (aspects)
    to one input for the final summary, with a warning."""
    from _fake_openai import FakeOpenAI

    from filingsum.inference.endpoint import EndpointSummarizer

    long_answer = " ".join(f"Acme sells product line {i} to retailers for cash." for i in range(40))
    text = "\n\n".join(f"Acme sells product line {i} to retailers in region {i % 9} for cash and credit."
                       for i in range(400))
    with FakeOpenAI(respond=lambda body: long_answer) as server:
        client = EndpointSummarizer(server.base_url, "fake", tokenizer="tiny-random", max_summary_tokens=512,
                                    max_source_tokens=256, fit_strategy="chunk", max_retries=0, concurrency=2,
                                    max_chunks=1000)
        result = client.summarize_text(text, id="long")
        requests = server.requests
    assert result.error is None and result.summary, result.error
    assert result.chunks > 1 and requests > result.chunks  # mapped, reduced, then one final summary
