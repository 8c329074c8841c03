"""Fault injection, secrets and endpoints: API keys that must not leave (a named variable unset, a key with a
control character), endpoint URLs and serve hosts that cannot work, servers that answer 200 with HTML or
wrongly typed JSON, inputs and reports that are not regular files, and a stdout whose reader went away. Each
case asserts the exit status, the one line the user sees (never a traceback, never the key) and that nothing
was sent or read that should not have been. Real components: the CLI (in process, or a subprocess where it
could hang or must show its own stderr), real HTTP servers on 127.0.0.1 (and ::1), FIFOs, a character device
made with mknod under tmp_path. docs/reliability.md lists the cases.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from _fake_openai import completion
from _local_http import LocalHTTPServer, QuietHandler
from test_faults import ENV, REPO, assert_one_line_failure, data_config, observe, write_filings

from filingsum.cli import main
from filingsum.core.errors import UsageError

# The subprocesses run this checkout's code: the parent's PYTHONPATH (if any) after the repo's own entries.
ENV_HERE = {**ENV, "PYTHONPATH": os.pathsep.join(p for p in (ENV["PYTHONPATH"], os.environ.get("PYTHONPATH")) if p)}
KEY = "sk-test-4f9a2c7e1b"
FILING = "Item 1. Business\n\nAcme Corp makes widgets and sells them to retailers for cash. " * 20
HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"
WRONG_TYPES = {"id": "x", "choices": [{"index": 0, "message": {"content": 12345}}], "usage": {"prompt_tokens": "many"}}


class Endpoint(LocalHTTPServer):
    """``with Endpoint(mode) as server:`` a real HTTP server on 127.0.0.1 answering /v1/models and
    /v1/chat/completions: "ok" (OpenAI's answers), "html" (a proxy's 502 page, with status 200) or
    "wrongtypes" (JSON of other types). ``auth`` holds the Authorization header of every request."""

    def __init__(self, mode: str = "ok"):
        self.auth: list[str | None] = []
        self.posts = 0
        outer = self

        class Handler(QuietHandler):
            def do_GET(self):  # noqa: N802
                outer.auth.append(self.headers.get("Authorization"))
                if mode == "html":
                    return self.reply(200, HTML.encode(), content_type="text/html")
                self.reply(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})

            def do_POST(self):  # noqa: N802
                body = self.read_json()
                outer.auth.append(self.headers.get("Authorization"))
                outer.posts += 1
                if mode == "html":
                    return self.reply(200, HTML.encode(), content_type="text/html")
                if mode == "drip":  # headers at once, then a byte every 0.2 s: each read is quick, the whole is not
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    try:
                        for _ in range(600):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.2)
                    except OSError:
                        pass
                    return None
                if mode in ("huge", "escapes"):
                    text = ("Acme sells widgets. " * 600_000 if mode == "huge"
                            else "Acme sells \x1b[2J\x1b[31mwidgets\x1b]0;pwned\x07 to shops.")
                    return self.reply(200, completion(body, text))
                answer = WRONG_TYPES if mode == "wrongtypes" else completion(body, "Acme sells widgets to shops.")
                self.reply(200, answer)

        super().__init__(Handler)


def _inputs(tmp_path: Path, config_extra: str = "") -> tuple[Path, Path]:
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  name: tiny-random\n" + config_extra, encoding="utf-8")
    filing = tmp_path / "acme_10k_2020.txt"
    filing.write_text(FILING, encoding="utf-8")
    return config, filing


def _summarize(server: Endpoint, config: Path, *inputs: Path | str, extra: tuple[str, ...] = (),
               capsys=None) -> tuple[int, str]:
    status = main(["summarize", *map(str, inputs), "--config", str(config), "--endpoint", server.base_url,
                   "--model", "fake", "--guard", "off", "--max-retries", "0", *extra])
    return status, capsys.readouterr().err


def _cli(args: list[str], *, env: dict | None = None, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], env={**ENV_HERE, **(env or {})},
                          capture_output=True, text=True, timeout=timeout, cwd=REPO, **kwargs)


# --- 1. a named key variable that is unset never falls back to $OPENAI_API_KEY -------------------------------


@pytest.mark.parametrize("how", ["flag unset", "flag empty", "config unset"])
def test_a_named_key_variable_that_is_unset_is_a_usage_error_and_no_key_leaves(tmp_path, monkeypatch, capsys, how):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-meant-for-openai-only")
    monkeypatch.delenv("FILINGSUM_TEST_UNSET", raising=False)
    if how == "flag empty":
        monkeypatch.setenv("FILINGSUM_TEST_UNSET", "  ")
    config, filing = _inputs(tmp_path, "serve:\n  api_key_env: FILINGSUM_TEST_UNSET\n" if how.startswith("config")
                             else "")
    extra = () if how.startswith("config") else ("--api-key-env", "FILINGSUM_TEST_UNSET")
    with Endpoint() as server:
        status, err = _summarize(server, config, filing, extra=extra, capsys=capsys)
    observe(f"`summarize`: the key variable named ({how})", status, err, wrong=len(server.auth))
    line = assert_one_line_failure(status, err, 2, "$FILINGSUM_TEST_UNSET")
    assert ("is empty" if how == "flag empty" else "is not set") in line
    assert server.auth == [] and "sk-meant-for-openai-only" not in err  # nothing was sent, no key anywhere


def test_the_python_api_refuses_an_unset_serve_api_key_env_too(monkeypatch):
    from filingsum import Summarizer
    from filingsum.core.config import RunConfig

    monkeypatch.setenv("OPENAI_API_KEY", "sk-meant-for-openai-only")
    monkeypatch.delenv("FILINGSUM_TEST_UNSET", raising=False)
    config = RunConfig.model_validate({"model": {"name": "tiny-random"},
                                       "serve": {"api_key_env": "FILINGSUM_TEST_UNSET"}})
    unset = r"serve.api_key_env: \$FILINGSUM_TEST_UNSET is not set"
    with Endpoint() as server, pytest.raises(UsageError, match=unset):
        Summarizer.from_endpoint(server.base_url, "fake", config=config)
    assert server.auth == []


def test_without_a_named_variable_openai_api_key_is_still_the_key(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    config, filing = _inputs(tmp_path)
    with Endpoint() as server:
        status, err = _summarize(server, config, filing, capsys=capsys)
    assert status == 0, err
    assert set(server.auth) == {f"Bearer {KEY}"}


@pytest.mark.parametrize("how", ["flag", "config", "unset"])
def test_loadtest_sends_the_servers_key_and_refuses_an_unset_named_variable(tmp_path, monkeypatch, capsys, how):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-meant-for-openai-only")
    monkeypatch.setenv("FILINGSUM_TEST_KEY", KEY)
    monkeypatch.delenv("FILINGSUM_TEST_UNSET", raising=False)
    sample = tmp_path / "sample.txt"
    sample.write_text(FILING, encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  name: tiny-random\n" + ("serve:\n  api_key_env: FILINGSUM_TEST_KEY\n"
                                                        if how == "config" else ""), encoding="utf-8")
    extra = {"flag": ["--api-key-env", "FILINGSUM_TEST_KEY"], "config": [],
             "unset": ["--api-key-env", "FILINGSUM_TEST_UNSET"]}[how]
    with Endpoint() as server:
        status = main(["loadtest", "--config", str(config), "--endpoint", server.base_url, "--model", "fake",
                       "--input", str(sample), "--requests", "2", "--concurrency", "1", *extra])
    err = capsys.readouterr().err
    observe(f"`loadtest --api-key-env` ({how})", status, err)
    if how == "unset":
        assert_one_line_failure(status, err, 2, "--api-key-env", "$FILINGSUM_TEST_UNSET is not set")
        assert server.auth == []
    else:
        assert status == 0, err
        assert server.auth == [f"Bearer {KEY}"] * 2
    assert KEY not in err and "sk-meant-for-openai-only" not in err


# --- 2. a key no header can carry: stripped (whitespace) or refused, never printed --------------------------


def test_a_key_with_a_trailing_cr_is_stripped_with_a_warning_and_never_printed(tmp_path):
    config, filing = _inputs(tmp_path)
    with Endpoint() as server:
        proc = _cli(["summarize", str(filing), "--config", str(config), "--endpoint", server.base_url, "--model",
                     "fake", "--guard", "off", "--max-retries", "0", "--api-key-env", "FILINGSUM_TEST_KEY"],
                    env={"FILINGSUM_TEST_KEY": KEY + "\r\n"})
    observe("`summarize`: the API key ends in CR LF", proc.returncode, proc.stderr)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert set(server.auth) == {f"Bearer {KEY}"}
    assert "whitespace" in proc.stderr and "stripped" in proc.stderr and KEY not in proc.stderr + proc.stdout


@pytest.mark.parametrize("bad_key, kind", [(KEY[:6] + "\r" + KEY[6:], "a control character"),
                                           (KEY[:6] + "\x01" + KEY[6:], "a control character"),
                                           (KEY[:6] + "é" + KEY[6:], "a non-ASCII character")])
def test_a_key_with_a_control_or_non_ascii_character_is_refused_naming_the_variable_not_the_key(tmp_path, bad_key,
                                                                                                 kind):
    config, filing = _inputs(tmp_path)
    second = tmp_path / "borealis_10k_2020.txt"
    second.write_text(FILING.replace("Acme", "Borealis"), encoding="utf-8")
    out = tmp_path / "sums.jsonl"
    with Endpoint() as server:
        proc = _cli(["summarize", str(filing), str(second), "--out", str(out), "--config", str(config),
                     "--endpoint", server.base_url, "--model", "fake", "--guard", "off", "--max-retries", "0",
                     "--api-key-env", "FILINGSUM_TEST_KEY"], env={"FILINGSUM_TEST_KEY": bad_key})
    observe(f"`summarize`: the API key holds {kind}", proc.returncode, proc.stderr, wrong=len(server.auth))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "$FILINGSUM_TEST_KEY", kind)
    assert KEY[6:] not in proc.stderr + proc.stdout and server.auth == [] and not out.exists()


def test_bearer_tokens_and_key_query_values_are_redacted_wherever_errors_are_described():
    from filingsum.core.redact import redact_text
    from filingsum.inference.endpoint import describe_error

    header_error = ValueError(f"Illegal header value b'Bearer {KEY}\\r'")
    assert KEY not in describe_error(header_error)[1] and "Bearer ***" in describe_error(header_error)[1]
    text = redact_text(f"GET http://h:1/v1/models?api_key={KEY}&x=1 Authorization: Bearer {KEY}")
    assert KEY not in text and "api_key=***&x=1" in text


# --- 3. endpoint URLs checked up front (summarize and loadtest) ----------------------------------------------


BAD_ENDPOINTS = [
    ("http://127.0.0.1:18801/v1?api_key=SECRET-in-url", "query string"),
    ("http://[::1", "not a valid URL"),
    ("http://127.0.0.1:99999/v1", "not a valid URL"),
    ("http://127.0.0.1:0/v1", "port 0"),
    ("file:///tmp/v1", "file:// is not http"),
    ("127.0.0.1:8000/v1", "has no http:// or https:// in front"),
    ("localhost:8000/v1", "has no http:// or https:// in front"),
    ("", "is empty"),
    ("http:///v1", "names no host"),
]


@pytest.mark.parametrize("endpoint, needle", BAD_ENDPOINTS)
def test_summarize_refuses_an_unusable_endpoint_url_at_once(tmp_path, capsys, endpoint, needle):
    config, filing = _inputs(tmp_path)
    started = time.monotonic()
    status = main(["summarize", str(filing), "--config", str(config), "--endpoint", endpoint, "--model", "fake"])
    err = capsys.readouterr().err
    observe(f"`summarize --endpoint {endpoint!r}`", status, err)
    assert_one_line_failure(status, err, 2, "--endpoint", needle)
    assert "SECRET" not in err and time.monotonic() - started < 10  # no request, no retry


@pytest.mark.parametrize("endpoint, needle", BAD_ENDPOINTS)
def test_loadtest_refuses_an_unusable_endpoint_url_at_once(tmp_path, capsys, endpoint, needle):
    sample = tmp_path / "sample.txt"
    sample.write_text(FILING, encoding="utf-8")
    status = main(["loadtest", "--set", "model.name=tiny-random", "--endpoint", endpoint, "--model", "fake",
                   "--input", str(sample), "--requests", "1"])
    err = capsys.readouterr().err
    observe(f"`loadtest --endpoint {endpoint!r}`", status, err)
    assert_one_line_failure(status, err, 2, "--endpoint", needle)
    assert "SECRET" not in err


@pytest.mark.parametrize("endpoint, needle", BAD_ENDPOINTS[:4] + [("http://user:SECRET@127.0.0.1:99999/v1",
                                                                    "not a valid URL")])
def test_data_build_refuses_an_unusable_teacher_url_before_reading_any_filing(tmp_path, capsys, endpoint, needle):
    inputs = write_filings(tmp_path / "in", [0, 1])
    out = tmp_path / "dataset"
    config = data_config(tmp_path / "build.yaml", [inputs], out)
    data = yaml.safe_load(config.read_text())
    data["data"]["references"] = ["teacher", "extractive"]
    data["data"]["teacher"] = {"base_url": endpoint, "model": "fake"}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    status = main(["data", "build", "--config", str(config)])
    err = capsys.readouterr().err
    observe(f"`data build`: data.teacher.base_url {endpoint!r}", status, err)
    line = assert_one_line_failure(status, err, 2, "data.teacher.base_url", needle)
    assert "SECRET" not in err and "Value error" not in line
    assert not out.exists()  # stopped at config load: nothing built, nothing read


# --- 4. a server that answers 200 with HTML or wrongly typed JSON ---------------------------------------------


@pytest.mark.parametrize("mode, needle", [("html", "(got text/html: '<html><body><h1>502 Bad Gateway"),
                                          ("wrongtypes", "its message is content of type int")])
def test_an_endpoint_answering_html_or_wrong_types_is_one_clear_error_per_input(tmp_path, capsys, mode, needle):
    config, filing = _inputs(tmp_path)
    second = tmp_path / "borealis_10k_2020.txt"
    second.write_text(FILING.replace("Acme", "Borealis"), encoding="utf-8")
    out = tmp_path / "sums.jsonl"
    with Endpoint(mode) as server:
        status, err = _summarize(server, config, filing, second, extra=("--out", str(out)), capsys=capsys)
    observe(f"`summarize`: the endpoint answers 200 with {mode}", status, err)
    assert status == 1 and "Traceback" not in err and "AttributeError" not in err, err[-2000:]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2 and all(r["summary"] is None for r in records)
    assert all("the endpoint did not answer an OpenAI chat completion" in r["error"] and needle in r["error"]
               for r in records), records
    assert "0 summarized, 2 failed" in err


def test_without_model_an_html_model_list_is_a_usage_error(tmp_path, capsys):
    config, filing = _inputs(tmp_path)
    with Endpoint("html") as server:
        status = main(["summarize", str(filing), "--config", str(config), "--endpoint", server.base_url])
    err = capsys.readouterr().err
    observe("`summarize` without --model: /models answers HTML", status, err)
    assert_one_line_failure(status, err, 2, "did not answer an OpenAI model list (got text/html")


@pytest.mark.parametrize("mode", ["html", "wrongtypes"])
def test_data_build_falls_back_when_the_teacher_answers_html_or_wrong_types(tmp_path, capsys, mode):
    inputs = write_filings(tmp_path / "in", [0, 1, 2])
    out = tmp_path / "dataset"
    config = data_config(tmp_path / "build.yaml", [inputs], out)
    with Endpoint(mode) as server:
        data = yaml.safe_load(config.read_text())
        data["data"]["references"] = ["teacher", "extractive"]
        data["data"]["teacher"] = {"base_url": server.base_url, "model": "fake", "max_retries": 0}
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        status = main(["data", "build", "--config", str(config)])
    err = capsys.readouterr().err
    observe(f"`data build`: the teacher answers 200 with {mode}", status, err)
    assert status == 0 and "Traceback" not in err, err[-2000:]
    assert server.posts == 3
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert records and {r["reference_origin"] for r in records} == {"extractive"}


@pytest.mark.parametrize("command", ["summarize", "loadtest"])
def test_timeout_bounds_the_whole_request_against_a_trickling_server(tmp_path, capsys, command):
    """A server that sends a byte every 0.2 s defeats a per-read timeout: --timeout 2 used to wait forever (and
    SIGTERM then waited on the stuck request)."""
    config, filing = _inputs(tmp_path)
    started = time.monotonic()
    with Endpoint("drip") as server:
        if command == "summarize":
            status, err = _summarize(server, config, filing, extra=("--timeout", "2"), capsys=capsys)
        else:
            status = main(["loadtest", "--config", str(config), "--endpoint", server.base_url, "--model", "fake",
                           "--input", str(filing), "--requests", "2", "--concurrency", "2", "--timeout", "2",
                           "--deadline", "5"])
            err = capsys.readouterr().err
    took = time.monotonic() - started
    observe(f"`{command} --timeout 2` against a server trickling its answer", status, err, wrong=int(took > 60))
    assert status == 1 and "Traceback" not in err and took < 60, (status, took, err[-1500:])


@pytest.mark.parametrize("mode", ["huge", "escapes"])
def test_an_answer_too_long_or_with_terminal_codes_is_not_a_summary(tmp_path, capsys, mode):
    """A 12 MB answer used to be read whole and accepted (1.7 GB, minutes); escape sequences reached the
    terminal (clear screen, window title)."""
    config, filing = _inputs(tmp_path)
    out = tmp_path / "sums.jsonl"
    with Endpoint(mode) as server:
        status, err = _summarize(server, config, filing, extra=("--out", str(out)), capsys=capsys)
    record = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    observe(f"`summarize`: the endpoint answers {'12 MB' if mode == 'huge' else 'terminal escape codes'}", status,
            err, wrong=int(mode == "huge" and bool(record["summary"])))
    if mode == "huge":
        assert status == 1 and record["summary"] is None and record["error"], record["error"]
    else:
        assert status == 0 and record["summary"] == "Acme sells widgets to shops.", record["summary"]
        assert "\x1b" not in err


# --- 5. serve --host checked before anything starts ----------------------------------------------------------


@pytest.mark.parametrize("host, needle", [
    ("localhost:80", "a host takes no port; give --host localhost --port 80"),
    ("999.1.1.1", "is not an IP address or a host name"),
    ("not a host", "is not an IP address or a host name"),
    ("[::1]", "without brackets"),
    ("192.0.2.1", "is not an address of this machine"),  # TEST-NET-1: never this machine's
    ("", "is empty"),
])
def test_serve_refuses_a_host_it_cannot_bind_before_starting_anything(tmp_path, capsys, monkeypatch, host, needle):
    from filingsum.serving import launcher

    def started(*args, **kwargs):
        raise AssertionError("a server was prepared for an unusable host")

    monkeypatch.setattr(launcher, "prepare_server", started)
    log = tmp_path / "serve.log"
    status = main(["serve", "--set", "model.name=tiny-random", "--host", host, "--log-file", str(log)])
    err = capsys.readouterr().err
    observe(f"`serve --host {host!r}`", status, err)
    assert_one_line_failure(status, err, 2, "--host", needle)
    assert not log.exists()


def test_an_ipv6_host_is_bracketed_in_the_urls_and_the_server_is_found_ready(tmp_path):
    from filingsum.serving.ports import check_host
    from filingsum.serving.process import ServerProcess

    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
            port = probe.getsockname()[1]
    except OSError:
        pytest.skip("no IPv6 loopback here")
    check_host("::1")
    server_code = ("import http.server, socket, sys\n"
                   "class S(http.server.HTTPServer): address_family = socket.AF_INET6\n"
                   "class H(http.server.BaseHTTPRequestHandler):\n"
                   "    def do_GET(self):\n"
                   "        self.send_response(200); self.send_header('Content-Length', '2'); self.end_headers()\n"
                   "        self.wfile.write(b'ok')\n"
                   "S(('::1', int(sys.argv[1])), H).serve_forever()\n")
    server = ServerProcess(command=[sys.executable, "-c", server_code, str(port)], host="::1", port=port,
                           model_names=["m"], backend="transformers", log_path=tmp_path / "serve.log",
                           startup_timeout_s=60, grace_s=5)
    assert server.health_url == f"http://[::1]:{port}/health" and server.base_url == f"http://[::1]:{port}/v1"
    with server:
        assert server.ready_s is not None and server.is_running()
    assert not server.is_running()


# --- 6. loadtest --input: regular files within the size cap -------------------------------------------------


def _limit_memory() -> None:  # a reader of /dev/zero must die here, not take the machine with it
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))


def _special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero":
        try:
            os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # what /dev/zero is
        except PermissionError:
            pytest.skip("mknod needs root")
    else:
        path.mkdir()
    return path


@pytest.mark.parametrize("kind, needle", [("zero", "is a device, not a regular file"),
                                          ("fifo", "is a named pipe (FIFO), not a regular file"),
                                          ("dir", "is a directory, not a file")])
def test_loadtest_refuses_an_input_that_is_not_a_regular_file_without_reading_it(tmp_path, kind, needle):
    path = _special(tmp_path, kind)
    proc = _cli(["loadtest", "--set", "model.name=tiny-random", "--endpoint", "http://127.0.0.1:9/v1", "--model",
                 "fake", "--input", str(path), "--requests", "1"], timeout=60, preexec_fn=_limit_memory)
    observe(f"`loadtest --input` a {kind}", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, f"--input {path}", needle)


def test_loadtest_refuses_an_input_over_the_size_cap(tmp_path, capsys):
    big = tmp_path / "big.txt"
    big.write_text(FILING * 4, encoding="utf-8")
    status = main(["loadtest", "--set", "model.name=tiny-random", "--set", "data.max_file_mb=0.001", "--endpoint",
                   "http://127.0.0.1:9/v1", "--model", "fake", "--input", str(big), "--requests", "1"])
    err = capsys.readouterr().err
    assert_one_line_failure(status, err, 2, f"--input {big}", "MB limit")


# --- 7. eval compare: reports that are not regular files or not reports --------------------------------------


def _report(path: Path, aggregate: object) -> Path:
    path.write_text(json.dumps({"systems": {"tuned": {"aggregate": aggregate}}}), encoding="utf-8")
    return path


def test_eval_compare_refuses_a_fifo_at_once(tmp_path):
    a = _report(tmp_path / "a.json", {"rouge1": 0.3})
    fifo = _special(tmp_path, "fifo")
    proc = _cli(["eval", "compare", str(a), str(fifo)], timeout=60)
    observe("`eval compare A FIFO`", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(fifo), "named pipe (FIFO)")


@pytest.mark.parametrize("aggregate, needle", [("0.31", "systems.tuned.aggregate is a str"),
                                               ({"rouge1": "high"}, "systems.tuned.aggregate.rouge1 is 'high'"),
                                               ([0.3], "systems.tuned.aggregate is a list")])
def test_eval_compare_refuses_a_report_of_the_wrong_shape_in_one_line(tmp_path, capsys, aggregate, needle):
    a = _report(tmp_path / "a.json", {"rouge1": 0.3})
    b = _report(tmp_path / "b.json", aggregate)
    status = main(["eval", "compare", str(a), str(b)])
    err = capsys.readouterr().err
    observe(f"`eval compare A B`: B's aggregate is {aggregate!r}", status, err)
    assert_one_line_failure(status, err, 2, str(b), needle, "not a filingsum report.json")


def test_eval_compare_interrupted_does_not_promise_a_report():
    from filingsum.cli import build_parser
    from filingsum.cli.eval import interrupted

    message = interrupted(build_parser().parse_args(["eval", "compare", "a.json", "b.json"]))
    assert "report was written" not in message and "rerun" not in message


# --- 8. stdout closed by its reader (`| head -1`) ------------------------------------------------------------


def _with_reader_gone(args: list[str]) -> subprocess.CompletedProcess:
    """The CLI writing into a pipe whose reader has already gone (what `| head -1` leaves once it has its line)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, env=ENV_HERE, cwd=REPO, timeout=120)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("command", ["completion", "compare --markdown", "compare"])
def test_a_closed_stdout_ends_quietly_without_a_traceback(tmp_path, command):
    if command == "completion":
        args = ["completion", "bash"]
    else:
        a = _report(tmp_path / "a.json", {"rouge1": 0.3, "repetition": 0.1})
        b = _report(tmp_path / "b.json", {"rouge1": 0.2, "repetition": 0.1})
        args = ["eval", "compare", str(a), str(b), *command.split()[1:]]
    proc = _with_reader_gone(args)
    observe(f"`filingsum {' '.join(args[:2])} | head -1`", proc.returncode, proc.stderr)
    assert proc.returncode == 141, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr[-2000:]


def test_serve_with_its_key_variable_unset_stops_before_any_merge(tmp_path, capsys, monkeypatch):
    from filingsum.serving import launcher

    def merged(*args, **kwargs):
        raise AssertionError("an adapter was merged before the key was checked")

    monkeypatch.setattr(launcher, "merged_model_dir", merged)
    monkeypatch.delenv("FILINGSUM_TEST_UNSET", raising=False)
    status = main(["serve", "--set", "model.name=tiny-random", "--set", f"train.output_dir={tmp_path / 'run'}",
                   "--api-key-env", "FILINGSUM_TEST_UNSET", "--port", "8041"])
    err = capsys.readouterr().err
    observe("`serve --api-key-env VAR` with $VAR unset", status, err)
    assert_one_line_failure(status, err, 2, "$FILINGSUM_TEST_UNSET is not set")


def _echo_key(body: dict) -> tuple[int, dict, dict]:  # a gateway that quotes the key it refused
    return 401, {"error": {"message": f"invalid api key: {ECHOED_KEY}"}}, {}


ECHOED_KEY = "sk-ECHOEDKEY1234567890abcdef"


def test_a_key_the_server_echoes_back_is_never_printed_or_stored(tmp_path, capsys, monkeypatch):
    """A gateway's 401 body quoting the key it was sent reached the console, summarize's --out JSONL and, through
    the teacher's fallback warning, a built dataset's card, records, splits and Arrow files. (A teacher refusing
    chat requests now stops the build, exit 2, rather than fall back: its one line must not quote the key either.)"""
    from _fake_openai import FakeOpenAI

    monkeypatch.setenv("OPENAI_API_KEY", ECHOED_KEY)
    inputs = write_filings(tmp_path / "in", [0, 1])
    out = tmp_path / "dataset"
    config = data_config(tmp_path / "build.yaml", [inputs], out)
    with FakeOpenAI(respond=_echo_key) as server:
        status = main(["summarize", str(inputs), "--endpoint", server.base_url, "--model", "fake", "--tokenizer",
                       "tiny-random", "--max-retries", "0", "--out", str(tmp_path / "sums.jsonl")])
        err = capsys.readouterr().err
        data = yaml.safe_load(config.read_text())
        data["data"]["references"] = ["teacher", "extractive"]
        data["data"]["teacher"] = {"base_url": server.base_url, "model": "fake", "max_retries": 0,
                                   "api_key_env": "OPENAI_API_KEY"}
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        build_status = main(["data", "build", "--config", str(config)])
        err += capsys.readouterr().err
    leaked = [p for p in [tmp_path / "sums.jsonl", *out.rglob("*")] if p.is_file() and ECHOED_KEY.encode()
              in p.read_bytes()]
    observe("a server echoes the API key in its 401 body", status, err, wrong=len(leaked) + (ECHOED_KEY in err))
    assert status == 1 and build_status == 2, err[-2000:]
    assert "invalid api key: ***" in (tmp_path / "sums.jsonl").read_text()
    assert ECHOED_KEY not in err and not leaked, leaked


def _echo_authorization(body: dict, headers: dict | None = None) -> tuple[int, dict, dict]:
    return 401, {"error": {"message": f"invalid credentials: {headers.get('Authorization') if headers else None}"}}, {}


def test_url_credentials_the_server_echoes_as_a_basic_header_are_never_printed_or_stored(tmp_path, capsys):
    """Fresh probe of 2026-12-03 evening (F2): with `http://user:pw@host/v1` the HTTP client sends `Authorization:
    Basic base64(user:pw)`; a gateway quoting that header in its 401 body got the credential (one base64 -d from
    clear) onto the console and into --out. The Basic value is registered and masked like the password."""
    import base64

    from _fake_openai import FakeOpenAI

    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    encoded = base64.b64encode(b"alice:PWSECRET77").decode()
    with FakeOpenAI(respond=_echo_authorization) as server:
        url = server.base_url.replace("http://", "http://alice:PWSECRET77@")
        status = main(["summarize", str(filing), "--endpoint", url, "--model", "fake", "--tokenizer", "tiny-random",
                       "--max-retries", "0", "--out", str(tmp_path / "sums.jsonl")])
        err = capsys.readouterr().err
        seen = server.headers[-1].get("Authorization", "") if getattr(server, "headers", None) else ""
    stored = (tmp_path / "sums.jsonl").read_text()
    observe("a server echoes the Basic header of URL credentials in its 401 body", status, err,
            wrong=int(encoded in err) + int(encoded in stored))
    assert status == 1, err[-2000:]
    assert "invalid credentials: Basic ***" in stored, stored  # the echo happened, and was masked
    assert encoded not in err and encoded not in stored and "PWSECRET77" not in err + stored
    assert not seen or seen == f"Basic {encoded}"
