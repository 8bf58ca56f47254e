# openbook: `make demo` and `make test` are all a newcomer needs (Python 3.11+ and make).
PYTHON ?= python3
VENV := .venv
UV := .uv/bin/uv
OPENBOOK_HOME ?= $(CURDIR)/data
export OPENBOOK_HOME
export UV_PYTHON_DOWNLOADS := never
export DAGSTER_HOME := $(OPENBOOK_HOME)/dagster

.PHONY: install demo test test-quick ui look bench clean chromium postgresql

# uv is installed into its own small venv so nothing touches the system Python.
$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on the machines openbook is built on)
# every process would otherwise recompile Dagster and the rest on import (about 2 s each).
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/openbook demo-data
	$(VENV)/bin/openbook run

CODE := analyst assets bench demo pipelines reports warehouse workbench

# Our own modules are compiled first for the same reason as above (the tests start many processes).
# Tests run in parallel, one worker per core (at most 4), a file's
# tests on one worker so its module fixtures are built once (tests/worker_units.py: files that share
# a fixture go together); the 25 slowest tests are listed at the end.
test: install chromium postgresql
	@$(VENV)/bin/python -m compileall -q -j 0 $(CODE) tests >/dev/null
	$(VENV)/bin/python -m pytest -n auto --maxprocesses 4 --dist loadfile --durations=25

# While working: every test not marked slow (pyproject's markers: no whole-pipeline run of its own,
# no browser pass over every page). The demo home the read-only tests share is still built once.
# `make test` runs everything.
test-quick: install chromium
	@$(VENV)/bin/python -m compileall -q -j 0 $(CODE) tests >/dev/null
	$(VENV)/bin/python -m pytest -n auto --maxprocesses 4 --dist loadfile -m "not slow" --durations=10

# The HTML report is tested in a real headless Chromium (Debian's package); installed
# here when missing and we are root (as in CI), else the browser tests say what to do.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
		echo "note: Chromium is missing; install it (apt-get install chromium) for the browser tests"

# A throwaway PostgreSQL server (bench/throwaway_postgres.py) holds the DuckLake catalog in
# tests/scale/test_lake_warehouse.py and Dagster's instance in bench/dagster_storage.py; the
# server is Debian's package, installed here when missing and we are root, as chromium above.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) ; } || \
		echo "note: PostgreSQL is missing; install it (apt-get install postgresql): the DuckLake test fails without it"

# Pictures of the latest reports as a reader sees them (LibreOffice and Chromium render
# them; ../shared/tools/look installs both when missing) into $(OPENBOOK_HOME)/look/.
look:
	@latest=$$(ls -d $(OPENBOOK_HOME)/reports/20*/ | tail -1); \
	../shared/tools/look $$latest*.xlsx $$latest/html/*.html -o $(OPENBOOK_HOME)/look

ui: install
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || printf 'telemetry:\n  enabled: false\n' > $(DAGSTER_HOME)/dagster.yaml
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# Benchmark at 1M and 10M ledger lines against bare DuckDB on the same files (about 45
# minutes on 2 cores); tables in bench-results/results.md and .json. Then a 150,000-row
# spend workbook (a year of payments in one file) loaded end to end: bench-results/workbook.json.
# Then the demo's HTML site: its size and each page's first paint in Chromium: bench-results/site.json.
# Then the demo's `openbook run` with Dagster's instance in SQLite and in PostgreSQL:
# bench-results/dagster-storage.json.
BENCH_SIZES ?= 1000000 10000000
bench: install chromium postgresql
	$(VENV)/bin/python bench/run_bench.py --sizes $(BENCH_SIZES) --out bench-results
	$(VENV)/bin/python bench/workbook_bench.py --rows 150000 --out bench-results
	$(VENV)/bin/python bench/site_bench.py --out bench-results
	$(VENV)/bin/python bench/dagster_storage.py --json bench-results/dagster-storage.json

clean:
	rm -rf $(VENV) .uv data
