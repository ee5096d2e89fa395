# Inkwell: `make run` sets everything up and serves; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
THEME := apps/theme/static_src
CSS := apps/theme/static/css/dist/styles.css
CHROMIUM ?= /usr/bin/chromium

# The integration suite's real services (started on every dev and CI machine).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/inkwell
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PYTEST_WORKERS ?= 2
E2E_WORKERS ?= 2

# Locked, hashed dependencies (`make lock` writes them from pyproject.toml).
LOCK := requirements/lock.txt
DEV_LOCK := requirements/dev-lock.txt

.PHONY: help run dev static serve setup install runtime lock npm-install css messages messages-update migrate demo test quick lint infra-check docs docs-serve fmt unit integration e2e bench bench-embedded bench-newsletter bench-analytics clean api-schema lighthouse screenshots

help:
	@echo "make run          set up everything (venv, deps, CSS, migrations, demo content) and serve on http://$(HOST):$(PORT) as visitors see it (DEBUG off)"
	@echo "make dev          like run, for development: DEBUG on, autoreload on code changes"
	@echo "make serve        serve only (HTTP + WebSocket, uvicorn)"
	@echo "make test         lint + types + infra-check + unit (SQLite) + integration (PostgreSQL, Redis) + e2e (Chromium)"
	@echo "make infra-check  every file under infrastructure/ and .github/ checked by its real tool, the image built and smoke-tested"
	@echo "make quick        lint + unit: the edit loop"
	@echo "make bench       Inkwell in its production shape against a Django hello-world (wrk)"
	@echo "make bench-analytics   10 million analytics events over 90 days: dashboard queries and ingestion (EVENTS=n)"
	@echo "make bench-newsletter  a campaign to 100,000 generated subscribers into an SMTP sink (SUBSCRIBERS=n)"
	@echo "make lighthouse   Lighthouse mobile scores of the home page and a post with 100 comments (production shape)"
	@echo "make screenshots  refresh the editor screenshots of docs/user/writing.md from the browser suite"
	@echo "make lint | unit | integration | e2e | docs | fmt | lock | css | migrate | demo | bench-embedded | clean"

# `make run` shows the product as a visitor gets it: DEBUG off (the site's own 404 and 500
# pages), static files collected with hashed names, compressed and cached for a year by
# whitenoise. The embedded defaults (secret key, localhost hosts) still apply: no setup.
# `make dev` is the developer's loop: DEBUG on, static files from the source, autoreload.
VISITOR_ENV := DJANGO_DEBUG=false DJANGO_STATIC_COLLECTED=true

run: setup static
	@$(VISITOR_ENV) $(MAKE) --no-print-directory serve

dev: setup
	DJANGO_DEBUG=true DJANGO_STATIC_COLLECTED=false $(PY) manage.py serve --host $(HOST) --port $(PORT) --reload

setup: runtime css messages migrate demo

serve: runtime
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

static: runtime css messages
	$(VISITOR_ENV) $(PY) manage.py collectstatic --noinput -v0

# --- Python ---------------------------------------------------------------

install: $(VENV)/.installed
runtime: $(VENV)/.runtime

# Installs exactly the locked versions (every file checked against its hash), then the project
# itself without its dependencies: the lock holds setuptools, so the build needs no download.
# `make run` needs only what the site runs on ($(LOCK)); lint, tests and tools add the dev lock.
define venv_install
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
	  echo "Inkwell needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Run again with PYTHON=python3.11 (or newer): make run PYTHON=python3.12"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(1)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
endef

$(VENV)/.runtime: $(LOCK) pyproject.toml
	$(call venv_install,$(LOCK))
	@touch $@

$(VENV)/.installed: $(DEV_LOCK) $(LOCK) pyproject.toml
	$(call venv_install,$(DEV_LOCK))
	@touch $(VENV)/.runtime $@

# Re-resolve the locks after editing the dependencies in pyproject.toml; pins of packages you did
# not touch stay. `make lock UPGRADE=1` moves everything to the newest allowed versions,
# `make lock UPGRADE="django pillow"` only those. The production lock takes the dev lock's pins.
UPGRADE ?=
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml requirements/build.in --universal \
	--python-version 3.11 --generate-hashes --custom-compile-command "make lock" --quiet

lock: install
	$(UV_COMPILE) --extra dev $(if $(filter 1 all,$(UPGRADE)),--upgrade,$(foreach p,$(UPGRADE),--upgrade-package $(p))) --output-file $(DEV_LOCK)
	@pins=$$(mktemp) && trap 'rm -f $$pins' EXIT \
	  && sed -n 's/^\([A-Za-z0-9._-]*==[^ ;]*\).*/\1/p' $(DEV_LOCK) > $$pins \
	  && $(UV_COMPILE) --constraint $$pins --output-file $(LOCK) \
	  && sed -i '/^    #   -c /d' $(LOCK)

# --- Front end: Tailwind through npm (no standalone binary: it would be downloaded) ---

npm-install: $(THEME)/node_modules/.installed

$(THEME)/node_modules/.installed: $(THEME)/package.json $(THEME)/package-lock.json
	@command -v npm >/dev/null || { \
	  echo "npm is missing: Inkwell builds its CSS with Tailwind from npm."; \
	  echo "Install Node.js 20+ and npm (Debian/Ubuntu: sudo apt-get install nodejs npm), then run make again."; exit 1; }
	cd $(THEME) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

CSS_SOURCES := $(shell find templates components apps static/js -name '*.html' -o -name '*.py' -o -name '*.js' 2>/dev/null | grep -v node_modules) $(wildcard $(THEME)/src/*.css)

css: $(CSS)

$(CSS): $(VENV)/.runtime $(THEME)/node_modules/.installed $(CSS_SOURCES)
	$(PY) manage.py tailwind build
	@touch $@

# --- Interface translations ------------------------------------------------
# Each catalog (locale/ for templates/ and components/, apps/<app>/locale/ for an app) is
# compiled by Babel, from the lock: no GNU gettext needed to run or test. `make messages-update`
# collects new strings into the .po files (that needs GNU gettext: apt-get install gettext).

PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po locale/*/LC_MESSAGES/djangojs.po apps/*/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
I18N_LANGUAGES ?= de ar
MAKEMESSAGES := makemessages $(foreach l,$(I18N_LANGUAGES),-l $(l)) --no-obsolete --add-location file

messages: $(MO_FILES)

%.mo: %.po $(VENV)/.runtime
	$(BIN)/pybabel --quiet compile --input-file $< --output-file $@

messages-update: runtime
	cd $(CURDIR) && $(PY) manage.py $(MAKEMESSAGES) --ignore 'apps/*' --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'tests/*' --ignore 'docs/*' --ignore 'site/*' --ignore 'var/*' --ignore 'static/*'
	cd $(CURDIR) && $(PY) manage.py $(MAKEMESSAGES) -d djangojs --ignore 'apps/*' --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'tests/*' --ignore 'docs/*' --ignore 'site/*' --ignore 'var/*' --ignore 'static/vendor/*'
	for app in $(patsubst %/locale,%,$(wildcard apps/*/locale)); do \
	  (cd $$app && PYTHONPATH=$(CURDIR) DJANGO_SETTINGS_MODULE=project.settings $(CURDIR)/$(BIN)/django-admin $(MAKEMESSAGES)) || exit 1; \
	done

# --- Database and demo content --------------------------------------------

migrate: runtime
	$(PY) manage.py migrate --noinput

demo: runtime
	$(PY) manage.py seed_demo $(if $(filter production,$(DJANGO_ENV)),,--admin)

# --- Tests ------------------------------------------------------------------

test: lint infra-check unit integration e2e

# The edit loop: every static check and the quick suite, no services or browser needed.
quick: lint unit

# Static checks; the import contracts live in .importlinter, the docs site must build cleanly.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/djlint templates components apps --lint --quiet
	$(BIN)/lint-imports
	$(PY) infrastructure/ci/check-catalogs.py
	$(MKDOCS_BUILD)

# The documentation as a site (mkdocs-material, mkdocs.yml). --strict turns every warning,
# a broken link or anchor among them, into a failure. The output in site/ is not committed.
MKDOCS_BUILD := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

docs: install
	$(MKDOCS_BUILD)

docs-serve: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr $(HOST):8001

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every file under infrastructure/ and .github/workflows/ checked by its real tool: nginx -t,
# kustomize + strict schema validation of each overlay, promtool, hadolint, actionlint,
# shellcheck, the compose schema, and the production image built with podman and
# smoke-tested (docs/development.md#make-infra-check). Installs the Debian tools it lacks.
# `make infra-check CHECKS="nginx kustomize"` runs only those.
CHECKS ?=
infra-check: install
	BIN=$(BIN) bash infrastructure/ci/infra-check.sh $(CHECKS)

# The quick suite on the embedded default (SQLite, local memory, in-memory layer).
unit: install css messages
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e and not postgres"

# The whole suite again on the real PostgreSQL and Redis, plus the tests that need them.
integration: install css messages
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e"

# Browser journeys in pytest processes of their own (Playwright and asyncio tests cannot share
# one): E2E_WORKERS of them, each with its own server, database and browser; a file's
# journeys stay together on one worker.
e2e: install css messages
	@if [ -x "$(CHROMIUM)" ]; then \
	  env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -m e2e -n $(E2E_WORKERS) --dist loadfile; \
	else \
	  echo; echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo "!! BROWSER SUITE SKIPPED: no Chromium at $(CHROMIUM)."; \
	  echo "!! Install it with: sudo apt-get install -y chromium   (then: make e2e)"; \
	  echo "!! Everything else ran. CI installs Chromium, so it never skips this."; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; echo; \
	fi

# The API contract: OpenAPI documents and the mobile client's TypeScript types, from the code.
# Commit docs/api/ afterwards; tests/api/test_contract.py fails when they drift.
api-schema: install npm-install
	$(PY) manage.py api_schema --out docs/api
	for v in v1 v2; do \
	  $(THEME)/node_modules/.bin/openapi-typescript docs/api/openapi-$$v.json -o docs/api/$$v.d.ts || exit 1; \
	done

# Inkwell in its production shape (granian WSGI 2×4, 2 ASGI processes, PostgreSQL, Redis,
# DJANGO_ENV=production) beside a Django hello-world, measured with wrk in one sitting
# (docs/development.md#benchmarks). It creates and drops its own database and empties two
# Redis databases (BENCH_REDIS_URL, BENCH_CHANNEL_LAYER_URL). wrk comes from the system.
# `make bench DURATION=20 ROUNDS=3`, `make bench SEARCH=1` (+ search over 100,000 posts),
# `make bench NGINX=0` (without the tier through nginx's production file).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/inkwell_bench_run
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/6
BENCH_CHANNEL_LAYER_URL ?= redis://127.0.0.1:6379/7
DURATION ?= 10
ROUNDS ?= 2
SEARCH ?=
NGINX ?=

bench: install css messages
	@command -v wrk >/dev/null || { \
	  echo "wrk is missing: make bench measures with it and installs nothing itself."; \
	  echo "Install it with: sudo apt-get install -y wrk   (macOS: brew install wrk)"; exit 1; }
	$(PY) tests/perf/bench_production.py --duration $(DURATION) --rounds $(ROUNDS) \
	  --database $(BENCH_DATABASE_URL) --redis $(BENCH_REDIS_URL) \
	  --channel-redis $(BENCH_CHANNEL_LAYER_URL) $(if $(filter 1 yes true,$(SEARCH)),--search) \
	  $(if $(filter 0 no false,$(NGINX)),--no-nginx)

# A newsletter campaign to N generated subscribers (default 100,000) sent by a real db_worker
# into an aiosmtpd sink in another process: messages per second and the worker's peak RSS.
# Creates and drops the inkwell_newsletter_bench database next to BENCH_DATABASE_URL's.
SUBSCRIBERS ?= 100000
bench-newsletter: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) tests/perf/bench_newsletter.py --subscribers $(SUBSCRIBERS)

# Lighthouse (npm, mobile) against the production shape: the home page and a post with 100
# comments; fails under performance 95 or accessibility, best practices, SEO 100, or when the
# home page's first-load CSS + JS pass 60 KB compressed. PostgreSQL and Redis as for the bench.
LIGHTHOUSE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/inkwell_bench_lighthouse
LIGHTHOUSE_REDIS_URL ?= redis://127.0.0.1:6379/6
LIGHTHOUSE_RUNS ?= 1

lighthouse: install css npm-install
	CHROME_PATH=$(CHROMIUM) $(PY) tests/perf/lighthouse.py --database $(LIGHTHOUSE_DATABASE_URL) \
	  --redis $(LIGHTHOUSE_REDIS_URL) --runs $(LIGHTHOUSE_RUNS) --chrome $(CHROMIUM)

# The screenshots of docs/user/writing.md, taken by the editor's browser journeys.
screenshots: install css
	INKWELL_SCREENSHOTS=docs/user/img env -u DATABASE_URL -u REDIS_URL \
	  $(BIN)/pytest -m e2e -p no:xdist tests/e2e/test_editor.py

# Analytics at scale (manage.py analytics_bench): EVENTS (default 10,000,000) over 90 days in
# a database of its own (created and migrated here; its analytics tables are emptied each run).
EVENTS ?= 10000000
ANALYTICS_BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/inkwell_analytics_bench
bench-analytics: install
	-psql "$(dir $(ANALYTICS_BENCH_DATABASE_URL))postgres" -qc "CREATE DATABASE $(notdir $(ANALYTICS_BENCH_DATABASE_URL))" 2>/dev/null
	DATABASE_URL=$(ANALYTICS_BENCH_DATABASE_URL) $(PY) manage.py migrate --no-input -v0
	DATABASE_URL=$(ANALYTICS_BENCH_DATABASE_URL) $(PY) manage.py analytics_bench --events $(EVENTS) --yes

# The older comparison: one embedded ASGI process (SQLite), the page cache off and on.
bench-embedded: install css
	$(PY) tests/perf/bench_pages.py

clean:
	rm -rf $(VENV) $(THEME)/node_modules apps/theme/static/css/dist var site .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
