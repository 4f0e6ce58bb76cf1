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

.PHONY: install install-test serve test lint browser clean

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
