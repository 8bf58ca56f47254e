"""Fixtures for the analysts' warehouse: the demo run's published copy, small warehouses
for the publishing mechanics, and the `openbook` CLI run in-process or as a subprocess."""
from __future__ import annotations

from pathlib import Path

import pytest
from analyst_helpers import make_warehouse

from analyst import access as analyst
from warehouse.settings import Paths


@pytest.fixture(scope="session")
def published_home(demo_home) -> Path:
    """The demo data home after the whole pipeline ran: the open-book run published it."""
    path = Paths(demo_home).published
    assert path.is_file(), (
        f"the open-book run did not publish {path}: the publish assets must be in open_book_job "
        "(assets/publish_assets.py, pipelines/jobs.py, pipelines/definitions.py)")
    return demo_home


@pytest.fixture
def acon(published_home):
    """A read-only analyst connection to the demo's published warehouse."""
    con = analyst.connect(published_home)
    yield con
    con.close()


@pytest.fixture
def small_warehouse(tmp_path) -> Path:
    home = tmp_path / "home"
    make_warehouse(home)
    return home


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run `openbook <args>` in this process; returns (exit code, stdout, stderr). Output goes to a
    pipe, as when piped to a file: no COLUMNS from the environment fits it to a terminal's width
    (tests that want a width set it themselves)."""
    from pipelines.cli import main

    monkeypatch.delenv("COLUMNS", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
