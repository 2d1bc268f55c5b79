# Two commands for a new machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint install chromium clean bench load catalogues messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

# Translation catalogues are compiled from the committed .po files (Babel; no system gettext), never committed.
PO_FILES := $(wildcard src/healthlinks/locale/*/LC_MESSAGES/django.po src/healthlinks/reference/catalogue/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
$(MO_FILES): %.mo: %.po $(STAMP)
	$(BIN)/python -m healthlinks.catalogues compile

catalogues: $(MO_FILES)

install: $(STAMP) catalogues

# venv + install, migrate (reference data), demo world when the database is empty, serve.
run: $(STAMP) catalogues
	$(BIN)/healthlinks migrate
	$(BIN)/healthlinks demo --if-empty --scale S --seed 1
	$(BIN)/healthlinks serve --port $(PORT)

# Browser tests drive Debian's Chromium through Playwright (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  { echo "installing Debian's chromium for the browser tests"; \
	    $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: $(STAMP)
ifeq ($(HEALTHLINKS_TEST_PASS),second)
	@echo "lint: done in the first pass of .ci/run"
else
	$(BIN)/ruff check src tests tools bench
	$(BIN)/mypy src
	$(BIN)/python tools/audit_dependencies.py
endif

# pytest-xdist: one worker per core, each test file on one worker (its module-scoped worlds are built once)
TEST_WORKERS ?= auto
test: $(STAMP) catalogues chromium lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# After changing visible text: collect the messages into the .po files (needs GNU gettext), then translate them.
messages: $(STAMP)
	cd src/healthlinks && DJANGO_SETTINGS_MODULE=healthlinks.settings ../../$(BIN)/django-admin makemessages -l fr -l pt -l ar --no-obsolete --no-location

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static

# Speed, measured (docs/benchmarks.md): every analysis and the dashboard cold, warm and after one edit, beside pandas, ORM and DuckDB
# baselines, then IATI throughput. Demo worlds are built once under var/bench (M takes about 3 minutes; L, about
# 15: BENCH_SCALES=S,M,L). Results: bench/results.json.
BENCH_SCALES ?= S,M
bench: $(STAMP) bench-iati
	$(BIN)/python bench/analytics.py --scales $(BENCH_SCALES)
	$(BIN)/python bench/pickers.py --scales $(BENCH_SCALES)
	$(BIN)/python bench/pages.py

# IATI import throughput on generated 100 and 400 MB files (SQLite; 100 MB also into PostgreSQL on
# 127.0.0.1:5432, scratch database hl_bench_iati), beside the bare lxml parse, and the export of 10,000 activities.
.PHONY: bench-iati
bench-iati: $(STAMP)
	$(BIN)/python bench/iati.py --sizes 100,400 --postgres-sizes 100 --export 10000

# Load (docs/reliability.md): LOAD_USERS users for LOAD_MINUTES minutes against `serve --production` on 127.0.0.1,
# the M demo world in PostgreSQL (127.0.0.1:5432, database hl_bench_m_1, built once). Results: bench/load.json.
LOAD_USERS ?= 50
LOAD_MINUTES ?= 5
load: $(STAMP)
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[load]'
	pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql)" main start
	$(BIN)/python bench/load.py --users $(LOAD_USERS) --minutes $(LOAD_MINUTES)
