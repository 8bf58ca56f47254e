"""sql_runner on its own: hand-counted outcomes, partition filters, quoting and binding."""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl
import pytest

from assets.quality.gx_runner import SuiteError
from assets.quality.sql_runner import quote_ident, quote_table, validate_relation
from quality_fixtures import DIRTY_EXPECTED, DIRTY_SAMPLES, EXPECTATIONS, STG_LEDGER


@pytest.fixture
def db():
    connection = duckdb.connect()
    yield connection
    connection.close()


def _counts(outcome):
    return [(o.expectation_type, o.column, o.success, o.unexpected_count) for o in outcome.outcomes]


def test_dirty_ledger_hand_counts_on_a_table(db, dirty_ledger, ledger_params):
    # as the pipeline stores it: a real table with DECIMAL(18,2) and DATE columns
    db.register("frame", dirty_ledger)
    db.execute("CREATE TABLE stg_ledger AS SELECT * FROM frame")
    types = {r[0]: r[1] for r in db.execute("DESCRIBE stg_ledger").fetchall()}
    assert (types["amount"], types["posting_date"]) == ("DECIMAL(18,2)", "DATE")
    outcome = validate_relation(db, "stg_ledger", STG_LEDGER, ledger_params)
    assert _counts(outcome) == DIRTY_EXPECTED
    assert all(o.element_count == 20 for o in outcome.outcomes)
    assert not any(o.errored for o in outcome.outcomes)
    by_col = {o.column: o for o in outcome.outcomes if o.expectation_type != "expect_column_values_to_not_be_null"}
    for column, sample in DIRTY_SAMPLES.items():
        assert sorted(by_col[column].unexpected_sample) == sample
    assert not outcome.passed
    assert len(outcome.error_failures) == 17 and len(outcome.warn_failures) == 1
    assert outcome.warn_failures[0].unexpected_sample == [
        {"counterparty": "Beta Care", "cost_centre": "CC200", "expense_type": "5001", "amount": "250.50", "posting_date": "2024-04-15"}] * 2
    json.dumps(outcome.to_dict())  # JSON-serialisable all the way down


def test_clean_ledger_passes(db, clean_ledger, ledger_params):
    db.register("clean", clean_ledger)
    outcome = validate_relation(db, "clean", STG_LEDGER, ledger_params)
    assert outcome.passed and not outcome.warn_failures
    assert all(o.success and o.unexpected_count == 0 and not o.errored for o in outcome.outcomes)


def test_where_filters_one_partition(db, dirty_ledger, clean_ledger, ledger_params):
    both = pl.concat([dirty_ledger, clean_ledger.with_columns(load_id=pl.lit("other-load"))])
    db.register("both", both)
    clean = validate_relation(db, "both", STG_LEDGER, ledger_params, where="load_id = ?",
                              where_params=["other-load"])
    assert clean.passed and clean.outcomes[0].element_count == 10
    dirty = validate_relation(db, "both", STG_LEDGER, ledger_params, where="load_id = ? AND partner_id = ?",
                              where_params=["wfmh-2024-04-1", "wfmh"])
    assert [o.unexpected_count for o in dirty.outcomes][10:] == [2, 2, 1, 2, 2, 2, 3, 2, 2]
    with pytest.raises(ValueError, match="without a where"):
        validate_relation(db, "both", STG_LEDGER, ledger_params, where_params=["x"])
    with pytest.raises(ValueError, match="no ';'"):
        validate_relation(db, "both", STG_LEDGER, ledger_params, where="TRUE; DROP TABLE both")


def test_values_are_bound_never_formatted(db, tmp_path):
    db.execute("CREATE TABLE t (a VARCHAR)")
    db.execute("INSERT INTO t VALUES ('x'), ('it''s'), ('y')")
    evil = "'); DROP TABLE t; --"
    suite = tmp_path / "s.json"
    suite.write_text(json.dumps({"name": "s", "meta": {"parameters": {"ok": "values"}}, "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a", "value_set": {"$PARAMETER": "ok"}},
         "meta": {"severity": "ERROR", "description": "Only the agreed values"}}]}))
    outcome = validate_relation(db, "t", suite, {"ok": ["x", "it's", evil]})
    assert outcome.outcomes[0].unexpected_sample == ["y"]
    assert db.execute("SELECT count(*) FROM t").fetchone() == (3,)


def test_identifiers_are_checked():
    assert quote_ident("stg_ledger") == '"stg_ledger"'
    assert quote_table("main.stg_ledger") == '"main"."stg_ledger"'
    for bad in ['a"b', "a b", "a;b", "", "é", "a\n"]:
        with pytest.raises(ValueError, match="identifier"):
            quote_ident(bad)
    with pytest.raises(ValueError):
        quote_table("a.b.c.d")


def test_bad_table_name_is_refused(db, ledger_params):
    with pytest.raises(ValueError, match="identifier"):
        validate_relation(db, "stg_ledger; DROP TABLE x", STG_LEDGER, ledger_params)


def test_missing_parameter_is_a_clear_error(db, clean_ledger):
    db.register("clean", clean_ledger)
    with pytest.raises(SuiteError, match="stg_ledger.json: suite parameter.*known_cost_centres"):
        validate_relation(db, "clean", STG_LEDGER, {"period_start": dt.date(2024, 4, 1),
                                                   "period_end": dt.date(2024, 4, 30),
                                                   "known_service_lines": []})


def test_reference_suites_run(db):
    db.execute("""CREATE TABLE ref_contracts AS SELECT * FROM (VALUES
        ('C1', 'nw_icb', 'wfmh', NULL, 'crisis', 'block', 100.00::DECIMAL(18,2), DATE '2024-04-01', DATE '2025-03-31', 'recurrent'),
        ('C1', 'nw_icb', 'wfmh', NULL, 'crisis', 'blok',    0.00::DECIMAL(18,2), DATE '2024-04-01', DATE '2024-03-31', 'recurrent'),
        ('C3', 'nw_icb', 'wfmh', NULL, 'crisis', 'spot',    1.00::DECIMAL(18,2), DATE '2024-04-01', NULL,             'sdf')
        ) v(contract_id, commissioner_id, provider_id, parent_contract_id, service_line, contract_type,
            annual_value, start_date, end_date, funding_stream)""")
    outcome = validate_relation(db, "ref_contracts", EXPECTATIONS / "ref_contracts.json")
    failed = {(o.expectation_type, o.column): o.unexpected_count for o in outcome.outcomes if not o.success}
    assert failed == {
        ("expect_column_values_to_be_unique", "contract_id"): 2,
        ("expect_column_values_to_be_between", "annual_value"): 1,   # 0.00 is not > 0
        ("expect_column_values_to_be_in_set", "contract_type"): 1,
        ("expect_column_pair_values_a_to_be_greater_than_b", "end_date,start_date"): 1,  # open end: ignored
    }
    pair = next(o for o in outcome.outcomes if o.column == "end_date,start_date")
    assert pair.unexpected_sample == [["2024-03-31", "2024-04-01"]]

    db.execute("""CREATE TABLE ref_cost_centre_map AS SELECT * FROM (VALUES
        ('wfmh', 'CC1', 'crisis', 'expenditure', 'recurrent'),
        ('wfmh', 'CC1', 'crisis', 'income', NULL),
        ('haven', 'CC1', NULL, 'Expenditure', 'grant')
        ) v(partner_id, cost_centre, service_line, line_type, funding_stream)""")
    outcome = validate_relation(db, "ref_cost_centre_map", EXPECTATIONS / "ref_cost_centre_map.json")
    failed = {(o.expectation_type, o.column): o.unexpected_count for o in outcome.outcomes if not o.success}
    assert failed == {
        ("expect_compound_columns_to_be_unique", "partner_id,cost_centre"): 2,
        ("expect_column_values_to_not_be_null", "service_line"): 1,
        ("expect_column_values_to_be_in_set", "line_type"): 1,
    }


def test_decimal_bounds_compare_exactly(db, tmp_path):
    """A money column against a bound with more decimals than the column: compared as exact
    values (as GE does with Decimal on pandas), never through a rounded double."""
    db.execute("CREATE TABLE m (v DECIMAL(18,2))")
    db.execute("INSERT INTO m VALUES (0.10), (0.11), (0.29), (0.30), (NULL)")
    suite = tmp_path / "s.json"
    suite.write_text(json.dumps({"name": "s", "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "v", "min_value": 0.1, "max_value": 0.3},
         "meta": {"severity": "ERROR", "description": "Values within the range"}}]}))
    # the float 0.1 is 0.1000000000000000055..., 0.3 is 0.2999999999999999888...
    outcome = validate_relation(db, "m", suite).outcomes[0]
    assert (outcome.unexpected_count, sorted(outcome.unexpected_sample)) == (2, ["0.10", "0.30"])


def test_one_failing_sql_expectation_does_not_hide_the_others(db, tmp_path):
    """An expectation whose SQL DuckDB rejects is errored; the rest are still evaluated
    (they normally share one aggregate query)."""
    db.execute("CREATE TABLE t AS SELECT * FROM (VALUES ([1, 2], 'a'), ([3], NULL)) v(l, a)")
    suite = tmp_path / "s.json"
    suite.write_text(json.dumps({"name": "s", "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "l", "min_value": 1},
         "meta": {"severity": "WARN", "description": "A list compared with a number"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"},
         "meta": {"severity": "ERROR", "description": "Every row has an a"}}]}))
    between, not_null = validate_relation(db, "t", suite).outcomes
    assert (between.errored, between.success) == (True, False)
    assert "Error" in between.error_message
    assert (not_null.errored, not_null.success, not_null.unexpected_count) == (False, False, 1)
