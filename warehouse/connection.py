"""The warehouse: one persisted DuckDB file, written by one process at a time (the default),
or a DuckLake when <home>/config/warehouse.yaml names one (warehouse/lake.py).

DuckDB allows a single writer process, so every write goes through `writer()`, which
takes an exclusive lock file first: a second run waits for the first instead of failing
half-way or corrupting anything.

Inside a Dagster run the first `writer()` also keeps the file open, and the lock held,
until the run ends: the run's steps then share one DuckDB instance instead of opening the
file, creating the tables and checkpointing it on close in every step.

On a lake the writer is a cursor with the lake attached and selected, so the same SQL runs.
A DuckDB catalog file (`*.ducklake`) is locked by DuckDB while attached, so its writers take
the same kind of lock file; a PostgreSQL catalog takes none: its commits are PostgreSQL
transactions, and processes write partitions at the same time.
"""
from __future__ import annotations

import fcntl
import threading
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from warehouse.lake import LAKE, LakeSetting, attached_instance, lake_setting
from warehouse.memory import bound_memory
from warehouse.settings import Paths
from warehouse.sql_files import run_sql


_HELD: dict[tuple[str, int], int] = {}  # (lock file, thread) -> how many times taken


@contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """The lock file, exclusively; re-entrant within a thread (a run holds it while its
    steps take it again), so holding it never blocks its own holder."""
    key = (str(lock_path), threading.get_ident())
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _HELD[key] = 1
        try:
            yield
        finally:
            del _HELD[key]
            fcntl.flock(handle, fcntl.LOCK_UN)


# Models whose kind changed since earlier warehouses: a view cannot replace a table of the same
# name, nor a table a view, so the old object goes when the warehouse is opened. fct_ledger was a
# table; fct_contract_years was a view computed over the whole ledger wherever it was read.
NOW_VIEWS = ("fct_ledger",)
NOW_TABLES = ("fct_contract_years",)


_MIGRATED: set[str] = set()  # warehouses already looked at by this process


def _bring_up_to_date(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """A warehouse made by an earlier openbook put right, once per process: each writer opens it."""
    if where in _MIGRATED:
        return
    _MIGRATED.add(where)
    _drop_old_kinds(con)
    _raw_records_to_cells(con)


def _drop_old_kinds(con: duckdb.DuckDBPyConnection) -> None:
    old = con.execute("""SELECT 'TABLE', table_name FROM duckdb_tables() WHERE database_name = current_database()
                         AND schema_name = 'main' AND list_contains($views, table_name)
                         UNION ALL
                         SELECT 'VIEW', view_name FROM duckdb_views() WHERE database_name = current_database()
                         AND schema_name = 'main' AND list_contains($tables, view_name)""",
                      {"views": list(NOW_VIEWS), "tables": list(NOW_TABLES)}).fetchall()
    for kind, name in old:
        con.execute(f'DROP {kind} "{name}"')


# Warehouses made before raw rows were kept as cells have raw_record, a JSON object per row
# (column -> text), in these tables: its keys become the load's raw_columns and its values the
# row's raw_cells, once.
RAW_ROW_TABLES = ("raw_ledger", "quarantine", "skipped_rows", "held_raw_ledger", "held_quarantine",
                  "held_skipped_rows")


def _raw_records_to_cells(con: duckdb.DuckDBPyConnection) -> None:
    old = con.execute("SELECT table_name FROM duckdb_columns() WHERE database_name = current_database()"
                      " AND schema_name = 'main' AND column_name = 'raw_record' AND list_contains($names, table_name)",
                      {"names": list(RAW_ROW_TABLES)}).fetchall()
    for (table,) in old:
        con.execute(f"INSERT INTO raw_columns SELECT load_id, to_json(json_keys(any_value(raw_record)))"
                    f" FROM {table} WHERE raw_record IS NOT NULL AND load_id NOT IN (SELECT load_id FROM raw_columns)"
                    " GROUP BY load_id")
        con.execute(f"ALTER TABLE {table} ADD COLUMN raw_cells VARCHAR")
        con.execute(f"UPDATE {table} SET raw_cells = to_json(json_extract_string(raw_record, '$.*'))")
        con.execute(f"ALTER TABLE {table} DROP COLUMN raw_record")


@contextmanager
def open_writer(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with exclusive_lock(path.with_suffix(".lock")):
        con = duckdb.connect(str(path))
        try:
            # Checkpoint when the step closes the file, not after every 16 MB of WAL: a
            # partner-period commit would otherwise re-compress the ledger's last, partly
            # filled row group again and again (about a third of the raw layer's time).
            con.execute("SET checkpoint_threshold = '256MB'")
            # A run keeps the instance (and its buffer cache) for all its steps: bound it.
            bound_memory(con)
            run_sql(con, "staging/create_tables")
            _bring_up_to_date(con, str(path))
            yield con
        finally:
            con.close()


@contextmanager
def open_lake_writer(lake: LakeSetting) -> Iterator[duckdb.DuckDBPyConnection]:
    turn = exclusive_lock(Path(lake.catalog + ".lock")) if lake.is_file_catalog else nullcontext()
    with turn, attached_instance(lake) as instance:
        con = instance.cursor()
        try:
            con.execute(f"USE {LAKE}")  # unqualified names in the SQL mean the lake's tables
            run_sql(con, "staging/create_tables")
            _bring_up_to_date(con, lake.catalog)
            yield con
        finally:
            con.close()


def home_writer(paths: Paths):
    """The data home's warehouse writer: the lake its config names, else the DuckDB file."""
    lake = lake_setting(paths.home)
    return open_lake_writer(lake) if lake else open_writer(paths.warehouse)


class Warehouse(dg.ConfigurableResource):
    """Dagster resource: where the data home is, and connections to its warehouse."""

    home: str
    _run: ExitStack | None = PrivateAttr(default=None)
    _in_run: bool = PrivateAttr(default=False)

    @property
    def paths(self) -> Paths:
        return Paths(Path(self.home).resolve())

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._in_run = True  # nothing is opened here: a sensor's evaluation must not take the lock

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._in_run = False
        if self._run is not None:
            self._run.close()  # the last connection: DuckDB checkpoints the file
            self._run = None

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._in_run and self._run is None:
            held = ExitStack()
            held.enter_context(home_writer(self.paths))
            self._run = held
        with home_writer(self.paths) as con:
            yield con
