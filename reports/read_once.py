"""A connection that runs each query once a build: the same text with the same parameters is answered from
the rows it returned the first time.

The explain workings of the site and of each board pack ask the same questions (a measure's scale, a
reference row, a payer's share, a sum of ledger lines behind a term): a pack's Explain sheet works again the
figures the site's pages work. A build only reads the warehouse, and holds the writer's connection while it
does (assets/report_assets.write_reports), so what a query returned it returns again until the build ends.
Only queries (SELECT, WITH) are kept; any other statement runs each time. Only ``execute`` then ``fetchone``,
``fetchall`` and ``description`` are offered: what the workings use.
"""
from __future__ import annotations

import copy
from typing import Any

import duckdb

_QUERIES = ("select", "with")


class Answer:
    """A kept query's rows, fetched as from DuckDB's own result (each answer from its first row)."""

    def __init__(self, description: list | None, rows: list[tuple]):
        self.description = description
        self._rows = rows
        self._at = 0

    def fetchone(self) -> tuple | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return _own(self._rows[self._at - 1])

    def fetchall(self) -> list[tuple]:
        rest, self._at = self._rows[self._at:], len(self._rows)
        return [_own(row) for row in rest]


def _own(row: tuple) -> tuple:
    """The row as the caller's own: a list or struct value copied (a caller may change it), the rest shared."""
    return copy.deepcopy(row) if any(isinstance(v, (list, dict)) for v in row) else row


class ReadOnce:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        self._kept: dict[tuple[str, str], tuple[list | None, list[tuple]]] = {}

    def execute(self, sql: str, parameters: Any = None) -> Answer | Any:
        if not sql.lstrip().lower().startswith(_QUERIES):
            return self._run(sql, parameters)
        key = (sql, repr(parameters))
        if key not in self._kept:
            result = self._run(sql, parameters)
            self._kept[key] = (result.description, result.fetchall())
        return Answer(*self._kept[key])

    def _run(self, sql: str, parameters: Any):
        return self._con.execute(sql, parameters) if parameters is not None else self._con.execute(sql)
