"""Every table of the HTML site as a CSV file beside it, for readers who want the figures
in their own spreadsheet: the labels as shown, the numbers exact (money 1234.50, shares as
percentages 44.72), one row per table row with its type (detail, subtotal, total) so a
filter on it leaves the detail lines that add up to the totals. Text cells starting with
= + - @ tab or CR get a leading apostrophe, the rule every openbook export follows
(formatting.excel_text), so a partner's text can never become a formula in Excel.

``csv_lines`` gives the same file line by line (one line per table row, the heading first),
so a page can put together the CSV of the rows a filter leaves shown from exactly these lines
(templates/filter-tables.js), never re-encoding a value itself. ``series_csv_lines`` does the
same for a table with a column per system, partner or month: the file as it would be written
with one of those columns only, for a filter that leaves one shown."""
from __future__ import annotations

import csv
import dataclasses
import io
from datetime import datetime
from decimal import Decimal
from typing import Any, Collection

from reports import formatting as f
from reports.tables import Column, Row, Table

ROW_TYPE = "Row type"


LINE_END = "\r\n"      # RFC 4180 and Excel


def table_csv(table: Table) -> str:
    """The table as CSV text (CRLF line ends)."""
    return "".join(line + LINE_END for line in csv_lines(table))


def csv_lines(table: Table) -> list[str]:
    """The CSV file's lines without their line ends: the heading, then one per row of ``table.rows``
    in order (a quoted value may hold a line break of its own, so these are not the file split at
    line breaks)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=LINE_END)
    columns = [c for c in table.columns if c.key != "flag_text" or any(r.flagged for r in table.rows)]
    lines = []
    for cells in [[f.excel_text(ROW_TYPE)] + [f.excel_text(_heading(c)) for c in columns]] + [
            [row.role] + [_cell(row, c) for c in columns] for row in table.rows]:
        out.seek(0)
        out.truncate()
        writer.writerow(cells)
        lines.append(out.getvalue()[:-len(LINE_END)])
    return lines


def series_csv_lines(table: Table, dims: Collection[str]) -> dict[str, list[str]]:
    """For a table with a column per value of one of ``dims`` (``Column.series``): by each such
    column's heading, ``csv_lines`` of the table with that one of them, and by "" with none. The
    columns totalling them (``Column.across``) are left out of each: they add the columns left
    out too. Empty when the table has no such columns."""
    series = [c for c in table.columns if c.series in dims]
    if not series:
        return {}
    plain = [c for c in table.columns if c.series not in dims and c.across not in dims]
    out = {"": csv_lines(dataclasses.replace(table, columns=plain))}
    for col in series:
        out[col.label] = csv_lines(dataclasses.replace(
            table, columns=[c for c in table.columns if c is col or c in plain]))
    return out


def _heading(col: Column) -> str:
    if col.fmt == "pct" and "%" not in col.label:
        return f"{col.label} (%)"
    return col.label


def _cell(row: Row, col: Column) -> Any:
    if not col.is_value:
        value = row.values.get(col.key)
        if isinstance(value, datetime):
            return value.isoformat(sep=" ", timespec="seconds")
        return f.excel_text(row.text(col))
    value = row.values.get(col.key)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")   # exact: never 1E+1, never a float's 0.30000000000000004
    if isinstance(value, float):
        return repr(value)
    return value
