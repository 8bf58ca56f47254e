# openbook: `make demo` and `make test` are all a newcomer needs (Python 3.11+ and make).
PYTHON ?= python3
VENV := .venv
UV := .uv/bin/uv
OPENBOOK_HOME ?= $(CURDIR)/data
export OPENBOOK_HOME
export UV_PYTHON_DOWNLOADS := never
export DAGSTER_HOME := $(OPENBOOK_HOME)/dagster

.PHONY: install demo test ui look clean

# uv is installed into its own small venv so nothing touches the system Python.
$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/openbook demo-data
	$(VENV)/bin/openbook run

test: install
	$(VENV)/bin/python -m pytest

ui: install
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || printf 'telemetry:\n  enabled: false\n' > $(DAGSTER_HOME)/dagster.yaml
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

clean:
	rm -rf $(VENV) .uv data
