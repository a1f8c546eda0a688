# finews-crawler: everything a newcomer needs is one of these targets.
#   make demo    virtualenv + install + mock site + crawl 200 articles + show 3
#   make test    virtualenv + install + lint (ruff, mypy) + system packages + the whole test
#                suite (starts its own servers)
#   make system-deps  Debian packages the suite runs (redis-server, jekyll), when missing
#   make bench   benchmarks against peers, side by side (QUICK=1: under 3 minutes)
#   make chaos   kills, outages and faults; fails if an article is lost or doubled
#   make site-check  sample Jekyll site built and rendered in headless Chromium (screenshots)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# command:Debian package the suite needs; tests skip (naming `make system-deps`) without them.
SYSTEM_DEPS ?= redis-server:redis-server jekyll:jekyll chromium:chromium
# language:Debian font package (present when `fc-list :lang=LANGUAGE` finds a font or dpkg
# knows the package): the screenshots of the site show Chinese text.
SYSTEM_FONTS ?= zh:fonts-wqy-zenhei

.PHONY: venv system-deps demo test bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,distributed,bench]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# Idempotent and quiet: nothing to do when every command is present; installs the missing
# packages with apt-get as root; otherwise (not root, no apt-get, FINEWS_NO_APT set, apt-get
# failing) one line, and the tests that need them skip with a reason.
system-deps:
	@missing=""; \
	for pair in $(SYSTEM_DEPS); do \
		command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	for pair in $(SYSTEM_FONTS); do \
		[ -n "$$(fc-list ":lang=$${pair%%:*}" 2>/dev/null)" ] || dpkg -s "$${pair#*:}" >/dev/null 2>&1 \
			|| missing="$$missing $${pair#*:}"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ -n "$$FINEWS_NO_APT" ] || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "make system-deps: missing$$missing (run as root with apt-get); tests needing them skip"; \
		exit 0; \
	fi; \
	echo "make system-deps: apt-get install$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 \
	|| { apt-get update -qq >/dev/null 2>&1 \
		&& apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1; } \
	|| echo "make system-deps: apt-get could not install$$missing; tests needing them skip"

demo: venv
	$(BIN)/finews demo --articles 200

# CI runs `make test`: the lint checks (ruff, ruff format, mypy) first, so a type error fails it.
test: lint system-deps
	$(BIN)/python -m pytest -q

# make bench (full run, 12 to 17 minutes) | make bench QUICK=1 (under 3 minutes)
bench: venv
	$(BIN)/finews bench $(if $(QUICK),--quick,)

# make chaos (full suite, under 15 minutes) | make chaos QUICK=1 (3 SQLite rows, under a minute)
.PHONY: chaos
chaos: venv system-deps
	$(BIN)/python -m tests.chaos $(if $(QUICK),--quick,)

# Exports a sample site, builds it with jekyll, renders the index and a post in headless
# Chromium: docs/screenshots/{index,post}.png (the README shows them).
.PHONY: site-check
site-check: venv system-deps
	$(BIN)/python -m tests.site_check --out docs/screenshots

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache build *.egg-info
