"""Every table of the HTML site as a CSV file beside it, for readers who want the figures
in their own spreadsheet: the labels as shown, the numbers exact (money 1234.50, shares as
percentages 44.72), one row per table row with its type (detail, subtotal, total) so a
filter on it leaves the detail lines that add up to the totals. Text cells starting with
= + - @ tab or CR get a leading apostrophe, the rule every openbook export follows
(formatting.excel_text), so a partner's text can never become a formula in Excel."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Any

from reports import formatting as f
from reports.tables import Column, Row, Table

ROW_TYPE = "Row type"


def table_csv(table: Table) -> str:
    """The table as CSV text (CRLF line ends, as RFC 4180 and Excel)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = [c for c in table.columns if c.key != "flag_text" or any(r.flagged for r in table.rows)]
    writer.writerow([f.excel_text(ROW_TYPE)] + [f.excel_text(_heading(c)) for c in columns])
    for row in table.rows:
        writer.writerow([row.role] + [_cell(row, c) for c in columns])
    return out.getvalue()


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
