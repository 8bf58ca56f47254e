"""One pipeline, two warehouses: the same Dagster assets, run by `openbook run`'s Runner on
the same demo slice, into the embedded DuckDB file and into a DuckLake chosen by
<home>/config/warehouse.yaml (a DuckDB catalog file; a PostgreSQL catalog on a throwaway
server with the Parquet files in a folder), build the same marts and rpt_ tables, row for
row, money as DECIMAL.

A slice of the default demo keeps it quick: six partners (CSV and workbook layouts, an
ICB, a trust, the lead provider, councils, a VCSE) in two months, one of them the month
la_brookcarrow resubmits (two files: the newer must replace the older in every warehouse).
"""
from __future__ import annotations

import datetime
import shutil
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from throwaway_postgres import throwaway_postgres  # noqa: E402

from tests.dagster_events import events_in_memory  # noqa: E402

pytestmark = pytest.mark.slow  # three whole-pipeline runs of a demo slice

PARTNERS = ("sf_icb", "wfmh", "fsc_lp", "la_ashby", "la_brookcarrow", "haven")
PERIODS = ("2024-04", "2025-06")  # 2025-06: la_brookcarrow's corrected resubmission
PUBLIC = ("rpt_", "fct_", "dim_", "dq_")  # the marts and the report tables
JUDGED_ON = datetime.date.today()  # the flag register's date for all three runs


def _inbox_files(home: Path):
    from assets.ingest.source_config import load_source_configs
    from assets.ingest.submissions import scan_inbox

    return scan_inbox(home / "inbox", load_source_configs(home / "config" / "sources"))


@pytest.fixture(scope="module")
def slice_home(tmp_path_factory, demo_files) -> Path:
    """The demo system cut down to PARTNERS x PERIODS (files copied with their times, so the
    resubmission is still the newer file)."""
    full = tmp_path_factory.mktemp("demo-full")
    demo_files(full)
    home = tmp_path_factory.mktemp("demo-slice")
    shutil.copytree(full / "reference", home / "reference")
    shutil.copytree(full / "config", home / "config")
    kept = [f for f in _inbox_files(full) if f.partner_id in PARTNERS and set(f.periods) & set(PERIODS)]
    for item in kept:
        target = home / "inbox" / item.path.relative_to(full / "inbox")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(item.path, target)
    assert len(kept) == len(PARTNERS) * len(PERIODS) + 1  # one partner-period has two files
    return home


def run_pipeline(slice_home: Path, home: Path, warehouse_yaml: str | None = None, reports: bool = False) -> float:
    """`openbook run` (reference, every period, the open book, the published copy and, when
    told, the latest month's reports) on a copy of the slice; returns its wall seconds. The
    tables compared here are all built before the reports, which were half a run."""
    from pipelines.runner import Runner
    from warehouse.settings import HOME_VARIABLES, Paths, environment_restored

    shutil.copytree(slice_home, home, copy_function=shutil.copy2)
    events_in_memory(home)  # one Runner, and only the warehouses and reports are read afterwards
    if warehouse_yaml:
        (home / "config" / "warehouse.yaml").write_text(warehouse_yaml)
    with environment_restored(*HOME_VARIABLES), pytest.MonkeyPatch.context() as patch:
        # every run judges the flag register on one date, or runs either side of midnight differ in it
        patch.setattr("assets.model_builders.judged_on", lambda: JUDGED_ON)
        started = time.perf_counter()
        summary = Runner(Paths(home)).run_all(progress=lambda _: None, reports=reports)
        seconds = time.perf_counter() - started
    assert summary.ok, [o.line for o in summary.outcomes]
    return seconds


def public_rows(con: duckdb.DuckDBPyConnection, home: Path) -> dict[str, Counter]:
    """Every mart and rpt_ table (and view) of the connection's current database, as a
    multiset of rows. Paths inside the home are written relative to it (each run has a home
    of its own) and the TIMESTAMP columns saying when a run wrote a row (`*_at`) are left
    out; every other value is compared as DuckDB returns it (money as Decimal; doubles to 12
    digits, see _comparable)."""
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        " UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal"
    ).fetchall() if r[0].startswith(PUBLIC)]
    prefix = str(home.resolve()) + "/"
    found = {}
    for name in sorted(names):
        columns = con.execute("SELECT column_name, data_type FROM duckdb_columns()"
                              " WHERE database_name = current_database() AND table_name = $t ORDER BY column_index",
                              {"t": name}).fetchall()
        kept = [c for c, t in columns if not (t.startswith("TIMESTAMP") and c.endswith("_at"))]
        rows = con.execute(f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in kept)} FROM "{name}"').fetchall()
        found[name] = Counter(_comparable(row, prefix) for row in rows)
    return found


def _comparable(value, prefix: str):
    """The value as a hashable one (lists and structs become tuples), home paths relative,
    DOUBLE statistics (rpt_variation's standard deviations, never money) to 12 significant
    digits: a sum of doubles in another order differs in its last bit."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, str):
        return value.replace(prefix, "<home>/")
    if isinstance(value, (list, tuple)):
        return tuple(_comparable(v, prefix) for v in value)
    if isinstance(value, dict):
        return tuple((k, _comparable(v, prefix)) for k, v in value.items())
    return value


def lake_rows(home: Path) -> dict[str, Counter]:
    """The lake's tables read through the warehouse's own writer (the lake attached and
    selected, as every asset sees it)."""
    from warehouse.connection import home_writer
    from warehouse.settings import Paths

    with home_writer(Paths(home)) as con:
        assert con.execute("SELECT current_database()").fetchone()[0] == "lake"
        return public_rows(con, home)


@pytest.fixture(scope="module")
def embedded(slice_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("embedded") / "home"
    seconds = run_pipeline(slice_home, home)
    print(f"\nembedded DuckDB file: {seconds:.1f} s")
    return {"home": home, "warehouse": read_file(home / "warehouse" / "openbook.duckdb", home),
            "published": read_file(home / "published" / "openbook.duckdb", home)}


def read_file(path: Path, home: Path) -> dict[str, Counter]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return public_rows(con, home)
    finally:
        con.close()


@pytest.fixture(scope="module")
def postgres():
    with throwaway_postgres(database="openbook_lake") as server:
        yield server


LAKES = {
    "duckdb_catalog": lambda pg: "lake:\n  catalog: lake/openbook.ducklake\n  data_path: lake/data\n",
    "postgres_catalog": lambda pg: (f"lake:\n  catalog: 'postgres:dbname={pg.database} host=127.0.0.1"
                                    f" port={pg.port} user={pg.user}'\n  data_path: lake/parquet\n"),
}


@pytest.fixture(scope="module", params=sorted(LAKES))
def lake(request, slice_home, tmp_path_factory):
    """(home, rows) of the slice run on a lake, each kind of catalog in turn."""
    pg = request.getfixturevalue("postgres") if request.param == "postgres_catalog" else None
    home = tmp_path_factory.mktemp(request.param) / "home"
    # the reports are written from one kind of lake, to see the report job read its tables (the
    # run succeeds); both kinds are attached by the same connection code
    seconds = run_pipeline(slice_home, home, LAKES[request.param](pg), reports=request.param == "duckdb_catalog")
    print(f"\nDuckLake, {request.param}: {seconds:.1f} s")
    return home, lake_rows(home)


def test_the_lake_builds_every_mart_and_report_table_row_for_row(embedded, lake):
    home, from_lake = lake
    embedded = embedded["warehouse"]
    assert "rpt_open_book" in embedded and "fct_ledger" in embedded
    assert sum(len(rows) for rows in embedded.values()) > 1000, "too little data for the comparison to prove much"
    assert sorted(from_lake) == sorted(embedded)
    differing = {name: (sum(rows.values()), sum(from_lake[name].values()))
                 for name, rows in embedded.items() if from_lake[name] != rows}
    assert differing == {}, f"tables that differ (rows embedded, rows on the lake): {differing}"


def test_the_lake_keeps_money_as_decimal(lake):
    home, _ = lake
    from warehouse.connection import home_writer
    from warehouse.settings import Paths

    with home_writer(Paths(home)) as con:
        types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns()"
                                 " WHERE database_name = 'lake' AND table_name = 'stg_ledger'").fetchall())
        total = con.execute("SELECT sum(amount) FROM stg_ledger").fetchone()[0]
    assert types["amount"] == "DECIMAL(18,2)"
    assert isinstance(total, Decimal)


def test_the_lake_keeps_its_data_as_parquet_files_in_the_data_path(lake):
    home, _ = lake
    files = list((home / "lake").rglob("*.parquet"))
    assert files, "no Parquet file under the data path"
    assert not (home / "warehouse" / "openbook.duckdb").exists(), "the run wrote the embedded file too"


def test_the_published_copy_of_a_lake_is_a_duckdb_file_with_the_same_tables(embedded, lake):
    """Analysts keep their read-only DuckDB file: published from the lake, with the views'
    column comments a lake cannot hold."""
    home, _ = lake
    published = read_file(home / "published" / "openbook.duckdb", home)
    assert published == embedded["published"]
    con = duckdb.connect(str(home / "published" / "openbook.duckdb"), read_only=True)
    try:
        comment = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'fct_ledger'"
                              " AND column_name = 'amount'").fetchone()[0]
    finally:
        con.close()
    assert comment, "fct_ledger.amount has no description in the published copy"


def test_a_broken_warehouse_yaml_is_one_line_naming_file_and_key(tmp_path):
    from warehouse.lake import WarehouseConfigError, lake_setting

    config = tmp_path / "config"
    config.mkdir()
    (config / "warehouse.yaml").write_text("lake:\n  catalog: lake/openbook.db\n  data_path: lake/data\n")
    with pytest.raises(WarehouseConfigError) as error:
        lake_setting(tmp_path)
    assert str(error.value).startswith(f"{config / 'warehouse.yaml'}: lake.catalog: a catalog is")
    (config / "warehouse.yaml").write_text("lake:\n  catalogue: x.ducklake\n  data_path: d\n")
    with pytest.raises(WarehouseConfigError) as typo:
        lake_setting(tmp_path)
    assert "lake.catalogue: unknown key" in str(typo.value) and "lake.catalog: Field required" in str(typo.value)
    (config / "warehouse.yaml").write_text("lake: [unclosed\n")
    with pytest.raises(WarehouseConfigError, match=r"not valid YAML \(line 2\)"):
        lake_setting(tmp_path)
    (config / "warehouse.yaml").write_text("lake:\n  catalog: lake/openbook.ducklake\n  data_path: lake/data\n")
    setting = lake_setting(tmp_path)
    assert setting.catalog == str(tmp_path.resolve() / "lake" / "openbook.ducklake")
    assert "\n" not in str(error.value)


def test_extensions_load_from_the_installed_wheels():
    from warehouse.lake import extension_path

    for name in ("ducklake", "postgres"):
        path = extension_path(name)
        assert path.is_file() and path.suffix == ".duckdb_extension"


INGEST_ONE_PERIOD = """
import json, sys, time
from pathlib import Path
from pipelines.runner import Runner
from warehouse.settings import Paths
runner = Runner(Paths(Path(sys.argv[1])))
started = time.time()
ok = runner.run("ingest_job", sys.argv[2])
print(json.dumps({"ok": ok, "started": started, "finished": time.time(), "line": runner.summary.outcomes[-1].line}))
"""


def test_two_periods_load_into_a_postgres_catalog_lake_at_the_same_time(slice_home, postgres, embedded, tmp_path):
    """No single-writer lock on a PostgreSQL catalog: two processes each run ingest_job for a
    month of their own into one lake at the same time, and the lake ends with both months'
    staged lines, the same as the DuckDB file holds."""
    import subprocess

    postgres.createdb("openbook_two_writers")
    home = tmp_path / "home"
    shutil.copytree(slice_home, home, copy_function=shutil.copy2)
    (home / "config" / "warehouse.yaml").write_text(
        f"lake:\n  catalog: 'postgres:dbname=openbook_two_writers host=127.0.0.1 port={postgres.port}"
        f" user={postgres.user}'\n  data_path: lake/parquet\n")
    from pipelines.runner import Runner
    from warehouse.settings import HOME_VARIABLES, Paths, environment_restored

    with environment_restored(*HOME_VARIABLES):
        assert Runner(Paths(home)).run("reference_job")
    workers = [subprocess.Popen([sys.executable, "-c", INGEST_ONE_PERIOD, str(home), period], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for period in PERIODS]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-2000:]
        results.append(__import__("json").loads(out.strip().splitlines()[-1]))
    assert all(r["ok"] for r in results), [r["line"] for r in results]
    first, second = sorted(results, key=lambda r: r["started"])
    assert second["started"] < first["finished"], "the two ingest runs did not overlap in time"
    from warehouse.connection import home_writer

    query = "SELECT partner_id, period, count(*), sum(amount) FROM stg_ledger GROUP BY ALL"
    with home_writer(Paths(home)) as con:
        from_lake = Counter(con.execute(query).fetchall())
    file_con = duckdb.connect(str(embedded["home"] / "warehouse" / "openbook.duckdb"), read_only=True)
    try:
        from_file = Counter(file_con.execute(query).fetchall())
    finally:
        file_con.close()
    assert {(p, m) for p, m, *_ in from_lake} == {(p, m) for p in PARTNERS for m in PERIODS}
    assert from_lake == from_file
