"""Shared fixtures. The demo system is generated and run through the whole pipeline once
per test session (it takes a while), in a temporary data home."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.sql_files import run_sql


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the ingest tables and macros created."""
    connection = duckdb.connect()
    run_sql(connection, "staging/create_tables")
    yield connection
    connection.close()
