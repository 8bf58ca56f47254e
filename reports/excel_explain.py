"""The board pack's Explain sheet: how the key figures that are not sums of ledger lines were made.

For the key figures of the Summary, MHIS, Variation, Funding consistency and Sector share by recipient sheets (the
standard, its shortfall and headroom, the run-rate forecasts, spend per weighted head against the peers and the
median, the spend apportioned to a place, a contract's value per unit against its like contracts', each sector's
share) the sheet shows the working the site's explain
pages show (reports/figure_explain.py, the same ``ExplainSet``): each term with its reference file and line,
the multiplier, divisor and rounding, any £0 floor, the result and whether it reproduces the figure to the
penny. Each figure's cell on its sheet links to its working, and the working links back. A term that is a
sum of the month's ledger lines links to the Transactions sheet; a term over the year to date says the
site's drill page lists its lines (the Transactions sheet holds the month only).

Money is written as numbers under a £ format, percentages as fractions under a % format; the sheet has no
filter, so no total sits inside one.
"""
from __future__ import annotations

import functools
from decimal import Decimal

import duckdb
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from reports import excel_transactions, figure_lines
from reports import formatting as f
from reports.excel_styles import alignment, set_style
from reports.excel_text import wrapped_lines
from reports.explain_working import Explanation, Term, rounded_to
from reports.figure_explain import ExplainPage, ExplainSet
from reports.query import ReportContext
from reports.spec import Section
from reports.tables import Table

SHEET = "Explain"
# the sheets whose figures are explained here: the summary's blocks and these sections' main tables
KEY_BLOCKS = ("net-by-system", "mhis-headline")
KEY_SECTIONS = ("mhis", "sector-by-recipient", "variation", "funding-consistency")
_BLUE = "005EB8"
_GREY = "4C6272"
_WIDTHS = {"A": 78, "B": 20, "C": 46, "D": 16}
_INDENT = 1.5           # a cell indented one level loses about this much of its width (Excel width units)
# a term that is one of these figures of its row is the sum of the month's ledger lines
_MONTH_FIGURES = {"net_month": "Net spend", "gross_month": "Gross spend", "month": "Gross spend"}


def write_explain(ws: Worksheet, con: duckdb.DuckDBPyConnection, ctx: ReportContext,
                  figures: list[tuple[Worksheet, int, Section, Table]]) -> int:
    """Write the workings of the figures of ``figures`` ((sheet, header row, section, table) each) and link
    each figure's cell to its working; return how many cells were linked."""
    explain = ExplainSet(con, ctx.period)
    ws["A1"] = f"How the key figures are made — {ctx.month}"
    set_style(ws["A1"], font=_font(bold=True, size=14, color=_BLUE))
    _wrapped(ws, 2, "A", "Each figure below is not a sum of ledger lines but made by arithmetic from reference rows "
                         "and other figures: its terms (with the reference file and line they come from), what they "
                         "are multiplied and divided by, the rounding, and whether the working reproduces the figure "
                         "to the penny. Click a figure on its sheet to come here; click its sheet's name to go back. Each working "
                         "is folded under its figure's row: click the + beside it (Excel: Data, Show Detail) to open "
                         "it, the 2 above the row numbers to open them all. Printed, the sheet lists the figures.",
             italic=True, color=_GREY)
    for col, width in _WIDTHS.items():
        ws.column_dimensions[col].width = width
    for j, head in enumerate(("Figure and its working", "Amount", "Source", "Reconciles"), start=1):
        c = ws.cell(row=4, column=j, value=head)
        set_style(c, font=_font(bold=True, color="FFFFFF"), fill=PatternFill("solid", fgColor=_BLUE),
                  alignment=alignment(horizontal="right" if j == 2 else "left", indent=1 if j == 3 else 0))
    ws.freeze_panes = "A5"
    ws.sheet_properties.outlinePr.summaryBelow = False     # a working's + sits on its figure's row, above it
    at_row, linked, next_row = {}, 0, [5]
    written: dict[tuple, tuple[str, int]] = {}     # a working's content -> its page and its result row
    for sheet, top, section, table in figures:
        explain.link([(sheet.title, sheet.title, section, table)], "explain")
        pages = {f"explain/{p.slug}.html": p for p in explain.pages}
        cells = {}                                # page -> (its first cell on the sheet, its sheet row)
        for i, row in enumerate(table.rows):
            for j, col in enumerate(table.columns, start=1):
                page = pages.get(row.links.get(col.key, ""))
                if page is not None:
                    cells.setdefault(page.slug, sheet.cell(row=top + 1 + i, column=j))
        for i, row in enumerate(table.rows):
            for j, col in enumerate(table.columns, start=1):
                page = pages.get(row.links.get(col.key, ""))
                if page is None:
                    continue
                _write_once(ws, page, pages, cells, sheet.title, ctx, at_row, next_row, written)
                _link(sheet.cell(row=top + 1 + i, column=j), f"'{SHEET}'!A{at_row[page.slug]}",
                      f"How it is made: the {SHEET} sheet")
                linked += 1
    ws.print_area = f"A1:D{max(next_row[0] - 1, 4)}"
    return linked


def _write_once(ws: Worksheet, page: ExplainPage, pages: dict[str, ExplainPage], cells: dict, sheet_name: str,
                ctx: ReportContext, at_row: dict[str, int], next_row: list[int],
                written: dict[tuple, tuple[str, int]]) -> None:
    """The page's working, unless written already, after the workings of the figures it is made from (a median's
    middle values), so each term's "its own working, above" holds whatever the order of the figures' cells. The
    same figure on another sheet (an ICB's MHIS standard on the Summary and MHIS sheets) is worked once: its cell
    links to that working, whose result row links back to it."""
    if page.slug in at_row:
        return
    same = written.get(_content(page))
    if same is not None:
        first, result_row = same
        at_row[page.slug] = at_row[first]
        c = ws.cell(row=result_row, column=3)
        if c.value is None:
            c.value = f"also on the {sheet_name} sheet"
            _link(c, f"'{sheet_name}'!{cells[page.slug].coordinate}", f"Back to the {sheet_name} sheet")
        return
    at_row[page.slug] = 0                          # being written: a term naming it again waits for none
    for t in page.explanation.terms + page.explanation.factors:
        other = pages.get((t.href or "").removeprefix("../"))
        if other is not None and other.slug in cells:
            _write_once(ws, other, pages, cells, sheet_name, ctx, at_row, next_row, written)
    at_row[page.slug] = next_row[0]
    back = f"'{sheet_name}'!{cells[page.slug].coordinate}"
    last = _write_working(ws, next_row[0], page, back, sheet_name, ctx, at_row)
    # folded under its title row, which shows the figure, its sheet and whether it reconciles: printed, the
    # sheet is a list of the figures (the workings were most of the pack's pages); on screen, + opens one.
    # The blank row after it folds with it: opened, it sets the working apart; folded, the list has no gaps
    ws.row_dimensions.group(next_row[0] + 1, last + 1, outline_level=1, hidden=True)
    ws.row_dimensions[next_row[0]].collapsed = True
    written[_content(page)] = (page.slug, last)
    next_row[0] = last + 2                         # a blank row between


def _content(page: ExplainPage) -> tuple:
    """What a working shows but its title (which names the figure by the columns of its sheet, a system's on the
    MHIS sheet of the pack of both systems): two pages showing the same are the same figure, worked the same way."""
    how = page.explanation
    return (page.value_key, page.figure_label, page.figure, page.fmt, how.rule, how.times, how.per, how.places,
            how.floor, tuple((t.label, t.sign, t.value, t.source) for t in how.terms + how.factors))


def _write_working(ws: Worksheet, r: int, page: ExplainPage, back: str, sheet_name: str, ctx: ReportContext,
                   at_row: dict[str, int]) -> int:
    """One figure's working from row ``r``; returns its last row."""
    how = page.explanation
    _wrapped(ws, r, "A", page.title, bold=True, color=_BLUE)     # a long title (a measure and a place) wraps
    _amount(ws.cell(row=r, column=2), page.figure, page.fmt, bold=True)
    _link(ws.cell(row=r, column=3, value=f"on the {sheet_name} sheet"), back, f"Back to the {sheet_name} sheet")
    set_style(ws.cell(row=r, column=4, value="Yes" if page.reconciles else "No"), font=_font(bold=True))
    for col in (3, 4):                       # beside a title on two lines: level with its first
        set_style(ws.cell(row=r, column=col), alignment=alignment(vertical="top"))
    r += 1
    _wrapped(ws, r, "A", f"How: {how.rule}.", italic=True, color=_GREY)
    if how.definition:
        r += 1
        _wrapped(ws, r, "A", f"Definition: {how.definition}", italic=True, color=_GREY)
    for i, t in enumerate(how.terms):
        r += 1
        # words, not + and −: a cell starting with + would be taken for a formula
        op = "" if i == 0 and t.sign > 0 else "plus " if t.sign > 0 else "less "
        _wrapped(ws, r, "A", f"{op}{t.label}")
        _amount(ws.cell(row=r, column=2), t.sign * t.value, t.fmt)
        _source(ws, r, t, ctx, page.section, at_row)
    for t in how.factors:
        r += 1
        _wrapped(ws, r, "A", t.label)
        _amount(ws.cell(row=r, column=2), t.sign * t.value, t.fmt)
        _source(ws, r, t, ctx, page.section, at_row)
    if how.scaled:
        r += 1
        _wrapped(ws, r, "A", _scaling(how, page.fmt))
        if how.sources:
            _wrapped(ws, r, "C", "; ".join(s.where for s in how.sources), color=_GREY)
    if how.floor is not None:
        r += 1
        ws.cell(row=r, column=1, value=f"Or {f.money2_text(how.floor)} if that is less")
    r += 1
    set_style(ws.cell(row=r, column=1, value=f.excel_text(f"Result: {page.figure_label}")), font=_font(bold=True))
    _amount(ws.cell(row=r, column=2), how.result, page.fmt, bold=True)
    ws.cell(row=r, column=4, value="Yes" if page.reconciles else
            f"No: differs by {f.money2_text(how.result - page.figure)}")
    return r


def _scaling(how: Explanation, fmt: str) -> str:
    def factor(v: Decimal, kind: str) -> str:
        return f.money2_text(v) if kind == "money" else f"{v.normalize():,f}"
    places = rounded_to(fmt, how.places)
    if how.times == 1 and how.per == 1:
        return f"Rounded half up to {places}"
    times = "" if how.times == 1 else f"× {factor(how.times, how.times_fmt)} "
    return f"{how.by}: {times}÷ {factor(how.per, how.per_fmt)}, rounded half up to {places}"


def _source(ws: Worksheet, r: int, t: Term, ctx: ReportContext, section: Section, at_row: dict[str, int]) -> None:
    """Where a term comes from: its reference row, another figure's working above, the month's lines on the
    Transactions sheet, or (the year's lines) the site's drill page."""
    c = ws.cell(row=r, column=3)
    other = (t.href or "").rsplit("/", 1)[-1].removesuffix(".html")
    if other in at_row:
        c.value = "its own working, above"
        _link(c, f"'{SHEET}'!A{at_row[other]}", "How this term is made")
    elif t.source is not None:
        _wrapped(ws, r, "C", t.source.where, color=_GREY)
    elif t.column in _MONTH_FIGURES:
        c.value = f"the {ctx.month} lines: the Transactions sheet, column {_MONTH_FIGURES[t.column]}"
        _link(c, f"'{excel_transactions.SHEET}'!A{excel_transactions.HEADER_ROW}",
              f"Filter the {excel_transactions.SHEET} sheet; the sum of the lines shown is above the header")
    elif t.lines is not None or _is_ledger_sum(section, t.column):
        _wrapped(ws, r, "C", "a sum of ledger lines over the year to date: the HTML site's drill page lists them",
                 color=_GREY)


def _is_ledger_sum(section: Section, key: str | None) -> bool:
    spec = figure_lines.spec_of(section)
    return key is not None and isinstance(spec, figure_lines.Lines) and (
        key in spec.amounts or key in spec.flag_drill or key in spec.drills)


def _amount(c, value: Decimal, fmt: str, bold: bool = False) -> None:
    if fmt == "pct":
        # a share is worked to 2 places of a percent (the MHIS page's shares of the allocation to 4): shown to
        # them, as a fraction under a % format
        places = max(2, -Decimal(value).as_tuple().exponent)
        c.value, c.number_format = f.excel_pct(value), f.PCT_FORMAT.replace("0.0%", f"0.{'0' * places}%")
    elif fmt in ("int", "dec1"):                 # a count (a capacity in beds): no £
        c.value, c.number_format = Decimal(value), f.EXCEL_FORMATS[fmt]
    else:
        # a rate to 4 places or a working to 8 keeps its places; money shows pence
        places = -value.as_tuple().exponent if isinstance(value, Decimal) else 2
        c.value = Decimal(value)
        c.number_format = f.EXCEL_FORMATS["money2"] if places <= 2 else \
            f.EXCEL_FORMATS["money2"].replace("0.00", "0." + "0" * places)
    set_style(c, font=_font(bold=bold), alignment=alignment(horizontal="right", vertical="top"))


def _wrapped(ws: Worksheet, r: int, col: str, text: str, **font) -> None:
    """Text that wraps in its column, the row made tall enough for it (no application sizes it on open)."""
    c = ws[f"{col}{r}"]
    c.value = f.excel_text(text)
    c.data_type = "s"
    set_style(c, font=_font(**font), alignment=alignment(wrap_text=True, vertical="top", indent=1 if col == "C" else 0))
    lines = wrapped_lines(text, _WIDTHS[col] - (_INDENT if col == "C" else 0), bold=bool(font.get("bold")))
    current = ws.row_dimensions[r].height or 12.75
    ws.row_dimensions[r].height = max(current, 12.75 * lines + 1)


def _link(c, location: str, tooltip: str) -> None:
    c.hyperlink = Hyperlink(ref=c.coordinate, location=location, tooltip=tooltip)
    set_style(c, font=_font(bold=c.font.b, color=_BLUE, underline="single"))



@functools.lru_cache(maxsize=None)
def _font(size: float = 10, **style) -> Font:
    """The pack's font (Arial 10: the widths and row heights are counted in it), made once per set of
    arguments and set through excel_styles.set_style."""
    return Font(name="Arial", size=size, **style)
