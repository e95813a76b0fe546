# The targets the README tells people to run.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run setup test lint serve clean-db chromium

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## Set up everything (virtualenv, database, reference and demonstration data, demo users).
setup: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_demo

## Set up, then serve the site on http://127.0.0.1:8000/
run: setup
	$(PY) manage.py runserver 127.0.0.1:8000

## Lint, check for missing migrations, run the whole suite (browser tests included).
test: $(STAMP) chromium
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

## Debian's Chromium for the browser tests (Playwright never downloads a browser here).
chromium:
	@if [ -x /usr/lib/chromium/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get install -y -qq chromium >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; \
	else echo "No Chromium and no way to install it: browser tests will be skipped."; fi
