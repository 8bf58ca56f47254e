"""A small data home: the demo's reference data and configs with only a few submissions,
so pipeline behaviours (blocking, resubmission, idempotency, sensors) run in seconds."""
import os
import shutil
from pathlib import Path

import duckdb
import pytest

KEEP = {("nw_icb", "2025-05"), ("nw_icb", "2025-06"), ("la_ashby", "2025-05"), ("la_ashby", "2025-06")}


@pytest.fixture(scope="session")
def _small_template(tmp_path_factory, demo_files) -> Path:
    home = tmp_path_factory.mktemp("small-template")
    truth = demo_files(home)
    keep = {f["path"] for f in truth["files"] if (f["partner_id"], f["period"]) in KEEP}
    for path in (home / "inbox").rglob("*"):
        if path.is_file() and str(path.relative_to(home)) not in keep:
            path.unlink()
    return home


@pytest.fixture
def small_home(_small_template, tmp_path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(_small_template, home, copy_function=shutil.copy2)  # copy2 keeps mtimes
    return home


@pytest.fixture
def runner(small_home):
    from pipelines.runner import Runner
    from warehouse.settings import Paths

    saved = {k: os.environ.get(k) for k in ("OPENBOOK_HOME", "DAGSTER_HOME")}
    yield Runner(Paths(small_home))
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def query(home: Path, sql: str, params: dict | None = None) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse" / "openbook.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()
