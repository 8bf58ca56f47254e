"""The checks on marts and rpt_ tables (assets/model_checks.py) on a warehouse built by hand:
each passes on figures that reconcile and fails on a penny out, a dropped line or a repeated key."""

import duckdb
import pytest

from assets.model_checks import KEYS_UNIQUE, NOT_EMPTY, RECONCILIATIONS
from warehouse.sql_docs import ModelDoc


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE TABLE load_log (load_id VARCHAR, status VARCHAR)")
    con.execute("INSERT INTO load_log VALUES ('a.v1', 'superseded'), ('a.v2', 'current'), ('b.v1', 'current'), "
                "('c.v1', 'current')")
    # a.v2 passed; b.v1 failed an ERROR check; c.v1 has no check results yet (unchecked)
    con.execute("CREATE TABLE dq_results (load_id VARCHAR, severity VARCHAR, passed BOOLEAN)")
    con.execute("INSERT INTO dq_results VALUES ('a.v2', 'ERROR', true), ('a.v2', 'WARN', false), "
                "('b.v1', 'ERROR', false), ('b.v1', 'ERROR', true)")
    con.execute("CREATE TABLE stg_ledger (load_id VARCHAR, amount DECIMAL(18,2), line_type VARCHAR, service_line VARCHAR)")
    con.execute("INSERT INTO stg_ledger VALUES "
                "('a.v1', 999.00, 'expenditure', 'crisis'),"   # superseded: not in the figures
                "('a.v2', 100.10, 'expenditure', 'crisis'), ('a.v2', 50.05, 'expenditure', 'estates'),"
                "('a.v2', -20.00, 'income', 'crisis'), ('a.v2', 30.00, 'expenditure', 'crisis'),"
                "('b.v1', 7.00, 'expenditure', 'crisis'), ('c.v1', 8.00, 'expenditure', 'crisis')")
    con.execute("CREATE TABLE ref_service_lines (service_line VARCHAR, mental_health BOOLEAN)")
    con.execute("INSERT INTO ref_service_lines VALUES ('crisis', true), ('estates', false)")
    # By hand: fct_ledger = a.v2's four lines, 160.15; mental-health expenditure 130.10, of which 30.00 eliminated.
    con.execute("CREATE TABLE fct_ledger AS SELECT * FROM stg_ledger WHERE load_id = 'a.v2'")
    con.execute("CREATE TABLE fct_mh_ledger (eliminated_spend DECIMAL(18,2))")
    con.execute("INSERT INTO fct_mh_ledger VALUES (0), (0), (30.00)")
    con.execute("CREATE TABLE rpt_open_book (k VARCHAR, gross_spend DECIMAL(18,2), eliminated_spend DECIMAL(18,2), "
                "net_spend DECIMAL(18,2))")
    con.execute("INSERT INTO rpt_open_book VALUES ('x', 100.10, 0, 100.10), ('y', 30.00, 30.00, 0)")
    return con


DOC = ModelDoc(table="t", description="", keys=["k"])


def _check(table, name):
    return next(c for c in RECONCILIATIONS[table] if c.name == name)


def test_fct_ledger_reconciles_to_the_passed_staged_lines(con):
    check = _check("fct_ledger", "reconciles_to_staged")
    passed, meta = check.evaluate(con, "fct_ledger", DOC)
    assert passed and meta["fct_amount"] == "160.15"
    con.execute("DELETE FROM fct_ledger WHERE amount = 30.00")  # a line lost on the way
    assert not check.evaluate(con, "fct_ledger", DOC)[0]
    con.execute("INSERT INTO fct_ledger VALUES ('a.v2', 30.01, 'expenditure', 'crisis')")  # a penny out
    assert not check.evaluate(con, "fct_ledger", DOC)[0]


def test_open_book_net_equals_staged_minus_eliminations(con):
    check = _check("rpt_open_book", "net_equals_staged_minus_eliminations")
    passed, meta = check.evaluate(con, "rpt_open_book", DOC)
    assert passed and meta["expected_net"] == "100.10"
    con.execute("UPDATE rpt_open_book SET net_spend = net_spend + 0.01 WHERE k = 'x'")
    assert not check.evaluate(con, "rpt_open_book", DOC)[0]
    con.execute("UPDATE rpt_open_book SET net_spend = 100.10, gross_spend = 107.10 WHERE k = 'x'")
    assert not check.evaluate(con, "rpt_open_book", DOC)[0]  # the blocked submission's 7.00 counted


def test_keys_unique_and_not_empty(con):
    assert KEYS_UNIQUE.evaluate(con, "rpt_open_book", DOC)[0]
    con.execute("INSERT INTO rpt_open_book VALUES ('x', 0, 0, 0)")
    passed, meta = KEYS_UNIQUE.evaluate(con, "rpt_open_book", DOC)
    assert not passed and meta["duplicated_keys"].value == 1
    assert NOT_EMPTY.evaluate(con, "rpt_open_book", DOC)[0]
    con.execute("DELETE FROM rpt_open_book")
    assert not NOT_EMPTY.evaluate(con, "rpt_open_book", DOC)[0]
    con.execute("UPDATE dq_results SET passed = false WHERE load_id = 'a.v2'")  # nothing passed: empty is right
    assert NOT_EMPTY.evaluate(con, "rpt_open_book", DOC)[0]


def test_keys_unique_counts_every_repeated_key_and_shows_the_five_most_repeated():
    con = duckdb.connect()
    # By hand: keys 1..7 repeated (key k appears k + 1 times), keys 8 and 9 once: seven repeated
    # keys; the five most repeated are 7, 6, 5, 4, 3 (8, 7, 6, 5, 4 rows).
    con.execute("CREATE TABLE t AS SELECT k FROM range(1, 8) r(k), range(0, 8) c(i) WHERE i <= k "
                "UNION ALL SELECT * FROM (VALUES (8), (9))")
    passed, meta = KEYS_UNIQUE.evaluate(con, "t", DOC)
    assert not passed and meta["duplicated_keys"].value == 7
    assert meta["examples"].value.splitlines() == [f"- ({k},): {k + 1} rows" for k in (7, 6, 5, 4, 3)]
    con.execute("DELETE FROM t WHERE k < 8")
    passed, meta = KEYS_UNIQUE.evaluate(con, "t", DOC)
    assert passed and meta["duplicated_keys"].value == 0 and "examples" not in meta
