"""The models reading only fct_ledger's months take them from the change markers
(warehouse/ledger_months.py), on a copy of the demo warehouse: the months equal the view's own
(`SELECT DISTINCT period FROM fct_ledger`, the independent reference) with a month withdrawn and
a passed load that staged no line, and each model equals its SQL file run whole, row for row both
ways and column for column, with the markers trusted and with them not (a lake, an old warehouse)."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from warehouse import change_markers, ledger_months
from warehouse.model_graph import model_graph
from warehouse.report_settings import report_params
from warehouse.sql_files import execute, sql_text, statements, transaction

MODELS = sorted(ledger_months.MONTHS_READERS)


@pytest.fixture
def con(demo_home, tmp_path):
    """A copy of the demo warehouse (the tests change it)."""
    with duckdb.connect(shutil.copy(demo_home / "warehouse" / "openbook.duckdb", tmp_path)) as connection:
        yield connection


def view_months(con) -> list[str]:
    return [period for (period,) in con.execute("SELECT DISTINCT period FROM fct_ledger ORDER BY 1").fetchall()]


def withdraw_latest_month(con) -> str:
    """Every load of the latest month blocked: a month fewer reported (the months are not constant)."""
    latest = view_months(con)[-1]
    con.execute("UPDATE dq_load_status SET status = 'blocked' WHERE load_id IN "
                "(SELECT load_id FROM load_log WHERE period = $p)", {"p": latest})
    return latest


def add_passed_load_without_lines(con) -> None:
    """A passed load of a month no line is in (an empty file): not a month reported."""
    con.execute("INSERT INTO load_log BY NAME SELECT 'empty-load' AS load_id, 'nowhere' AS partner_id, "
                "'2031-01' AS period, 'empty.csv' AS source_file, '0' AS sha256, 'current' AS status, "
                "now() AS loaded_at")
    con.execute("INSERT INTO dq_load_status BY NAME SELECT 'empty-load' AS load_id, 'passed' AS status")


def differences(con, model: str) -> tuple[int, int, int, bool]:
    """(rows only in the built table, rows only in its SQL run whole, rows of the whole run, same column types)."""
    for statement in statements(sql_text(model_graph().models[model].sql_name)):
        execute(con, statement.replace(f"CREATE OR REPLACE TABLE {model} AS", "CREATE OR REPLACE TEMP TABLE whole AS"),
                report_params())
    (only_built,) = con.execute(f"SELECT count(*) FROM (FROM {model} EXCEPT ALL FROM whole)").fetchone()
    (only_whole,) = con.execute(f"SELECT count(*) FROM (FROM whole EXCEPT ALL FROM {model})").fetchone()
    (rows,) = con.execute("SELECT count(*) FROM whole").fetchone()
    types = [con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = $t "
                         "ORDER BY column_index", {"t": table}).fetchall() for table in (model, "whole")]
    return only_built, only_whole, rows, types[0] == types[1]


def build_all(con) -> set[str]:
    """Every reader built; where each took its months from."""
    found = set()
    for model in MODELS:
        with transaction(con):
            found.add(ledger_months.build(con, model, report_params()))
        only_built, only_whole, rows, same_types = differences(con, model)
        assert (only_built, only_whole, same_types) == (0, 0, True) and rows > 0, model
    return found


def test_the_months_from_the_markers_are_the_ledgers(con):
    assert ledger_months.months(con) == view_months(con)
    latest = withdraw_latest_month(con)
    add_passed_load_without_lines(con)
    assert latest not in view_months(con) and "2031-01" not in view_months(con)
    assert ledger_months.months(con) == view_months(con)


def test_the_months_are_not_taken_from_markers_that_cannot_be_trusted(con, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(change_markers, "kept", lambda con: False)  # a lake
        assert ledger_months.months(con) is None
    assert ledger_months.months(con) == view_months(con)
    con.execute(f"DELETE FROM {change_markers.TABLE} WHERE table_name = 'stg_ledger'")  # an old warehouse
    assert ledger_months.months(con) is None


def test_each_reader_equals_its_sql_run_whole_with_the_markers_and_without(con, monkeypatch):
    assert build_all(con) == {"change markers"}
    withdraw_latest_month(con)
    add_passed_load_without_lines(con)
    assert build_all(con) == {"change markers"}
    monkeypatch.setattr(change_markers, "kept", lambda con: False)  # a lake: the view is read
    assert build_all(con) == {"fct_ledger (change markers not trusted)"}
