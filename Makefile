# finews-crawler: everything a newcomer needs is one of these targets.
#   make demo    virtualenv + install + mock site + crawl 200 articles + show 3
#   make test    virtualenv + install + the whole test suite (starts its own servers)
#   make bench   benchmarks against peers, side by side (QUICK=1: under 3 minutes)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: venv demo test bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,distributed,bench]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/finews demo --articles 200

test: venv
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# make bench (full run, about 17 minutes) | make bench QUICK=1 (under 3 minutes)
bench: venv
	$(BIN)/finews bench $(if $(QUICK),--quick,)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache build *.egg-info
