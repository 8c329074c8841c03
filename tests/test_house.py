"""The house rules of docs/architecture.md, checked on the source: no file over 400 lines, no function over 60.

A function may stay longer only with a `# long: <reason>` comment on the line right above its `def` (or its
first decorator). The checker is run on planted violations too, so it cannot pass vacuously.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("filingsum", "training", "serving", "eval", "benchmarks", "data")
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60


def source_files(root: Path = ROOT) -> list[Path]:
    return sorted(p for d in SOURCE_DIRS for p in (root / d).rglob("*.py") if "__pycache__" not in p.parts)


def long_files(paths: list[Path], limit: int = MAX_FILE_LINES) -> list[str]:
    return [f"{p.name}: {n} lines" for p in paths if (n := len(p.read_text(encoding="utf-8").splitlines())) > limit]


def long_functions(source: str, name: str = "<src>", limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """Functions (methods and nested ones too) longer than ``limit`` lines without a ``# long:`` reason."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = node.end_lineno - node.lineno + 1
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        above = lines[first - 2].strip() if first >= 2 else ""
        if length > limit and not above.startswith("# long:"):
            found.append(f"{name}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_source_file_is_over_400_lines():
    assert not long_files(source_files())


def test_no_function_is_over_60_lines_without_a_reason():
    found = [f for p in source_files() for f in long_functions(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))]
    assert not found, found


@pytest.mark.parametrize("reason, expected", [("", 1), ("# long: a flat table of flags\n", 0), ("# short\n", 1)])
def test_the_checker_sees_a_long_function(reason, expected):
    body = "".join(f"    x{i} = {i}\n" for i in range(61))
    assert len(long_functions(f"{reason}def f():\n{body}")) == expected
    assert long_functions(f"def g():\n{body[:40 * 11]}") == []


def test_the_checker_sees_a_long_file(tmp_path):
    (tmp_path / "big.py").write_text("x = 1\n" * 401, encoding="utf-8")
    (tmp_path / "ok.py").write_text("x = 1\n" * 400, encoding="utf-8")
    assert long_files(sorted(tmp_path.glob("*.py"))) == ["big.py: 401 lines"]
