"""The warehouse: one persisted DuckDB file, written by one process at a time.

DuckDB allows a single writer process, so every write goes through `writer()`, which
takes an exclusive lock file first: a second run waits for the first instead of failing
half-way or corrupting anything.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb

from pipelines.settings import Paths
from pipelines.sql_files import run_sql


@contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def open_writer(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with exclusive_lock(path.with_suffix(".lock")):
        con = duckdb.connect(str(path))
        try:
            run_sql(con, "staging/create_tables")
            yield con
        finally:
            con.close()


class Warehouse(dg.ConfigurableResource):
    """Dagster resource: where the data home is, and connections to its warehouse."""

    home: str

    @property
    def paths(self) -> Paths:
        return Paths(Path(self.home).resolve())

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with open_writer(self.paths.warehouse) as con:
            yield con
