"""The monthly Excel board pack (openpyxl).

Sheets, in order: Cover, Summary, one sheet per section of ``sections.SECTIONS``, and
Submissions (every submission the year-to-date figures rest on). Values, not formulas:
every total is computed by the section engine and written as a number; money is
Decimal until openpyxl writes it. Text from the data goes through
``formatting.excel_text`` and is forced to the string type (never a formula).
"""
from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.drawing.text import Font as DrawingFont
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.worksheet import Worksheet

from reports import formatting as f
from reports import sections as s

FONT = "Arial"
NHS_BLUE = "005EB8"
DARK = "212B32"
PALE_GREY = "E8EDEE"
PALE_BLUE = "DCE6F2"
MID_GREY = "D8DDE0"
HEADER_ROW = 5            # section sheets: title, subtitle, description, blank, header
_thin = Side(style="thin", color="AEB7BD")
_double = Side(style="double", color=DARK)

COVER_SHEET = "Cover"
SUBMISSIONS_SHEET = "Submissions"


def build_board_pack(con: duckdb.DuckDBPyConnection, period: str, out_path: Path, *,
                     ics_id: str | None = None, run_id: str = "") -> Path:
    """Write the board pack for ``period`` (YYYY-MM) to ``out_path``; return the path.

    ``ics_id=None`` is the combined pack for every system. The workbook is saved to a
    temporary file beside ``out_path`` and moved into place, so a crash never leaves a
    half-written pack.
    """
    ctx = s.ReportContext(period, ics_id, run_id)
    s.check_sections(s.SECTIONS)
    cover = s.cover(con, ctx)
    summary_tables = [s.section_table(con, b, ctx) for b in s.SUMMARY.blocks]
    section_tables = [s.section_table(con, sec, ctx) for sec in s.SECTIONS]

    wb = _workbook()
    wb.properties.title = ctx.title
    wb.properties.creator = "openbook"
    _write_cover(wb.active, cover)
    _write_summary(wb.create_sheet(s.SUMMARY.title), ctx, cover, summary_tables)
    for sec, table in zip(s.SECTIONS, section_tables):
        _write_section(wb.create_sheet(sec.sheet), ctx, cover, table)
    _write_submissions(wb.create_sheet(SUBMISSIONS_SHEET), ctx, cover)

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, 0o644)             # mkstemp makes 0600; the pack is shared
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_path


def _workbook() -> Workbook:
    """A workbook whose default font is Arial 10 (openpyxl's is Calibri 11).

    Column widths are counted in digits of the default font, so making it the font the
    pack is written in keeps the computed widths true in Excel and in LibreOffice
    (which has the metric-compatible Liberation Sans, but not Calibri).
    """
    wb = Workbook()
    base = Font(name=FONT, size=10, family=2)
    wb._fonts = IndexedList([base])          # font 0: what widths are measured in
    wb._named_styles["Normal"].font = base   # the Normal style uses the same font 0
    return wb


# ---------------------------------------------------------------------------
# Cell helpers
# Advance widths of Arial (= Helvetica metrics), in 1/1000 em; others count as 'n'.
_ARIAL = {c: w for chars, w in (
    (" !',./:;[\\]fIijlt", 278), ("()-`r", 333), ("*", 389), ("\"", 355), ("^", 469),
    ("Jckvxyzs", 500), ("#$0123456789?_abdeghnopqu£L", 556), ("+<=>~", 584), ("FTZ", 611),
    ("ABEKPSVXY&", 667), ("CDHNRUw", 722), ("GOQ", 778), ("Mm", 833), ("%", 889),
    ("W", 944), ("—", 1000), ("@", 1015), ("|", 260), ("{}", 334), ("·", 278))
    for c in chars}


def text_width(text: str, *, bold: bool = False, size: float = 10) -> float:
    """Width of text in Excel column-width units (the '0' of the default font, ~7 px)."""
    em = 0.0
    for ch in text:
        w = _ARIAL.get(ch, 556)
        em += w * (1.08 if bold and not ch.isdigit() else 1.0)
    px = em / 1000 * size * 96 / 72
    return px / 7


class _Widths:
    """Widest displayed text per column, to size columns so nothing shows ####."""

    def __init__(self):
        self.units: dict[int, float] = {}

    def see(self, col: int, text: str, bold: bool = False, size: float = 10):
        n = max((text_width(line, bold=bold, size=size) for line in str(text).splitlines()),
                default=0)
        self.units[col] = max(self.units.get(col, 0), n)

    def apply(self, ws: Worksheet, minimum: float = 8, maximum: float = 60) -> set[int]:
        """Set the widths; returns the columns capped at ``maximum`` (their text must wrap)."""
        capped = set()
        for col, n in self.units.items():
            width = n + 2.5                      # cell padding and a safety margin
            if width > maximum:
                capped.add(col)
            ws.column_dimensions[get_column_letter(col)].width = round(
                min(max(width, minimum), maximum), 1)
        return capped


def _font(bold=False, size=10, color=DARK, italic=False) -> Font:
    return Font(name=FONT, size=size, bold=bold, color=color, italic=italic)


def _put_text(ws: Worksheet, row: int, col: int, text: Any, **font) -> Any:
    """Text that Excel must never evaluate: neutralised and forced to the string type."""
    cell = ws.cell(row=row, column=col)
    cell.value = f.excel_text(text)
    cell.data_type = "s"
    cell.font = _font(**font)
    return cell


def _put_value(ws: Worksheet, row: int, col: int, value: Any, fmt: str, **font):
    cell = ws.cell(row=row, column=col)
    if fmt == "money":
        cell.value = None if value is None else Decimal(value)
        cell.number_format = f.MONEY_FORMAT
    elif fmt == "pct":
        cell.value = None if value is None else Decimal(value)
        cell.number_format = f.PCT_FORMAT
    elif fmt == "int":
        cell.value = None if value is None else int(value)
        cell.number_format = f.INT_FORMAT
    elif fmt == "datetime":
        cell.value = value
        cell.number_format = f.DATETIME_FORMAT
    else:
        raise ValueError(fmt)
    cell.font = _font(**font)
    cell.alignment = Alignment(horizontal="right")
    return cell


def _display(value: Any, fmt: str) -> str:
    if fmt == "datetime":
        return f.datetime_text(value)
    return f.number_text(value, fmt)


def _print_setup(ws: Worksheet, ctx: s.ReportContext, *, title_rows: str | None,
                 one_page: bool = False):
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    for hf in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
        hf.center.text = f.header_footer_text(ctx.title)
        hf.center.size = 9
        hf.center.font = FONT
    for hf in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
        hf.center.text = "Page &P of &N"
        hf.center.size = 9
        hf.left.text = f.header_footer_text(ws.title)
        hf.left.size = 9
        if ctx.run_id:
            hf.right.text = f.header_footer_text(f"Run {ctx.run_id}")
            hf.right.size = 9
    ws.sheet_view.showGridLines = False


def _titles(ws: Worksheet, ctx: s.ReportContext, cover: s.Cover, title: str, description: str,
            width_cols: int, money: bool = True):
    _put_text(ws, 1, 1, f"{title} — {ctx.month}", bold=True, size=14, color=NHS_BLUE)
    _put_text(ws, 2, 1, f"{f.systems_label(cover.systems)} · financial year {ctx.fy}, month "
                        f"{ctx.fy_month}" + (" · £ gross expenditure" if money else ""),
              size=10, color="4C6272")
    if description:
        ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=max(width_cols, 1))
        c = _put_text(ws, 3, 1, description, italic=True, color="4C6272")
        c.alignment = Alignment(wrap_text=True, vertical="top")


def _write_table(ws: Worksheet, table: s.Table, top: int, widths: _Widths, *,
                 autofilter: bool = False) -> tuple[int, int]:
    """Header at ``top``, rows below; returns (header row, last row)."""
    table_levels = sorted({row.level for row in table.rows if row.role == "subtotal"})
    right = [c.is_value or c.fmt == "datetime" for c in table.columns]
    # left-aligned text right after a right-aligned number would touch it: indent it
    indent = [j > 0 and right[j - 1] and not right[j] for j in range(len(table.columns))]
    for j, col in enumerate(table.columns, start=1):
        c = _put_text(ws, top, j, col.label, bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor=NHS_BLUE)
        c.alignment = Alignment(horizontal="right" if right[j - 1] else "left",
                                vertical="center", wrap_text=True, indent=1 if indent[j - 1] else 0)
        # a long header may wrap onto two lines: then only its longest word must fit
        fits = text_width(col.label, bold=True) <= 13
        widths.see(j, col.label if fits else max(col.label.split(), key=lambda w: text_width(
            w, bold=True)), bold=True)
    r = top
    for row in table.rows:
        r += 1
        bold = row.role != "detail"
        inner = row.role == "subtotal" and row.level == len(table_levels) - 1
        fill = (PatternFill("solid", fgColor=PALE_GREY if inner else PALE_BLUE)
                if row.role == "subtotal"
                else PatternFill("solid", fgColor=MID_GREY) if row.role == "total" else None)
        for j, col in enumerate(table.columns, start=1):
            if col.is_value or col.fmt == "datetime":
                v = row.values.get(col.key)
                c = _put_value(ws, r, j, v, col.fmt, bold=bold)
                widths.see(j, _display(v, col.fmt), bold=bold)
            else:
                text = row.text(col)
                c = _put_text(ws, r, j, text, bold=bold)
                if indent[j - 1]:
                    c.alignment = Alignment(horizontal="left", indent=1)
                widths.see(j, f.excel_text(text) + ("   " if indent[j - 1] else ""), bold=bold)
            if fill is not None:
                c.fill = fill
            if row.role == "total":
                c.border = Border(top=_thin, bottom=_double)
            elif row.role == "subtotal":
                c.border = Border(top=_thin)
            else:
                c.border = Border(bottom=Side(style="hair", color=MID_GREY))
    if autofilter and r > top:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(table.columns))}{r}"
    return top, r


def _fit_rows(ws: Worksheet, first: int, last: int, ncols: int, capped: set[int]):
    """Wrap the header and the text of capped columns, and give wrapping rows a height.

    LibreOffice does not fit a row to wrapped text on opening, so a row whose text wraps
    gets an explicit height from the same width estimate (erring on the tall side);
    body cells sit at the top of their row so a tall row still reads cleanly.
    """
    for r in range(first, last + 1):
        lines = 1
        for j in range(1, ncols + 1):
            cell = ws.cell(row=r, column=j)
            a = cell.alignment
            wrap = r == first or (j in capped and isinstance(cell.value, str))
            cell.alignment = Alignment(horizontal=a.horizontal, indent=a.indent,
                                       vertical="center" if r == first else "top",
                                       wrap_text=wrap or a.wrap_text)
            if wrap and isinstance(cell.value, str) and cell.value:
                avail = max((ws.column_dimensions[get_column_letter(j)].width or 10) - 0.8, 1)
                words, n, used = cell.value.split(" "), 1, 0.0
                for w in words:                       # greedy word wrap, as the apps do
                    ww = text_width(w + " ", bold=bool(cell.font and cell.font.b))
                    if used and used + ww > avail:
                        n, used = n + 1, 0.0
                    used += ww
                lines = max(lines, n)
        if lines > 1:
            ws.row_dimensions[r].height = 12.75 * lines + 2


def _description_height(ws: Worksheet, text: str, ncols: int):
    total = sum(ws.column_dimensions[get_column_letter(j)].width or 10 for j in range(1, ncols + 1))
    lines = max(1, math.ceil(len(text) * 1.1 / max(total, 1)))
    ws.row_dimensions[3].height = 14 * lines + 2


# ---------------------------------------------------------------------------
# Sheets
def _write_cover(ws: Worksheet, cover: s.Cover):
    ctx = cover.ctx
    ws.title = COVER_SHEET
    widths = _Widths()
    _put_text(ws, 1, 1, ctx.title, bold=True, size=18, color=NHS_BLUE)
    _put_text(ws, 2, 1, "Mental health finance oversight group (MHFOG) board pack",
              size=11, color="4C6272")
    facts = [
        ("System(s)", f.systems_label(cover.systems)),
        ("Report month", f"{ctx.month}: month {ctx.fy_month} of financial year {ctx.fy}"),
        ("Figures", "Gross mental-health expenditure in £, for the month and the financial "
                    "year to date, before eliminating payments between partners"),
        ("Data as at", f.datetime_text(cover.data_as_at) or "no submissions loaded"),
        ("Produced", f.datetime_text(dt.datetime.now().replace(microsecond=0))),
        ("Run id", ctx.run_id or "(not given)"),
    ]
    r = 4
    for key, value in facts:
        _put_text(ws, r, 1, key, bold=True)
        c = _put_text(ws, r, 2, value)
        c.alignment = Alignment(horizontal="left")
        widths.see(1, key, bold=True)
        r += 1

    r += 1
    _put_text(ws, r, 1, f"Submissions for {ctx.month} this pack rests on", bold=True, size=12,
              color=NHS_BLUE)
    table = _submissions_table(cover.this_month, with_period=False)
    span = None
    if table.rows:
        span = _write_table(ws, table, r + 1, widths)
        r = span[1]
    else:
        r += 1
        _put_text(ws, r, 1, f"No submission has been loaded for {ctx.month}.", italic=True)
    r += 2
    if cover.missing:
        _put_text(ws, r, 1, f"Not received for {ctx.month}:", bold=True, color="B00020")
        _put_text(ws, r, 2, ", ".join(cover.missing), color="B00020")
        r += 1
    earlier = cover.earlier
    periods = sorted({x.period for x in earlier if x.period})
    note = (f"The year-to-date and movement figures also rest on {len(earlier)} earlier "
            f"submission{'s' if len(earlier) != 1 else ''}"
            + (f" ({f.month_label(periods[0], True)})" if len(periods) == 1 else
               f" ({f.month_label(periods[0], True)} to {f.month_label(periods[-1], True)})"
               if periods else "")
            + f", listed on the {SUBMISSIONS_SHEET} sheet.")
    _put_text(ws, r, 1, note, italic=True, color="4C6272")
    _put_text(ws, r + 1, 1, "Only submissions that passed their data-quality checks are in the "
                            "figures.", italic=True, color="4C6272")
    capped = widths.apply(ws)
    if span:
        _fit_rows(ws, span[0], span[1], len(table.columns), capped)
    last_col = get_column_letter(max(len(table.columns), 2))
    ws.print_area = f"A1:{last_col}{r + 1}"
    _print_setup(ws, ctx, title_rows=None)
    ws.page_setup.fitToHeight = 0


def _submissions_table(subs: list[s.Submission], with_period: bool) -> s.Table:
    cols = ([s.Column("period", "Period", "period", False)] if with_period else []) + [
        s.Column("partner", "Partner", "text", False),
        s.Column("file", "File", "text", False),
        s.Column("loaded_at", "Loaded at", "datetime", False),
        s.Column("rows_read", "Rows read", "int", True),
        s.Column("rows_loaded", "Rows loaded", "int", True),
        s.Column("rows_quarantined", "Rows quarantined", "int", True),
        s.Column("quality", "Data quality", "text", False),
    ]
    rows = [s.Row({"period": x.period, "partner": x.partner_name, "file": x.file_name,
                   "loaded_at": x.loaded_at, "rows_read": x.rows_read,
                   "rows_loaded": x.rows_loaded, "rows_quarantined": x.rows_quarantined,
                   "quality": x.quality}) for x in subs]
    return s.Table("submissions", "Submissions", cols, rows)


def _chart_props(size: int, bold: bool) -> CharacterProperties:
    return CharacterProperties(latin=DrawingFont(typeface=FONT), sz=size, b=bold,
                               solidFill=DARK)


def _chart_text(text: str, size: int) -> Title:
    """A chart or axis title in the pack's font (openpyxl's default is 18pt Calibri)."""
    cp = _chart_props(size, True)
    para = Paragraph(pPr=ParagraphProperties(defRPr=cp), r=[RegularTextRun(rPr=cp, t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def _chart_font(size: int) -> RichText:
    cp = _chart_props(size, False)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=cp), endParaRPr=cp)])


def _write_summary(ws: Worksheet, ctx: s.ReportContext, cover: s.Cover, tables: list[s.Table]):
    widths = _Widths()
    ncols = max(len(t.columns) for t in tables)
    _put_text(ws, 1, 1, f"{s.SUMMARY.title} — {ctx.month}", bold=True, size=14, color=NHS_BLUE)
    _put_text(ws, 2, 1, f"{f.systems_label(cover.systems)} · financial year {ctx.fy}, month "
                        f"{ctx.fy_month}", color="4C6272")
    _put_text(ws, 3, 1, f"Gross mental-health expenditure, £. Movement is {ctx.month} against "
                        f"{f.month_label(ctx.prev_period)}.", color="4C6272")
    r = 5
    placed: dict[str, tuple[int, int, s.Table]] = {}
    for block, table in zip(s.SUMMARY.blocks, tables):
        _put_text(ws, r, 1, block.title, bold=True, size=11, color=NHS_BLUE)
        top, last = _write_table(ws, table, r + 1, widths)
        placed[block.key] = (top, last, table)
        if not table.rows:
            last += 1
            _put_text(ws, last, 1, f"No figures for {ctx.month}.", italic=True)
        r = last + 2
    capped = widths.apply(ws)
    for top, last, table in placed.values():
        _fit_rows(ws, top, last, len(table.columns), capped)
    ws.freeze_panes = "A5"

    last_row = r
    spec = s.SUMMARY.excel_chart
    if spec is not None and spec.block in placed:
        top, last, table = placed[spec.block]
        ndetail = len(table.detail_rows)
        series_cols = [j for j, c in enumerate(table.columns, start=1)
                       if c.is_value and c.key != "p_total"] or \
                      [j for j, c in enumerate(table.columns, start=1) if c.is_value]
        if ndetail:
            chart = BarChart()
            chart.type = "col"
            chart.grouping = "clustered"
            chart.title = _chart_text(spec.title, 1200)
            chart.x_axis.title = _chart_text(spec.x_title, 900)
            chart.y_axis.title = _chart_text(spec.y_title, 900)
            chart.x_axis.txPr = _chart_font(900)
            chart.y_axis.txPr = _chart_font(900)
            chart.legend.txPr = _chart_font(900)
            chart.x_axis.delete = False
            chart.y_axis.delete = False
            peak = max((abs(r_.values.get(c.key) or 0) for r_ in table.detail_rows
                        for c in table.value_columns), default=0)
            chart.y_axis.numFmt = ('£#,##0.0,,"m"' if peak >= 1_000_000 else
                                   '£#,##0,"k"' if peak >= 10_000 else '£#,##0')
            chart.gapWidth = 60
            chart.legend.position = "b"
            for k, j in enumerate(series_cols):
                data = Reference(ws, min_col=j, max_col=j, min_row=top, max_row=top + ndetail)
                chart.add_data(data, titles_from_data=True)
                chart.series[-1].graphicalProperties.solidFill = f.OKABE_ITO[k % len(f.OKABE_ITO)].lstrip("#")
                chart.series[-1].graphicalProperties.line.noFill = True
            chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=top + ndetail))
            total_width_units = sum(ws.column_dimensions[get_column_letter(j)].width or 10
                                    for j in range(1, ncols + 1))
            chart.width = max(16.0, min(total_width_units * 0.19, 30.0))   # cm
            chart.height = 8.5
            ws.add_chart(chart, f"A{r}")
            last_row = r + math.ceil(chart.height / 0.5) + 1
    ws.print_area = f"A1:{get_column_letter(ncols)}{last_row}"
    _print_setup(ws, ctx, title_rows=None, one_page=True)


def _write_section(ws: Worksheet, ctx: s.ReportContext, cover: s.Cover, table: s.Table):
    widths = _Widths()
    ncols = len(table.columns)
    money = any(c.fmt == "money" for c in table.columns)
    _titles(ws, ctx, cover, table.title, table.description, ncols, money)
    if table.rows:
        _, last = _write_table(ws, table, HEADER_ROW, widths, autofilter=True)
    else:
        for j, col in enumerate(table.columns, start=1):
            _put_text(ws, HEADER_ROW, j, col.label, bold=True)
        last = HEADER_ROW + 1
        _put_text(ws, last, 1, f"No figures for {ctx.month}.", italic=True)
    capped = widths.apply(ws)
    _fit_rows(ws, HEADER_ROW, last, ncols, capped)
    _description_height(ws, table.description, ncols)
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_area = f"A1:{get_column_letter(ncols)}{last}"
    _print_setup(ws, ctx, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")


def _write_submissions(ws: Worksheet, ctx: s.ReportContext, cover: s.Cover):
    table = _submissions_table(cover.submissions, with_period=True)
    table.title = "Submissions"
    table.description = ("Every partner submission the month, year-to-date and movement figures "
                         "rest on (current loads, and loads that failed), newest month first. "
                         "Only submissions that passed their data-quality checks are in the figures.")
    _write_section(ws, ctx, cover, table)
