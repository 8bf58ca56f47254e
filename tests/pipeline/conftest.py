"""A small data home: the demo's reference data and configs with only a few submissions,
so pipeline behaviours (blocking, resubmission, idempotency, sensors) run in seconds."""
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.dagster_events import events_in_memory
from tests.worker_units import ONE_WORKER

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
def runner(small_home, request):
    if request.node.get_closest_marker("events_in_memory"):
        events_in_memory(small_home)
    yield from _runner_on(small_home)


def _runner_on(home: Path):
    """A Runner on `home`; OPENBOOK_HOME and DAGSTER_HOME (which it sets) put back afterwards."""
    from pipelines.runner import Runner
    from warehouse.settings import HOME_VARIABLES, Paths, environment_restored

    with environment_restored(*HOME_VARIABLES):
        yield Runner(Paths(home))


@pytest.fixture(scope="session")
def _loaded_snapshot(_small_template, tmp_path_factory) -> tuple[Path, Path]:
    """(where, snapshot): the small home after one `openbook run --no-reports` (the command line,
    which must exit OK: test_loading_changes.py reads this run as the option's test), run at `where`
    and copied whole to `snapshot`. The warehouse and the run's recorded fingerprints hold the
    home's absolute paths, so a copy is only the same home put back at `where` (loaded_home), and
    the files that use it go to one parallel worker (tests/worker_units.py): it is made once a run."""
    from pipelines.cli import EXIT_OK, main
    from warehouse.settings import HOME_VARIABLES, environment_restored

    where = tmp_path_factory.getbasetemp() / "loaded-home"
    shutil.copytree(_small_template, where, copy_function=shutil.copy2)
    with environment_restored(*HOME_VARIABLES):
        assert main(["--home", str(where), "run", "--no-reports"]) == EXIT_OK
    return where, snapshot_of(where, tmp_path_factory, "loaded-snapshot")


@pytest.fixture
def loaded_home(_loaded_snapshot, request) -> Path:
    """The small home after one uninterrupted `openbook run --no-reports`, at the path it ran at
    (each test gets it as that run left it: one run per session instead of one per test)."""
    file = request.node.nodeid.split("::")[0]
    assert file in ONE_WORKER, f"{file} uses loaded_home: add it to tests/worker_units.py, to build it once a run"
    return put_back(*_loaded_snapshot)


@pytest.fixture
def loaded_runner(loaded_home):
    """A new Runner on loaded_home: its summary holds only the test's own runs."""
    yield from _runner_on(loaded_home)


def snapshot_of(where: Path, tmp_path_factory, name: str) -> Path:
    """A copy of the home at `where`, to put back there for each test that starts from it (put_back)."""
    snapshot = tmp_path_factory.mktemp(name) / "home"
    shutil.copytree(where, snapshot, copy_function=shutil.copy2, symlinks=True)
    return snapshot


def put_back(where: Path, snapshot: Path) -> Path:
    """The home at `where` as it was when `snapshot` was taken of it: a home holds its absolute path (in the
    warehouse, the recorded fingerprints, Dagster's storage), so a copy is the same home only at that path."""
    shutil.rmtree(where, ignore_errors=True)
    shutil.copytree(snapshot, where, copy_function=shutil.copy2, symlinks=True)  # copy2 keeps mtimes
    return where


def query(home: Path, sql: str, params: dict | None = None) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse" / "openbook.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()
