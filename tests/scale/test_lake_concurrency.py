"""The DuckLake scale-out path (pipelines/lake.py): partner-periods loaded at the same
time by separate processes into one shared catalog give the same open book, figure for
figure, as the single-file warehouse loading the same files through the Dagster jobs.

A subset of the default demo keeps it quick: six partners (CSV and workbook layouts, an
ICB, a trust, the lead provider, councils, a VCSE) in two months, one of them the month
la_brookcarrow resubmits (two files: the newer must replace the older in both stores).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from pipelines import lake as lakes
from pipelines.lake import Lake, create_lake_tables, load_concurrently, load_partition, open_book, publish_reference

PARTNERS = ("sf_icb", "wfmh", "fsc_lp", "la_ashby", "la_brookcarrow", "haven")
PERIODS = ("2024-04", "2025-06")  # 2025-06: la_brookcarrow's corrected resubmission
WORKERS = 3


def _inbox_files(home: Path):
    from assets.ingest.source_config import load_source_configs
    from assets.ingest.submissions import scan_inbox

    return scan_inbox(home / "inbox", load_source_configs(home / "config" / "sources"))


@pytest.fixture(scope="module")
def subset_home(tmp_path_factory) -> Path:
    """The demo system, cut down to PARTNERS x PERIODS (files copied with their times, so
    the resubmission is still the newer file)."""
    from demo.generator import generate_demo

    full = tmp_path_factory.mktemp("demo-full")
    generate_demo(full)
    home = tmp_path_factory.mktemp("demo-subset")
    shutil.copytree(full / "reference", home / "reference")
    shutil.copytree(full / "config", home / "config")
    kept = [f for f in _inbox_files(full) if f.partner_id in PARTNERS and set(f.periods) & set(PERIODS)]
    for item in kept:
        target = home / "inbox" / item.path.relative_to(full / "inbox")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(item.path, target)
    assert len(kept) == len(PARTNERS) * len(PERIODS) + 1  # one partner-period has two files
    return home


@pytest.fixture(scope="module")
def warehouse(subset_home) -> duckdb.DuckDBPyConnection:
    """The single-file warehouse built by the project's own jobs on the subset."""
    from pipelines.runner import Runner
    from warehouse.settings import Paths

    with pytest.MonkeyPatch.context() as env:  # the Runner sets OPENBOOK_HOME and DAGSTER_HOME
        env.setenv("OPENBOOK_HOME", str(subset_home))
        env.setenv("DAGSTER_HOME", str(subset_home / "dagster"))
        runner = Runner(Paths(subset_home))
        assert runner.run("reference_job")
        for period in PERIODS:
            assert runner.run("ingest_job", period)
        assert runner.run("open_book_job")
    con = duckdb.connect(str(subset_home / "warehouse" / "openbook.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def lake_run(subset_home, tmp_path_factory):
    """Every partner-period of the subset loaded into a fresh DuckLake by WORKERS
    processes at once."""
    folder = tmp_path_factory.mktemp("lake")
    lake = Lake(str(folder / "openbook.ducklake"), str(folder / "data"))
    create_lake_tables(lake)
    publish_reference(lake, subset_home / "reference")
    partitions = defaultdict(list)
    for item in _inbox_files(subset_home):
        partitions[(item.partner_id, item.periods)].append(item)
    loads = load_concurrently(lake, list(partitions.values()), processes=WORKERS)
    return lake, loads, partitions


@pytest.fixture(scope="module")
def lake_book(lake_run) -> duckdb.DuckDBPyConnection:
    lake, _, _ = lake_run
    con = open_book(lake)
    yield con
    con.close()


def test_partitions_were_loaded_by_several_processes_at_once(lake_run):
    _, loads, partitions = lake_run
    assert {load.status for load in loads} == {"loaded"}
    assert len(loads) == sum(len(files) for files in partitions.values())
    assert len({load.pid for load in loads}) >= 2, "every partition was loaded by one process"
    spans = sorted((load.started, load.finished, load.pid) for load in loads)
    overlapping = [(a, b) for i, a in enumerate(spans) for b in spans[i + 1:] if b[0] < a[1] and a[2] != b[2]]
    assert overlapping, "no two partition loads in different processes overlapped in time"


def test_lake_holds_one_current_submission_per_partner_period(lake_run):
    lake, _, partitions = lake_run
    with lake.session(read_only=True) as con:
        current = con.execute(
            "SELECT partner_id, period, count(*) FROM lake.load_log WHERE status = 'current' GROUP BY ALL").fetchall()
        superseded = con.execute("SELECT partner_id, period FROM lake.load_log WHERE status = 'superseded'").fetchall()
    assert {(p, m) for p, m, _ in current} == {(p, m) for p, months in partitions for m in months}
    assert all(n == 1 for *_, n in current)
    assert superseded == [("la_brookcarrow", "2025-06")]


def test_rpt_mh_spend_from_the_lake_equals_the_warehouse(lake_book, warehouse):
    query = "SELECT * FROM rpt_mh_spend ORDER BY ALL"
    from_lake, from_warehouse = lake_book.execute(query).fetchall(), warehouse.execute(query).fetchall()
    assert from_warehouse, "the warehouse reported nothing: the comparison would prove nothing"
    assert from_lake == from_warehouse


def test_every_report_table_the_lake_builds_equals_the_warehouse(lake_book, warehouse):
    """Not only rpt_mh_spend: every rpt_ table the project's SQL builds from the lake."""
    built = [r[0] for r in lake_book.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'rpt\\_%' ESCAPE '\\' ORDER BY 1").fetchall()]
    assert "rpt_mh_spend" in built
    differing = []
    for table in built:
        # When a file was loaded differs between two loads of it (rpt_dq_submissions shows it).
        columns = {r[0] for r in warehouse.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = $t", {"t": table}).fetchall()}
        query = f'SELECT * {"EXCLUDE (loaded_at)" if "loaded_at" in columns else ""} FROM "{table}" ORDER BY ALL'
        if lake_book.execute(query).fetchall() != warehouse.execute(query).fetchall():
            differing.append(table)
    assert differing == [], f"rpt_ tables that differ between the lake and the warehouse: {differing}"


def test_totals_per_partner_period_agree_to_the_penny(lake_book, warehouse):
    query = ("SELECT partner_id, period, sum(spend), sum(ledger_lines) FROM rpt_mh_spend GROUP BY ALL ORDER BY ALL")
    from_lake = lake_book.execute(query).fetchall()
    assert from_lake == warehouse.execute(query).fetchall()
    # every partner-period with expenditure is there (haven's workbooks, the trust's GL, ...)
    assert {(p, m) for p, m, *_ in from_lake} == {(p, m) for p in PARTNERS for m in PERIODS}


def test_staging_quarantine_and_checks_agree(lake_run, lake_book, warehouse):
    lake, _, _ = lake_run
    queries = {
        "stg": "SELECT partner_id, period, count(*), sum(amount) FROM {s}stg_ledger GROUP BY ALL ORDER BY ALL",
        "quarantine": "SELECT partner_id, period, stage, reason_code, count(*) FROM {s}quarantine"
                      " GROUP BY ALL ORDER BY ALL",
        "skipped": "SELECT partner_id, period, reason, count(*) FROM {s}skipped_rows GROUP BY ALL ORDER BY ALL",
        # the expectation suite (the blocking checks); the lake does not run the WARN-only
        # submission rules of assets/submission_checks.py
        "checks": "SELECT partner_id, period, expectation, column_name, passed, unexpected_count FROM {s}dq_results"
                  " WHERE suite = 'stg_ledger'"
                  " AND load_id IN (SELECT load_id FROM {s}load_log WHERE status = 'current') ORDER BY ALL",
    }
    with lake.session(read_only=True) as con:
        for name, query in queries.items():
            assert con.execute(query.format(s="lake.")).fetchall() == warehouse.execute(query.format(s="")).fetchall(), name
    status = "SELECT partner_id, period, status FROM dq_load_status ORDER BY ALL"
    assert lake_book.execute(status).fetchall() == warehouse.execute(status).fetchall()


def test_reloading_an_unchanged_file_leaves_the_lake_alone(lake_run):
    lake, _, partitions = lake_run
    loads = load_partition(lake, partitions[("la_ashby", ("2024-04",))])
    assert [load.status for load in loads] == ["unchanged"]


def test_a_writer_waits_for_a_catalog_another_process_holds(lake_run):
    """A process that attached the catalog file without the writers' lock file (an
    analyst's DuckDB session, say) holds DuckDB's own file lock; a commit retries until
    it is free, and then goes through."""
    lake, _, _ = lake_run
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, duckdb\n"
         "from pipelines.lake import Lake\n"
         "con = duckdb.connect()\n"
         "Lake(sys.argv[1], sys.argv[2]).attach(con, read_only=True)\n"
         "print('attached', flush=True)\n"
         "time.sleep(1.5)\n",
         lake.catalog, lake.data_path],
        cwd=Path(lakes.__file__).resolve().parents[1], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "attached"
        stats: dict = {}
        started = time.perf_counter()
        count = lake.write(duckdb.connect(), lambda con: con.execute("SELECT count(*) FROM lake.load_log").fetchone(),
                           stats)
        waited = time.perf_counter() - started
    finally:
        holder.wait(timeout=30)
    assert count[0] > 0
    assert stats.get("retries", 0) >= 1, "the writer never met the held catalog"
    assert waited >= 0.5


def test_extension_is_loaded_from_the_installed_wheel():
    path = lakes.extension_path()
    assert path.name == "ducklake.duckdb_extension" and path.is_file()


def test_a_blocked_resubmission_is_rejected_and_the_lake_keeps_the_last_good_one(subset_home, tmp_path):
    """As in the warehouse (assets/ingest/last_good.py): a resubmission that fails a blocking
    check is logged as rejected, with why, and the month keeps its last good submission; the
    rejected bytes are not read again. A file with no usable line is refused."""
    home = tmp_path / "home"
    shutil.copytree(subset_home / "reference", home / "reference")
    shutil.copytree(subset_home / "config", home / "config")
    inbox = home / "inbox" / "la_ashby"
    inbox.mkdir(parents=True)
    good = subset_home / "inbox" / "la_ashby" / "Spend_over_500_2024-04.csv"
    shutil.copy2(good, inbox / good.name)
    lake = Lake(str(tmp_path / "openbook.ducklake"), str(tmp_path / "data"))
    create_lake_tables(lake)
    publish_reference(lake, home / "reference")

    def load() -> list[str]:
        return [load.status for load in load_partition(lake, [f for f in _inbox_files(home) if f.partner_id == "la_ashby"])]

    def staged_total():
        con = duckdb.connect()
        lake.attach(con, read_only=True)
        try:
            return con.execute("SELECT count(*), sum(amount) FROM lake.stg_ledger").fetchone()
        finally:
            con.close()

    assert load() == ["loaded"]
    before = staged_total()
    # the same file, one payment of £1.5 billion: the amount range check fails (ERROR)
    lines = good.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",1500000000.00"
    blocked = inbox / "Spend_over_500_2024-04_v2.csv"
    blocked.write_text("\n".join(lines) + "\n", encoding="utf-8")
    later = good.stat().st_mtime + 60
    import os
    os.utime(blocked, (later, later))
    assert load() == ["unchanged", "rejected"]
    assert staged_total() == before
    con = duckdb.connect()
    lake.attach(con, read_only=True)
    log = con.execute("SELECT source_file, status, message FROM lake.load_log ORDER BY load_id").fetchall()
    con.close()
    assert [(Path(f).name, s) for f, s, _ in log] == [(good.name, "current"), (blocked.name, "rejected")]
    assert "blocked by expect_column_values_to_be_between (1 row)" in log[1][2] and "stays in the figures" in log[1][2]
    assert load() == ["unchanged", "unchanged"]  # rejected bytes are not read again
    # a file none of whose rows is usable cannot replace the month with nothing
    useless = inbox / "Spend_over_500_2024-04_v3.csv"
    useless.write_text(lines[0] + "\n" + lines[1].rsplit(",", 1)[0] + ",TBC\n", encoding="utf-8")
    os.utime(useless, (later + 60, later + 60))
    statuses = load()
    assert statuses == ["unchanged", "unchanged", "failed"]
    assert staged_total() == before
    # a link to nothing is refused from the entry itself, never followed or read
    (inbox / "Spend_over_500_2024-04_v4.csv").symlink_to(tmp_path / "nowhere.csv")
    statuses = load()
    assert sorted(statuses) == ["failed", "failed", "unchanged", "unchanged"]
    assert staged_total() == before
