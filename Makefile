# newsapp: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs every test.
# With DATABASE_URL unset, an embedded PostgreSQL under var/ is started on demand and keeps
# running; `make db-stop` stops it.
SHELL := /bin/bash
# Python writes its compiled modules, where the environment may say not to: make test
# starts hundreds of Python processes (test workers, servers, commands), and each would
# compile Django and newsapp again from source (and pytest rewrite every test module).
unexport PYTHONDONTWRITEBYTECODE
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# `make test` runs the tests in three processes per two cores, at most 4 (pytest-xdist:
# each has a test database and a browser of its own): a process often waits on a
# browser, a server or a subprocess, and on 2 cores 3 processes took 212 s where 2 took
# 305 s. TEST_WORKERS=0 runs them all in one.
TEST_WORKERS ?= $(shell echo $$(( ($$(nproc) * 3 + 1) / 2 )))

# The first Python 3.12+ on the PATH (pyenv reads .python-version for `python3`).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)

.PHONY: install run test screenshots lint format bench-db bench bench-quick bench-import bench-extract train-cleaner bench-views bench-large bench-predictions bench-export bench-load bench-models bench-scaleout bench-peers chromium db-stop

install: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
		echo "newsapp needs Python 3.12 or newer, and none was found on the PATH."; \
		echo "Install it (e.g. 'pyenv install 3.12' or your system's python3.12 package) and run make again."; \
		exit 1; fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then rm -rf $(VENV); fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@# uv installs the same versions as pip in a third of the time (15 s instead of 46 s
	@# on a fresh machine; modules are compiled on first import, see above); pip does it
	@# alone where uv has no build for the platform.
	@if $(PY) -m pip install --quiet 'uv>=0.9'; then \
		$(PY) -m uv pip install --quiet --python $(PY) --editable '.[dev]'; \
	else $(PY) -m pip install --quiet --editable '.[dev]'; fi
	@touch $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo
	@# The task worker runs web imports and exports, restarted if it dies; it stops with the server.
	$(PY) manage.py run_worker --supervise --verbosity 0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn newsapp.wsgi --bind $(HOST):$(PORT) --workers 3 --access-logfile -

# Runs a command with the embedded PostgreSQL up: started first, so parallel test
# processes find it running, and stopped afterwards if this run was the one that started it.
with_db = state=$$($(PY) -m newsapp.embedded_db status); \
	$(PY) -m newsapp.embedded_db start >/dev/null && { $(1); }; rc=$$?; \
	if [ "$$state" = stopped ]; then $(PY) -m newsapp.embedded_db stop >/dev/null; fi; \
	exit $$rc

# Each process takes the next test when it is nearly done with its own (the slow ones
# come first), so long tests start early on every process instead of queueing on one;
# tests that share a costly installation go together (TOGETHER in tests/conftest.py).
test: install chromium
	@$(call with_db,NEWSAPP_PLAIN_STATIC=1 $(PY) -m pytest \
		-n $(TEST_WORKERS) --maxprocesses 4 --dist loadgroup $(PYTEST_ARGS))

# The browser tests that take screenshots, saving them over docs/*.png (the README's
# pictures); `make test` saves them in a temporary folder and leaves docs/ alone.
screenshots: install chromium
	@$(call with_db,NEWSAPP_SCREENSHOTS=docs NEWSAPP_PLAIN_STATIC=1 $(PY) -m pytest \
		-m screenshots $(PYTEST_ARGS))

# Stops the embedded PostgreSQL (it keeps running after make run, for the next command).
# Prints "not running" when it is stopped, "external" when DATABASE_URL is set.
db-stop:
	@if [ -x $(PY) ]; then $(PY) -m newsapp.embedded_db stop; else echo "not running"; fi

# Browser tests drive Debian's Chromium; Playwright cannot download its own here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); \
		else echo "Chromium is missing: install it (apt-get install chromium) for the browser tests."; fi; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench-import: bench-db
	$(PY) bench/import_speed.py

# newsapp beside Label Studio 1.23.2 (installed into var/peers/venv on first use) on the
# same PostgreSQL and corpus; writes its section of docs/benchmarks.md. QUICK=1: 1,000 docs.
bench-peers: bench-db
	$(PY) bench/peers.py --markdown docs/benchmarks.md $(if $(QUICK),--quick)

# Renders the 40 held-out benchmark pages with w3m and lynx first, when they are installed.
# Checkouts add sets (docs/cleaner.md): UPSTREAM=<scrapinghub/article-extraction-benchmark>,
# WCXB=<Murrough-Foley/web-content-extraction-benchmark>, MOZILLA=<mozilla/readability>,
# TRAFILATURA=<adbar/trafilatura>.
bench-extract: install
	@if command -v w3m >/dev/null && command -v lynx >/dev/null; then \
	$(PY) bench/render_dumps.py $(if $(UPSTREAM),--upstream $(UPSTREAM)) \
		$(if $(WCXB),--wcxb $(WCXB)) $(if $(MOZILLA),--mozilla $(MOZILLA)) \
		$(if $(TRAFILATURA),--trafilatura $(TRAFILATURA)) $(if $(L3S),--l3s $(L3S)); \
	else echo "w3m and lynx are not installed: scoring the 20 development pages only"; fi
	$(PY) bench/extract.py

# Retrains the cleaner's block model (annotate/ingest/pagedump/model.json) on the dev,
# held-out and upstream-tune pages: render them first (bench-extract UPSTREAM=...).
train-cleaner: install
	$(PY) bench/train_cleaner.py

# The recommenders on CoNLL++ and FNC-1 (bench/models.py): learning curves beside the
# dictionary suggestions, the annotator's actions per document, training and prediction
# time. Give the CoNLL++ training file (research use only) with CONLL_TRAIN=path.
CONLL_TRAIN ?= var/bench/conllpp_train.txt
bench-models: install
	$(PY) bench/models.py --conll-train $(CONLL_TRAIN)

# A fresh machine's database has no tables yet; bench/run.py does this itself.
bench-db: install
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py createcachetable

# Server time and query count of every screen, at 1,000 and 100,000 documents.
bench-views: bench-db
	$(PY) bench/views.py

# One 5 MB article on the annotation screen: opening it, a span save, one Accept all.
bench-large: bench-db
	$(PY) bench/large_document.py

# The annotation page with and without predictions; next in import and uncertainty order.
bench-predictions: bench-db
	$(PY) bench/predictions.py

# Spans/s of the spans export beside a raw COPY of the same rows, and its peak memory,
# at 10,000 and 1,000,000 spans (the projects are generated once and kept).
bench-export: bench-db
	$(PY) bench/export_speed.py

# 50 simulated annotators for 60 s against gunicorn, beside a trivial view's rate.
bench-load: bench-db
	$(PY) bench/load.py

# Two gunicorns on two ports and two task workers on one PostgreSQL, under the load test.
bench-scaleout: bench-db
	$(PY) bench/scaleout.py

# Everything of the scale issue at full size: var/bench/report.json and docs/benchmarks.md.
bench: install
	$(PY) bench/run.py --markdown docs/benchmarks.md

# The same parts at small sizes, in under two minutes.
bench-quick: install
	$(PY) bench/run.py --quick
