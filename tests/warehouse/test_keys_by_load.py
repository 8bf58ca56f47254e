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
from warehouse.line_models import line_models
from warehouse.model_graph import model_graph
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


def test_the_line_models_listed_are_those_their_sql_makes_line_by_line():
    """keys_by_load.LINE_MODELS is written by hand; the SQL of every model reading the ledger says
    which models are made line by line (warehouse/line_models.py), and the two must agree."""
    found = line_models(model_graph())
    made_line_by_line = {name for name, problems in found.items() if not problems}
    assert made_line_by_line == keys_by_load.LINE_MODELS, {
        name: found.get(name, ["reads no ledger lines"])
        for name in made_line_by_line ^ keys_by_load.LINE_MODELS}


LINE_HEADER = "-- {name}: a model over the lines\n-- Grain: one row per line\n-- Keys: {keys}\n"


@pytest.mark.parametrize("sql, keys, why", [
    ("SELECT s.load_id, s.source_row, p.name FROM stg_ledger s LEFT JOIN ref_a p ON p.k = s.k", "load_id, source_row",
     None),
    ("WITH l AS (SELECT * FROM stg_ledger WHERE amount > 0) SELECT l.*, g.level FROM l "
     "JOIN (VALUES ('ics'), ('place')) g(level) ON true", "load_id, source_row, level", None),
    ("SELECT load_id, source_row FROM stg_ledger", "source_row", "its keys do not include load_id"),
    ("SELECT load_id, period, sum(amount) AS amount FROM stg_ledger GROUP BY ALL", "load_id, period", "groups lines"),
    ("SELECT load_id, source_row, sum(amount) OVER (PARTITION BY period) FROM stg_ledger", "load_id, source_row",
     "windows over lines"),
    ("SELECT DISTINCT load_id, period FROM stg_ledger", "load_id, period", "takes DISTINCT lines"),
    ("SELECT a.load_id, a.source_row FROM stg_ledger a JOIN stg_ledger b ON b.period = a.period",
     "load_id, source_row", "joins lines to lines"),
    ("WITH l AS (SELECT * FROM stg_ledger) SELECT a.load_id, a.source_row FROM l a, l b", "load_id, source_row",
     "reads the lines of l 2 times"),
    ("SELECT load_id, source_row FROM stg_ledger s WHERE amount > (SELECT avg(amount) FROM stg_ledger)",
     "load_id, source_row", "reads lines in a subquery of an expression"),
    ("SELECT load_id, source_row FROM stg_ledger UNION ALL SELECT load_id, source_row FROM stg_ledger",
     "load_id, source_row", "a UNION over lines"),
])
def test_a_model_grouping_windowing_or_joining_lines_is_not_a_line_model(tmp_path, sql, keys, why):
    """A model reading the lines of fct_new, itself made line by line from stg_ledger, is found
    (or not, and why) from its SQL alone: a new line model cannot join the list unseen, nor a
    grouping one join it wrongly."""
    sql_dir = tmp_path / "sql"
    (sql_dir / "staging").mkdir(parents=True)
    (sql_dir / "staging" / "ref_a.sql").write_text("-- ref_a: reference\nCREATE TABLE ref_a AS SELECT 1 AS k;\n")
    (sql_dir / "marts").mkdir()
    (sql_dir / "reports").mkdir()
    (sql_dir / "marts" / "fct_new.sql").write_text(
        LINE_HEADER.format(name="fct_new", keys="load_id, source_row")
        + "CREATE OR REPLACE VIEW fct_new AS SELECT * FROM stg_ledger;\n")
    (sql_dir / "marts" / "fct_over_new.sql").write_text(
        LINE_HEADER.format(name="fct_over_new", keys=keys)
        + f"CREATE OR REPLACE VIEW fct_over_new AS {sql.replace('stg_ledger', 'fct_new')};\n")
    found = line_models(model_graph.__wrapped__(sql_dir))
    assert found["fct_new"] == []
    if why is None:
        assert found["fct_over_new"] == []
    else:
        assert why in found["fct_over_new"]
