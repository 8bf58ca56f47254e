"""MHIS by category and its exclusions (rpt_mhis_categories): on tiny hand-made ledgers, where every
pound's row is known, and on the demo against the generator's truth manifest (demo/truth.py
_mhis_categories, computed in polars from the frames the generator wrote, never from the SQL)."""
from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from warehouse.report_settings import SETTINGS, report_params
from warehouse.sql_files import run_sql

CYP = "Children and young people's mental health (excluding learning disabilities)"
CYP_ED = "Children and young people's eating disorders"
# service_line, mhis_category, in_mhis, exclusion_reason, mental_health
SERVICE_LINES = [
    ("camhs", CYP, True, "", True),
    ("eating_disorders", CYP_ED, True, "", True),
    ("perinatal", "Perinatal mental health (community)", True, "", True),
    ("crisis_house", "Adult and older adult crisis and liaison services", True, "", True),
    ("crisis_home_treatment", "Adult and older adult crisis and liaison services", True, "", True),
    ("peer_support", "", True, "", True),
    ("ld_autism", "Learning disabilities and autism (18a-c)", False, "LD and autism without a co-occurring MH need", True),
    ("adhd_drugs", "ADHD drugs", False, "ADHD is outside the MHIS", True),
    ("corporate", "", False, "Not mental health", False),
]


def build(con, lines: list[tuple], params: dict | None = None) -> None:
    """Two ICBs and a trust, the service lines above, passed submissions holding `lines`
    (partner, fy start year, service line, funding stream, amount[, line type]), then rpt_mhis and
    rpt_mhis_categories with `params` (default: sql/settings.yaml)."""
    con.execute("CREATE TABLE ref_partners (partner_id VARCHAR, name VARCHAR, kind VARCHAR, ics_id VARCHAR, "
                "submits BOOLEAN)")
    con.executemany("INSERT INTO ref_partners VALUES (?, ?, ?, ?, true)",
                    [("nw_icb", "North Weald ICB", "icb", "north_weald"), ("sf_icb", "South Fen ICB", "icb", "south_fen"),
                     ("wfmh", "The trust", "nhs_trust", "north_weald")])
    con.execute("CREATE TABLE ref_places (place_id VARCHAR, place_name VARCHAR, ics_id VARCHAR, ics_name VARCHAR)")
    con.executemany("INSERT INTO ref_places VALUES (?, ?, ?, ?)",
                    [("ashby", "Ashby", "north_weald", "North Weald ICS"), ("dunmere", "Dunmere", "south_fen", "South Fen ICS")])
    con.execute("""CREATE TABLE ref_service_lines (service_line VARCHAR, name VARCHAR, mhis_category VARCHAR,
                   in_mhis BOOLEAN, exclusion_reason VARCHAR, mental_health BOOLEAN)""")
    con.executemany("INSERT INTO ref_service_lines VALUES (?, ?, ?, ?, ?, ?)",
                    [(s, s.replace("_", " ").title(), c, i, r, m) for s, c, i, r, m in SERVICE_LINES])
    con.execute("CREATE TABLE ref_allocations (icb_id VARCHAR, fy VARCHAR, programme_allocation DECIMAL(18,2))")
    con.executemany("INSERT INTO ref_allocations VALUES (?, ?, ?)",
                    [(i, fy, Decimal("1000000.00")) for i in ("nw_icb", "sf_icb") for fy in ("2024-25", "2025-26")])
    for row, (partner, year, service_line, stream, amount, *line_type) in enumerate(lines, start=1):
        period = f"{year}-06"
        con.execute("""INSERT INTO stg_ledger (load_id, partner_id, period, source_file, source_row, cost_centre,
                       amount, funding_stream, service_line, line_type)
                       VALUES ($load, $partner, $period, 'f.csv', $row, 'CC', $amount, $stream, $service_line, $type)""",
                    {"load": f"{partner}.{period}", "partner": partner, "period": period, "row": row,
                     "amount": Decimal(amount), "stream": stream, "service_line": service_line,
                     "type": line_type[0] if line_type else "expenditure"})
    con.execute("""CREATE TABLE dq_load_status AS SELECT DISTINCT load_id, partner_id, period, source_file,
                   'passed' AS status FROM stg_ledger""")
    for model in ("dim_partner", "dim_service_line", "fct_ledger"):
        run_sql(con, f"marts/{model}")
    run_sql(con, "reports/rpt_mhis", params or report_params())
    run_sql(con, "reports/rpt_mhis_categories", params or report_params())


def rows(con, icb_id="nw_icb", fy="2025-26") -> dict[tuple[str, str], Decimal]:
    return {(k, i): a for k, i, a in con.execute(
        "SELECT line_kind, line_id, amount FROM rpt_mhis_categories WHERE icb_id = ? AND fy = ? ORDER BY line_order",
        [icb_id, fy]).fetchall()}


LINES = [
    ("nw_icb", 2025, "camhs", "recurrent", "100.00"),
    ("nw_icb", 2025, "camhs", "sdf", "40.00"),                 # CYP on transformation funding: SDF, not CYP
    ("nw_icb", 2025, "eating_disorders", "s75_pooled", "30.00"),
    ("nw_icb", 2025, "crisis_house", "recurrent", "7.00"),
    ("nw_icb", 2025, "crisis_home_treatment", "recurrent", "3.50"),
    ("nw_icb", 2025, "crisis_house", "non_recurrent", "11.00"),
    ("nw_icb", 2025, "peer_support", "recurrent", "2.00"),     # no category: still MHIS spend, uncategorised
    ("nw_icb", 2025, "ld_autism", "recurrent", "50.00"),
    ("nw_icb", 2025, "ld_autism", "sdf", "5.00"),              # a service-line exclusion comes first
    ("nw_icb", 2025, "adhd_drugs", "recurrent", "20.00"),
    ("nw_icb", 2025, "camhs", "recurrent", "-10.00"),          # a credit note nets off
    ("nw_icb", 2025, "camhs", "recurrent", "-999.00", "income"),   # income is not spend
    ("nw_icb", 2025, "corporate", "recurrent", "1000.00"),     # not mental health
    ("wfmh", 2025, "camhs", "recurrent", "500.00"),            # not the ICB's own ledger
    ("nw_icb", 2024, "camhs", "recurrent", "80.00"),
    ("sf_icb", 2025, "corporate", "recurrent", "5.00"),        # an ICB-year with no mental-health spend
]


def test_each_pound_lands_in_one_category_or_one_exclusion(con):
    build(con, LINES)
    got = rows(con)
    assert got == {
        ("mhis_category", CYP): Decimal("90.00"),
        ("mhis_category", CYP_ED): Decimal("30.00"),
        ("mhis_category", "Adult and older adult crisis and liaison services"): Decimal("10.50"),
        ("mhis_category", "Perinatal mental health (community)"): Decimal("0.00"),
        ("mhis_category", "Uncategorised MHIS service lines"): Decimal("2.00"),
        ("excluded_service_line", "adhd_drugs"): Decimal("20.00"),
        ("excluded_service_line", "ld_autism"): Decimal("55.00"),
        ("excluded_funding_stream", "sdf"): Decimal("40.00"),
        ("excluded_funding_stream", "non_recurrent"): Decimal("11.00"),
        ("excluded_funding_stream", "grant"): Decimal("0.00"),
    }
    # the order the board pack shows: CYP first, then the categories, uncategorised, service lines, streams
    assert list(got)[:2] == [("mhis_category", CYP), ("mhis_category", CYP_ED)]
    assert list(got)[4:] == [("mhis_category", "Uncategorised MHIS service lines"),
                             ("excluded_service_line", "adhd_drugs"), ("excluded_service_line", "ld_autism"),
                             ("excluded_funding_stream", "sdf"), ("excluded_funding_stream", "non_recurrent"),
                             ("excluded_funding_stream", "grant")]
    mhis, mh = con.execute("SELECT mhis_spend, mh_spend FROM rpt_mhis WHERE icb_id = 'nw_icb' AND fy = '2025-26'"
                           ).fetchone()
    assert (mhis, mh) == (Decimal("132.50"), Decimal("258.50"))
    assert sum(v for (k, _), v in got.items() if k == "mhis_category") == mhis
    assert sum(got.values()) == mh
    cyp = con.execute("SELECT sum(cyp_amount), count(cyp_amount) FROM rpt_mhis_categories "
                      "WHERE icb_id = 'nw_icb' AND fy = '2025-26'").fetchone()
    assert cyp == (Decimal("120.00"), 2)
    # an ICB with nothing booked still shows every category and exclusion, at zero
    assert set(rows(con, "sf_icb")) == set(got) and set(rows(con, "sf_icb").values()) == {Decimal("0.00")}
    assert rows(con, fy="2024-25")[("mhis_category", CYP)] == Decimal("80.00")


def test_each_row_states_its_definition_and_the_lines_behind_it(con):
    build(con, LINES)
    got = {r[0]: r[1:] for r in con.execute(
        """SELECT line_id, part, cyp, service_lines, funding_streams, exclusion_reason, definition
           FROM rpt_mhis_categories WHERE icb_id = 'nw_icb' AND fy = '2025-26'""").fetchall()}
    part, cyp, service_lines, streams, reason, definition = got["Adult and older adult crisis and liaison services"]
    assert (part, cyp, service_lines, streams, reason) == (
        "MHIS spend", False, ["crisis_home_treatment", "crisis_house"], ["recurrent", "s75_pooled"], None)
    assert definition == ("Gross ICB spend on crisis Home Treatment, crisis House; recurrent and section 75 "
                          "pooled funds")
    part, cyp, service_lines, streams, reason, definition = got["ld_autism"]
    assert (part, service_lines, streams) == ("Outside the MHIS", ["ld_autism"], None)
    assert reason == "LD and autism without a co-occurring MH need"
    assert definition == "Gross ICB spend on ld Autism, any fund. Excluded: " + reason
    part, cyp, service_lines, streams, reason, definition = got["sdf"]
    assert streams == ["sdf"] and "camhs" in service_lines and "ld_autism" not in service_lines
    assert "Service Development Funding" in reason
    assert definition == "Gross ICB spend on MHIS service lines from transformation funding (SDF). Excluded: " + reason


def test_the_exclusions_are_configuration(con):
    """Moving non-recurrent money into the base (a deployment's choice) moves it into its category."""
    params = report_params()
    params["mhis_funding_streams"] = params["mhis_funding_streams"] + ["non_recurrent"]
    params["mhis_excluded_funding_streams"] = [e for e in params["mhis_excluded_funding_streams"]
                                              if e["funding_stream"] != "non_recurrent"]
    params["mhis_cyp_categories"] = [CYP]
    build(con, LINES, params)
    got = rows(con)
    assert ("excluded_funding_stream", "non_recurrent") not in got
    assert got[("mhis_category", "Adult and older adult crisis and liaison services")] == Decimal("21.50")
    assert con.execute("SELECT mhis_spend FROM rpt_mhis WHERE icb_id = 'nw_icb' AND fy = '2025-26'"
                       ).fetchone() == (Decimal("143.50"),)
    assert con.execute("SELECT sum(cyp_amount) FROM rpt_mhis_categories WHERE icb_id = 'nw_icb' AND fy = '2025-26'"
                       ).fetchone() == (Decimal("90.00"),)


@pytest.mark.parametrize("change, message", [
    ({"mhis_funding_streams": ["recurrent", "s75_pooled", "sdf"]}, "named twice: ['sdf']"),
    ({"mhis_funding_streams": ["recurrent"]}, "missing: ['s75_pooled']"),
    ({"mhis_funding_streams": ["recurrent", "s75_pooled", "lottery"]}, "unknown: ['lottery']"),
])
def test_a_funding_stream_must_be_inside_the_base_or_excluded_once(tmp_path, change, message):
    settings = {**yaml.safe_load(SETTINGS.read_text(encoding="utf-8")), **change}
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    with pytest.raises(ValueError, match="mhis_funding_streams") as error:
        report_params(path)
    assert message in str(error.value) and str(path) in str(error.value)


def test_an_exclusion_without_a_reason_is_refused(tmp_path):
    settings = yaml.safe_load(SETTINGS.read_text(encoding="utf-8"))
    settings["mhis_excluded_funding_streams"][0]["reason"] = " "
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    with pytest.raises(ValueError, match="needs a label and a reason"):
        report_params(path)


# ---------------------------------------------------------------------------
# The demo, against the truth manifest
def _money(text: str) -> Decimal:
    return Decimal(text)


def test_demo_mhis_by_category_and_exclusions_match_the_planted_truth(demo_db, truth):
    expected = truth["mhis_categories"]
    assert {(e["icb_id"], e["fy"]) for e in expected} == {("nw_icb", "2024-25"), ("nw_icb", "2025-26"),
                                                          ("sf_icb", "2024-25"), ("sf_icb", "2025-26")}
    for e in expected:
        got = rows(demo_db, e["icb_id"], e["fy"])
        want = {("mhis_category", c): _money(v) for c, v in e["categories"].items()}
        want |= {("excluded_service_line", s): _money(v) for s, v in e["excluded_service_lines"].items()}
        want |= {("excluded_funding_stream", s): _money(v) for s, v in e["excluded_funding_streams"].items()}
        assert {k: v for k, v in got.items() if v != 0 or k in want} == want, (e["icb_id"], e["fy"])
        assert sum(v for (k, _), v in got.items() if k == "mhis_category") == _money(e["mhis_spend"])
        assert sum(got.values()) == _money(e["mh_spend"])
        (cyp,) = demo_db.execute("SELECT sum(cyp_amount) FROM rpt_mhis_categories WHERE icb_id = ? AND fy = ?",
                                 [e["icb_id"], e["fy"]]).fetchone()
        assert cyp == _money(e["cyp_spend"]) and cyp > 0
        # and the same totals as the MHIS table the board pack shows beside it
        assert demo_db.execute("SELECT mhis_spend, mh_spend FROM rpt_mhis WHERE icb_id = ? AND fy = ?",
                               [e["icb_id"], e["fy"]]).fetchone() == (_money(e["mhis_spend"]), _money(e["mh_spend"]))


def test_demo_every_exclusion_takes_money_out_and_the_headline_mhis_is_unchanged(truth):
    """The demo books learning disability and autism, ADHD, SDF and non-recurrent money in both ICBs'
    ledgers, so every stated exclusion is seen at work; the MHIS spend itself is the planted fact's."""
    for e in truth["mhis_categories"]:
        assert _money(e["excluded_service_lines"]["ld_autism"]) > 0
        assert _money(e["excluded_service_lines"]["adhd_drugs"]) > 0
        assert _money(e["excluded_funding_streams"]["sdf"]) > 0
        assert _money(e["excluded_funding_streams"]["non_recurrent"]) > 0
        if e["fy"] == truth["facts"]["mhis"]["fy"]:
            assert e["mhis_spend"] == truth["facts"]["mhis"][e["icb_id"]]["mhis_spend"]
