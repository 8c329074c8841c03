"""Faults found by the black-box probe of 2026-12-04 (its ids in brackets), each injected for real: the CLI in a
subprocess or the real functions, against real servers on 127.0.0.1 (tests/_fake_openai.py, and a raw socket
server here that trickles its headers), real files and real resource limits (RLIMIT_NOFILE)."""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_faults import ENV, REPO, assert_one_line_failure, observe

SAMPLE = REPO / "data" / "samples" / "crexendo_10k_2016_item1_prompt.txt"


# --- LT1 / LT2: loadtest's --deadline and --timeout are hard bounds; --concurrency within the fd limit ---------


class HeaderDrip:
    """A server on 127.0.0.1 that accepts every connection and answers one header byte every 0.2 s, forever: each
    read gets data within any per-read timeout, so only a whole-request bound ends the request."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(256)
        self.port = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._stop = threading.Event()
        self.connections = 0

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                for byte in iter(lambda: b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100000, None):
                    for i in range(len(byte)):
                        if self._stop.wait(0.2):
                            return
                        conn.sendall(byte[i:i + 1])
            except OSError:
                return

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def __enter__(self) -> HeaderDrip:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()


def _loadtest(endpoint: str, *extra: str, nofile: int | None = None, timeout: float = 120) -> tuple[
        subprocess.CompletedProcess, float]:
    def limit() -> None:
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "filingsum.cli", "loadtest", "--endpoint", endpoint, "--model",
                           "fake", "--input", str(SAMPLE), *extra], env=ENV, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, preexec_fn=limit)
    return proc, time.monotonic() - started


def test_loadtest_deadline_is_a_hard_bound_and_cancels_what_is_in_flight(tmp_path):
    """[LT1] --deadline 15 ran 110 s: the requests in flight were waited for. A server trickling its headers
    holds every request past any per-read timeout; at --deadline 3 they are cancelled and reported."""
    report = tmp_path / "lt.json"
    with HeaderDrip() as server:
        proc, took = _loadtest(server.base_url, "--requests", "40", "--concurrency", "8", "--timeout", "60",
                               "--deadline", "3", "--json", str(report))
    observe("`loadtest --deadline 3 --timeout 60`: every request stuck in flight at the deadline", proc.returncode,
            proc.stderr, wrong=int(took > 15))
    assert took < 15, (took, proc.stderr[-1500:])
    assert "Traceback" not in proc.stderr and proc.returncode == 1, proc.stderr[-1500:]
    summary = json.loads(report.read_text())
    assert summary["balanced"] and summary["sent"] == 8 and summary["not_sent"] == 32
    assert summary["timeouts"] == summary["cancelled_at_deadline"] == 8
    assert "8 of them cancelled at the --deadline" in proc.stdout


def test_loadtest_timeout_bounds_each_requests_latency(tmp_path):
    """[LT2] p99 latency was 18.8 s with --timeout 5. Each request stuck past --timeout 1 is a timeout at 1 s,
    and another request takes its place, so the run goes on at --concurrency."""
    from filingsum.serving.loadtest import run_load_test

    reports = []
    with HeaderDrip() as server:
        started = time.monotonic()
        # in a thread, so that a run that never ends fails the test instead of hanging it
        runner = threading.Thread(target=lambda: reports.append(run_load_test(
            server.base_url, "fake", ["x"], requests=6, concurrency=2, max_summary_tokens=8, request_timeout_s=1.0,
            deadline_s=600)), daemon=True)
        runner.start()
        runner.join(30)
        took = time.monotonic() - started
    observe("`loadtest --timeout 1`: requests stuck past it (headers trickled)", 1, "", wrong=int(not reports))
    assert reports, f"still running after {took:.0f} s"
    report = reports[0]
    assert report.balanced and report.timeouts == 6 and report.not_sent == 0, report.summary()
    assert all(r.latency_s is not None and r.latency_s <= 1.0 for r in report.records)
    assert took < 10, took  # three rounds of two, about a second each
    assert server.connections == 6


def test_loadtest_concurrency_past_the_open_file_limit_is_refused_before_any_request(tmp_path):
    """[LT1] --concurrency 100000 ran with 'Bad file descriptor' errors: past the open-file limit the run measures
    its own failures. Refused with exit 2, naming the limit, and nothing is sent."""
    from _fake_openai import FakeOpenAI

    with FakeOpenAI() as server:
        proc, _took = _loadtest(server.base_url, "--requests", "300", "--concurrency", "300", nofile=256)
        sent = server.requests
    observe("`loadtest --concurrency 300` with ulimit -n 256", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "--concurrency 300", "ulimit -n", "256")
    assert sent == 0


# --- CT_huge: an impossible inference contract is one line naming the file, for every reader ------------------

CONTRACT = {"contract_version": 1, "base_model": "tiny-random", "prompt_version": "x", "sections": ["item_1"],
            "max_source_tokens": 1024, "fit_strategy": "aspects", "max_summary_tokens": 64,
            "repetition_penalty": 1.0, "dtype": "float32"}
BAD_CONTRACTS = {
    "max_summary_tokens 1e9": ('{**C, "max_summary_tokens": 1e9}', "max_summary_tokens 1000000000"),
    "wrong types": ('{**C, "sections": 5, "max_source_tokens": "lots"}', "sections 5"),
    "invalid JSON": ("'{\"max_summary_tokens\": 64,'", "invalid JSON"),
}
FILING_TEXT = ("Item 1. Business\n\nAcme Widgets Inc. designs and sells industrial widgets to manufacturers in North "
               "America. The Company generates revenue from product sales and from annual service subscriptions.\n")


def _bad_contract_dir(folder: Path, case: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    expression, _needle = BAD_CONTRACTS[case]
    value = eval(expression, {"C": CONTRACT})  # noqa: S307 (the test's own table)
    (folder / "filingsum_contract.json").write_text(value if isinstance(value, str) else json.dumps(value))
    return folder / "filingsum_contract.json"


def _cli(args: list[str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], env=ENV, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


@pytest.mark.parametrize("case", list(BAD_CONTRACTS))
def test_summarize_against_a_served_dir_with_an_impossible_contract_is_one_line(tmp_path, case):
    """[CT_huge] max_summary_tokens 1e9 in the served dir's contract was a pydantic traceback from
    apply_contract."""
    from _fake_openai import FakeOpenAI

    served = tmp_path / "served"
    contract = _bad_contract_dir(served, case)
    filing = tmp_path / "acme_10k_2020.txt"
    filing.write_text(FILING_TEXT, encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  name: tiny-random\n", encoding="utf-8")
    with FakeOpenAI(model=str(served)) as server:  # the model's name is its dir, as vLLM serves a merged dir
        proc = _cli(["summarize", str(filing), "--config", str(config), "--endpoint", server.base_url])
        posts = server.requests
    observe(f"`summarize` of a served dir whose contract has {case}", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(contract), BAD_CONTRACTS[case][1], "retrain")
    assert posts == 0


def test_serve_of_a_run_whose_adapter_has_an_impossible_contract_is_one_line(tmp_path):
    """[CT_huge] serve reads the adapter's contract to set the server's cap: the same one line, before any
    merge, model load or server start."""
    adapter = tmp_path / "run" / "adapter"
    contract = _bad_contract_dir(adapter, "max_summary_tokens 1e9")
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "tiny-random",
                                                             "peft_type": "LORA"}))
    config = tmp_path / "c.yaml"
    config.write_text(f"model:\n  name: tiny-random\ntrain:\n  output_dir: {tmp_path / 'run'}\n"
                      "serve:\n  backend: transformers\n", encoding="utf-8")
    proc = _cli(["serve", "--config", str(config), "--log-file", str(tmp_path / "serve.log")])
    observe("`serve` of a run whose adapter's contract has max_summary_tokens 1e9", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(contract), "max_summary_tokens 1000000000")


@pytest.mark.parametrize("case", list(BAD_CONTRACTS))
def test_every_reader_of_a_contract_refuses_it_as_a_usage_error(tmp_path, case):
    """[CT_huge] the Python API (from_endpoint, local) and eval's systems (`config_with_contract`) read the same
    contract: a UsageError naming the file, never a ValidationError."""
    from _fake_openai import FakeOpenAI

    from filingsum.api import Summarizer
    from filingsum.core.config import RunConfig
    from filingsum.core.contract import config_with_contract
    from filingsum.core.errors import UsageError

    served = tmp_path / "served"
    contract = _bad_contract_dir(served, case)
    with FakeOpenAI(model=str(served)) as server, pytest.raises(UsageError, match="not a usable inference contract"
                                                                ) as raised:
        Summarizer.from_endpoint(server.base_url, config={"model": {"name": "tiny-random"}})
    assert str(contract) in str(raised.value)
    with pytest.raises(UsageError, match=BAD_CONTRACTS[case][1]):
        Summarizer.local(served, config={"model": {"name": "tiny-random"}})
    with pytest.raises(UsageError, match="not a usable inference contract"):
        config_with_contract(RunConfig(), served)  # eval's systems and serve's config


# --- DM5: demo's pre-flight loads and sections --filing before the first stage -------------------------------


@pytest.mark.parametrize("kind, content, needle", [
    ("binary", bytes(range(256)) * 64, "binary"),
    ("HTML soup", b"<html><script>var a = 1;</script><div></div></html>", "no extractable text"),
], ids=["binary", "html-soup"])
def test_demo_refuses_an_unusable_filing_before_the_first_stage(tmp_path, kind, content, needle):
    """[DM5] `demo --filing bin.txt` ran data, train and serve first, then exited 1 with 'ERROR: ingest: binary
    content' in demo_summary.md."""
    from _training_data import write_config

    filing = tmp_path / ("bin.txt" if kind == "binary" else "soup.html")
    filing.write_bytes(content)
    config = write_config(tmp_path / "demo.yaml", tmp_path / "ds", tmp_path / "run")
    started = time.monotonic()
    proc = _cli(["demo", "--config", str(config), "--filing", str(filing), "--skip-eval", "--set",
                 "serve.backend=transformers"], timeout=120)
    observe(f"`demo --filing` a {kind} file", proc.returncode, proc.stderr, lost=0,
            wrong=int((tmp_path / "run").exists()))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "--filing", str(filing), needle)
    assert not (tmp_path / "ds").exists() and not (tmp_path / "run").exists()  # no stage ran
    assert time.monotonic() - started < 60


def test_demo_filing_check_passes_a_usable_filing(tmp_path):
    from filingsum.cli.demo import check_filing
    from filingsum.core.config import RunConfig

    filing = tmp_path / "acme_10k_2020.txt"
    filing.write_text(FILING_TEXT, encoding="utf-8")
    for run_adapter in (False, True):
        check_filing(RunConfig(), str(filing), run_adapter=run_adapter)  # no exception: it has Item 1


# --- SV1w / SV1n: a server that wants an API key says so, not "is the server running?" ---------------------


class KeyedServer:
    """A server on 127.0.0.1 whose /v1/models answers only the key ``key`` (``status`` otherwise: 401 as vLLM's
    --api-key does, or 403 as a proxy may); its refusal body echoes the key it got, as some servers do."""

    def __init__(self, key: str, status: int = 401) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                got = self.headers.get("Authorization", "")
                if got == f"Bearer {key}":
                    code, body = 200, {"object": "list", "data": [{"id": "fake", "object": "model"}]}
                else:
                    code, body = status, {"error": {"message": f"bad key {got!r}", "type": "invalid_request_error"}}
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> KeyedServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.mark.parametrize("key, status, needle", [
    (None, 401, "needs an API key (HTTP 401) and none was sent"),
    ("WRONG-KEY-xyz", 401, "refused the API key (HTTP 401)"),
    ("WRONG-KEY-xyz", 403, "refused the API key (HTTP 403)"),
], ids=["no-key", "wrong-key", "forbidden"])
def test_summarize_without_model_against_a_keyed_server_names_the_key(tmp_path, key, status, needle):
    """[SV1n, SV1w] without --model, a 401 from /v1/models said 'is the server running? pass --model NAME'."""
    filing = tmp_path / "acme_10k_2020.txt"
    filing.write_text(FILING_TEXT, encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  name: tiny-random\n", encoding="utf-8")
    env = {k: v for k, v in ENV.items() if k not in ("OPENAI_API_KEY", "MYK")}
    args = ["summarize", str(filing), "--config", str(config), "--max-retries", "0"]
    if key is not None:
        env["MYK"] = key
        args += ["--api-key-env", "MYK"]
    with KeyedServer("RIGHT-KEY-abc", status) as server:
        proc = subprocess.run([sys.executable, "-m", "filingsum.cli", *args, "--endpoint", server.base_url],
                              env=env, capture_output=True, text=True, timeout=120, cwd=REPO)
    observe(f"`summarize` without --model: the server answers {status} ({'a wrong' if key else 'no'} key)",
            proc.returncode, proc.stderr)
    line = assert_one_line_failure(proc.returncode, proc.stderr, 2, needle, "--api-key-env", "serve.api_key_env")
    assert "is the server running" not in line
    assert "WRONG-KEY" not in proc.stderr and "RIGHT-KEY" not in proc.stderr


def test_the_right_key_reads_the_model_list():
    from filingsum.core.errors import UsageError
    from filingsum.inference.endpoint import served_models

    with KeyedServer("RIGHT-KEY-abc") as server:
        assert served_models(server.base_url, "RIGHT-KEY-abc", max_retries=0) == {"fake": None}
        with pytest.raises(UsageError, match="refused the API key"):
            served_models(server.base_url, "nope", max_retries=0)


# --- F29 (previous probe): four messages that pointed the wrong way ------------------------------------------


def test_a_section_made_by_set_is_blamed_on_set_not_on_the_file(tmp_path):
    """[F29 S26] `--set data.teacher.concurrency=0` makes data.teacher, whose base_url and model are then missing:
    that was blamed on the file (`tiny.yaml: data.teacher.base_url: Field required`), which has no teacher."""
    config = tmp_path / "tiny.yaml"
    config.write_text("model:\n  name: tiny-random\n", encoding="utf-8")
    proc = _cli(["data", "build", "--config", str(config), "--set", "data.teacher.concurrency=0"], timeout=60)
    observe("`--set data.teacher.concurrency=0` over a config without data.teacher", proc.returncode, proc.stderr)
    line = assert_one_line_failure(proc.returncode, proc.stderr, 2, "--set: data.teacher.base_url: Field required")
    assert "tiny.yaml" not in line
    # a teacher block the file does have keeps the blame on the file
    config.write_text("model:\n  name: tiny-random\ndata:\n  teacher:\n    model: x\n", encoding="utf-8")
    proc = _cli(["data", "build", "--config", str(config), "--set", "data.teacher.concurrency=2"], timeout=60)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "tiny.yaml: data.teacher.base_url: Field required")


def test_serve_merged_does_not_name_the_runs_adapter(tmp_path):
    """[F29 SV03] with --merged the log said `serving the run's adapter RUN/adapter`, which it did not serve.
    (Fixed in 8474dd7 before this probe's report reached us; kept as a regression test.)"""
    adapter = tmp_path / "run" / "adapter"
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "tiny-random"}))
    config = tmp_path / "s.yaml"
    config.write_text(f"run_name: tiny\nmodel:\n  name: tiny-random\ntrain:\n  output_dir: {tmp_path / 'run'}\n"
                      "serve:\n  backend: transformers\n", encoding="utf-8")
    proc = _cli(["serve", "--config", str(config), "--merged", str(tmp_path / "nonexistent"), "--log-file",
                 str(tmp_path / "serve.log")], timeout=60)
    observe("`serve --merged MISSING` in a run dir with an adapter", proc.returncode, proc.stderr,
            wrong=int("serving the run's adapter" in proc.stderr))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "nonexistent")
    assert "serving the run's adapter" not in proc.stderr and str(adapter) not in proc.stderr


@pytest.fixture
def full_run(tmp_path) -> Path:
    """A run dir as train.method: full leaves it: model/ with config.json, no adapter/."""
    run = tmp_path / "run_full"
    (run / "model").mkdir(parents=True)
    (run / "model" / "config.json").write_text("{}")
    return run


def test_export_of_a_full_run_does_not_say_train_first(tmp_path, full_run):
    """[F29 V20] `export RUN` of a train.method: full run said 'export a run dir after `filingsum train`'."""
    proc = _cli(["export", str(full_run), "--out", str(tmp_path / "exp")], timeout=60)
    observe("`export` of a train.method: full run", proc.returncode, proc.stderr)
    line = assert_one_line_failure(proc.returncode, proc.stderr, 2, "train.method: full", str(full_run / "model"),
                                   "--merged")
    assert "after `filingsum train`" not in line and not (tmp_path / "exp").exists()


def test_eval_tuned_of_a_full_run_does_not_say_train_first(tmp_path, full_run):
    """[F29 E10] eval's tuned system of a train.method: full run said 'train first or set eval.adapter'."""
    from filingsum.core.config import RunConfig
    from filingsum.core.errors import UsageError
    from filingsum.inference.factory import tuned_adapter

    config = RunConfig.model_validate({"model": {"name": "tiny-random"}, "train": {"output_dir": str(full_run)}})
    with pytest.raises(UsageError) as raised:
        tuned_adapter(config)
    message = str(raised.value)
    assert "train.method: full" in message and f"model.name={full_run / 'model'}" in message, message
    assert "train first" not in message
    with pytest.raises(UsageError, match="train first"):  # a run dir with nothing in it still says so
        tuned_adapter(config.model_copy(update={"train": config.train.model_copy(
            update={"output_dir": str(tmp_path / "empty")})}))


def test_preview_of_an_id_in_another_split_names_that_split(tmp_path):
    """[F29 PV06] `data preview --id ID` of a test record said `no record with id ... (did you mean <another>?)`."""
    from _training_data import make_record, write_config, write_dataset

    from filingsum.core.io import atomic_write_jsonl

    data = write_dataset(tmp_path / "ds", n_train=2)
    test_row = make_record(0, "fusion_10k_2016_item1_prompt.txt", 900, "Fusion sells cloud services.", "test")
    atomic_write_jsonl(data / "test.jsonl", [test_row])
    config = write_config(tmp_path / "c.yaml", data, tmp_path / "run")
    proc = _cli(["data", "preview", "--config", str(config), "--id", test_row["id"]], timeout=120)
    observe("`data preview --id` of a record in the test split", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, test_row["id"], "it is in the test split",
                            "--split test")
    ok = _cli(["data", "preview", "--config", str(config), "--id", test_row["id"], "--split", "test"], timeout=120)
    assert ok.returncode == 0 and test_row["id"] in ok.stdout, ok.stderr[-1500:]
