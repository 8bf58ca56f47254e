"""Reference sources: reference/sources.yaml, .xlsx tables, and NHS England's GP-practice
weighted populations workbook rolled up to places. Expected figures are hand sums of the
fixture's numbers (tests/reference/fixtures/build_fixtures.py lists them)."""
from __future__ import annotations

import csv
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from assets.ingest.reference_integrity import load_reference
from assets.ingest.reference_sources import (
    ReferenceSourceError,
    WeightedPopulationsSource,
    load_reference_sources,
    prepared_source,
    roll_up_weighted_populations,
)
from warehouse.sql_files import run_sql

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
from build_fixtures import MAPPING_TEXT, write_workbook  # noqa: E402

WORKBOOK = FIXTURES / "GP Practice WP_2023_2024_2025.xlsx"
D = Decimal

# fy, place: (weighted population to the penny, need index to 4 places, MH weighted population)
EXPECTED = {
    ("2023-24", "kirklees"): (D("4200.38"), D("1.0751"), D("4300.810000")),     # 1600.125 + 2600.25; 1900.25 + 2400.56
    ("2023-24", "stockton"): (D("19000.13"), D("1.1111"), D("20000.500000")),   # A81002 alone, mapped by practice
    ("2023-24", "tees_rest"): (D("16501.25"), D("1.1000"), D("16501.000000")),  # 5000.75 + 11500.5; 4500.25 + 12000.75
    ("2024-25", "kirklees"): (D("4220.00"), D("1.0747"), D("4320.100000")),     # 1610 + 2610; 1910 + 2410.1
    ("2024-25", "stockton"): (D("19010.00"), D("1.1110"), D("20010.000000")),
    ("2024-25", "tees_rest"): (D("16520.00"), D("1.0999"), D("16520.000000")),  # 5010 + 11510; 4510 + 12010
}


@pytest.fixture
def reference(tmp_path) -> Path:
    folder = tmp_path / "reference"
    folder.mkdir()
    shutil.copy(WORKBOOK, folder / WORKBOOK.name)
    (folder / "practice_places.csv").write_text(MAPPING_TEXT, encoding="utf-8")
    (folder / "places.csv").write_text(
        "place_id,place_name,ics_id,ics_name\nstockton,Stockton,tees,Tees\ntees_rest,Rest of Tees,tees,Tees\n"
        "kirklees,Kirklees,wy,West Yorkshire\n", encoding="utf-8")
    return folder


def _sources(folder: Path, text: str) -> None:
    (folder / "sources.yaml").write_text(text, encoding="utf-8")


WORKBOOK_SOURCE = f"""populations:
  format: gp_weighted_populations
  file: {WORKBOOK.name}
  mapping: practice_places.csv
"""


def test_without_a_sources_file_each_table_is_its_csv(tmp_path):
    (tmp_path / "partners.csv").write_text("partner_id,name,kind,ics_id,submits\n", encoding="utf-8")
    with prepared_source(tmp_path, "partners") as source:
        assert source.csv_path == tmp_path / "partners.csv"


def test_a_typo_in_sources_yaml_names_the_file_and_key(reference):
    _sources(reference, "contracts:\n  file: c.xlsx\n  sheeet: Register\n")
    with pytest.raises(ReferenceSourceError, match=r"sources\.yaml: contracts\.sheeet: Extra inputs"):
        load_reference_sources(reference)
    _sources(reference, "contrcts:\n  file: c.csv\n")
    with pytest.raises(ReferenceSourceError, match=r"sources\.yaml: contrcts: Extra inputs"):
        load_reference_sources(reference)


def test_a_missing_workbook_field_is_named(reference):
    _sources(reference, f"populations:\n  format: gp_weighted_populations\n  file: {WORKBOOK.name}\n")
    with pytest.raises(ReferenceSourceError, match=r"populations\.gp_weighted_populations\.mapping: Field required"):
        load_reference_sources(reference)


def test_weighted_populations_roll_up_to_places_by_practice_then_sub_icb(reference):
    spec = WeightedPopulationsSource(format="gp_weighted_populations", file=WORKBOOK.name,
                                     mapping="practice_places.csv")
    totals, notes = roll_up_weighted_populations(reference / WORKBOOK.name, reference / "practice_places.csv", spec)
    assert {key: (t.weighted, t.mh_weighted, t.registered) for key, t in totals.items()} == {
        ("2023-24", "kirklees"): (D("4200.375"), D("4300.81"), D("4000.5")),
        ("2023-24", "stockton"): (D("19000.125"), D("20000.5"), D("18000.25")),
        ("2023-24", "tees_rest"): (D("16501.25"), D("16501.00"), D("15000.5")),
        ("2024-25", "kirklees"): (D("4220"), D("4320.1"), D("4020")),
        ("2024-25", "stockton"): (D("19010"), D("20010"), D("18010")),
        ("2024-25", "tees_rest"): (D("16520"), D("16520"), D("15020")),
    }
    # the hidden 2025/26 sheet is not read; Y07274 (Coventry) is in no mapped area
    assert notes["sheets"] == ["GP_wp_202324", "GP_wp_202425"]
    assert notes["practices_rolled_up"] == 10 and notes["practices_outside_mapped_areas"] == 2


def _load_populations(reference: Path) -> list[tuple]:
    con = duckdb.connect()
    run_sql(con, "staging/ref_places", {"path": str(reference / "places.csv")})
    load_reference(con, reference, "populations", reference / "no-inbox")
    return con.execute("SELECT fy, place_id, weighted_population, mh_need_index, mh_weighted_population "
                       "FROM ref_populations ORDER BY 1, 2").fetchall()


def test_the_workbook_loads_as_ref_populations_with_the_mh_weighted_population_itself(reference):
    _sources(reference, WORKBOOK_SOURCE)
    assert _load_populations(reference) == [(fy, place, *values) for (fy, place), values in EXPECTED.items()]


def test_title_rows_above_the_table_are_skipped(reference):
    write_workbook(reference / WORKBOOK.name, title_rows=[
        "GP practice weighted populations", "Source: NHS England, revenue allocations", ""])
    _sources(reference, WORKBOOK_SOURCE)
    assert _load_populations(reference) == [(fy, place, *values) for (fy, place), values in EXPECTED.items()]


def test_a_heading_the_workbook_lacks_is_named(reference):
    _sources(reference, WORKBOOK_SOURCE + "  columns:\n    mh_weighted_population: Mental Health WP\n")
    with pytest.raises(ReferenceSourceError, match=r"GP_wp_202324'.*no column matches columns\.mh_weighted_population"):
        _load_populations(reference)


def test_a_text_value_in_a_population_cell_names_sheet_row_and_field(reference):
    workbook = openpyxl.load_workbook(reference / WORKBOOK.name)
    workbook["GP_wp_202425"]["V3"] = "n/a"  # MH WP of the second practice
    workbook.save(reference / WORKBOOK.name)
    _sources(reference, WORKBOOK_SOURCE)
    with pytest.raises(ReferenceSourceError, match=r"sheet 'GP_wp_202425' row 3, MH weighted population: 'n/a'"):
        _load_populations(reference)


def test_the_demo_csv_keeps_its_figures_and_gains_population_times_index(tmp_path):
    (tmp_path / "populations.csv").write_text(
        "fy,place_id,weighted_population,mh_need_index\n2024-25,ashby,241800,0.9700\n2024-25,carrow,178900,1.1200\n",
        encoding="utf-8")
    con = duckdb.connect()
    load_reference(con, tmp_path, "populations", tmp_path / "inbox")
    assert con.execute("SELECT place_id, weighted_population, mh_need_index, mh_weighted_population "
                       "FROM ref_populations ORDER BY 1").fetchall() == [
        ("ashby", D("241800.00"), D("0.9700"), D("234546.000000")),   # 241800 x 0.97
        ("carrow", D("178900.00"), D("1.1200"), D("200368.000000"))]  # 178900 x 1.12


def test_a_table_can_come_from_an_xlsx_sheet_with_its_headings_below_row_1(tmp_path):
    rows = [["icb_id", "fy", "programme_allocation"], ["nw_icb", "2025-26", 2298199200.0],
            ["sf_icb", "2025-26", 1234.56]]
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    sheet = workbook.create_sheet("Allocations")
    sheet.append(["Programme allocations 2025/26"])
    sheet.append([])
    for row in rows:
        sheet.append(row)
    workbook.save(tmp_path / "allocations 2025-26.xlsx")
    _sources(tmp_path, "allocations:\n  file: allocations 2025-26.xlsx\n  sheet: allocations\n  header_row: 3\n")
    con = duckdb.connect()
    load_reference(con, tmp_path, "allocations", tmp_path / "inbox")
    assert con.execute("SELECT * FROM ref_allocations ORDER BY 1").fetchall() == [
        ("nw_icb", "2025-26", D("2298199200.00")), ("sf_icb", "2025-26", D("1234.56"))]


def test_a_sheet_that_is_not_there_is_named(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Register"
    workbook.save(tmp_path / "c.xlsx")
    _sources(tmp_path, "contracts:\n  file: c.xlsx\n  sheet: Contracts\n")
    with pytest.raises(ReferenceSourceError, match=r"c\.xlsx: no visible sheet named 'Contracts' \(sheet\); it has 'Register'"):
        with prepared_source(tmp_path, "contracts"):
            pass


def test_the_demo_reference_files_load_unchanged(tmp_path):
    """Every demo reference CSV goes through the new loader and gives the rows the CSV holds."""
    from demo.generator import plan_demo  # noqa: PLC0415
    from demo.reference import write_reference  # noqa: PLC0415

    plan = plan_demo(seed=1, rows=None)
    write_reference(tmp_path, plan.centres, plan.activity)
    con = duckdb.connect()
    run_sql(con, "staging/create_tables")
    for name in ("partners", "places", "populations", "service_lines", "cost_centre_map", "partner_aliases",
                 "contracts", "investment_plans", "allocations", "lp_activity"):
        metadata = load_reference(con, tmp_path, name, tmp_path / "inbox")
        with (tmp_path / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            assert metadata["rows"] == sum(1 for _ in csv.DictReader(handle)), name


def test_a_workbook_tables_rows_are_cited_at_their_sheet_row(tmp_path):
    """Explain pages cite a reference row where the reader finds it: for an .xlsx source the sheet and the
    sheet's row (title rows above the headings and blank rows between the data skipped), read here from the
    workbook itself with openpyxl."""
    from reports.explain_working import ref_rows  # noqa: PLC0415

    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    sheet = workbook.create_sheet("Allocations")
    sheet.append(["Programme allocations"])
    sheet.append([])
    sheet.append(["icb_id", "fy", "programme_allocation"])
    sheet.append(["nw_icb", "2024-25", 2100.00])
    sheet.append([])
    sheet.append(["nw_icb", "2025-26", 2200.50])
    sheet.append(["sf_icb", "2025-26", 1234.56])
    workbook.save(tmp_path / "allocations.xlsx")
    _sources(tmp_path, "allocations:\n  file: allocations.xlsx\n  sheet: Allocations\n  header_row: 3\n")
    con = duckdb.connect()
    load_reference(con, tmp_path, "allocations", tmp_path / "inbox")
    cited = ref_rows(con, "ref_allocations", ("icb_id", "fy", "programme_allocation"), "TRUE", [], "icb_id, fy")
    read_back = openpyxl.load_workbook(tmp_path / "allocations.xlsx")["Allocations"]
    assert [s.where for s in cited] == ["allocations.xlsx, sheet Allocations, row 4",
                                        "allocations.xlsx, sheet Allocations, row 6",
                                        "allocations.xlsx, sheet Allocations, row 7"]
    for s in cited:
        row = [c.value for c in read_back[s.line]]
        assert row[:2] == [dict(s.fields)["icb_id"], dict(s.fields)["fy"]], (s.where, row)
        assert D(str(row[2])).quantize(D("0.01")) == dict(s.fields)["programme_allocation"]
