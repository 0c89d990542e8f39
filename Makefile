# Two entry points a fresh machine needs: `make site` and `make test`.
# Both create .venv, install the project, and install the system programs the
# verification needs (apache2, bubblewrap) when they are missing; `make test` also chromium, node
# and npm, and axe-core (pinned, into .venv/npm) for the accessibility test.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.faqkb-installed
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)

export NO_MKDOCS_2_WARNING := 1

.PHONY: site test lint bench system-deps test-deps clean wheel matrix

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m compileall -q faqkb
	touch $@

system-deps:
	@bash .ci/system-deps site

test-deps:
	@bash .ci/system-deps test

site: $(STAMP) system-deps
	$(BIN)/faqkb build --strict --jobs $(JOBS)

test: $(STAMP) test-deps
	$(BIN)/ruff check faqkb tests bench
	$(BIN)/mypy
	FAQKB_ARTIFACTS=$(CURDIR)/tests/artifacts $(BIN)/pytest -n $(JOBS) -q

lint: $(STAMP)
	$(BIN)/ruff check faqkb tests bench
	$(BIN)/mypy
	$(BIN)/faqkb lint docs/faq

bench: $(STAMP) system-deps
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/search_eval.py
	$(BIN)/python bench/search_eval.py bench/data/clean-room-queries.jsonl
	$(BIN)/python bench/search.py
	$(BIN)/python bench/server.py
	$(BIN)/python bench/mutation.py
	$(BIN)/python bench/interrupt.py

# The wheel ships this KB's search index, verified output included, so an installed faqkb
# answers `faqkb search` anywhere. It is made here, not committed: it follows every entry
# edit and verification, which only a real verify run (sandbox, httpd) can produce.
SHIPPED_INDEX := faqkb/search/shipped/search.sqlite
wheel: $(STAMP) system-deps
	$(BIN)/faqkb verify --jobs $(JOBS)
	$(BIN)/faqkb index --out $(SHIPPED_INDEX)
	$(BIN)/pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation -w dist .

# Verify the KB with a second OpenSSL: 3.5, built once from Debian 13's source package into
# $(OPENSSL35) (long: started niced), its command-line tool first on the commands' PATH
# (FAQKB_TOOLS_PATH); then with the system's, and build the site, whose marks name both versions.
OPENSSL35 ?= .cache/openssl-3.5
matrix: $(STAMP) system-deps
	nice -n 10 bash .ci/openssl-3.5 $(OPENSSL35)
	FAQKB_TOOLS_PATH=$(abspath $(OPENSSL35))/faqkb-bin $(BIN)/faqkb verify --strict --jobs $(JOBS)
	$(BIN)/faqkb verify --strict --jobs $(JOBS)
	$(BIN)/faqkb build --strict --jobs $(JOBS)

clean:
	rm -rf site .faqkb-cache .pytest_cache
