"""Shared fixtures: repository paths, the shared filings, and model specs."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

# A runner that starts the suite in the background (`cmd &` in a script, nohup) leaves SIGINT ignored, and an
# ignored signal stays ignored in every child process; the Ctrl-C tests need it delivered as a terminal does.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"
GOLD = REPO / "data" / "gold"
SHARED_FILINGS = REPO.parent / "shared" / "filings"

# Keep tests quiet and offline: nothing may reach a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Under `pytest -n N` (make test) each worker computes on its own share of the cores: torch in the worker and in
# the CLIs it starts uses that many threads, and a vLLM server it starts binds to those cores. Two workers each
# running torch on every core thrash (the embedded-model test took 260 s beside another worker, 61 s alone).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKER.startswith("gw") and _WORKERS > 1 and hasattr(os, "sched_getaffinity"):
    _CORES = sorted(os.sched_getaffinity(0))
    _SHARE = _CORES[int(_WORKER[2:]) % _WORKERS :: _WORKERS] if len(_CORES) >= _WORKERS else []
    if _SHARE:
        os.environ.setdefault("OMP_NUM_THREADS", str(len(_SHARE)))
        os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", ",".join(map(str, _SHARE)))

# transformers gives its loggers one StreamHandler bound to sys.stderr as it is at first use. Made inside a test,
# that is capsys's stream, closed when the test ends: a later test's transformers warning then prints a
# "--- Logging error ---" traceback on its own stderr. Bind it here, to the real stderr, before any test runs.
from transformers.utils import logging as _hf_logging  # noqa: E402

_hf_logging.get_logger("transformers")


@pytest.fixture
def sighup_as_in_a_terminal():
    """SIGHUP at its default action in the processes a test starts, as under a terminal: a suite run under `nohup`
    (or any runner that ignores SIGHUP) hands that ignore on to every child, and the CLI keeps an inherited ignore,
    as `nohup filingsum ...` asks, so a test of what SIGHUP does would see nothing happen."""
    before = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGHUP, before)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def shared_filings() -> Path:
    if not SHARED_FILINGS.is_dir():
        pytest.skip("../shared/filings is absent (it is only beside the project checkout in CI)")
    return SHARED_FILINGS


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from filingsum.core.models import load_tokenizer

    return load_tokenizer("tiny-random")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The modules that take minutes (a vLLM server, the whole demo, generation with the embedded model) run first:
# under `pytest -n 2 --dist loadfile` (make test) each worker starts on one of them and the short modules fill
# in around them, instead of one worker finishing alone on a long module at the end.
LONG_MODULES = ("test_e2e.py", "test_vllm_cpu.py", "test_builtin.py", "test_teacher.py", "test_resume.py",
                "test_faults_inputs.py", "test_faults.py", "test_faults_runs.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONG_MODULES.index(name) if name in LONG_MODULES else len(LONG_MODULES)

    items.sort(key=rank)  # stable: each module keeps its own order
