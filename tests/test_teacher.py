"""The teacher client against real HTTP servers on 127.0.0.1: `transformers serve` with the tiny random model
(plumbing: answers, concurrency, the on-disk cache), a scripted stub server (retries on 503), and a port
nobody listens on (errors become answers, not exceptions)."""

from __future__ import annotations

import logging

import pytest
from _fake_openai import FakeOpenAI

from filingsum.core.config import ServeConfig, TeacherConfig
from filingsum.core.errors import FilingsumError
from filingsum.core.models import resolve_model
from filingsum.core.prompt import build_messages
from filingsum.dataset.teacher import DUMMY_KEY, Teacher, request_key, resolve_api_key


def _chat_posts(log_text: str) -> int:
    return sum(1 for line in log_text.splitlines() if "POST /v1/chat/completions" in line)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from filingsum.serving.launcher import ServerProcess, build_transformers_command, free_port

    model_dir = resolve_model("tiny-random")
    port = free_port()
    serve = ServeConfig(host="127.0.0.1", port=port)
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    server = ServerProcess(
        command=build_transformers_command(serve, model_dir), host="127.0.0.1", port=port,
        model_names=[model_dir], backend="transformers", log_path=log_path, startup_timeout_s=300,
    )
    with server:
        yield server, model_dir


def test_answers_are_cached_and_a_rerun_sends_nothing(served, tmp_path):
    server, model_dir = served
    config = TeacherConfig(base_url=server.base_url, model=model_dir, concurrency=3, max_summary_tokens=16,
        max_retries=1)
    batch = [build_messages(f"Filing {i}: the company sells widgets to retailers for cash.") for i in range(4)]
    posts_before = _chat_posts(server.log_path.read_text())

    teacher = Teacher(config, tmp_path / "cache", max_summary_tokens=16)
    done: list[int] = []
    answers = teacher.ask_many(batch, on_done=lambda i, a: done.append(i))
    assert sorted(done) == [0, 1, 2, 3]
    assert all(a.error is None and isinstance(a.summary, str) for a in answers), answers
    assert all(a.finish_reason in ("length", "stop") for a in answers)
    assert not any(a.cached for a in answers)
    assert teacher.requests_sent == 4
    assert _chat_posts(server.log_path.read_text()) - posts_before == 4
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 4

    rerun = Teacher(config, tmp_path / "cache", max_summary_tokens=16)
    again = rerun.ask_many(batch)
    assert rerun.requests_sent == 0
    assert all(a.cached for a in again)
    assert [a.summary for a in again] == [a.summary for a in answers]
    assert _chat_posts(server.log_path.read_text()) - posts_before == 4  # the server saw nothing new

    # a different parameter is a different question
    longer = Teacher(config, tmp_path / "cache", max_summary_tokens=17)
    longer.ask(batch[0])
    assert longer.requests_sent == 1


def test_wrong_model_name_is_a_record_error_not_a_crash(served, tmp_path):
    server, _ = served
    config = TeacherConfig(base_url=server.base_url, model="no-such-model", max_summary_tokens=16, max_retries=0)
    answer = Teacher(config, tmp_path, max_summary_tokens=16).ask(build_messages("text"))
    assert answer.summary is None and answer.error and "HTTP 4" in answer.error
    assert not list(tmp_path.rglob("*.json"))  # failures are not cached


def test_unreachable_port_retries_then_reports(tmp_path, caplog):
    from filingsum.serving.launcher import free_port

    config = TeacherConfig(
        base_url=f"http://127.0.0.1:{free_port()}/v1", model="m", max_retries=2, timeout_s=5, max_summary_tokens=16
    )
    with caplog.at_level(logging.INFO, logger="openai"):
        answer = Teacher(config, tmp_path, max_summary_tokens=16).ask(build_messages("text"))
    assert answer.summary is None and "endpoint unreachable" in answer.error
    retries = [r for r in caplog.records if "Retrying request" in r.getMessage()]
    assert len(retries) == 2


def test_transient_5xx_is_retried_until_it_succeeds(tmp_path):
    failures = [2]

    def flaky(body: dict):
        if failures[0] > 0:
            failures[0] -= 1
            return 503, None, {"Retry-After": "0"}
        return " The company sells widgets. "

    with FakeOpenAI(respond=flaky) as server:
        config = TeacherConfig(base_url=server.base_url, model="m", max_retries=3)
        answer = Teacher(config, tmp_path, max_summary_tokens=16).ask(build_messages("text"))
    assert answer.error is None and answer.summary == "The company sells widgets."
    assert answer.prompt_tokens == 5 and answer.finish_reason == "stop"
    assert server.requests == 3


def test_api_key_rules(monkeypatch):
    monkeypatch.delenv("FS_TEST_KEY", raising=False)
    local = TeacherConfig(base_url="http://localhost:8000/v1", model="m", api_key_env="FS_TEST_KEY")
    remote = TeacherConfig(base_url="https://api.example.com/v1", model="m", api_key_env="FS_TEST_KEY")
    with pytest.raises(FilingsumError, match=r"data.teacher.api_key_env: \$FS_TEST_KEY is not set"):
        resolve_api_key(local)  # a variable the config names is required, local endpoint or not
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert resolve_api_key(TeacherConfig(base_url="http://localhost:8000/v1", model="m")) == DUMMY_KEY  # none named
    with pytest.raises(FilingsumError, match="FS_TEST_KEY"):
        resolve_api_key(remote)
    monkeypatch.setenv("FS_TEST_KEY", "sk-123")
    assert resolve_api_key(remote) == "sk-123"


def test_request_key_covers_messages_model_and_parameters():
    m = build_messages("a")
    base = request_key(m, "x", 512, 0.0)
    assert base == request_key(build_messages("a"), "x", 512, 0.0)
    assert len({base, request_key(build_messages("b"), "x", 512, 0.0), request_key(m, "y", 512, 0.0),
                request_key(m, "x", 256, 0.0), request_key(m, "x", 512, 0.7)}) == 5


@pytest.mark.slow
def test_build_with_the_served_embedded_model_as_teacher(tmp_path):
    """The whole teacher path of `data build` against the real embedded SmolLM2 behind `transformers serve`:
    its answers become references (origin 'teacher'), and a rerun of the build asks nothing new."""
    from filingsum.core.config import RunConfig
    from filingsum.core.io import read_jsonl
    from filingsum.dataset.build import build_dataset
    from filingsum.serving.launcher import ServerProcess, build_transformers_command, free_port

    model_dir = resolve_model("embedded:smollm2-135m-instruct")
    port = free_port()
    log_path = tmp_path / "server.log"
    server = ServerProcess(
        command=build_transformers_command(ServeConfig(host="127.0.0.1", port=port), model_dir),
        host="127.0.0.1", port=port, model_names=[model_dir], backend="transformers", log_path=log_path,
        startup_timeout_s=300,
    )
    config = RunConfig.model_validate({
        "model": {"name": "embedded:smollm2-135m-instruct", "max_source_tokens": 256},
        "data": {
            "inputs": ["data/samples/crexendo_10k_2016_item1_prompt.txt",
                       "data/samples/fusion_10k_2016_item1_prompt.txt"],
            "out_dir": str(tmp_path / "built"), "references": ["teacher", "extractive"],
            "teacher": {"base_url": f"http://127.0.0.1:{port}/v1", "model": model_dir, "max_summary_tokens": 96,
                        "concurrency": 2},
            "filters": {"min_label_chars": 0, "drop_non_prose": False, "drop_unsupported_numbers": False},
            "split": {"validation": 0.0, "test": 0.0},
        },
    })
    with server:
        first = build_dataset(config, progress=False)
        posts = _chat_posts(log_path.read_text())
        second = build_dataset(config, progress=False)
        assert _chat_posts(log_path.read_text()) == posts  # cached: the rerun asked nothing
    assert first.teacher_requests == 2 and second.teacher_requests == 0
    records = list(read_jsonl(tmp_path / "built" / "records.jsonl"))
    answered = [r for r in records if r["reference_origin"] == "teacher"]
    # every teacher answer is either a reference or a recorded drop (a 96-token answer may be cut short)
    truncated = [d for d in first.drops if "finish_reason=length" in d.reason]
    assert len(answered) + len(truncated) == 2, (records, first.drops)
    assert all(len(r["reference"].split()) > 5 for r in answered)
    cached = list((tmp_path / "built").rglob("teacher_cache/**/*.json"))
    assert len(cached) == 2
