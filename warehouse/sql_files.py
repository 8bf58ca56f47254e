"""SQL lives in files under sql/<layer>/<name>.sql; this is the one way to run them.

Parameters are always bound (DuckDB `$name` placeholders), never formatted into text.
A file may hold several statements separated by `;` at the end of a line; each one is
given only the parameters it mentions, because DuckDB rejects unused named parameters.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import duckdb

from warehouse.lake import lake_statement, needs_rewrite, on_lake

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STATEMENT_END = re.compile(r";[ \t]*(?:--[^\n]*)?\n")


@lru_cache(maxsize=None)
def quote_ident(name: str) -> str:
    """One SQL identifier (a table or database name read from the catalog), quoted."""
    return '"' + name.replace('"', '""') + '"'


def sql_text(name: str) -> str:
    """The text of sql/<name>.sql, e.g. sql_text("staging/stg_ledger")."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path.relative_to(SQL_DIR.parent)}")
    return path.read_text(encoding="utf-8")


def statements(text: str) -> list[str]:
    parts = _STATEMENT_END.split(text + "\n")
    return [p.strip() for p in parts if _has_code(p)]


def _has_code(part: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in part.splitlines())


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None):
    """Run every statement of sql/<name>.sql with bound parameters; returns the last result."""
    result = None
    for statement in statements(sql_text(name)):
        result = execute(con, statement, params)
    return result


def run_macros(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> str:
    """Run the statements of sql/<name>.sql before its last (a model file's macros) and return the last (its
    CREATE), for a builder that runs that one its own way (narrowed, or on other CTEs)."""
    *before, create = statements(sql_text(name))
    for statement in before:
        execute(con, statement, params)
    return create


def execute(con: duckdb.DuckDBPyConnection, statement: str, params: dict | None = None):
    if needs_rewrite(statement) and on_lake(con):  # the one place the SQL meets DuckLake's dialect
        statement = lake_statement(statement)
    wanted = set(_PARAM.findall(statement))
    bound = {k: v for k, v in (params or {}).items() if k in wanted}
    missing = wanted - bound.keys()
    if missing:
        raise ValueError(f"SQL parameter(s) {sorted(missing)} not supplied")
    return con.execute(statement, bound) if bound else con.execute(statement)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, or ROLLBACK and re-raise. A failed COMMIT (disk full, a conflict)
    has already ended the transaction, so a ROLLBACK that fails then is ignored: the error
    worth reporting is the first one."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """All rows in one bound INSERT (executemany runs, and commits, one statement per row).
    `table` is a name this program chose, never user input."""
    if rows:
        values = ", ".join(["(" + ", ".join(["?"] * len(rows[0])) + ")"] * len(rows))
        con.execute(f"INSERT INTO {table} VALUES {values}", [value for row in rows for value in row])
