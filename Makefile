# modelbom developer tasks. Every target sets up .venv itself when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_FIXTURE := fixtures/finetune-app

.PHONY: all install demo test lint typecheck pytest bench golden clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## demo: scan the bundled fixture repository and write demo-bom.json (CycloneDX 1.6)
demo: $(STAMP)
	$(BIN)/modelbom scan $(DEMO_FIXTURE) -o demo-bom.json
	@echo "wrote demo-bom.json"

## test: ruff, mypy --strict and the whole pytest suite
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

## bench: speed, memory and resolution figures on synthetic repositories of 10k and 100k
## files (kept in ~/.cache/modelbom-bench); BENCH_ARGS=--quick for 10k only. See
## docs/performance.md. Not part of `make test`.
bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

## golden: regenerate the golden files after an intended change in output
golden: $(STAMP)
	MODELBOM_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden.py

clean:
	rm -rf $(VENV) demo-bom.json .mypy_cache .ruff_cache .pytest_cache
