"""Finding the vLLM engine: candidate order, the probe's parsing, and the adapter-vs-merged choice."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from filingsum.serving.engine import (
    choose_weights,
    find_vllm_engine,
    parse_probe_output,
    probe_python,
    project_engine_pythons,
    vllm_python_candidates,
)


def test_candidates_in_order_config_env_project_venv_then_this_python():
    venvs = [Path("/proj/.venv-vllm/bin/python")]
    found = vllm_python_candidates("/cfg/python", "/env/python", venvs, "/usr/bin/python3")
    assert [c.python for c in found] == ["/cfg/python", "/env/python", "/proj/.venv-vllm/bin/python",
                                         "/usr/bin/python3"]
    assert [c.explicit for c in found] == [True, True, False, False]
    assert [c.source for c in found][:2] == ["serve.vllm_python", "$FILINGSUM_VLLM_PYTHON"]
    bare = vllm_python_candidates(None, None, [], "/usr/bin/python3")
    assert [(c.python, c.explicit) for c in bare] == [("/usr/bin/python3", False)]


def test_project_venv_is_looked_for_in_the_project_then_the_working_dir(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname='x'\n")
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    assert project_engine_pythons(project, elsewhere) == [
        project / ".venv-vllm/bin/python", elsewhere / ".venv-vllm/bin/python"]
    assert project_engine_pythons(project, project) == [project / ".venv-vllm/bin/python"]
    assert project_engine_pythons(tmp_path / "not-a-project", elsewhere) == [elsewhere / ".venv-vllm/bin/python"]


def test_probe_output_parsing():
    assert parse_probe_output('noise\nFILINGSUM_PROBE {"version": "0.32.0", "device": "cpu"}\n') == {
        "version": "0.32.0", "device": "cpu"}
    assert parse_probe_output("FILINGSUM_PROBE {not json") is None
    assert parse_probe_output('FILINGSUM_PROBE {"version": "1"}') is None
    assert parse_probe_output("") is None


def test_probe_runs_the_interpreter_and_reports_why_not(tmp_path):
    probe_python.cache_clear()
    assert probe_python(str(tmp_path / "missing")) == (None, "no such file")
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'ModuleNotFoundError: vllm' >&2\nexit 1\n")
    fake.chmod(0o755)
    data, why = probe_python(str(fake))
    assert data is None and why == "import vllm failed (exit 1: ModuleNotFoundError: vllm)"
    printing = tmp_path / "python-ok"
    printing.write_text('#!/bin/sh\necho \'FILINGSUM_PROBE {"version": "9.9", "device": "cuda"}\'\n')
    printing.chmod(0o755)
    assert probe_python(str(printing)) == ({"version": "9.9", "device": "cuda"}, "")
    probe_python.cache_clear()


def test_find_engine_takes_the_first_that_imports_and_stops_at_a_broken_configured_one(tmp_path, monkeypatch):
    import filingsum.serving.engine as engine

    good = tmp_path / "venv" / "bin" / "python"
    good.parent.mkdir(parents=True)
    good.write_text('#!/bin/sh\necho \'FILINGSUM_PROBE {"version": "0.32.0", "device": "cpu"}\'\n')
    good.chmod(0o755)
    monkeypatch.setattr(engine, "project_engine_pythons", lambda: [tmp_path / "absent" / "python", good])
    monkeypatch.delenv("FILINGSUM_VLLM_PYTHON", raising=False)
    probe_python.cache_clear()
    try:
        search = find_vllm_engine()
        assert search.engine is not None and search.engine.python == str(good) and search.engine.on_cpu
        assert search.tried == (f"{tmp_path / 'absent' / 'python'}: no such file",)
        monkeypatch.setenv("FILINGSUM_VLLM_PYTHON", str(tmp_path / "typo"))
        broken = find_vllm_engine()
        assert broken.engine is None and broken.explicit_failure == "$FILINGSUM_VLLM_PYTHON: no such file"
        assert find_vllm_engine(str(good)).engine.source == "serve.vllm_python"  # config beats the env var
    finally:
        probe_python.cache_clear()


@pytest.mark.parametrize(
    ("lora", "device", "adapters", "expected"),
    [
        ("auto", "cpu", 1, "merged"),
        ("auto", "cuda", 1, "adapter"),
        ("auto", "cpu", 0, "adapter"),
        ("adapter", "cpu", 1, "adapter"),
        ("merged", "cuda", 1, "merged"),
        ("auto", "cpu", 2, "adapter"),
    ],
)
def test_weights_choice(lora, device, adapters, expected):
    weights, note = choose_weights(lora, device, adapters)
    assert weights == expected
    assert (note is not None) == (lora == "auto" and device == "cpu" and adapters > 1)


def test_merging_several_adapters_is_refused():
    with pytest.raises(ValueError, match="2 adapters"):
        choose_weights("merged", "cpu", 2)


def test_this_python_has_no_vllm_and_says_so():
    """The project venv does not carry vLLM (it lives in .venv-vllm): the probe answers without a subprocess."""
    probe_python.cache_clear()
    assert probe_python(sys.executable) == (None, "vllm is not installed")
