"""Helpers for the workbench tests: a scratch database over the demo warehouse with a restated
fct_ledger (a resubmission, an earlier month), and whole-table comparisons."""
from __future__ import annotations

from pathlib import Path

import duckdb

from workbench.flags import attach_read_only
from workbench.scenarios import rerun_models
from warehouse.sql_files import run_sql


def restated(warehouse: Path, fct_ledger_sql: str, params: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A scratch database over `warehouse` whose fct_ledger is `fct_ledger_sql` (a query over
    base.main.fct_ledger), with every model downstream of it and rpt_flags run again."""
    con = attach_read_only(warehouse)
    con.execute(f"CREATE TABLE fct_ledger AS {fct_ledger_sql}", params or {})
    rerun_models(con, roots=("fct_ledger",))
    return con


def flag_rows(con: duckdb.DuckDBPyConnection, table: str = "rpt_flags") -> dict[str, dict]:
    cur = con.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}


def build_flags(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """A scratch database over `warehouse` with rpt_flags built from its rpt tables."""
    con = attach_read_only(warehouse)
    run_sql(con, "reports/rpt_flags")
    return con


def table_diff(con: duckdb.DuckDBPyConnection, table: str, keys: tuple[str, ...], value: str) -> list[tuple]:
    """Rows of `table` whose `value` differs between the actual position (base) and the scenario
    (memory), as (keys..., actual, scenario); a row missing on one side counts as 0 there."""
    on = " AND ".join(f"a.{k} IS NOT DISTINCT FROM s.{k}" for k in keys)
    cols = ", ".join(f"coalesce(a.{k}, s.{k})" for k in keys)
    sql = (f"SELECT {cols}, coalesce(a.{value}, 0), coalesce(s.{value}, 0) FROM base.main.{table} a "
           f"FULL JOIN memory.main.{table} s ON {on} "
           f"WHERE coalesce(a.{value}, 0) IS DISTINCT FROM coalesce(s.{value}, 0) ORDER BY ALL")
    return con.execute(sql).fetchall()


def identical(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """The scenario's table has exactly the actual position's rows (as multisets). Statistics held as
    DOUBLE (z-scores, phi) are compared to 9 decimal places: DuckDB's parallel sums of doubles may
    differ in the last bits from run to run."""
    columns = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'base' "
                          "AND table_name = $t ORDER BY column_index", {"t": table}).fetchall()
    select = ", ".join(f'round("{c}", 9)' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in columns)
    (left,) = con.execute(f"SELECT count(*) FROM (SELECT {select} FROM base.main.{table} EXCEPT ALL "
                          f"SELECT {select} FROM memory.main.{table})").fetchone()
    (right,) = con.execute(f"SELECT count(*) FROM (SELECT {select} FROM memory.main.{table} EXCEPT ALL "
                           f"SELECT {select} FROM base.main.{table})").fetchone()
    return left == 0 and right == 0
