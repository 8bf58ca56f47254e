"""What changed since the last successful run: which periods need their ingest job, and
whether the reference data or the rules changed.

A period's inputs are its inbox files (path, size, modification time); the rules are the
source configs and the quality settings; the reference is every file in reference/ (and the inbox folder names). Each is
fingerprinted from file metadata only (no file is read; paths as seen from the data home, so a
home moved or restored elsewhere with its files' times kept reruns nothing), and the fingerprint is recorded
in the warehouse's `run_inputs` table when the work that depends on it succeeded. So a
late file costs its own period's ingest, a failed or blocked period is tried again on the
next run, and a changed reference or rule re-stages and re-checks every period.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from warehouse.settings import Paths
from warehouse.sql_files import transaction

REFERENCE = "reference"
RULES = "rules"
UNDATED = "undated files"  # files whose period cannot be told: any period's ingest logs them


def file_stamp(path: Path) -> str:
    """size:mtime of a file, or "gone": how openbook tells a file changed without reading
    it (the loader compares sha256 before it loads anything)."""
    try:
        info = path.stat()
    except OSError:
        return "gone"
    return f"{info.st_size}:{info.st_mtime_ns}"


def _fingerprint(paths: list[Path], home: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(f"{_seen_from(home, path)}\0{file_stamp(path)}\n".encode("utf-8", "backslashreplace"))
    return digest.hexdigest()


def _seen_from(home: Path, path: Path) -> str:
    """A path relative to the data home (where the home's files are), else as given."""
    try:
        return path.relative_to(home).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Inputs:
    """Fingerprints of everything a run reads, keyed as recorded in run_inputs."""

    fingerprints: dict[str, str]
    periods: list[str]
    refused: list[str] = field(default_factory=list)  # files refused for their period, one line each

    @classmethod
    def scan(cls, paths: Paths) -> "Inputs":
        from assets.ingest.reference_sources import source_files
        from assets.partitions import file_periods, scan

        inbox = scan(paths)
        by_period: dict[str, list[Path]] = defaultdict(list)
        for item in inbox.files:
            for period in file_periods(item) or (UNDATED,):
                by_period[period].append(item.path)
        fingerprints = {f"period {period}": _fingerprint(files, paths.home) for period, files in by_period.items()}
        # Every reference file (CSV, workbook, sources.yaml) and the inbox's partner folders:
        # a new partner folder must be checked against partners before its money is used.
        # (Folder names only: a folder's own stamp changes with every file dropped in it.)
        folders = sorted(p.name for p in paths.inbox.iterdir() if p.is_dir()) if paths.inbox.is_dir() else []
        reference = _fingerprint(source_files(paths.reference), paths.home)
        fingerprints[REFERENCE] = hashlib.sha256("\0".join([reference, *folders]).encode()).hexdigest()
        rules = list(paths.source_configs.glob("*.y*ml"))
        fingerprints[RULES] = _fingerprint(rules + [paths.quality_settings], paths.home)
        return cls(fingerprints, inbox.periods, inbox.refused)


@dataclass(frozen=True)
class Plan:
    reference: bool  # run the reference job
    periods: list[str]  # run the ingest job of these periods


def plan(inputs: Inputs, recorded: dict[str, str], everything: bool = False) -> Plan:
    """The jobs to run, given the fingerprints recorded after the last successful work."""
    changed = {name for name, value in inputs.fingerprints.items() if recorded.get(name) != value}
    if everything or REFERENCE in changed or RULES in changed:
        return Plan(reference=everything or REFERENCE in changed, periods=list(inputs.periods))
    periods = [p for p in inputs.periods if f"period {p}" in changed]
    if f"period {UNDATED}" in changed and inputs.periods and not periods:
        periods = [inputs.periods[-1]]  # some period's run must log the new undated files
    return Plan(reference=False, periods=periods)


def recorded_inputs(con) -> dict[str, str]:
    return dict(con.execute("SELECT name, fingerprint FROM run_inputs").fetchall())


def record_inputs(con, fingerprints: dict[str, str]) -> None:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    # Delete then insert, not INSERT OR REPLACE: a DuckLake warehouse has no primary keys.
    with transaction(con):
        con.execute("DELETE FROM run_inputs WHERE list_contains($names, name)", {"names": list(fingerprints)})
        for name, value in fingerprints.items():
            con.execute("INSERT INTO run_inputs VALUES ($n, $f, $t)", {"n": name, "f": value, "t": now})
