"""What the warehouse's catalog holds, asked without listing it: whether a table exists and its columns.

DuckDB's catalog functions (duckdb_tables(), duckdb_columns()) build a row for every table or column of
every attached database before any filter applies: 2 to 3 ms each in a warehouse of 75 tables and 1,500
columns, and a run asks a few hundred times (the change markers, the fingerprints, the models' comments).
Looking one name up is a fraction of that: a table by name through the Python client's `table()`
(about 0.01 ms; it finds base tables only, as duckdb_tables() does), a table's or view's columns by
binding a query of it, which runs nothing (about 0.5 ms). tests/warehouse/test_catalog.py holds both to
the catalog functions' answers.
"""
from __future__ import annotations

import duckdb

from warehouse.sql_files import quote_ident


def current_database(con: duckdb.DuckDBPyConnection) -> str:
    """The name of the connection's current database (the file's stem, or the lake's alias)."""
    return con.execute("SELECT current_database()").fetchone()[0]


def table_exists(con: duckdb.DuckDBPyConnection, table: str, database: str) -> bool:
    """Whether `database` has a base table (not a view, not a temporary table) `table` in its main schema."""
    if '"' in table + database:  # the client's name parser does not undo a quoted name's doubled quotes
        return con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = $d AND schema_name = 'main'"
                           " AND table_name = $t", {"d": database, "t": table}).fetchone()[0] > 0
    try:
        con.table(f"{quote_ident(database)}.main.{quote_ident(table)}")
    except duckdb.CatalogException:
        return False
    return True


def columns(con: duckdb.DuckDBPyConnection, name: str, database: str) -> list[tuple[str, str]] | None:
    """The columns of table or view `name` in `database`'s main schema, in order, each as (name, type):
    duckdb_columns()'s column_name and data_type. None when there is no such table or view."""
    try:
        relation = con.sql(f"FROM {quote_ident(database)}.main.{quote_ident(name)}")
    except duckdb.CatalogException:
        return None
    return [(column, str(kind)) for column, kind in zip(relation.columns, relation.types)]
