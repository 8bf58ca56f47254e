"""How the reference data is used downstream: the MH weighted population as a measure's
denominator, and which changes make `openbook run` reload the reference data."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import yaml

from warehouse.measures import build_variation
from pipelines.changes import REFERENCE, Inputs
from warehouse.settings import Paths
from warehouse.sql_files import run_sql

D = Decimal


def test_a_measure_can_divide_by_the_mh_weighted_population_itself(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE TABLE ref_places AS SELECT * FROM (VALUES ('a', 'A', 's', 'S'), ('b', 'B', 's', 'S')) "
                "t(place_id, place_name, ics_id, ics_name)")
    # the MH weighted population as published is not population x a rounded index: 1500 != 1000 x 1.4
    con.execute("CREATE TABLE ref_populations AS SELECT * FROM (VALUES "
                "('2025-26', 'a', 1000.00::DECIMAL(18,2), 1.4000::DECIMAL(9,4), 1500.000000::DECIMAL(18,6)), "
                "('2025-26', 'b', 2000.00::DECIMAL(18,2), 1.0000::DECIMAL(9,4), 2000.000000::DECIMAL(18,6))) "
                "t(fy, place_id, weighted_population, mh_need_index, mh_weighted_population)")
    run_sql(con, "marts/dim_place")
    con.execute("CREATE TABLE dim_service_line AS SELECT 'crisis_house' AS service_line, true AS mental_health")
    con.execute("""CREATE TABLE fct_mh_ledger AS SELECT * FROM (VALUES
                   ('a', 's', '2025-26', '2025-04', 'crisis_house', 'recurrent', 'vcse', 'expenditure', 300.00::DECIMAL(18,2), false),
                   ('b', 's', '2025-26', '2025-04', 'crisis_house', 'recurrent', 'vcse', 'expenditure', 500.00::DECIMAL(18,2), false))
                   t(place_id, ics_id, fy, period, service_line, funding_stream, partner_kind, line_type, amount,
                     is_eliminated)""")
    measure = {"title": "MH spend per MH-weighted head", "description": "Spend per head of MH weighted population.",
               "numerator": {"basis": "net"}, "denominator": "mh_weighted_population", "grouping": "place",
               "higher_is_better": True}
    (tmp_path / "per_mh_head.yaml").write_text(yaml.safe_dump(measure), encoding="utf-8")
    build_variation(con, tmp_path)
    rows = con.execute("SELECT unit_id, denominator, rate FROM rpt_variation ORDER BY 1").fetchall()
    assert rows == [("a", D("1500.00"), D("0.2000")), ("b", D("2000.00"), D("0.2500"))]  # 300/1500, 500/2000


def _home(tmp_path: Path) -> Paths:
    for folder in ("reference", "inbox/wfmh", "config/sources"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "reference" / "partners.csv").write_text("partner_id\n", encoding="utf-8")
    return Paths(tmp_path)


def test_a_workbook_or_sources_yaml_or_a_new_partner_folder_reloads_the_reference(tmp_path):
    paths = _home(tmp_path)
    before = Inputs.scan(paths).fingerprints[REFERENCE]
    (paths.inbox / "wfmh" / "GL 2025-04.csv").write_text("x\n", encoding="utf-8")
    assert Inputs.scan(paths).fingerprints[REFERENCE] == before  # a late file is not a reference change
    for change in (lambda: (paths.reference / "weighted populations.xlsx").write_bytes(b"PK"),
                   lambda: (paths.reference / "sources.yaml").write_text("{}\n", encoding="utf-8"),
                   lambda: (paths.inbox / "haven").mkdir()):
        change()
        after = Inputs.scan(paths).fingerprints[REFERENCE]
        assert after != before
        before = after
