"""The three minor faults the fifth probe of 2026-12-03 (evening) left open (docs/reliability.md), each injected
for real: the CLI in a subprocess, a real SIGHUP to a real two-process `filingsum train --launch` on the CPU,
real dataset and shard dirs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_faults import ENV, REPO, assert_one_line_failure, data_config, observe, write_filings
from test_faults_probe4 import _ddp_train, _gone, _workers

GOLD = ("Acme Widgets designs and sells industrial widgets to manufacturers in North America and earns revenue from "
        "product sales and annual service subscriptions. It sells through a direct sales force, an online store and "
        "independent dealers, and finances itself with cash from operations and a bank credit line.")


def _cli(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], env=ENV, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- SIGHUP to `filingsum train --launch`: the workers stop and the run dir's lock goes with them ----------------


@pytest.mark.slow  # a 2-process launch: ~20 s on 2 busy CPU cores
@pytest.mark.usefixtures("sighup_as_in_a_terminal")
def test_sighup_to_filingsum_train_launch_releases_the_run_dirs_lock(tmp_path):
    """SIGHUP to `filingsum train --launch`: torch's elastic agent passed it on to the workers, which died of it
    at once (SIGHUP's default action), so rank 0 left the run dir's lock behind (taken over with a warning by the
    next run). `filingsum train` unwinds on SIGHUP as on SIGTERM: checkpoints kept, lock released, one line."""
    import yaml

    from filingsum.serving.launcher import free_port

    accelerate = yaml.safe_load((REPO / "configs" / "accelerate-ddp-cpu.yaml").read_text())
    accelerate_config = tmp_path / "accelerate.yaml"
    accelerate_config.write_text(yaml.safe_dump({**accelerate, "main_process_port": free_port()}))
    launcher, lock, err = _ddp_train(tmp_path, [sys.executable, "-m", "filingsum.cli", "train", "--launch",
                                                str(accelerate_config)])
    workers = _workers(launcher)
    launcher.send_signal(signal.SIGHUP)
    status = launcher.wait(60)
    gone = _gone(workers, within_s=30)
    stderr = err.read_text()
    observe("SIGHUP to `filingsum train --launch` (a 2-process training)", status, stderr,
            lost=int(not gone or lock.exists()))
    assert gone, stderr[-3000:]
    assert not lock.exists(), stderr[-3000:]  # released: a rerun resumes without a stale-lock warning
    assert stderr.count("filingsum: terminated (SIGHUP); checkpoints saved so far are kept") == 3, stderr[-3000:]
    assert_one_line_failure(status, stderr, 129, "terminated (SIGHUP)", "checkpoints saved so far are kept in",
                            "rerun the same command to resume")
    assert (tmp_path / "run" / "checkpoints" / "checkpoint-5").is_dir()


@pytest.mark.usefixtures("sighup_as_in_a_terminal")
def test_sighup_leaves_a_command_outside_train_as_it_was():
    """`unwinding_on_sighup` (what `train` uses for its workers) restores the handler it found when it ends."""
    program = (
        "import signal, sys\n"
        "from filingsum.cli import Terminated, unwinding_on_sighup\n"
        "before = signal.getsignal(signal.SIGHUP)\n"
        "try:\n"
        "    with unwinding_on_sighup():\n"
        "        signal.raise_signal(signal.SIGHUP)\n"
        "except Terminated as exc:\n"
        "    print(exc.signal_name, exc.exit_status, signal.getsignal(signal.SIGHUP) == before)\n"
    )
    proc = subprocess.run([sys.executable, "-c", program], env=ENV, capture_output=True, text=True, timeout=60,
                          cwd=REPO)
    assert proc.stdout.split() == ["SIGHUP", "129", "True"], proc.stderr[-2000:]


# --- data build never reads its own outputs as gold files ------------------------------------------------------


@pytest.mark.parametrize("gold_spec", ["out", "parent"])
def test_build_leaves_its_own_outputs_out_of_a_gold_dir_and_reads_a_users_gold_file_there(tmp_path, gold_spec):
    """`data build --out D --set data.gold=[D]` read its own records, splits and journal as gold files: a dozen
    "no usable row" warnings, in the log and in the card. They are left out, in one logged line; a user's own gold
    file in D is still read."""
    inputs = write_filings(tmp_path / "in", [0, 1, 2, 3])
    out = tmp_path / "ds"
    config = data_config(tmp_path / "data.yaml", [inputs], out)
    assert _cli(["data", "build", "--config", str(config)]).returncode == 0
    (out / "my_gold.jsonl").write_text(json.dumps({"source_file": "acme_10k_2020.txt", "section": "item_1",
                                                   "summary": GOLD}) + "\n", encoding="utf-8")
    gold = out if gold_spec == "out" else tmp_path
    proc = _cli(["data", "build", "--config", str(config), "--set", f"data.gold=[{gold}]", "--set",
                 "data.references=[gold,extractive]"])
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    observe(f"`data build --out D` with data.gold=[{'D' if gold_spec == 'out' else 'a dir holding D'}]",
            proc.returncode, proc.stderr, wrong=len(card["warnings"]))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "no usable row" not in proc.stderr and card["warnings"] == [], (proc.stderr[-3000:], card["warnings"])
    left_out = [line for line in proc.stderr.splitlines() if "data.gold: 5 file(s) left out" in line]
    assert len(left_out) == 1, proc.stderr[-3000:]
    for name in ("records.jsonl", "train.jsonl", "validation.jsonl", "test.jsonl", ".work/extract.jsonl"):
        assert str(out / name) in left_out[0], left_out[0]
    assert "my_gold.jsonl" not in left_out[0]
    records = [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    origins = {Path(r["source_path"]).name: (r["reference_origin"], r["reference"]) for r in records}
    assert origins["acme_10k_2020.txt"] == ("gold", GOLD), origins
    assert {origin for name, (origin, _) in origins.items() if name != "acme_10k_2020.txt"} == {"extractive"}


# --- data merge refuses to merge into one of its own shards --------------------------------------------------------


@pytest.mark.parametrize("alias", ["same", "symlink"])
def test_merge_into_one_of_its_own_shard_dirs_refuses_before_writing_anything(tmp_path, alias):
    """`data merge sh1 sh2 --out sh1` replaced shard 1's dataset with the merged one without a word. It is refused
    (exit 2, one line), the shard untouched; the same merge into a new dir works."""
    inputs = write_filings(tmp_path / "in", [0, 1, 2, 3])
    config = data_config(tmp_path / "data.yaml", [inputs], tmp_path / "unused")
    shards = [tmp_path / "sh1", tmp_path / "sh2"]
    for k, shard in enumerate(shards, start=1):
        proc = _cli(["data", "build", "--config", str(config), "--out", str(shard), "--shard", f"{k}/2"])
        assert proc.returncode == 0, proc.stderr[-3000:]
    target = shards[1]
    out = target if alias == "same" else tmp_path / "link"
    if alias == "symlink":
        out.symlink_to(target, target_is_directory=True)
    before = _files(target)
    beside = sorted(p.name for p in tmp_path.iterdir())
    proc = _cli(["data", "merge", *map(str, shards), "--config", str(config), "--out", f"{out}/"])
    observe(f"`data merge sh1 sh2 --out sh2` ({alias})", proc.returncode, proc.stderr,
            lost=int(_files(target) != before))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(out), f"is the shard dir {target}",
                            "give a new dir")
    assert _files(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == beside  # no lock, staging dir or temporary left

    proc = _cli(["data", "merge", *map(str, shards), "--config", str(config), "--out", str(tmp_path / "all")])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((tmp_path / "all" / "card.json").read_text(encoding="utf-8"))["inputs"] == 4
