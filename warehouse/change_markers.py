"""Change markers: what each load of a ledger-sized table holds, kept up to date by the code that
writes the table, so that finding what changed never reads the whole table.

Publishing the analysts' copy (analyst/publish.py) and keeping fct_mh_ledger by load
(warehouse/by_load.py) both need each load's fingerprint (warehouse/fingerprints.py: row count
and hash sum of its rows). Hashing a million-line ledger on every run to find one late file
costs about what copying it does; the writer, though, knows which loads it wrote. So for the
tables in MARKED, `change_markers` holds:

- one row per load: the fingerprint of that load's rows (the same numbers fingerprints.by_load
  computes), or none yet (row_count NULL: the load was written since, "dirty");
- one row per table (load_id NULL): its columns and row count after the last marked write, and
  whether every load is to be read again (`whole`: the table was made anew, or its markers
  could not be trusted when it was written).

A writer wraps its write (inside its own transaction, so marker and rows commit together):

    with change_markers.writing(con, "raw_ledger", "stg_ledger") as touched:
        ... DELETE / INSERT ...
        touched.loads(load_ids)      # every load whose rows may have changed, or touched.all()

which costs a few catalog lookups; once its step is done, `settle(con)` computes the dirty
loads' fingerprints in one pass over their rows only (a bound list_contains on load_id, which
DuckDB pushes into the scan: it skips the other loads' row groups, the ledgers being written
load by load). One pass per step, not per write: a filtered scan has a fixed cost (about 7 ms
at 1M lines), which paid for each of a first load's 288 files would cost more than hashing
every line once.

Readers use the markers only when they can be trusted: the table's row exists, the table still
has those columns (a new column changes every row's hash) and that many rows, and the loads'
row counts add up to it. Anything else (an old warehouse, a write that did not mark, a writer
that named too few loads) and the reader hashes the rows, as before, and the next `settle`
makes the markers again from the rows. Dirty loads left unsettled are read by the reader, those
only. A write that does not mark and keeps the row count (an UPDATE in place) is not seen:
every writer of a table in MARKED marks (tests/pipeline/test_loading_by_load.py checks the
markers against the rows after each kind of change a run makes).

Markers are kept in a DuckDB file warehouse only. On a lake with a PostgreSQL catalog several
processes write partitions at the same time, and their marker rows would conflict (and a lake
is published whole anyway): there nothing is marked and readers hash the rows.

`stamp(con, tables)` answers "did any of these tables change since" cheaply: a digest of their
markers (of their content for the small tables without any), to keep and compare later.
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from typing import Iterable, Iterator

import duckdb

from warehouse import catalog, fingerprints
from warehouse.lake import on_lake
from warehouse.sql_files import quote_ident

TABLE = "change_markers"
# The ledger-sized tables whose writers keep markers; every other table is small enough to hash.
MARKED = ("raw_ledger", "stg_ledger", "fct_mh_ledger")

_CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    table_name VARCHAR NOT NULL,
    load_id    VARCHAR,            -- NULL: the table's own row
    row_count  BIGINT,             -- the load's rows (NULL: written since, not settled); the table's on its row
    content    HUGEINT,            -- sum of the load's rows' hashes
    columns    VARCHAR,            -- the table's columns and types (the table's row only)
    whole      BOOLEAN             -- the table's row: every load to be read again
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
    when the write fails, the markers roll back with it. Kept to a few small statements (no
    catalog function: a first load makes hundreds of writes): the table's row keeps the columns
    it was settled with, so a column added since is still seen by the readers."""
    touched = Touched()
    if not kept(con):
        yield touched
        return
    con.execute(_CREATE)
    before = {table: _marked_count(con, table) for table in tables}
    yield touched
    ids = sorted(touched.ids)
    for table in tables:
        (rows,) = con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()
        trusted = before[table] is not None and before[table][0] == before[table][1]
        if touched.everything or not trusted:
            con.execute(f"DELETE FROM {TABLE} WHERE table_name = $t", {"t": table})
            con.execute(f"INSERT INTO {TABLE} VALUES ($t, NULL, $n, NULL, $c, true)",  # every load read again
                        {"t": table, "n": rows, "c": _columns(con, table, catalog.current_database(con))})
            continue
        if ids:
            con.execute(f"DELETE FROM {TABLE} WHERE table_name = $t AND list_contains($l, load_id)",
                        {"t": table, "l": ids})
            con.execute(f"INSERT INTO {TABLE} SELECT $t, unnest($l), NULL, NULL, NULL, NULL", {"t": table, "l": ids})
        con.execute(f"UPDATE {TABLE} SET row_count = $n WHERE table_name = $t AND load_id IS NULL",
                    {"t": table, "n": rows})


def kept(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this warehouse keeps change markers (not on a lake: see the module docstring)."""
    return not on_lake(con)


def _marked_count(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int] | None:
    """(rows the markers last saw, rows now), or None when the table has no markers."""
    row = con.execute(f"SELECT row_count FROM {TABLE} WHERE table_name = $t AND load_id IS NULL",
                      {"t": table}).fetchone()
    if row is None:
        return None
    (rows,) = con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()
    return row[0], rows


def settle(con: duckdb.DuckDBPyConnection, tables: Iterable[str] = MARKED) -> None:
    """Store the fingerprints of the loads written since the last settle (every load's, when the
    markers cannot be trusted or the table was made anew), each table in one pass."""
    if not kept(con):
        return
    _create(con)
    database = catalog.current_database(con)
    for table in tables:
        if not catalog.table_exists(con, table, database):
            continue
        dirty, whole = con.execute(
            f"SELECT list(load_id) FILTER (WHERE load_id IS NOT NULL AND row_count IS NULL),"
            f" coalesce(bool_or(whole), false) FROM {TABLE} WHERE table_name = $t", {"t": table}).fetchone()
        trusted = _trusted_count(con, table, database) is not None
        if trusted and not whole and not dirty:
            continue
        _store(con, table, dirty if trusted and not whole else None)
        (marked, rows) = con.execute(f"SELECT sum(row_count), (SELECT count(*) FROM {quote_ident(table)})"
                                     f" FROM {TABLE} WHERE table_name = $t AND load_id IS NOT NULL",
                                     {"t": table}).fetchone()
        if (marked or 0) != rows:  # rows of a load no writer named: every load from its rows
            _store(con, table, None)
        _table_row(con, table, database, False)


def loads(con: duckdb.DuckDBPyConnection, table: str, database: str | None = None) -> dict[str, tuple[int, int]] | None:
    """The table's fingerprint per load, (row count, hash sum), from its markers (dirty loads read
    from their rows); None when they cannot be trusted (the reader then hashes the rows)."""
    database = database or catalog.current_database(con)
    rows = _trusted_count(con, table, database)
    if rows is None:
        return None
    marked = con.execute(f"SELECT load_id, row_count, content FROM {_markers(database)}"
                         " WHERE table_name = $t AND load_id IS NOT NULL", {"t": table}).fetchall()
    (whole,) = con.execute(f"SELECT whole FROM {_markers(database)} WHERE table_name = $t AND load_id IS NULL",
                           {"t": table}).fetchone()
    dirty = [load for load, n, _ in marked if n is None]
    found = {load: (n, content) for load, n, content in marked if n is not None}
    if whole:
        found = _read(con, table, database, None)
    elif dirty:
        found |= _read(con, table, database, dirty)
    if sum(n for n, _ in found.values()) != rows:  # rows of a load no writer named
        return None
    return found


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
    database = catalog.current_database(con)
    digest = hashlib.sha256()
    for table in sorted(set(tables)):
        digest.update(f"{table}:{content(con, table, database)}\n".encode("utf-8"))
    return digest.hexdigest()


def content(con: duckdb.DuckDBPyConnection, table: str, database: str | None = None) -> str:
    """What one base table holds, as a string equal at two times when it did not change in between:
    a marked table with trusted markers from its markers, any other by hashing its rows."""
    database = database or catalog.current_database(con)
    by_load = loads(con, table, database) if table in MARKED else None
    if by_load is None:
        return fingerprints.table(con, table, database)
    return f"{_columns(con, table, database)}:{sorted(by_load.items())}"


_BY_LOAD = "SELECT coalesce(load_id, '') AS load_id, count(*) AS n, sum(hash(t)::HUGEINT) AS content FROM {} t{} GROUP BY ALL"


def _read(con: duckdb.DuckDBPyConnection, table: str, database: str, load_ids: list[str] | None
          ) -> dict[str, tuple[int, int]]:
    """Each load's (row count, hash sum) read from its rows: of `load_ids`, or of every load."""
    where = "" if load_ids is None else " WHERE list_contains($l, load_id)"
    rows = con.execute(_BY_LOAD.format(f"{quote_ident(database)}.main.{quote_ident(table)}", where),
                       {} if load_ids is None else {"l": load_ids}).fetchall()
    return {load: (n, content) for load, n, content in rows}


def _store(con: duckdb.DuckDBPyConnection, table: str, load_ids: list[str] | None) -> None:
    """The markers of `load_ids` (None: of every load) replaced by what their rows hold."""
    con.execute(f"DELETE FROM {TABLE} WHERE table_name = $t AND load_id IS NOT NULL"
                " AND ($all OR list_contains($l, load_id))", {"t": table, "all": load_ids is None, "l": load_ids or []})
    where = "" if load_ids is None else " WHERE list_contains($l, load_id)"
    con.execute(f"INSERT INTO {TABLE} SELECT $t, load_id, n, content, NULL, NULL FROM ("
                + _BY_LOAD.format(quote_ident(table), where) + ")",
                {"t": table, **({} if load_ids is None else {"l": load_ids})})


def _table_row(con: duckdb.DuckDBPyConnection, table: str, database: str, whole: bool) -> None:
    con.execute(f"DELETE FROM {TABLE} WHERE table_name = $t AND load_id IS NULL", {"t": table})
    (rows,) = con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()
    con.execute(f"INSERT INTO {TABLE} VALUES ($t, NULL, $n, NULL, $c, $whole)",
                {"t": table, "n": rows, "c": _columns(con, table, database), "whole": whole})


def _create(con: duckdb.DuckDBPyConnection) -> None:
    if not catalog.table_exists(con, TABLE, catalog.current_database(con)):
        con.execute(_CREATE)
    con.execute(_COMMENT)


def _trusted_count(con: duckdb.DuckDBPyConnection, table: str, database: str) -> int | None:
    """The table's row count when its markers can be trusted (see the module docstring), else None."""
    if not catalog.table_exists(con, TABLE, database) or not catalog.table_exists(con, table, database):
        return None
    row = con.execute(f"SELECT row_count, columns FROM {_markers(database)} WHERE table_name = $t AND load_id IS NULL",
                      {"t": table}).fetchone()
    if row is None or row[1] != _columns(con, table, database):
        return None
    (rows,) = con.execute(f"SELECT count(*) FROM {quote_ident(database)}.main.{quote_ident(table)}").fetchone()
    return rows if rows == row[0] else None


def _columns(con: duckdb.DuckDBPyConnection, table: str, database: str) -> str | None:
    found = catalog.columns(con, table, database)
    return ", ".join(f"{column} {kind}" for column, kind in found) if found else None


def _markers(database: str) -> str:
    return f"{quote_ident(database)}.main.{TABLE}"
