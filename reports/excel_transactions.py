"""The board pack's Transactions sheet: the month's mental-health ledger lines, filterable, and the
summary's key figures linked to them.

The sheet lists every fct_mh_ledger line of the report month (of the pack's system, for a
one-system pack), one row each with its source file and row, under an autofilter. Above the
header a SUBTOTAL of each money column sums the lines the filter leaves visible, outside the
filtered range, so a reader who filters on a system (or a partner, a service line) sees the sum
of those lines and can set it beside the summary's figure. Like the site's drill-down pages this
sheet reads fct_mh_ledger (see reports/drilldown.py): the one place the pack reads lines.
"""
from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any, NamedTuple

import duckdb
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from reports import formatting as f
from reports.excel_streamed import StreamedRows
from reports.excel_text import FONT, ROW_PT, text_width
from reports.query import ReportContext
from reports.tables import Table

SHEET = "Transactions"
SOURCE = "fct_mh_ledger"
HEADER_ROW = 5
# (column of the lines, heading, kind): kind "money" columns are summed by the SUBTOTAL row
_COLUMNS = (
    ("ics_id", "System", "ics"), ("partner_name", "Partner", "text"), ("period", "Period", "text"),
    ("service_line_name", "Service line", "text"), ("funding_stream", "Funding stream", "funding_stream"),
    ("line_type", "Line", "code"), ("counterparty", "Counterparty", "text"), ("description", "Description", "text"),
    ("amount", "Amount", "money"), ("gross_spend", "Gross spend", "money"), ("net_spend", "Net spend", "money"),
    ("source_file", "Source file", "file"), ("source_row", "Row", "int"),
)
_FIGURES = ("money", "int")          # the kinds whose cells hold numbers; every other kind's hold text
_WIDTHS = {"money": 18, "int": 8}      # figures: as wide as the largest; every other column fits its text
_WIDEST = 40        # a text column wider than this (a long description) wraps within it: a service line fits
_WIDEST_FILE = 75   # a file's column: a partner's folder and a real file name (often 40 to 70 wide) kept on one line
_FILE_INDENT = 2    # the file set off the net spend figure beside it (at 1 they read as one cell)
_CELL_MOST = 32767     # characters a cell holds


def _font(**style) -> Font:
    """The pack's font (openpyxl's Font() names none, which LibreOffice shows in a serif)."""
    return Font(name=FONT, **style)


def _widest(kind: str) -> float:
    return _WIDEST_FILE if kind == "file" else _WIDEST


def _lines(text: str, indent: int, widest: float) -> int:
    """The lines a wrapped cell's text takes in a column ``widest`` wide (greedy word wrap, as the apps do)."""
    room = widest - 2.5 - indent * 1.5
    n, used = 1, 0.0
    for word in text.split(" "):
        w = text_width(word)
        if used and used + text_width(" ") + w > room:
            n, used = n + 1, w
        else:
            used += (text_width(" ") if used else 0) + w
        n += int(w // room) if w > room else 0       # a path with no spaces breaks anywhere
    return n


class _Styles:
    """The lines' cell styles, one per kind of cell (money, row number, file, text; wrapped or not; at the top or
    not), each made once per sheet at its first cell, as openpyxl registers a style's parts when a cell first gets
    it, and handed to the sheet's streamed rows (reports/excel_streamed.py) by its key."""

    def __init__(self, ws: Worksheet, rows: StreamedRows):
        self.ws = ws
        self.rows = rows
        self._money2 = f.EXCEL_FORMATS["money2"]

    def key(self, kind: str, wrapped: bool, top: bool) -> tuple[str, bool, bool]:
        key = (kind, wrapped, top)
        if not self.rows.has_style(key):
            self.rows.style(key, self._style(*key))
        return key

    def _style(self, kind: str, wrapped: bool, top: bool) -> StyleArray | None:
        probe = Cell(self.ws)
        if kind == "money":
            probe.number_format = self._money2
        # an indent shows only on left-aligned text (LibreOffice ignores it under General alignment)
        indent = {"horizontal": "left", "indent": _FILE_INDENT} if kind == "file" else {}
        if wrapped:
            probe.alignment = Alignment(**indent, wrap_text=True, vertical="top")
        elif top:
            probe.alignment = Alignment(**indent, vertical="top")
        elif indent:
            probe.alignment = Alignment(**indent)
        return probe._style if probe.has_style else None


def _shown(kind: str, v: Any) -> tuple[Any, float | None, bool, int]:
    """A line's value as its cell holds it, its width (None: not measured), whether it wraps and the lines it
    takes. A figure is a number, never text or a float; text is worked out once per distinct value (names,
    files and codes repeat on thousands of lines)."""
    if kind == "money":
        return None if v is None else Decimal(v), None, False, 1
    if kind == "int":
        return v, None, False, 1
    return _text_shown(kind, v)


@functools.lru_cache(maxsize=1 << 16)
def _text_shown(kind: str, v: Any) -> tuple[str | None, float | None, bool, int]:
    """(text, width, wrapped, lines) of a text cell: measured whole, held cut to the most a cell holds (as
    openpyxl's value setter cuts it)."""
    if kind == "file":
        text = f.excel_text(_file_name(v))
        width = text_width(text) + _FILE_INDENT
        wrapped = width + 2.5 > _widest(kind)        # wrapped only when too long
        return text[:_CELL_MOST], width, wrapped, _lines(text, _FILE_INDENT, _widest(kind)) if wrapped else 1
    shown = f.label(v, kind) if kind in ("ics", "funding_stream", "code") and v is not None else v
    text = None if shown is None else f.excel_text(str(shown))
    if not text:
        return text, None, False, 1
    width = text_width(text)
    wrapped = width + 2.5 > _widest(kind)
    return text[:_CELL_MOST], width, wrapped, _lines(text, 0, _widest(kind)) if wrapped else 1


def _present(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """The sheet's columns the warehouse's lines hold (a cut-down test warehouse may lack some)."""
    have = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [SOURCE]).fetchall()}
    return [c for c in _COLUMNS if c[0] in have]


def _file_name(path: Any) -> str:
    """The file as the partner sent it: its path from the inbox (as on the drill-down pages)."""
    if not path:
        return ""
    text = "/" + str(path).replace("\\", "/")
    return text.split("/inbox/", 1)[1] if "/inbox/" in text else PurePosixPath(text).name


class Written(NamedTuple):
    first_of: dict[Any, int]        # the first row of each system's lines (the summary links there)
    lines: StreamedRows             # the lines' rows, written when the pack is saved by excel_streamed.save


def write_transactions(ws: Worksheet, con: duckdb.DuckDBPyConnection, ctx: ReportContext) -> Written:
    """Write the sheet: its title and header as cells, its lines as rows streamed into it when the workbook is
    saved by reports/excel_streamed.save (tens of thousands of lines in a large month)."""
    cols = _present(con)
    order = [c for c in ("ics_id", "partner_name", "service_line_name", "source_file", "source_row")
             if c in {k for k, _, _ in cols}]
    recs = con.execute(
        f"SELECT {', '.join(k for k, _, _ in cols)} FROM {SOURCE} WHERE period = $period "
        "AND ($ics_id IS NULL OR ics_id = $ics_id) "
        f"ORDER BY {', '.join(order)}", {"period": ctx.period, "ics_id": ctx.ics_id}).fetchall()
    blue = "005EB8"
    ws["A1"] = f"Transactions — {ctx.month}"
    ws["A1"].font = _font(bold=True, size=14, color=blue)
    ws["A2"] = (f"Every mental-health ledger line of {ctx.month}, as each partner booked it: amount positive "
                "for money out, negative for money in; gross and net spend are each line's part of the "
                "open book's figures. Filter any column; the row above the header sums the lines shown.")
    ws["A2"].font = _font(italic=True, color="4C6272")
    last = HEADER_ROW + len(recs)
    ws.cell(row=HEADER_ROW - 1, column=1, value="Lines shown by the filter: total").font = _font(bold=True)
    for j, (key, label, kind) in enumerate(cols, start=1):
        c = ws.cell(row=HEADER_ROW, column=j, value=label)
        c.font = _font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor=blue)
        c.alignment = Alignment(horizontal="right" if kind in _FIGURES else "left",
                                indent=_FILE_INDENT if kind == "file" else 0)      # over its indented files
        if kind == "money":
            letter = get_column_letter(j)
            # SUBTOTAL(109, ...) ignores rows the filter hides (the pack's one total formula): the sum of what the reader sees
            t = ws.cell(row=HEADER_ROW - 1, column=j,
                        value=f"=SUBTOTAL(109,{letter}{HEADER_ROW + 1}:{letter}{max(last, HEADER_ROW + 1)})")
            t.number_format = f.EXCEL_FORMATS["money2"]
            t.font = _font(bold=True)
    widest = [text_width(label, bold=True) + 2 for _, label, _ in cols]     # the header's, with its filter button
    first_of: dict[Any, int] = {}
    has_system = "ics_id" in {k for k, _, _ in cols}
    rows = StreamedRows(ws, HEADER_ROW + 1)
    styles = _Styles(ws, rows)
    kinds = [kind for _, _, kind in cols]
    for r, rec in enumerate(recs, start=HEADER_ROW + 1):
        shown = [_shown(kind, v) for kind, v in zip(kinds, rec)]
        lines = 1
        for j, (_, width, _, n) in enumerate(shown):
            if width is not None:
                widest[j] = max(widest[j], width)
                lines = max(lines, n)
        # row r; a wrapped row's figures sit at the top beside its wrapped text, not at the foot of the row.
        # LibreOffice does not fit a row to wrapped text on opening: a wrapped row's height is set. A figure is a
        # Decimal or an int; text went through _text_shown (formatting.excel_text) and is written as text, never a formula
        rows.append([(styles.key(kind, wrapped, lines > 1), v, kind not in _FIGURES)
                     for kind, (v, _, wrapped, _) in zip(kinds, shown)], ROW_PT * lines if lines > 1 else None)
        if has_system:
            first_of.setdefault(rec[0], r)
    for j, (_, _, kind) in enumerate(cols, start=1):
        fitted = round(min(widest[j - 1] + 2.5, _widest(kind)), 1)     # padding and margin, as the other sheets
        ws.column_dimensions[get_column_letter(j)].width = _WIDTHS.get(kind, fitted)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(cols))}{max(last, HEADER_ROW + 1)}"
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    if not recs:
        ws.cell(row=HEADER_ROW + 1, column=1, value=f"No ledger lines for {ctx.month}.").font = _font(italic=True)
    return Written(first_of, rows)


# The summary's figures that are sums of the month's lines, by block: value key -> the
# Transactions column a reader sums (after filtering on the row's system) to get the figure.
LINKED = {"net-by-system": {"net_month": "Net spend"}, "by-system": {"month": "Gross spend"}}


def link_summary(ws: Worksheet, placed: dict[str, tuple[int, int, Table]], first_of: dict[Any, int]) -> int:
    """Hyperlink the summary's month figures to their system's first line on the Transactions
    sheet (the total to the header); return how many cells were linked."""
    n = 0
    for key, values in LINKED.items():
        if key not in placed:
            continue
        top, _, table = placed[key]
        for i, row in enumerate(table.rows):
            r = top + 1 + i
            ics = row.values.get("ics_id") if row.role == "detail" else None
            target = first_of.get(ics) if ics is not None else HEADER_ROW
            if target is None:
                continue
            for j, col in enumerate(table.columns, start=1):
                if col.key in values and row.values.get(col.key) is not None:
                    c = ws.cell(row=r, column=j)
                    what = f"{f.label(ics, 'ics')}'s lines" if ics is not None else "every line"
                    c.hyperlink = Hyperlink(ref=c.coordinate, location=f"'{SHEET}'!A{target}",
                                            tooltip=f"{what} on the {SHEET} sheet: filter System, "
                                                    f"the sum of {values[col.key]} above the header")
                    c.font = Font(name=c.font.name, size=c.font.sz, bold=c.font.b, color="005EB8", underline="single")
                    n += 1
    return n
