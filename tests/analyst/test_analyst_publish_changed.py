"""Publishing only what changed (analyst/publish.py): the last published copy with the changed
tables replaced is the copy a whole publish makes, table for table and row for row."""
from __future__ import annotations

import shutil
from decimal import Decimal

import duckdb

from analyst import publish as pub
from warehouse import change_markers, fingerprints
from warehouse.settings import Paths
from warehouse.sql_files import transaction

from analyst_helpers import make_warehouse, set_spend


def _warehouse(home):
    """The small warehouse plus what a real one has: a table with source_file (made relative when
    published), one with a primary key, a view and a macro."""
    make_warehouse(home)
    paths = Paths(home)
    con = duckdb.connect(str(paths.warehouse))
    try:
        con.execute("CREATE TABLE stg_lines AS SELECT * FROM (VALUES ($a, 1), ($b, 2)) t(source_file, n)",
                    {"a": str(paths.inbox / "haven" / "2025-06.csv"), "b": "/elsewhere/scenario.yaml"})
        con.execute("CREATE TABLE load_log (load_id VARCHAR PRIMARY KEY, source_file VARCHAR)")
        con.execute("INSERT INTO load_log VALUES ('l0', 'zero.csv'), ('l1', $f)", {"f": str(paths.inbox / "haven" / "2025-06.csv")})
        con.execute("CREATE MACRO twice(x) AS x * 2")
        con.execute("CREATE VIEW fct_lines AS SELECT *, twice(n) AS n2 FROM stg_lines")
    finally:
        con.close()
    return paths


def _write(paths, sql, params=None):
    con = duckdb.connect(str(paths.warehouse))
    try:
        con.execute(sql, params or {})
    finally:
        con.close()


def _same_as_a_whole_publish(paths, tmp_path) -> list[str]:
    """Differences between the published copy and a whole publish of the same warehouse."""
    kept = tmp_path / "kept.duckdb"
    shutil.copyfile(paths.published, kept)
    pub.publish(paths, run_id="whole", whole=True)
    con = duckdb.connect(str(paths.published), read_only=True)
    try:
        con.execute(f"ATTACH '{kept}' AS kept (READ_ONLY)")
        problems = []
        if fingerprints.catalog(con, "kept") != fingerprints.catalog(con, "openbook"):
            problems.append("catalog (definitions, comments)")
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'openbook'"
                                           " AND table_name <> 'publish_info' ORDER BY 1").fetchall()]
        for name in names:
            for a, b in (("openbook", "kept"), ("kept", "openbook")):
                (n,) = con.execute(f"SELECT count(*) FROM (FROM {a}.main.{name} EXCEPT ALL FROM {b}.main.{name})"
                                   ).fetchone()
                if n:
                    problems.append(f"{name}: {n} rows only in {a}")
    finally:
        con.close()
        kept.unlink()
    return problems


def test_only_the_tables_that_changed_are_copied_and_the_copy_equals_a_whole_publish(tmp_path):
    paths = _warehouse(tmp_path / "home")
    assert pub.publish(paths, run_id="first").replaced is None  # nothing published yet: a whole copy

    set_spend(paths.home, "250.00")
    info = pub.publish(paths, run_id="spend")
    assert info.replaced == ["rpt_spend"]
    assert _same_as_a_whole_publish(paths, tmp_path) == []

    _write(paths, "INSERT INTO stg_lines VALUES ($f, 3)", {"f": str(paths.inbox / "la_ashby" / "june.csv")})
    _write(paths, "DELETE FROM load_log WHERE load_id = 'l1'")  # load l0 stays as it was
    _write(paths, "INSERT INTO load_log VALUES ('l1', 'other.csv'), ('l2', 'more.csv')")
    assert pub.publish(paths, run_id="lines").replaced == ["load_log", "stg_lines"]
    assert _same_as_a_whole_publish(paths, tmp_path) == []
    con = duckdb.connect(str(paths.published), read_only=True)
    try:
        assert con.execute("SELECT source_file, n2 FROM fct_lines ORDER BY n").fetchall() == [
            ("haven/2025-06.csv", 2), ("/elsewhere/scenario.yaml", 4), ("la_ashby/june.csv", 6)]
    finally:
        con.close()

    assert pub.publish(paths, run_id="same").replaced == []  # nothing changed: only the stamp is new


def test_the_spare_brought_up_to_date_in_place_equals_a_whole_publish(tmp_path):
    """The copy before the last (the spare) holds two runs' changes: both are replaced in it."""
    paths = _warehouse(tmp_path / "home")
    pub.publish(paths, run_id="first")
    set_spend(paths.home, "250.00")
    assert pub.publish(paths, run_id="spend").from_spare is False  # the first copy becomes the spare
    _write(paths, "INSERT INTO stg_lines VALUES ($f, 3)", {"f": str(paths.inbox / "la_ashby" / "june.csv")})
    info = pub.publish(paths, run_id="lines")
    assert (info.from_spare, info.replaced) == (True, ["stg_lines"])  # changes since the last copy
    assert _same_as_a_whole_publish(paths, tmp_path) == []  # the spare's rpt_spend was brought up too
    con = duckdb.connect(str(paths.published), read_only=True)
    try:
        assert con.execute("SELECT source_file, n2 FROM fct_lines ORDER BY n").fetchall() == [
            ("haven/2025-06.csv", 2), ("/elsewhere/scenario.yaml", 4), ("la_ashby/june.csv", 6)]
        assert con.execute("SELECT DISTINCT spend FROM rpt_spend").fetchall() == [(Decimal("250.00"),)]
    finally:
        con.close()


def test_a_changed_catalog_publishes_the_whole_warehouse(tmp_path):
    paths = _warehouse(tmp_path / "home")
    pub.publish(paths, run_id="first")
    _write(paths, "COMMENT ON COLUMN rpt_spend.spend IS 'pounds, rounded'")
    assert pub.publish(paths, run_id="comment").replaced is None
    _write(paths, "CREATE TABLE rpt_new AS SELECT 1 AS k")
    assert pub.publish(paths, run_id="table").replaced is None
    _write(paths, "DROP TABLE rpt_new")
    assert pub.publish(paths, run_id="dropped").replaced is None
    assert pub.publish(paths, run_id="same").replaced == []


def _ledger_write(paths, sql, loads, params=None):
    """A write of raw_ledger as the pipeline's writers make it: rows and change markers together."""
    con = duckdb.connect(str(paths.warehouse))
    try:
        with transaction(con), change_markers.writing(con, "raw_ledger") as touched:
            con.execute(sql, params or {})
            touched.loads(loads)
    finally:
        con.close()


def test_a_marked_ledger_is_not_read_to_find_its_changed_loads_and_an_unmarked_write_is_still_found(tmp_path,
                                                                                                      monkeypatch):
    paths = _warehouse(tmp_path / "home")
    inbox = str(paths.inbox / "haven")
    _write(paths, "CREATE TABLE raw_ledger (load_id VARCHAR, source_file VARCHAR, amount DECIMAL(18,2))")
    _ledger_write(paths, "INSERT INTO raw_ledger SELECT 'load' || (i % 4), $f || '/' || (i % 4) || '.csv', i"
                         " FROM range(4000) t(i)", ["load0", "load1", "load2", "load3"], {"f": inbox})
    pub.publish(paths, run_id="first")
    hashed = []
    by_load = fingerprints.by_load
    monkeypatch.setattr(fingerprints, "by_load", lambda con, name, database: hashed.append(name) or by_load(
        con, name, database))

    # a late load through the writer: found from the markers, the ledger not read
    _ledger_write(paths, "INSERT INTO raw_ledger VALUES ('load4', $f, 12.50)", ["load4"], {"f": inbox + "/late.csv"})
    info = pub.publish(paths, run_id="late")
    assert info.replaced == ["change_markers", "raw_ledger"] and "raw_ledger" not in hashed
    assert _same_as_a_whole_publish(paths, tmp_path) == []

    # a write that did not mark: the markers are not trusted, the ledger is read and the row published
    _write(paths, "UPDATE raw_ledger SET amount = amount + 1 WHERE load_id = 'load4'")
    _write(paths, "INSERT INTO raw_ledger VALUES ('load1', 'other.csv', 1)")
    hashed.clear()
    info = pub.publish(paths, run_id="unmarked")
    assert "raw_ledger" in hashed and info.replaced == ["raw_ledger"]
    assert _same_as_a_whole_publish(paths, tmp_path) == []
    con = duckdb.connect(str(paths.published), read_only=True)
    try:
        assert con.execute("SELECT amount FROM raw_ledger WHERE load_id = 'load4'").fetchall() == [(Decimal("13.50"),)]
    finally:
        con.close()
