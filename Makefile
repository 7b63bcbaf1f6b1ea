# yibao — two commands: `make run` and `make test`. Everything else is set up by these.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCK := requirements.lock
UV_VERSION ?= 0.13.9
PIP := $(BIN)/pip --quiet --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup lock browser run test lint typecheck unit bench bench-api bench-pages bench-batch bench-scale messages clean

## setup: .venv with exactly the versions of requirements.lock (hash-checked), then yibao itself;
## a changed lock file (or pyproject.toml) reinstalls
$(STAMP): pyproject.toml $(LOCK)
	$(PY) -m venv $(VENV)
	$(PIP) install --require-hashes -r $(LOCK)
	$(PIP) install --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

## make lock: after editing the dependencies in pyproject.toml, pin them all again (uv pip compile,
## every platform, with hashes) into requirements.lock; commit both files. Pins already in the
## lock are kept where they still fit; `make lock LOCK_FLAGS=--upgrade` moves all to the newest.
LOCK_FLAGS ?=
lock:
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	test -x $(BIN)/uv || $(PIP) install 'uv==$(UV_VERSION)'
	if [ -f $(LOCK) ]; then cp $(LOCK) $(LOCK).new; fi
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	  --generate-hashes --no-header --quiet $(LOCK_FLAGS) -o $(LOCK).new
	{ printf '%s\n' \
	  '# requirements.lock: every dependency of yibao (pyproject.toml, with the dev extra), pinned' \
	  '# with hashes. make setup / make run / make test install exactly this (pip --require-hashes).' \
	  '# Do not edit by hand: change pyproject.toml, run `make lock`, commit both files.'; \
	  cat $(LOCK).new; } > $(LOCK)
	rm -f $(LOCK).new

## browser: the browser tests (tests/e2e) drive Debian's chromium by path, never a downloaded
## browser; install it when missing (needs root, as CI has; otherwise those tests are skipped),
## with a Chinese font so that the screenshots show characters, not boxes
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
browser:
	@{ test -x /usr/bin/chromium && test -f $(CJK_FONT); } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei; \
	  else echo "warning: chromium or a Chinese font missing and not root: browser tests may be skipped"; fi; }

## make run: set up, prepare the embedded SQLite database with demo data, serve on :8000
run: setup
	$(BIN)/yibao db upgrade
	$(BIN)/yibao demo load --if-empty
	$(BIN)/yibao serve --host $(HOST) --port $(PORT)

## make test: set up, then lint (ruff), types (mypy on src/) and the whole suite
test: setup lint typecheck unit

lint: setup
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

typecheck: setup
	$(BIN)/mypy

unit: setup browser
	$(BIN)/pytest -q -n 2 --dist loadgroup -m "not load"
	$(BIN)/pytest -q -m load

## make bench: settlements per second of the engine, 10,000 mixed cases, in-process
bench: setup
	$(BIN)/python bench/bench_engine.py

## make bench-api: 2207 over HTTP with wrk (closed loop) and at fixed rates (open loop), on
## PostgreSQL (YIBAO_BENCH_PG_URL or YIBAO_TEST_DATABASE_URL) and SQLite; prints the CPU used
## outside the benchmark next to each figure. Installs Debian's wrk when missing.
WORKERS ?= 2
CONNS ?= 8
N ?= 20000
DURATION ?= 15
RATE ?= 300,400
OPEN_SECONDS ?= 10
WARMUP ?= 5
HISTORY ?= 1000000
DB ?= all
bench-api: setup
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/bench_api.py --db $(DB) --workers $(WORKERS) --conns $(CONNS) --n $(N) \
		--seconds $(DURATION) --rate $(RATE) --open-seconds $(OPEN_SECONDS) --warmup $(WARMUP) \
		--history $(HISTORY)

## make bench-pages: citizen pages' render p50 (goal < 50 ms) and weight with CSS+JS (goal < 150 KB);
## the back office's 统计看板 queries on 10^5 settlements (goal < 200 ms each)
bench-pages: setup
	$(BIN)/python bench/bench_citizen_pages.py
	$(BIN)/python bench/bench_staff_dashboard.py

## make bench-batch: the batch engine's claims/s and peak memory at 10^5, 10^6 and 10^7 claims on
## one core (mixed workload from yibao synth, made once into var/bench/), next to the OpenFisca
## peer in PEER on its own workload (skipped with a message when that folder is absent)
BATCH_SIZES ?= 100000,1000000,10000000
PEER ?= ../shared/peers/openfisca
bench-batch: setup
	$(BIN)/python bench/bench_batch.py --sizes $(BATCH_SIZES) --peer-dir $(PEER)

## make bench-scale: the largest simulation measured on this machine: SCALE_PERSONS synthetic
## persons (8 M: about 10^7 nmg-employee claims) in SCALE_PARTS files split by person, simulated
## with a reform on one process and on a local Dask cluster of SCALE_WORKERS workers
SCALE_PERSONS ?= 8000000
SCALE_PARTS ?= 40
SCALE_WORKERS ?= 2
bench-scale: setup
	$(BIN)/python bench/bench_scale.py --persons $(SCALE_PERSONS) --partitions $(SCALE_PARTS) \
		--workers $(SCALE_WORKERS)

clean:
	rm -rf $(VENV) var/*.db var/*.db-* .pytest_cache .mypy_cache .ruff_cache

## make messages: re-extract the pages' strings and update the English catalog (then translate)
messages: setup
	mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -o var/messages.pot --omit-header --no-location \
	  -k _ -k N_ -k gettext -k add:2 -k InvalidInput -k redirect:3 -k BindingMismatch:2 .
	$(BIN)/pybabel update -i var/messages.pot -d src/yibao/web/pages/locale -l en --no-fuzzy-matching --ignore-obsolete --width 100
