"""The fault table of docs/reliability.md: run the fault-injection tests and count what each fault did.

    python benchmarks/fault_table.py            # runs tests/test_faults*.py (about 15 minutes on 2 CPU cores)

Each test of tests/test_faults*.py records, before it asserts anything, what
its fault did: the exit status, the last console line, the tracebacks on the console, silent wrong results
(a resumed result that differs from an uninterrupted one, a dataset or run replaced without a word, an input
that is not a filing summarized) and pieces of finished work lost (dataset files changed, journal rows or
checkpoints missing, requests sent twice). This script prints those
rows as a Markdown table with totals, then the tests that failed (their faults are not in the table: a
failure is a bug to fix, not a row to report).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FAULT_TESTS = tuple(str(p.relative_to(REPO)) for p in sorted((REPO / "tests").glob("test_faults*.py")))
_TMP = re.compile(r"/tmp/pytest-of-[^/]+/pytest-\d+/[^/\s]+/")  # the tests' scratch dirs


def run_tests(report: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FILINGSUM_FAULT_REPORT": str(report), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FAULT_TESTS],
                          cwd=REPO, env=env, capture_output=True, text=True)


def render(rows: list[dict]) -> str:
    lines = ["| fault | exit | tracebacks | silent wrong results | work lost | what the user sees |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        message = "(success)" if r["status"] == 0 else _TMP.sub("…/", r["message"]).replace("|", "\\|")
        origin = "" if r["user_caused"] else " (environment)"
        lines.append(f"| {r['fault']}{origin} | {r['status']} | {r['tracebacks']} | {r['wrong']} | {r['lost']} | "
                     f"{message} |")
    user = [r for r in rows if r["user_caused"]]
    lines.append(f"| **total: {len(rows)} faults** ({len(user)} user-caused) | | "
                 f"**{sum(r['tracebacks'] for r in rows)}** | **{sum(r['wrong'] for r in rows)}** | "
                 f"**{sum(r['lost'] for r in rows)}** | |")
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "faults.jsonl"
        proc = run_tests(report)
        rows = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    print(render(rows))
    summary = [line for line in proc.stdout.splitlines() if line.strip()][-1:] or ["(no pytest output)"]
    print(f"\npytest {' '.join(FAULT_TESTS)}: {summary[0]}")
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    for line in failed:
        print(line)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
