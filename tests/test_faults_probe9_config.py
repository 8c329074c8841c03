"""The ninth probe's settings faults (docs/reliability.md, "Ninth probe"): a teacher temperature past 0..2 and a
teacher that rejects every request with one 4xx (P9-F8), a repeated --config (P9-F11), the Python API's wording of
its model argument (P9-F15), the default API key sent to plain-http hosts (P9-F12), a hub id the Hub cannot give
(P9-F14), an instruction not counted against the context (P9-F10).

Real components throughout: HTTP servers on 127.0.0.1 (tests/_fake_openai.py), the real CLI (in-process `main`),
real YAML files and filings."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from _fake_openai import FakeOpenAI
from test_faults import REPO, assert_one_line_failure, data_config, free_port, observe, write_filings

from filingsum.cli import build_parser, main

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


# --- P9-F11: --config given twice ----------------------------------------------------------------------------------

# every command that takes --config, with the other arguments it needs (no server listens on port 9)
CONFIG_COMMANDS = {
    ("data", "build"): [], ("data", "merge"): ["shard1"], ("data", "preview"): [], ("train",): [], ("eval",): [],
    ("serve",): [], ("demo",): [],
    ("loadtest",): ["--endpoint", "http://127.0.0.1:9/v1", "--model", "m"],
    ("summarize",): ["filing.txt", "--endpoint", "http://127.0.0.1:9/v1"],
}


def _commands_with_config(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found = {path} if any("--config" in a.option_strings for a in parser._actions) else set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= _commands_with_config(sub, (*path, name))
    return found


def test_the_commands_list_is_every_command_that_takes_config():
    assert _commands_with_config(build_parser()) == set(CONFIG_COMMANDS)


@pytest.mark.parametrize("command", sorted(CONFIG_COMMANDS), ids=" ".join)
def test_a_second_config_is_a_usage_error_not_a_silent_drop(tmp_path, capsys, monkeypatch, command):
    """P9-F11: `--config A --config B` ran on B alone (A's references, budgets and split dropped), exit 0. Now
    exit 2 with one line before any work, for every command that takes --config."""
    monkeypatch.chdir(tmp_path)
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("model: {max_source_tokens: 1024}\ndata: {references: [extractive], out_dir: ds_a}\n")
    second.write_text("data: {out_dir: ds_b}\ntrain: {output_dir: run_b}\n")
    before = sorted(tmp_path.iterdir())
    code = main([*command, "--config", str(first), "-c", str(second), *CONFIG_COMMANDS[command]])
    err = capsys.readouterr().err
    observe(f"`{' '.join(command)} --config A --config B`", code, err, wrong=int(code != 2))
    assert_one_line_failure(code, err, 2, "--config is given 2 times", str(first), str(second),
                            "give one --config; use --set KEY=VALUE for overrides")
    assert sorted(tmp_path.iterdir()) == before  # nothing written, nothing built


def test_one_config_with_set_overrides_still_works(tmp_path):
    from filingsum.cli.common import load_run_config

    config = tmp_path / "a.yaml"
    config.write_text("data: {out_dir: ds_a}\n")
    args = build_parser().parse_args(["data", "build", "--config", str(config), "--set", "data.out_dir=ds_c"])
    assert load_run_config(args, check_context=False).data.out_dir == "ds_c"


# --- P9-F15: the Python API speaks of model=, not of --model or paths --------------------------------------------


def test_the_api_names_its_model_argument_and_checks_its_type(tmp_path, capsys):
    """P9-F15: `Summarizer.from_endpoint(url)` with /models unreadable said "--model not given ... pass --model
    NAME", and `model=123` raised "expected str, bytes or os.PathLike object, not int". Now the API's words, and
    the CLI keeps its flag's."""
    from filingsum import Summarizer
    from filingsum.core.errors import UsageError

    dead = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(UsageError) as caught:
        Summarizer.from_endpoint(dead, timeout_s=5, max_retries=0)
    message = str(caught.value)
    assert "model not given (model=None)" in message and "pass model='NAME'" in message, message
    assert "--model" not in message, message
    with FakeOpenAI(model="served-x") as server:
        with pytest.raises(TypeError, match=r"^model must be a str \(the served model name\), not int$"):
            Summarizer.from_endpoint(server.base_url, model=123)  # type: ignore[arg-type]
        assert server.requests == 0
    filing = tmp_path / "acme_10k_2020.txt"
    filing.write_text("Item 1. Business\n\nAcme sells widgets to retailers.\n", encoding="utf-8")
    code = main(["summarize", str(filing), "--endpoint", dead, "--timeout", "5", "--max-retries", "0"])
    assert_one_line_failure(code, capsys.readouterr().err, 2, "--model not given", "pass --model NAME")


# --- P9-F12: $OPENAI_API_KEY by default only to https or this machine ---------------------------------------------

OPENAI_KEY = "sk-proj-p9-REALOPENAIKEY"


def _outward_address() -> str:
    """An IPv4 address of this machine that is not a loopback one (a UDP "connect" sends nothing; it only picks the
    address the route would use): a server bound there is a plain-http host that is not 127.0.0.1 to a client."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never reached
            address = probe.getsockname()[0]
        except OSError:
            address = ""
    if not address or address.startswith("127.") or address == "0.0.0.0":
        pytest.skip("this machine has no IPv4 address besides loopback")
    return address


def _bearers(server: FakeOpenAI) -> set[str | None]:
    """The Authorization header of every chat request the server got (None: none sent)."""
    return {next((v for k, v in h.items() if k.lower() == "authorization"), None) for h in server.headers}


def test_the_default_key_goes_only_to_https_or_this_machine(tmp_path, capsys, caplog, monkeypatch):
    """P9-F12: with no --api-key-env and no serve.api_key_env, `summarize` sent $OPENAI_API_KEY as a Bearer token to
    any endpoint, a plain-http one on another host included. Now such an endpoint gets no key, with one warning
    line saying how to send it; naming the variable sends it; a loopback endpoint still gets it."""
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    filing = tmp_path / "acme_10k_2020.txt"
    filing.write_text("Item 1. Business\n\nAcme sells widgets to retailers through dealers for cash.\n")
    with FakeOpenAI(host=_outward_address()) as remote:
        assert main(["summarize", str(filing), "--endpoint", remote.base_url]) == 0
        err = capsys.readouterr().err
        observe("`summarize --endpoint http://<not loopback>` with $OPENAI_API_KEY set", 0, err,
                wrong=int(f"Bearer {OPENAI_KEY}" in _bearers(remote)))
        assert remote.requests and f"Bearer {OPENAI_KEY}" not in _bearers(remote), _bearers(remote)
        warned = [r.getMessage() for r in caplog.records if "is set but not sent to" in r.getMessage()]
        assert len(warned) == 1 and remote.base_url in warned[0] and "--api-key-env OPENAI_API_KEY" in warned[0]
        assert OPENAI_KEY not in caplog.text + err
        posts = remote.requests
        assert main(["summarize", str(filing), "--endpoint", remote.base_url, "--api-key-env", "OPENAI_API_KEY"]) == 0
        assert _bearers(remote) >= {f"Bearer {OPENAI_KEY}"} and remote.requests > posts  # named: sent
    with FakeOpenAI() as local:
        assert main(["summarize", str(filing), "--endpoint", local.base_url]) == 0
        assert _bearers(local) == {f"Bearer {OPENAI_KEY}"}  # this machine: as before


def test_the_api_and_the_teacher_keep_the_default_key_from_plain_http_hosts(tmp_path, monkeypatch):
    """The Python API follows `summarize` (no key unless passed); the data-build teacher, which needs a key for a
    host that is not local, refuses the default one there (exit 2) unless data.teacher.api_key_env names it."""
    from filingsum import Summarizer
    from filingsum.core.config import TeacherConfig
    from filingsum.core.errors import UsageError
    from filingsum.dataset.teacher import resolve_api_key

    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    with FakeOpenAI(host=_outward_address()) as remote:
        Summarizer.from_endpoint(remote.base_url, model="fake").summarize_text("Acme sells widgets to retailers.")
        assert remote.requests and f"Bearer {OPENAI_KEY}" not in _bearers(remote)
        Summarizer.from_endpoint(remote.base_url, model="fake", api_key=OPENAI_KEY).summarize_text("Acme sells.")
        assert f"Bearer {OPENAI_KEY}" in _bearers(remote)
        teacher = {"base_url": remote.base_url, "model": "fake"}
        with pytest.raises(UsageError, match=r"OPENAI_API_KEY is set but not sent by default to http://.*api_key_env"):
            resolve_api_key(TeacherConfig(**teacher))
        assert resolve_api_key(TeacherConfig(**teacher, api_key_env="OPENAI_API_KEY")) == OPENAI_KEY
    assert resolve_api_key(TeacherConfig(base_url="http://127.0.0.1:9/v1", model="m")) == OPENAI_KEY
    from filingsum.core.endpoints import default_key_goes_to

    assert [default_key_goes_to(u) for u in ("https://api.openai.com/v1", "http://localhost:8000/v1",
                                             "http://[::1]:8000/v1", "http://gpu-box:8000/v1",
                                             "http://10.0.0.5:8000/v1")] == [True, True, True, False, False]


# --- P9-F14: a hub id with no Hub to ask ------------------------------------------------------------------------

UNKNOWN_HUB_ID = "definitely/not-a-model-xyz"


def _no_hub_env(tmp_path: Path) -> dict[str, str]:
    """A user's environment with no Hub to reach: HF_HUB_OFFLINE not set, the Hub's endpoint a port on 127.0.0.1
    that nobody listens on, an HF cache of its own (empty unless the test fills it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE")}
    return {**env, "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}", "HF_HOME": str(tmp_path / "hf"),
            "PYTHONPATH": str(REPO)}


def _retry_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "Retrying in" in line or "[Retry " in line]


def test_an_unknown_hub_id_without_a_hub_fails_at_once_in_one_line(tmp_path):
    """P9-F14: `summarize --tokenizer definitely/not-a-model-xyz` on a machine without network printed ~20 lines of
    the hub client's retries over 49 s before its error; `Summarizer.local` then raised transformers' raw OSError.
    Now one HEAD request finds the Hub silent, the HF cache does not hold the id: one line, exit 2 (and the API's
    UsageError with the same advice), no retry."""
    env = _no_hub_env(tmp_path)
    filing = tmp_path / "acme_10k_2020.txt"
    filing.write_text("Item 1. Business\n\nAcme sells widgets to retailers through dealers for cash.\n")
    with FakeOpenAI() as server:
        cli = subprocess.run([sys.executable, "-m", "filingsum.cli", "summarize", str(filing), "--endpoint",
                              server.base_url, "--tokenizer", UNKNOWN_HUB_ID], env=env, capture_output=True,
                             text=True, timeout=120, cwd=tmp_path)
    observe("`summarize --tokenizer <unknown hub id>` with no Hub to reach", cli.returncode, cli.stderr,
            wrong=len(_retry_lines(cli.stderr)))
    assert_one_line_failure(cli.returncode, cli.stderr, 2, f"model {UNKNOWN_HUB_ID!r} is not in the local Hugging "
                            "Face cache", "does not answer", f"hf download {UNKNOWN_HUB_ID}")
    assert not _retry_lines(cli.stderr), _retry_lines(cli.stderr)[:3]
    api = subprocess.run([sys.executable, "-c", f"""
import json
from filingsum import Summarizer
try:
    Summarizer.local({UNKNOWN_HUB_ID!r})
except Exception as exc:
    print(json.dumps([[c.__name__ for c in type(exc).__mro__], str(exc)]))
"""], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    classes, message = json.loads(api.stdout.strip().splitlines()[-1])
    assert "UsageError" in classes and "OSError" not in classes, classes
    assert f"hf download {UNKNOWN_HUB_ID}" in message and "\n" not in message, message
    assert not _retry_lines(api.stderr), _retry_lines(api.stderr)[:3]


def test_a_cached_hub_id_loads_from_the_cache_when_the_hub_is_silent(tmp_path):
    """The other side of P9-F14: a hub id the HF cache holds is loaded from its snapshot, without a retry, when the
    Hub does not answer and HF_HUB_OFFLINE is not set."""
    from filingsum.core.models import resolve_model

    env = _no_hub_env(tmp_path)
    repo = tmp_path / "hf" / "hub" / "models--p9org--tiny"
    commit = "0" * 40
    shutil.copytree(resolve_model("tiny-random"), repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    loaded = subprocess.run([sys.executable, "-c", """
from filingsum.core.models import is_seq2seq, load_tokenizer
print(load_tokenizer("p9org/tiny")("Acme sells widgets.")["input_ids"][:3], is_seq2seq("p9org/tiny"))
"""], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.strip().endswith("False") and not _retry_lines(loaded.stderr), loaded.stderr[-2000:]


# --- P9-F10: the instruction counted against the model's context ---------------------------------------------------

SENTENCE = "Summarize the business model carefully please. "  # 8 tokens with SmolLM2's tokenizer (tiny-random's)


def _summarize_with(server: FakeOpenAI, filing: Path, instruction: str) -> list[str]:
    return ["summarize", str(filing), "--endpoint", server.base_url, "--tokenizer", "tiny-random",
            "--max-retries", "0", "--instruction", instruction]


def test_an_instruction_is_counted_against_the_context(tmp_path, capsys):
    """P9-F10: a 96 KB --instruction (about 16,000 tokens, twice the 8,192-token context) was sent without a word.
    Now an instruction that leaves no room for the filing is a usage error before any request (exit 2), one that
    pushes the prompt and the cap past the context is a warning naming its tokens, and a short one says nothing."""
    filing = tmp_path / "acme_10k_2020.txt"
    filing.write_text("Item 1. Business\n\nAcme sells widgets to retailers through dealers for cash.\n")
    with FakeOpenAI() as server:
        code = main(_summarize_with(server, filing, SENTENCE * 2000))
        err = capsys.readouterr().err
        observe("`summarize --instruction <96 KB>`", code, err, wrong=server.requests)
        assert_one_line_failure(code, err, 2, "--instruction is 16,002 tokens (more than the whole context)",
                                "8192-token context of tiny-random", "leaves no room for the filing")
        assert server.requests == 0

        assert main(_summarize_with(server, filing, SENTENCE * 800)) == 0
        err = capsys.readouterr().err
        warned = [line for line in err.splitlines() if line.startswith("filingsum: warning:")]
        assert len(warned) == 1 and "(--instruction: 6,402 tokens) exceed the 8192-token context" in warned[0], err
        assert server.requests == 1 and (SENTENCE * 800).strip() in server.bodies[0]["messages"][-1]["content"]

        assert main(_summarize_with(server, filing, SENTENCE * 5)) == 0
        assert "warning" not in capsys.readouterr().err


def test_data_instruction_is_counted_against_the_context(tmp_path, capsys):
    """P9-F10 for `data build`: data.instruction, the request of every training window, was not counted either."""
    config = data_config(tmp_path / "build.yaml", [write_filings(tmp_path / "in", range(2))], tmp_path / "ds")
    data = yaml.safe_load(config.read_text())
    data["data"]["instruction"] = SENTENCE * 2000
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    code = main(["data", "build", "--config", str(config)])
    err = capsys.readouterr().err
    observe("`data build` with a 96 KB data.instruction", code, err, wrong=int(code == 0))
    assert_one_line_failure(code, err, 2, "data.instruction is 16,002 tokens", "leaves no room for the filing")
    assert not (tmp_path / "ds").exists()
