# modelbom developer tasks. Every target sets up .venv itself when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_FIXTURE := fixtures/finetune-app

FUZZ_SECONDS ?= 60

.PHONY: all install demo test lint typecheck pytest bench golden fuzz clean

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

## bench: build synthetic repositories and print scan figures
bench: $(STAMP)
	$(BIN)/python scripts/bench.py

## golden: regenerate the golden files after an intended change in output
golden: $(STAMP)
	MODELBOM_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden.py

## fuzz: long fuzzing runs: hypothesis (MODELBOM_FUZZ=long), then atheris when installed
fuzz: $(STAMP)
	MODELBOM_FUZZ=long $(BIN)/python -m pytest -q tests/test_fuzz.py \
		--hypothesis-show-statistics
	@if $(BIN)/python -c "import atheris" 2>/dev/null; then \
		for target in $$($(BIN)/python scripts/fuzz_atheris.py --list); do \
			$(BIN)/python scripts/fuzz_atheris.py $$target -max_total_time=$(FUZZ_SECONDS) \
				-print_final_stats=1 || exit 1; \
		done; \
	else \
		echo "atheris is not installed: coverage-guided fuzzing skipped" \
			"(install it with $(BIN)/pip install -e '.[fuzz]')"; \
	fi

clean:
	rm -rf $(VENV) demo-bom.json .mypy_cache .ruff_cache .pytest_cache .hypothesis .fuzz
