"""The monthly Excel board pack (openpyxl).

Sheets, in order: Cover, Summary, one sheet per section of ``sections.SECTIONS``, and
Submissions (every submission the year-to-date figures rest on), then Transactions (the month's
ledger lines under an autofilter, which the summary's month figures link to:
reports/excel_transactions.py; its lines are written into the sheet when the pack is saved,
reports/excel_streamed.py). Detail figures are values
(money is Decimal until openpyxl writes it; percentages are fractions under a percent format).
Subtotal and total rows are the pack's own formulas - =SUBTOTAL(109, ...) over the rows above,
and the derived cells' arithmetic from the cells beside them - so a filtered sheet shows the
filtered totals; only cell references, never text from the data, and only where the section
engine's own figure is that sum (otherwise the figure is written as a value). openpyxl stores no
cached result: Excel and LibreOffice work them out on opening. Text from the data goes through
``formatting.excel_text`` and is forced to the string type (never a formula).

A section sheet holds its table (filtered, header frozen, the grand total below the filter), then for each of its charts
drawn in Excel (``Chart(excel=True)``, bar and line kinds) the figures behind it and a
native chart of them, and the figures of its funnel and waterfall charts (drawn in the
HTML report); then its parts (further tables), each the same way. Flagged rows are
shaded and say why in their Flag column.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, NamedTuple

import duckdb
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.drawing.text import Font as DrawingFont
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from reports import excel_explain, excel_flag_links, excel_streamed, excel_transactions
from reports.excel_styles import alignment, set_style
from reports.excel_text import FONT, ROW_PT, text_width, wrapped_lines
from reports.flag_links import FlagLinks
from reports import formatting as f
from reports import sections
from reports.chart_figures import ChartData, FunnelData
from reports.cover import Cover, submissions_table
from reports.coverage import add_coverage_notes
from reports.key_messages import AMBER, TOLERANCES, Message, key_messages
from reports.query import ReportContext
from reports.section_figures import flag_counts
from reports.shared_figures import SharedFigures
from reports.spec import Chart, Derived, check_sections
from reports.tables import Column, Row, Table
from warehouse.files import save_atomically

NHS_BLUE = "005EB8"
RAG_FILLS = {"Red": "D5281B", "Amber": "FFB81C", "Green": "007F3B"}   # NHS red, warm yellow, dark green
DARK = "212B32"
PALE_GREY = "E8EDEE"
PALE_BLUE = "DCE6F2"
MID_GREY = "D8DDE0"
FLAG_FILL = "FCE8C8"       # a pale tint of Okabe-Ito orange: a flagged row
HEADER_ROW = 5            # section sheets: title, subtitle, description, blank, header
_thin = Side(style="thin", color="AEB7BD")
_double = Side(style="double", color=DARK)

COVER_SHEET = "Cover"
SUBMISSIONS_SHEET = "Submissions"


def build_board_pack(con: duckdb.DuckDBPyConnection, period: str, out_path: Path, *,
                     ics_id: str | None = None, run_id: str = "", shared: SharedFigures | None = None) -> Path:
    """Write the board pack for ``period`` (YYYY-MM) to ``out_path``; return the path.

    ``ics_id=None`` is the combined pack for every system. The workbook is saved to a
    temporary file beside ``out_path`` and moved into place, so a crash never leaves a
    half-written pack. ``shared``: the build's figures, read once for every writer
    (reports/shared_figures.py); alone, the pack reads its own.
    """
    ctx = ReportContext(period, ics_id, run_id)
    check_sections(sections.SECTIONS)
    shared = shared if shared is not None else SharedFigures(con)
    cover = shared.cover(ctx)
    summary_tables = [shared.table(b, ctx) for b in sections.SUMMARY.blocks]
    section_tables = [shared.table(sec, ctx) for sec in sections.SECTIONS]
    add_coverage_notes(section_tables, cover.submissions)
    section_charts = [{ch.key: shared.charts(part, ch, ctx)
                       for part in (sec,) + sec.parts for ch in part.charts if _in_excel(ch)}
                      for sec in sections.SECTIONS]
    flags = flag_counts(list(zip(sections.SECTIONS, section_tables)))
    messages = key_messages(cover, list(zip(sections.SECTIONS, section_tables)))

    register = section_tables[sections.SECTIONS.index(sections.FLAG_REGISTER)]
    register.note = " ".join(n for n in (register.note, excel_flag_links.UNLINKED_NOTE) if n)

    wb = _workbook()
    wb.properties.title = ctx.title
    wb.properties.creator = "openbook"
    _write_cover(wb.active, cover, messages)
    summary = wb.create_sheet(sections.SUMMARY.title)
    placed = _write_summary(summary, ctx, cover, summary_tables, flags)
    sheets = {}
    placed_tables: list[tuple[str, int, Any, Table]] = []     # (sheet, header row, section, table) of every table
    for sec, table, charts in zip(sections.SECTIONS, section_tables, section_charts):
        sheets[sec.key] = wb.create_sheet(sec.sheet)
        placed_tables += [(sec.sheet, top, t.section, t) for top, t in
                          _write_section(sheets[sec.key], ctx, cover, table, charts)]
        for part in table.parts:
            if _own_sheet(part):
                placed_tables += [(part.section.sheet, top, t.section, t) for top, t in
                                  _write_section(wb.create_sheet(part.section.sheet), ctx, cover, part, charts)]
    # each flag of the register opens the row raising it (reports/excel_flag_links.py)
    excel_flag_links.link_register(sheets[sections.FLAG_REGISTER.key], HEADER_ROW, register,
                                   excel_flag_links.flag_rows(placed_tables, FlagLinks(con)))
    _write_submissions(wb.create_sheet(SUBMISSIONS_SHEET), ctx, cover)
    # the month's lines, and the summary's month figures linked to them (reports/excel_transactions.py)
    tx = wb.create_sheet(excel_transactions.SHEET)
    first_of, lines = excel_transactions.write_transactions(tx, con, ctx)
    # the pack's page set-up, header and footer; the header row on every page when the lines run over one
    tx.print_area = f"A1:{get_column_letter(tx.max_column)}{lines.last_row}"
    layout = _print_layout(tx, tx.max_column, TITLE_COLUMNS)
    long_table, pages = _paginate(tx, tx.max_column, lines.last_row, [], layout, _streamed_row_pt(tx, lines))
    header = excel_transactions.HEADER_ROW
    _print_setup(tx, ctx, title_rows=f"{header}:{header}" if long_table else None, layout=layout)
    if pages:
        tx.page_setup.fitToHeight = pages
    excel_transactions.link_summary(summary, placed, first_of)
    # the key figures' workings, each figure linked to its own (reports/excel_explain.py)
    ex = wb.create_sheet(excel_explain.SHEET)
    excel_explain.write_explain(ex, shared.reads, ctx, [
        (summary, placed[b.key][0], b, placed[b.key][2]) for b in sections.SUMMARY.blocks
        if b.key in excel_explain.KEY_BLOCKS and b.key in placed] + [
        (sheets[sec.key], HEADER_ROW, sec, table) for sec, table in zip(sections.SECTIONS, section_tables)
        if sec.key in excel_explain.KEY_SECTIONS and table.rows])
    _print_setup(ex, ctx, title_rows="4:4")

    # shared: 0644, like every pack; the Transactions sheet's lines written by excel_streamed.save
    save_atomically(Path(out_path), functools.partial(excel_streamed.save, wb))
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
class _Widths:
    """Widest displayed text per column, to size columns so nothing shows ####.

    Numbers never wrap, so a column is never narrower than its widest number. Text wraps:
    a column of text is capped at ``maximum``, and when the sheet would be wider than
    ``budget_pt`` (it prints scaled down to fit the page's width: by default what an A4 page
    holds at PRINT_SCALE) its text columns are capped lower, down to 28 (sentences - a flag, a
    position - to 44), then on down to 16 (sentences to 32), until it fits or cannot. (A budget of
    230 widths, the sheet's text at about 60% on A4, printed most sheets too small to read.)"""

    def __init__(self):
        self.units: dict[int, float] = {}
        self.numbers: dict[int, float] = {}
        self.words: dict[int, float] = {}         # the longest word of a column's text: it cannot wrap
        self.floor: dict[int, float] = {}

    def see(self, col: int, text: str, bold: bool = False, size: float = 10, number: bool = False):
        n = max((text_width(line, bold=bold, size=size) for line in str(text).splitlines()),
                default=0)
        self.units[col] = max(self.units.get(col, 0), n)
        if number:
            self.numbers[col] = max(self.numbers.get(col, 0), n)
        else:
            word = max((text_width(w, bold=bold, size=size) for w in str(text).split()), default=0)
            self.words[col] = max(self.words.get(col, 0), word)

    def room_beside(self, ncols: int) -> bool:
        """Whether a chart (CHART_CM wide) beside the first ``ncols`` columns leaves the sheet within what an A4
        page holds at PRINT_SCALE, the columns as wide as their text so far (at most the widest a text column gets)."""
        pt = sum((min(max(self.units.get(col, 0) + 2.5, 8), 64) * 7 + 5) * 0.75 for col in range(1, ncols + 1))
        return pt + CHART_CM[0] / 2.54 * 72 <= A4.width_pt / PRINT_SCALE

    def apply(self, ws: Worksheet, minimum: float = 8, maximum: float = 64,
              budget_pt: float | None = None) -> set[int]:
        """Set the widths; returns the columns capped (their text must wrap)."""
        natural = {col: max(n + 2.5, minimum) for col, n in self.units.items()}   # padding, margin

        def widths_at(cap: float) -> dict[int, float]:
            # a sentence keeps 16 more than other text (its floor of 44 from a cap of 28 down)
            limit = {col: max(cap, self.numbers.get(col, 0) + 2.5, self.words.get(col, 0) + 2.5,
                              min(self.floor.get(col, 0), cap + 16))
                     for col in natural}
            # a column only a little over the cap keeps its width: wrapping it would not save room
            return {col: w if w <= limit[col] + 2 else limit[col] for col, w in natural.items()}
        budget_pt = budget_pt or A4.width_pt / PRINT_SCALE

        def printed_pt(width: dict[int, float]) -> float:      # a column prints (width x 7 + 5) px
            return sum((w * 7 + 5) * 0.75 for w in width.values())
        cap = maximum
        width = widths_at(cap)
        while printed_pt(width) > budget_pt and cap > 16:
            cap -= 2
            width = widths_at(cap)
        for col, w in width.items():
            ws.column_dimensions[get_column_letter(col)].width = round(w, 1)
        return {col for col in width if width[col] < natural[col]}


# The styles the tables set cell by cell are made once per set of arguments (the cached makers
# below) and set through reports/excel_styles.set_style.
@functools.lru_cache(maxsize=None)
def _font(bold=False, size=10, color=DARK, italic=False) -> Font:
    return Font(name=FONT, size=size, bold=bold, color=color, italic=italic)


@functools.lru_cache(maxsize=None)
def _fill(colour: str) -> PatternFill:
    return PatternFill("solid", fgColor=colour)


@functools.lru_cache(maxsize=None)
def _border(kind: str) -> Border:
    return {"total": Border(top=_thin, bottom=_double), "subtotal": Border(top=_thin),
            "detail": Border(bottom=Side(style="hair", color=MID_GREY))}[kind]


def _put_text(ws: Worksheet, row: int, col: int, text: Any, **font) -> Any:
    """Text that Excel must never evaluate: neutralised and forced to the string type."""
    cell = ws.cell(row=row, column=col)
    cell.value = f.excel_text(text)
    cell.data_type = "s"
    set_style(cell, font=_font(**font))
    return cell


def _put_value(ws: Worksheet, row: int, col: int, value: Any, fmt: str, **font):
    cell = ws.cell(row=row, column=col)
    if fmt == "int":
        cell.value = None if value is None else int(Decimal(str(value)).to_integral_value())
        cell.number_format = f.INT_FORMAT
    elif fmt == "dec2" or fmt == "dec1":
        # statistics (DOUBLE) are written to the places shown, not to 17 digits
        places = Decimal("0.01") if fmt == "dec2" else Decimal("0.1")
        cell.value = None if value is None else Decimal(str(value)).quantize(places)
        cell.number_format = f.EXCEL_FORMATS[fmt]
    elif fmt == "pct":
        cell.value = f.excel_pct(value)              # a fraction under a percent format
        cell.number_format = f.PCT_FORMAT
    elif fmt in f.EXCEL_FORMATS:
        cell.value = None if value is None else Decimal(value)
        cell.number_format = f.EXCEL_FORMATS[fmt]
    elif fmt == "datetime":
        cell.value = value
        cell.number_format = f.DATETIME_FORMAT
    else:
        raise ValueError(fmt)
    set_style(cell, font=_font(**font), alignment=alignment(horizontal="right"))
    return cell


def _display(value: Any, fmt: str) -> str:
    if fmt == "datetime":
        return f.datetime_text(value)
    return f.number_text(value, fmt)


def _print_setup(ws: Worksheet, ctx: ReportContext, *, title_rows: str | None,
                 one_page: bool = False, layout: "PrintLayout | None" = None):
    paper, across = layout or (A4, 1)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = paper.size
    ws.page_setup.fitToWidth = across
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
    # rows are Arial 10's 12.75 pt (openpyxl declares Calibri 11's 15 pt, which LibreOffice then
    # uses): the page estimates in _paginate count rows of this height
    ws.sheet_format.defaultRowHeight = ROW_PT


def _titles(ws: Worksheet, ctx: ReportContext, cover: Cover, title: str, description: str,
            width_cols: int, money: bool = True, basis: str | None = None):
    _put_text(ws, 1, 1, f"{title} — {ctx.month}", bold=True, size=14, color=NHS_BLUE)
    if basis is None:
        basis = "£ gross expenditure" if money else ""
    _put_text(ws, 2, 1, f"{f.systems_label(cover.systems)} · financial year {ctx.fy}, month "
                        f"{ctx.fy_month}" + (f" · {basis}" if basis else ""),
              size=10, color="4C6272")
    if description:
        ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=max(width_cols, 1))
        c = _put_text(ws, 3, 1, description, italic=True, color="4C6272")
        c.alignment = Alignment(wrap_text=True, vertical="top")


def _write_table(ws: Worksheet, table: Table, top: int, widths: _Widths, *,
                 autofilter: bool = False) -> tuple[int, int]:
    """Header at ``top``, rows below; returns (header row, last row)."""
    table_levels = sorted({row.level for row in table.rows if row.role == "subtotal"})
    right = [c.is_value or c.fmt == "datetime" for c in table.columns]
    # left-aligned text right after a right-aligned number would touch it: indent it
    indent = [j > 0 and right[j - 1] and not right[j] for j in range(len(table.columns))]
    for j, col in enumerate(table.columns, start=1):
        c = _put_text(ws, top, j, col.label, bold=True, color="FFFFFF")
        set_style(c, fill=_fill(NHS_BLUE),
                   alignment=alignment(horizontal="right" if right[j - 1] else "left",
                                        vertical="center", wrap_text=True, indent=1 if indent[j - 1] else 0))
        if col.prose:
            widths.floor[j] = 44
        # a long header may wrap onto two lines: then only its longest word must fit
        fits = text_width(col.label, bold=True) <= 13
        widths.see(j, col.label if fits else max(col.label.split(), key=lambda w: text_width(
            w, bold=True)), bold=True)
    r = top
    group_start = [top + 1] * (len(table_levels) + 1)     # first row of the open group at each level
    written: list[tuple[int, Row]] = []
    col_of = {c.key: j for j, c in enumerate(table.columns, start=1)}
    derived = {v.key: v for v in (table.section.values if table.section else ()) if isinstance(v, Derived)}
    for row in table.rows:
        r += 1
        bold = row.role != "detail"
        inner = row.role == "subtotal" and row.level == len(table_levels) - 1
        fill = (_fill(PALE_GREY if inner else PALE_BLUE) if row.role == "subtotal"
                else _fill(MID_GREY) if row.role == "total"
                else _fill(FLAG_FILL) if row.flagged else None)
        for j, col in enumerate(table.columns, start=1):
            if col.is_value or col.fmt == "datetime":
                v = row.values.get(col.key)
                c = _put_value(ws, r, j, v, col.fmt, bold=bold)
                widths.see(j, _display(v, col.fmt), bold=bold, number=True)
            else:
                text = row.text(col)
                c = _put_text(ws, r, j, text, bold=bold)
                if indent[j - 1]:
                    set_style(c, alignment=alignment(horizontal="left", indent=1))
                if "\n" in text:                    # lines of their own (a check's failing records)
                    set_style(c, alignment=alignment(horizontal="left", indent=c.alignment.indent, wrap_text=True))
                if col.fmt == "sample":
                    widths.floor[j] = 44
                widths.see(j, f.excel_text(text) + ("   " if indent[j - 1] else ""), bold=bold)
            if row.role in ("subtotal", "total") and col.is_value:
                formula = _total_formula(row, col, r, group_start, table_levels, written, col_of, derived)
                if formula:
                    c.value = formula             # our own formula over the sheet's figures, no text
            if fill is not None:
                set_style(c, fill=fill)
            set_style(c, border=_border(row.role if row.role in ("total", "subtotal") else "detail"))
        written.append((r, row))
        if row.role == "subtotal":
            level = table_levels.index(row.level) if row.level in table_levels else 0
            for k in range(level, len(group_start)):
                group_start[k] = r + 1            # this group closed: the next one starts below
    for j, col in enumerate(table.columns, start=1):
        # a column of sentences (what the analytics found on a flag), not of a few words, wraps no narrower than one
        lengths = sorted(len(row.text(col)) for row in table.detail_rows) if not right[j - 1] else []
        if lengths and lengths[len(lengths) // 2] >= 60:
            widths.floor[j] = 44
    # the filter covers the detail rows and the subtotals between them (SUBTOTAL formulas, which
    # filtering and each other leave out); the grand total sits below it, outside the range
    last_filtered = r - 1 if table.rows and table.rows[-1].role == "total" else r
    if autofilter and last_filtered > top:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(table.columns))}{last_filtered}"
    return top, r


def _total_formula(row: Row, col: Column, r: int, group_start: list[int], levels: list[int],
                   written: list[tuple[int, Row]], col_of: dict[str, int],
                   derived: dict[str, Derived]) -> str | None:
    """A subtotal or total cell as a formula, so a filtered sheet shows the filtered figure:
    =SUBTOTAL(109, ...) over its group's rows where the figure is the sum of their detail rows
    (SUBTOTAL leaves out rows hidden by the filter and the nested subtotals), the row's derived
    values (movement, percentage change, shares, ratios) from the cells beside them. Only cell
    references and fixed function names: never any text from the data. None: keep the value."""
    letter = get_column_letter(col_of[col.key])
    value = row.values.get(col.key)
    if col.key in derived:
        d = derived[col.key]
        if value is None or not all(a in col_of for a in d.args):
            return None
        a, b = (f"{get_column_letter(col_of[k])}{r}" for k in d.args)
        return {"diff": f"={a}-{b}",
                "pct_change": f'=IF(N({b})=0,"",ROUND(({a}-{b})/ABS({b}),3))',
                "share": f'=IF(N({b})=0,"",ROUND({a}/{b},3))',
                "ratio": f'=IF(N({b})=0,"",ROUND({a}/{b},2))'}.get(d.op)
    if value is None or col.fmt not in ("money", "money2", "int"):
        return None
    if row.role == "total":
        first = written[0][0] if written else r
    else:
        first = group_start[levels.index(row.level)]
    details = [x for rr, x in written if rr >= first and x.role == "detail"]
    if not details:
        return None
    total = sum((Decimal(str(x.values.get(col.key) or 0)) for x in details), Decimal(0))
    if total != Decimal(str(value)):
        return None                               # not the sum of the rows above (e.g. a waterfall's end)
    return f"=SUBTOTAL(109,{letter}{first}:{letter}{r - 1})"


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
            set_style(cell, alignment=alignment(horizontal=a.horizontal, indent=a.indent,
                                                  vertical="center" if r == first else "top",
                                                  wrap_text=wrap or a.wrap_text))
            if (wrap or a.wrap_text) and isinstance(cell.value, str) and cell.value:
                width = ws.column_dimensions[get_column_letter(j)].width or 10
                lines = max(lines, wrapped_lines(cell.value, width, bold=bool(cell.font and cell.font.b)))
        if lines > 1:
            ws.row_dimensions[r].height = 12.75 * lines + 2


def _description_height(ws: Worksheet, text: str, ncols: int, row: int = 3):
    total = sum(ws.column_dimensions[get_column_letter(j)].width or 10 for j in range(1, ncols + 1))
    lines = max(1, math.ceil(len(text) * 1.1 / max(total, 1)))
    ws.row_dimensions[row].height = 14 * lines + 2


# ---------------------------------------------------------------------------
# Sheets
def _write_cover(ws: Worksheet, cover: Cover, messages: list[Message] = ()):
    ctx = cover.ctx
    ws.title = COVER_SHEET
    widths = _Widths()
    _put_text(ws, 1, 1, ctx.title, bold=True, size=18, color=NHS_BLUE)
    _put_text(ws, 2, 1, "Mental health finance oversight group (MHFOG) board pack",
              size=11, color="4C6272")
    facts = [
        ("System(s)", f.systems_label(cover.systems)),
        ("Report month", f"{ctx.month}: month {ctx.fy_month} of financial year {ctx.fy}"),
        ("Figures", "Mental-health expenditure in £, for the month and the financial year to date: "
                    "gross as each partner booked it, and net of payments between partners that "
                    "send their own ledgers (the open book), with the analytics built on them"),
        ("Data as at", f.datetime_text(cover.data_as_at) or "no submissions loaded"),
        ("Produced", f.datetime_text(dt.datetime.now().replace(microsecond=0))),
        ("Run id", ctx.run_id or "(not given)"),
    ]
    r = 4
    long_text: list[tuple[int, str]] = []        # (row, text in column B): wrapped across the page
    for key, value in facts:
        _put_text(ws, r, 1, key, bold=True)
        c = _put_text(ws, r, 2, value)
        c.alignment = Alignment(horizontal="left")
        widths.see(1, key, bold=True)
        long_text.append((r, value))
        r += 1

    if messages:
        r += 1
        _put_text(ws, r, 1, "Key messages", bold=True, size=12, color=NHS_BLUE)
        for message in messages:
            r += 1
            rag = _put_text(ws, r, 1, message.rag, bold=True, color="FFFFFF" if message.rag != AMBER else "212B32")
            rag.fill = PatternFill("solid", fgColor=RAG_FILLS[message.rag])
            text = f"{message.topic}: {message.text}"
            c = _put_text(ws, r, 2, text)
            c.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
            long_text.append((r, text))
        r += 1
        _put_text(ws, r, 2, TOLERANCES, italic=True, color="4C6272")
        long_text.append((r, TOLERANCES))
        r += 1

    r += 1
    _put_text(ws, r, 1, f"Submissions for {ctx.month} this pack rests on", bold=True, size=12,
              color=NHS_BLUE)
    table = submissions_table(cover.this_month, with_period=False)
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
        long_text.append((r, ", ".join(cover.missing)))
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
    ncols = max(len(table.columns), 2)
    room = sum(ws.column_dimensions[get_column_letter(j)].width or 10 for j in range(2, ncols + 1))
    for row, text in long_text:
        if text_width(text) + 1 > (ws.column_dimensions["B"].width or 10):
            ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=ncols)
            cell = ws.cell(row=row, column=2)
            cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
            ws.cell(row=row, column=1).alignment = Alignment(vertical="top")
            ws.row_dimensions[row].height = 12.75 * max(1, math.ceil((text_width(text) + 2) / room)) + 2
    last_col = get_column_letter(ncols)
    ws.print_area = f"A1:{last_col}{r + 1}"
    _print_setup(ws, ctx, title_rows=None)
    _, pages = _paginate(ws, ncols, r + 1, [])
    ws.page_setup.fitToHeight = pages           # a last page of a row or two is folded into the one before




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


def _write_summary(ws: Worksheet, ctx: ReportContext, cover: Cover, tables: list[Table],
                   flags: Table | None = None):
    widths = _Widths()
    ncols = max(len(t.columns) for t in tables)
    _put_text(ws, 1, 1, f"{sections.SUMMARY.title} — {ctx.month}", bold=True, size=14, color=NHS_BLUE)
    _put_text(ws, 2, 1, f"{f.systems_label(cover.systems)} · financial year {ctx.fy}, month "
                        f"{ctx.fy_month}", color="4C6272")
    note = (f"Mental-health expenditure, £. {sections.SUMMARY.description} Movement is {ctx.month} "
            f"against {f.month_label(ctx.prev_period)}.")
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=ncols)
    c = _put_text(ws, 3, 1, note, color="4C6272")
    c.alignment = Alignment(wrap_text=True, vertical="top")
    r = 5
    placed: dict[str, tuple[int, int, Table]] = {}
    blocks: list[tuple[str, str, Table]] = []
    for block, table in zip(sections.SUMMARY.blocks, tables):
        blocks.append((block.key, block.title, table))
        if flags is not None and block.key == sections.SUMMARY.flags_after:
            blocks.append(("flags", flags.title, flags))
    for key, title, table in blocks:
        _put_text(ws, r, 1, title, bold=True, size=11, color=NHS_BLUE)
        top, last = _write_table(ws, table, r + 1, widths)
        placed[key] = (top, last, table)
        if not table.rows:
            last += 1
            _put_text(ws, last, 1, ("No flags raised." if key == "flags" else f"No figures for {ctx.month}."),
                      italic=True)
        r = last + 2
    capped = widths.apply(ws)
    for top, last, table in placed.values():
        _fit_rows(ws, top, last, len(table.columns), capped)
    _description_height(ws, note, ncols)
    ws.freeze_panes = "A5"

    last_row = r
    spec = sections.SUMMARY.excel_chart
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
            chart.y_axis.numFmt = _axis_format("money", peak)
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
    if "flags" in placed and last_row > r:
        _two_summary_pages(ws, placed["flags"][1] + 2, last_row, ncols)
    return placed


def _two_summary_pages(ws: Worksheet, split: int, last_row: int, ncols: int) -> None:
    """The summary on two pages, the open book, the standard and the flags on the first, the gross spend and the
    chart on the second (on one page together they printed at 55%), at the one scale both fit at: set, not fitted,
    as an application fitting a sheet to two pages tall puts the break where the rows run out."""
    def tall(first: int, last: int) -> float:
        return sum(_row_pt(ws, row) for row in range(first, last + 1))
    fit = min(1.0, A4.width_pt / _page_pt(ws, ncols, 1),
              A4.height_pt * PAGE_SAFETY / tall(1, split - 1), A4.height_pt * PAGE_SAFETY / tall(split, last_row))
    ws.row_breaks.append(Break(id=split - 1))
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = math.floor(fit * 100)


def _in_excel(chart: Chart) -> bool:
    """Charts whose figures go on the sheet: those drawn natively, and the waterfall charts
    (drawn in the HTML report), whose figures the table alone does not give."""
    return chart.excel or chart.kind in ("funnel", "waterfall")


CHART_ROWS = 19             # rows a native chart takes beside its figures (8.5 cm at 12.75 pt)
CHART_CM = (17.0, 8.5)      # a section chart's width and height
PAGE_SAFETY = 0.9           # keep clear of the applications' own page breaks
ORPHAN_PAGE = 0.25          # a last page less full than this is folded into the pages before (scaled)
PRINT_SCALE = 0.75          # a sheet's columns are narrowed (text wrapped) to print at this scale on A4, or as near
MIN_PRINT_SCALE = 0.55      # fitted to an A3 page's width below this (text under 5.5 pt), a sheet prints two pages across
TITLE_COLUMNS = 2           # at most this many row labels repeat on each page across


def _write_section(ws: Worksheet, ctx: ReportContext, cover: Cover, table: Table,
                   charts: dict[str, list] | None = None) -> list[tuple[int, Table]]:
    """The section's sheet; returns the header row of each of its tables with rows (its own, then its parts')."""
    charts = charts or {}
    widths = _Widths()
    sec = table.section
    tables = [table] + [part for part in table.parts if not _own_sheet(part)]
    ncols = max(len(t.columns) for t in tables)
    money = any(c.fmt == "money" for c in table.columns)
    _titles(ws, ctx, cover, table.title, table.description, ncols, money, sec.basis if sec else None)
    spans: list[tuple[int, int, int]] = []          # (header row, last row, columns) of every table
    notes: list[tuple[int, str]] = [(3, table.description)]
    blocks: list[tuple[int, int]] = []              # (first row, last row) kept together on a page
    written: list[tuple[int, Table]] = []
    if table.rows:
        _, last = _write_table(ws, table, HEADER_ROW, widths, autofilter=True)
        written.append((HEADER_ROW, table))
    else:
        for j, col in enumerate(table.columns, start=1):
            _put_text(ws, HEADER_ROW, j, col.label, bold=True)
        last = HEADER_ROW + 1
        _put_text(ws, last, 1, f"No figures for {ctx.month}.", italic=True)
    spans.append((HEADER_ROW, last, len(table.columns)))
    if table.note:                    # under the totals it qualifies, a row apart: outside the table and its filter
        last += 2
        ws.merge_cells(start_row=last, start_column=1, end_row=last, end_column=ncols)
        c = _put_text(ws, last, 1, table.note, italic=True, color="4C6272")
        c.alignment = Alignment(wrap_text=True, vertical="top")
        notes.append((last, table.note))
    main_last = last
    r = last + 2
    pending: list[tuple[ChartData, int, Table, tuple[int, int]]] = []   # native charts, drawn once widths are set
    for i, t in enumerate(tables):
        part = t.section
        if i > 0:
            first = r
            _put_text(ws, r, 1, t.title, bold=True, size=11, color=NHS_BLUE)
            if t.description:
                ws.merge_cells(start_row=r + 1, start_column=1, end_row=r + 1, end_column=ncols)
                c = _put_text(ws, r + 1, 1, t.description, italic=True, color="4C6272")
                c.alignment = Alignment(wrap_text=True, vertical="top")
                notes.append((r + 1, t.description))
                r += 1
            if t.rows:
                top, last = _write_table(ws, t, r + 1, widths)
                spans.append((top, last, len(t.columns)))
                written.append((top, t))
            else:
                last = r + 1
                _put_text(ws, last, 1, f"No figures for {ctx.month}.", italic=True)
            blocks.append((first, last))
            r = last + 2
        for chart in (part.charts if part else ()):
            for data in charts.get(chart.key, []):
                if not data.series:
                    continue
                first = r
                figures = data.as_table()
                _put_text(ws, r, 1, data.title + (": the figures" if chart.excel else
                                                  ": the figures (the chart is in the HTML report)"),
                          bold=True, size=11, color=NHS_BLUE)
                top, last = _write_table(ws, figures, r + 1, widths)
                spans.append((top, last, len(figures.columns)))
                if chart.excel and widths.room_beside(len(figures.columns) + 1):   # the chart beside its figures
                    pending.append((data, top, figures, (len(figures.columns) + 2, top)))
                    last = max(last, top + CHART_ROWS)
                elif chart.excel:                # under them: beside, it would widen the sheet past the page
                    pending.append((data, top, figures, (1, last + 2)))
                    last += 1 + CHART_ROWS
                blocks.append((first, last))
                r = last + 2
    width = max([ncols] + [n for _, _, n in spans])
    capped = widths.apply(ws)
    if A4.width_pt / _page_pt(ws, width, 1) < PRINT_SCALE:     # it prints on A3 (_print_layout): wrap to that page
        capped = widths.apply(ws, budget_pt=A3.width_pt / PRINT_SCALE)
    for top, last, n in spans:
        _fit_rows(ws, top, last, n, capped)
    for row, text in notes:
        _description_height(ws, text, ncols, row)
    for data, top, figures, at in pending:
        width = max(width, _add_native_chart(ws, data, top, figures, at))
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    end = max([main_last] + [b for _, b in blocks])
    ws.print_area = f"A1:{get_column_letter(width)}{end}"
    labels = next((j for j, col in enumerate(table.columns) if col.is_value), 0)
    layout = _print_layout(ws, width, min(labels, TITLE_COLUMNS))
    long_table, pages = _paginate(ws, width, main_last, blocks, layout)
    # the header row repeats on every page only when the table itself runs over a page
    _print_setup(ws, ctx, title_rows=f"{HEADER_ROW}:{HEADER_ROW}" if long_table else None, layout=layout)
    if pages:
        ws.page_setup.fitToHeight = pages         # a last page of a few rows is folded into the one before
    return written


def _own_sheet(part: Table) -> bool:
    """A part with a sheet name of its own prints on its own sheet, after its section's: its columns (the
    alliance's prose Numerator, Denominator and Definition) would otherwise set the width of every table
    on its section's sheet, and theirs its."""
    return part.section is not None and bool(part.section.sheet_name)


def _column_pt(ws: Worksheet, j: int) -> float:
    """A column's printed width at full size, points (a column is width x 7 + 5 pixels)."""
    return ((ws.column_dimensions[get_column_letter(j)].width or 8.43) * 7 + 5) * 0.75


def _page_pt(ws: Worksheet, ncols: int, across: int) -> float:
    """The width a page must hold at full size: the sheet's, or with two pages across half the columns
    beyond the row labels that repeat on each (print_title_cols)."""
    content = sum(_column_pt(ws, j) for j in range(1, ncols + 1))
    if across == 1:
        return content
    titles = sum(_column_pt(ws, j) for j in range(1, _title_columns(ws) + 1))
    return titles + (content - titles) / across


def _title_columns(ws: Worksheet) -> int:
    cols = ws.print_title_cols        # 'A:B' or None
    return column_index_from_string(cols.split(":")[1].lstrip("$")) if cols else 0


class Paper(NamedTuple):
    """A paper size a sheet prints on, landscape: openpyxl's code for it, and the width and height
    its page holds inside half-inch side and three-quarter-inch top and bottom margins, points."""
    size: str            # openpyxl's PAPERSIZE_ constants are strings
    width_pt: float
    height_pt: float


A4 = Paper(Worksheet.PAPERSIZE_A4, 770.0, 487.0)
A3 = Paper(Worksheet.PAPERSIZE_A3, 1118.5, 734.0)


class PrintLayout(NamedTuple):
    paper: Paper
    across: int          # pages across: 1, or 2 for a sheet too wide to read even on A3


def _print_layout(ws: Worksheet, ncols: int, title_columns: int) -> PrintLayout:
    """A4 fitted to the page's width; a sheet whose text would print there under PRINT_SCALE of its
    size (the Variation sheet's eighteen columns, Contracts' fifteen, the month's Transactions) on A3, as wide
    board papers are printed; one whose text would print under MIN_PRINT_SCALE even on A3 two pages
    across, its first ``title_columns`` (the row labels) repeating on each, pages across then down."""
    scale = {paper: paper.width_pt / max(_page_pt(ws, ncols, 1), 1.0) for paper in (A4, A3)}
    if scale[A4] >= PRINT_SCALE:
        return PrintLayout(A4, 1)
    if scale[A3] >= MIN_PRINT_SCALE:
        return PrintLayout(A3, 1)
    if title_columns:
        ws.print_title_cols = f"A:{get_column_letter(title_columns)}"
    ws.page_setup.pageOrder = "overThenDown"
    return PrintLayout(A3, 2)


def _row_pt(ws: Worksheet, row: int) -> float:
    return ws.row_dimensions[row].height or ROW_PT


def _streamed_row_pt(ws: Worksheet, rows: excel_streamed.StreamedRows) -> Callable[[int], float]:
    """A row's height, points: a streamed row's as set, any other's from the sheet (_row_pt)."""
    return lambda row: (rows.height(row) or ROW_PT) if rows.is_streamed(row) else _row_pt(ws, row)


def _paginate(ws: Worksheet, ncols: int, main_last: int, blocks: list[tuple[int, int]],
              layout: PrintLayout = PrintLayout(A4, 1),
              row_pt: Callable[[int], float] | None = None) -> tuple[bool, int]:
    """Page breaks so that no chart or extra table is split across pages (a block that would
    not fit on what is left of a page starts a new one); returns whether the main table itself
    runs over more than one page, and the number of pages to fit the sheet to when its last page
    would hold only a few rows (the last totals, say) - else 0. Pages are estimated as the
    applications print them: landscape on the layout's paper, scaled to fit the width of the widest
    table (``layout.across`` pages wide). ``row_pt``: a row's height (default: the sheet's, _row_pt)."""
    row_pt = row_pt or functools.partial(_row_pt, ws)
    paper, across = layout
    content_pt = _page_pt(ws, ncols, across)
    scale = min(1.0, paper.width_pt / max(content_pt, 1.0))
    page_full = paper.height_pt / scale                     # a printed page, points at full size
    page = page_full * PAGE_SAFETY
    used = sum(row_pt(row) for row in range(1, main_last + 1))
    long_table = used > page
    fold = 0
    if long_table and not blocks:
        printed = used / page_full                           # pages as printed (no safety margin)
        whole = math.floor(printed)
        if whole >= 1 and printed - whole < ORPHAN_PAGE:
            fold = whole
        elif printed - whole >= ORPHAN_PAGE:
            fold = whole + 1                                 # as many pages as it takes: no scaling
    if long_table:
        used = _last_page_pt(row_pt, main_last, page_full)
    prev_end = main_last
    for i, (first, last) in enumerate(blocks):
        height = sum(row_pt(row) for row in range(prev_end + 1, last + 1))
        # a main table that runs a little over a page by the estimate may end at the foot of the page before
        # as printed: the first block's title and header would then be left there without their rows
        unsure = i == 0 and long_table and used < page_full * (1 - PAGE_SAFETY)
        if (used + height > page or unsure) and used > 0:
            ws.row_breaks.append(Break(id=first - 1))
            height = sum(row_pt(row) for row in range(first, last + 1))
            used = 0.0
        used = (used + height) % page if used + height > page else used + height
        prev_end = last
    return long_table, fold


def _last_page_pt(row_pt: Callable[[int], float], last: int, page_pt: float) -> float:
    """How much of its last page rows 1 to ``last`` fill, points at full size: the applications start a page
    at the row that would not fit on the one before (not at a fraction of the rows' total height), and repeat
    the header row at its top."""
    used = 0.0
    for row in range(1, last + 1):
        h = row_pt(row)
        used = row_pt(HEADER_ROW) + h if used + h > page_pt and used > 0 else used + h
    return used


def _axis_format(fmt: str, peak: float) -> str:
    if fmt == "pct":
        return f.PCT_AXIS_FORMAT          # the cells hold fractions
    if fmt in ("money", "money2") and peak >= 1_000_000_000:
        return '£#,##0.0,,,"bn"'
    if fmt in ("money", "money2") and peak >= 1_000_000:
        return '£#,##0.0,,"m"'
    if fmt in ("money", "money2") and peak >= 10_000:
        return '£#,##0,"k"'
    if fmt in ("money", "money2"):
        return "£#,##0"
    return "#,##0"


def _add_native_chart(ws: Worksheet, data: ChartData, top: int, figures: Table, at: tuple[int, int]) -> int:
    """A native bar, line or funnel chart of a figures table written from row ``top`` (its
    header), its top left corner at ``at`` (column, row: beside the figures or under them); returns the
    last column the chart covers (for the print area)."""
    c = data.chart
    ndetail = len(figures.detail_rows)
    if not ndetail:
        return len(figures.columns)
    if c.kind == "funnel":
        return _add_funnel_chart(ws, data, top, figures, at)
    value_cols = [j for j, col in enumerate(figures.columns, start=1) if col.is_value]
    if len(value_cols) > 1 and figures.columns[value_cols[-1] - 1].label == "Total" and not c.also:
        value_cols = value_cols[:-1]                 # the total column is not a series
    if c.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar" if c.kind in ("hbar", "stacked_hbar") else "col"
        chart.grouping = "stacked" if c.kind.startswith("stacked") else "clustered"
        if chart.grouping == "stacked":
            chart.overlap = 100
        chart.gapWidth = 60
    chart.title = _chart_text(data.title, 1100)
    chart.x_axis.title = _chart_text(c.x_title, 900)
    chart.y_axis.title = _chart_text(c.y_title, 900)
    for axis in (chart.x_axis, chart.y_axis):
        axis.txPr = _chart_font(900)
        axis.delete = False
    chart.legend.txPr = _chart_font(900)
    chart.legend.position = "b"
    peak = max((abs(float(r.values.get(figures.columns[j - 1].key) or 0)) for r in figures.detail_rows
                for j in value_cols), default=0)
    chart.y_axis.numFmt = _axis_format(c.value.fmt, peak)
    if c.value.fmt == "pct" and c.kind.startswith("stacked"):
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1          # 100%: the cells hold fractions
    if c.kind in ("hbar", "stacked_hbar"):
        chart.x_axis.scaling.orientation = "maxMin"    # categories top to bottom, as in the table
    for k, j in enumerate(value_cols):
        ref = Reference(ws, min_col=j, max_col=j, min_row=top, max_row=top + ndetail)
        chart.add_data(ref, titles_from_data=True)
        colour = _series_colour(data, k)
        series = chart.series[-1]
        if c.kind == "line":
            series.graphicalProperties.line.solidFill = colour
            series.graphicalProperties.line.width = 22000
            series.smooth = False
        else:
            series.graphicalProperties.solidFill = colour
            series.graphicalProperties.line.noFill = True
    chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=top + ndetail))
    chart.width, chart.height = CHART_CM
    ws.add_chart(chart, f"{get_column_letter(at[0])}{at[1]}")
    return _covered(ws, at[0], chart.width)


def _add_funnel_chart(ws: Worksheet, data: FunnelData, top: int, figures: Table, at: tuple[int, int]) -> int:
    """A scatter chart of the funnel's figures (rows in order of population): each place's rate as a
    marker, and the pooled rate and the 95% and 99.8% limits at each place's population as lines."""
    n = len(figures.detail_rows)
    col = {c.key: j for j, c in enumerate(figures.columns, start=1)}
    chart = ScatterChart()
    chart.style = 13
    chart.title = _chart_text(data.title, 1100)
    chart.x_axis.title = _chart_text(data.chart.x_title, 900)
    chart.y_axis.title = _chart_text(data.chart.y_title, 900)
    for axis in (chart.x_axis, chart.y_axis):
        axis.txPr = _chart_font(900)
        axis.delete = False
    chart.x_axis.numFmt = "#,##0"
    chart.y_axis.numFmt = "£#,##0"
    chart.legend.txPr = _chart_font(900)
    chart.legend.position = "b"
    xs = Reference(ws, min_col=col["d"], min_row=top + 1, max_row=top + n)
    lines = (("p", f.OKABE_ITO[6], "solid"), ("upper_95", f.OKABE_ITO[1], "dash"),
             ("lower_95", f.OKABE_ITO[1], "dash"), ("upper_998", f.OKABE_ITO[5], "sysDot"),
             ("lower_998", f.OKABE_ITO[5], "sysDot"))
    for key, colour, dash in lines:
        series = Series(Reference(ws, min_col=col[key], min_row=top, max_row=top + n), xs, title_from_data=True)
        series.marker.symbol = "none"
        series.graphicalProperties.line.solidFill = colour.lstrip("#")
        series.graphicalProperties.line.dashStyle = dash
        series.graphicalProperties.line.width = 15000
        series.smooth = False
        chart.series.append(series)
    places = Series(Reference(ws, min_col=col["v"], min_row=top, max_row=top + n), xs, title_from_data=True)
    places.marker.symbol = "circle"
    places.marker.size = 7
    places.marker.graphicalProperties.solidFill = f.OKABE_ITO[0].lstrip("#")
    places.marker.graphicalProperties.line.solidFill = f.OKABE_ITO[0].lstrip("#")
    places.graphicalProperties.line.noFill = True
    chart.series.append(places)
    lo = min(float(p.limits["lower_998"] or 0) for p in data.points)
    hi = max(max(float(p.limits["upper_998"] or 0), float(p.rate)) for p in data.points)
    pad = (hi - lo) * 0.1 or 1.0
    chart.y_axis.scaling.min = math.floor(max(lo - pad, 0))
    chart.y_axis.scaling.max = math.ceil(hi + pad)
    chart.width, chart.height = CHART_CM
    ws.add_chart(chart, f"{get_column_letter(at[0])}{at[1]}")
    return _covered(ws, at[0], chart.width)


def _covered(ws: Worksheet, first_col: int, width_cm: float) -> int:
    covered, col = 0.0, first_col
    while True:                                       # the columns under the chart
        w = ws.column_dimensions[get_column_letter(col)].width or 8.43
        covered += (w * 7 + 5) / 96 * 2.54
        if covered >= width_cm:
            return col
        col += 1


def _series_colour(data: ChartData, k: int) -> str:
    """Okabe-Ito, by partner kind or sector where the series are those, as the HTML report colours them."""
    c = data.chart
    if c.series is not None and k < len(data.series):
        sv = data.series[k][0]
        if c.series.fmt == "partner_kind" and sv in f.KIND_COLOURS:
            return f.KIND_COLOURS[sv].lstrip("#")
        if c.series.fmt == "sector" and sv in f.SECTORS:
            return f.OKABE_ITO[list(f.SECTORS).index(sv)].lstrip("#")
    return f.OKABE_ITO[k % len(f.OKABE_ITO)].lstrip("#")


def _write_submissions(ws: Worksheet, ctx: ReportContext, cover: Cover):
    table = submissions_table(cover.submissions, with_period=True)
    table.title = "Submissions"
    table.description = ("Every partner submission the month, year-to-date and movement figures "
                         "rest on (current loads, and loads that failed), newest month first. "
                         "Only submissions that passed their data-quality checks are in the figures.")
    _write_section(ws, ctx, cover, table)
