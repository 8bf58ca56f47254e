"""Faults, with real processes: `openbook` killed with SIGKILL in the middle of a load and
of a report write, two runs started at once, and the disk filling up during a load.

After each: the warehouse opens, no partner-period is half loaded (load_log and the
tables agree), the last good reports are whole, and a re-run gives the same figures as
one uninterrupted run (the `baseline` below).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from tests.pipeline.conftest import put_back, snapshot_of
from tests.reliability.fault_tools import (
    PERIOD, REPO, STARTED, figures, half_loaded, kill_leftovers, openbook, report_set, sigkill, start, wait_for_pause,
)

pytestmark = pytest.mark.slow  # whole pipeline runs, killed and rerun

LA_JUNE = "inbox/la_ashby/Spend_over_500_2025-06.csv"


@pytest.fixture(autouse=True)
def no_process_left_behind():
    yield
    kill_leftovers()


@pytest.fixture(scope="module")
def baseline(_small_template, tmp_path_factory):
    """The small home after one uninterrupted `openbook run`, run in this process (the command line's
    main): what is killed below are processes of their own; the run they are measured against need
    not be one, and a process of its own would cost its start (Python, Dagster, the definitions).
    "home" is where it ran, "snapshot" a copy of it as the run left it, never written to."""
    from pipelines.cli import EXIT_OK, main
    from warehouse.settings import HOME_VARIABLES, environment_restored

    home = tmp_path_factory.mktemp("baseline") / "home"
    shutil.copytree(_small_template, home, copy_function=shutil.copy2)
    with environment_restored(*HOME_VARIABLES):
        assert main(["--home", str(home), "run"]) == EXIT_OK
    assert half_loaded(home) == []
    return {"home": home, "snapshot": snapshot_of(home, tmp_path_factory, "baseline-snapshot"),
            "figures": figures(home), "reports": report_set(home)}


def _baseline_home(baseline) -> Path:
    """The baseline run's home at the path it ran at, as the run left it (tests/pipeline/conftest.py put_back):
    its load log knows its files there, so they are loaded already (at another path they would be new files)."""
    return put_back(baseline["home"], baseline["snapshot"])


def _copy(source: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(source, home, copy_function=shutil.copy2, symlinks=True)
    return home


def test_sigkill_in_the_middle_of_a_load_then_two_runs_at_once(_small_template, baseline, tmp_path):
    """`openbook run` killed inside a load transaction; then two runs started at once to
    recover. They take turns at the writer lock, step by step: nothing is corrupted, and
    the figures are those of one uninterrupted run."""
    home = _copy(_small_template, tmp_path)
    marker, log = tmp_path / "paused", tmp_path / "run.log"
    # The second partner-period to load is killed inside its transaction: old rows
    # deleted, new rows inserted, load_log row and COMMIT not done.
    process = start(["--home", str(home), "run"], pause_at="load", marker=marker, skip=1, log=log)
    where = wait_for_pause(process, marker, log)
    sigkill(process)

    assert half_loaded(home) == []
    state = figures(home)
    killed = (where["partner_id"], where["period"])
    assert [row for row in state["load_log"] if (row[0], row[1]) == killed] == []
    assert [row for row in state["load_log"] if row[4] == "current"], "the first partition should have committed"
    assert not any((row[0], row[1]) == killed for row in state["stg_ledger"])

    command = [sys.executable, "-m", "pipelines.cli", "--home", str(home), "run"]
    runs = [subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)]
    STARTED.extend(runs)
    outputs = [run.communicate(timeout=900)[0] for run in runs]
    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output
        assert "Traceback" not in output
    assert half_loaded(home) == []
    assert figures(home) == baseline["figures"]
    assert report_set(home)["files"].keys() == baseline["reports"]["files"].keys()


def test_sigkill_while_a_resubmission_replaces_a_loaded_partition(baseline, tmp_path):
    home = _baseline_home(baseline)
    log = tmp_path / "load.log"
    before = figures(home)
    assert before == baseline["figures"]
    original = home / LA_JUNE
    lines = original.read_text(encoding="utf-8").splitlines(keepends=True)
    extra = lines[1].split(",")
    extra[6], extra[8] = "RESUB-1", "1234.56\n"
    resubmission = original.with_name("Spend_over_500_2025-06_v2.csv")
    resubmission.write_text("".join(lines) + ",".join(extra), encoding="utf-8")
    later = original.stat().st_mtime + 3600
    os.utime(resubmission, (later, later))

    marker = tmp_path / "paused"
    process = start(["load-period", str(home), PERIOD], pause_at="load", marker=marker, log=log)
    where = wait_for_pause(process, marker, log)
    sigkill(process)
    assert where["file"].endswith("_v2.csv")

    # The transaction had deleted June's rows: the kill rolled that back.
    assert figures(home)["load_log"] == before["load_log"]
    assert figures(home)["stg_ledger"] == before["stg_ledger"]
    assert half_loaded(home) == []

    rerun = start(["load-period", str(home), PERIOD], log=log)
    assert rerun.wait(timeout=300) == 0, log.read_text()
    after = figures(home)

    def june_log(state):
        return sorted((row[2], row[4]) for row in state["load_log"] if row[:2] == ("la_ashby", PERIOD))

    # The resubmission is loaded but not yet checked: the month's previous load is held in reserve
    # when it had passed its checks, superseded when it had not been checked (last_good.py).
    earlier = [row for row in june_log(after) if not row[0].endswith("_v2.csv")]
    assert sorted(name for name, _ in earlier) == sorted(name for name, _ in june_log(before))
    assert sum(status == "current" for _, status in june_log(before)) == 1
    assert {status for _, status in earlier} <= {"held", "superseded"}  # none still current
    assert ("Spend_over_500_2025-06_v2.csv", "current") in june_log(after)

    def june(state):
        return next(row for row in state["stg_ledger"] if row[:2] == ("la_ashby", PERIOD))

    assert june(after)[2] == june(before)[2] + 1
    assert june(after)[3] == june(before)[3] + Decimal("1234.56")
    assert half_loaded(home) == []


def test_sigkill_while_reports_are_written_keeps_a_complete_set(baseline, tmp_path):
    home = _baseline_home(baseline)
    old = report_set(home)
    marker, log = tmp_path / "paused", tmp_path / "report.log"

    # 1. Killed with the board packs written and the HTML not yet: the old set stays.
    process = start(["write-reports", str(home), PERIOD], pause_at="report-build", marker=marker, log=log)
    building = Path(wait_for_pause(process, marker, log)["folder"])
    half_way = any(building.glob("*.xlsx"))
    sigkill(process)
    assert half_way  # really half-way: the board packs were written
    assert report_set(home) == old

    # 2. Killed just after the new set went live, before the old one was removed: the new set.
    marker.unlink()
    process = start(["write-reports", str(home), PERIOD], pause_at="report-swap", marker=marker, log=log)
    wait_for_pause(process, marker, log)
    sigkill(process)
    new = report_set(home)
    assert new["run"] != old["run"] and new["target"] != old["target"]
    assert set(new["files"]) == set(old["files"])

    # 3. A clean `openbook report`: the complete new set, kept (nothing it was made from changed),
    # and the leftovers of both kills are gone.
    done = openbook(home, "report", "--period", PERIOD)
    assert done.returncode == 0, done.stdout + done.stderr
    final = report_set(home)
    assert final == new
    assert [p.name for p in (home / "reports").glob(f".{PERIOD}.*")] == [final["target"]]


# --------------------------------------------------------------------------- disk full

DISK_FULL_WORKER = r'''
import json, os, shutil, subprocess, sys
from pathlib import Path
mode, small, source, result = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
home = small / "home"
spare = 1024 * 1024  # room for 1 MiB more than the home holds
if mode == "tmpfs":
    size = sum(p.stat().st_size for p in source.rglob("*") if p.is_file()) + spare
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(small)], check=True)
shutil.copytree(source, home)
if mode == "fsize":  # no mount namespace here: the kernel's file-size limit gives a real write error instead
    import resource, signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = (home / "warehouse" / "openbook.duckdb").stat().st_size + spare
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
from tests.reliability.fault_tools import figures, half_loaded
from assets.ingest.source_config import load_source_configs
from assets.ingest.submissions import load_file, scan_inbox
from warehouse.connection import open_writer
before = figures(home)
item = next(f for f in scan_inbox(home / "inbox", load_source_configs(home / "config" / "sources")) if f.periods == ("2025-07",))
error = None
try:
    with open_writer(home / "warehouse" / "openbook.duckdb") as con:
        load_file(con, item, "disk-full")
except Exception as exc:
    error = f"{type(exc).__name__}: {exc}"
    context = exc.__context__
    while context is not None:  # the first error, if a later one (the rollback's) hides it
        error += f" <- {type(context).__name__}: {context}"
        context = context.__context__
free = shutil.disk_usage(small).free
if mode == "tmpfs":  # make room, as an operator would, then look again
    subprocess.run(["mount", "-o", "remount,size=512m", str(small)], check=True)
else:
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
after = figures(home)
problems = half_loaded(home)
with open_writer(home / "warehouse" / "openbook.duckdb") as con:
    retry = load_file(con, item, "after-disk-full")
result.write_text(json.dumps({"error": error, "free_bytes_left": free, "unchanged": after == before,
                              "half_loaded": problems, "retry": [retry.status, retry.rows_read, retry.rows_loaded],
                              "july_in_log_after_failure": [r for r in after["load_log"] if r[1] == "2025-07"]}))
'''


def _namespace_prefix() -> tuple[list[str], str]:
    """A private mount namespace to mount a tiny tmpfs in (as root, or as a user with
    unprivileged user namespaces); else RLIMIT_FSIZE, a real write error without a mount."""
    probe = Path(tempfile.mkdtemp())
    try:
        for prefix in (["unshare", "--mount", "--propagation", "private"],
                       ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private"]):
            mount = [*prefix, "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)]
            if shutil.which("unshare") and subprocess.run(mount, capture_output=True).returncode == 0:
                return prefix, "tmpfs"
        return [], "fsize"
    finally:
        probe.rmdir()


def test_disk_full_during_a_load_fails_cleanly(baseline, tmp_path):
    """A 60,000-row file loaded into a warehouse on a disk with 1 MiB to spare."""
    source = tmp_path / "source"
    shutil.copytree(baseline["snapshot"], source, ignore=shutil.ignore_patterns("dagster", "reports", "published"))
    rows = [f"Ashby Borough Council,Adult Social Care,Older People,Supported living,31210,{1 + i % 28:02d}-Jul-25,"
            f"BIG{i:06d},Supplier {i % 97},{500 + i % 5000}.{i % 100:02d}" for i in range(60_000)]
    header = (source / LA_JUNE).read_text(encoding="utf-8").splitlines()[0]
    (source / "inbox/la_ashby/Spend_over_500_2025-07.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    small = tmp_path / "small-disk"
    small.mkdir()
    prefix, mode = _namespace_prefix()
    result, worker = tmp_path / "result.json", tmp_path / "worker.py"
    worker.write_text(DISK_FULL_WORKER)
    done = subprocess.run([*prefix, sys.executable, str(worker), mode, str(small), str(source), str(result)],
                          cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stdout + done.stderr
    outcome = json.loads(result.read_text())
    print(f"disk full simulated with {mode}: {outcome}")
    assert outcome["error"] is not None, "the load should have run out of space"
    first = outcome["error"].split(" <- ")[0]  # the error raised, not one it hides
    assert ("No space left on device" if mode == "tmpfs" else "File too large") in first, outcome["error"]
    assert outcome["unchanged"], "the warehouse changed after the failed load"
    assert outcome["july_in_log_after_failure"] == []
    assert outcome["half_loaded"] == []
    assert outcome["retry"] == ["loaded", 60_000, 60_000]
