"""Two `filingsum summarize` faults of the sixth probe, injected for real: the CLI in a subprocess against stand-in
OpenAI-compatible servers on 127.0.0.1 (tests/_fake_openai.py).

- An answer far longer than the summary cap (a server or proxy that drops max_tokens) ended in a pydantic
  ValidationError on the console (its error kind was not one of `ErrorKind`); and a rerun into the same --out
  whose inputs failed replaced the good summaries of the earlier run with error records without a word.
- The journal of `summarize --out` did not key on the endpoint: a rerun against another server "resumed" and
  wrote the first server's summaries.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI
from test_faults import ENV, REPO, assert_one_line_failure, observe, write_filings

ANSWER = "The company sells cloud communications services to small businesses and earns subscription revenue."
LOOP = " ".join(["The company sells widgets and the company sells widgets."] * 120)  # ~1,000 tokens


def _summarize(server: FakeOpenAI, inputs: Path, *extra: str, endpoint: str | None = None,
               ) -> subprocess.CompletedProcess:
    args = ["summarize", str(inputs), "--endpoint", endpoint or server.base_url, "--model", "fake", "--tokenizer",
            "tiny-random", "--max-retries", "0", *extra]
    return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], env=ENV, capture_output=True, text=True,
                          timeout=300, cwd=REPO)


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


# --- F2: an answer far over the cap is one clear error, and never replaces good summaries in --out ------------


@pytest.mark.parametrize(("answer", "cap", "guard"), [(ANSWER, 2, "drop"), (ANSWER, 2, "off"), (LOOP, 16, "drop")],
                         ids=["cap-2", "cap-2-guard-off", "loop-cap-16"])
def test_an_answer_far_over_the_cap_is_one_clear_error_per_input(tmp_path, answer, cap, guard):
    """An answer of many more tokens than --max-tokens printed `ValidationError: 1 validation error for
    SummaryResult ... input_value='error'`. It is an error record of kind "http" saying what the server did."""
    inputs = write_filings(tmp_path / "in", [0])
    out = tmp_path / "sums.jsonl"
    with FakeOpenAI(model="fake", respond=lambda body: answer) as server:
        proc = _summarize(server, inputs / "acme_10k_2020.txt", "--max-tokens", str(cap), "--guard", guard)
        observe(f"`summarize` of an answer far over --max-tokens {cap}", proc.returncode, proc.stderr)
        assert "ValidationError" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-3000:]
        lines = [line for line in proc.stderr.splitlines() if line.startswith("filingsum: acme_10k_2020")]
        assert len(lines) == 1 and proc.returncode == 1, proc.stderr[-3000:]
        assert f"tokens for a cap of {cap} (max_tokens): it ignored max_tokens" in lines[0], lines[0]
        assert _summarize(server, inputs, "--max-tokens", str(cap), "--guard", guard, "--out", str(out)).returncode == 1
    (row,) = _rows(out)  # a first run into a new --out still writes the error record
    assert row["summary"] is None and row["error_kind"] == "http" and "ignored max_tokens" in row["error"], row


@pytest.mark.parametrize("suffix", ["jsonl", "md"])
def test_a_rerun_that_fails_leaves_the_good_summaries_of_out_as_they_were(tmp_path, suffix):
    """A rerun into the same --out with settings that fail (--max-tokens 2) replaced three good summaries with
    three error records without a word. OUT is left as it was (exit 1, one last line saying why); what the run
    did summarize stays in the journal; the earlier settings resume all of OUT from the journal."""
    inputs = write_filings(tmp_path / "in", [0, 1, 2])
    out = tmp_path / f"sums.{suffix}"
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        assert _summarize(server, inputs, "--out", str(out)).returncode == 0
        before = out.read_bytes()
        proc = _summarize(server, inputs, "--out", str(out), "--max-tokens", "2")
        observe("`summarize --out` rerun whose inputs all fail, over good summaries", proc.returncode, proc.stderr,
                lost=int(out.read_bytes() != before))
        assert out.read_bytes() == before
        assert_one_line_failure(proc.returncode, proc.stderr, 1, f"{out} is unchanged", "good summaries of 3 input(s)",
                                "give another --out")
        requests = server.requests
        again = _summarize(server, inputs, "--out", str(out))
        assert again.returncode == 0 and "resuming: 3 of 3" in again.stderr, again.stderr[-3000:]
        assert server.requests == requests and out.read_bytes() == before


def test_a_rerun_where_some_inputs_fail_keeps_out_and_journals_the_new_summaries(tmp_path):
    """New settings where one input fails: OUT keeps the earlier run's results; the two new summaries are
    journalled, so the rerun once the failure is gone asks only for the failed input and writes all three."""
    inputs = write_filings(tmp_path / "in", [0, 1, 2])
    out = tmp_path / "sums.jsonl"
    broken = {"on": True}

    def respond(body: dict) -> str | tuple:
        if broken["on"] and body["temperature"] and "Borealis" in body["messages"][-1]["content"]:
            return 500, {"error": "boom"}, {}
        return f"{ANSWER} With the new instruction." if body["temperature"] else ANSWER

    with FakeOpenAI(model="fake", respond=respond) as server:
        assert _summarize(server, inputs, "--out", str(out)).returncode == 0
        before = out.read_bytes()
        proc = _summarize(server, inputs, "--out", str(out), "--temperature", "0.5")
        assert out.read_bytes() == before
        assert_one_line_failure(proc.returncode, proc.stderr, 1, "is unchanged", "good summaries of 1 input(s)",
                                "borealis_10k_2020", "the 2 new summaries are kept in")
        broken["on"] = False
        requests = server.requests
        fixed = _summarize(server, inputs, "--out", str(out), "--temperature", "0.5")
        assert fixed.returncode == 0 and "resuming: 2 of 3" in fixed.stderr, fixed.stderr[-3000:]
        assert server.requests == requests + 1
    assert [r["summary"].endswith("With the new instruction.") for r in _rows(out)] == [True] * 3


# --- F6: the journal keys on the endpoint ---------------------------------------------------------------------


def test_summarize_out_against_another_endpoint_summarizes_again(tmp_path):
    """`summarize --out` against a second server serving the same model name said "resuming: 3 of 3" and wrote
    the first server's summaries. Another endpoint summarizes again; the same one (another spelling: a trailing
    slash, credentials) still resumes."""
    inputs = write_filings(tmp_path / "in", [0, 1, 2])
    out = tmp_path / "sums.jsonl"
    with FakeOpenAI(model="fake", respond=lambda body: "First server.") as first, \
            FakeOpenAI(model="fake", respond=lambda body: "Second server.") as second:
        assert _summarize(first, inputs, "--out", str(out)).returncode == 0
        proc = _summarize(second, inputs, "--out", str(out))
        stale = sum(r["summary"] == "First server." for r in _rows(out))
        observe("`summarize --out` rerun against another endpoint", proc.returncode, proc.stderr, wrong=stale)
        assert proc.returncode == 0 and "resuming" not in proc.stderr, proc.stderr[-3000:]
        assert [r["summary"] for r in _rows(out)] == ["Second server."] * 3
        assert second.requests == 3
        spelled = second.base_url.replace("http://", "http://user:pw@") + "/"
        again = _summarize(second, inputs, "--out", str(out), endpoint=spelled)
        assert again.returncode == 0 and "resuming: 3 of 3" in again.stderr, again.stderr[-3000:]
        assert second.requests == 3
