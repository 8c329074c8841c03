"""Config validation: errors are one line, name the file and the key, and stop before heavy work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from filingsum.core.config import ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "configs").glob("*.yaml")
                                        if not p.name.startswith("accelerate")))
def test_shipped_configs_validate(name: str) -> None:
    config = load_config(REPO / "configs" / name)
    assert config.run_name


def test_misspelt_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "train:\n  lerning_rate: 0.001\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message and "train.lerning_rate" in message
    assert "did you mean 'learning_rate'" in message


def test_nested_unknown_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"train\.lora\.rank: unknown key"):
        load_config(write(tmp_path, "train:\n  lora:\n    rank: 8\n"))


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "train:\n  batch_size: many\n"))
    assert "train.batch_size" in str(err.value) and "'many'" in str(err.value)


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "train: [unclosed\n"))
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_cross_field_check() -> None:
    with pytest.raises(ConfigError, match="data.split"):
        parse_config({"data": {"split": {"validation": 0.6, "test": 0.5}}})


def test_overrides_are_validated_too(tmp_path: Path) -> None:
    path = write(tmp_path, "run_name: x\n")
    assert load_config(path, ["train.max_steps=3"]).train.max_steps == 3
    with pytest.raises(ConfigError, match="train.max_stepz"):
        load_config(path, ["train.max_stepz=3"])


@pytest.mark.parametrize("stage", ["train", "eval", "serve"])
def test_cli_exits_2_before_heavy_work(tmp_path: Path, stage: str) -> None:
    path = write(tmp_path, "train:\n  lerning_rate: 0.001\n")
    code = (
        "import sys; from filingsum.cli import main; rc = main(sys.argv[1:]); "
        "assert 'torch' not in sys.modules, 'torch was imported before the config was validated'; sys.exit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, stage, "--config", str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("filingsum: config error:") and "train.lerning_rate" in lines[-1]


def test_config_reference_doc_is_current() -> None:
    from filingsum.core.config import config_reference_markdown

    documented = (REPO / "docs" / "config.md").read_text()
    assert documented.strip() == config_reference_markdown().strip(), (
        "docs/config.md is stale; regenerate it (command at its top)"
    )
    for key in ("max_source_tokens", "fit_strategy", "gradient_accumulation_steps", "gates", "adapters"):
        assert f"`{key}`" in documented


@pytest.mark.parametrize("content", ["", "# just a comment\n", "{}\n"])
def test_an_empty_config_is_refused_not_run_on_every_default(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=r"empty\.yaml: the config is empty \(no keys\).*run_name"):
        load_config(path)
    assert load_config(path, ["run_name=explicit"]).run_name == "explicit"  # one key is enough


def test_docs_state_the_cli_defaults_of_summarize(repo: Path) -> None:
    import argparse

    from filingsum.cli import summarize

    parser = argparse.ArgumentParser()
    summarize.add_arguments(parser)
    defaults = {a.dest: a.default for a in parser._actions}
    serving_md = (repo / "docs" / "serving.md").read_text()
    assert defaults["fit"] is None and "the fit strategy (`data.fit_strategy`)" in serving_md  # from --config
    assert f"`--max-chunks N`\n  (default {defaults['max_chunks']})" in serving_md or \
        f"(default {defaults['max_chunks']})" in serving_md
    assert "default: map-reduce" not in serving_md.lower() and "is summarized\n  **map-reduce**" not in serving_md


OLD_CAP_KEYS = {  # the summary cap's names before it had one (issue 23), still read with a warning
    "serve.max_tokens": ("serve", "max_summary_tokens"),
    "eval.max_new_tokens": ("eval", "max_summary_tokens"),
    "data.teacher.max_tokens": ("data.teacher", "max_summary_tokens"),
    "data.filters.max_label_tokens": ("data.filters", "max_summary_tokens"),
    "train.generation_max_new_tokens": ("train", "generation_max_summary_tokens"),
}


@pytest.mark.parametrize("old", sorted(OLD_CAP_KEYS))
def test_an_old_name_of_the_summary_cap_is_read_with_a_warning(tmp_path: Path, old: str, caplog) -> None:
    section, new = OLD_CAP_KEYS[old]
    teacher = "data.teacher.base_url=http://127.0.0.1:9/v1"
    overrides = [f"{old}=300"] + ([teacher, "data.teacher.model=m"] if old.startswith("data.teacher") else [])
    path = tmp_path / "c.yaml"
    path.write_text("run_name: x\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="filingsum.core.config"):
        config = load_config(path, overrides)
    node = config
    for part in section.split("."):
        node = getattr(node, part)
    assert getattr(node, new) == 300
    assert f"config key {old.rsplit('.', 1)[1]} is deprecated: it is now {new}" in caplog.text
    if new == "max_summary_tokens" and section in ("serve", "eval"):
        assert config.max_summary_tokens(getattr(node, new)) == 300


def test_an_old_and_a_new_name_that_disagree_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("eval:\n  max_new_tokens: 200\n  max_summary_tokens: 300\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="max_new_tokens is the old name of max_summary_tokens"):
        load_config(path)
    path.write_text("eval:\n  max_new_tokens: 300\n  max_summary_tokens: 300\n", encoding="utf-8")
    assert load_config(path).eval.max_summary_tokens == 300


def test_the_removed_eval_token_limit_says_what_replaced_it(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("eval:\n  token_limit: 400\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="token_limit was removed: the within_limit check uses model.max_summary"):
        load_config(path)


def test_the_summary_cap_walks_from_the_config_to_the_vllm_command_under_one_name() -> None:
    """serve.max_summary_tokens -> RunConfig.max_summary_tokens -> build_vllm_command(max_summary_tokens=...) ->
    vLLM's own key in --override-generation-config: no other name on the way."""
    import inspect
    import json

    from filingsum.serving import commands, launcher

    config = parse_config({"serve": {"max_summary_tokens": 300}})
    assert "max_summary_tokens=config.max_summary_tokens(serve.max_summary_tokens)" in inspect.getsource(launcher)
    assert "max_summary_tokens" in inspect.signature(commands.build_vllm_command).parameters
    cap = config.max_summary_tokens(config.serve.max_summary_tokens)
    command = commands.build_vllm_command(config.serve, "/m", {}, device="cpu", max_summary_tokens=cap)
    generation = json.loads(command[command.index("--override-generation-config") + 1])
    assert generation["max_new_tokens"] == 300  # vLLM's name for it, at the boundary only


def test_paths_expand_home_and_variables_and_lists_that_need_an_item_are_not_empty(tmp_path, monkeypatch):
    """The probe: `data.out_dir: ~/built` built into a dir literally named "~" in the current dir, and
    `data.sections: []` ran a whole build that could produce nothing."""
    from filingsum import load_config
    from filingsum.core.config import ConfigError

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("FS_DATA", str(tmp_path / "data"))
    config = load_config({"model": {"name": "~/models/m"}, "data": {"out_dir": "~/built", "inputs": ["$FS_DATA/in"]},
                          "train": {"output_dir": "${FS_DATA}/run"}, "serve": {"adapters": {"a": "~/ad"}}})
    assert config.model.name == str(tmp_path / "models" / "m")
    assert config.data.out_dir == str(tmp_path / "built") and config.data.inputs == [str(tmp_path / "data" / "in")]
    assert config.train.output_dir == str(tmp_path / "data" / "run") and config.serve.adapters == {
        "a": str(tmp_path / "ad")}
    monkeypatch.delenv("UNSET_FS_VAR", raising=False)  # not kept as written (a dir named "$UNSET_FS_VAR"): P8-F5
    with pytest.raises(ConfigError, match="data.out_dir: environment variable UNSET_FS_VAR is not set"):
        load_config({"data": {"out_dir": "built/$UNSET_FS_VAR"}})
    for key in ("sections", "references"):
        with pytest.raises(ConfigError, match=f"data.{key}: List should have at least 1 item"):
            load_config({"data": {key: []}})
