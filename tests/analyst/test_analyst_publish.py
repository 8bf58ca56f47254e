"""Publishing the analysts' copy: atomic, under the writer lock, checkpointed, never half
written, never after a failed run; an open session keeps the copy it opened."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from decimal import Decimal

import dagster as dg
import duckdb
import pytest

from analyst import access as analyst
from analyst import publish as pub
from warehouse.settings import Paths
from warehouse.connection import exclusive_lock

from analyst_helpers import REPO, make_warehouse, set_spend, sha256, total_spend


def test_the_open_book_run_published_the_warehouse_and_stamped_it(published_home):
    paths = Paths(published_home)
    info = json.loads((paths.published.parent / pub.INFO_JSON).read_text())
    assert info["run_id"], "the publish must record the run it came from"
    con = analyst.connect(published_home)
    try:
        stamped = analyst.publish_info(con)
        published = {t.name for t in analyst.catalog(con, row_counts=False)}
    finally:
        con.close()
    assert stamped["run_id"] == info["run_id"]
    assert stamped["published_at"].isoformat(timespec="seconds") == info["published_at"]
    source = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        tables = {r[0] for r in source.execute(
            "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views() WHERE NOT internal"
        ).fetchall()}
    finally:
        source.close()
    assert published == tables | {"publish_info"}


def published(home) -> tuple[Decimal, str]:
    """(total spend, run id) of the published copy, as a new analyst's session sees them."""
    con = analyst.connect(home)
    try:
        return total_spend(con), analyst.publish_info(con)["run_id"]
    finally:
        con.close()


def test_publish_copies_and_stamps_the_warehouse(small_warehouse):
    info = pub.publish(Paths(small_warehouse), run_id="run-1")
    assert info.run_id == "run-1"
    assert published(small_warehouse) == (Decimal("2000000.00"), "run-1")
    leftovers = [p.name for p in Paths(small_warehouse).published.parent.iterdir()
                 if p.name not in ("openbook.duckdb", pub.INFO_JSON)]
    assert leftovers == []


def test_open_session_keeps_the_old_copy_and_new_connections_see_the_new(small_warehouse):
    paths = Paths(small_warehouse)
    pub.publish(paths, run_id="run-1")
    reader = analyst.connect(small_warehouse)          # an analyst's session, left open
    assert total_spend(reader) == Decimal("2000000.00")
    old_inode = paths.published.stat().st_ino

    set_spend(small_warehouse, "250.00")               # the next run changes every figure
    pub.publish(paths, run_id="run-2")                 # ... and publishes while the session is open

    assert paths.published.stat().st_ino != old_inode
    assert total_spend(reader) == Decimal("2000000.00"), "the open session must keep its figures"
    assert analyst.publish_info(reader)["run_id"] == "run-1"
    fresh = analyst.connect(small_warehouse)
    try:
        assert total_spend(fresh) == Decimal("5000000.00")
        assert analyst.publish_info(fresh)["run_id"] == "run-2"
    finally:
        fresh.close()
    # another process (another analyst) opening now sees the new copy too
    code = ("import sys; from analyst import access; c = access.connect(sys.argv[1]); "
            "print(c.execute('SELECT sum(spend) FROM rpt_spend').fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", code, str(small_warehouse)], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout.strip()
    assert out == "5000000.00"
    assert total_spend(reader) == Decimal("2000000.00")

    # The session's copy is now the spare (the copy before the last): the next publish sees the session
    # holding it in this process and leaves it to the session.
    set_spend(small_warehouse, "300.00")
    assert pub.publish(paths, run_id="run-3").from_spare is False
    assert total_spend(reader) == Decimal("2000000.00"), "the open session must keep its figures"
    assert analyst.publish_info(reader)["run_id"] == "run-1"
    reader.close()


def test_the_copy_before_the_last_is_brought_up_to_date_in_place_unless_a_session_still_reads_it(small_warehouse):
    paths = Paths(small_warehouse)
    pub.publish(paths, run_id="run-1")
    assert not pub.spare_path(paths).exists()  # nothing was published before it
    # another analyst's session, in a process of its own, opens run-1's copy and keeps it open
    code = ("import sys; from analyst import access; c = access.connect(sys.argv[1]); sql = 'SELECT sum(spend) FROM rpt_spend'\n"
            "for line in sys.stdin: print(c.execute(sql).fetchone()[0], flush=True)")
    session = subprocess.Popen([sys.executable, "-c", code, str(small_warehouse)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        session.stdin.write("\n"); session.stdin.flush()
        assert session.stdout.readline().strip() == "2000000.00"
        set_spend(small_warehouse, "250.00")
        assert pub.publish(paths, run_id="run-2").from_spare is False  # run-1's copy is kept as the spare
        set_spend(small_warehouse, "300.00")
        info = pub.publish(paths, run_id="run-3")  # the spare is run-1's copy, which the session holds
        assert (info.from_spare, info.replaced) == (False, ["rpt_spend"])
        session.stdin.write("\n"); session.stdin.flush()
        assert session.stdout.readline().strip() == "2000000.00", "the session must keep its figures"
    finally:
        session.stdin.close()
        session.wait(timeout=60)
    # the spare now is run-2's copy, which no one opened: brought up to date in place, it is the new copy
    spare = pub.spare_path(paths).stat().st_ino
    set_spend(small_warehouse, "400.00")
    info = pub.publish(paths, run_id="run-4")
    assert (info.from_spare, info.replaced) == (True, ["rpt_spend"])
    assert paths.published.stat().st_ino == spare
    assert oct(paths.published.stat().st_mode & 0o777) == oct(pub.READ_ONLY_MODE)
    assert published(small_warehouse) == (Decimal("8000000.00"), "run-4")


def _fail_half_way(src, dst):
    dst.write(src.read(64 * 1024))
    raise OSError("disk full (simulated)")


def _fail_stamp(db, info):
    raise duckdb.IOException("cannot write (simulated)")


@pytest.mark.parametrize("where, patch", [("_copy_bytes", _fail_half_way), ("_stamp", _fail_stamp)],
                         ids=["mid-copy", "after-copy"])
def test_a_failed_publish_leaves_the_last_good_copy(small_warehouse, monkeypatch, where, patch):
    paths = Paths(small_warehouse)
    pub.publish(paths, run_id="good")
    before = sha256(paths.published)
    set_spend(small_warehouse, "999.00")

    monkeypatch.setattr(pub, where, patch)
    with pytest.raises((OSError, duckdb.Error)):
        pub.publish(paths, run_id="bad")

    assert sha256(paths.published) == before
    assert sorted(p.name for p in paths.published.parent.iterdir()) == sorted([pub.INFO_JSON, "openbook.duckdb"])
    assert json.loads((paths.published.parent / pub.INFO_JSON).read_text())["run_id"] == "good"
    con = analyst.connect(small_warehouse)
    try:
        assert total_spend(con) == Decimal("2000000.00")
        assert analyst.publish_info(con)["run_id"] == "good"
    finally:
        con.close()
    monkeypatch.undo()
    pub.publish(paths, run_id="next")      # the lock was released: the next publish works
    con = analyst.connect(small_warehouse)
    try:
        assert total_spend(con) == Decimal("19980000.00")
    finally:
        con.close()


def test_publish_waits_for_the_writer_lock(small_warehouse):
    paths = Paths(small_warehouse)
    done = threading.Event()
    errors = []

    def publish_now():
        try:
            pub.publish(paths, run_id="after-the-writer")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        done.set()

    with exclusive_lock(pub.lock_path(paths.warehouse)):   # a pipeline step is writing
        worker = threading.Thread(target=publish_now)
        worker.start()
        time.sleep(0.5)
        assert not done.is_set(), "publish copied the warehouse while a writer held the lock"
        assert not paths.published.exists()
    worker.join(timeout=60)
    assert done.is_set() and not errors
    assert paths.published.is_file()


def test_publish_checkpoints_commits_still_in_the_write_ahead_log(tmp_path):
    home = tmp_path / "home"
    warehouse = make_warehouse(home)
    con = duckdb.connect(str(warehouse))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute("SET checkpoint_threshold = '10GB'")
    con.execute("UPDATE rpt_spend SET spend = 7")
    con.close()
    assert pub.wal_path(warehouse).exists(), "test setup: the update should still be in the WAL"

    pub.publish(Paths(home), run_id="wal")

    assert not pub.wal_path(warehouse).exists()
    reader = analyst.connect(home)
    try:
        assert total_spend(reader) == Decimal("140000.00")
    finally:
        reader.close()


def test_a_stale_wal_beside_the_published_copy_is_not_replayed_into_the_new_one(small_warehouse):
    paths = Paths(small_warehouse)
    pub.publish(paths, run_id="one")
    pub.wal_path(paths.published).write_bytes(b"not a wal of the new copy")
    pub.publish(paths, run_id="two")
    assert not pub.wal_path(paths.published).exists()
    con = analyst.connect(small_warehouse)
    try:
        assert analyst.publish_info(con)["run_id"] == "two"
    finally:
        con.close()


def test_publish_without_a_warehouse_is_an_error(tmp_path):
    with pytest.raises(pub.PublishError, match="no warehouse"):
        pub.publish(Paths(tmp_path), run_id="x")
    assert not Paths(tmp_path).published.exists()


# ---------------------------------------------------------------------------
# In Dagster: publish only after every public model materialised in the run
def test_publish_assets_depend_on_every_public_model_and_are_in_the_open_book_job():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    public = {k for k in graph.get_all_asset_keys() if analyst.is_public(k.to_user_string())}
    assert public, "no public models in the asset graph"
    for name in ("published_warehouse", "data_dictionary"):
        parents = graph.get(dg.AssetKey(name)).parent_keys
        assert public <= parents, f"{name} does not wait for {sorted(k.to_user_string() for k in public - parents)}"
        assert graph.get(dg.AssetKey(name)).group_name == "publish"
    job = defs.resolve_job_def("open_book_job")
    assert {"published_warehouse", "data_dictionary"} <= set(job.graph.node_dict)


def test_a_failed_run_does_not_publish(tmp_path):
    """A public model fails: Dagster skips the publish, and the last good copy stays."""
    from assets.publish_assets import build_publish_assets
    from warehouse.connection import Warehouse

    home = tmp_path / "home"
    make_warehouse(home)
    pub.publish(Paths(home), run_id="last-good")
    before = sha256(Paths(home).published)
    set_spend(home, "1.00")

    def stub(name: str, fail: bool):
        @dg.asset(name=name)
        def _model() -> None:
            if fail:
                raise RuntimeError(f"{name} failed (simulated)")
        return _model

    names = ["dim_partner", "fct_ledger", "rpt_mh_spend", "rpt_other"]
    resources = {"warehouse": Warehouse(home=str(home))}
    models = [stub(name, name == "rpt_other") for name in names]
    result = dg.materialize([*models, *build_publish_assets(models)], resources=resources, raise_on_error=False)
    assert not result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"dim_partner", "fct_ledger", "rpt_mh_spend"} <= materialized
    assert "published_warehouse" not in materialized and "data_dictionary" not in materialized
    assert sha256(Paths(home).published) == before

    models = [stub(name, False) for name in names]
    ok = dg.materialize([*models, *build_publish_assets(models)], resources=resources, raise_on_error=False)
    assert ok.success
    assert sha256(Paths(home).published) != before
    assert (Paths(home).reports / "dictionary.html").is_file()


def test_the_published_copy_is_read_only_and_still_replaced_atomically(small_warehouse):
    import stat

    paths = Paths(small_warehouse)
    pub.publish(paths, run_id="first")
    assert stat.S_IMODE(paths.published.stat().st_mode) == 0o444
    if os.geteuid() != 0:                  # root ignores file modes; everyone else is refused
        with pytest.raises(duckdb.Error):
            duckdb.connect(str(paths.published)).close()
    set_spend(small_warehouse, "7.00")
    pub.publish(paths, run_id="second")    # replacing a read-only file needs only the folder
    assert stat.S_IMODE(paths.published.stat().st_mode) == 0o444
    con = analyst.connect(small_warehouse)
    try:
        assert total_spend(con) == Decimal("140000.00") and analyst.publish_info(con)["run_id"] == "second"
    finally:
        con.close()


def test_source_file_is_relative_to_the_inbox_in_the_published_copy(small_warehouse):
    paths = Paths(small_warehouse)
    inside = str(paths.inbox / "haven" / "2025-06.csv")
    con = duckdb.connect(str(paths.warehouse))
    try:
        con.execute("CREATE TABLE stg_lines AS SELECT * FROM (VALUES ($a, 1), ($b, 2)) t(source_file, n)",
                    {"a": inside, "b": "/elsewhere/scenario.yaml"})
        con.execute("CREATE VIEW fct_lines AS SELECT * FROM stg_lines")
    finally:
        con.close()
    pub.publish(paths, run_id="relative")
    con = analyst.connect(small_warehouse)
    try:
        assert con.execute("SELECT source_file FROM fct_lines ORDER BY n").fetchall() == [
            ("haven/2025-06.csv",), ("/elsewhere/scenario.yaml",)]
    finally:
        con.close()
    live = duckdb.connect(str(paths.warehouse), read_only=True)
    try:   # the pipeline's own warehouse keeps what ingestion wrote
        assert live.execute("SELECT source_file FROM stg_lines ORDER BY n").fetchone() == (inside,)
    finally:
        live.close()


def test_source_files_are_made_relative_batch_by_batch_over_the_whole_table(small_warehouse, monkeypatch):
    """The copy is updated a few rows at a time (its memory stays bounded): every row of every
    batch is made relative, rows outside the inbox stay whole, gaps left by deletes included."""
    paths = Paths(small_warehouse)
    monkeypatch.setattr(pub, "UPDATE_BATCH_ROWS", 2)
    con = duckdb.connect(str(paths.warehouse))
    try:
        con.execute("CREATE TABLE stg_many AS SELECT n, CASE WHEN n % 3 = 0 THEN '/elsewhere/' || n || '.csv'"
                    " ELSE $inbox || '/p/' || n || '.csv' END AS source_file FROM range(1, 12) t(n)",
                    {"inbox": str(paths.inbox)})
        con.execute("DELETE FROM stg_many WHERE n IN (4, 5)")
    finally:
        con.close()
    pub.publish(paths, run_id="batches", whole=True)
    con = analyst.connect(small_warehouse)
    try:
        rows = con.execute("SELECT n, source_file FROM stg_many ORDER BY n").fetchall()
    finally:
        con.close()
    assert rows == [(1, "p/1.csv"), (2, "p/2.csv"), (3, "/elsewhere/3.csv"), (6, "/elsewhere/6.csv"),
                    (7, "p/7.csv"), (8, "p/8.csv"), (9, "/elsewhere/9.csv"), (10, "p/10.csv"), (11, "p/11.csv")]


def test_the_demo_copy_names_files_relative_to_the_inbox(published_home):
    paths = Paths(published_home)
    con = analyst.connect(published_home)
    try:
        files = {r[0] for r in con.execute(
            "SELECT DISTINCT source_file FROM fct_ledger UNION SELECT DISTINCT source_file FROM load_log").fetchall()}
    finally:
        con.close()
    assert files and not [f for f in files if f.startswith("/")]
    assert all((paths.inbox / f).is_file() for f in files)
