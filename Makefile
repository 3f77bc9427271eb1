# Two commands do everything on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.kpikit-installed
OUT    ?= build/demo

.PHONY: demo test bench lint format samples clean help

help:
	@echo "make demo   - set up .venv and run kpikit on data_samples/ (prints where the output is)"
	@echo "make test   - set up .venv and run lint + the whole test suite"
	@echo "make bench  - run benchmarks/ and print speed ratios"
	@echo "make samples - regenerate data_samples/ (deterministic)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kpikit demo --out $(OUT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

samples: $(STAMP)
	$(BIN)/kpikit samples --out data_samples

clean:
	rm -rf $(VENV) build .pytest_cache
