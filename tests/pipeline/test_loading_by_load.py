"""fct_mh_ledger kept up to date by load (warehouse/by_load.py) equals the model rebuilt whole from
its SQL, row for row, after each change a run can bring: a late file, a resubmission replacing a
load, a blocked resubmission, a change of reference data (every period staged again), and a
warehouse without change markers. So do the rpt_ tables kept by partner-year (warehouse/
by_partner_year.py) and dq_repeat_payments, kept by load too, equal their SQL files run whole. After each, the ledgers' change markers (warehouse/
change_markers.py) equal what their rows say, and the published copy equals the warehouse."""
import shutil
from contextlib import contextmanager

import duckdb
import pytest

from tests.pipeline import loading_helpers as h
from tests.pipeline.conftest import query
from warehouse import by_load, by_partner_year, change_markers, fingerprints, keys_by_load
from warehouse.report_settings import report_params
from warehouse.settings import Paths
from warehouse.sql_files import run_sql

pytestmark = pytest.mark.slow  # whole pipeline runs on a data home
# Runs here leave the board packs and site out (reports=False): the tests read the warehouse, and the
# report job is half a small home's run.

LATE = "inbox/nw_icb/NHS North Weald ICB spend over 25k - June 2025.csv"


@contextmanager
def warehouse_copy(home, tmp_path):
    """A connection to a copy of the home's warehouse, deleted afterwards."""
    warehouse = Paths(home).warehouse
    copy = tmp_path / "whole_rebuild.duckdb"
    shutil.copyfile(warehouse, copy)
    if warehouse.with_name(warehouse.name + ".wal").exists():
        shutil.copyfile(warehouse.with_name(warehouse.name + ".wal"), copy.with_name(copy.name + ".wal"))
    con = duckdb.connect(str(copy))
    try:
        yield con
    finally:
        con.close()
        copy.unlink()
        copy.with_name(copy.name + ".wal").unlink(missing_ok=True)


def full_rebuild_differences(home, tmp_path) -> tuple[int, int, int]:
    """(rows only in the kept table, rows only in a full rebuild, rows) on a copy of the warehouse,
    where the model's SQL file is run whole: the independent reference."""
    with warehouse_copy(home, tmp_path) as con:
        con.execute("CREATE TABLE kept AS SELECT * FROM fct_mh_ledger")
        run_sql(con, "marts/fct_mh_ledger")
        (only_kept,) = con.execute("SELECT count(*) FROM (FROM kept EXCEPT ALL FROM fct_mh_ledger)").fetchone()
        (only_full,) = con.execute("SELECT count(*) FROM (FROM fct_mh_ledger EXCEPT ALL FROM kept)").fetchone()
        (rows,) = con.execute("SELECT count(*) FROM fct_mh_ledger").fetchone()
    return only_kept, only_full, rows


# The other tables kept by key, with their SQL files: by partner-year (warehouse/by_partner_year.py) and
# by load besides fct_mh_ledger (warehouse/by_load.py; fct_mh_ledger is full_rebuild_differences').
KEPT_BY_KEY = {**{model: f"reports/{model}" for model in by_partner_year.PARTNER_YEAR_MODELS},
               **{model: by_load.sql_name(model) for model in by_load.KEPT_BY_LOAD - {by_load.MODEL}}}


def kept_unlike_whole(home, tmp_path) -> list[str]:
    """The other tables kept by key (KEPT_BY_KEY) that differ, row for row either way, from their SQL
    file run whole on a copy of the warehouse: the independent reference."""
    differ = []
    with warehouse_copy(home, tmp_path) as con:
        for model, sql in sorted(KEPT_BY_KEY.items()):
            con.execute(f"CREATE TABLE kept AS SELECT * FROM {model}")
            run_sql(con, sql, report_params())
            for a, b in (("kept", model), (model, "kept")):
                if con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchone()[0]:
                    differ.append(f"{model}: rows only in {a}")
            con.execute("DROP TABLE kept")
    return differ


def partner_years_built(home) -> set[str]:
    return {r[0] for r in query(home, "SELECT how FROM model_state WHERE list_contains($m, model)",
                                {"m": sorted(by_partner_year.PARTNER_YEAR_MODELS)})}


def markers_unlike_rows(home) -> list[str]:
    """The marked tables whose markers are missing or differ from each load's row count and hash
    sum read from its rows: a writer that changed a ledger without marking it."""
    con = duckdb.connect(str(Paths(home).warehouse), read_only=True)
    try:
        return [t for t in change_markers.MARKED if change_markers.loads(con, t) != {
            load: (n, content) for load, n, content in con.execute(
                f"SELECT load_id, count(*), sum(hash(t)::HUGEINT) FROM {t} t GROUP BY 1").fetchall()}]
    finally:
        con.close()


def published_unlike_warehouse(home) -> list[str]:
    """Each table of the warehouse against the published copy's, rows both ways (as EXCEPT ALL would
    count them), with source_file as the copy writes it (inside the inbox: relative to it). Each table's
    rows are read once: both sides' rows together, counted +1 in the warehouse and -1 in the copy, so a
    row whose count is not 0 is in one more often than in the other."""
    paths = Paths(home)
    inbox = str(paths.inbox).rstrip("/") + "/"
    con = duckdb.connect(str(paths.published), read_only=True)
    try:
        con.execute(f"ATTACH '{paths.warehouse}' AS wh (READ_ONLY)")
        names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh'"
                                           ).fetchall()}
        published = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                               "current_database()").fetchall()} - {"publish_info"}
        problems = [f"tables only in the warehouse or the copy: {sorted(names ^ published)}"] if names ^ published else []
        for name in sorted(names & published):
            columns = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = 'wh'"
                                                 " AND table_name = $t ORDER BY column_index", {"t": name}).fetchall()]
            select = "* REPLACE (replace(source_file, $inbox, '') AS source_file)" if "source_file" in columns else "*"
            params = {"inbox": inbox} if select != "*" else {}
            row = ", ".join(f'"{c}"' for c in columns)
            only_warehouse, only_copy = con.execute(
                "SELECT coalesce(sum(greatest(n, 0)), 0), coalesce(sum(greatest(-n, 0)), 0) FROM ("
                f" SELECT sum(_copies) AS n FROM (SELECT {select}, 1 AS _copies FROM wh.{name}"
                f" UNION ALL SELECT *, -1 FROM {name}) GROUP BY {row})", params).fetchone()
            problems += [f"{name}: {n} rows only in {where}" for n, where in (
                (only_warehouse, f"wh.{name}"), (only_copy, name)) if n]
    finally:
        con.close()
    return problems


def last_build(home) -> str:
    return query(home, "SELECT how FROM model_state WHERE model = 'fct_mh_ledger'")[0][0]


def keys_checked(home) -> dict[str, str]:
    """How each line model's keys_unique check last grouped its rows (warehouse/keys_by_load.py)."""
    return dict(query(home, "SELECT replace(model, ' keys_unique', ''), how FROM model_state"
                            " WHERE model LIKE '% keys_unique'"))


def mh_loads(home) -> set[str]:
    return {r[0] for r in query(home, "SELECT DISTINCT load_id FROM fct_mh_ledger")}


@pytest.mark.events_in_memory
def test_kept_by_load_it_equals_a_full_rebuild_after_every_change(small_home, runner, tmp_path, monkeypatch):
    # Where la_ashby's config makes a date outside the period block the month (set now: a change
    # of source config is a change of what staging reads, which rebuilds the model whole).
    h.set_checks(small_home, "la_ashby", "{dates_outside_period: error}")
    held_back = tmp_path / "late.csv"
    shutil.move(small_home / LATE, held_back)
    assert runner.run_all(progress=lambda _: None, reports=False).ok
    assert last_build(small_home) == "full: first build"
    only_kept, only_full, rows = full_rebuild_differences(small_home, tmp_path)
    assert (only_kept, only_full) == (0, 0) and rows > 0
    assert kept_unlike_whole(small_home, tmp_path) == []
    before = mh_loads(small_home)

    assert markers_unlike_rows(small_home) == [] and published_unlike_warehouse(small_home) == []

    # A late partner-month: its load's lines are inserted, nothing else is touched; no ledger-sized
    # table is read whole to find that out (neither by publish nor by the by-load build).
    read_whole = []
    hash_by_load, read, store = fingerprints.by_load, change_markers._read, change_markers._store
    monkeypatch.setattr(fingerprints, "by_load", lambda con, name, database: read_whole.append(name) or hash_by_load(
        con, name, database))
    monkeypatch.setattr(change_markers, "_read", lambda con, table, database, loads: (
        read_whole.append(table) if loads is None else None) or read(con, table, database, loads))
    monkeypatch.setattr(change_markers, "_store", lambda con, table, loads: (
        read_whole.append(table) if loads is None else None) or store(con, table, loads))
    shutil.copyfile(held_back, small_home / LATE)
    assert h.fresh(runner).run_all(progress=lambda _: None, reports=False).ok
    monkeypatch.undo()
    assert set(read_whole) & set(change_markers.MARKED) == set()
    assert last_build(small_home) == "by load"
    assert query(small_home, "SELECT how FROM model_state WHERE model = 'dq_repeat_payments'") == [("by load",)]
    assert partner_years_built(small_home) == {"by partner-year"}
    # fct_mh_ledger_by_recipient reads dim_counterparty, whose ledger totals any file changes
    assert keys_checked(small_home) == {model: "every row" if model == "fct_mh_ledger_by_recipient" else "by load"
                                        for model in keys_by_load.LINE_MODELS}
    assert len(mh_loads(small_home) - before) == 1 and before <= mh_loads(small_home)
    assert full_rebuild_differences(small_home, tmp_path)[:2] == (0, 0)
    assert kept_unlike_whole(small_home, tmp_path) == []
    assert markers_unlike_rows(small_home) == [] and published_unlike_warehouse(small_home) == []

    # A resubmission replaces la_ashby's June: the old load's rows go, the new one's come in.
    source = (small_home / h.LA_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    h.send(small_home, "Spend_over_500_2025-06_v2.csv", source[:-3], 1)  # three lines fewer
    replaced = mh_loads(small_home)
    assert h.fresh(runner).run_all(progress=lambda _: None, reports=False).ok
    assert last_build(small_home) == "by load"
    assert len(replaced - mh_loads(small_home)) == 1 and len(mh_loads(small_home) - replaced) == 1
    assert full_rebuild_differences(small_home, tmp_path)[:2] == (0, 0)
    assert kept_unlike_whole(small_home, tmp_path) == []
    assert markers_unlike_rows(small_home) == [] and published_unlike_warehouse(small_home) == []

    # A blocked resubmission is rejected: the month keeps its last good load.
    kept = mh_loads(small_home)
    h.send(small_home, "Spend_over_500_2025-06_v3.csv", h.next_month(source), 2)
    h.fresh(runner).run_all(progress=lambda _: None, reports=False)
    assert h.june_log(small_home)[-1] == ("Spend_over_500_2025-06_v3.csv", "rejected")
    assert last_build(small_home) == "by load"
    assert mh_loads(small_home) == kept
    assert full_rebuild_differences(small_home, tmp_path)[:2] == (0, 0)
    assert kept_unlike_whole(small_home, tmp_path) == []
    assert markers_unlike_rows(small_home) == [] and published_unlike_warehouse(small_home) == []

    # Reference data changes (a place renamed): the model is rebuilt whole.
    places = small_home / "reference" / "places.csv"
    places.write_text(places.read_text(encoding="utf-8").replace(",Ashby,", ",Ashby and District,"), encoding="utf-8")
    assert h.fresh(runner).run_all(progress=lambda _: None, reports=False).ok
    assert last_build(small_home) == "full: its SQL or reference data changed"
    assert set(keys_checked(small_home).values()) == {"every row"}  # ref_places is on the way to every line model
    assert query(small_home, "SELECT count(*) FROM fct_mh_ledger WHERE place_name = 'Ashby and District'")[0][0] > 0
    assert full_rebuild_differences(small_home, tmp_path)[:2] == (0, 0)
    assert kept_unlike_whole(small_home, tmp_path) == []
    assert markers_unlike_rows(small_home) == [] and published_unlike_warehouse(small_home) == []

    # A warehouse without change markers (made before them): the next run makes them from the rows,
    # and a corrected file still reaches fct_mh_ledger and the published copy.
    con = duckdb.connect(str(Paths(small_home).warehouse))
    con.execute(f"DROP TABLE {change_markers.TABLE}")
    con.close()
    h.send(small_home, "Spend_over_500_2025-06_v4.csv", source[:-5], 3)
    assert h.fresh(runner).run_all(progress=lambda _: None, reports=False).ok
    assert full_rebuild_differences(small_home, tmp_path)[:2] == (0, 0)
    assert kept_unlike_whole(small_home, tmp_path) == []
    assert markers_unlike_rows(small_home) == [] and published_unlike_warehouse(small_home) == []
