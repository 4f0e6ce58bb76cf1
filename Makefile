# Two commands for a newcomer: `make serve` (set up, then start API + Datasette) and
# `make test` (set up, then lint and run the tests). Both create .venv on first use.
# The first Python 3.11+ on PATH, newest first: macOS's own python3 may be 3.9.
# `make PYTHON=/path/to/python3.12 ...` picks one by hand.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-test serve test lint browser screenshots mutation stress clean

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" && $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "Python 3.11 or newer is needed; found: $$(python3 --version 2>&1 || echo 'no python3')."; \
		echo "Install one, then run make again:"; \
		echo "  macOS:  brew install python@3.12   (or the installer from https://www.python.org/downloads/)"; \
		echo "  Debian/Ubuntu:  sudo apt install python3.11 python3.11-venv"; \
		echo "or point make at one: make PYTHON=/path/to/python3.12 serve"; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

# The test tools (pytest, playwright, hypothesis...) only for `make test`.
$(BIN)/.installed-test: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(BIN)/.installed

install-test: $(BIN)/.installed-test

serve: install
	$(BIN)/prompt-improver serve --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check writer tests plugins
	$(BIN)/ruff format --check writer tests plugins

# The browser tests drive Debian's chromium; install it when we can, skip them when we cannot.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing chromium for the browser tests (apt-get)..."; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
				|| echo "chromium could not be installed: the browser tests will be skipped"; \
		else \
			echo "chromium is missing and cannot be installed here (needs root and apt-get): the browser tests will be skipped"; \
		fi; }

test: lint browser
	$(BIN)/python -m pytest

# The README's screenshots in docs/screenshots are rewritten only here, never by `make test`.
screenshots: install-test browser
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/test_browser.py -q

# Mutation testing (mutmut; see [tool.mutmut] in pyproject.toml and docs/testing.md) of the
# writer, records validation, the spool and the API's error mapping, within a time budget.
# An interrupted run keeps what it checked in mutants/; run it again to go on.
# MUTANTS picks the functions (mutmut names; methods are xǁClassǁname): the write path, not
# its status reports, log texts, OpenAPI document or WAL/retention maintenance.
MUTATION_BUDGET_S ?= 3600
MUTANTS ?= $(foreach f,_params _extract _batch_json _settle _resolve _enqueue _submit submit \
	_wait close _loop _run _handle _commit _insert_jobs _run_calls _to_spool _replay _failed \
	_succeeded breaker _connection _file_identity _disconnect replay_spool,'writer.storage.x*ǁ$(f)__mutmut_*' 'writer.storage.x_$(f)__mutmut_*') \
	'writer.records.*' \
	$(foreach f,__init__ locked append read truncate,'writer.spool.x*ǁ$(f)__mutmut_*') 'writer.spool.x_spool_path__mutmut_*' \
	$(foreach f,_no_duplicate_keys read_json require_write_token client_name improve_prompt \
	write_history write_feedback no_route,'writer.api.x_$(f)__mutmut_*')
mutation: install-test
	$(BIN)/python -m pip install --quiet -e '.[mutation]'
	timeout $(MUTATION_BUDGET_S) $(BIN)/mutmut run --max-children 2 $(MUTANTS) \
		|| echo "mutmut stopped (budget of $(MUTATION_BUDGET_S) s, or an error above)"
	$(BIN)/python -m tests.mutation_score $(MUTANTS)

# The timing-sensitive tests, RUNS times in a row beside two CPU-bound processes.
RUNS ?= 20
stress: install-test
	$(BIN)/python -m tests.stress --runs $(RUNS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info mutants
