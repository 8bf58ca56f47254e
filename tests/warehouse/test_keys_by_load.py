"""The line models' keys_unique check by load (warehouse/keys_by_load.py), on a copy of the demo
warehouse: after a change to one load only that load's rows are grouped, and the check still finds
every repeated key a grouping of every row finds (the independent figure), whether the repeat
comes with a changed load, a write that did not mark its load, or a change of a table read on the
way that repeats keys in loads that did not change."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from assets.model_checks import KEYS_UNIQUE
from assets.warehouse_assets import DOCS
from warehouse import change_markers, keys_by_load
from warehouse.sql_files import transaction


@pytest.fixture
def con(demo_home, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_home / "warehouse" / "openbook.duckdb", copy)
    con = duckdb.connect(str(copy))
    con.execute("DELETE FROM model_state WHERE model LIKE '% keys_unique'")  # as before any check by load
    yield con
    con.close()


def check(con, model: str) -> tuple[bool, int, str]:
    passed, meta = KEYS_UNIQUE.evaluate(con, model, DOCS[model])
    return passed, meta["duplicated_keys"].value, meta["loads_grouped"]


def repeated_keys(con, model: str) -> int:
    """Keys shared by two rows, every row grouped: what the check must find."""
    keys = ", ".join(DOCS[model].keys)
    return con.execute(f"SELECT count(*) FROM (SELECT {keys} FROM {model} GROUP BY ALL HAVING count(*) > 1)"
                       ).fetchone()[0]


def passed_loads(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT load_id FROM dq_load_status WHERE status = 'passed' ORDER BY 1").fetchall()]


def repeat_a_line(con, load_id: str, mark: bool) -> None:
    """One staged line of the load written twice, through the change markers or not."""
    sql = "INSERT INTO stg_ledger SELECT * FROM stg_ledger WHERE load_id = $l ORDER BY source_row LIMIT 1"
    if not mark:
        con.execute(sql, {"l": load_id})
        return
    with transaction(con), change_markers.writing(con, "stg_ledger") as touched:
        con.execute(sql, {"l": load_id})
        touched.loads([load_id])
    change_markers.settle(con, ["stg_ledger"])


def test_every_line_model_is_keyed_by_load():
    for model in keys_by_load.LINE_MODELS:
        assert "load_id" in DOCS[model].keys, model


def test_only_changed_loads_are_grouped_and_every_repeat_is_found(con):
    first, second = passed_loads(con)[:2]
    assert check(con, "fct_ledger") == (True, 0, "all")  # no check passed yet: every row
    assert check(con, "fct_ledger") == (True, 0, "0")    # nothing changed since

    # A changed load with a repeated line: only it is grouped, and its repeat is found.
    repeat_a_line(con, first, mark=True)
    assert repeated_keys(con, "fct_ledger") == 1
    assert check(con, "fct_ledger") == (False, 1, "1")
    # A failed check is not remembered: the next groups every row.
    assert check(con, "fct_ledger") == (False, 1, "all")
    with transaction(con), change_markers.writing(con, "stg_ledger") as touched:
        con.execute("DELETE FROM stg_ledger WHERE load_id = $l", {"l": first})
        touched.loads([first])
    assert check(con, "fct_ledger") == (True, 0, "all")

    # A write that did not mark its load: the markers are made again from the rows, and the
    # load whose lines changed is grouped.
    repeat_a_line(con, second, mark=False)
    assert check(con, "fct_ledger") == (False, repeated_keys(con, "fct_ledger"), "1")


def test_a_change_on_the_way_groups_every_row_again(con):
    model = "fct_lead_provider_ledger"  # fct_ledger's lines joined to dim_partner and dim_service_line
    assert check(con, model) == (True, 0, "all")
    assert check(con, model) == (True, 0, "0")
    # A service line listed twice repeats the keys of lines in loads that did not change: a check
    # of the changed loads alone would miss them.
    (service_line,) = con.execute(f"SELECT service_line FROM {model} LIMIT 1").fetchone()
    con.execute("INSERT INTO dim_service_line SELECT * FROM dim_service_line WHERE service_line = $s",
                {"s": service_line})
    found = repeated_keys(con, model)
    assert found > 0
    assert check(con, model) == (False, found, "all")
