"""Cheap fingerprints of what a DuckDB database holds, to tell what changed without comparing it row
by row: fct_mh_ledger's reference data (warehouse/by_load.py) and the tables to publish again
(analyst/publish.py). The ledger-sized tables' fingerprints by load are kept by their writers
instead (warehouse/change_markers.py), with the same figures.

A table's fingerprint is its columns, row count and the sum of its rows' hashes: equal when the
content is (a 64-bit hash collision aside), whatever order the rows were written in, and a
duplicated row counts twice (a sum, not an XOR). The catalog's fingerprint covers what is not
a table's rows: every table's, view's, index's and macro's definition and every comment.
"""
from __future__ import annotations

import hashlib

import duckdb

from warehouse.catalog import columns, current_database
from warehouse.sql_files import quote_ident


def base_tables(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    """The names of ``database``'s tables (not views) in its main schema."""
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = $d "
                                      "AND schema_name = 'main'", {"d": database}).fetchall()}


def table(con: duckdb.DuckDBPyConnection, name: str, database: str | None = None,
          only: frozenset[str] | None = None) -> str:
    """The table's fingerprint; ``only``: of those of its columns only (what a view reads of it,
    warehouse/columns_read.py), its row count still counted."""
    database = database or current_database(con)
    columns_of = [f"{c} {kind}" for c, kind in columns(con, name, database) or [] if only is None or c in only]
    hashed = "t" if only is None else "row(NULL, " + ", ".join(f"t.{quote_ident(c)}" for c in sorted(only)) + ")"
    rows, content = con.execute(f"SELECT count(*), sum(hash({hashed})::HUGEINT) FROM {quote_ident(database)}.main."
                                f"{quote_ident(name)} t").fetchone()
    return f"{columns_of or None}|{rows}|{content}"


def inputs(con: duckdb.DuckDBPyConnection, texts: list[str], tables: list[str]) -> str:
    """sha256 of what a model is built from: `texts` (its SQL and anything else it depends on, in a
    fixed order) and the fingerprint of each of `tables`, in the order given. The one way a kept
    model tells whether it must be rebuilt whole (warehouse/by_load.py, by_partner_year.py,
    keys_by_load.py)."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(f"{len(text)}:{text}".encode("utf-8"))  # the length keeps "ab"+"c" apart from "a"+"bc"
    for name in tables:
        digest.update(f"{name}|{table(con, name)}\n".encode("utf-8"))
    return digest.hexdigest()


def by_load(con: duckdb.DuckDBPyConnection, name: str, database: str) -> dict[str, str]:
    """A ledger-shaped table's fingerprint per load_id ('' for lines without one)."""
    rows = con.execute(f"SELECT coalesce(load_id, ''), count(*), sum(hash(t)::HUGEINT) "
                       f"FROM {quote_ident(database)}.main.{quote_ident(name)} t GROUP BY ALL").fetchall()
    return {load: f"{n}|{content}" for load, n, content in rows}


def tables(con: duckdb.DuckDBPyConnection, database: str,
           known: dict[str, dict[str, str]] | None = None) -> dict[str, str | dict[str, str]]:
    """Every base table of `database` (schema main) by name: a table with a text load_id column
    by load (what a late file changes is its own loads), any other whole. Column changes are
    the catalog's. `known`: tables whose fingerprints by load are known without reading them
    (their change markers, warehouse/change_markers.py)."""
    known = known or {}
    names = con.execute("""SELECT t.table_name, bool_or(c.column_name = 'load_id' AND c.data_type = 'VARCHAR')
        FROM duckdb_tables() t JOIN duckdb_columns() c USING (database_name, schema_name, table_name)
        WHERE t.database_name = $d AND t.schema_name = 'main' GROUP BY ALL ORDER BY 1""", {"d": database}).fetchall()
    return {n: known[n] if n in known and loads else by_load(con, n, database) if loads else table(con, n, database)
            for n, loads in names}


_CATALOG = """
SELECT 'table', table_name, sql, comment FROM duckdb_tables() WHERE database_name = $d
UNION ALL SELECT 'column', table_name || '.' || column_name, data_type, comment FROM duckdb_columns()
    WHERE database_name = $d
UNION ALL SELECT 'view', view_name, sql, comment FROM duckdb_views() WHERE database_name = $d AND NOT internal
UNION ALL SELECT 'index', index_name, sql, comment FROM duckdb_indexes() WHERE database_name = $d
UNION ALL SELECT 'macro', function_name, macro_definition || ' ' || CAST(parameters AS VARCHAR), comment
    FROM duckdb_functions() WHERE database_name = $d AND function_type IN ('macro', 'table_macro')
ORDER BY ALL"""


def catalog(con: duckdb.DuckDBPyConnection, database: str) -> str:
    rows = con.execute(_CATALOG, {"d": database}).fetchall()
    return hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()
