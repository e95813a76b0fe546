# The targets the README tells people to run.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
ASSETS := iqf/static/govuk/iqf.css

.PHONY: run setup test lint serve clean-db chromium wrk postgresql tools assets bench loadfault \
	serve-prod backup restore

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# GOV.UK Frontend from its Sass source (system font), its images and its script.
$(ASSETS): $(NODE_STAMP) iqf/assets/iqf.scss
	rm -rf iqf/static/govuk && mkdir -p iqf/static/govuk/assets
	cp -R node_modules/govuk-frontend/dist/govuk/assets/images node_modules/govuk-frontend/dist/govuk/assets/manifest.json iqf/static/govuk/assets/
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js iqf/static/govuk/
	node_modules/.bin/sass --no-source-map --style=compressed --load-path=node_modules iqf/assets/iqf.scss $(ASSETS)

## Build the public site's stylesheet and scripts.
assets: $(ASSETS)

## Set up everything (virtualenv, database, reference and demonstration data, demo users).
setup: $(STAMP) $(ASSETS)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_demo

## Set up, then serve the site on http://127.0.0.1:8000/
run: setup
	$(PY) manage.py runserver 127.0.0.1:8000

## Lint, check the formatting, the types and the layering and for missing migrations, run
## the whole suite (browser tests included).
test: $(STAMP) $(ASSETS) tools lint
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

## Production settings on loopback: make serve-prod DATABASE_URL=postgres://USER@HOST/DB
## (gunicorn, 4 workers, whitenoise, persistent connections, plain HTTP on 127.0.0.1:8000,
## so the deployment check warns only that HTTPS is not enforced).
## Without SECRET_KEY a random one is made for this run (sessions end when it stops).
PROD_ENV = DJANGO_ENV=production SECURE_SSL_REDIRECT=$${SECURE_SSL_REDIRECT:-false} \
	PROXY_COUNT=$${PROXY_COUNT:-0} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost} \
	SECRET_KEY=$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}
serve-prod: $(STAMP) $(ASSETS)
	@test -n "$(DATABASE_URL)" || { echo "make serve-prod needs DATABASE_URL=postgres://…"; exit 2; }
	export $(PROD_ENV) && \
	$(PY) manage.py check --deploy --fail-level ERROR && \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py collectstatic --noinput -v 0 && \
	exec $(VENV)/bin/gunicorn iqf.wsgi --workers 4 --bind 127.0.0.1:8000 \
		--access-logfile - --forwarded-allow-ips 127.0.0.1

## A consistent copy of the whole database in backups/ (or FILE=path): SQLite's online
## backup, or pg_dump with DATABASE_URL set.
backup: $(STAMP)
	$(PY) manage.py backup $(FILE)

## Replace the whole database with a backup: make restore FILE=backups/iqf-….sqlite3
restore: $(STAMP)
	@test -n "$(FILE)" || { echo "make restore needs FILE=path/to/backup"; exit 2; }
	$(PY) manage.py restore $(FILE)

## The checks that need no database: ruff (lint and format), mypy, the layering contracts.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

## The benchmark at K times the source's size (make bench K=100 [DATABASE_URL=postgres://…]
## [LOAD=60]): one table of figures, floors and ratios, written to benchmarks/.
K ?= 1
LOAD ?= 60
bench: $(STAMP) $(ASSETS) wrk
	$(PY) manage.py benchmark --scale $(K) --load-seconds $(LOAD) $(BENCH_OPTIONS)

## Load and faults (make loadfault [K=1] [DURATION=60]): load on the public pages, a worker
## killed, PostgreSQL restarted and an import interrupted, on a PostgreSQL server of the
## run's own; one table of checks, written to benchmarks/loadfault-K.json and .md.
DURATION ?= 60
loadfault: $(STAMP) $(ASSETS) wrk postgresql
	$(PY) manage.py loadfault --scale $(K) --duration $(DURATION) $(LOADFAULT_OPTIONS)

## What the tests, the benchmark and the fault run drive: Debian's Chromium, wrk and
## PostgreSQL's server (installed as root).
tools: chromium wrk postgresql

postgresql:
	@if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's postgresql for the load-and-faults run"; \
		apt-get install -y -qq postgresql >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }; \
	else echo "No PostgreSQL server and no way to install it: the load-and-faults test will be skipped."; fi

wrk:
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's wrk for the load test"; \
		apt-get install -y -qq wrk >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }; \
	else echo "No wrk and no way to install it: the benchmark will skip its load test."; fi

## Debian's Chromium for the browser tests (Playwright never downloads a browser here).
chromium:
	@if [ -x /usr/lib/chromium/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get install -y -qq chromium >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; \
	else echo "No Chromium and no way to install it: browser tests will be skipped."; fi
