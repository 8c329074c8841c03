"""Fault injection, usage: what the 2026-12-03 probe left open, each refused up front or said on the console.

A missing or unfinished shard dir given to `data merge` and a missing run given to `export` are usage errors
(exit 2); an output name longer than a file name can be (255 bytes) is refused before any work, by every
command that writes; `demo --filing MISSING` is refused before the build, training and eval; `eval
--predictions` says that the `--set` keys choosing what eval generates have no effect; a summary cut at the
token cap gets a note on the console; vLLM on CPU refuses a model whose attention head size its kernels lack
(it used to say "ready" and die at the first request), and transformers serve refuses an `--api-key` it would
drop; the Python API refuses a bad guard policy and a path that is not one. The real CLI, real files, the
OpenAI stand-in on 127.0.0.1; each case records what happened with `observe` (docs/reliability.md).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI, completion
from test_faults import assert_one_line_failure, data_config, observe, run_cli, write_filings

from filingsum.cli import main
from filingsum.core.errors import UsageError

LONG = "x" * 300  # over NAME_MAX (255 bytes) on every Linux file system


def _predictions(path: Path) -> Path:
    path.write_text(json.dumps({"id": "a", "source": "We sell widgets to retailers.", "prediction": "Widgets."})
                    + "\n", encoding="utf-8")
    return path


def test_data_merge_of_a_missing_or_unfinished_shard_dir_is_a_usage_error(tmp_path, capsys):
    config = data_config(tmp_path / "c.yaml", [write_filings(tmp_path / "in", range(2))], tmp_path / "ds")
    broken = tmp_path / "broken"
    (broken / "shard").mkdir(parents=True)
    (broken / "shard" / "manifest.json").write_text("{not json", encoding="utf-8")
    for shard_dir, needle in ((tmp_path / "missing", "not a finished shard"), (tmp_path / "in", "not a finished shard"),
                              (broken, "unreadable shard manifest")):
        status = main(["data", "merge", str(shard_dir), "--config", str(config), "--out", str(tmp_path / "m")])
        err = capsys.readouterr().err
        observe(f"`data merge` of {shard_dir.name}", status, err)
        assert_one_line_failure(status, err, 2, str(shard_dir), needle)
    assert not (tmp_path / "m").exists()


def test_export_of_a_missing_run_is_a_usage_error_and_writes_nothing(tmp_path, capsys):
    status = main(["export", str(tmp_path / "no-run"), "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    observe("`export` of a missing run", status, err)
    assert_one_line_failure(status, err, 2, "no adapter_config.json", "export a run dir")
    assert not (tmp_path / "x").exists()


def test_an_output_name_over_255_bytes_is_refused_before_any_work(tmp_path, capsys):
    filings = write_filings(tmp_path / "in", range(2))
    config = data_config(tmp_path / "c.yaml", [filings], tmp_path / "ds")
    predictions = _predictions(tmp_path / "p.jsonl")
    commands = {
        "data build": ["data", "build", "--config", str(config), "--out", str(tmp_path / LONG)],
        "eval --predictions": ["eval", "--predictions", str(predictions), "--tokenizer", "tiny-random", "--out",
                               str(tmp_path / LONG)],
        "export": ["export", "embedded:filingsum-smollm2", "--out", str(tmp_path / LONG)],
    }
    with FakeOpenAI() as server:
        commands["summarize"] = ["summarize", str(filings), "--endpoint", server.base_url, "--model", "fake",
                                 "--tokenizer", "tiny-random", "--out", str(tmp_path / f"{LONG}.jsonl")]
        for what, args in commands.items():
            status = main(args)
            err = capsys.readouterr().err
            observe(f"`{what}` --out of 300 bytes", status, err)
            assert_one_line_failure(status, err, 2, "over the 255-byte limit")
        assert server.requests == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "in", "p.jsonl"]


def test_a_long_but_valid_output_name_gets_a_lock_it_can_create(tmp_path):
    from filingsum.core.output_lock import OutputLock, lock_path

    target = tmp_path / ("y" * 252)  # valid; ".NAME.lock" would be 258 bytes
    assert len(lock_path(target).name) <= 255
    with OutputLock(target) as lock:
        assert lock.path.is_file()
    assert not lock.path.exists()


def test_demo_with_a_missing_filing_is_refused_before_the_build(tmp_path, capsys):
    config = data_config(tmp_path / "c.yaml", [write_filings(tmp_path / "in", range(2))], tmp_path / "ds")
    status = main(["demo", "--config", str(config), "--filing", str(tmp_path / "nope.txt"),
                   "--set", f"train.output_dir={tmp_path / 'run'}", "--set", f"eval.out_dir={tmp_path / 'ev'}"])
    err = capsys.readouterr().err
    observe("`demo --filing MISSING`", status, err, wrong=int((tmp_path / "ds").exists()))
    assert_one_line_failure(status, err, 2, "nope.txt", "--filing")
    assert not (tmp_path / "ds").exists() and not (tmp_path / "run").exists()


def test_eval_predictions_says_which_set_keys_have_no_effect(tmp_path, capsys):
    predictions = _predictions(tmp_path / "p.jsonl")
    status = main(["eval", "--predictions", str(predictions), "--tokenizer", "tiny-random", "--out",
                   str(tmp_path / "rep"), "--set", "eval.systems=[lead-k]", "--set", "eval.gate_system=p"])
    err = capsys.readouterr().err
    observe("`eval --predictions --set eval.systems=...`", status, err,
            wrong=int("eval.systems has no effect" not in err))
    assert status == 0, err
    assert "warning: --set eval.systems has no effect with --predictions" in err
    assert "eval.gate_system" not in err  # the gate system does apply to a predictions file
    assert json.loads((tmp_path / "rep" / "report.json").read_text())["systems"]


def test_a_summary_cut_at_the_token_cap_is_noted_on_the_console(tmp_path, capsys):
    filing = write_filings(tmp_path / "in", [0])

    def cut(body: dict) -> tuple[int, dict, dict]:
        answer = completion(body, "Acme sells widgets to retailers. It also sells", completion_tokens=512)
        answer["choices"][0]["finish_reason"] = "length"
        return 200, answer, {}

    with FakeOpenAI(respond=cut) as server:
        status = main(["summarize", str(next(filing.iterdir())), "--endpoint", server.base_url, "--model", "fake",
                       "--tokenizer", "tiny-random", "--max-retries", "0"])
    captured = capsys.readouterr()
    observe("a summary cut at the cap (finish_reason length)", status, captured.err,
            wrong=int("token cap" not in captured.err))
    assert status == 0, captured.err
    assert captured.out.strip() == "Acme sells widgets to retailers."  # the guard's default drops the fragment
    assert "reached the token cap (512 tokens, finish_reason length)" in captured.err
    assert "unfinished last sentence was dropped" in captured.err


def test_vllm_on_cpu_refuses_a_head_size_its_kernels_lack_before_starting(tmp_path, monkeypatch):
    from filingsum.core.config import RunConfig
    from filingsum.serving import launcher
    from filingsum.serving.engine import VllmEngine

    monkeypatch.setenv("FILINGSUM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(launcher, "choose_engine", lambda serve: VllmEngine("/engine/bin/python", "0.32.0", "cpu", "t"))
    config = RunConfig.model_validate({"model": {"name": "tiny-random"}, "train": {"output_dir": str(tmp_path)}})
    server = launcher.prepare_server(config, adapters={})
    with pytest.raises(UsageError, match="attention head size 16; vLLM on CPU supports 32, 64"):
        launcher.check_servable(server)
    assert server.process is None  # never started
    for head_dim, ok in ((64, True), (16, False)):
        model = tmp_path / f"m{head_dim}"
        model.mkdir()
        (model / "config.json").write_text(json.dumps({"hidden_size": head_dim * 4, "num_attention_heads": 4}))
        server.model_dir = str(model)
        if ok:
            launcher.check_servable(server)
        else:
            with pytest.raises(UsageError):
                launcher.check_servable(server)
    server.device = "cuda"  # GPU kernels take other sizes: not this check's business
    launcher.check_servable(server)


def test_transformers_serve_refuses_an_api_key_it_would_drop(tmp_path, capsys):
    status = main(["serve", "--backend", "transformers", "--set", "model.name=tiny-random", "--set",
                   f"train.output_dir={tmp_path}", "--set", 'serve.extra_args=["--api-key","sk-test-1234"]'])
    err = capsys.readouterr().err
    observe("`serve --backend transformers` with --api-key in serve.extra_args", status, err)
    assert_one_line_failure(status, err, 2, "holds --api-key", "transformers serve has no API-key check")
    assert "sk-test-1234" not in err


def test_python_api_refuses_a_bad_guard_and_a_path_that_is_not_one(tmp_path):
    from filingsum import Summarizer, load_config, summarize_file

    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    with FakeOpenAI() as server:
        with pytest.raises(UsageError, match="guard='bogus': expected one of flag, drop, off"):
            Summarizer.from_endpoint(server.base_url, "fake", config={"model": {"name": "tiny-random"}},
                                     guard="bogus")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summarizer = Summarizer.from_endpoint(server.base_url, "fake", config={"model": {"name": "tiny-random"}})
        for bad in (None, 42):
            with pytest.raises(TypeError, match="must be a str, bytes or os.PathLike"):
                summarizer.summarize_file(bad)
        with pytest.raises(TypeError, match="text must be a str"):
            summarizer.summarize_text(b"We sell widgets.")
        with pytest.raises(TypeError):
            summarize_file(None, endpoint=server.base_url, model="fake")
        assert server.requests == 0  # every refusal came before a request
        [by_bytes] = summarizer.summarize_file(str(filing).encode())
        [one] = summarizer.summarize_files(str(filing))  # one path, not its characters
    assert by_bytes.summary and one.summary and one.source_path == by_bytes.source_path
    config = load_config({"model": {"name": "tiny-random"}}, ["model.max_source_tokens=256"])
    assert config.model.max_source_tokens == 256


def test_serve_with_a_missing_adapter_or_engine_is_a_usage_error(tmp_path, capsys):
    base = ["serve", "--set", "model.name=tiny-random", "--set", f"train.output_dir={tmp_path}"]
    for extra, needle in ((["--backend", "transformers", "--adapter", f"x={tmp_path / 'none'}"], "adapter 'x'"),
                          (["--backend", "vllm", "--set", f"serve.vllm_python={tmp_path / 'python'}"],
                           "vLLM unavailable")):
        status = main(base + extra)
        err = capsys.readouterr().err
        observe(f"`serve` {' '.join(extra[:2])}: {needle}", status, err)
        assert_one_line_failure(status, err, 2, needle)


def test_an_init_adapter_for_another_base_is_a_usage_error_before_any_step(tmp_path, capsys):
    from test_export import _run_dir

    run = _run_dir(tmp_path)  # a tiny-random (decoder) adapter
    config = data_config(tmp_path / "c.yaml", [write_filings(tmp_path / "in", range(3))], tmp_path / "ds")
    assert main(["data", "build", "--config", str(config)]) == 0
    capsys.readouterr()
    status = main(["train", "--config", str(config), "--set", "model.name=tiny-random-t5", "--set",
                   f"train.init_adapter={run}", "--set", f"train.output_dir={tmp_path / 'run-t5'}", "--set",
                   "train.max_steps=1"])
    err = capsys.readouterr().err
    observe("`train` with an init_adapter trained on another base", status, err)
    assert_one_line_failure(status, err, 2, "train.init_adapter", "does not fit this base model")
    assert not (tmp_path / "run-t5" / "adapter").exists()


def test_a_hub_push_that_cannot_connect_is_one_line_and_keeps_the_export(tmp_path, monkeypatch):
    from huggingface_hub import HfApi, constants

    from filingsum.inference.export import ExportError, push_folder
    from filingsum.serving.ports import free_port

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    (tmp_path / "README.md").write_text("card")
    api = HfApi(endpoint=f"http://127.0.0.1:{free_port()}", token="hf_SECRETTOKEN123456789")
    with pytest.raises(ExportError, match="export in .* is complete") as caught:
        push_folder(tmp_path, "me/x", api=api)
    assert "\n" not in str(caught.value) and "hf_SECRET" not in str(caught.value)


def test_the_model_lookup_is_bounded_by_the_users_timeout(tmp_path, capsys):
    """The probe: /v1/models was read with its own 30 s timeout and a retry, whatever --timeout said."""
    import socket
    import time

    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        status = main(["summarize", str(filing), "--endpoint", f"http://127.0.0.1:{port}/v1", "--tokenizer",
                       "tiny-random", "--timeout", "2", "--max-retries", "0"])
        took = time.monotonic() - started
    err = capsys.readouterr().err
    observe("`summarize --timeout 2` against a server that never answers /models", status, err, wrong=int(took > 20))
    assert_one_line_failure(status, err, 2, "/models could not be read")
    assert took < 20, took


def test_serve_extra_args_that_move_the_listening_port_are_refused(tmp_path, capsys):
    """The probe: `serve.extra_args=[--port, N]` made vLLM listen elsewhere; serve waited out its whole start-up
    timeout (600 s) and the error did not mention extra_args."""
    status = main(["serve", "--backend", "transformers", "--set", "model.name=tiny-random", "--set",
                   f"train.output_dir={tmp_path}", "--set", 'serve.extra_args=["--port","9999"]'])
    err = capsys.readouterr().err
    observe("`serve` with --port in serve.extra_args", status, err)
    assert_one_line_failure(status, err, 2, "serve.extra_args sets --port", "serve.port")


# --- the 2026-12-03 afternoon probe (/tmp/probe4): what it left open --------------------------------------------


def test_an_empty_reference_gives_no_rouge_not_zero(tmp_path, capsys):
    """F13: docs/eval.md says an undefined metric is null (no reference: no ROUGE); "" scored 0.0 and dragged the
    ROUGE means down."""
    source = "Crexendo sells cloud services to small businesses."
    rows = [{"id": "a", "source": source, "prediction": source, "reference": ""},
            {"id": "b", "source": source, "prediction": source, "reference": source}]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    status = main(["eval", "--predictions", str(tmp_path / "p.jsonl"), "--tokenizer", "tiny-random", "--out",
                   str(tmp_path / "rep")])
    err = capsys.readouterr().err
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    [system] = report["systems"].values()
    observe("`eval --predictions` with an empty reference", status, err,
            wrong=int(system["aggregate"]["rougeL"] != 1.0))
    assert status == 0, err
    assert system["per_document"]["a"]["rougeL"] is None and system["per_document"]["b"]["rougeL"] == 1.0
    assert system["aggregate"]["rougeL"] == 1.0 and system["counts"]["rougeL"] == 1  # "b" only


def test_unknown_fields_in_predictions_are_named_in_one_warning(tmp_path):
    """F14: a misspelled `refernce` gave a report without ROUGE, rc 0 and not a word."""
    source = "Crexendo sells cloud services to small businesses."
    rows = [{"id": str(i), "source": source, "prediction": source, "refernce": source, "extra": 1} for i in range(3)]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = run_cli(["eval", "--predictions", str(tmp_path / "p.jsonl"), "--tokenizer", "tiny-random", "--out",
                    str(tmp_path / "rep")])
    status, err = done.returncode, done.stderr
    warned = [line for line in err.splitlines() if "unknown field" in line]
    observe("`eval --predictions` rows with a misspelled field (refernce)", status, err, wrong=int(not warned))
    assert status == 0, err
    assert len(warned) == 1, err  # once, not once per row
    assert "'refernce' (line 1; did you mean 'reference'?)" in warned[0] and "'extra' (line 1)" in warned[0]
    assert "id, source, prediction, reference" in warned[0]


def test_inputs_of_one_name_in_two_folders_get_distinct_ids_and_resume(tmp_path, capsys):
    """F15: in/x/a.txt and in/y/a.txt were both `a#item_1` in `summarize --out`; unique names keep their ids."""
    from test_faults import FILING

    def filing(i: int) -> str:
        return FILING.format(name=f"Company {i}", product="widgets", customers="retailers")

    for folder, name, i in (("x", "a.txt", 0), ("y", "a.txt", 1), ("y", "b.txt", 2)):
        (tmp_path / "in" / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / "in" / folder / name).write_text(filing(i), encoding="utf-8")
    out = tmp_path / "sums.jsonl"
    args = ["summarize", str(tmp_path / "in" / "x"), str(tmp_path / "in" / "y"), "--tokenizer", "tiny-random",
            "--max-retries", "0", "--out", str(out)]
    with FakeOpenAI() as server:
        status = main(args + ["--endpoint", server.base_url, "--model", "fake"])
        err = capsys.readouterr().err
        first = {r["source_path"]: r["id"] for r in map(json.loads, out.read_text().splitlines())}
        observe("`summarize` of in/x/a.txt and in/y/a.txt", status, err, wrong=3 - len(set(first.values())))
        assert status == 0, err
        assert len(set(first.values())) == 3, first
        assert first[str(tmp_path / "in" / "x" / "a.txt")] == "a#item_1"  # the first keeps its id
        assert first[str(tmp_path / "in" / "y" / "b.txt")] == "b#item_1"  # a unique name keeps its id
        assert first[str(tmp_path / "in" / "y" / "a.txt")].startswith("a-s")
        sent = server.requests
        out.unlink()
        assert main(args + ["--endpoint", server.base_url, "--model", "fake"]) == 0  # from the journal
        assert server.requests == sent
    assert {r["source_path"]: r["id"] for r in map(json.loads, out.read_text().splitlines())} == first


def test_the_local_summarizer_reports_an_empty_summary_as_an_error():
    """F16: Summarizer.local returned summary='' with error=None (the endpoint path calls the same thing an error);
    tiny-random's random weights generate special tokens only, i.e. an empty text."""
    from filingsum import Summarizer, load_config

    config = load_config(overrides=["model.max_summary_tokens=16"])
    for guard in ("drop", "off"):
        result = Summarizer.local("tiny-random", config=config, guard=guard).summarize_text(
            "Crexendo sells cloud services to small businesses. " * 10)
        observe(f"Summarizer.local(tiny-random, guard={guard}): an empty generation", 0, "",
                wrong=int(result.error is None))
        assert result.summary is None and result.error_kind == "empty", result
        assert "the model generated an empty summary (16 tokens, finish_reason length)" == result.error


EVIL = "evil\x1b[31mRED\x1b]0;TITLE\x07\x9b2J"  # colour, window title, BEL, a one-character (C1) CSI


def test_control_characters_in_file_names_reach_the_terminal_escaped(tmp_path):
    """F17: a file named evil<ESC>[31mRED<ESC>]0;TITLE<BEL>.txt was printed raw by `summarize` and `data build`
    (the terminal turned red and was retitled); non-UTF-8 names were escaped already."""
    from test_faults import FILING

    inputs = tmp_path / "in"
    inputs.mkdir()
    for i, name in enumerate((f"{EVIL}.txt", "plain.txt", f"{EVIL}empty.txt")):
        text = FILING.format(name=f"Company {i}", product="widgets", customers="retailers") if i < 2 else ""
        (inputs / name).write_text(text, encoding="utf-8")
    config = data_config(tmp_path / "c.yaml", [inputs], tmp_path / "ds")
    with FakeOpenAI() as server:
        runs = {
            "summarize": run_cli(["summarize", str(inputs), "--endpoint", server.base_url, "--model", "fake",
                                  "--tokenizer", "tiny-random", "--max-retries", "0", "--out",
                                  str(tmp_path / "s.md")]),
            "summarize (one input, stdout)": run_cli(["summarize", str(inputs / f"{EVIL}.txt"), "--endpoint",
                                                      server.base_url, "--model", "fake", "--tokenizer",
                                                      "tiny-random", "--max-retries", "0"]),
            "summarize (a missing input)": run_cli(["summarize", str(inputs / f"{EVIL}missing.txt"), "--endpoint",
                                                    server.base_url, "--model", "fake", "--tokenizer", "tiny-random"]),
            "data build": run_cli(["data", "build", "--config", str(config)]),
        }
    for what, done in runs.items():
        shown = done.stdout + done.stderr
        raw = sum(shown.count(c) for c in "\x1b\x07\x9b")
        observe(f"`{what}` of a file named with ESC/BEL/CSI", done.returncode, done.stderr, wrong=int(raw > 0))
        assert "Traceback" not in shown, shown[-3000:]
        assert raw == 0, (what, shown[-3000:])
        assert "one input" in what or "evil\\x1b[31mRED" in shown, (what, shown[-3000:])  # named, escaped
    assert runs["data build"].returncode == 0 and runs["summarize"].returncode == 1  # the empty one failed
    assert runs["summarize (a missing input)"].returncode == 2
    assert "\x1b" not in (tmp_path / "s.md").read_text() and "\x1b" not in (tmp_path / "ds" / "card.md").read_text()


def test_an_unset_teacher_api_key_env_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    """F18: data.teacher.api_key_env naming an unset variable sent `Authorization: Bearer EMPTY` to the teacher
    (summarize refuses its unset key variable with exit 2)."""
    import yaml

    monkeypatch.delenv("FILINGSUM_TEST_UNSET_TEACHER", raising=False)
    config = data_config(tmp_path / "c.yaml", [write_filings(tmp_path / "in", range(2))], tmp_path / "ds")
    with FakeOpenAI() as server:
        data = yaml.safe_load(config.read_text())
        data["data"]["references"] = ["teacher", "extractive"]
        data["data"]["teacher"] = {"base_url": server.base_url, "model": "fake", "max_retries": 0}
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        status = main(["data", "build", "--config", str(config), "--set",
                       "data.teacher.api_key_env=FILINGSUM_TEST_UNSET_TEACHER"])
        err = capsys.readouterr().err
        observe("`data build`: data.teacher.api_key_env names an unset variable", status, err,
                wrong=server.requests)
        assert_one_line_failure(status, err, 2, "data.teacher.api_key_env", "$FILINGSUM_TEST_UNSET_TEACHER is not set")
        assert server.requests == 0 and not (tmp_path / "ds" / "records.jsonl").exists()
        main(["data", "build", "--config", str(config)])  # no variable named: a local teacher needs no key
        assert server.requests > 0, capsys.readouterr().err


def test_impossible_token_counts_from_a_server_are_stored_as_null(tmp_path, capsys):
    """F19: `completion_tokens: 1000000000000` for a 512-token cap was stored (a negative prompt_tokens was
    already nulled); now a completion over the request's max_tokens is null too, in summarize and loadtest."""
    filing = next(write_filings(tmp_path / "in", [0]).iterdir())

    def lying(body: dict) -> tuple[int, dict, dict]:
        return 200, completion(body, "Acme sells widgets to retailers.", prompt_tokens=-5,
                               completion_tokens=10**12 if body["max_tokens"] < 10**6 else -1), {}

    with FakeOpenAI(respond=lying) as server:
        status = main(["summarize", str(filing), "--endpoint", server.base_url, "--model", "fake", "--tokenizer",
                       "tiny-random", "--max-retries", "0", "--out", str(tmp_path / "s.jsonl")])
        lt_status = main(["loadtest", "--endpoint", server.base_url, "--model", "fake", "--input", str(filing),
                          "--requests", "2", "--concurrency", "1", "--json", str(tmp_path / "lt.json")])
    err = capsys.readouterr().err
    [row] = map(json.loads, (tmp_path / "s.jsonl").read_text().splitlines())
    report = json.loads((tmp_path / "lt.json").read_text())
    observe("a server answers completion_tokens 10**12 for a 512-token cap", status, err,
            wrong=int(row["completion_tokens"] is not None) + int(report["output_tokens"] != 0))
    assert status == 0 and lt_status == 0, err
    assert row["summary"] and row["completion_tokens"] is None and row["prompt_tokens"] is None
    assert report["output_tokens"] == 0 and report["prompt_tokens"] == 0


def test_eval_config_mistakes_are_refused_before_any_generation(tmp_path, capsys):
    """F25: an unknown system, `endpoint` without eval.endpoint and an empty split exited 1; a missing
    eval.references file was warnings and exit 0; an invalid eval.endpoint was refused only after zero-shot and
    tuned had generated. Each is now exit 2 before the first summary (zero-shot is listed first each time)."""
    config = data_config(tmp_path / "c.yaml", [write_filings(tmp_path / "in", range(5))], tmp_path / "ds")
    assert main(["data", "build", "--config", str(config)]) == 0
    capsys.readouterr()
    cases = {
        "an unknown system": (["eval.systems=[zero-shot, lead-k, bogus-system]"], "unknown system(s) 'bogus-system'"),
        "endpoint without eval.endpoint": (["eval.systems=[zero-shot, endpoint]"], "needs eval.endpoint"),
        "an ftp:// eval.endpoint": (["eval.systems=[zero-shot, endpoint]", "eval.endpoint=ftp://127.0.0.1:1/v1",
                                     "eval.endpoint_model=x"], "eval.endpoint"),
        "a missing eval.references file": (["eval.systems=[zero-shot, lead-k]",
                                            f"eval.references=[{tmp_path / 'gold.jsonl'}]"], "gold.jsonl"),
        "an empty split": (["eval.systems=[zero-shot, lead-k]", "eval.split=validation"], "no validation records"),
    }
    for what, (sets, needle) in cases.items():
        out = tmp_path / f"rep-{len(list(tmp_path.glob('rep-*')))}"
        args = ["eval", "--config", str(config), "--out", str(out), "--set", "eval.gate_system=lead-k"]
        status = main(args + [a for s in sets for a in ("--set", s)])
        err = capsys.readouterr().err
        generated = sorted(p.name for p in (out / ".work").glob("generations-*")) if out.exists() else []
        observe(f"`eval` config with {what}", status, err, wrong=len(generated))
        assert_one_line_failure(status, err, 2, needle)
        assert not generated, (what, generated)


def test_demo_refuses_a_model_vllm_on_cpu_cannot_serve_before_the_first_stage(tmp_path, capsys, monkeypatch):
    """F28: with model.name tiny-random (head size 16) and vLLM on CPU, demo built the data, trained and
    evaluated (42 s) before serve refused the head size; the config alone tells. The engine search is replaced
    (no vLLM here); the head size is read from the real tiny-random config.json."""
    from filingsum.core.models import resolve_model
    from filingsum.serving import launcher
    from filingsum.serving.engine import VllmEngine

    resolve_model("tiny-random")  # built (a second), as the demo's training would build it
    monkeypatch.setattr(launcher, "choose_engine", lambda serve: VllmEngine("/engine/bin/python", "0.32.0", "cpu", "t"))
    config = data_config(tmp_path / "c.yaml", [write_filings(tmp_path / "in", range(3))], tmp_path / "ds")
    status = main(["demo", "--config", str(config), "--set", f"train.output_dir={tmp_path / 'run'}", "--set",
                   f"eval.out_dir={tmp_path / 'ev'}"])
    err = capsys.readouterr().err
    observe("`demo` with a model vLLM on CPU cannot serve (head size 16)", status, err,
            wrong=int((tmp_path / "ds" / "records.jsonl").exists()))
    assert_one_line_failure(status, err, 2, "tiny-random: attention head size 16", "serve.backend: transformers")
    assert not list((tmp_path / "ds").glob("*.jsonl")) and not list((tmp_path / "run").glob("*"))


def test_the_python_api_refuses_a_bad_timeout_or_a_control_character_in_the_key():
    """F29 (A08a, A16, A13): timeout_s=-1 or nan was accepted and every result then carried a raw `ValueError:
    Timeout value out of range`; api_key="abc\\ndef" was reported as a connection error with the server up."""
    import math

    from filingsum import Summarizer

    with FakeOpenAI() as server:
        for bad in (-1, math.nan, math.inf, 0):
            with pytest.raises(UsageError, match=r"timeout_s=.*expected a positive number of seconds"):
                Summarizer.from_endpoint(server.base_url, "fake", timeout_s=bad)
        with pytest.raises(UsageError, match="concurrency=0"):
            Summarizer.from_endpoint(server.base_url, "fake", concurrency=0)
        with pytest.raises(UsageError, match=r"api_key: the API key holds a control character \(at position 4\)"):
            Summarizer.from_endpoint(server.base_url, "fake", api_key="abc\ndef")
        assert server.requests == 0


def test_ctrl_c_before_the_first_checkpoint_names_no_missing_dir(tmp_path):
    """F29 (K05): Ctrl-C before the first checkpoint said `checkpoints saved so far are kept in
    run/checkpoints/`, a dir that did not exist."""
    from filingsum.cli import build_parser
    from filingsum.cli.train import interrupted

    config = data_config(tmp_path / "c.yaml", [tmp_path], tmp_path / "ds")
    args = build_parser().parse_args(["train", "--config", str(config), "--set",
                                      f"train.output_dir={tmp_path / 'run'}"])
    assert interrupted(args).startswith("no checkpoint was saved yet")
    (tmp_path / "run" / "checkpoints" / "checkpoint-5").mkdir(parents=True)
    assert f"kept in {tmp_path / 'run' / 'checkpoints'}/" in interrupted(args)
