"""Change markers: what each load of a ledger-sized table holds, kept up to date by the code that
writes the table, so that finding what changed never reads the table itself.

Publishing the analysts' copy (analyst/publish.py) and keeping fct_mh_ledger by load
(warehouse/by_load.py) both need each load's fingerprint (warehouse/fingerprints.py: row count
and hash sum of its rows). Hashing a million-line ledger on every run to find one late file
costs about what copying it does; the writer, though, knows which loads it wrote. So for the
tables in MARKED, `change_markers` holds:

- one row per load: the fingerprint of that load's rows (the same numbers fingerprints.by_load
  would compute), refreshed by the writer for the loads it wrote, computed on those loads'
  rows only (a filter on load_id, which skips the other loads' row groups: at 1M lines, a
  period's loads cost 0.01-0.02 CPU s against 0.17-0.26 for every load);
- one row per table (load_id NULL): its columns and row count after the last marked write.

A writer wraps its write (inside its own transaction, so marker and rows commit together):

    with change_markers.writing(con, "raw_ledger", "stg_ledger") as touched:
        ... DELETE / INSERT ...
        touched.loads(load_ids)      # every load whose rows may have changed, or touched.all()

Readers use the markers only when they can be trusted: the table's row exists, the table still
has those columns (a new column changes every row's hash) and that many rows. Anything else
(an old warehouse, a write that did not mark) and the reader falls back to hashing the rows, as
before. A marked write that finds the markers untrusted when it starts recomputes every load's
fingerprint from the rows when it ends, so an unmarked insert or delete before it is not hidden.

`stamp(con, tables)` answers "did any of these tables change since" cheaply: a digest of their
markers (of their content for the small tables without any), to keep and compare later.
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from typing import Iterable, Iterator

import duckdb

from warehouse import fingerprints
from warehouse.sql_files import quote_ident

TABLE = "change_markers"
# The ledger-sized tables whose writers keep markers; every other table is small enough to hash.
MARKED = ("raw_ledger", "stg_ledger", "fct_mh_ledger")

_CREATE = f"""CREATE TABLE {TABLE} (
    table_name VARCHAR NOT NULL,
    load_id    VARCHAR,            -- NULL: the table's own row
    row_count  BIGINT NOT NULL,    -- rows of the load (of the whole table on the table's row)
    content    HUGEINT,            -- sum of the load's rows' hashes (NULL on the table's row)
    columns    VARCHAR             -- the table's columns and types (the table's row only)
)"""
_COMMENT = (f"COMMENT ON TABLE {TABLE} IS 'Change markers (warehouse/change_markers.py): for each ledger-sized table, "
            "the row count and hash sum of each load''s rows, kept by the code that writes the table, and the "
            "table''s columns and row count when last written. Grain: one row per table and load, and one per "
            "table (load_id null). Internal.'")


class Touched:
    """The loads a write may have changed (`loads`), or every load (`all`: the table made anew)."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.everything = False

    def loads(self, ids: Iterable[str]) -> None:
        self.ids.update(ids)

    def all(self) -> None:
        self.everything = True


@contextmanager
def writing(con: duckdb.DuckDBPyConnection, *tables: str) -> Iterator[Touched]:
    """Mark a write of `tables` (see the module docstring). Use inside the write's transaction:
    when the write fails, the markers roll back with it."""
    _create(con)
    database = _database(con)
    trusted = {table: _trusted_count(con, table, database) is not None for table in tables}
    touched = Touched()
    yield touched
    for table in tables:
        if touched.everything or not trusted[table]:
            _mark(con, table, None)
        elif touched.ids:
            _mark(con, table, sorted(touched.ids))


def adopt(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Markers for `table` from its rows (a whole read, once), unless it has trusted ones."""
    _create(con)
    if _trusted_count(con, table, _database(con)) is None:
        _mark(con, table, None)


def loads(con: duckdb.DuckDBPyConnection, table: str, database: str | None = None) -> dict[str, tuple[int, int]] | None:
    """The table's fingerprint per load, (row count, hash sum), from its markers; None when they
    cannot be trusted (the reader then hashes the rows)."""
    database = database or _database(con)
    if _trusted_count(con, table, database) is None:
        return None
    rows = con.execute(f"SELECT load_id, row_count, content FROM {_markers(database)}"
                       " WHERE table_name = $t AND load_id IS NOT NULL", {"t": table}).fetchall()
    return {load: (n, content) for load, n, content in rows}


def known(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, dict[str, str]]:
    """The marked tables of `database` with trusted markers, each load's fingerprint as
    fingerprints.by_load writes it: what fingerprints.tables need not read."""
    found = {}
    for table in MARKED:
        by_load = loads(con, table, database)
        if by_load is not None:
            found[table] = {load: f"{n}|{content}" for load, (n, content) in by_load.items()}
    return found


def stamp(con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> str:
    """A digest of what `tables` (base tables) hold: equal digests, taken at two times, mean
    none of them changed in between. A marked table with trusted markers costs a read of its
    markers; any other is hashed (cheap for all but the ledger-sized tables)."""
    database = _database(con)
    digest = hashlib.sha256()
    for table in sorted(set(tables)):
        by_load = loads(con, table, database) if table in MARKED else None
        if by_load is None:
            digest.update(f"{table}:{fingerprints.table(con, table, database)}\n".encode("utf-8"))
        else:
            digest.update(f"{table}:{_columns(con, table, database)}:{sorted(by_load.items())}\n".encode("utf-8"))
    return digest.hexdigest()


def _create(con: duckdb.DuckDBPyConnection) -> None:
    if not _exists(con, TABLE, _database(con)):
        con.execute(_CREATE)
        con.execute(_COMMENT)


def _mark(con: duckdb.DuckDBPyConnection, table: str, load_ids: list[str] | None) -> None:
    """Recompute the markers of `load_ids` (None: every load) from their rows, and the table's row."""
    database = _database(con)
    name = quote_ident(table)
    if load_ids is None:
        con.execute(f"DELETE FROM {TABLE} WHERE table_name = $t", {"t": table})
        where = ""
    else:
        con.execute(f"DELETE FROM {TABLE} WHERE table_name = $t AND (load_id IS NULL OR list_contains($l, load_id))",
                    {"t": table, "l": load_ids})
        # list_contains with a bound list: DuckDB pushes it into the scan, which then skips the
        # row groups of every other load (the ledgers are written load by load); IN (SELECT
        # unnest(...)) plans a semi join, 10x slower for a period's loads at 1M lines.
        where = " WHERE list_contains($l, load_id)"
    con.execute(f"INSERT INTO {TABLE} SELECT $t, coalesce(load_id, ''), count(*), sum(hash(t)::HUGEINT), NULL"
                f" FROM {name} t{where} GROUP BY ALL", {"t": table, **({} if load_ids is None else {"l": load_ids})})
    (rows,) = con.execute(f"SELECT count(*) FROM {name}").fetchone()
    (marked,) = con.execute(f"SELECT coalesce(sum(row_count), 0) FROM {TABLE} WHERE table_name = $t",
                            {"t": table}).fetchone()
    if load_ids is not None and marked != rows:
        # rows of loads nobody named (a writer that marked too few): every load from its rows
        _mark(con, table, None)
        return
    con.execute(f"INSERT INTO {TABLE} VALUES ($t, NULL, $n, NULL, $c)",
                {"t": table, "n": rows, "c": _columns(con, table, database)})


def _trusted_count(con: duckdb.DuckDBPyConnection, table: str, database: str) -> int | None:
    """The table's row count when its markers can be trusted, else None."""
    if not _exists(con, TABLE, database) or not _exists(con, table, database):
        return None
    row = con.execute(f"SELECT row_count, columns FROM {_markers(database)} WHERE table_name = $t AND load_id IS NULL",
                      {"t": table}).fetchone()
    if row is None or row[1] != _columns(con, table, database):
        return None
    (rows,) = con.execute(f"SELECT count(*) FROM {quote_ident(database)}.main.{quote_ident(table)}").fetchone()
    return rows if rows == row[0] else None


def _columns(con: duckdb.DuckDBPyConnection, table: str, database: str) -> str:
    return con.execute("SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_index)"
                       " FROM duckdb_columns() WHERE database_name = $d AND schema_name = 'main' AND table_name = $t",
                       {"d": database, "t": table}).fetchone()[0]


def _exists(con: duckdb.DuckDBPyConnection, table: str, database: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = $d AND schema_name = 'main'"
                       " AND table_name = $t", {"d": database, "t": table}).fetchone()[0] > 0


def _markers(database: str) -> str:
    return f"{quote_ident(database)}.main.{TABLE}"


def _database(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT current_database()").fetchone()[0]
