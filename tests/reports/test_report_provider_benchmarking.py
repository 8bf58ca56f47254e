"""The provider measures in the board pack and the site (issue 17): a sheet of their own in the board pack
(after the Variation sheet, so the two tables do not share column widths) and a part of the Variation page, every trust of the alliance in every pack (the alliance spans both systems), each row
stating the measure's definition, numerator, denominator and unit; ranked, never flagged; and no trust
among the places. Rendered from hand-made rpt_variation rows (tests/reports/conftest.py plus the rows
below), so the figures expected are the ones written here."""
from __future__ import annotations

from decimal import Decimal as D

import openpyxl
import pytest

from reports import figure_lines as fl
from reports import sections
from reports.excel_pack import build_board_pack
from reports.html_site import build_html_site
from tests.reports.formulas import computed

TITLE = "Provider benchmarking: the alliance's trusts"
SHEET = "Provider benchmarking"
# (unit_id, name, ics, numerator, denominator, rate, rank, distance from the median): cost per occupied bed day
TRUSTS = [("rvmh", "Rivermead Mental Health NHS Trust", "south_fen", "20100717.68", "26738", "751.7659", 1, "205.3345"),
          ("wfmh", "Weald and Fen Mental Health NHS Foundation Trust", "north_weald", "32489479.34", "61159",
           "531.2297", 2, "-15.2017")]
OOA = [("ecpt", "Eastcote Partnership NHS Foundation Trust", "north_weald", "189.00", "611248", "30.9203", 1, "20.6356"),
       ("wfmh", "Weald and Fen Mental Health NHS Foundation Trust", "north_weald", "89.00", "949256", "9.3758", 2,
        "-10.6356")]


def _insert(con, measure_id, name, description, source, denominator_name, scale, rate_unit, rows, fy):
    median = (D(rows[0][5]) + D(rows[1][5])) / 2
    for unit_id, unit_name, ics, num, den, rate, rank, from_median in rows:
        con.execute("""INSERT INTO rpt_variation BY NAME SELECT ? AS measure_id, ? AS measure_name,
                       ? AS measure_description, 'provider' AS grouping, ? AS numerator_source,
                       ? AS denominator_name, ? AS scale, ? AS rate_unit, NULL AS basis, ? AS unit_id, ? AS unit_name,
                       ? AS ics_id, ? AS ics_name, ? AS fy, 12 AS months_reported, ? AS numerator, ? AS denominator,
                       ? AS rate, ? AS peer_rate, 1 AS peers, FALSE AS assessed, ? AS median_rate,
                       ? AS distance_from_median, ? AS rate_rank, 5 AS decile, 'none' AS flag,
                       'not assessed' AS comparison, 2 AS units""",
                    [measure_id, name, description, source, denominator_name, scale, rate_unit, unit_id, unit_name, ics,
                     {"north_weald": "North Weald ICS", "south_fen": "South Fen ICS"}[ics], fy, D(num), D(den), D(rate),
                     D(rate), median, D(from_median), rank])


@pytest.fixture
def with_trusts(con, fx):
    fy = con.execute("SELECT DISTINCT fy FROM rpt_variation").fetchone()[0]
    _insert(con, "provider_cost_per_occupied_bed_day", "Cost per occupied bed day",
            "Each trust's spend on adult acute inpatient care per occupied bed day.", "provider_finance",
            "occupied_bed_days", 1, "£ per occupied bed day", TRUSTS, fy)
    _insert(con, "provider_out_of_area_per_100k", "Out-of-area placements per 100,000 weighted population",
            "Each trust's out-of-area placements per 100,000 of the weighted population it serves.",
            "provider_activity", "weighted_population_served", 100000,
            "out-of-area placements per 100,000 weighted population served", OOA, fy)
    return con


def _rows_below(ws, title):
    top = next(r[0].row for r in ws.iter_rows() if str(r[0].value).split(" — ")[0] == title)
    header_row = next(r for r in range(top + 1, top + 6) if ws.cell(row=r, column=1).value == "Measure")
    header = [c.value for c in ws[header_row] if c.value is not None]
    rows, r = [], header_row + 1
    while ws.cell(row=r, column=1).value is not None:
        rows.append({h: ws.cell(row=r, column=j + 1).value for j, h in enumerate(header)})
        r += 1
    return header, rows


def test_the_trusts_have_a_sheet_after_variation_with_definition_unit_and_denominator(with_trusts, tmp_path, fx):
    wb = computed(openpyxl.load_workbook(build_board_pack(with_trusts, fx.PERIOD, tmp_path / "pack.xlsx", run_id="r")))
    assert wb.sheetnames.index(SHEET) == wb.sheetnames.index("Variation") + 1
    header, rows = _rows_below(wb[SHEET], TITLE)
    assert header == ["Measure", "Trust", "System", "Numerator", "Denominator", "Rate", "Unit", "Rank", "Median rate",
                      "From median", "Other trusts' rate", "Decile", "Definition"]
    by = {(r["Measure"], r["Trust"]): r for r in rows}
    assert len(rows) == 4
    rv = by[("Cost per occupied bed day", "Rivermead Mental Health NHS Trust")]
    assert rv["Numerator"] == "£20,100,718" and rv["Denominator"] == "26,738 occupied bed days"
    assert rv["Rate"] == 751.77 and rv["Unit"] == "£ per occupied bed day" and rv["Rank"] == 1
    assert rv["Median rate"] == 641.5 and rv["From median"] == 205.33
    assert rv["Definition"] == "Each trust's spend on adult acute inpatient care per occupied bed day."
    ec = by[("Out-of-area placements per 100,000 weighted population", "Eastcote Partnership NHS Foundation Trust")]
    assert ec["Numerator"] == "189 out-of-area placements" and ec["Denominator"] == "611,248 weighted population served"
    assert ec["Unit"] == "out-of-area placements per 100,000 weighted population served" and ec["Rate"] == 30.92
    # ranked, never flagged: no position or flag column; and no trust among the places above
    assert "Flag" not in header and "Position" not in header
    ws = wb["Variation"]
    assert not any(str(c.value).startswith(TITLE) for row in ws.iter_rows() for c in row)   # not on the places' sheet
    r = 6                                                   # the places' table: header on row 5
    while ws.cell(row=r, column=1).value is not None:
        assert "NHS" not in str(ws.cell(row=r, column=2).value), ws.cell(row=r, column=2).value
        r += 1


def test_every_system_pack_shows_the_whole_alliance(with_trusts, tmp_path, fx):
    path = build_board_pack(with_trusts, fx.PERIOD, tmp_path / "nw.xlsx", run_id="r", ics_id="north_weald")
    _, rows = _rows_below(computed(openpyxl.load_workbook(path))[SHEET], TITLE)
    assert {r["Trust"] for r in rows} == {t[1] for t in TRUSTS + OOA}       # South Fen's Rivermead too


def test_the_page_shows_the_trusts_below_the_places_and_their_figures_are_not_ledger_lines(with_trusts, tmp_path, fx):
    site = build_html_site(with_trusts, fx.PERIOD, tmp_path / "site", run_id="r").parent
    page = (site / "variation.html").read_text(encoding="utf-8")
    assert TITLE.replace("'", "&#x27;") in page or TITLE in page
    assert page.index("Funnel plot") < page.index("Provider benchmarking")
    assert "26,738 occupied bed days" in page and "£ per occupied bed day" in page
    assert "189 out-of-area placements" in page
    assert isinstance(fl.spec_of(sections.PROVIDER_BENCHMARKING), fl.NotLines)
