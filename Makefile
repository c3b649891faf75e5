# Two commands do all set-up on a fresh machine that has only Python:
#   make run    build .venv on first use, then open the desktop app
#   make test   build .venv on first use, then run the test suite
# For development: make lint (ruff and mypy), make test-fast (the tests not marked slow).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch 2.13.0 where a local wheel exists (it does on the project's build machines); anywhere
# else pip takes the normal PyPI wheel, which includes CUDA on Linux. Override: make TORCH_SPEC="torch==2.9.1".
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "$(TORCH_SPEC)" \
		|| $(BIN)/python -m pip install --quiet torch
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ganstudio

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
