"""What the warehouse holds now, as a report build needs to know it to keep what it made last time:
each table's content fingerprint and, for the ledger-sized tables, each load's, read once per build.

The reports' inputs (assets/report_inputs.py: is the whole set unchanged? what did this build read?)
and the drill pages' record (reports/drill_reuse.py: which loads changed?) ask about the same tables;
a build makes one ``Reading`` and both ask it, so every change marker (warehouse/change_markers.py) and
every table hashed (warehouse/fingerprints.py) is read once. The reports only read the warehouse, and
the build holds the writer's connection, so nothing read can change during the build.
"""
from __future__ import annotations

from functools import cached_property
from typing import Iterable

import duckdb

from warehouse import change_markers, fingerprints
from warehouse.columns_read import columns_read
from warehouse.model_graph import tables_behind
from warehouse.sql_files import quote_ident


class Reading:
    """One build's reading of the warehouse's fingerprints, each asked of the database once."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.database: str = con.execute("SELECT current_database()").fetchone()[0]
        self._content: dict[str, str] = {}
        self._loads: dict[str, dict[str, str]] = {}
        self._columns: dict[tuple[str, frozenset[str]], str] = {}

    @cached_property
    def base(self) -> set[str]:
        """The database's tables (not views)."""
        return fingerprints.base_tables(self.con, self.database)

    @cached_property
    def catalog(self) -> str:
        """Every table's, view's and macro's definition (warehouse/fingerprints.catalog)."""
        return fingerprints.catalog(self.con, self.database)

    @cached_property
    def per_load(self) -> set[str]:
        """The tables with a text load_id column: a late file changes its own loads' rows of them."""
        return {r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_columns() WHERE database_name = $d AND schema_name = 'main' "
            "AND column_name = 'load_id' AND data_type = 'VARCHAR'", {"d": self.database}).fetchall()} & self.base

    def behind(self, names: Iterable[str]) -> set[str]:
        """``names`` and every table they read, views followed."""
        return tables_behind(self.con, names, self.database)

    def content(self, table: str) -> str:
        """What a base table holds (change_markers.content: its markers where trusted, else its rows hashed)."""
        if table not in self._content:
            self._content[table] = change_markers.content(self.con, table, self.database)
        return self._content[table]

    def loads(self, table: str) -> dict[str, str]:
        """A per-load table's fingerprint of each load, from its markers where they can be trusted."""
        if table not in self._loads:
            marked = change_markers.loads(self.con, table, self.database) if table in change_markers.MARKED else None
            self._loads[table] = ({load: f"{n}|{content}" for load, (n, content) in marked.items()}
                                  if marked is not None else fingerprints.by_load(self.con, table, self.database))
        return self._loads[table]

    def read_by(self, relation: str, tables: set[str]) -> dict[str, frozenset[str] | None]:
        """The columns of each of ``tables`` that ``relation`` (a view) reads, None where not known
        (warehouse/columns_read.py)."""
        columns_of: dict[str, set[str]] = {}
        for table, column in self.con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = $d "
                "AND schema_name = 'main' AND list_contains($t, table_name)",
                {"d": self.database, "t": sorted(tables)}).fetchall():
            columns_of.setdefault(table, set()).add(column)
        try:
            return columns_read(self.con, f"SELECT * FROM {quote_ident(relation)}", tables, columns_of)
        except duckdb.Error:          # a view that does not bind (a cut-down warehouse): every table whole
            return dict.fromkeys(tables)

    def columns(self, table: str, columns: frozenset[str]) -> str:
        """What those columns of a base table hold (its rows counted, the columns' values hashed)."""
        key = (table, columns)
        if key not in self._columns:
            self._columns[key] = fingerprints.table(self.con, table, self.database, only=columns)
        return self._columns[key]
