"""Shell completion: a real bash script from shtab that knows every subcommand and their flags."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from filingsum.cli import STAGES, main


def test_bash_completion_lists_every_subcommand_and_flags(capsys, tmp_path):
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    for name in STAGES:
        assert name in script
    assert "--endpoint" in script and "--max-source-tokens" in script and "--guard" in script
    if shutil.which("bash"):
        path = tmp_path / "filingsum.bash"
        path.write_text(script)
        done = subprocess.run(["bash", "-c", f"source {path} && complete -p filingsum"], capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0 and "filingsum" in done.stdout, done.stderr


def test_unknown_shell_is_a_usage_error():
    with pytest.raises(SystemExit) as exc:
        main(["completion", "fish"])
    assert exc.value.code == 2
