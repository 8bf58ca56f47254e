"""Extreme but valid values through every mart and rpt_ model: a £1 contract paid £900m, a
£900m ledger line and a 1p one, a place of one person, a zero allocation history, months
whose spend nets to zero, and an empty contracts register. Nothing may crash, and the totals
must stay exact to the penny (expected figures are hand sums of the lines below)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from assets.ingest.reference_integrity import load_reference
from assets.ingest.reference_sources import REFERENCE_TABLES
from warehouse.measures import build_variation
from warehouse.report_settings import report_params
from workbench.flags import DecisionsFile, build_register
from warehouse.model_graph import build_order
from warehouse.sql_files import run_sql

D = Decimal
REFERENCE = {
    "partners": """partner_id,name,kind,ics_id,submits
nw_icb,North Weald ICB,icb,north_weald,true
wfmh,Weald and Fen MH Trust,nhs_trust,north_weald,true
fsc_lp,Fenland Secure Care,lead_provider,north_weald,true
haven,Haven Crisis Houses,vcse,,true
oakridge,Oakridge Hospital,independent,north_weald,false
""",
    "places": "place_id,place_name,ics_id,ics_name\nashby,Ashby,north_weald,North Weald ICS\n"
              "tiny,Tiny Isle,north_weald,North Weald ICS\n",
    # a place of one person, with a need index and without
    "populations": "fy,place_id,weighted_population,mh_need_index\n2025-26,ashby,241800,0.9700\n"
                   "2025-26,tiny,1,1.0000\n2024-25,ashby,240000,0.9700\n2024-25,tiny,1,1.0000\n",
    "service_lines": """service_line,name,mhis_category,in_mhis,exclusion_reason,mental_health
crisis_house,Crisis houses,Crisis,true,,true
crisis_home_treatment,Crisis resolution and home treatment,Crisis,true,,true
camhs,Children and young people's mental health,CYP,true,,true
eating_disorders,Eating disorders,CYP eating disorders,true,,true
inpatient_acute,Acute inpatient,Inpatient,true,,true
secure_care,Secure care,Secure,true,,true
ld_autism,Learning disability and autism,LD,false,LD and autism,false
corporate,Corporate,,false,,false
""",
    "cost_centre_map": "partner_id,cost_centre,cost_centre_name,service_line,place_id,funding_stream,line_type,scheme_id\n"
                       "wfmh,CC1,Crisis,crisis_house,ashby,recurrent,expenditure,\n",
    "partner_aliases": "alias,partner_id\nWFMH,wfmh\n",
    "contracts": """contract_id,commissioner_id,provider_id,parent_contract_id,service_line,contract_type,annual_value,start_date,end_date,funding_stream,place_id,capacity,capacity_unit
ONE-POUND,nw_icb,haven,,crisis_house,grant,1.00,2025-04-01,2026-03-31,grant,,1,beds
BIG,nw_icb,wfmh,,,block,900000000.00,2025-04-01,2026-03-31,recurrent,,,
LP,nw_icb,fsc_lp,,secure_care,block,12.00,2025-04-01,2026-03-31,recurrent,,,
SUB,fsc_lp,oakridge,LP,secure_care,cost_and_volume,0.01,2025-04-01,2026-03-31,recurrent,,1,beds
""",
    "investment_plans": "icb_id,scheme_id,scheme_name,service_line,period,planned_amount,recurrence\n"
                        "nw_icb,S1,Crisis,crisis_house,2025-04,0.01,recurrent\n"
                        "nw_icb,S1,Crisis,crisis_house,2025-05,900000000.00,recurrent\n",
    "allocations": "icb_id,fy,programme_allocation\nnw_icb,2024-25,0.01\nnw_icb,2025-26,999999999999.99\n",
    "mapping_rules": "partner_id,priority,field,match,pattern,service_line,place_id,line_type,funding_stream,scheme_id\n",
    # the lead provider's payment of 999,999,999.99 to oakridge is agency spend against a one-penny limit
    "agency_caps": "partner_id,fy,annual_cap,basis\nfsc_lp,2025-26,0.01,a penny\nwfmh,2025-26,999999999999.99,huge\n",
    "agency_suppliers": "name,note\nOAKRIDGE,x\n",
    "lp_activity": "period,provider_id,occupied_bed_days,out_of_area_placements\n2025-04,oakridge,0,0\n"
                   "2025-05,oakridge,1,0\n",
    "budgets": "partner_id,fy,service_line,annual_budget\nwfmh,2025-26,crisis_house,999999999999.99\n"
               "haven,2025-26,crisis_house,0.00\n",
    # wfmh's trillion phased all but entirely into April: the largest and smallest weights the file takes
    "budget_phasing": "partner_id,service_line,fy,fy_month,weight\nwfmh,crisis_house,2025-26,1,999999999999.999999\n"
                      + "".join(f"wfmh,crisis_house,2025-26,{m},0.000001\n" for m in range(2, 13)),
    # a provider alliance of two: a trust serving one person with no occupied bed days (dropped from the
    # bed-day measure: no denominator) and a billion pounds of inpatient spend; one serving a billion people
    "alliance_providers": ("alliance_id,alliance_name,provider_id,provider_name,ics_id,submits\n"
                           "a,A,t1,Trust one,north_weald,false\na,A,t2,Trust two,south_fen,false\n"),
    "alliance_populations": "fy,provider_id,weighted_population_served\n2025-26,t1,1\n2025-26,t2,999999999\n",
    "alliance_activity": ("period,provider_id,occupied_bed_days,community_contacts,out_of_area_placements\n"
                          "2025-04,t1,0,5,3\n2025-04,t2,100,0,0\n"),
    "alliance_finance": ("period,provider_id,service_line,service_hours,spend\n"
                         "2025-04,t1,inpatient_acute,inpatient,999999999.99\n2025-04,t2,adult_community,weekday,0.01\n"),
}

# (partner, period, amount, service line, line type, funding stream, counterparty, place)
LINES = [
    ("nw_icb", "2025-04", "900000000.00", "crisis_house", "expenditure", "grant", "haven", "ashby"),
    ("nw_icb", "2025-04", "0.01", "crisis_house", "expenditure", "recurrent", None, "tiny"),
    ("nw_icb", "2025-05", "899999999.99", "inpatient_acute", "expenditure", "recurrent", "wfmh", "ashby"),
    ("nw_icb", "2025-05", "-899999999.99", "inpatient_acute", "expenditure", "recurrent", "wfmh", "ashby"),  # nets to 0
    ("wfmh", "2025-04", "-900000000.00", "crisis_house", "income", "recurrent", "nw_icb", "ashby"),
    ("wfmh", "2025-05", "0.00", "crisis_house", "expenditure", "recurrent", None, "ashby"),  # a zero month
    ("haven", "2025-04", "-900000000.00", "crisis_house", "income", "grant", "nw_icb", None),
    ("haven", "2025-04", "1.00", "crisis_house", "expenditure", "grant", None, "tiny"),
    ("fsc_lp", "2025-04", "0.01", "secure_care", "expenditure", "recurrent", "oakridge", None),
    ("fsc_lp", "2025-05", "999999999.99", "secure_care", "expenditure", "recurrent", "oakridge", None),
    ("nw_icb", "2024-04", "0.01", "crisis_house", "expenditure", "recurrent", None, "ashby"),  # last year's base
    ("nw_icb", "2025-04", "5.00", "ld_autism", "expenditure", "recurrent", None, "ashby"),
]


def build(con, folder: Path, reference: dict[str, str]) -> None:
    """Reference through the real loader, passed submissions holding LINES, then every model."""
    folder.mkdir()
    for name in REFERENCE_TABLES:
        (folder / f"{name}.csv").write_text(reference[name], encoding="utf-8")
        load_reference(con, folder, name, folder / "no-inbox")
    now = dt.datetime(2026, 6, 1)
    for partner, period in sorted({(p, m) for p, m, *_ in LINES}):
        load_id = f"{partner}.{period}"
        con.execute("""INSERT INTO load_log (load_id, partner_id, period, source_file, sha256, status, loaded_at)
                       VALUES ($l, $p, $m, 'f.csv', 'x', 'current', $t)""", {"l": load_id, "p": partner, "m": period, "t": now})
        con.execute("""INSERT INTO dq_results (partner_id, period, load_id, suite, expectation, severity, passed, checked_at)
                       VALUES ($p, $m, $l, 'stg_ledger', 'e', 'ERROR', true, $t)""",
                    {"l": load_id, "p": partner, "m": period, "t": now})
    for row, (partner, period, amount, service_line, line_type, stream, counterparty, place) in enumerate(LINES, 2):
        con.execute("""INSERT INTO stg_ledger (load_id, partner_id, period, source_file, source_row, posting_date,
                       counterparty, counterparty_partner_id, amount, funding_stream, service_line, place_id, line_type)
                       VALUES ($l, $p, $m, 'f.csv', $r, $d, $c, $c, $a, $s, $sl, $pl, $lt)""",
                    {"l": f"{partner}.{period}", "p": partner, "m": period, "r": row, "d": dt.date.fromisoformat(period + "-15"),
                     "c": counterparty, "a": D(amount), "s": stream, "sl": service_line, "pl": place, "lt": line_type})
    params = report_params()
    for model in build_order():  # every mart and rpt_ model, in the order the SQL implies
        if model.name == "rpt_variation":
            build_variation(con)
        elif model.name not in ("rpt_flag_decisions", "rpt_flag_register"):  # built by build_register
            run_sql(con, model.sql_name, params)
    build_register(con, DecisionsFile(), dt.date(2026, 6, 1))


@pytest.fixture
def built(con, tmp_path):
    build(con, tmp_path / "reference", REFERENCE)
    return con


def _one(con, sql: str, params: dict | None = None):
    return con.execute(sql, params or {}).fetchone()


def test_every_model_builds_and_the_ledger_total_is_exact(built):
    for model in build_order():
        assert _one(built, f'SELECT count(*) FROM "{model.name}"')[0] >= 0
    # hand sum of LINES: 900000000.00 - 900000000.00 - 900000000.00 + 999999999.99 = 99999999.99, the
    # inpatient pair nets to 0, the zero month is 0, and 0.01 + 1.00 + 0.01 + 0.01 + 5.00 = 6.03
    assert _one(built, "SELECT sum(amount), count(*) FROM fct_ledger") == (D("100000006.02"), len(LINES))


def test_mental_health_totals_are_exact(built):
    # expenditure on MH service lines: 900000000.00 + 0.01 + 0 (the pair) + 0.00 + 1.00 + 0.01 + 999999999.99 + 0.01
    assert _one(built, "SELECT sum(amount) FROM fct_mh_ledger WHERE line_type = 'expenditure'") == (
        D("1900000001.02"),)
    gross, eliminated, net = _one(built, """SELECT sum(gross_spend), sum(eliminated_spend), sum(net_spend)
                                           FROM rpt_open_book""")
    assert gross - eliminated == net
    assert gross == D("1900000001.02")  # every period's MH expenditure


def test_a_one_pound_contract_paid_900m_reports_its_utilisation(built):
    paid, pct, overrun = _one(built, "SELECT paid_to_date, utilisation_pct, overrun FROM rpt_contracts "
                                     "WHERE contract_id = 'ONE-POUND'")
    assert (paid, pct, overrun) == (D("900000000.00"), D("90000000000.00"), D("899999999.00"))


def test_mhis_with_a_penny_allocation_last_year_does_not_crash(built):
    row = built.execute("SELECT mhis_spend, prior_year_spend, allocation_growth_pct, mhis_share_of_allocation_pct "
                        "FROM rpt_mhis WHERE icb_id = 'nw_icb' AND fy = '2025-26'").fetchone()
    # in MHIS: recurrent or s75 expenditure on in_mhis lines: 0.01 (tiny) + 0 (the inpatient pair); the grant
    # line is outside the base, LD is not in MHIS
    assert row[0] == D("0.01") and row[1] == D("0.01")
    # (999999999999.99 / 0.01 - 1) x 100 = 9999999999999800; the ratio is taken in DOUBLE, so its
    # last digits are float noise: the point is that it fits, where DECIMAL(9,4) crashed the model
    assert abs(row[2] - D("9999999999999800")) < 1
    assert row[3] == D("0.0000")


def test_a_one_person_place_gets_a_rate_per_head(built):
    rate = _one(built, "SELECT rate FROM rpt_variation WHERE measure_id = 'mh_spend_per_head' AND unit_id = 'tiny' "
                       "AND fy = '2025-26'")
    assert rate is not None and rate[0] > 0


def test_an_empty_contracts_register_builds_empty_contract_reports(con, tmp_path):
    reference = {**REFERENCE, "contracts": REFERENCE["contracts"].splitlines()[0] + "\n"}
    build(con, tmp_path / "reference", reference)
    for model in ("rpt_contracts", "rpt_contract_mix", "rpt_funding_consistency"):
        assert _one(con, f"SELECT count(*) FROM {model}") == (0,), model
    assert _one(con, "SELECT sum(amount) FROM fct_ledger") == (D("100000006.02"),)


def test_zero_populations_and_allocations_give_empty_ratios_not_errors(con, tmp_path):
    """Models never divide by zero even on data the reference checks would refuse (they may
    run on an older warehouse): tables are written straight, not through the loader."""
    build(con, tmp_path / "reference", REFERENCE)
    con.execute("UPDATE ref_allocations SET programme_allocation = 0")
    con.execute("UPDATE ref_populations SET weighted_population = 0, mh_weighted_population = 0")
    for name in ("dim_place",):
        run_sql(con, f"marts/{name}")
    run_sql(con, "reports/rpt_mhis", report_params())
    build_variation(con)
    assert _one(con, "SELECT count(*) FROM rpt_mhis WHERE mhis_share_of_allocation_pct IS NOT NULL") == (0,)
    assert _one(con, "SELECT count(*) FROM rpt_variation WHERE unit_id = 'tiny'") == (0,)


def test_budgets_of_zero_and_of_a_trillion_pounds(built):
    # haven: £1.00 spent in April against a zero budget is red with no percentage; wfmh: £0.01 of spend
    # in its own line against a budget of £999,999,999,999.99 is rated amber (forecast all but unspent).
    # wfmh's profile puts 999,999,999,999.999999 of 1,000,000,000,000.000010 of weight in April: every
    # other month's share is under a penny (0), so April holds the whole budget
    zero = _one(built, "SELECT rag, forecast_variance_pct, budget_ytd FROM rpt_mh_budget "
                       "WHERE partner_id = 'haven' AND period = '2025-04'")
    assert zero == ("red", None, Decimal("0.00"))
    big = _one(built, "SELECT budget_ytd, rag FROM rpt_mh_budget WHERE partner_id = 'wfmh' AND period = '2025-04'")
    assert big == (Decimal("999999999999.99"), "amber")
