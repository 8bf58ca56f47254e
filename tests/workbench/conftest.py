"""Fixtures for the workbench tests (flag register, scenarios, provider benchmarking).

Everything reads the session's demo warehouse (tests/conftest.py: `demo_home`) read-only through
scratch in-memory databases; a test that needs a data home of its own gets one whose warehouse is a
link to the demo's, so decisions and scenario files never touch the shared demo home."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from warehouse.settings import Paths


@pytest.fixture
def warehouse(demo_home) -> Path:
    return Paths(demo_home).warehouse


@pytest.fixture
def wb_home(demo_home, tmp_path) -> Path:
    """A data home of the test's own: config/ empty, warehouse/ a link to the demo warehouse."""
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    (home / "warehouse" / "openbook.duckdb").symlink_to(Paths(demo_home).warehouse)
    (home / "config").mkdir()
    return home


@pytest.fixture
def workbench(wb_home, capsys):
    """Run `openbook <args>` (the workbench commands) in-process: returns (exit code, stdout, stderr)."""
    from workbench import cli as cli_workbench

    def run(*args: str, today: dt.date | None = None) -> tuple[int, str, str]:
        parsed = cli_workbench.build_parser().parse_args(["--home", str(wb_home), *args])
        if today is not None:
            parsed.today = today
        code = parsed.func(parsed)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
