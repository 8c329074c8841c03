"""Serving secrets (issues 20.6, 22.4): the API key reaches vLLM through its environment only, server logs are
0600, a server open beyond loopback is warned about and its endpoint printed as bound, URL credentials are
masked wherever printed or stored, and `filingsum summarize` sends the key serve.api_key_env names."""

from __future__ import annotations

import json
import logging
import stat
import sys
import textwrap
from pathlib import Path

import psutil
import pytest
from _local_http import LocalHTTPServer, QuietHandler

from filingsum.core.config import RunConfig, ServeConfig, TeacherConfig
from filingsum.core.errors import UsageError
from filingsum.core.redact import RedactingFilter, redact_argv, redact_text, redact_url
from filingsum.serving import launcher
from filingsum.serving.launcher import (
    API_KEY_VAR,
    ServerProcess,
    build_vllm_command,
    exposure_warning,
    free_port,
    vllm_api_key_env,
)

KEY = "sk-test-0123456789abcdef"

# A stand-in for vLLM's server with its API-key middleware: /health open, /v1/* 401 without the bearer key
# it reads from VLLM_API_KEY (vllm/entrypoints/serve/middleware). It records its own argv and environment.
STAND_IN = textwrap.dedent("""
    import json, os, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer
    key = os.environ.get("VLLM_API_KEY")
    print("argv:", " ".join(sys.argv), flush=True)
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass
        def do_GET(self):
            if self.path.startswith("/v1") and key and self.headers.get("Authorization") != "Bearer " + key:
                code, body = 401, {"error": "Unauthorized"}
            elif self.path.startswith("/v1/models"):
                code, body = 200, {"data": [{"id": "tiny"}]}
            else:
                code, body = 200, {}
            data = json.dumps(body).encode()
            self.send_response(code); self.send_header("Content-Length", str(len(data))); self.end_headers()
            self.wfile.write(data)
    HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
""")


def _stand_in(tmp_path: Path, host: str, port: int, env: dict[str, str]) -> ServerProcess:
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    return ServerProcess(command=[sys.executable, str(script), host, str(port)], host=host, port=port,
                         model_names=["tiny"], backend="vllm", log_path=tmp_path / "logs" / "serve.log",
                         startup_timeout_s=30, env=env)


def test_the_key_goes_to_vllm_through_its_environment_never_its_argv_or_log(tmp_path):
    serve = ServeConfig(api_key_env="FILINGSUM_TEST_KEY")
    env = vllm_api_key_env(serve, {"FILINGSUM_TEST_KEY": KEY})
    assert env == {API_KEY_VAR: KEY}
    command = build_vllm_command(serve, "/m", {}, device="cpu", max_summary_tokens=64)
    assert KEY not in " ".join(command) and "--api-key" not in command

    import httpx

    port = free_port()
    with _stand_in(tmp_path, "127.0.0.1", port, env) as server:  # ready: /health, and /v1/models with the key
        assert server.keyed and KEY not in repr(server)
        child = psutil.Process(server.process.pid)
        assert KEY not in " ".join(child.cmdline())
        assert child.environ().get(API_KEY_VAR) == KEY
        assert httpx.get(f"{server.base_url}/models").status_code == 401
        assert httpx.get(f"{server.base_url}/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
        assert httpx.get(server.health_url).status_code == 200
    log_text = server.log_path.read_text()
    assert "argv:" in log_text and KEY not in log_text
    assert stat.S_IMODE(server.log_path.stat().st_mode) == 0o600


def test_a_configured_key_variable_that_is_unset_refuses_to_start_open():
    with pytest.raises(UsageError, match=r"\$FILINGSUM_TEST_KEY is not set .*export FILINGSUM_TEST_KEY="):
        vllm_api_key_env(ServeConfig(api_key_env="FILINGSUM_TEST_KEY"), {})
    assert vllm_api_key_env(ServeConfig(), {"VLLM_API_KEY": "x"}) == {}  # not configured: nothing added


def test_server_log_is_0600_even_when_an_older_log_was_wider(tmp_path):
    log_path = tmp_path / "logs" / "serve.log"
    log_path.parent.mkdir()
    log_path.write_text("old run\n")
    log_path.chmod(0o644)
    server = ServerProcess(command=[sys.executable, "-c", "pass", "--api-key", KEY], host="127.0.0.1",
                           port=free_port(), model_names=["x"], backend="vllm", log_path=log_path)
    server.start()
    server.process.wait(30)
    server.stop()
    assert stat.S_IMODE(log_path.stat().st_mode) == 0o600
    text = log_path.read_text()
    assert text.startswith("old run") and "--api-key ***" in text and KEY not in text


def test_open_host_without_a_key_is_warned_about_and_the_endpoint_printed_as_bound(tmp_path, monkeypatch, capsys):
    assert exposure_warning(ServeConfig(host="127.0.0.1"), keyed=False) is None
    assert exposure_warning(ServeConfig(host="0.0.0.0"), keyed=True) is None
    assert "WITHOUT AN API KEY" in exposure_warning(ServeConfig(host="0.0.0.0", port=8123), keyed=False)

    port = free_port()
    config = RunConfig.model_validate({"serve": {"host": "0.0.0.0", "port": port},
                                       "train": {"output_dir": str(tmp_path / "run")}})
    # The stand-in exits after it is ready, so serve_forever returns (1: the server died) instead of waiting.
    script = tmp_path / "brief.py"
    script.write_text(STAND_IN.replace("HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()",
                                       "import threading; s = HTTPServer((sys.argv[1], int(sys.argv[2])), H)\n"
                                       "threading.Timer(4, s.shutdown).start(); s.serve_forever()"))
    server = ServerProcess(command=[sys.executable, str(script), "0.0.0.0", str(port)], host="0.0.0.0", port=port,
                           model_names=["tiny"], backend="vllm", log_path=tmp_path / "serve.log", startup_timeout_s=30)
    monkeypatch.setattr(launcher, "prepare_server", lambda *a, **k: server)
    from filingsum.cli.serve import serve_forever

    assert serve_forever(config) == 1
    captured = capsys.readouterr()
    assert f"endpoint: http://0.0.0.0:{port}/v1 (bound to 0.0.0.0; from this machine: http://127.0.0.1:{port}/v1)" \
        in captured.out
    assert "WARNING: SERVING ON 0.0.0.0" in captured.err


def test_redaction_masks_url_credentials_and_key_flags():
    assert redact_url("http://user:pw@10.0.0.5:8000/v1") == "http://***@10.0.0.5:8000/v1"
    assert redact_url("http://10.0.0.5:8000/v1") == "http://10.0.0.5:8000/v1"
    assert redact_text(f"GET https://tok@h/x and --api-key={KEY}") == "GET https://***@h/x and --api-key=***"
    assert redact_argv(["--api-key", KEY, "--host", "h"]) == ["--api-key", "***", "--host", "h"]

    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: POST %s", ("http://u:pw@h/v1",), None)
    assert RedactingFilter().filter(record) and record.getMessage() == "HTTP Request: POST http://***@h/v1"


def test_teacher_credentials_stay_out_of_the_dataset_card_and_errors(monkeypatch):
    from filingsum.dataset.card import card_config, render_card_markdown
    from filingsum.dataset.teacher import resolve_api_key

    url = "http://alice:hunter2@teacher.example.com:8000/v1"
    config = RunConfig.model_validate({"data": {"teacher": {"base_url": url, "model": "t"}}})
    recorded = card_config(config)
    assert recorded["data"]["teacher"]["base_url"] == "http://***@teacher.example.com:8000/v1"
    assert config.data.teacher.base_url == url  # the run itself still uses the real URL
    card = {"records": 0, "inputs": 0, "skipped_files": [], "drops": [], "splits": {}, "companies": {},
            "empty_splits": [], "token_lengths": {}, "kept_ratio": {"count": 0}, "reference_origins": {},
            "warnings": [], "record_warnings": [], "config": recorded}
    card["splits"] = {s: 0 for s in ("train", "validation", "test")}
    card["companies"] = {s: [] for s in ("train", "validation", "test")}
    rendered = render_card_markdown(card) + json.dumps(recorded)
    assert "hunter2" not in rendered and "alice" not in rendered
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(Exception) as error:
        resolve_api_key(TeacherConfig(base_url=url, model="t"))
    assert "hunter2" not in str(error.value) and "***@teacher.example.com" in str(error.value)


def test_cli_errors_and_log_lines_are_printed_without_credentials(tmp_path, capsys):
    from filingsum.cli import main

    config = tmp_path / "c.yaml"
    # A config error echoes the value it rejects: a URL with credentials where a number belongs.
    config.write_text("data:\n  teacher:\n    base_url: http://alice:hunter2@teacher.example.com/v1\n    model: t\n"
                      "    concurrency: http://alice:hunter2@teacher.example.com/v1\n")
    assert main(["data", "build", "--config", str(config), "--input", str(tmp_path), "--out",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "data.teacher.concurrency" in err and "http://***@teacher.example.com/v1" in err and "hunter2" not in err


class _KeyRecorder(QuietHandler):
    seen: list[str | None] = []

    def _send(self, body: dict) -> None:
        self.seen.append(self.headers.get("Authorization"))
        self.reply(200, body)

    def do_GET(self):  # noqa: N802
        self._send({"object": "list", "data": [{"id": "tiny", "object": "model", "created": 0, "owned_by": "x"}]})

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send({"id": "x", "object": "chat.completion", "created": 0, "model": "tiny",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": "Acme sells widgets."}}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}})


def test_summarize_sends_the_key_that_serve_api_key_env_names(tmp_path, monkeypatch, capsys):
    from filingsum.cli import main

    monkeypatch.setenv("FILINGSUM_TEST_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-the-wrong-one")
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  name: tiny-random\nserve:\n  api_key_env: FILINGSUM_TEST_KEY\n")
    filing = tmp_path / "acme.txt"
    filing.write_text("Item 1. Business\n\nAcme Corp makes widgets and sells them to retailers for cash. " * 20)
    _KeyRecorder.seen.clear()
    with LocalHTTPServer(_KeyRecorder) as server:
        status = main(["summarize", str(filing), "--config", str(config), "--endpoint", server.base_url, "--model",
                       "tiny", "--guard", "off"])
    assert status == 0, capsys.readouterr().err
    assert _KeyRecorder.seen and set(_KeyRecorder.seen) == {f"Bearer {KEY}"}


def test_worked_examples_in_the_docstrings_hold():
    import doctest

    from filingsum.core import redact
    from filingsum.inference import export

    assert doctest.testmod(redact).failed == 0 and doctest.testmod(export).failed == 0


def test_prepare_server_puts_the_key_in_the_childs_environment_and_warns_on_an_open_host(tmp_path, monkeypatch,
                                                                                        caplog):
    from filingsum.serving.engine import VllmEngine

    monkeypatch.setattr(launcher, "choose_engine", lambda serve: VllmEngine("/engine/bin/python", "0.32.0", "cpu", "t"))
    monkeypatch.setenv("FILINGSUM_TEST_KEY", KEY)

    def config(**serve):
        return RunConfig.model_validate({"model": {"name": "tiny-random"}, "train": {"output_dir": str(tmp_path)},
                                         "serve": {"port": free_port(), **serve}})

    keyed = launcher.prepare_server(config(host="0.0.0.0", api_key_env="FILINGSUM_TEST_KEY"), adapters={})
    assert keyed.env[API_KEY_VAR] == KEY and KEY not in " ".join(keyed.command) and keyed.keyed
    assert "WITHOUT AN API KEY" not in caplog.text
    with caplog.at_level(logging.WARNING):
        open_server = launcher.prepare_server(config(host="0.0.0.0"), adapters={})
    assert API_KEY_VAR not in open_server.env and "SERVING ON 0.0.0.0" in caplog.text
    with pytest.raises(UsageError, match="FILINGSUM_MISSING_KEY"):
        launcher.prepare_server(config(api_key_env="FILINGSUM_MISSING_KEY"), adapters={})


def test_every_url_credential_of_a_config_stays_out_of_the_card_the_run_dir_and_the_report(tmp_path):
    """Not only the teacher's: eval.endpoint's password too, in the dataset card, a run's config.resolved.yaml
    and an eval report (fresh probe of 2026-12-03 evening, S01/S02)."""
    from filingsum.dataset.card import card_config
    from filingsum.eval.report_model import Report
    from filingsum.training.outputs import write_run_inputs

    config = RunConfig.model_validate({
        "data": {"teacher": {"base_url": "http://alice:PWSECRET77@teacher.example.com/v1", "model": "t"}},
        "eval": {"endpoint": "http://bob:EPSECRET88@10.0.0.5:8000/v1?api_key=QKEY123456"},
    })
    write_run_inputs(config, tmp_path, {"records": 0})
    report = Report({}, {"endpoint": config.eval.endpoint}).to_dict()
    stored = [json.dumps(card_config(config)), (tmp_path / "config.resolved.yaml").read_text(), json.dumps(report)]
    for text in stored:
        assert not any(s in text for s in ("PWSECRET77", "EPSECRET88", "QKEY123456", "alice", "bob")), text
    assert "http://***@10.0.0.5:8000/v1" in stored[1]  # masked, not dropped: the run still says where it went
    assert config.eval.endpoint.startswith("http://bob:EPSECRET88@")  # the run itself uses the real URL
