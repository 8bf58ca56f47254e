"""The board pack's Explain sheet: every key figure of the Summary, MHIS, Variation, Funding consistency and Sector
by recipient sheets that is made by arithmetic links to its working, and the working (terms, multiplier, divisor,
half-up rounding, £0 floor) redone here from the sheet's own cells gives the figure to the penny; the MHIS
standard, a contract's value per unit and a place's apportioned spend are also recomputed with SQL of their own
here. Money is a number under a £ format,
a share a fraction under a % format, and the sheet holds no filter (so no total inside one)."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import openpyxl
import pytest

from reports import formatting as f
from reports import sections
from reports.excel_explain import write_explain
from reports.excel_pack import build_board_pack
from reports.query import ReportContext
from reports.section_figures import section_table

_FACTORS = re.compile(r"(?:× (£?[\d,.]+) )?÷ (£?[\d,.]+), rounded half up to (the penny|(\d+) decimal places?)$")


def _pack(demo_home, tmp_path_factory, one_system: bool):
    con = duckdb.connect(str(demo_home / "warehouse" / "openbook.duckdb"), read_only=True)
    try:
        (period,) = con.execute("SELECT max(period) FROM fct_ledger").fetchone()
        ics_id = con.execute("SELECT min(ics_id) FROM rpt_variation").fetchone()[0] if one_system else None
        path = build_board_pack(con, period, tmp_path_factory.mktemp("pack") / "pack.xlsx", ics_id=ics_id,
                                run_id="t")
    finally:
        con.close()
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def pack(demo_home, tmp_path_factory):
    return _pack(demo_home, tmp_path_factory, one_system=False)


@pytest.fixture(scope="module")
def system_pack(demo_home, tmp_path_factory):
    """One system's pack: its tables hold its own places and contracts, while a place's peers and a contract's
    like contracts are every system's."""
    return _pack(demo_home, tmp_path_factory, one_system=True)


def _number(text: str) -> Decimal:
    return Decimal(text.replace("£", "").replace(",", ""))


def _amount(cell) -> Decimal:
    """The cell's value as the working states it: pounds, or a share in percent (the cell holds a fraction), to the
    4 places the finest working (a share of the MHIS allocation) is rounded to."""
    v = Decimal(str(cell.value))
    return (v * 100).quantize(Decimal("0.0001")) if "%" in cell.number_format else v


def _workings(ws) -> dict[int, dict]:
    """Each working on the sheet by its first row: the figure, its terms, the scaling, the floor, the result."""
    out, current = {}, None
    for r in range(5, ws.max_row + 1):
        a, b, d = ws.cell(r, 1), ws.cell(r, 2), ws.cell(r, 4)
        text = str(a.value or "")
        if a.font.b and a.font.color is not None and a.font.color.rgb.endswith("005EB8"):
            current = out[r] = {"figure": _amount(b), "terms": [], "reconciles": d.value}
        elif current is None or not text:
            continue
        elif text.startswith("Result: "):
            current["result"] = _amount(b)
        elif _FACTORS.search(text):
            m = _FACTORS.search(text)
            current["scale"] = (_number(m.group(1)) if m.group(1) else Decimal(1), _number(m.group(2)),
                                Decimal("0.01") if m.group(3) == "the penny" else Decimal(1).scaleb(-int(m.group(4))))
        elif text.startswith("Rounded half up to "):
            places = re.search(r"(\d+) decimal places?", text)
            current["scale"] = (Decimal(1), Decimal(1), Decimal(1).scaleb(-int(places.group(1))) if places
                                else Decimal("0.01"))
        elif text.startswith("Or £"):
            current["floor"] = _number(text.split()[1])
        elif b.value is not None and re.search(r"\(the (multiplier|divisor)\)$", text):
            current.setdefault("factors", []).append(_amount(b))       # the multiplier or divisor as a figure
        elif b.value is not None:
            current["terms"].append(_amount(b))
    return out


def _redo(w: dict) -> Decimal:
    value = sum(w["terms"], Decimal(0))
    if "scale" in w:
        times, per, places = w["scale"]
        value = (value * times / per).quantize(places, rounding=ROUND_HALF_UP)
    return max(value, w["floor"]) if "floor" in w else value


@pytest.mark.parametrize("which", ["pack", "system_pack"])
def test_each_key_figure_links_to_a_working_that_makes_it_to_the_penny(which, request):
    pack = request.getfixturevalue(which)
    ws = pack["Explain"]
    assert ws.auto_filter.ref is None                   # no filter: no total can sit inside one
    workings = _workings(ws)
    linked = {"Summary": 0, "MHIS": 0, "Sector by recipient": 0, "Variation": 0, "Funding consistency": 0}
    for name in linked:
        for row in pack[name].iter_rows():
            for c in row:
                if c.hyperlink is None or not (c.hyperlink.location or "").startswith("'Explain'!A"):
                    continue
                w = workings[int(c.hyperlink.location.split("!A")[1])]
                if isinstance(c.value, str) and c.value.startswith("="):     # a total: the sheet's own formula
                    assert re.match(r"=(SUM|SUBTOTAL)\(", c.value), (name, c.coordinate, c.value)
                    figure = w["figure"]
                else:
                    figure = _amount(c)
                assert w["figure"] == w["result"] == figure, (name, c.coordinate, w, figure)
                assert _redo(w) == figure, (name, c.coordinate, w)
                # a multiplier or divisor shown as a figure of its own is the one the working scales by
                assert all(v in w["scale"][:2] for v in w.get("factors", [])), (name, c.coordinate, w)
                assert w["reconciles"] == "Yes"
                linked[name] += 1
    assert all(n > 0 for n in linked.values()), linked
    # every working on the sheet, a term's own working too, gives the figure it explains
    assert [w for w in workings.values() if w["reconciles"] != "Yes"] == []
    for c in ws["B"][4:]:
        if isinstance(c.value, (int, float)) or c.value is not None and not isinstance(c.value, str):
            # pounds, a percentage, or a count (a contract's capacity) as the sheets show it
            assert "£" in c.number_format or "%" in c.number_format or c.number_format in (
                f.EXCEL_FORMATS["int"], f.EXCEL_FORMATS["dec1"]), (c.coordinate, c.number_format)


def test_the_mhis_standard_on_its_working_is_last_years_spend_grown_by_the_allocation(pack, demo_db):
    """Required = last year's MHIS spend × this year's programme allocation ÷ last year's (SQL of its own)."""
    ws, mhis = pack["Explain"], pack["MHIS"]
    workings = _workings(ws)
    head = [c.value for c in mhis[5]]
    checked = 0
    for row in mhis.iter_rows(min_row=6):
        icb, required = row[head.index("ICB")].value, row[head.index("Required")]
        if not icb or required.hyperlink is None:
            continue
        fy, prior, spend_then, alloc, alloc_then = demo_db.execute(
            "SELECT m.fy, m.prior_year_spend, p.mhis_spend, a.programme_allocation, b.programme_allocation "
            "FROM rpt_mhis m JOIN dim_partner d ON d.partner_id = m.icb_id "
            "JOIN rpt_mhis p ON p.icb_id = m.icb_id AND p.fy = (CAST(left(m.fy, 4) AS INTEGER) - 1) || '-' || "
            "right(left(m.fy, 4), 2) "
            "JOIN ref_allocations a ON a.icb_id = m.icb_id AND a.fy = m.fy "
            "JOIN ref_allocations b ON b.icb_id = m.icb_id AND b.fy = p.fy "
            "WHERE d.partner_name = ? ORDER BY m.fy DESC LIMIT 1", [icb]).fetchone()
        expected = (Decimal(spend_then) * Decimal(alloc) / Decimal(alloc_then)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        w = workings[int(required.hyperlink.location.split("!A")[1])]
        assert w["figure"] == expected == _redo(w), (icb, fy, w, expected)
        checked += 1
    assert checked >= 2


def _sheet_workings(pack, name: str, column: str):
    """(the row's cells by heading, the working) of each figure of ``column`` on sheet ``name`` linking to one."""
    ws, workings = pack[name], _workings(pack["Explain"])
    head = [c.value for c in ws[5]]
    for row in ws.iter_rows(min_row=6):
        cell = row[head.index(column)]
        if cell.hyperlink is not None and (cell.hyperlink.location or "").startswith("'Explain'!A"):
            yield dict(zip(head, row)), workings[int(cell.hyperlink.location.split("!A")[1])]


def test_a_contracts_value_per_unit_on_its_working_is_its_value_over_its_capacity(pack, demo_db):
    checked = 0
    for row, w in _sheet_workings(pack, "Funding consistency", "Value per unit"):
        value, capacity = demo_db.execute("SELECT annual_value, capacity FROM ref_contracts WHERE contract_id = ?",
                                          [row["Contract"].value]).fetchone()
        expected = (Decimal(value) / Decimal(capacity)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert w["figure"] == expected == _redo(w), (row["Contract"].value, w, expected)
        checked += 1
    assert checked >= 4


def test_a_places_apportioned_spend_on_its_working_is_its_systems_unplaced_spend_by_population(pack, demo_db,
                                                                                                 demo_home):
    from tests.reports.test_figure_explain import _Warehouse
    wh, checked = _Warehouse(demo_db, demo_home), 0
    names = {n: (u, m) for u, m, n in demo_db.execute(
        "SELECT DISTINCT v.unit_id, v.measure_id, v.unit_name || '|' || v.measure_name FROM rpt_variation v "
        "WHERE grouping = 'place'").fetchall()}
    for row, w in _sheet_workings(pack, "Variation", "Apportioned"):
        unit, measure = names[f"{row['Place'].value}|{row['Measure'].value}"]
        (fy, ics) = demo_db.execute("SELECT max(fy), any_value(ics_id) FROM rpt_variation WHERE unit_id = ? AND "
                                    "measure_id = ?", [unit, measure]).fetchone()
        expected = wh.apportioned_to_place({"measure_id": measure, "unit_id": unit, "fy": fy, "ics_id": ics})
        assert w["figure"] == expected == _redo(w), (row["Place"].value, row["Measure"].value, w, expected)
        checked += 1
    assert checked >= 12


def test_a_medians_working_links_each_middle_value_to_its_own_working_above_it(pack):
    """The median of like contracts is made from the middle values per unit, each a figure with its own working:
    each term links to that working, written above the median's."""
    assert _median_terms_link_above(pack["Explain"]) > 0


def test_a_medians_working_is_complete_whatever_the_order_of_the_sheets_rows(demo_home, tmp_path):
    """The funding-consistency rows written in reverse (each median's row now above its middle contracts'): the
    middle values' workings still come first, so each median's terms still link to them above."""
    con = duckdb.connect(str(demo_home / "warehouse" / "openbook.duckdb"), read_only=True)
    try:
        (period,) = con.execute("SELECT max(period) FROM fct_ledger").fetchone()
        ctx = ReportContext(period, None, "t")
        table = section_table(con, sections.FUNDING_CONSISTENCY, ctx)
        table.rows = [r for r in reversed(table.rows) if r.role == "detail"]
        wb = openpyxl.Workbook()
        sheet = wb.active
        sheet.title = "Funding consistency"
        write_explain(wb.create_sheet("Explain"), con, ctx, [(sheet, 1, sections.FUNDING_CONSISTENCY, table)])
    finally:
        con.close()
    assert _median_terms_link_above(wb["Explain"]) > 0


def _median_terms_link_above(ws) -> int:
    """Each median working's terms (a middle contract's value per unit) link to that value's working above it;
    returns how many terms were checked."""
    starts = set(_workings(ws))
    medians, checked = [r for r in starts if str(ws.cell(r, 1).value).startswith("Median of like contracts:")], 0
    assert medians
    for first in medians:
        r, terms = first + 1, 0
        while r <= ws.max_row and r not in starts:
            label = str(ws.cell(r, 1).value or "")
            if label.endswith(": value per unit"):            # a term: one middle contract's value per unit
                link = ws.cell(r, 3).hyperlink
                assert ws.cell(r, 3).value == "its own working, above" and link is not None, (first, r, label)
                target = int(link.location.split("!A")[1])
                assert target in starts and target < first, (first, r, target)
                assert str(ws.cell(target, 1).value).startswith("Value per unit"), ws.cell(target, 1).value
                terms += 1
            r += 1
        assert terms >= 1, (first, ws.cell(first, 1).value)
        checked += terms
    return checked


def test_a_figure_on_two_sheets_is_worked_once_and_links_back_to_both(pack):
    """An ICB's MHIS standard, shortfall and headroom are on the Summary and the MHIS sheets: one working each, which
    both cells open, and which links back to both sheets."""
    ws = pack["Explain"]
    titles = [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in _workings(ws)]
    assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)
    opened: dict[str, set[str]] = {}
    for name in ("Summary", "MHIS"):
        for row in pack[name].iter_rows():
            for c in row:
                if c.hyperlink is not None and (c.hyperlink.location or "").startswith("'Explain'!A"):
                    opened.setdefault(c.hyperlink.location, set()).add(name)
    both = [loc for loc, names in opened.items() if names == {"Summary", "MHIS"}]
    assert len(both) >= 3, opened                       # required, shortfall and headroom at least
    for loc in both:
        first = int(loc.split("!A")[1])
        rows = range(first, next((r for r in _workings(ws) if r > first), ws.max_row + 1))
        back = {ws.cell(r, 3).hyperlink.location.split("!")[0].strip("'") for r in rows
                if ws.cell(r, 3).hyperlink is not None and "Explain" not in ws.cell(r, 3).hyperlink.location}
        assert back >= {"Summary", "MHIS"}, (loc, back)
