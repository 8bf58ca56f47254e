"""The Excel board pack, re-read with openpyxl as a reader's Excel would open it."""
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from reports import excel_streamed
from reports import formatting as f
from tests.reports.formulas import computed, is_pack_formula
from reports.excel_pack import build_board_pack


# In the order of an MHFOG pack: the summary, the open book and its balances, plans, the standard,
# variation, consistency, sectors, contracts, the lead provider, the gross spend behind the open book,
# data quality, and the submissions the figures rest on.
SHEETS = ["Cover", "Summary", "Open book", "System by payer", "Payer view by service line", "Agreement of balances",
          "Plan against actual", "System position",
          "MH budget", "MHIS", "Variation", "Provider benchmarking", "Funding consistency", "Sector by recipient", "Sector by partner", "Contracts",
          "Lead provider", "Agency spend",
          "Spend by partner", "Spend by service line", "Flag register", "Data quality", "Rows set aside", "Failed checks",
          "Submissions", "Transactions", "Explain"]
MONEY_HEADERS = {"This month", "Last month", "Movement", "FY to date", "Total",
                 "North Weald ICS", "South Fen ICS"}


@pytest.fixture
def pack(built_once, tmp_path) -> Path:
    return built_once.pack("run-42", tmp_path / "out" / "pack.xlsx")  # the fixture warehouse's, as build_board_pack wrote it


@pytest.fixture
def wb(pack):
    return computed(openpyxl.load_workbook(pack))      # totals are SUBTOTAL formulas: worked out


def _rows(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def _find(ws, text):
    for row in ws.iter_rows():
        for c in row:
            if c.value == text:
                return c
    raise AssertionError(f"{text!r} not on {ws.title}")


def test_sheet_names_and_order(wb):
    assert wb.sheetnames == SHEETS


def test_written_atomically_and_readable(pack):
    assert pack.is_file()
    assert [p.name for p in pack.parent.iterdir()] == ["pack.xlsx"]      # no temp left over


def test_a_crash_leaves_the_previous_pack(con, pack, monkeypatch, fx):
    before = pack.read_bytes()

    def boom(wb, filename):
        Path(filename).write_bytes(b"half a workbook")
        raise RuntimeError("disk full")

    monkeypatch.setattr(excel_streamed, "save", boom)      # the pack's save (its streamed rows with the rest)
    with pytest.raises(RuntimeError):
        build_board_pack(con, fx.PERIOD, pack)
    assert pack.read_bytes() == before
    assert [p.name for p in pack.parent.iterdir()] == ["pack.xlsx"]


def test_cover(wb, fx):
    ws = wb["Cover"]
    assert ws["A1"].value == "Mental health open book — June 2025"
    facts = {r[0]: r[1] for r in _rows(ws)[3:9]}
    assert facts["System(s)"] == "North Weald ICS and South Fen ICS"
    assert facts["Report month"].startswith("June 2025: month 3 of financial year 2025-26")
    assert facts["Data as at"] == "08 Jul 2025 13:30"
    assert facts["Run id"] == "run-42"
    header = _find(ws, "Partner").row
    table = [r for r in _rows(ws)[header:] if r[0]][:5]
    partners = [r[0] for r in table]
    assert f"'{fx.HYPERLINK}" in partners and f"'{fx.AT_SUM}" in partners and fx.HOSTILE in partners
    wfmh = next(r for r in table if r[0].startswith("Weald and Fen"))
    assert [c.value for c in ws[header]][:9] == ["Partner", "File", "File lists", "Ledger to", "Loaded at",
                                                 "Rows read", "Rows loaded", "Rows quarantined", "Data quality"]
    assert wfmh[1] == "WFMH GL export 2025-06.xlsx" and wfmh[5:8] == [310, 305, 5]
    assert wfmh[2] == "Every payment"              # the source config says 0: the whole ledger
    assert wfmh[8] == "Passed (2 warnings)"
    at = next(r for r in table if r[0] == f"'{fx.AT_SUM}")
    assert at[2] == "Not stated"
    assert at[8] == "Blocked (1 failed check): not in figures"
    text = " ".join(str(v) for r in _rows(ws) for v in r if v)
    assert "Not received for June 2025:" in text and fx.APOSTROPHE in text
    assert "2 earlier submissions (May 2025)" in text


def _money_columns(ws, header_row):
    return [c.column for c in ws[header_row] if c.value in MONEY_HEADERS]


def _header_rows(ws):
    return [row[0].row for row in ws.iter_rows()
            if any(c.value in MONEY_HEADERS for c in row) and row[0].font.b
            and row[0].fill.fgColor.rgb.endswith("005EB8")]


def test_every_money_cell_has_the_pound_format(wb):
    checked = 0
    for name in ("Summary", "Spend by partner", "Spend by service line"):
        ws = wb[name]
        for hr in _header_rows(ws):
            for col in _money_columns(ws, hr):
                r = hr + 1
                while ws.cell(row=r, column=1).value is not None:
                    cell = ws.cell(row=r, column=col)
                    assert cell.number_format == "£#,##0;[Red](£#,##0)", (name, cell.coordinate)
                    assert isinstance(cell.value, (int, float)), (name, cell.coordinate)
                    checked += 1
                    r += 1
    assert checked > 60


def test_percent_cells_are_formatted(wb):
    ws = wb["Summary"]
    hr = _header_rows(ws)[0]
    col = next(c.column for c in ws[hr] if c.value == "Movement %")
    fmt = ws.cell(row=hr + 1, column=col).number_format
    assert fmt == f.PCT_FORMAT
    # a real percent format (an unquoted %: Excel multiplies by 100), so the cell holds a fraction
    assert "%" in fmt.replace('"%"', "") and '"%"' not in fmt


def test_percent_cells_hold_fractions(wb, fx):
    """Movement % of North Weald in the gross-by-system block: (368,000 - 310,000) / 310,000 = 18.7%,
    stored as 0.187 (Excel arithmetic on the cell is then right)."""
    ws = wb["Summary"]
    for hr in _header_rows(ws):
        heads = [c.value for c in ws[hr]]
        if "Movement %" in heads and "Last month" in heads:
            col = heads.index("Movement %") + 1
            r = hr + 1
            while ws.cell(row=r, column=1).value not in (None, "North Weald ICS"):
                r += 1
            if ws.cell(row=r, column=1).value == "North Weald ICS":
                e = fx.EXPECTED["north_weald"]
                expected = ((e["month"] - e["prev"]) / e["prev"]).quantize(Decimal("0.001"))
                assert ws.cell(row=r, column=col).value == float(expected) == 0.187
                return
    raise AssertionError("no Movement % for North Weald ICS on the Summary")


def test_summary_totals_equal_hand_computed_sums(wb, fx):
    ws = wb["Summary"]
    rows = _rows(ws)
    hr = next(i for i, r in enumerate(rows) if r[0] == "Gross spend by system") + 1
    head = rows[hr]
    col = {k: head.index(k) for k in ("This month", "Last month", "Movement", "FY to date")}
    by = {r[0]: r for r in rows[hr + 1:hr + 4]}
    for ics, label in (("north_weald", "North Weald ICS"), ("south_fen", "South Fen ICS"),
                       ("total", "Total")):
        assert by[label][col["This month"]] == float(fx.EXPECTED[ics]["month"])
        assert by[label][col["Last month"]] == float(fx.EXPECTED[ics]["prev"])
        assert by[label][col["FY to date"]] == float(fx.EXPECTED[ics]["ytd"])
        assert by[label][col["Movement"]] == float(fx.EXPECTED[ics]["month"] - fx.EXPECTED[ics]["prev"])
    kr = next(i for i, r in enumerate(rows) if r[0] == "Partner kind")
    kinds = {r[0]: r for r in rows[kr + 1:kr + 6]}
    for kind, label in (("icb", "ICB"), ("nhs_trust", "NHS trust"),
                        ("local_authority", "Local authority"), ("vcse", "VCSE")):
        assert kinds[label][col["This month"]] == float(fx.EXPECTED[kind]["month"])
        assert kinds[label][col["FY to date"]] == float(fx.EXPECTED[kind]["ytd"])
    assert kinds["Total"][col["FY to date"]] == float(fx.EXPECTED["total"]["ytd"])


def test_section_sheet_figures(wb, fx):
    rows = _rows(wb["Spend by partner"])
    head = rows[4]
    assert head == ["System", "Partner kind", "Partner", "Service line", "This month", "FY to date"]
    credit = next(r for r in rows if r[3] == "Adult acute and rehabilitation inpatient care")
    assert credit[4] == -5000.75
    total = next(r for r in reversed(rows) if r[0] == "Total")
    assert total[5] == float(fx.EXPECTED["total"]["ytd"])
    assert rows[-1][0].startswith("Coverage:")    # the coverage note, under the totals
    assert any(r[1] == "NHS trust total" and r[4] == 244999.5 for r in rows)


def test_formulas_only_on_total_rows_and_only_ours(pack):
    """The only formulas are the pack's own: SUBTOTAL over the rows above a subtotal or total, and
    the arithmetic of its derived cells - cell references, no text from the data."""
    book = openpyxl.load_workbook(pack)
    seen = 0
    for ws in book:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert is_pack_formula(c.value), (ws.title, c.coordinate, c.value)
                    labels = [x.value for x in ws[c.row] if isinstance(x.value, str) and not x.value.startswith("=")]
                    assert any(x.endswith(("Total", "total")) for x in labels), (ws.title, c.coordinate, labels)
                    seen += 1
    assert seen > 20


def test_totals_outside_the_filter_and_subtotal_what_is_shown(pack, fx):
    """Spend by partner: the filter covers the detail and subtotal rows, the grand total is below it;
    its total adds up the detail rows (SUBTOTAL 109 leaves out the nested subtotals and filtered rows)."""
    ws = openpyxl.load_workbook(pack)["Spend by partner"]
    last = ws.max_row
    while ws.cell(row=last, column=1).value != "Total":
        last -= 1
    ref = ws.auto_filter.ref
    assert ref.startswith("A5:") and int(ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) == last - 1
    assert ws.cell(row=last, column=6).value == f"=SUBTOTAL(109,F6:F{last - 1})"
    assert computed(openpyxl.load_workbook(pack))["Spend by partner"].cell(row=last, column=6).value == \
        float(fx.EXPECTED["total"]["ytd"])


def test_formula_injection_stays_text(wb, fx):
    seen = 0
    triggers = ("=HYPERLINK", "@SUM", "=1+2", "=cmd")
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, str) and any(t in v for t in triggers):
                    assert c.data_type == "s", (ws.title, c.coordinate)
                    if v.lstrip(f.NEUTRALISER).startswith(triggers):      # a name or a file name
                        assert v.startswith(f.NEUTRALISER), (ws.title, c.coordinate, v)
                        seen += 1
    # partner names on the spend, open book, eliminations and contracts sheets, the injected file
    # name on two, and the scheme name on the plan sheet
    assert seen >= 12
    assert _find(wb["Submissions"], f"'{fx.INJECT_FILE}").data_type == "s"
    assert _find(wb["Plan against actual"], f"'{fx.SCHEME_INJECTION}").data_type == "s"


def test_numbers_are_written_to_the_places_they_carry(wb):
    """Pounds to the penny; rates per head (DECIMAL(18,4)) to 4 places; statistics rounded to
    the 2 places they show - never a float's 17 digits."""
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, float):
                    places = 2 if c.number_format in (f.MONEY_FORMAT, f.DEC2_FORMAT) else 4
                    assert round(c.value, places) == c.value, (ws.title, c.coordinate, c.value)


def test_freeze_filter_and_print_setup(wb):
    for name in SHEETS:
        ws = wb[name]
        ps = ws.page_setup
        # A4; A3 for a sheet too wide to read on A4 (test_no_sheet_prints_its_text_too_small_to_read)
        assert ps.orientation == "landscape" and int(ps.paperSize) in (9, 8), name
        if name != "Summary":                   # two pages at a set scale (test_summary_prints_on_two_readable_pages)
            assert ws.sheet_properties.pageSetUpPr.fitToPage and ps.fitToWidth in (1, 2), name
        assert ws.oddFooter.center.text == "Page &P of &N", name
        assert ws.oddHeader.center.text == "Mental health open book — June 2025", name
        assert ws.print_area, name
    for name in SHEETS[2:-1]:             # the Explain sheet, a working per figure, has no filter
        ws = wb[name]
        assert ws.freeze_panes == "A6", name
        if name == "Provider benchmarking":     # the fixture has no alliance rows: the sheet says so, no filter
            assert ws["A6"].value == "No figures for June 2025." and ws.auto_filter.ref is None
            continue
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A5:"), name
        # the header row repeats on each printed page only when the table runs over a page (it
        # would otherwise print above the charts and figures that follow a short table)
        last = 6
        while ws.cell(row=last + 1, column=1).value is not None:
            last += 1                                      # the table's last row: the first blank row ends it
        height = sum(ws.row_dimensions[r].height or 12.75 for r in range(1, last + 1))
        page = {9: 487.0, 8: 734.0}[int(ws.page_setup.paperSize)] / _printed_scale(ws)   # inside the margins
        if ws.print_title_rows is None:
            assert height <= page, (name, height, page)
        else:
            assert ws.print_title_rows == "$5:$5" and height > 0.9 * page, (name, ws.print_title_rows, height, page)
    assert wb["Summary"].freeze_panes == "A5"


def test_summary_prints_on_two_readable_pages(wb):
    """On one page with its chart the summary printed at 55%: the open book, the standard and the flags on page
    one, the gross spend and its chart on page two, each fitting an A4 page (487 pt tall, 770 pt wide inside
    the margins) at the scale set, 75% or more."""
    from openpyxl.utils import get_column_letter, range_boundaries
    ws = wb["Summary"]
    split = next(c.row for c in ws["A"] if c.value == "Gross spend by system")
    assert [b.id for b in ws.row_breaks.brk] == [split - 1]
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    scale = ws.page_setup.scale / 100
    assert scale >= 0.75, scale
    _, _, last_col, last_row = range_boundaries(ws.print_area.split("!")[-1].replace("$", ""))
    chart_pt = ws._charts[0].height / 2.54 * 72
    assert ws._charts[0].anchor._from.row + 1 > split                       # the chart is on page two
    tall = [sum(ws.row_dimensions[r].height or 12.75 for r in rows) for rows in (range(1, split),
                                                                                 range(split, last_row + 1))]
    assert tall[0] * scale <= 487 and max(tall[1], (ws._charts[0].anchor._from.row + 1 - split) * 12.75
                                           + chart_pt) * scale <= 487, (tall, scale)
    wide = sum(((ws.column_dimensions[get_column_letter(j)].width or 8.43) * 7 + 5) * 0.75 for j in range(1, last_col + 1))
    assert wide * scale <= 770, (wide, scale)


def _printed_scale(ws) -> float:
    """The scale a sheet prints at, fitted to its pages across: landscape inside half-inch side margins an A4
    page holds 770 pt across, an A3 page 1,118.5 pt (420 mm less an inch); a column prints (width x 7 + 5) px;
    with two across, its title columns print on each page."""
    from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
    ref = ws.print_area.split("!")[-1].replace("$", "")
    _, _, last, _ = range_boundaries(ref)
    pt = [((ws.column_dimensions[get_column_letter(j)].width or 8.43) * 7 + 5) * 0.75 for j in range(1, last + 1)]
    titles = column_index_from_string(ws.print_title_cols.split(":")[1].lstrip("$")) if ws.print_title_cols else 0
    across = ws.page_setup.fitToWidth
    page = sum(pt[:titles]) + (sum(pt) - sum(pt[:titles])) / across
    paper_pt = {9: 770.0, 8: 420 / 25.4 * 72 - 72}[int(ws.page_setup.paperSize)]   # A4, A3
    return min(1.0, paper_pt / page)


def test_no_sheet_prints_its_text_too_small_to_read(wb):
    """Fitted to one A4 page's width the Variation sheet's text printed at a third of its size, and most sheets
    at 55-62%: a sheet prints on A4 at 0.75 of its size or more, else on A3 (and two A3 pages across only
    where one would print under 0.55)."""
    for ws in wb:
        assert _printed_scale(ws) >= 0.55, (ws.title, _printed_scale(ws))
        if int(ws.page_setup.paperSize) == 9:                     # A4
            assert _printed_scale(ws) >= 0.75, (ws.title, _printed_scale(ws))
        if int(ws.page_setup.paperSize) == 8:                     # A3
            ws.page_setup.paperSize = ws.PAPERSIZE_A4
            assert _printed_scale(ws) < 0.75, ws.title         # A3 only where A4 would not do
            ws.page_setup.paperSize = ws.PAPERSIZE_A3
        if ws.page_setup.fitToWidth == 2:
            assert ws.print_title_cols and ws.page_setup.pageOrder == "overThenDown", ws.title
            ws.page_setup.fitToWidth = 1
            assert _printed_scale(ws) < 0.55, ws.title         # two across only where one would not do
    assert int(wb["Variation"].page_setup.paperSize) == 8       # A3
    assert wb["Variation"].page_setup.fitToWidth == 1 and not wb["Variation"].print_title_cols


def test_columns_wide_enough_for_their_text(wb):
    from reports.excel_pack import text_width
    from openpyxl.utils import get_column_letter
    for name in ("Summary", "Spend by partner", "Spend by service line", "Submissions"):
        ws = wb[name]
        for hr in _header_rows(ws) or [5]:
            r = hr + 1
            while ws.cell(row=r, column=1).value is not None:
                for c in ws[r]:
                    if c.value is None or c.alignment.wrap_text:
                        continue
                    if isinstance(c.value, (int, float)):
                        shown = (f.money_text(Decimal(str(c.value))) if c.number_format == f.MONEY_FORMAT
                                 else f.pct_text(Decimal(str(c.value)) * 100) if c.number_format == f.PCT_FORMAT
                                 else f.int_text(c.value))
                    elif isinstance(c.value, str):
                        shown = c.value
                    else:
                        continue
                    width = ws.column_dimensions[get_column_letter(c.column)].width
                    assert text_width(shown, bold=bool(c.font.b)) + 1 <= width, \
                        (name, c.coordinate, shown, width)
                r += 1


def test_transactions_sheet_is_in_the_packs_font_and_its_text_fits_or_wraps(wb):
    from reports.excel_pack import text_width
    from openpyxl.utils import get_column_letter
    fonts = {wb[name]["A1"].font.name for name in ("Summary", "Spend by partner")}
    assert fonts == {"Arial"}
    ws = wb["Transactions"]
    header = [c.value for c in ws[5]]
    assert "Partner" in header and "Funding stream" in header
    lines = 0
    for row in ws.iter_rows(min_row=1):
        for c in row:
            if c.value is None:
                continue
            assert c.font.name == "Arial", (c.coordinate, c.value, c.font.name)
            if c.row > 5 and isinstance(c.value, str) and not c.alignment.wrap_text:
                width = ws.column_dimensions[get_column_letter(c.column)].width
                assert text_width(c.value) + 1 <= width, (c.coordinate, c.value, width)
                lines += 1
    assert lines
    # the headings fit with the filter's button beside them
    for c in ws[5]:
        width = ws.column_dimensions[get_column_letter(c.column)].width
        assert text_width(c.value, bold=True) + 2 <= width, (c.coordinate, c.value, width)


def _charts(pack) -> list[str]:
    with zipfile.ZipFile(pack) as z:
        return [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/chart")]


def test_native_bar_chart_on_summary(wb, pack):
    summary = [x for x in _charts(pack) if "FY to date spend by partner kind" in x]
    assert len(summary) == 1
    xml = summary[0]
    assert re.search(r"<(c:)?barChart>", xml)
    assert "Partner kind" in xml and "Spend, FY to date (£)" in xml      # axis titles


def test_native_charts_where_a_chart_reads_better(pack):
    """Plan against actual as lines, sector shares and contract mix as stacked bars, MHIS against
    the standard, the lead provider's beds and community spend: native charts of the figures
    written beside them, one per system where the chart is by system."""
    charts = _charts(pack)
    def titled(text):
        return [x for x in charts if text in x]
    plan = titled("Plan against actual over the year")
    assert len(plan) == 2 and all(re.search(r"<(c:)?lineChart>", x) for x in plan)      # one per system
    shares = titled("Share of net spend by delivering partner's sector, FY")
    assert len(shares) == 2 and all(re.search(r'<(c:)?grouping val="stacked"', x) for x in shares)
    assert all(re.search(r'<(c:)?max val="1"', x) for x in shares)                      # shares of 100% (fractions)
    assert len(titled("Share of net spend by delivering partner's sector, month by month")) == 2
    recipients = titled("Share of net spend by who received the money")
    assert len(recipients) == 1 and re.search(r'<(c:)?grouping val="stacked"', recipients[0])
    assert len(titled("Non-NHS sectors: share, and the most")) == 2                  # one per system
    assert len(titled("Share of contract value by type")) == 1
    assert len(titled("MHIS spend against the standard")) == 1
    assert len(titled("Beds and community spend")) == 1
    assert len(titled("Forecast underspends")) == 1
    funnel = titled("Funnel plot: Mental-health spend per weighted head")
    assert len(funnel) == 1 and re.search(r"<(c:)?scatterChart>", funnel[0])
    # every series colour is Okabe-Ito
    for x in charts:
        for colour in re.findall(r'srgbClr val="([0-9A-Fa-f]{6})"', x):
            assert f"#{colour}" in f.OKABE_ITO or colour in ("212B32", "FFFFFF"), colour


def test_single_system_pack(con, tmp_path, fx):
    wb = computed(openpyxl.load_workbook(build_board_pack(con, fx.PERIOD, tmp_path / "sf.xlsx",
                                                          ics_id="south_fen")))
    assert wb.sheetnames == SHEETS
    assert wb["Cover"]["B4"].value == "South Fen ICS"
    rows = _rows(wb["Spend by partner"])
    assert rows[4][0] == "Partner kind"                       # no System column
    total = next(r for r in reversed(rows) if r[0] == "Total")
    assert total[3] == float(fx.EXPECTED["south_fen"]["month"])
    assert rows[-1][0].startswith("Coverage:") and "South Fen" in rows[-1][0] and "North Weald" not in rows[-1][0]
    names = {r[1] for r in rows[5:]}
    assert fx.HOSTILE not in names and "NHS South Fen Integrated Care Board" in names


def test_data_quality_sheets_show_each_partners_figures(con, fx, tmp_path):
    path = build_board_pack(con, fx.PERIOD, tmp_path / "pack.xlsx")
    wb = computed(openpyxl.load_workbook(path))
    dq = [[c.value for c in row] for row in wb["Data quality"].iter_rows()]
    wfmh = next(row for row in dq if "Weald and Fen Mental Health NHS Foundation Trust" in row)
    assert "Blocked: not in the figures" in wfmh
    assert [v for v in wfmh if isinstance(v, int)] == [300, 299, 0, 1, 1, 0]
    nw = next(row for row in dq if "NHS North Weald Integrated Care Board" in row)
    # the file name came from a partner: it stays text, neutralised
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for v in nw)
    set_aside = [[c.value for c in row] for row in wb["Rows set aside"].iter_rows()]
    assert sum(row[-1] for row in set_aside if row[0] == "NHS North Weald Integrated Care Board") == 3
    checks = [[c.value for c in row] for row in wb["Failed checks"].iter_rows()]
    assert any("Every posting date is inside the submitted month" in row for row in checks)
    # the failing values read as fields and values, one failing row a line - not the checks' JSON
    assert any(FAILING_VALUES in row for row in checks)
    assert not any(isinstance(v, str) and ("{" in v or '"' in v) for row in checks for v in row)


FAILING_VALUES = ("Posting date: 2025-07-02; Amount: £1,250.50\n"
                  "Posting date: 2025-07-03; Amount: (£20.00)")


def test_a_last_page_of_a_few_rows_is_folded_into_the_pages_before():
    """A4 landscape inside 0.75 in top and bottom margins is 487 pt: 38 rows of 12.75 pt at full size.
    80 rows (2.1 pages) print on 2 pages, scaled a little, not a third holding the last totals;
    96 rows (2.5 pages) keep their third page; a table shorter than a page is left alone."""
    from openpyxl import Workbook
    from reports.excel_pack import _paginate
    ws = Workbook().active
    ws.column_dimensions["A"].width = 60           # narrower than the page: printed at full size
    assert _paginate(ws, 1, 80, []) == (True, 2)
    assert _paginate(ws, 1, 96, []) == (True, 3)
    assert _paginate(ws, 1, 20, []) == (False, 0)


def test_a_table_after_a_main_table_that_only_just_fills_its_page_starts_the_next_page():
    """A4 landscape holds 487 pt: 36 rows of 12.75 pt (459 pt) fill a page, over its 90% safety margin but
    within it as printed. A 5-row table after them must not start on that page (its title and header would be
    left at the foot, its rows on the next): a break before it. After 20 rows (255 pt) it fits: no break."""
    from openpyxl import Workbook
    from reports.excel_pack import _paginate
    ws = Workbook().active
    ws.column_dimensions["A"].width = 60           # narrower than the page: printed at full size
    assert _paginate(ws, 1, 36, [(38, 42)]) == (True, 0)
    assert [b.id for b in ws.row_breaks.brk] == [37]
    ws = Workbook().active
    ws.column_dimensions["A"].width = 60
    assert _paginate(ws, 1, 20, [(22, 26)]) == (False, 0)
    assert not ws.row_breaks.brk
    # 40 rows run two rows onto a second page by the estimate; LibreOffice prints a little smaller than it
    # (the Variation sheet at 73% for 75%), so they may all end on the first page: the table starts a page
    ws = Workbook().active
    ws.column_dimensions["A"].width = 60
    assert _paginate(ws, 1, 40, [(42, 46)]) == (True, 0)
    assert [b.id for b in ws.row_breaks.brk] == [41]


def test_a_wrapped_line_breaks_after_a_hyphen_as_libreoffice_wraps_it():
    """LibreOffice printed the Variation sheet's measure "Children and young people's mental-health spend per
    weighted head" on two lines of its 32-wide Measure column, "mental-" ending the first: two lines, not three.
    Text with no room to spare wraps on a new line at each newline and each word that would overrun."""
    from reports.excel_text import wrapped_lines
    assert wrapped_lines("Children and young people's mental-health spend per weighted head", 32) == 2
    assert wrapped_lines("Crisis spend per weighted head", 32) == 1
    assert wrapped_lines("one\ntwo", 32) == 2
    assert wrapped_lines("MMMMM MMMMM", 8) == 2       # 'MMMMM' is 5 x 0.833 em of 13.3 px: 7.9 widths, a line each
