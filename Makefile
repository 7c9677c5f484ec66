# modelbom developer tasks. Every target sets up .venv itself when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_FIXTURE := fixtures/finetune-app

FUZZ_SECONDS ?= 60

.PHONY: all install demo test lint typecheck pytest chromium bench golden fuzz clean

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

## test: ruff, mypy --strict and the whole pytest suite (installing Chromium first, see below)
test: chromium lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) chromium
	$(BIN)/python -m pytest -q

## chromium: the headless browser the tests of the html report open the page in. Installed
## from the Debian archive when /usr/bin/chromium is missing and we are root (a fresh CI
## machine); otherwise a note, and the browser tests skip (or fail when CI is set).
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ -x $(CHROMIUM) ]; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium (apt-get install chromium)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  if ! apt-cache show chromium >/dev/null 2>&1; then apt-get update -q; fi; \
	  apt-get install -y -q --no-install-recommends chromium \
	    || { apt-get update -q && apt-get install -y -q --no-install-recommends chromium; } \
	    || echo "note: chromium could not be installed; the browser tests will skip" \
	            "(and fail when CI is set)"; \
	else \
	  echo "note: $(CHROMIUM) is missing and cannot be installed here (not root, or no apt-get);" \
	       "the browser tests of the html report will skip (and fail when CI is set)"; \
	fi

## bench: speed, memory and resolution figures on synthetic repositories of 10k and 100k
## files (kept in ~/.cache/modelbom-bench); BENCH_ARGS=--quick for 10k only. See
## docs/performance.md. Not part of `make test`.
bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

## golden: regenerate the golden files after an intended change in output
golden: $(STAMP)
	MODELBOM_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden.py
	MODELBOM_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_emit_html.py -k golden

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
