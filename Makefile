# The only commands a newcomer needs: `make run` and `make test`.
PORT ?= 8000
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PG_URL ?= postgres://postgres@127.0.0.1:5432/fenrun
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-sqlite test-pg install lint format audit bench bench-tree bench-commissions bench-analytics bench-spike messages chromium clean

$(VENV)/.stamp: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check uv==0.13.9
	$(UV) pip sync -q --python $(PY) requirements.lock
	touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

fenrun/static/vendor/.stamp: node_modules/.stamp scripts/vendor_assets.sh
	bash scripts/vendor_assets.sh
	touch $@

install: $(VENV)/.stamp fenrun/static/vendor/.stamp

# Browser tests drive Debian's chromium (and a CJK font for the screenshots); install them where missing.
chromium:
	@test -x $(CHROMIUM) || (command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium missing: install Debian's chromium package")
	@# Without a CJK font the test screenshots show the Chinese interface as empty boxes.
	@fc-list :lang=zh-tw 2>/dev/null | grep -q . || (command -v apt-get >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null \
	  || echo "no CJK font: install Debian's fonts-noto-cjk for readable screenshots")

run: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo
	@# The payment stand-ins call the shop back at FENRUN_SITE_URL: the port it serves on.
	FENRUN_PORT=$(PORT) FENRUN_SITE_URL=$${FENRUN_SITE_URL:-http://127.0.0.1:$(PORT)} $(VENV)/bin/honcho -f Procfile.dev start

test-sqlite: install chromium
	$(PY) -m pytest -n 2 --dist loadgroup --durations=12

# The concurrency tests (marked postgres) open up to 50 connections each: they run in a pass of
# their own, one at a time, so two of them never meet PostgreSQL's limit of 100 connections.
test-pg: install chromium
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -n 2 --dist loadgroup -m "not postgres" --database-tests-only --durations=12
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -p no:xdist -m postgres

test: test-sqlite test-pg lint

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Known vulnerabilities in the locked packages. Needs the advisory databases on the internet, so
# neither `make test` nor CI runs it (docs/operations.md).
audit: install
	$(UV) pip install -q --python $(PY) pip-audit==2.10.1
	$(VENV)/bin/pip-audit -r requirements.lock --progress-spinner off
	npm audit --omit=dev

# Each app keeps its own catalogue (fenrun/<app>/locale); fenrun/locale holds the shared templates'.
messages: install
	for d in fenrun/*/locale; do (cd $$(dirname $$d) && ../../$(PY) ../../manage.py makemessages -l zh_Hant -l en --no-obsolete -v 0); done
	$(PY) manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules

# Each benchmark defaults to the full 1,000,000-member size; pass ARGS="--members 100000" to shrink.
bench: bench-tree bench-commissions bench-analytics

bench-tree: install
	$(PY) benchmarks/tree_representations.py $(ARGS)

bench-commissions: install
	$(PY) benchmarks/commission_settlement.py $(ARGS)

bench-analytics: install
	$(PY) benchmarks/analytics_levels.py $(ARGS)

# A live stream's spike against gunicorn + PostgreSQL + Redis + the worker (about 4 minutes; needs
# PostgreSQL and Redis on 127.0.0.1). Not part of `make bench`, which measures sizes, not load.
bench-spike: install
	$(PY) benchmarks/live_spike.py $(ARGS)

clean:
	rm -rf $(VENV) node_modules fenrun/static/vendor db.sqlite3 media
