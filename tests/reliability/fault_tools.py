"""Helpers of the fault tests: openbook in real subprocesses, killed with SIGKILL at a
planted pause (faulty_openbook.py), and the figures and invariants checked afterwards."""
from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
HOOK = Path(__file__).resolve().with_name("faulty_openbook.py")
PERIOD = "2025-06"  # the small home's latest period: the one `openbook run` reports on

# The figures a run produces: equal after a crash and re-run, or two runs at once, to
# what one uninterrupted run gives. Run-specific values (times, ids, paths) are left out.
FIGURE_QUERIES = {
    "load_log": "SELECT partner_id, period, parse_filename(source_file), sha256, status, rows_read, rows_loaded,"
                " rows_quarantined, rows_skipped FROM load_log ORDER BY ALL",
    "stg_ledger": "SELECT partner_id, period, count(*), sum(amount) FROM stg_ledger GROUP BY ALL ORDER BY ALL",
    "quarantine": "SELECT partner_id, period, stage, reason_code, count(*) FROM quarantine GROUP BY ALL ORDER BY ALL",
    "skipped_rows": "SELECT partner_id, period, reason, count(*) FROM skipped_rows GROUP BY ALL ORDER BY ALL",
    "fct_ledger": "SELECT partner_id, period, line_type, count(*), sum(amount) FROM fct_ledger GROUP BY ALL ORDER BY ALL",
    "dq_load_status": "SELECT partner_id, period, status, error_failures, warnings FROM dq_load_status ORDER BY ALL",
    "rpt_mh_spend": "SELECT * FROM rpt_mh_spend ORDER BY ALL",
    "rpt_mhis": "SELECT * FROM rpt_mhis ORDER BY ALL",
    "rpt_open_book": "SELECT * FROM rpt_open_book ORDER BY ALL",
    "rpt_system_position": "SELECT * FROM rpt_system_position ORDER BY ALL",
}


def openbook(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "--home", str(home), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


STARTED: list[subprocess.Popen] = []  # killed at teardown if a test fails before it kills them


def start(args: list[str], *, pause_at: str | None = None, marker: Path | None = None, skip: int = 0,
          log: Path | None = None) -> subprocess.Popen:
    command = [sys.executable, str(HOOK)]
    if pause_at:
        command += ["--pause-at", pause_at, "--marker", str(marker), "--skip", str(skip)]
    output = open(log, "w") if log else subprocess.DEVNULL
    process = subprocess.Popen([*command, "--", *args], cwd=REPO, stdout=output, stderr=subprocess.STDOUT)
    STARTED.append(process)
    return process


def kill_leftovers() -> None:
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)


def wait_for_pause(process: subprocess.Popen, marker: Path, log: Path | None = None, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists() and marker.stat().st_size:
            return json.loads(marker.read_text())
        if process.poll() is not None:
            output = log.read_text() if log else ""
            raise AssertionError(f"exited ({process.returncode}) before the pause was reached:\n{output[-3000:]}")
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the pause was not reached in time")


def sigkill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL


def connect(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse" / "openbook.duckdb"), read_only=True)


def figures(home: Path) -> dict:
    """FIGURE_QUERIES' results; None for a table a killed run never got to build."""
    con = connect(home)
    try:
        existing = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return {name: con.execute(sql).fetchall() if re.search(r"FROM (\w+)", sql).group(1) in existing else None
                for name, sql in FIGURE_QUERIES.items()}
    finally:
        con.close()


def half_loaded(home: Path) -> list[str]:
    """Every way a partner-period could be half loaded; empty when the warehouse is consistent."""
    con = connect(home)
    problems = []
    try:
        for load_id, read, loaded, quarantined, skipped in con.execute(
                "SELECT load_id, rows_read, rows_loaded, rows_quarantined, rows_skipped FROM load_log"
                " WHERE status = 'current'").fetchall():
            counts = [con.execute(f"SELECT count(*) FROM {table} WHERE load_id = $l{extra}", {"l": load_id}).fetchone()[0]
                      for table, extra in (("raw_ledger", ""), ("quarantine", " AND stage = 'parse'"),
                                           ("skipped_rows", ""))]
            if counts != [loaded, quarantined, skipped] or sum(counts) != read:
                problems.append(f"{load_id}: log says {[loaded, quarantined, skipped]} of {read}, tables hold {counts}")
        for table in ("raw_ledger", "quarantine", "skipped_rows", "stg_ledger"):
            orphans = con.execute(
                f"SELECT DISTINCT load_id FROM {table} WHERE load_id NOT IN"
                " (SELECT load_id FROM load_log WHERE status = 'current')").fetchall()
            problems += [f"{table} holds rows of {lid} (not a current load)" for (lid,) in orphans]
        doubles = con.execute("SELECT partner_id, period FROM load_log WHERE status = 'current' GROUP BY ALL"
                              " HAVING count(*) > 1").fetchall()
        problems += [f"{p} {m} has two current loads" for p, m in doubles]
    finally:
        con.close()
    return problems


def report_set(home: Path, period: str = PERIOD) -> dict:
    """What reports/<period> shows: its files with their digests, and the run stamped in
    the HTML. Asserts the set is complete (every workbook a whole zip, every page ends)."""
    folder = home / "reports" / period
    assert folder.is_dir(), f"{folder} does not exist"
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        name = str(path.relative_to(folder))
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                assert book.testzip() is None, name
        if path.suffix == ".html":
            assert data.rstrip().endswith(b"</html>"), f"{name} is cut short"
        files[name] = hashlib.sha256(data).hexdigest()
    assert any(name.endswith("all-systems.xlsx") for name in files) and "html/index.html" in files, sorted(files)
    stamp = (folder / "html" / "assets" / "build-stamp.css").read_text(encoding="utf-8")  # the site's stamps
    run = stamp.split(" · run ", 1)[1].split(" · ", 1)[0].strip() if " · run " in stamp else None
    return {"files": files, "run": run, "target": os.readlink(folder) if folder.is_symlink() else None}
