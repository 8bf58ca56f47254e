"""The report swap has no window: reports/<period> is at every instant either the old
complete set or the new complete set.

write_reports is crashed before each of its file-system operations in turn (and the
builders are stubbed, so each set is four small files stamped with its run), and after
every crash the period's folder is checked. Before the fix (rename the old folder away,
then rename the new one in) the crash between the two renames left no folder at all.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from assets import report_assets, report_inputs

PERIOD = "2025-06"
EXPECTED = {f"openbook-board-pack-{PERIOD}-all-systems.xlsx", f"openbook-board-pack-{PERIOD}-north_weald.xlsx",
            f"openbook-board-pack-{PERIOD}-south_fen.xlsx", "html/index.html"}


class Crash(BaseException):
    """The process dying: not an Exception, so no handler in the code under test can catch it."""


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute("CREATE TABLE rpt_mh_spend AS SELECT * FROM (VALUES ('north_weald'), ('south_fen'), (NULL)) t(ics_id)")
    yield connection
    connection.close()


@pytest.fixture(autouse=True)
def stub_builders(monkeypatch):
    def board_pack(con, period, path, *, ics_id=None, run_id="", shared=None):
        path.write_text(run_id)

    def html_site(con, period, out_dir, *, run_id="", last=None, shared=None):
        out_dir.mkdir()
        (out_dir / "index.html").write_text(run_id)

    monkeypatch.setattr(report_assets, "build_board_pack", board_pack)
    monkeypatch.setattr(report_assets, "build_html_site", html_site)
    # each write here is a new set stamped with its run, though the warehouse is the same: the
    # swap is under test, not the keeping of an unchanged set (tests/assets/test_report_inputs.py)
    monkeypatch.setattr(report_assets.report_inputs, "unchanged", lambda con, version: False)


def shown(reports: Path) -> str | None:
    """The run whose complete set reports/<period> shows; None when there is no folder."""
    folder = reports / PERIOD
    if not folder.is_dir():
        return None
    # (beside the reports, the record of what they were made from)
    files = {str(p.relative_to(folder)): p.read_text() for p in folder.rglob("*")
             if p.is_file() and p.name != report_inputs.INPUTS}
    assert set(files) == EXPECTED, f"an incomplete set is showing: {sorted(files)}"
    assert len(set(files.values())) == 1, f"a mixed set is showing: {files}"
    return next(iter(files.values()))


# Every call that changes names in the file system, wherever write_reports makes it.
MUTATIONS = [(os, "replace"), (os, "rename"), (os, "symlink"), (os, "unlink"), (os, "mkdir"), (os, "rmdir"),
             (shutil, "rmtree"), (Path, "rename"), (Path, "replace"), (Path, "unlink"), (Path, "mkdir"),
             (Path, "symlink_to")]


def crash_at(monkeypatch, step: int) -> list[str]:
    """Make the step-th file-system change (0-based) crash instead of happening."""
    seen: list[str] = []
    for owner, name in MUTATIONS:
        original = getattr(owner, name)

        def wrapper(*args, _original=original, _name=name, **kwargs):
            if len(seen) == step:
                raise Crash(_name)
            seen.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)
    return seen


def test_a_crash_at_any_step_shows_the_old_or_the_new_complete_set(con, tmp_path, monkeypatch):
    steps = 0
    while True:
        reports = tmp_path / f"crash-{steps}"
        report_assets.write_reports(con, PERIOD, reports, "old")
        assert shown(reports) == "old"
        with monkeypatch.context() as patch:
            done = crash_at(patch, steps)
            try:
                report_assets.write_reports(con, PERIOD, reports, "new")
                finished = True
            except Crash:
                finished = False
        assert shown(reports) in ("old", "new"), f"crash before step {steps} ({done}) left no reports"
        # and the next run tidies up after the crash
        report_assets.write_reports(con, PERIOD, reports, "next")
        assert shown(reports) == "next"
        assert [p.name for p in reports.glob(f".{PERIOD}*")] == [os.readlink(reports / PERIOD)]
        if finished:
            break
        steps += 1
    assert steps >= 5, "write_reports should have been crashed at every one of its steps"


def test_a_failed_build_keeps_the_old_set_and_leaves_nothing_behind(con, tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    report_assets.write_reports(con, PERIOD, reports, "old")

    def broken(con, period, out_dir, *, run_id="", last=None, shared=None):
        raise RuntimeError("a chart failed")

    monkeypatch.setattr(report_assets, "build_html_site", broken)
    with pytest.raises(RuntimeError):
        report_assets.write_reports(con, PERIOD, reports, "new")
    assert shown(reports) == "old"
    assert [p.name for p in reports.glob(f".{PERIOD}*")] == [os.readlink(reports / PERIOD)]


def test_a_folder_from_before_versioned_reports_is_replaced_by_a_link(con, tmp_path):
    reports = tmp_path / "reports"
    legacy = reports / PERIOD
    (legacy / "html").mkdir(parents=True)
    for name in EXPECTED:
        (legacy / name).write_text("legacy")
    assert shown(reports) == "legacy"
    report_assets.write_reports(con, PERIOD, reports, "new")
    assert (reports / PERIOD).is_symlink() and shown(reports) == "new"
    assert not os.path.isabs(os.readlink(reports / PERIOD))  # relative: the folder can be moved whole
    assert [p.name for p in reports.glob(f".{PERIOD}*")] == [os.readlink(reports / PERIOD)]


def test_other_periods_are_left_alone(con, tmp_path):
    reports = tmp_path / "reports"
    report_assets.write_reports(con, "2025-05", reports, "may")
    report_assets.write_reports(con, PERIOD, reports, "june")
    report_assets.write_reports(con, PERIOD, reports, "june again")
    may = reports / "2025-05"
    assert {p.read_text() for p in may.rglob("*") if p.is_file() and p.name != report_inputs.INPUTS} == {"may"}
