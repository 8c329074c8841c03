"""The import rule of docs/architecture.md, checked on the source: imports go one way, down the layers.

    cli, api  >  stages (dataset, training, eval, serving)  >  inference  >  filings, quality  >  core

A package imports only from packages in lower layers (and from itself). Packages that share a layer never
import each other: no stage imports another stage, and filings (read, section, clean, fit a filing) and
quality (score a summary) are independent services. Every import counts, including those inside functions
(an import moved into a function to dodge a loop is still a dependency). The checker is tested on planted
violations too, so it cannot pass vacuously.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS: dict[str, int] = {
    "core": 0,
    "filings": 1, "quality": 1,
    "inference": 2,
    "dataset": 3, "training": 3, "eval": 3, "serving": 3,
    "cli": 4, "api": 4,  # the two front ends: neither imports the other
}
ROOT_PACKAGE = "api"  # filingsum/__init__.py re-exports the Python API (filingsum/api.py): it sits on top


# --- the checker ----------------------------------------------------------------------------------------


def package_of(module: str) -> str | None:
    """The layer package of a filingsum module ("filingsum.eval.run" -> "eval"); None outside filingsum."""
    parts = module.split(".")
    if parts[0] != "filingsum":
        return None
    return parts[1] if len(parts) > 1 else ROOT_PACKAGE


def module_files() -> dict[str, Path]:
    """Every module of the installed namespace, by name, from pyproject's packages and package-dir."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_dir: dict[str, str] = setuptools.get("package-dir", {})
    files: dict[str, Path] = {}
    for package in setuptools["packages"]:
        folder = ROOT / package_dir.get(package, package.replace(".", "/"))
        for path in sorted(folder.glob("*.py")):
            files[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return files


def imports_of(source: str, module: str, is_package: bool = False) -> set[str]:
    """Modules a source imports anywhere in it (top level, functions, TYPE_CHECKING blocks), absolute."""
    found: set[str] = set()
    base = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                target = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # "from pkg import module"
    return found


def package_graph(imports: Mapping[str, Iterable[str]], known: Iterable[str]) -> dict[str, set[str]]:
    """Package -> packages it imports, counting only imports of modules that exist (``known``)."""
    known = set(known)
    graph: dict[str, set[str]] = {}
    for module, targets in imports.items():
        source = package_of(module)
        graph.setdefault(source, set())
        for target in targets:
            if target in known and (dest := package_of(target)) and dest != source:
                graph[source].add(dest)
    return graph


def layer_violations(imports: Mapping[str, Iterable[str]], known: Iterable[str]) -> list[str]:
    """Each import that does not go down a layer, as 'importer -> imported (why)'."""
    known = set(known)
    problems: list[str] = []
    for module, targets in sorted(imports.items()):
        source = package_of(module)
        if source not in LAYERS:
            problems.append(f"{module}: package {source!r} has no layer (add it to LAYERS and the docs)")
            continue
        for target in sorted(t for t in targets if t in known):
            dest = package_of(target)
            if dest is None or dest == source:
                continue
            if dest not in LAYERS:
                problems.append(f"{module} -> {target} (package {dest!r} has no layer)")
            elif LAYERS[dest] == LAYERS[source]:
                problems.append(f"{module} -> {target} ({source} and {dest} share layer {LAYERS[source]})")
            elif LAYERS[dest] > LAYERS[source]:
                problems.append(f"{module} -> {target} (up from {source}, layer {LAYERS[source]}, "
                                f"to {dest}, layer {LAYERS[dest]})")
    return problems


def package_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Import cycles between packages (each as the list of packages around it), by depth-first search."""
    cycles: list[list[str]] = []
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def project_imports() -> tuple[dict[str, set[str]], set[str]]:
    files = module_files()
    imports = {
        name: imports_of(path.read_text(encoding="utf-8"), name, is_package=path.stem == "__init__")
        for name, path in files.items()
    }
    return imports, set(files)


# --- the project ----------------------------------------------------------------------------------------


def test_every_module_is_mapped_and_stages_install_under_filingsum():
    files = module_files()
    assert files["filingsum.eval.run"] == ROOT / "eval" / "run.py"
    assert files["filingsum.training.trainer"] == ROOT / "training" / "trainer.py"
    assert files["filingsum.serving.launcher"] == ROOT / "serving" / "launcher.py"
    assert files["filingsum.core.config"] == ROOT / "filingsum" / "core" / "config.py"
    on_disk = {p for folder in ("filingsum", "training", "serving", "eval") for p in (ROOT / folder).rglob("*.py")}
    assert on_disk == set(files.values()), "a module outside the declared packages would escape the check"


def test_imports_go_down_the_layers():
    imports, known = project_imports()
    assert layer_violations(imports, known) == []


def test_no_import_cycle_between_packages():
    imports, known = project_imports()
    graph = package_graph(imports, known)
    assert set(graph) == set(LAYERS)
    assert package_cycles(graph) == []


def test_no_module_runs_as_a_script():
    """One entry point (`filingsum`): no `python -m` mains with their own exit codes beside it."""
    scripts = [name for name, path in module_files().items()
               if "__main__" in path.read_text(encoding="utf-8") and name != "filingsum.cli.__main__"]
    assert scripts == []


# --- the checker on planted violations ------------------------------------------------------------------

SYNTHETIC_KNOWN = {"filingsum.core.config", "filingsum.cli.common", "filingsum.eval.run",
                   "filingsum.serving.launcher", "filingsum.filings.fit", "filingsum.quality.metrics",
                   "filingsum.inference.local"}


@pytest.mark.parametrize(("module", "source", "reason"), [
    ("filingsum.core.config", "def f():\n    from filingsum.cli.common import x\n", "up from core"),
    ("filingsum.serving.launcher", "import filingsum.eval.run\n", "share layer 3"),
    ("filingsum.filings.fit", "from filingsum.quality import metrics\n", "share layer 1"),
    ("filingsum.inference.local", "from ..eval.run import x\n", "up from inference"),
    ("filingsum.quality.metrics", "if TYPE_CHECKING:\n    from filingsum.inference.local import L\n", "up from"),
])
def test_checker_finds_planted_violations(module, source, reason):
    imports = {module: imports_of(source, module)}
    [problem] = layer_violations(imports, SYNTHETIC_KNOWN)
    assert reason in problem and problem.startswith(module)


def test_checker_accepts_downward_and_third_party_imports():
    source = "import torch\nfrom filingsum.core.config import RunConfig\nfrom filingsum.filings import fit\n"
    assert layer_violations({"filingsum.eval.run": imports_of(source, "filingsum.eval.run")}, SYNTHETIC_KNOWN) == []
    assert layer_violations({"filingsum.widgets.x": set()}, SYNTHETIC_KNOWN) == [
        "filingsum.widgets.x: package 'widgets' has no layer (add it to LAYERS and the docs)"
    ]


def test_cycle_finder_on_a_planted_loop():
    imports = {
        "filingsum.eval.run": {"filingsum.serving.launcher"},
        "filingsum.serving.launcher": {"filingsum.inference.local"},
        "filingsum.inference.local": {"filingsum.eval.run"},
    }
    graph = package_graph(imports, set(imports))
    assert package_cycles(graph) == [["eval", "serving", "inference", "eval"]]
    assert package_cycles({"a": {"b"}, "b": {"c"}}) == []


def test_only_the_cli_prints():
    """Stages return data and raise typed errors; filingsum/cli is the one layer that writes to the terminal
    (print, or a rich Console's print). Logging is not printing."""
    import ast

    root = Path(__file__).resolve().parents[1]
    files = [p for d in ("filingsum", "training", "serving", "eval") for p in (root / d).rglob("*.py")
             if "cli" not in p.relative_to(root).parts[:2]]
    assert len(files) > 40
    printers = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and (
                    (isinstance(node.func, ast.Name) and node.func.id == "print")
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == "print")):
                printers.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not printers, printers
