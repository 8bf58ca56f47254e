"""Shared fixtures. The demo system is generated and run through the whole pipeline once
per test session (it takes a while), in a temporary data home."""
from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

from tests.duckdb_threads import one_thread_per_connection
from tests.worker_units import unit_of
from warehouse.sql_files import run_sql


RAM_DISK = Path("/dev/shm")
RAM_DISK_NEEDED = 4 * 2**30  # the demo home, each worker's pipeline homes and pytest's last few runs


def pytest_configure(config):
    """Temporary folders (every data home a test makes) on the RAM disk where the machine has one.
    Dagster's instance commits its SQLite event log at every event and DuckDB syncs at every
    checkpoint: on a disk other processes share, waiting for those syncs took longer than the
    pipeline's own work. Nothing a test checks depends on the disk: a killed process loses no
    written page on either. Set here, before the first temporary folder is made, and in the
    environment, so the parallel workers and the processes tests start use the same place."""
    if (config.option.basetemp is None and RAM_DISK.is_dir() and os.access(RAM_DISK, os.W_OK)
            and shutil.disk_usage(RAM_DISK).free > RAM_DISK_NEEDED):
        tempfile.tempdir = str(RAM_DISK)
        os.environ["TMPDIR"] = str(RAM_DISK)
    one_thread_per_connection()  # the workers already keep every core busy (tests/duckdb_threads.py)


def pytest_collection_modifyitems(config, items):
    """Slow files first, so the long ones do not run alone at the end while the other parallel
    worker idles (xdist hands out whole files in this order, one as a worker runs low, with
    --no-loadscope-reorder in pyproject's addopts: by default it orders files by test count). The
    first worker starts on a slow file that reads the demo, building the demo once for the
    run; the other takes the slow files that do not need it meanwhile."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    demo = {item.path for item in items if "demo_home" in item.fixturenames}
    builds_demo = next((item.path for item in items if item.path in slow and item.path in demo), None)

    def rank(item) -> int:
        if item.path == builds_demo:
            return 0
        if item.path in slow:
            return 2 if item.path in demo else 1
        return 3

    items.sort(key=rank)  # stable: a file's tests keep their order


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile`, but the files tests/worker_units.py groups go to one worker as one unit (handed
    out where the first of them comes in the order above)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(super()._split_scope(nodeid))

    return FilesTogether(config, log)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the ingest tables and macros created."""
    connection = duckdb.connect()
    run_sql(connection, "staging/create_tables")
    yield connection
    connection.close()


def _run_root(tmp_path_factory) -> Path:
    """The run's temporary directory every parallel worker shares (each worker's own is below it)."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory):
    """`copy_demo(home) -> truth`: what generate_demo(home) writes and returns (the default seed),
    copied from one generation per test run. The generator is deterministic (tests/demo checks
    it, byte for byte and time for time) and costs about 5 s of CPU a call; a copy keeps each
    file's bytes and modification time. The first worker to need it generates it under a lock."""
    def generate(generated: Path) -> None:
        from demo.generator import generate_demo

        truth = generate_demo(generated / "home")
        (generated / "truth.pickle").write_bytes(pickle.dumps(truth))

    generated = _built_once(_run_root(tmp_path_factory) / "openbook-demo-files", generate)

    def copy_demo(home: Path) -> dict:
        shutil.copytree(generated / "home", home, copy_function=shutil.copy2, dirs_exist_ok=True)
        return pickle.loads((generated / "truth.pickle").read_bytes())

    return copy_demo


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory, request) -> Path:
    """A data home with the demo system generated and the whole pipeline run once.

    OPENBOOK_TEST_DEMO_HOME names a home already built from this same tree (`openbook
    demo-data && openbook run`), to skip the five-minute build while iterating on a few
    test files; the suite as `make test` runs it never sets it."""
    prebuilt = os.environ.get("OPENBOOK_TEST_DEMO_HOME")
    if prebuilt:
        return Path(prebuilt)
    # Under pytest-xdist each worker is a session of its own: the first worker to get here
    # builds the demo in the run's shared temporary directory and the others wait on the lock,
    # then read the same home (tests only read it), instead of every worker building its own.
    copy_demo = request.getfixturevalue("demo_files")
    return _built_once(_run_root(tmp_path_factory) / "openbook-demo", lambda home: _build_demo(home, copy_demo))


BUILT = ".openbook-test-demo-built"  # written last: a half-built folder (a worker killed) is built again


def _built_once(folder: Path, build) -> Path:
    """`folder`, made by build(folder) unless a worker already made it this run: the first worker
    to get here builds it and the others wait on the lock, then read it."""
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / BUILT).exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            build(folder)
            (folder / BUILT).write_text("built\n", encoding="utf-8")
    return folder


def _build_demo(home: Path, copy_demo) -> None:
    from pipelines.runner import Runner
    from warehouse.settings import Paths

    copy_demo(home)
    summary = Runner(Paths(home), quiet=True).run_all(progress=lambda _: None)
    assert summary.ok, f"pipeline runs failed: {[s for s in summary.steps if not s[3]]}"


@pytest.fixture(scope="session")
def truth(demo_home) -> dict:
    return json.loads((demo_home / "demo_truth.json").read_text())


@pytest.fixture
def demo_db(demo_home):
    connection = duckdb.connect(str(demo_home / "warehouse" / "openbook.duckdb"), read_only=True)
    yield connection
    connection.close()
