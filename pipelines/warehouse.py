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


# Models that were tables in earlier warehouses and are views now: a view cannot replace a
# table of the same name, so the old table goes when the warehouse is opened.
NOW_VIEWS = ("fct_ledger",)


_MIGRATED: set[str] = set()  # warehouses already looked at by this process


def _drop_tables_now_views(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    if str(path) in _MIGRATED:
        return
    _MIGRATED.add(str(path))
    old = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
                      " AND schema_name = 'main' AND list_contains($names, table_name)",
                      {"names": list(NOW_VIEWS)}).fetchall()
    for (name,) in old:
        con.execute(f'DROP TABLE "{name}"')


@contextmanager
def open_writer(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with exclusive_lock(path.with_suffix(".lock")):
        con = duckdb.connect(str(path))
        try:
            # Checkpoint when the step closes the file, not after every 16 MB of WAL: a
            # partner-period commit would otherwise re-compress the ledger's last, partly
            # filled row group again and again (about a third of the raw layer's time).
            con.execute("SET checkpoint_threshold = '256MB'")
            run_sql(con, "staging/create_tables")
            _drop_tables_now_views(con, path)
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
