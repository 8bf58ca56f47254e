"""The columns of each table a query reads, from DuckDB's own plan of it.

A view may join a table for one or two of its columns (fct_mh_ledger_by_recipient reads
dim_counterparty's class of each counterparty, not the register's totals paid, which move with any
amount in any ledger). What the view returns depends only on what its scans read, and DuckDB's
optimiser lists that on each scan of its physical plan (``EXPLAIN (FORMAT JSON)``): the columns it
projects and the filters it pushed into the scan (a filtered column need not be projected). So a
fingerprint of those columns says whether the view's rows can have changed.

Anything not understood is reported as not known (None): a table the plan does not scan by name, a scan
without a list of projections, a filter naming a column in quotes. The caller then fingerprints the
whole table, as before.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator

import duckdb

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def columns_read(con: duckdb.DuckDBPyConnection, query: str, tables: set[str],
                 columns_of: dict[str, set[str]]) -> dict[str, frozenset[str] | None]:
    """For each of ``tables`` (bare names), the columns of it ``query`` reads, or None when not known.
    ``columns_of``: each table's columns (a filter's words are matched against them)."""
    (_, text), = con.execute(f"EXPLAIN (FORMAT JSON) {query}").fetchall()
    found: dict[str, set[str] | None] = {}
    for info in _scans(json.loads(text)):
        table = info.get("Table")
        if table not in tables or found.get(table, set()) is None:
            continue
        projected = _names(info.get("Projections"))
        filters = _names(info.get("Filters")) or []
        if projected is None or any('"' in f for f in filters):
            found[table] = None
            continue
        words = {w for f in filters for w in _WORD.findall(f)} & columns_of.get(table, set())
        found[table] = found.get(table, set()) | set(projected) | words
    return {t: (frozenset(found[t]) if found.get(t) is not None else None) for t in tables}


def _scans(plan: Any) -> Iterator[dict[str, Any]]:
    """The extra information of every node of the plan that names a table."""
    for node in plan if isinstance(plan, list) else [plan]:
        info = node.get("extra_info") or {}
        if isinstance(info, dict) and "Table" in info:
            yield info
        yield from _scans(node.get("children") or [])


def _names(value: Any) -> list[str] | None:
    """A plan's list of names, given as a list or as one text with a name on each line."""
    if value is None:
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.splitlines() if v.strip()]
    return [str(v) for v in value]
