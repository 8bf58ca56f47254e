"""A tiny hand-written warehouse for the report builders.

Figures (period 2025-06 is month 3 of FY 2025-26; the expected totals are worked out
by hand in EXPECTED below, not by the code under test):

north_weald  nw_icb  icb        crisis           2025-04 100000.00  2025-05 110000.00  2025-06 120000.50
             wfmh    nhs_trust  adult_community                     2025-05 200000.00  2025-06 250000.25
             wfmh    nhs_trust  inpatient                                              2025-06  -5000.75 (credit)
             evil    vcse       peer_support                                           2025-06   1234.56
             inj     vcse       peer_support                                           2025-06    999.99
             youth   vcse       cyp_community                                          2025-06    765.45
south_fen    sf_icb  icb        crisis  2025-03 70000.00 (last FY)  2025-05  75000.00  2025-06  80000.00
                                                                    2025-07 99999.99 (after the report month)
             at      local_auth. crisis          2025-04    250.00                     2025-06    500.00

The analytics tables (rpt_open_book, rpt_eliminations, rpt_plan_vs_actual, rpt_system_position,
rpt_mhis, rpt_mhis_categories, rpt_variation, rpt_funding_consistency, rpt_sector_share, rpt_contracts,
rpt_contract_mix, rpt_lead_provider, rpt_lead_provider_subcontractors) have a few rows each, with
one planted finding per flag (a May mismatch, a slipping scheme, an ICB forecast to miss the MHIS,
an outlier place, a crisis house funded unlike the others, an over-run and an under-run), and the
fct_ledger / fct_mh_ledger lines behind each flag for the drill-down pages; ANALYTICS_EXPECTED
holds the figures worked out by hand.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

HOSTILE = "<script>alert(1)</script>"
HYPERLINK = '=HYPERLINK("http://x","y")'
AT_SUM = "@SUM(A1)"
APOSTROPHE = "Young People's Space & Co"
# file names cannot hold "/", so the hostile file names differ from the partner names
HOSTILE_FILE = "<img src=x onerror=alert(1)> & ledger.xlsx"
INJECT_FILE = "=1+2 ledger.xlsx"
PERIOD = "2025-06"

PARTNERS = {
    # partner_id: (name, kind, ics)
    "nw_icb": ("NHS North Weald Integrated Care Board", "icb", "north_weald"),
    "wfmh": ("Weald and Fen Mental Health NHS Foundation Trust", "nhs_trust", "north_weald"),
    "evil": (HOSTILE, "vcse", "north_weald"),
    "inj": (HYPERLINK, "vcse", "north_weald"),
    "youth": (APOSTROPHE, "vcse", "north_weald"),
    "sf_icb": ("NHS South Fen Integrated Care Board", "icb", "south_fen"),
    "at": (AT_SUM, "local_authority", "south_fen"),
}

SPEND = [
    # partner, service_line, funding_stream, period, spend
    ("nw_icb", "crisis", "recurrent", "2025-04", "100000.00"),
    ("nw_icb", "crisis", "recurrent", "2025-05", "110000.00"),
    ("nw_icb", "crisis", "recurrent", "2025-06", "120000.50"),
    ("wfmh", "adult_community", "recurrent", "2025-05", "200000.00"),
    ("wfmh", "adult_community", "recurrent", "2025-06", "250000.25"),
    ("wfmh", "inpatient", "recurrent", "2025-06", "-5000.75"),
    ("evil", "peer_support", "grant", "2025-06", "1234.56"),
    ("inj", "peer_support", "grant", "2025-06", "999.99"),
    ("youth", "cyp_community", "grant", "2025-06", "765.45"),
    ("sf_icb", "crisis", "recurrent", "2025-03", "70000.00"),
    ("sf_icb", "crisis", "recurrent", "2025-05", "75000.00"),
    ("sf_icb", "crisis", "recurrent", "2025-06", "80000.00"),
    ("sf_icb", "crisis", "recurrent", "2025-07", "99999.99"),
    ("at", "crisis", "s75_pooled", "2025-04", "250.00"),
    ("at", "crisis", "s75_pooled", "2025-06", "500.00"),
]

# The reference's display names (dim_service_line.service_line_name) of the codes above.
SERVICE_LINE_NAMES = {
    "crisis": "Crisis resolution and home treatment",
    "adult_community": "Adult community mental health services",
    "inpatient": "Adult acute and rehabilitation inpatient care",
    "peer_support": "Peer support",
    "cyp_community": "Children and young people's mental health",
}

# Hand-computed from the table above.
EXPECTED = {
    "north_weald": {"month": Decimal("368000.00"), "prev": Decimal("310000.00"),
                    "ytd": Decimal("778000.00")},
    "south_fen": {"month": Decimal("80500.00"), "prev": Decimal("75000.00"),
                  "ytd": Decimal("155750.00")},
    "total": {"month": Decimal("448500.00"), "prev": Decimal("385000.00"),
              "ytd": Decimal("933750.00")},
    # by partner kind, this month / FY to date
    "icb": {"month": Decimal("200000.50"), "ytd": Decimal("485000.50")},
    "nhs_trust": {"month": Decimal("244999.50"), "ytd": Decimal("444999.50")},
    "local_authority": {"month": Decimal("500.00"), "ytd": Decimal("750.00")},
    "vcse": {"month": Decimal("3000.00"), "ytd": Decimal("3000.00")},
}

T0 = dt.datetime(2025, 7, 8, 9, 30)
LOADS = [
    # load_id, partner, period, source_file, rows_read, loaded, quarantined, status, loaded_at, dq, errs, warns
    ("L1", "nw_icb", "2025-06", "inbox/nw_icb/NHS North Weald ICB spend over 25k - June 2025.csv",
     40, 40, 0, "current", T0, "passed", 0, 0),
    ("L2", "wfmh", "2025-06", "inbox/wfmh/WFMH GL export 2025-06.xlsx", 310, 305, 5, "current",
     T0 + dt.timedelta(hours=1), "passed", 0, 2),
    ("L3", "evil", "2025-06", f"inbox/evil/{HOSTILE_FILE}", 12, 12, 0, "current",
     T0 + dt.timedelta(hours=2), "passed", 0, 0),
    ("L4", "inj", "2025-06", f"inbox/inj/{INJECT_FILE}", 9, 9, 0, "current",
     T0 + dt.timedelta(hours=3), "passed", 0, 0),
    ("L5", "at", "2025-06", "inbox/at/Spend_over_500_2025-06.csv", 30, 28, 2, "current",
     T0 + dt.timedelta(hours=4), "blocked", 1, 0),
    ("L6", "at", "2025-06", "inbox/at/Spend_over_500_2025-06_v0.csv", 30, 0, 0, "superseded",
     T0 - dt.timedelta(days=1), None, None, None),
    ("L7", "nw_icb", "2025-05", "inbox/nw_icb/NHS North Weald ICB spend over 25k - May 2025.csv",
     38, 38, 0, "current", T0 - dt.timedelta(days=30), "passed", 0, 0),
    ("L8", "sf_icb", "2025-05", "inbox/sf_icb/NHS South Fen ICB spend over 25k - May 2025.csv",
     20, 20, 0, "current", T0 - dt.timedelta(days=29), "passed", 0, 0),
    ("L9", "wfmh", "2025-07", "inbox/wfmh/WFMH GL export 2025-07.xlsx", 300, 300, 0, "current",
     T0 + dt.timedelta(days=30), "passed", 0, 0),
]
# sf_icb has spend for 2025-06 but no June load in load_log: it is "not received".
COVERAGE = {"nw_icb": 25000, "sf_icb": 25000, "wfmh": 0}   # smallest payment each file lists; others not stated


def make_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE TABLE rpt_mh_spend (ics_id VARCHAR, partner_id VARCHAR, partner_name VARCHAR,
            partner_kind VARCHAR, service_line VARCHAR, service_line_name VARCHAR, funding_stream VARCHAR,
            period VARCHAR, fy VARCHAR, fy_month INTEGER, spend DECIMAL(38,2), ledger_lines BIGINT,
            ytd_spend DECIMAL(38,2))""")
    for pid, sl, fs, period, spend in SPEND:
        name, kind, ics = PARTNERS[pid]
        y, m = int(period[:4]), int(period[5:])
        start = y if m >= 4 else y - 1
        fy = f"{start}-{(start + 1) % 100:02d}"
        con.execute("INSERT INTO rpt_mh_spend VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL)",
                    [ics, pid, name, kind, sl, SERVICE_LINE_NAMES[sl], fs, period, fy, (m - 4) % 12 + 1, Decimal(spend), 3])
    con.execute("""UPDATE rpt_mh_spend r SET ytd_spend = (SELECT sum(spend) FROM rpt_mh_spend q
        WHERE q.ics_id = r.ics_id AND q.partner_id = r.partner_id AND q.service_line = r.service_line
        AND q.funding_stream = r.funding_stream AND q.fy = r.fy AND q.period <= r.period)""")
    con.execute("""
        CREATE TABLE load_log (load_id VARCHAR PRIMARY KEY, partner_id VARCHAR, period VARCHAR,
            source_file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, file_bytes BIGINT,
            file_modified_at TIMESTAMP, rows_read BIGINT, rows_loaded BIGINT,
            rows_quarantined BIGINT, rows_skipped BIGINT, status VARCHAR NOT NULL,
            message VARCHAR, loaded_at TIMESTAMP NOT NULL, run_id VARCHAR)""")
    con.execute("""
        CREATE TABLE dq_load_status (load_id VARCHAR, partner_id VARCHAR, period VARCHAR,
            source_file VARCHAR, status VARCHAR, error_failures BIGINT, warnings BIGINT)""")
    con.execute("CREATE TABLE load_configs (load_id VARCHAR PRIMARY KEY, config_sha256 VARCHAR NOT NULL,"
                " coverage_threshold BIGINT)")
    for (lid, pid, period, src, r_read, r_loaded, r_q, status, at, dq, errs, warns) in LOADS:
        con.execute("INSERT INTO load_log VALUES (?,?,?,?,'x',1,NULL,?,?,?,0,?,NULL,?,'r1')",
                    [lid, pid, period, src, r_read, r_loaded, r_q, status, at])
        con.execute("INSERT INTO load_configs VALUES (?, 'c', ?)", [lid, COVERAGE.get(pid)])
        if status == "current":
            con.execute("INSERT INTO dq_load_status VALUES (?,?,?,?,?,?,?)",
                        [lid, pid, period, src, dq, errs, warns])
    make_quality_tables(con)
    make_analytics_tables(con)


# Data-quality figures for the report period (hand-written; see tests of the DQ sheets).
DQ_SUBMISSIONS = [  # partner_id, period, file, read, loaded, quarantined, skipped, failed, warnings, status
    ("nw_icb", "2025-06", "=HYPERLINK(\"http://x\",\"y\").csv", 40, 38, 2, 0, 0, 1, "Accepted with warnings"),
    ("wfmh", "2025-06", "WFMH GL export 2025-06.xlsx", 300, 299, 0, 1, 1, 0, "Blocked: not in the figures"),
]
DQ_QUARANTINE = [  # partner_id, period, reason_code, reason, rows, example
    ("nw_icb", "2025-06", "BAD_AMOUNT", "The amount is not a number", 2, "x.csv row 7, field amount: \"1O\" is not an amount"),
    ("nw_icb", "2025-05", "BAD_DATE", "The date does not exist", 1, "x.csv row 3, field posting_date: \"31/02/2025\""),
]
DQ_CHECKS = [  # partner_id, period, check_description, severity, failing_rows, sample
    ("wfmh", "2025-06", "Every posting date is inside the submitted month", "ERROR", 2,
     '[{"posting_date": "2025-07-02", "amount": "1250.50"}, {"posting_date": "2025-07-03", "amount": "-20"}]'),
]


def make_quality_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE TABLE rpt_dq_submissions (ics_id VARCHAR, partner_id VARCHAR, partner_name VARCHAR,
        period VARCHAR, fy VARCHAR, source_file VARCHAR, loaded_at TIMESTAMP, rows_read BIGINT, rows_loaded BIGINT,
        rows_quarantined BIGINT, rows_skipped BIGINT, checks_failed BIGINT, warnings BIGINT, status VARCHAR)""")
    for pid, period, src, r_read, r_loaded, r_q, r_s, failed, warns, status in DQ_SUBMISSIONS:
        name, _, ics = PARTNERS[pid]
        con.execute("INSERT INTO rpt_dq_submissions VALUES (?,?,?,?,'2025-26',?,?,?,?,?,?,?,?,?)",
                    [ics, pid, name, period, src, T0, r_read, r_loaded, r_q, r_s, failed, warns, status])
    con.execute("""CREATE TABLE rpt_dq_quarantine (ics_id VARCHAR, partner_id VARCHAR, partner_name VARCHAR,
        period VARCHAR, fy VARCHAR, reason_code VARCHAR, reason VARCHAR, rows BIGINT, example VARCHAR)""")
    for pid, period, code, reason, rows, example in DQ_QUARANTINE:
        name, _, ics = PARTNERS[pid]
        con.execute("INSERT INTO rpt_dq_quarantine VALUES (?,?,?,?,'2025-26',?,?,?,?)",
                    [ics, pid, name, period, code, reason, rows, example])
    con.execute("""CREATE TABLE rpt_dq_checks (ics_id VARCHAR, partner_id VARCHAR, partner_name VARCHAR,
        period VARCHAR, fy VARCHAR, check_description VARCHAR, severity VARCHAR, failing_rows BIGINT,
        sample VARCHAR)""")
    for pid, period, desc, severity, rows, sample in DQ_CHECKS:
        name, _, ics = PARTNERS[pid]
        con.execute("INSERT INTO rpt_dq_checks VALUES (?,?,?,?,'2025-26',?,?,?,?)",
                    [ics, pid, name, period, desc, severity, rows, sample])


# ---------------------------------------------------------------------------
# The analytics rpt tables (open book, eliminations, plans, MHIS, variation, funding, sectors,
# contracts, lead provider) and the fct_ ledger lines behind their flags. Hand-written; the
# figures each sheet must show are worked out by hand in ANALYTICS_EXPECTED.
SCHEME_INJECTION = "=cmd|' /C calc'!A0"        # a scheme name that tries to be a formula
HAVEN = "Haven Crisis Houses"
LEAD_PROVIDER = "Fen Secure Care Provider Collaborative"


def _fy(period: str) -> str:
    y, m = int(period[:4]), int(period[5:])
    start = y if m >= 4 else y - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _fy_month(period: str) -> int:
    return (int(period[5:]) - 4) % 12 + 1


D = Decimal
OPEN_BOOK = [
    # partner, place, service line, stream, period, gross, eliminated
    ("nw_icb", None, "crisis", "recurrent", "2025-04", "100000.00", "60000.00"),
    ("nw_icb", None, "crisis", "recurrent", "2025-05", "110000.00", "60000.00"),
    ("nw_icb", None, "crisis", "recurrent", "2025-06", "120000.50", "60000.00"),
    ("wfmh", "ashby", "adult_community", "recurrent", "2025-05", "200000.00", "0.00"),
    ("wfmh", "ashby", "adult_community", "recurrent", "2025-06", "250000.25", "0.00"),
    ("inj", "ashby", "peer_support", "grant", "2025-06", "999.99", "0.00"),
    ("sf_icb", None, "crisis", "recurrent", "2025-05", "75000.00", "0.00"),
    ("sf_icb", None, "crisis", "recurrent", "2025-06", "80000.00", "30000.00"),
    ("at", "dunmere", "crisis", "s75_pooled", "2025-04", "250.00", "0.00"),
    ("at", "dunmere", "crisis", "s75_pooled", "2025-06", "500.00", "0.00"),
]

ELIMINATIONS = [  # payer, payee, period, payer booked, payee booked
    ("nw_icb", "wfmh", "2025-04", "60000.00", "60000.00"),
    ("nw_icb", "wfmh", "2025-05", "60000.00", "50000.00"),      # mismatched: 10,000 > 2,500
    ("nw_icb", "wfmh", "2025-06", "60000.00", "60000.00"),
    ("sf_icb", "at", "2025-06", "30000.00", "29000.00"),        # 1,000: within the threshold
]

PLANS = [  # icb, scheme_id, scheme name, service line, ics, monthly plan, actual Apr, May, Jun
    ("nw_icb", "NW-S1", "Crisis café", "crisis", "north_weald", "10000.00", ("9000.00", "9500.00", "10000.00")),
    ("sf_icb", "SF-S1", SCHEME_INJECTION, "crisis", "south_fen", "20000.00", ("0.00", "5000.00", "10000.00")),
]

MHIS = [  # icb, ics, months, mhis spend, prior year, growth %, required, forecast, mh spend, allocation
    ("nw_icb", "north_weald", 3, "300000.00", "1000000.00", "5.0000", "1050000.00", "1200000.00", "330000.00",
     "20000000.00"),
    ("sf_icb", "south_fen", 3, "200000.00", "1000000.00", "4.0000", "1040000.00", "800000.00", "210000.00",
     "10000000.00"),
]

_BASE = ["recurrent", "s75_pooled"]
MHIS_CATEGORIES = {  # icb: (line kind, line, service lines, funding streams, amount); add up to MHIS above
    "nw_icb": [("mhis_category", "Children and young people's mental health", ["cyp_community"], _BASE, "100000.00"),
               ("mhis_category", "Adult crisis", ["crisis"], _BASE, "200000.00"),
               ("excluded_service_line", "ld_autism", ["ld_autism"], None, "20000.00"),
               ("excluded_funding_stream", "sdf", ["crisis", "cyp_community"], ["sdf"], "10000.00")],
    "sf_icb": [("mhis_category", "Adult crisis", ["crisis"], _BASE, "200000.00"),
               ("excluded_service_line", "ld_autism", ["ld_autism"], None, "8888.00"),
               ("excluded_funding_stream", "sdf", ["crisis", "cyp_community"], ["sdf"], "1112.00")],
}

VARIATION = [  # place, name, ics, numerator, denominator
    ("ashby", "Ashby", "north_weald", "1100000.00", "10000.00"),
    ("brookfield", "Brookfield", "north_weald", "4000000.00", "20000.00"),
    ("dunmere", "Dunmere", "south_fen", "2400000.00", "20000.00"),
]
VARIATION_TAU = 25.0

FUNDING = [  # contract, commissioner, place, type, stream, value, beds, per bed, provider spend, per bed
    ("C-ASH", "nw_icb", "ashby", "block", "recurrent", "540000.00", "6.00", "90000.00", "530000.00", "88333.33"),
    ("C-DUN", "sf_icb", "dunmere", "block", "recurrent", "630000.00", "7.00", "90000.00", "600000.00", "85714.29"),
    ("C-FEN", "sf_icb", "fenwick", "grant", "non_recurrent", "780000.00", "6.00", "130000.00", "700000.00",
     "116666.67"),
]

CONTRACTS = [  # contract, commissioner, provider, kind, service line, type, stream, value, paid, status
    ("NW-YS", "nw_icb", "youth", "vcse", "cyp_community", "block", "recurrent", "40000.00", "45000.00", "overrun"),
    ("NW-WFMH", "nw_icb", "wfmh", "nhs_trust", None, "block", "recurrent", "1200000.00", "300000.00",
     "within_value"),
    ("SF-AT", "sf_icb", "at", "local_authority", "crisis", "block", "s75_pooled", "120000.00", "20000.00",
     "underrun"),
]

SECTOR = [  # level, ics, place, period, {sector: net spend in the month}
    ("ics", "north_weald", None, "2025-04", {"nhs": "300000.00", "local_authority": "20000.00", "vcse": "10000.00"}),
    ("ics", "north_weald", None, "2025-05", {"nhs": "300000.00", "local_authority": "20000.00", "vcse": "20000.00"}),
    ("ics", "north_weald", None, "2025-06", {"nhs": "300000.00", "local_authority": "20000.00", "vcse": "10000.00"}),
    ("place", "north_weald", "ashby", "2025-05", {"nhs": "150000.00", "local_authority": "100000.00"}),
    ("place", "north_weald", "ashby", "2025-06", {"nhs": "100000.00", "local_authority": "50000.00"}),
    ("ics", "south_fen", None, "2025-05", {"nhs": "100000.00", "independent": "50000.00"}),
    ("ics", "south_fen", None, "2025-06", {"nhs": "100000.00", "independent": "50000.00"}),
]
SECTOR_NAMES = {"nhs": "Statutory NHS", "local_authority": "Local authority", "vcse": "Voluntary sector (VCSE)",
                "independent": "Independent sector"}
# By who received the money: ics, period, {sector: (net spend in the month, the part paid to others)}
RECIPIENT = [
    ("north_weald", "2025-04", {"nhs": ("800000.00", "100000.00"), "vcse": ("150000.00", "150000.00"),
                                "unclassified": ("50000.00", "50000.00")}),
    ("north_weald", "2025-06", {"nhs": ("700000.00", "50000.00"), "vcse": ("200000.00", "180000.00"),
                                "independent": ("60000.00", "60000.00"), "unclassified": ("40000.00", "40000.00")}),
    ("north_weald", "2025-07", {"nhs": ("999999.00", "0.00")}),                  # after the pack's month
    ("south_fen", "2025-05", {"nhs": ("300000.00", "0.00"), "local_authority": ("100000.00", "0.00"),
                              "independent": ("100000.00", "100000.00")}),
]
RECIPIENT_SECTORS = {**SECTOR_NAMES, "unclassified": "Unclassified"}
PLACES = {"ashby": ("Ashby", "north_weald"), "brookfield": ("Brookfield", "north_weald"),
          "dunmere": ("Dunmere", "south_fen"), "fenwick": ("Fenwick", "south_fen")}
ICS_NAMES = {"north_weald": "North Weald ICS", "south_fen": "South Fen ICS"}

LEAD_PROVIDER_MONTHS = [  # period, inpatient, community, bed days, out-of-area placements
    ("2025-04", "70000.00", "20000.00", 300, 3),
    ("2025-05", "65000.00", "25000.00", 290, 2),
    ("2025-06", "60000.00", "30000.00", 280, 1),
]

# The ledger lines behind every flag (drill-down pages read these fct_ tables).
# partner, period, cost centre, counterparty (as written), counterparty partner, description, line type,
# amount, stream, service line, place, scheme, file, row
LEDGER = [
    # the May mismatch: nw_icb paid wfmh 60,000 in two lines; wfmh booked 50,000 received
    ("nw_icb", "2025-05", "NW100", "Weald & Fen MH FT", "wfmh", None, "expenditure", "35000.00", "recurrent",
     "crisis", None, None, "inbox/nw_icb/NW spend May 2025.csv", 11),
    ("nw_icb", "2025-05", "NW101", "Weald & Fen MH FT", "wfmh", HOSTILE, "expenditure", "25000.00", "recurrent",
     "crisis", None, None, "inbox/nw_icb/NW spend May 2025.csv", 12),
    ("wfmh", "2025-05", "WF001", "NHS North Weald ICB", "nw_icb", "Income accrual", "income", "-50000.00",
     "recurrent", "crisis", None, None, "/home/x/inbox/wfmh/WFMH GL export 2025-05.xlsx", 7),
    # the slipping scheme SF-S1: 15,000 to date
    ("sf_icb", "2025-05", "SF900", "Crisis alternatives Ltd", None, "Scheme", "expenditure", "5000.00", "recurrent",
     "crisis", None, "SF-S1", "inbox/sf_icb/SF spend May 2025.csv", 4),
    ("sf_icb", "2025-06", "SF900", HYPERLINK, None, "Scheme", "expenditure", "4000.00", "recurrent",
     "crisis", None, "SF-S1", "inbox/sf_icb/SF spend Jun 2025.csv", 4),
    ("sf_icb", "2025-06", "SF900", "Crisis alternatives Ltd", None, "Scheme", "expenditure", "6000.00",
     "recurrent", "crisis", None, "SF-S1", "inbox/sf_icb/SF spend Jun 2025.csv", 5),
    ("sf_icb", "2025-07", "SF900", "After the report month", None, "Scheme", "expenditure", "99999.00",
     "recurrent", "crisis", None, "SF-S1", "inbox/sf_icb/SF spend Jul 2025.csv", 4),
    # Fenwick's crisis house: Haven's own spend there, 700,000
    ("haven", "2025-04", "H-FEN", None, None, "Fenwick house staff", "expenditure", "400000.00", "grant",
     "crisis_house", "fenwick", None, "inbox/haven/Haven M01.xlsx", 9),
    ("haven", "2025-06", "H-FEN", None, None, "Fenwick house running costs", "expenditure", "300000.00", "grant",
     "crisis_house", "fenwick", None, "inbox/haven/Haven M03.xlsx", 9),
    ("haven", "2025-06", "H-DUN", None, None, "Dunmere house", "expenditure", "600000.00", "recurrent",
     "crisis_house", "dunmere", None, "inbox/haven/Haven M03.xlsx", 10),
    # the over-run NW-YS: nw_icb paid Youth Space 45,000 against 40,000
    ("nw_icb", "2025-04", "NW300", "Youth Space", "youth", None, "expenditure", "15000.00", "recurrent",
     "cyp_community", None, None, "inbox/nw_icb/NW spend Apr 2025.csv", 20),
    ("nw_icb", "2025-05", "NW300", "Youth Space", "youth", None, "expenditure", "15000.00", "recurrent",
     "cyp_community", None, None, "inbox/nw_icb/NW spend May 2025.csv", 20),
    ("nw_icb", "2025-06", "NW300", "Youth Space", "youth", None, "expenditure", "15000.00", "recurrent",
     "cyp_community", None, None, "inbox/nw_icb/NW spend Jun 2025.csv", 20),
    # the under-run SF-AT: 20,000 paid against 30,000 expected
    ("sf_icb", "2025-06", "SF500", AT_SUM, "at", "Section 75", "expenditure", "20000.00", "s75_pooled",
     "crisis", None, None, "inbox/sf_icb/SF spend Jun 2025.csv", 30),
]
# Mental-health lines (fct_mh_ledger) behind the variation and MHIS flags: + is_eliminated, in_mhis
MH_LEDGER = [
    # Brookfield's mental-health spend, net: 2,500,000 + 1,500,000 (the eliminated and income lines are not in it)
    ("wfmh", "2025-04", "WF200", None, None, "Brookfield community team", "expenditure", "2500000.00", "recurrent",
     "adult_community", "brookfield", False, True, "inbox/wfmh/WFMH GL export 2025-04.xlsx", 30),
    ("la_bc", "2025-05", "LA1", None, None, "Care packages", "expenditure", "1500000.00", "s75_pooled",
     "adult_community", "brookfield", False, True, "inbox/la_bc/Spend_over_500_2025-05.csv", 40),
    ("nw_icb", "2025-05", "NW400", "Weald & Fen MH FT", "wfmh", None, "expenditure", "700000.00", "recurrent",
     "adult_community", "brookfield", True, True, "inbox/nw_icb/NW spend May 2025.csv", 41),
    ("wfmh", "2025-05", "WF201", "NHS North Weald ICB", "nw_icb", None, "income", "-10000.00", "recurrent",
     "adult_community", "brookfield", False, True, "inbox/wfmh/WFMH GL export 2025-05.xlsx", 5),
    # sf_icb's MHIS base: 75,000 + 80,000 + 45,000 = 200,000 (an SDF line and a non-MHIS line are outside it)
    ("sf_icb", "2025-05", "SF100", "Supplier A", None, None, "expenditure", "75000.00", "recurrent", "crisis",
     None, False, True, "inbox/sf_icb/SF spend May 2025.csv", 2),
    ("sf_icb", "2025-06", "SF100", "Supplier A", None, None, "expenditure", "80000.00", "recurrent", "crisis",
     None, False, True, "inbox/sf_icb/SF spend Jun 2025.csv", 2),
    ("sf_icb", "2025-06", "SF101", "Dunmere City Council", None, None, "expenditure", "45000.00", "s75_pooled",
     "crisis", None, False, True, "inbox/sf_icb/SF spend Jun 2025.csv", 3),
    ("sf_icb", "2025-06", "SF102", "Supplier B", None, None, "expenditure", "9999.00", "sdf", "crisis",
     None, False, True, "inbox/sf_icb/SF spend Jun 2025.csv", 6),
    ("sf_icb", "2025-06", "SF103", "Supplier C", None, None, "expenditure", "8888.00", "recurrent", "ld_autism",
     None, False, False, "inbox/sf_icb/SF spend Jun 2025.csv", 7),
]

ANALYTICS_EXPECTED = {
    "open_book": {  # June 2025: gross month; FY to date gross, eliminated, net; forecast outturn (net run rate)
        "north_weald": {"gross_month": D("371000.74"), "net_month": D("311000.74"), "gross_ytd": D("781000.74"),
                        "eliminated_ytd": D("180000.00"), "net_ytd": D("601000.74"), "forecast": D("2404002.96")},
        "south_fen": {"gross_month": D("80500.00"), "net_month": D("50500.00"), "gross_ytd": D("155750.00"),
                      "eliminated_ytd": D("30000.00"), "net_ytd": D("125750.00"), "forecast": D("503000.00")},
        "total": {"gross_month": D("451500.74"), "net_month": D("361500.74"), "gross_ytd": D("936750.74"),
                  "eliminated_ytd": D("210000.00"), "net_ytd": D("726750.74"), "forecast": D("2907002.96")},
    },
    "mismatch": {"payer": "NHS North Weald Integrated Care Board", "period": "2025-05",
                 "difference": D("10000.00"), "lines": 3},
    "slipping": {"plan_ytd": D("60000.00"), "actual_ytd": D("15000.00"), "slippage": D("45000.00"),
                 "slippage_pct": D("75.0"), "forecast_run_rate": D("60000.00"), "forecast_profile": D("195000.00"),
                 "fy_plan": D("240000.00"), "lines": 3},
    "position": {"south_fen": D("45000.00"), "north_weald": D("1500.00")},
    "mhis_short": D("240000.00"),           # sf_icb: forecast 800,000 against 1,040,000 required
    "variation": {"place": "Brookfield", "rate": D("200.0000"), "pooled": D("150.0000"),
                  "difference": D("1000000.00"), "lines": 2},
    "funding": {"contract": "C-FEN", "provider_spend": D("700000.00"), "lines": 2},
    "overrun": {"contract": "NW-YS", "paid": D("45000.00"), "overrun": D("5000.00"), "lines": 3},
    "underrun": {"contract": "SF-AT", "paid": D("20000.00"), "variance": D("-10000.00"), "lines": 1},
    "sector_ytd_share": {("north_weald", "nhs"): D("90.00"), ("north_weald", "local_authority"): D("6.00"),
                         ("north_weald", "vcse"): D("4.00"), ("south_fen", "independent"): D("33.33")},
    "lead_provider": {"saving_ytd": D("21000.00"), "bed_days": 870, "wfmh_per_bed_day": D("333.33")},
    "flags": {"eliminations": 1, "plan-vs-actual": 1, "mhis": 1, "variation": 1, "funding-consistency": 1,
              "contracts": 2, "agency-spend": 0},
}


def make_analytics_tables(con: duckdb.DuckDBPyConnection) -> None:
    names = {**{pid: v[0] for pid, v in PARTNERS.items()}, "haven": HAVEN, "lp": LEAD_PROVIDER,
             "la_bc": "Brookfield and Carrow County Council"}
    kinds = {pid: v[1] for pid, v in PARTNERS.items()}
    ics_of = {pid: v[2] for pid, v in PARTNERS.items()}

    # --- rpt_open_book
    con.execute("""CREATE TABLE rpt_open_book (ics_id VARCHAR, ics_name VARCHAR, place_id VARCHAR,
        place_name VARCHAR, partner_kind VARCHAR, partner_id VARCHAR, partner_name VARCHAR, service_line VARCHAR,
        service_line_name VARCHAR, funding_stream VARCHAR, period VARCHAR, fy VARCHAR, fy_month INTEGER,
        gross_spend DECIMAL(18,2), eliminated_spend DECIMAL(18,2), net_spend DECIMAL(18,2), ledger_lines BIGINT,
        ytd_gross_spend DECIMAL(18,2), ytd_eliminated_spend DECIMAL(18,2), ytd_net_spend DECIMAL(18,2),
        forecast_outturn_net_spend DECIMAL(18,2))""")
    for pid, place, sl, fs, period, gross, elim in OPEN_BOOK:
        ics = ics_of[pid]
        con.execute("INSERT INTO rpt_open_book VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,2,NULL,NULL,NULL,NULL)",
                    [ics, ICS_NAMES[ics], place, PLACES[place][0] if place else "System-wide", kinds[pid], pid,
                     names[pid], sl, sl.replace("_", " ").capitalize(), fs, period, _fy(period), _fy_month(period),
                     D(gross), D(elim), D(gross) - D(elim)])
    con.execute("""UPDATE rpt_open_book r SET
        ytd_gross_spend = (SELECT sum(gross_spend) FROM rpt_open_book q WHERE q.partner_id = r.partner_id
            AND q.service_line = r.service_line AND q.funding_stream = r.funding_stream AND q.fy = r.fy
            AND q.period <= r.period),
        ytd_eliminated_spend = (SELECT sum(eliminated_spend) FROM rpt_open_book q WHERE q.partner_id = r.partner_id
            AND q.service_line = r.service_line AND q.funding_stream = r.funding_stream AND q.fy = r.fy
            AND q.period <= r.period),
        ytd_net_spend = (SELECT sum(net_spend) FROM rpt_open_book q WHERE q.partner_id = r.partner_id
            AND q.service_line = r.service_line AND q.funding_stream = r.funding_stream AND q.fy = r.fy
            AND q.period <= r.period)""")
    con.execute("UPDATE rpt_open_book SET forecast_outturn_net_spend = ytd_net_spend * 12 / fy_month")

    # --- rpt_eliminations
    con.execute("""CREATE TABLE rpt_eliminations (payer_id VARCHAR, payer_name VARCHAR, payee_id VARCHAR,
        payee_name VARCHAR, period VARCHAR, fy VARCHAR, fy_month INTEGER, payer_amount DECIMAL(18,2),
        payee_amount DECIMAL(18,2), difference DECIMAL(18,2), status VARCHAR, ytd_payer_amount DECIMAL(18,2),
        ytd_payee_amount DECIMAL(18,2), ytd_difference DECIMAL(18,2), must_explain BOOLEAN,
        statement_threshold DECIMAL(18,2), month12_threshold DECIMAL(18,2))""")
    running: dict[tuple, tuple] = {}
    for payer, payee, period, a, b in ELIMINATIONS:
        ya, yb = running.get((payer, payee), (D(0), D(0)))
        ya, yb = ya + D(a), yb + D(b)
        running[(payer, payee)] = (ya, yb)
        diff = D(a) - D(b)
        con.execute("INSERT INTO rpt_eliminations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,FALSE,2500.00,300000.00)",
                    [payer, names[payer], payee, names[payee], period, _fy(period), _fy_month(period), D(a), D(b),
                     diff, "mismatched" if abs(diff) > 2500 else "matched", ya, yb, ya - yb])

    # --- rpt_plan_vs_actual and rpt_system_position (as at June 2025)
    con.execute("""CREATE TABLE rpt_plan_vs_actual (icb_id VARCHAR, icb_name VARCHAR, ics_id VARCHAR,
        ics_name VARCHAR, scheme_id VARCHAR, scheme_name VARCHAR, service_line VARCHAR, service_line_name VARCHAR,
        recurrence VARCHAR, period VARCHAR, fy VARCHAR, fy_month INTEGER, planned DECIMAL(18,2),
        actual DECIMAL(18,2), plan_ytd DECIMAL(18,2), actual_ytd DECIMAL(18,2), fy_plan DECIMAL(18,2),
        forecast_outturn_run_rate DECIMAL(18,2), forecast_outturn_plan_profile DECIMAL(18,2),
        slippage_ytd DECIMAL(18,2), slippage_ytd_pct DECIMAL(9,2), forecast_underspend_run_rate DECIMAL(18,2),
        forecast_underspend_plan_profile DECIMAL(18,2), status VARCHAR, ledger_lines BIGINT)""")
    con.execute("""CREATE TABLE rpt_system_position (ics_id VARCHAR, ics_name VARCHAR, icb_id VARCHAR,
        icb_name VARCHAR, fy VARCHAR, as_at_period VARCHAR, fy_month INTEGER, schemes BIGINT,
        slipping_schemes BIGINT, fy_plan DECIMAL(18,2), plan_ytd DECIMAL(18,2), actual_ytd DECIMAL(18,2),
        slippage_ytd DECIMAL(18,2), forecast_outturn_run_rate DECIMAL(18,2),
        forecast_outturn_plan_profile DECIMAL(18,2), net_forecast_underspend DECIMAL(18,2),
        net_forecast_underspend_run_rate DECIMAL(18,2), underspend_to_rebalance DECIMAL(18,2),
        overspend_to_cover DECIMAL(18,2))""")
    for icb, sid, sname, sl, ics, monthly, actuals in PLANS:
        plan, fy_plan = D(monthly), D(monthly) * 12
        actual_ytd = D(0)
        for m, (period, actual) in enumerate(zip(("2025-04", "2025-05", "2025-06"), actuals), start=1):
            actual_ytd += D(actual)
            plan_ytd = plan * m
            run_rate = (actual_ytd * 12 / m).quantize(D("0.01"))
            profile = actual_ytd + fy_plan - plan_ytd
            slip = plan_ytd - actual_ytd
            pct = (100 * slip / plan_ytd).quantize(D("0.01"))
            status = "slipping" if pct > 10 else "overspending" if pct < -10 else "on_plan"
            con.execute("INSERT INTO rpt_plan_vs_actual VALUES (?,?,?,?,?,?,?,?,'recurrent',?,'2025-26',?,?,?,?,?,?,"
                        "?,?,?,?,?,?,?,1)",
                        [icb, names[icb], ics, ICS_NAMES[ics], sid, sname, sl, sl.capitalize(), period, m, plan,
                         D(actual), plan_ytd, actual_ytd, fy_plan, run_rate, profile, slip, pct,
                         fy_plan - run_rate, fy_plan - profile, status])
        con.execute("INSERT INTO rpt_system_position VALUES (?,?,?,?,'2025-26','2025-06',3,1,?,?,?,?,?,?,?,?,?,?,0)",
                    [ics, ICS_NAMES[ics], icb, names[icb], 1 if status == "slipping" else 0, fy_plan, plan_ytd,
                     actual_ytd, slip, run_rate, profile, fy_plan - profile, fy_plan - run_rate, fy_plan - profile])

    # --- rpt_mhis (a part year: not yet assessed, forecast against the standard)
    con.execute("""CREATE TABLE rpt_mhis (icb_id VARCHAR, icb_name VARCHAR, ics_id VARCHAR, ics_name VARCHAR,
        fy VARCHAR, months_reported BIGINT, mhis_spend DECIMAL(18,2), prior_year_spend DECIMAL(18,2),
        programme_allocation DECIMAL(18,2), prior_programme_allocation DECIMAL(18,2),
        allocation_growth_pct DECIMAL(9,4), mhis_spend_growth_pct DECIMAL(9,4), required_spend DECIMAL(18,2),
        met BOOLEAN, shortfall DECIMAL(18,2), headroom DECIMAL(18,2), forecast_mhis_spend DECIMAL(18,2),
        forecast_met BOOLEAN, mhis_share_of_allocation_pct DECIMAL(9,4), mh_spend DECIMAL(18,2),
        mh_share_of_allocation_pct DECIMAL(9,4), mhis_funding_streams VARCHAR[])""")
    for icb, ics, months, spend, prior, growth, required, forecast, mh, allocation in MHIS:
        con.execute("INSERT INTO rpt_mhis VALUES (?,?,?,?,'2025-26',?,?,?,?,NULL,?,NULL,?,NULL,NULL,NULL,?,?,?,?,?,"
                    "['recurrent', 's75_pooled'])",
                    [icb, names[icb], ics, ICS_NAMES[ics], months, D(spend), D(prior), D(allocation), D(growth),
                     D(required), D(forecast), D(forecast) >= D(required),
                     (100 * D(spend) / D(allocation)).quantize(D("0.0001")), D(mh),
                     (100 * D(mh) / D(allocation)).quantize(D("0.0001"))])

    # --- rpt_mhis_categories (each ICB's MHIS spend by category, then the exclusions: they add up to its
    # MHIS spend and mental-health spend in rpt_mhis above)
    con.execute("""CREATE TABLE rpt_mhis_categories (icb_id VARCHAR, icb_name VARCHAR, ics_id VARCHAR,
        ics_name VARCHAR, fy VARCHAR, months_reported BIGINT, line_kind VARCHAR, line_id VARCHAR, line_name VARCHAR,
        line_order INTEGER, in_mhis BOOLEAN, part VARCHAR, cyp BOOLEAN, service_lines VARCHAR[],
        funding_streams VARCHAR[], amount DECIMAL(18,2), cyp_amount DECIMAL(18,2), exclusion_reason VARCHAR,
        definition VARCHAR)""")
    for icb, ics, *_ in MHIS:
        for order, (kind, line, sls, streams, amount) in enumerate(MHIS_CATEGORIES[icb], start=1):
            cyp = line.startswith("Children")
            con.execute("INSERT INTO rpt_mhis_categories VALUES (?,?,?,?,'2025-26',3,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        [icb, names[icb], ics, ICS_NAMES[ics], kind, line, line, order, kind == "mhis_category",
                         "MHIS spend" if kind == "mhis_category" else "Outside the MHIS", cyp, sls, streams,
                         D(amount), D(amount) if cyp else None,
                         None if kind == "mhis_category" else "outside the MHIS", f"Gross expenditure on {line}"])

    # --- rpt_variation (one measure, three places; each against its peers: limits from the formula
    # peer rate -/+ z sqrt((cv x peer rate)^2 / denominator + tau^2), tau fixed here: a rendering fixture)
    con.execute("""CREATE TABLE rpt_variation (measure_id VARCHAR, measure_name VARCHAR, grouping VARCHAR,
        denominator_name VARCHAR, basis VARCHAR, unit_id VARCHAR, unit_name VARCHAR, ics_id VARCHAR,
        ics_name VARCHAR, fy VARCHAR, months_reported INTEGER, numerator DECIMAL(18,2),
        apportioned_numerator DECIMAL(18,2), total_numerator DECIMAL(18,2), coverage_pct DECIMAL(9,1),
        denominator DECIMAL(18,2), rate DECIMAL(18,4), total_rate DECIMAL(18,4), pooled_rate DECIMAL(18,4),
        peer_rate DECIMAL(18,4), peers INTEGER, within_unit_cv DOUBLE, between_unit_sd DOUBLE, rate_sd DOUBLE,
        lower_998 DECIMAL(18,4), lower_95 DECIMAL(18,4), upper_95 DECIMAL(18,4), upper_998 DECIMAL(18,4),
        z_score DOUBLE, assessed BOOLEAN, median_rate DECIMAL(18,4), distance_from_median DECIMAL(18,4),
        rate_rank INTEGER, decile INTEGER, flag VARCHAR, comparison VARCHAR, higher_is_better BOOLEAN,
        expected_numerator DECIMAL(18,2), difference_vs_pooled DECIMAL(18,2), units INTEGER)""")
    import math
    pooled = sum(D(v[3]) for v in VARIATION) / sum(D(v[4]) for v in VARIATION)        # 150
    rates = sorted(D(v[3]) / D(v[4]) for v in VARIATION)
    median = rates[1]
    for unit, name, ics, num, den in VARIATION:
        rate = D(num) / D(den)
        peers = [v for v in VARIATION if v[0] != unit]
        centre = float(sum(D(v[3]) for v in peers) / sum(D(v[4]) for v in peers))
        sd = math.sqrt((10 * centre) ** 2 / float(den) + VARIATION_TAU ** 2)
        lim = {k: D(str(round(max(centre + z * sd, 0), 4))) for k, z in
               (("l998", -3.09), ("l95", -1.96), ("u95", 1.96), ("u998", 3.09))}
        z = (float(rate) - centre) / sd
        flag = ("above_998" if z > 3.09 else "above_95" if z > 1.96 else "below_998" if z < -3.09
                else "below_95" if z < -1.96 else "none")
        comparison = {"a": "above peers", "b": "below peers", "n": "within peers"}[flag[0]]
        decile = math.ceil(10 * (rates.index(rate) + 1) / len(rates))
        rank = len(rates) - rates.index(rate)
        expected = pooled * D(den)
        apportioned = D("50000.00")
        con.execute("INSERT INTO rpt_variation VALUES ('mh_spend_per_head','Mental-health spend per weighted head',"
                    "'place','weighted_population','net',?,?,?,?,'2025-26',3,?,?,?,60.0,?,?,?,?,?,2,10.0,?,?,"
                    "?,?,?,?,?,TRUE,?,?,?,?,?,?,TRUE,?,?,3)",
                    [unit, name, ics, ICS_NAMES[ics], D(num), apportioned, D(num) + apportioned, D(den),
                     rate.quantize(D("0.0001")), ((D(num) + apportioned) / D(den)).quantize(D("0.0001")),
                     pooled.quantize(D("0.0001")), D(str(round(centre, 4))), VARIATION_TAU, sd,
                     lim["l998"], lim["l95"], lim["u95"], lim["u998"], z, median.quantize(D("0.0001")),
                     (rate - median).quantize(D("0.0001")), rank, decile, flag, comparison, expected,
                     D(num) - expected])

    # the columns a measure of any unit carries (issue 17): place measures here, no provider rows
    for column, kind, value in (("measure_description", "VARCHAR", "All mental-health spend coded to the place."),
                                ("numerator_source", "VARCHAR", "ledger"), ("scale", "INTEGER", 1),
                                ("rate_unit", "VARCHAR", "£ per weighted head")):
        con.execute(f"ALTER TABLE rpt_variation ADD COLUMN {column} {kind}")
        con.execute(f"UPDATE rpt_variation SET {column} = ?", [value])

    # --- rpt_funding_consistency (three crisis houses, Fenwick's funded unlike the others)
    con.execute("""CREATE TABLE rpt_funding_consistency (fy VARCHAR, service_line VARCHAR,
        service_line_name VARCHAR, capacity_unit VARCHAR, provider_kind VARCHAR, contract_id VARCHAR,
        commissioner_id VARCHAR, commissioner_name VARCHAR, provider_id VARCHAR, provider_name VARCHAR,
        place_id VARCHAR, place_name VARCHAR, contract_type VARCHAR, funding_stream VARCHAR,
        annual_value DECIMAL(18,2), capacity DECIMAL(18,2), value_per_unit DECIMAL(18,2),
        provider_spend DECIMAL(18,2), provider_spend_per_unit DECIMAL(18,2), like_contracts BIGINT,
        like_funding_streams VARCHAR, like_contract_types VARCHAR, median_value_per_unit DECIMAL(18,2),
        value_vs_median_pct DECIMAL(9,2), funding_stream_differs BOOLEAN, contract_type_differs BOOLEAN,
        unit_cost_differs BOOLEAN, flagged BOOLEAN, flag_reasons VARCHAR)""")
    for cid, comm, place, ctype, stream, value, beds, per_bed, spend, spend_per_bed in FUNDING:
        odd = cid == "C-FEN"
        vs = ((D(per_bed) / D("90000.00") - 1) * 100).quantize(D("0.01"))
        reasons = ("funding stream non_recurrent (like contracts: 2 recurrent, 1 non_recurrent); contract type "
                   "grant (like contracts: 2 block, 1 grant); value per bed 44.44% above the median") if odd else None
        con.execute("INSERT INTO rpt_funding_consistency VALUES ('2025-26','crisis_house','Crisis houses','beds',"
                    "'vcse',?,?,?,'haven',?,?,?,?,?,?,?,?,?,?,3,'2 recurrent, 1 non_recurrent','2 block, 1 grant',"
                    "90000.00,?,?,?,?,?,?)",
                    [cid, comm, names[comm], HAVEN, place, PLACES[place][0], ctype, stream, D(value), D(beds),
                     D(per_bed), D(spend), D(spend_per_bed), vs, odd, odd, odd, odd, reasons])

    # --- rpt_sector_share (money and shares worked out from SECTOR)
    con.execute("""CREATE TABLE rpt_sector_share (geography_level VARCHAR, ics_id VARCHAR, ics_name VARCHAR,
        place_id VARCHAR, place_name VARCHAR, period VARCHAR, fy VARCHAR, fy_month INTEGER, sector VARCHAR,
        sector_name VARCHAR, net_spend DECIMAL(18,2), share_pct DECIMAL(9,2), ytd_net_spend DECIMAL(18,2),
        ytd_share_pct DECIMAL(9,2), own_ledger_external_spend DECIMAL(18,2))""")
    ytd: dict[tuple, D] = {}
    for level, ics, place, period, spend in SECTOR:
        month_total = sum(D(v) for v in spend.values())
        for sector in SECTOR_NAMES:
            ytd[(level, ics, place, sector)] = ytd.get((level, ics, place, sector), D(0)) + D(spend.get(sector, "0"))
        ytd_total = sum(ytd[(level, ics, place, x)] for x in SECTOR_NAMES)
        for sector, sector_name in SECTOR_NAMES.items():
            amount = D(spend.get(sector, "0"))
            y = ytd[(level, ics, place, sector)]
            con.execute("INSERT INTO rpt_sector_share VALUES (?,?,?,?,?,?,'2025-26',?,?,?,?,?,?,?,0)",
                        [level, ics, ICS_NAMES[ics], place, PLACES[place][0] if place else ICS_NAMES[ics],
                         period, _fy_month(period), sector, sector_name, amount,
                         (100 * amount / month_total).quantize(D("0.01")), y,
                         (100 * y / ytd_total).quantize(D("0.01"))])

    # --- rpt_sector_share_by_recipient (year to date as at each month, from RECIPIENT)
    con.execute("""CREATE TABLE rpt_sector_share_by_recipient (ics_id VARCHAR, ics_name VARCHAR, period VARCHAR,
        fy VARCHAR, fy_month INTEGER, sector VARCHAR, sector_name VARCHAR, month_net_spend DECIMAL(18,2),
        net_spend DECIMAL(18,2), paid_to_others DECIMAL(18,2), share_pct DECIMAL(9,2),
        unclassified_share_pct DECIMAL(9,2), share_high_pct DECIMAL(9,2))""")
    for ics in ICS_NAMES:
        net: dict[str, D] = dict.fromkeys(RECIPIENT_SECTORS, D(0))
        paid: dict[str, D] = dict.fromkeys(RECIPIENT_SECTORS, D(0))
        for period in ("2025-04", "2025-05", "2025-06", "2025-07"):
            month = next((m for i, p, m in RECIPIENT if i == ics and p == period), {})
            for sector, (amount, others) in month.items():
                net[sector] += D(amount)
                paid[sector] += D(others)
            total = sum(net.values())
            band = 100 * net["unclassified"] / total if total else None
            for sector, name in RECIPIENT_SECTORS.items():
                share = 100 * net[sector] / total if total else None
                high = None if share is None else share + (band if sector != "unclassified" else 0)
                q = (lambda x: None if x is None else x.quantize(D("0.01")))
                con.execute("INSERT INTO rpt_sector_share_by_recipient VALUES (?,?,?,'2025-26',?,?,?,?,?,?,?,?,?)",
                            [ics, ICS_NAMES[ics], period, _fy_month(period), sector, name,
                             D(month.get(sector, ("0", "0"))[0]), net[sector], paid[sector], q(share), q(band),
                             q(high)])

    # --- rpt_system_by_payer (as at June: the trust's unplaced £300,000 shared 2:1 by what the ICBs paid it)
    con.execute("""CREATE TABLE rpt_system_by_payer (ics_id VARCHAR, ics_name VARCHAR, period VARCHAR, fy VARCHAR,
        fy_month INTEGER, partner_id VARCHAR, partner_name VARCHAR, partner_kind VARCHAR,
        host_net_spend DECIMAL(18,2), payer_net_spend DECIMAL(18,2), placed_net_spend DECIMAL(18,2),
        apportioned_net_spend DECIMAL(18,2), icb_paid DECIMAL(18,2), payment_share_pct DECIMAL(9,2))""")
    con.execute("""INSERT INTO rpt_system_by_payer VALUES
        ('north_weald', 'North Weald ICS', '2025-06', '2025-26', 3, 'wfmh', 'Weald and Fen MH Trust', 'nhs_trust',
         500000.00, 400000.00, 200000.00, 200000.00, 600000.00, 66.67),
        ('south_fen', 'South Fen ICS', '2025-06', '2025-26', 3, 'wfmh', 'Weald and Fen MH Trust', 'nhs_trust',
         0.00, 100000.00, 0.00, 100000.00, 300000.00, 33.33),
        ('south_fen', 'South Fen ICS', '2025-06', '2025-26', 3, 'sf_icb', 'NHS South Fen ICB', 'icb',
         50000.00, 50000.00, 0.00, 0.00, 0.00, NULL)""")

    # --- rpt_system_by_payer_service_line: the same, by service line. The trust's placed £200,000 is adult
    # community in North Weald; its unplaced £300,000 (inpatient £180,000, crisis £120,000) is shared 2:1.
    con.execute("""CREATE TABLE rpt_system_by_payer_service_line (ics_id VARCHAR, ics_name VARCHAR, period VARCHAR,
        fy VARCHAR, fy_month INTEGER, partner_id VARCHAR, partner_name VARCHAR, partner_kind VARCHAR,
        service_line VARCHAR, service_line_name VARCHAR, host_net_spend DECIMAL(18,2),
        payer_net_spend DECIMAL(18,2), placed_net_spend DECIMAL(18,2), apportioned_net_spend DECIMAL(18,2))""")
    trust = ("2025-06", "2025-26", 3, "wfmh", "Weald and Fen MH Trust", "nhs_trust")
    con.executemany("INSERT INTO rpt_system_by_payer_service_line VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
        ("north_weald", "North Weald ICS", *trust, "adult_community", "Adult community", 200000, 200000, 200000, 0),
        ("north_weald", "North Weald ICS", *trust, "inpatient_acute", "Acute inpatient", 180000, 120000, 0, 120000),
        ("north_weald", "North Weald ICS", *trust, "crisis_home_treatment", "Crisis home treatment", 120000, 80000,
         0, 80000),
        ("south_fen", "South Fen ICS", *trust, "inpatient_acute", "Acute inpatient", 0, 60000, 0, 60000),
        ("south_fen", "South Fen ICS", *trust, "crisis_home_treatment", "Crisis home treatment", 0, 40000, 0, 40000),
        ("south_fen", "South Fen ICS", "2025-06", "2025-26", 3, "sf_icb", "NHS South Fen ICB", "icb", "crisis_house",
         "Crisis houses", 50000, 50000, 0, 0)])

    # --- rpt_contracts and rpt_contract_mix (as at June 2025, three months elapsed)
    con.execute("""CREATE TABLE rpt_contracts (contract_id VARCHAR, ics_id VARCHAR, ics_name VARCHAR,
        commissioner_id VARCHAR, commissioner_name VARCHAR, provider_id VARCHAR, provider_name VARCHAR,
        provider_kind VARCHAR, parent_contract_id VARCHAR, contract_level VARCHAR, service_line VARCHAR,
        service_line_name VARCHAR, place_id VARCHAR, contract_type VARCHAR, funding_stream VARCHAR, fy VARCHAR,
        start_date DATE, end_date DATE, annual_value DECIMAL(18,2), as_at_period VARCHAR, months_elapsed BIGINT,
        expected_to_date DECIMAL(18,2), paid_to_date DECIMAL(18,2), payment_lines BIGINT,
        variance_to_expected DECIMAL(18,2), remaining_value DECIMAL(18,2), overrun DECIMAL(18,2),
        utilisation_pct DECIMAL(9,2), status VARCHAR)""")
    for cid, comm, prov, kind, sl, ctype, stream, value, paid, status in CONTRACTS:
        ics = ics_of[comm]
        expected = D(value) * 3 / 12
        con.execute("INSERT INTO rpt_contracts VALUES (?,?,?,?,?,?,?,?,NULL,'direct',?,?,NULL,?,?,'2025-26',"
                    "DATE '2025-04-01',DATE '2026-03-31',?,'2025-06',3,?,?,3,?,?,?,?,?)",
                    [cid, ics, ICS_NAMES[ics], comm, names[comm], prov, names[prov], kind, sl,
                     sl.replace("_", " ").capitalize() if sl else None, ctype, stream, D(value), expected, D(paid),
                     D(paid) - expected, D(value) - D(paid), max(D(paid) - D(value), D(0)),
                     (100 * D(paid) / D(value)).quantize(D("0.01")), status])
    con.execute("""CREATE TABLE rpt_contract_mix (ics_id VARCHAR, ics_name VARCHAR, fy VARCHAR,
        contract_type VARCHAR, contracts BIGINT, annual_value DECIMAL(18,2), share_of_value_pct DECIMAL(9,2),
        paid_to_date DECIMAL(18,2))""")
    con.execute("""INSERT INTO rpt_contract_mix VALUES
        ('north_weald', 'North Weald ICS', '2025-26', 'block', 2, 1240000.00, 100.00, 345000.00),
        ('south_fen', 'South Fen ICS', '2025-26', 'block', 1, 120000.00, 100.00, 20000.00)""")

    # --- the lead provider
    con.execute("""CREATE TABLE rpt_lead_provider (lead_provider_id VARCHAR, lead_provider_name VARCHAR,
        period VARCHAR, fy VARCHAR, fy_month INTEGER, delegated_budget DECIMAL(18,2), delegated_income DECIMAL(18,2),
        inpatient_spend DECIMAL(18,2), community_spend DECIMAL(18,2), other_spend DECIMAL(18,2),
        total_spend DECIMAL(18,2), occupied_bed_days BIGINT, out_of_area_placements BIGINT,
        baseline_inpatient_spend DECIMAL(18,2), inpatient_saving DECIMAL(18,2),
        baseline_community_spend DECIMAL(18,2), community_reinvestment DECIMAL(18,2),
        ytd_inpatient_saving DECIMAL(18,2), ytd_community_reinvestment DECIMAL(18,2),
        baseline_occupied_bed_days DECIMAL(12,1), ics_id VARCHAR, ics_name VARCHAR,
        ytd_delegated_budget DECIMAL(18,2), ytd_total_spend DECIMAL(18,2), ytd_over_delegated_budget DECIMAL(18,2))""")
    con.execute("""CREATE TABLE rpt_lead_provider_subcontractors (lead_provider_id VARCHAR,
        lead_provider_name VARCHAR, period VARCHAR, fy VARCHAR, fy_month INTEGER, service_line VARCHAR,
        service_line_name VARCHAR, subcontractor_id VARCHAR, subcontractor_name VARCHAR,
        subcontractor_kind VARCHAR, spend DECIMAL(18,2), ytd_spend DECIMAL(18,2), occupied_bed_days BIGINT,
        out_of_area_placements BIGINT, cost_per_occupied_bed_day DECIMAL(18,2), ledger_lines BIGINT)""")
    saving_ytd = reinvest_ytd = D(0)
    for m, (period, inpatient, community, beds, oaps) in enumerate(LEAD_PROVIDER_MONTHS, start=1):
        saving, reinvest = D("72000.00") - D(inpatient), D(community) - D("18000.00")
        saving_ytd, reinvest_ytd = saving_ytd + saving, reinvest_ytd + reinvest
        con.execute("INSERT INTO rpt_lead_provider VALUES ('lp',?,?,'2025-26',?,100000.00,100000.00,?,?,5000.00,?,"
                    "?,?,72000.00,?,18000.00,?,?,?,310.0,'south_fen','South Fen ICS',?,?,?)",
                    [LEAD_PROVIDER, period, m, D(inpatient), D(community), D(inpatient) + D(community) + 5000,
                     beds, oaps, saving, reinvest, saving_ytd, reinvest_ytd,
                     # 95,000 spent a month against 100,000 delegated: under, so no flag
                     D(100000) * m, D(95000) * m, D(-5000) * m])
        con.execute("INSERT INTO rpt_lead_provider_subcontractors VALUES ('lp',?,?,'2025-26',?,'secure_care',"
                    "'Adult secure inpatient care','wfmh',?,'nhs_trust',50000.00,?,150,1,333.33,1)",
                    [LEAD_PROVIDER, period, m, names["wfmh"], D(50000) * m])
        con.execute("INSERT INTO rpt_lead_provider_subcontractors VALUES ('lp',?,?,'2025-26',?,'community_forensic',"
                    "'Community forensic services','other','Other providers, suppliers and own staff',NULL,?,NULL,"
                    "NULL,NULL,NULL,4)", [LEAD_PROVIDER, period, m, D(community)])
    # its 'other' 5,000 a month is corporate cost, not mental-health spend (the reconciling line)
    con.execute("ALTER TABLE rpt_lead_provider ADD COLUMN non_mh_spend DECIMAL(18,2)")
    con.execute("ALTER TABLE rpt_lead_provider ADD COLUMN mh_spend DECIMAL(18,2)")
    con.execute("UPDATE rpt_lead_provider SET non_mh_spend = other_spend, mh_spend = total_spend - other_spend")

    # --- budgets: the demo tests cover rpt_mh_budget's figures
    con.execute("""CREATE TABLE rpt_mh_budget (partner_id VARCHAR, partner_name VARCHAR, partner_kind VARCHAR,
        ics_id VARCHAR, ics_name VARCHAR, service_line VARCHAR, service_line_name VARCHAR, period VARCHAR,
        fy VARCHAR, fy_month INTEGER, annual_budget DECIMAL(18,2), phasing_profile VARCHAR,
        month_share DECIMAL(18,6), budget DECIMAL(18,2), actual DECIMAL(18,2),
        budget_ytd DECIMAL(18,2), actual_ytd DECIMAL(18,2), variance_ytd DECIMAL(18,2),
        variance_ytd_pct DECIMAL(38,2), forecast_outturn DECIMAL(18,2), forecast_variance DECIMAL(18,2),
        forecast_variance_pct DECIMAL(38,2), is_outturn BOOLEAN, rag VARCHAR, amber_tolerance_pct DECIMAL(18,2),
        red_tolerance_pct DECIMAL(18,2))""")
    # one line on budget, green: 9,900 a month against twelfths of 120,000
    for m, period in enumerate(("2025-04", "2025-05", "2025-06"), start=1):
        con.execute("INSERT INTO rpt_mh_budget VALUES ('wfmh',?,'nhs_trust','north_weald','North Weald ICS',"
                    "'crisis_house','Crisis houses',?,'2025-26',?,120000.00,'equal twelfths',0.083333,10000.00,"
                    "9900.00,?,?,?,-1.00,"
                    "118800.00,-1200.00,-1.00,false,'green',1.00,3.00)",
                    [names["wfmh"], period, m, D(10000) * m, D(9900) * m, D(-100) * m])

    # --- agency staff spend against the limit: the trust within it (no flag), as at June
    con.execute("""CREATE TABLE rpt_agency_spend (partner_id VARCHAR, partner_name VARCHAR, partner_kind VARCHAR,
        ics_id VARCHAR, period VARCHAR, fy VARCHAR, fy_month INTEGER, agency_spend DECIMAL(18,2),
        agency_lines BIGINT, agency_ytd DECIMAL(18,2), annual_cap DECIMAL(18,2), cap_month DECIMAL(18,2),
        cap_ytd DECIMAL(18,2), variance_ytd DECIMAL(18,2), variance_ytd_pct DECIMAL(38,1), rag VARCHAR,
        cap_basis VARCHAR)""")
    for m, period in enumerate(("2025-04", "2025-05", "2025-06"), start=1):
        con.execute("INSERT INTO rpt_agency_spend VALUES ('wfmh',?,'nhs_trust','north_weald',?,'2025-26',?,"
                    "1000.00,1,?,120000.00,10000.00,?,?,NULL,'green','test limit')",
                    [names["wfmh"], period, m, D(1000) * m, D(10000) * m, D(1000) * m - D(10000) * m])

    # --- the fct_ ledger lines behind the flags (the drill-down pages read them)
    con.execute("""CREATE TABLE fct_ledger (load_id VARCHAR, partner_id VARCHAR, partner_name VARCHAR,
        partner_kind VARCHAR, ics_id VARCHAR, place_id VARCHAR, period VARCHAR, fy VARCHAR, fy_month INTEGER,
        posting_date DATE, cost_centre VARCHAR, expense_type VARCHAR, counterparty VARCHAR,
        counterparty_partner_id VARCHAR, description VARCHAR, transaction_id VARCHAR, amount DECIMAL(18,2),
        funding_stream VARCHAR, service_line VARCHAR, line_type VARCHAR, scheme_id VARCHAR, source_file VARCHAR,
        source_row INTEGER)""")
    for (pid, period, cc, cp, cp_id, desc, lt, amount, fs, sl, place, scheme, src, row) in LEDGER:
        con.execute("INSERT INTO fct_ledger VALUES (?,?,?,?,NULL,?,?,?,?,NULL,?,NULL,?,?,?,NULL,?,?,?,?,?,?,?)",
                    [f"{pid}.{period}.v1", pid, names[pid], kinds.get(pid, "vcse"), place, period, _fy(period),
                     _fy_month(period), cc, cp, cp_id, desc, D(amount), fs, sl, lt, scheme, src, row])
    con.execute("""CREATE TABLE fct_mh_ledger (load_id VARCHAR, source_file VARCHAR, source_row INTEGER,
        partner_id VARCHAR, partner_name VARCHAR, partner_kind VARCHAR, ics_id VARCHAR, place_id VARCHAR,
        period VARCHAR, fy VARCHAR, cost_centre VARCHAR, counterparty VARCHAR, counterparty_partner_id VARCHAR,
        description VARCHAR, service_line VARCHAR, in_mhis BOOLEAN, funding_stream VARCHAR, line_type VARCHAR,
        amount DECIMAL(18,2), is_eliminated BOOLEAN)""")
    for (pid, period, cc, cp, cp_id, desc, lt, amount, fs, sl, place, elim, mhis, src, row) in MH_LEDGER:
        con.execute("INSERT INTO fct_mh_ledger VALUES (?,?,?,?,?,?,NULL,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [f"{pid}.{period}.v1", src, row, pid, names[pid], kinds.get(pid, "local_authority"), place,
                     period, _fy(period), cc, cp, cp_id, desc, sl, mhis, fs, lt, D(amount), elim])
    # The flag register, built by the project's own SQL and decisions logic from the rows above.
    from workbench.flags import DecisionsFile, build_register
    from warehouse.sql_files import run_sql
    con.execute("CREATE TABLE IF NOT EXISTS dim_partner (partner_id VARCHAR, ics_id VARCHAR)")
    con.execute("CREATE TABLE IF NOT EXISTS ref_places (place_id VARCHAR, place_name VARCHAR, ics_id VARCHAR, ics_name VARCHAR)")
    run_sql(con, "reports/rpt_flags")
    build_register(con, DecisionsFile(), dt.date(2025, 7, 15))

@pytest.fixture
def con():
    c = duckdb.connect(":memory:")
    make_warehouse(c)
    yield c
    c.close()


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    """The board pack and the HTML site a module's tests read, built once a module from a warehouse made as
    `con` makes it, and copied (bytes and times) for each test that asks: a test may write to its copy, and
    opens the pack itself (openpyxl adds a cell wherever a reader asks for one, so a workbook shared
    between tests would let one test change what the next sees).
    built_once.pack(run_id, to) and built_once.site(run_id, to) return the copy, at `to`."""
    import shutil

    from reports.excel_pack import build_board_pack
    from reports.html_site import build_html_site

    warehouse = duckdb.connect(":memory:")
    make_warehouse(warehouse)
    built: dict[tuple[str, str], object] = {}

    class BuiltOnce:
        @staticmethod
        def pack(run_id: str, to):
            if ("pack", run_id) not in built:
                built["pack", run_id] = build_board_pack(
                    warehouse, PERIOD, tmp_path_factory.mktemp("pack") / "pack.xlsx", run_id=run_id)
            to.parent.mkdir(parents=True, exist_ok=True)
            return shutil.copy2(built["pack", run_id], to)

        @staticmethod
        def site(run_id: str, to):
            if ("site", run_id) not in built:
                folder = tmp_path_factory.mktemp("site") / "site"
                index = build_html_site(warehouse, PERIOD, folder, run_id=run_id)
                assert index == folder / "index.html"
                built["site", run_id] = folder
            return shutil.copytree(built["site", run_id], to, copy_function=shutil.copy2)

    yield BuiltOnce
    warehouse.close()


@pytest.fixture
def fx():
    """The fixture's constants (PERIOD, EXPECTED, the hostile names ...) for the tests.

    Handed over as a fixture, not imported, so the tests do not depend on whether
    tests/ is a package (a tests/reports package would shadow the real `reports`)."""
    import types
    # globals() of this module (not sys.modules["conftest"], which other conftests share)
    return types.SimpleNamespace(**{k: v for k, v in globals().items() if k.isupper()})
