"""The analytics sheets and pages against the hand-made fixture (tests/reports/conftest.py):
each sheet's headers, values and formats, its flags in words, the summary's headlines and
count of flags, and the drill-down pages behind every flagged figure."""
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from reports import drilldown
from tests.html_links import page_links
from reports import formatting as f
from tests.reports.formulas import computed
from reports import sections
from reports.sections.shared import ICS, SPEND_MONTH, SPEND_YTD
from reports.chart_figures import charts_data
from reports.query import ReportContext
from reports.section_figures import section_table
from reports.spec import DETAIL, Chart, Drill, Flag, Section, SpecError
from reports.excel_pack import build_board_pack

FLAG_FILL = "FCE8C8"


@pytest.fixture
def pack(built_once, tmp_path) -> Path:
    return built_once.pack("run-7", tmp_path / "pack.xlsx")  # the fixture warehouse's, as build_board_pack wrote it


@pytest.fixture
def wb(pack):
    return computed(openpyxl.load_workbook(pack))      # totals are SUBTOTAL formulas: worked out


@pytest.fixture
def site(built_once, tmp_path) -> Path:
    return built_once.site("run-7", tmp_path / "site")  # the fixture warehouse's, as build_html_site wrote it


def _table(ws, header_row: int = 5) -> tuple[list, list[list]]:
    """The header and the rows of the table whose header is at ``header_row`` (to the first blank row)."""
    header = [c.value for c in ws[header_row]]
    while header and header[-1] is None:
        header.pop()
    rows = []
    r = header_row + 1
    while ws.cell(row=r, column=1).value is not None:
        rows.append([ws.cell(row=r, column=j + 1) for j in range(len(header))])
        r += 1
    return header, rows


def _values(cells) -> list:
    return [c.value for c in cells]


def _row(rows, col: int, text: str):
    return next(r for r in rows if r[col].value == text)


def _caption_row(ws, text: str) -> int:
    for row in ws.iter_rows():
        if isinstance(row[0].value, str) and row[0].value.startswith(text):
            return row[0].row
    raise AssertionError(f"{text!r} not on {ws.title}")


# ---------------------------------------------------------------------------
# Sheets
def test_open_book_sheet(wb, fx):
    ws = wb["Open book"]
    assert ws["A2"].value.endswith("£ mental-health expenditure: gross, eliminated and net")
    header, rows = _table(ws)
    assert header == ["System", "Partner kind", "Partner", "Service line", "Funding stream", "Gross, month",
                      "Net, month", "Gross FY to date", "Eliminated FY to date", "Net FY to date",
                      "Forecast outturn (net)"]
    col = {h: i for i, h in enumerate(header)}
    expected = fx.ANALYTICS_EXPECTED["open_book"]
    for label, key in (("North Weald ICS total", "north_weald"), ("South Fen ICS total", "south_fen"),
                       ("Total", "total")):
        row = _row(rows, 0, label)
        for measure in ("gross_month", "net_month", "gross_ytd", "eliminated_ytd", "net_ytd", "forecast"):
            heading = {"gross_month": "Gross, month", "net_month": "Net, month", "gross_ytd": "Gross FY to date",
                       "eliminated_ytd": "Eliminated FY to date", "net_ytd": "Net FY to date",
                       "forecast": "Forecast outturn (net)"}[measure]
            cell = row[col[heading]]
            assert cell.value == float(expected[key][measure]), (label, heading)
            assert cell.number_format == f.MONEY_FORMAT
    # the partner whose name is a formula stays text; the system-wide / funding-stream labels are words
    inj = next(r for r in rows if str(r[2].value).startswith("'=HYPERLINK"))
    assert inj[2].data_type == "s" and inj[4].value == "Grant"
    # the waterfall's figures: gross, the eliminations by partner kind, net - per system
    top = _caption_row(ws, "From gross to net spend, FY to date: North Weald ICS")
    _, steps = _table(ws, top + 1)
    assert [(r[0].value, r[1].value) for r in steps] == [
        ("Gross spend", 781000.74), ("ICB eliminations", -180000.0), ("Net spend", 601000.74)]


def test_agreement_of_balances_sheet_puts_mismatches_first(wb, fx):
    ws = wb["Agreement of balances"]
    header, rows = _table(ws)
    assert header == ["Payer", "Payee", "Month", "Status", "Payer booked", "Payee booked", "Difference",
                      "Difference FY to date", "Flag"]
    # this month's agreement for every pair, and May's mismatch first
    assert [(r[0].value, r[2].value, r[3].value) for r in rows] == [
        ("NHS North Weald Integrated Care Board", "May 2025", "Mismatched"),
        ("NHS North Weald Integrated Care Board", "Jun 2025", "Matched"),
        ("NHS South Fen Integrated Care Board", "Jun 2025", "Matched")]
    mismatch = rows[0]
    assert _values(mismatch[4:8]) == [60000.0, 50000.0, 10000.0, 10000.0]
    assert mismatch[8].value == (
        "In May 2025 NHS North Weald Integrated Care Board booked £60,000.00 paid to Weald and Fen Mental "
        "Health NHS Foundation Trust, which booked £50,000.00 received: a difference of £10,000.00, above the "
        "£2,500 threshold. To be agreed between the two finance teams.")
    assert all(c.fill.fgColor.rgb.endswith(FLAG_FILL) for c in mismatch)
    assert not rows[1][0].fill.fgColor.rgb.endswith(FLAG_FILL)
    # the payee that is a formula stays text, neutralised
    assert rows[2][1].value == f"'{fx.AT_SUM}" and rows[2][1].data_type == "s"
    assert rows[2][6].value == 1000.0 and rows[2][8].value is None


def test_plan_against_actual_sheet(wb, fx):
    ws = wb["Plan against actual"]
    header, rows = _table(ws)
    assert header == ["System", "Scheme", "Service line", "Status", "Plan for the year", "Plan to date",
                      "Actual to date", "Slippage", "Slippage %", "Forecast (run rate)", "Forecast (plan profile)",
                      "Forecast underspend", "Flag"]
    e = fx.ANALYTICS_EXPECTED["slipping"]
    slipping = _row(rows, 1, f"'{fx.SCHEME_INJECTION}")
    assert slipping[1].data_type == "s" and slipping[3].value == "Slipping"
    assert _values(slipping[4:12]) == [float(e["fy_plan"]), float(e["plan_ytd"]), float(e["actual_ytd"]),
                                       float(e["slippage"]), float(Decimal(str(e["slippage_pct"])) / 100),
                                       float(e["forecast_run_rate"]), float(e["forecast_profile"]), 45000.0]
    assert slipping[8].number_format == f.PCT_FORMAT
    assert slipping[12].value.startswith(f"'{fx.SCHEME_INJECTION} is £45,000 (75.0%) behind plan to date: "
                                         "£15,000 spent against £60,000 planned.")
    cafe = _row(rows, 1, "Crisis café")
    assert cafe[3].value == "On plan" and cafe[12].value is None
    total = _row(rows, 0, "Total")
    assert _values(total[5:9]) == [90000.0, 43500.0, 46500.0, 0.517]     # slippage % of the totals: 46.5/90
    # the chart's figures: running totals of plan and actual, month by month, per system
    top = _caption_row(ws, "Plan against actual over the year (running totals): South Fen ICS")
    head, months = _table(ws, top + 1)
    assert head == ["Month", "Plan to date", "Actual to date"]
    assert [_values(r) for r in months] == [["Apr 2025", 20000.0, 0.0], ["May 2025", 40000.0, 5000.0],
                                            ["Jun 2025", 60000.0, 15000.0]]


def test_system_position_sheet(wb, fx):
    header, rows = _table(wb["System position"])
    assert header[:2] == ["System", "As at"] and header[-1] == "Position"
    col = {h: i for i, h in enumerate(header)}
    fen = _row(rows, 0, "South Fen ICS")
    assert fen[col["Net forecast underspend"]].value == 45000.0 and fen[col["Slipping"]].value == 1
    assert fen[col["Position"]].value == (
        "Forecast £45,000 under plan. £45,000 forecast unspent on schemes behind plan could be rebalanced "
        "in year to other or new schemes; otherwise £45,000 could be handed back.")
    total = _row(rows, 0, "Total")
    assert total[col["Net forecast underspend"]].value == 46500.0
    assert total[col["Position"]].value.startswith("Forecast £46,500 under plan.")


def test_mhis_sheet(wb, fx):
    header, rows = _table(wb["MHIS"])
    assert header[:4] == ["System", "ICB", "Met", "MHIS spend"] and header[-2:] == ["Status", "Flag"]
    col = {h: i for i, h in enumerate(header)}
    sf = _row(rows, 1, "NHS South Fen Integrated Care Board")
    assert sf[col["Met"]].value == "—"                    # a part year: not yet assessed
    assert sf[col["Required"]].value == 1040000.0 and sf[col["Forecast (run rate)"]].value == 800000.0
    assert sf[col["Allocation growth %"]].value == 0.04
    assert sf[col["Allocation growth %"]].number_format == f.PCT_FORMAT
    assert sf[col["Status"]].value == "Part year: forecast £240,000 short"
    assert sf[col["Flag"]].value == (
        "NHS South Fen Integrated Care Board spent £200,000 on the MHIS base in 2025-26 against £1,040,000 "
        "required (last year's £1,000,000 grown by the allocation's 4.0%): at the run rate it will spend "
        "£800,000, short of the standard.")
    nw = _row(rows, 1, "NHS North Weald Integrated Care Board")
    assert nw[col["Status"]].value == "Part year: forecast to meet it" and nw[col["Flag"]].value is None


def test_variation_sheet_explains_its_flags_in_words(wb, fx):
    ws = wb["Variation"]
    header, rows = _table(ws)
    assert header == ["Measure", "Place", "System", "Position", "Spend", "Weighted population", "Per head",
                      "Peers' rate", "Pooled rate", "z-score", "Rank", "From median per head", "Decile",
                      "Apportioned", "Per head incl. apportioned", "Coverage %", "Above (below) pooled", "Flag"]
    col = {h: j for j, h in enumerate(header)}
    brook = _row(rows, 1, "Brookfield")
    assert brook[col["Position"]].value == "Above peers (99.8%)"      # neutral: no favourable / unfavourable
    assert _values(brook[4:9]) == [4000000.0, 20000, 200.0, 116.6667, 150.0]
    assert brook[6].number_format == f.MONEY2_FORMAT and brook[col["z-score"]].number_format == f.DEC2_FORMAT
    # peers' rate: Ashby and Dunmere only, (1,100,000 + 2,400,000) / 30,000; z = 83.3333 / sqrt((10 x
    # 116.6667)^2 / 20,000 + 25^2) = 3.17
    assert brook[col["z-score"]].value == 3.17 and brook[col["Rank"]].value == 1
    assert brook[col["From median per head"]].value == 80.0 and brook[col["Decile"]].value == 10
    assert brook[col["Apportioned"]].value == 50000.0 and brook[col["Coverage %"]].value == 0.6  # a fraction under a % format
    assert brook[col["Above (below) pooled"]].value == 1000000.0
    assert brook[col["Flag"]].value == ("Brookfield spends £200.00 per weighted head on mental health against "
                                        "£116.67 for its peers (every other place): above peers (99.8%) "
                                        "(£1,000,000 more than at the pooled rate of all places).")
    ashby = _row(rows, 1, "Ashby")
    assert ashby[col["Position"]].value == "Within limits" and ashby[col["Flag"]].value is None
    assert ashby[col["Above (below) pooled"]].value == -400000.0
    # the funnel plot, natively, beside its figures, each place's own limits included
    top = _caption_row(ws, "Funnel plot: Mental-health spend per weighted head: the figures")
    head, points = _table(ws, top + 1)
    assert head == ["Place", "Weighted population", "£ per weighted head", "Pooled rate", "Peers' rate",
                    "Lower 99.8%", "Lower 95%", "Upper 95%", "Upper 99.8%", "Flag"]
    assert [r[0].value for r in points] == ["Ashby", "Brookfield", "Dunmere"]     # by population
    assert _values(points[1][4:10]) == [116.6667, 35.3195, 65.0678, 168.2655, 198.0138, "Above peers (99.8%)"]


def test_funding_consistency_sheet(wb, fx):
    header, rows = _table(wb["Funding consistency"])
    col = {h: i for i, h in enumerate(header)}
    fen = _row(rows, col["Contract"], "C-FEN")
    assert fen[col["Type"]].value == "Grant" and fen[col["Funding stream"]].value == "Non-recurrent"
    assert fen[col["Value per unit"]].value == 130000.0 and fen[col["Median of like contracts"]].value == 90000.0
    assert fen[col["Against median %"]].value == 0.4444 and fen[col["Capacity"]].value == 6.0
    assert fen[col["Flag"]].value == (
        "Haven Crisis Houses, Fenwick (C-FEN, £130,000 per bed against a median of £90,000): funding stream "
        "non-recurrent (like contracts: 2 recurrent, 1 non-recurrent); contract type grant (like contracts: "
        "2 block, 1 grant); value per bed 44.44% above the median.")
    assert [r[col["Contract"]].value for r in rows if r[col["Flag"]].value] == ["C-FEN"]


def test_system_by_payer_sheet(wb, fx):
    ws = wb["System by payer"]
    assert ws["A1"].value.startswith("Each system's spend by who pays (commissioner view)")
    assert "Commissioner view (who pays)" in ws["A3"].value and "Host view (second)" in ws["A3"].value
    header, rows = _table(ws)
    assert header == ["System", "Partner kind", "Partner", "Commissioner view", "Host view", "Commissioner less host",
                      "Shared by ICB payments", "System's share of ICB payments"]
    sf = _row(rows, 0, "South Fen ICS total")
    assert _values(sf[3:6]) == [150000.0, 50000.0, 100000.0]
    total = _row(rows, 0, "Total")
    assert total[3].value == total[4].value == 550000.0 and total[5].value == 0.0   # every pound once, both views


def test_sector_by_recipient_sheet(wb, fx):
    """The headline sector view: by who received the money, FY to date as at the pack's month (July's
    spend left out), the unclassified money as a band on every sector, the definition beside it."""
    ws = wb["Sector by recipient"]
    assert ws["A1"].value.startswith("Sector share by who received the money")
    assert "net of eliminations" in ws["A2"].value and "by who received the money" in ws["A2"].value
    for words in ("Net of eliminations", "In house", "Unclassified", "uncertainty band"):
        assert words in ws["A3"].value
    header, rows = _table(ws)
    assert header == ["System", "Sector (who received the money)", "Net spend FY to date", "Share",
                      "Share if all unclassified were this sector", "Share band", "Paid to others (not in house)"]
    nw = {r[1].value: _values(r[2:7]) for r in rows if r[0].value == "North Weald ICS"}
    # worked out by hand from RECIPIENT: April and June, £2,000,000 in all, £90,000 unclassified (4.5%)
    assert nw == {
        "Statutory NHS": [1500000.0, 0.75, 0.795, "75.0% to 79.5%", 150000.0],
        "Local authority": [0.0, 0.0, 0.045, "0.0% to 4.5%", 0.0],
        "Voluntary sector (VCSE)": [350000.0, 0.175, 0.22, "17.5% to 22.0%", 330000.0],
        "Independent sector": [60000.0, 0.03, 0.075, "3.0% to 7.5%", 60000.0],
        "Unclassified": [90000.0, 0.045, 0.045, "The band: up to 4.5% more on any sector", 90000.0]}
    assert rows[2][3].number_format == f.PCT_FORMAT
    total = _row(rows, 0, "North Weald ICS total")
    assert total[2].value == 2000000.0 and total[3].value is None              # shares do not add up
    assert _row(rows, 0, "Total")[2].value == 2500000.0
    top = _caption_row(ws, "Share of net spend by who received the money, FY to date: the figures")
    head, shares = _table(ws, top + 1)
    assert head[:6] == ["System", "Statutory NHS", "Local authority", "Voluntary sector (VCSE)",
                        "Independent sector", "Unclassified"]
    assert _values(_row(shares, 0, "South Fen ICS")[1:6]) == [0.6, 0.2, 0.0, 0.2, 0.0]


def test_sector_share_by_delivering_partner_sheet(wb, fx):
    ws = wb["Sector by partner"]
    assert ws["A1"].value.startswith("Sector share by delivering partner")
    header, rows = _table(ws)
    assert header == ["System", "Level", "Area", "Statutory NHS", "Local authority", "Voluntary sector (VCSE)",
                      "Independent sector", "Total"]
    # each system's whole-system row, then its places
    assert [(r[0].value, r[1].value, r[2].value) for r in rows] == [
        ("North Weald ICS", "Whole system", "North Weald ICS"), ("North Weald ICS", "Place", "Ashby"),
        ("South Fen ICS", "Whole system", "South Fen ICS")]
    assert _values(rows[0][3:8]) == [900000.0, 60000.0, 40000.0, 0.0, 1000000.0]
    top = _caption_row(ws, "Share of net spend by delivering partner's sector, FY to date: North Weald ICS")
    head, shares = _table(ws, top + 1)
    assert head == ["Area", "Statutory NHS", "Local authority", "Voluntary sector (VCSE)", "Total"]
    nw = _row(shares, 0, "North Weald ICS")
    assert _values(nw[1:5]) == [0.9, 0.06, 0.04, 1.0] and nw[1].number_format == f.PCT_FORMAT
    top = _caption_row(ws, "Share of net spend by delivering partner's sector, month by month: North Weald ICS")
    _, trend = _table(ws, top + 1)
    assert [r[0].value for r in trend] == ["Apr 2025", "May 2025", "Jun 2025"]
    assert _values(trend[1][1:4]) == [0.8824, 0.0588, 0.0588]


def test_contracts_sheet_and_mix(wb, fx):
    ws = wb["Contracts"]
    header, rows = _table(ws)
    col = {h: i for i, h in enumerate(header)}
    assert header[-1] == "Flag"
    over = _row(rows, col["Contract"], "NW-YS")
    assert over[col["Status"]].value == "Over-run" and rows.index(over) == 0       # flagged first in its system
    assert over[col["Provider"]].value == fx.APOSTROPHE
    assert over[col["Paid to date"]].value == 45000.0 and over[col["Over-run"]].value == 5000.0
    assert over[col["Paid % of value"]].value == 1.125
    assert over[col["Flag"]].value == (f"Over-run: NHS North Weald Integrated Care Board has paid {fx.APOSTROPHE} "
                                       "£45,000 this year against an annual value of £40,000: £5,000 over.")
    under = _row(rows, col["Contract"], "SF-AT")
    assert under[col["Status"]].value == "Under-run" and under[col["Paid less expected"]].value == -10000.0
    assert under[col["Flag"]].value.startswith(f"Under-run: NHS South Fen Integrated Care Board has paid {fx.AT_SUM} "
                                               "£20,000 against £30,000 expected by now on a block contract")
    several = _row(rows, col["Contract"], "NW-WFMH")
    assert several[col["Service line"]].value == "Several service lines"
    assert _row(rows, 0, "Total")[col["Annual value"]].value == 1360000.0
    # the mix of contract types below it, and its chart's figures
    top = _caption_row(ws, "How contracts are let")
    head, mix = _table(ws, top + 2)
    assert head == ["System", "Type", "Contracts", "Annual value", "Share of value %", "Paid to date"]
    assert _values(_row(mix, 0, "Total")) == ["Total", None, 3, 1360000.0, None, 365000.0]


def test_lead_provider_sheet(wb, fx):
    ws = wb["Lead provider"]
    header, rows = _table(ws)
    assert header[0] == "Month" and "Occupied bed days" in header
    col = {h: i for i, h in enumerate(header)}
    total = _row(rows, 0, "Total")
    assert total[col["Saving on beds"]].value == float(fx.ANALYTICS_EXPECTED["lead_provider"]["saving_ytd"])
    assert total[col["Occupied bed days"]].value == fx.ANALYTICS_EXPECTED["lead_provider"]["bed_days"]
    top = _caption_row(ws, "Spend by subcontractor, FY to date")
    head, subs = _table(ws, top + 2)
    wfmh = _row(subs, 0, "Weald and Fen Mental Health NHS Foundation Trust")
    assert _values(wfmh[3:]) == [150000.0, 450, 3, 333.33]
    assert wfmh[6].number_format == f.MONEY2_FORMAT
    other = _row(subs, 0, "Other providers, suppliers and own staff")
    assert other[1].value == "—" and other[6].value is None


def test_summary_headlines_mhis_and_flags(wb, fx):
    ws = wb["Summary"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    net = next(i for i, r in enumerate(rows) if r[0] == "Net mental-health spend by system (the open book)")
    assert rows[net + 1][:6] == ["System", "Net, month", "Net FY to date", "Gross FY to date",
                                 "Eliminated FY to date", "Forecast outturn (net)"]
    total = next(r for r in rows[net + 2:] if r[0] == "Total")
    e = fx.ANALYTICS_EXPECTED["open_book"]["total"]
    assert total[1:6] == [float(e["net_month"]), float(e["net_ytd"]), float(e["gross_ytd"]),
                          float(e["eliminated_ytd"]), float(e["forecast"])]
    mhis = next(i for i, r in enumerate(rows) if r[0] == "Mental Health Investment Standard")
    assert rows[mhis + 1][:6] == ["ICB", "MHIS spend", "Required", "Shortfall", "Headroom", "Status"]
    assert rows[mhis + 3][0] == "NHS South Fen Integrated Care Board"
    assert rows[mhis + 3][5] == "Part year: forecast £240,000 short"
    flags = next(i for i, r in enumerate(rows) if r[0] == "Flags raised")
    assert rows[flags + 1][:3] == ["Page", "What is flagged", "Flags"]
    end = next(i for i in range(flags + 2, len(rows)) if rows[i][0] == "Total")
    counted = {r[0]: r[2] for r in rows[flags + 2:end + 1]}
    by_sheet = {sec.sheet: fx.ANALYTICS_EXPECTED["flags"][sec.key] for sec in sections.SECTIONS
                if sec.key in fx.ANALYTICS_EXPECTED["flags"]}
    # the fixture has no budgets and its lead provider is under its delegated budget: counted, none flagged
    assert counted == {**by_sheet, "MH budget": 0, "Lead provider": 0, "Total": 7}
    assert ws.page_setup.fitToHeight == 1                  # still one page


def test_columns_fit_their_numbers_on_every_sheet(wb):
    """No #### anywhere: every number cell's column is wide enough for the number as shown."""
    from openpyxl.utils import get_column_letter
    from reports.excel_pack import text_width
    shown_as = {f.MONEY_FORMAT: "money", f.MONEY2_FORMAT: "money2", f.PCT_FORMAT: "pct", f.INT_FORMAT: "int",
                f.DEC1_FORMAT: "dec1", f.DEC2_FORMAT: "dec2"}
    checked = 0
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, (int, float)) and c.number_format in shown_as:
                    kind = shown_as[c.number_format]
                    value = Decimal(str(c.value)) * (100 if kind == "pct" else 1)   # pct cells hold fractions
                    text = f.number_text(value, kind)
                    width = ws.column_dimensions[get_column_letter(c.column)].width
                    assert text_width(text, bold=bool(c.font.b)) + 1 <= width, (ws.title, c.coordinate, text)
                    checked += 1
    assert checked > 400


def test_sheets_print_landscape_on_a4_or_a3_with_page_numbers(wb):
    """A4, or A3 for a sheet too wide to read on A4 (which sheets: test_report_excel's print-scale test)."""
    for ws in wb:
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) in (9, 8), ws.title
        assert ws.oddFooter.center.text == "Page &P of &N", ws.title
        area = ws.print_area
        assert area, ws.title


# ---------------------------------------------------------------------------
# The single-system pack: each system sees its own partners' figures
def test_single_system_pack_keeps_to_its_system(con, tmp_path, fx):
    wb = computed(openpyxl.load_workbook(build_board_pack(con, fx.PERIOD, tmp_path / "sf.xlsx", ics_id="south_fen")))
    _, aob = _table(wb["Agreement of balances"])
    assert [r[0].value for r in aob] == ["NHS South Fen Integrated Care Board"]
    header, contracts = _table(wb["Contracts"])
    assert header[0] == "Commissioner" and {r[2].value for r in contracts if r[2].value} == {"SF-AT"}
    _, funding = _table(wb["Funding consistency"])
    assert [r[1].value for r in funding] == ["C-DUN", "C-FEN"]
    header, mhis = _table(wb["MHIS"])
    assert [r[0].value for r in mhis] == ["NHS South Fen Integrated Care Board"]
    _, lp = _table(wb["Lead provider"])                       # the lead provider serves both systems
    assert lp[-1][0].value == "Total"


# ---------------------------------------------------------------------------
# Drill-down
def _flagged(con, fx):
    ctx = ReportContext(fx.PERIOD)
    for sec in sections.SECTIONS:
        table = section_table(con, sec, ctx)
        for part, t in [(sec, table)] + list(zip(sec.parts, table.parts)):
            for row in t.flagged_rows:
                yield part, row


def test_every_flagged_figure_reconciles_to_its_ledger_lines(con, fx):
    used: set[str] = set()
    pages = {}
    for part, row in _flagged(con, fx):
        page = drilldown.drill_page(con, part, row, drilldown.slug(part, row, used))
        assert page.reconciles, (part.key, page.figure, page.line_total)
        assert page.not_shown == 0 and page.shown_total == page.figure
        pages[part.key] = pages.get(part.key, []) + [page]
    assert {k: len(v) for k, v in pages.items()} == {k: n for k, n in fx.ANALYTICS_EXPECTED["flags"].items() if n}
    e = fx.ANALYTICS_EXPECTED
    assert pages["eliminations"][0].line_count == e["mismatch"]["lines"]
    assert pages["eliminations"][0].figure == e["mismatch"]["difference"]
    assert pages["plan-vs-actual"][0].line_count == e["slipping"]["lines"]          # July's line is not in it
    assert pages["variation"][0].line_count == e["variation"]["lines"]              # net: eliminated line out
    assert pages["funding-consistency"][0].figure == e["funding"]["provider_spend"]
    assert pages["mhis"][0].line_count == 3                                         # SDF and non-MHIS lines out
    assert sorted(p.figure for p in pages["contracts"]) == [e["underrun"]["paid"], e["overrun"]["paid"]]


def test_a_drill_down_page_is_bounded_and_says_what_it_leaves_out(con, fx):
    part, row = next((p, r) for p, r in _flagged(con, fx) if p.key == "plan-vs-actual")
    page = drilldown.drill_page(con, part, row, "x", limit=2)
    assert len(page.lines) == 2 and page.not_shown == 1 and page.line_count == 3
    assert [x.amount for x in page.lines] == [Decimal("6000.00"), Decimal("5000.00")]     # the largest first
    assert page.shown_total + page.not_shown_total == page.line_total == page.figure == Decimal("15000.00")
    assert page.lines[0].file_name == "sf_icb/SF spend Jun 2025.csv"


def test_html_links_every_flag_to_its_drill_down_page(site, fx):
    drill = sorted(p.name for p in (site / "drill").glob("*.html"))
    # every flag has its page (named from its keys), linked from the flag in words; other figures'
    # pages are the rest (tests/reports/test_figure_drill.py)
    flag_pages = {h for page in site.glob("*.html")
                  for h in re.findall(r'<a class="drill" href="(drill/[^"]+)"', page.read_text(encoding="utf-8"))}
    assert len(flag_pages) == sum(fx.ANALYTICS_EXPECTED["flags"].values())
    for page in site.rglob("*.html"):
        for href in page_links(page):
            target = href.split("#", 1)[0]
            assert not target or (page.parent / target).exists(), (page.name, href)
    linked = {h for page in site.glob("*.html") for h in page_links(page) if h.startswith("drill/")}
    # a working's term that is a sum of lines of its own (one side of an agreement, a measure's placed spend)
    # opens its lines from its explain page
    linked |= {h[3:] for page in site.glob("explain/*.html") for h in page_links(page) if h.startswith("../drill/")}
    assert linked == {f"drill/{name}" for name in drill}
    elim = (site / "eliminations.html").read_text(encoding="utf-8")
    assert '<div class="flag-list"><h3>1 flag: Balances that do not agree</h3>' in elim
    assert "The 3 ledger lines behind it" in elim
    # the flagged figure itself links to its lines
    assert re.search(r'<td class="num" data-v="10000.00"><a href="drill/eliminations-nw-icb-wfmh-2025-05.html"',
                     elim)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<a href="variation.html">Variation</a>' in index


def test_drill_down_page_states_the_figure_and_escapes_the_ledger(site, fx):
    page = site / "drill" / "eliminations-nw-icb-wfmh-2025-05.html"
    text = page.read_text(encoding="utf-8")
    assert "Difference on the" in text and "£10,000.00" in text
    assert "The 3 ledger lines behind it add up to" in text
    assert "The lines reconcile to the figure to the penny." in text
    assert fx.HOSTILE not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text      # a description
    assert 'href="../assets/openbook.css"' in text and text.count('src="../assets/plotly.min.js"') == 1
    assert "wfmh/WFMH GL export 2025-05.xlsx" in text and "/home/x" not in text          # from the inbox on
    assert '<td class="num neg" data-v="-50000.00">(£50,000.00)</td>' in text
    assert "smaller line" not in text                                                       # all shown
    # plotly.js is written once for the whole site, drill-down pages included
    assert [p.name for p in site.rglob("plotly*.js")] == ["plotly.min.js"]


def test_html_pages_show_the_new_charts(site):
    variation = (site / "variation.html").read_text(encoding="utf-8")
    assert variation.count("Plotly.newPlot(") == 1                   # one measure in the fixture: one funnel
    assert '"name":"99.8% limits"' in variation and '"name":"95% limits"' in variation
    assert '"text":["Brookfield"]' in variation                      # the outlier is named on the plot
    open_book = (site / "open-book.html").read_text(encoding="utf-8")
    assert open_book.count('"type":"waterfall"') == 2                # one per system
    assert '"measure":["absolute","relative","total"]' in open_book
    plan = (site / "plan-vs-actual.html").read_text(encoding="utf-8")
    assert plan.count("Plotly.newPlot(") == 2


# ---------------------------------------------------------------------------
# The engine's new parts
def test_detail_section_orders_flags_first_and_keeps_hidden_keys(con, fx):
    table = section_table(con, sections.ELIMINATIONS, ReportContext(fx.PERIOD))
    assert [r.flagged for r in table.rows] == [True, False, False]
    assert table.rows[0].hidden == {"payer_id": "nw_icb", "payee_id": "wfmh", "period": "2025-05"}
    assert "payer_id" not in [c.key for c in table.columns]


def test_facets_funnel_and_waterfall_data(con, fx):
    ctx = ReportContext(fx.PERIOD)
    water = charts_data(con, sections.OPEN_BOOK, sections.OPEN_BOOK.charts[0], ctx)
    assert [d.facet for d in water] == ["north_weald", "south_fen"]
    fen = water[1]
    assert fen.x_values == ["Gross spend", "ICB eliminations", "Net spend"]
    assert fen.series[0][1] == [Decimal("155750.00"), Decimal("-30000.00"), Decimal("125750.00")]
    funnel = charts_data(con, sections.VARIATION, sections.VARIATION.charts[0], ctx)[0]
    assert [p.label for p in funnel.points] == ["Ashby", "Brookfield", "Dunmere"]
    assert funnel.pooled == Decimal("150.0000")
    # each place is compared with its own peers: the lines join each place's own limits, by population
    for name in ("upper_95", "upper_998", "lower_95", "lower_998"):
        assert funnel.curves[name] == [(float(p.denominator), float(p.limits[name])) for p in funnel.points]
    assert [p.centre for p in funnel.points] == [Decimal("160.0000"), Decimal("116.6667"), Decimal("170.0000")]


def test_new_spec_errors_are_clear():
    with pytest.raises(SpecError, match="only a detail section flags rows"):
        Section(key="x", title="X", source="rpt_x", dims=(ICS,), values=(SPEND_MONTH,),
                  flag=Flag(where="TRUE", label="x", text=lambda v: ""))
    with pytest.raises(SpecError, match="share one scope"):
        Section(key="x", title="X", source="rpt_x", dims=(ICS,), mode=DETAIL,
                  values=(SPEND_MONTH, SPEND_YTD))
    with pytest.raises(SpecError, match="not among its keys"):
        Drill(keys=("a",), where="partner_id = $b", figure="m", title=lambda v: "")
    with pytest.raises(SpecError, match="fct_ledger"):
        Drill(keys=("a",), where="TRUE", figure="m", title=lambda v: "", source="rpt_mh_spend")
    with pytest.raises(SpecError, match="not drawn in Excel"):
        Chart("w", "W", "waterfall", x=ICS, value=SPEND_MONTH, x_title="x", y_title="y",
                start=SPEND_YTD, start_label="Gross", end_label="Net", excel=True)
    with pytest.raises(SpecError, match="needs its Funnel columns"):
        Chart("f", "F", "funnel", x=ICS, value=SPEND_MONTH, x_title="x", y_title="y")
    with pytest.raises(SpecError, match="waterfall needs"):
        Chart("w", "W", "waterfall", x=ICS, value=SPEND_MONTH, x_title="x", y_title="y")
