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


def make_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE TABLE rpt_mh_spend (ics_id VARCHAR, partner_id VARCHAR, partner_name VARCHAR,
            partner_kind VARCHAR, service_line VARCHAR, funding_stream VARCHAR, period VARCHAR,
            fy VARCHAR, fy_month INTEGER, spend DECIMAL(38,2), ledger_lines BIGINT,
            ytd_spend DECIMAL(38,2))""")
    for pid, sl, fs, period, spend in SPEND:
        name, kind, ics = PARTNERS[pid]
        y, m = int(period[:4]), int(period[5:])
        start = y if m >= 4 else y - 1
        fy = f"{start}-{(start + 1) % 100:02d}"
        con.execute("INSERT INTO rpt_mh_spend VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL)",
                    [ics, pid, name, kind, sl, fs, period, fy, (m - 4) % 12 + 1, Decimal(spend), 3])
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
    for (lid, pid, period, src, r_read, r_loaded, r_q, status, at, dq, errs, warns) in LOADS:
        con.execute("INSERT INTO load_log VALUES (?,?,?,?,'x',1,NULL,?,?,?,0,?,NULL,?,'r1')",
                    [lid, pid, period, src, r_read, r_loaded, r_q, status, at])
        if status == "current":
            con.execute("INSERT INTO dq_load_status VALUES (?,?,?,?,?,?,?)",
                        [lid, pid, period, src, dq, errs, warns])
    make_quality_tables(con)


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
    ("wfmh", "2025-06", "Every posting date is inside the submitted month", "ERROR", 1, "[\"2025-07-02\"]"),
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


@pytest.fixture
def con():
    c = duckdb.connect(":memory:")
    make_warehouse(c)
    yield c
    c.close()


@pytest.fixture
def fx():
    """The fixture's constants (PERIOD, EXPECTED, the hostile names ...) for the tests.

    Handed over as a fixture, not imported, so the tests do not depend on whether
    tests/ is a package (a tests/reports package would shadow the real `reports`)."""
    import types
    # globals() of this module (not sys.modules["conftest"], which other conftests share)
    return types.SimpleNamespace(**{k: v for k, v in globals().items() if k.isupper()})
