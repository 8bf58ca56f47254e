"""Shared fixtures. The demo system is generated and run through the whole pipeline once
per test session (it takes a while), in a temporary data home."""
from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from warehouse.sql_files import run_sql


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the ingest tables and macros created."""
    connection = duckdb.connect()
    run_sql(connection, "staging/create_tables")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path:
    """A data home with the demo system generated and the whole pipeline run once.

    OPENBOOK_TEST_DEMO_HOME names a home already built from this same tree (`openbook
    demo-data && openbook run`), to skip the five-minute build while iterating on a few
    test files; the suite as `make test` runs it never sets it."""
    prebuilt = os.environ.get("OPENBOOK_TEST_DEMO_HOME")
    if prebuilt:
        return Path(prebuilt)
    from demo.generator import generate_demo
    from pipelines.runner import Runner
    from warehouse.settings import Paths

    home = tmp_path_factory.mktemp("openbook-demo")
    generate_demo(home)
    summary = Runner(Paths(home), quiet=True).run_all(progress=lambda _: None)
    assert summary.ok, f"pipeline runs failed: {[s for s in summary.steps if not s[3]]}"
    return home


@pytest.fixture(scope="session")
def truth(demo_home) -> dict:
    return json.loads((demo_home / "demo_truth.json").read_text())


@pytest.fixture
def demo_db(demo_home):
    connection = duckdb.connect(str(demo_home / "warehouse" / "openbook.duckdb"), read_only=True)
    yield connection
    connection.close()
