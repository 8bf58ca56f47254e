"""Reconciliation totals kept by load: a check that adds up a ledger-sized table reads only the
loads whose rows may have changed since it last added them up.

The reconciliation checks (assets/model_checks.py) compare totals over every line: fct_ledger's
lines and pounds with the staged lines of the passed submissions, rpt_open_book's spend with the
staged mental-health expenditure and fct_mh_ledger's eliminations. A total over the ledger is the
sum of its loads' totals, and a load's total changes only when what it is made from changes:

- for a table with change markers (stg_ledger, fct_mh_ledger: warehouse/change_markers.py), the
  load's rows, whose marker (row count and hash sum) says when they changed;
- for a view over the ledger (fct_ledger), the load's staged lines (their marker), its status in
  dq_load_status and everything else the view reads (its SQL and reference tables:
  keys_by_load.inputs_fingerprint).

So each load's total is kept in `load_totals` with that fingerprint, and only the loads whose
fingerprint is not kept are read (a `list_contains($loads, load_id)` filter DuckDB pushes into
the ledger's scan). The totals of the loads now listed replace the kept ones, so a load gone or
changed is not counted twice. When nothing kept matches (the first check, new SQL or reference
data) every row is read, grouped by load, and kept only if every row's load was listed; when the
markers cannot be trusted (a lake, a write that did not mark), `fingerprints_of` returns None and
the check reads every row without keeping anything.
"""
from __future__ import annotations

from decimal import Decimal

import duckdb

from warehouse import change_markers

TABLE = "load_totals"
Totals = dict[str, tuple[int, Decimal]]  # load_id -> (lines, amount)


def fingerprints_of(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str] | None:
    """Each load of a marked table with its rows' fingerprint, or None when the table's markers
    cannot be trusted (or it has no load_id: a warehouse made by hand)."""
    if not change_markers.kept(con) or not con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main'"
            " AND table_name = $t AND column_name = 'load_id'", {"t": table}).fetchone()[0]:
        return None
    change_markers.settle(con, [table])  # a no-op unless a write since left loads unsettled
    marked = change_markers.loads(con, table)
    if marked is None:
        return None
    return {load: f"{n}|{content}" for load, (n, content) in marked.items()}


def totals(con: duckdb.DuckDBPyConnection, name: str, query: str, listed: dict[str, str] | None) -> Totals:
    """Each load's (lines, amount) by `query`, a grouping by load_id whose condition `{loads}` the
    caller places where a load filter belongs: read for the loads of `listed` (load -> fingerprint)
    whose total is not kept under that fingerprint, taken from `load_totals` for the others. With
    `listed` None, every row is read and nothing kept."""
    if listed is None:
        return _read(con, query, None)
    _create(con)
    kept = {load: (lines, amount) for load, fingerprint, lines, amount in con.execute(
        f"SELECT load_id, fingerprint, lines, amount FROM {TABLE} WHERE total = $t", {"t": name}).fetchall()
        if listed.get(load) == fingerprint}
    if kept:
        found = kept | _read(con, query, sorted(set(listed) - set(kept)))
        keep = True
    else:  # nothing to build on: every row, which also shows whether any row's load is unlisted
        found = _read(con, query, None)
        keep = set(found) <= set(listed)
    con.execute(f"DELETE FROM {TABLE} WHERE total = $t", {"t": name})
    if keep and listed:  # one statement: executemany binds row by row, about 5 ms each
        loads = sorted(listed)
        con.execute(f"""INSERT INTO {TABLE} SELECT $t, unnest($loads), unnest($fingerprints), unnest($lines),
                        CAST(unnest($amounts) AS DECIMAL(38, 2))""",  # the pounds as text: bound exactly
                    {"t": name, "loads": loads, "fingerprints": [listed[load] for load in loads],
                     "lines": [found.get(load, (0, 0))[0] for load in loads],
                     "amounts": [str(found.get(load, (0, Decimal(0)))[1]) for load in loads]})
    return found


def _read(con: duckdb.DuckDBPyConnection, query: str, loads: list[str] | None) -> Totals:
    if loads == []:
        return {}
    condition = "TRUE" if loads is None else "list_contains($loads, load_id)"
    rows = con.execute(query.format(loads=condition), {} if loads is None else {"loads": loads}).fetchall()
    return {load: (lines, amount) for load, lines, amount in rows}


def _create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {TABLE} (total VARCHAR, load_id VARCHAR, fingerprint VARCHAR,
                    lines BIGINT, amount DECIMAL(38, 2))""")
    con.execute(f"COMMENT ON TABLE {TABLE} IS 'Each load''s lines and pounds as a reconciliation check last added "
                "them up, with the fingerprint of what they rest on (warehouse/totals_by_load.py): the next check "
                "reads only the loads whose fingerprint changed. Grain: one row per total and load. Internal.'")
