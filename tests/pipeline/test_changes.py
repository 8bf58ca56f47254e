"""Which jobs `openbook run` plans from the recorded fingerprints (pipelines/changes.py)."""
import os
import shutil

from pipelines.changes import REFERENCE, RULES, UNDATED, Inputs, plan
from warehouse.settings import Paths

PERIODS = ["2025-04", "2025-05", "2025-06"]


def inputs(**changes) -> Inputs:
    prints = {f"period {p}": f"files-{p}" for p in PERIODS}
    prints.update({REFERENCE: "ref", RULES: "rules", f"period {UNDATED}": "undated"})
    prints.update(changes)
    return Inputs(prints, PERIODS)


RECORDED = inputs().fingerprints


def test_a_new_home_runs_everything():
    todo = plan(inputs(), {})
    assert todo.reference and todo.periods == PERIODS


def test_nothing_new_runs_no_ingest():
    todo = plan(inputs(), RECORDED)
    assert not todo.reference and todo.periods == []


def test_a_late_file_runs_its_own_period_only():
    todo = plan(inputs(**{"period 2025-05": "files-2025-05-and-a-late-one"}), RECORDED)
    assert not todo.reference and todo.periods == ["2025-05"]


def test_a_new_period_runs_alone():
    new = inputs(**{"period 2025-07": "files-2025-07"})
    todo = plan(Inputs(new.fingerprints, PERIODS + ["2025-07"]), RECORDED)
    assert todo.periods == ["2025-07"]


def test_changed_reference_data_reloads_it_and_restages_every_period():
    todo = plan(inputs(**{REFERENCE: "ref-v2"}), RECORDED)
    assert todo.reference and todo.periods == PERIODS


def test_changed_rules_recheck_every_period_without_reloading_reference():
    todo = plan(inputs(**{RULES: "rules-v2"}), RECORDED)
    assert not todo.reference and todo.periods == PERIODS


def test_a_new_undated_file_is_logged_by_the_latest_period():
    todo = plan(inputs(**{f"period {UNDATED}": "undated-v2"}), RECORDED)
    assert todo.periods == ["2025-06"]


def test_everything_when_asked():
    todo = plan(inputs(), RECORDED, everything=True)
    assert todo.reference and todo.periods == PERIODS


def test_a_period_never_recorded_runs_again():
    # what a failed or blocked run leaves: its period's fingerprint was not recorded
    recorded = {k: v for k, v in RECORDED.items() if k != "period 2025-04"}
    assert plan(inputs(), recorded).periods == ["2025-04"]


def test_a_home_moved_elsewhere_with_its_files_times_kept_plans_nothing_but_a_touched_file_plans_its_period(
        tmp_path, demo_files):
    home, moved = tmp_path / "home", tmp_path / "elsewhere" / "home"
    demo_files(home)
    before = Inputs.scan(Paths(home))
    shutil.copytree(home, moved, copy_function=shutil.copy2)  # a move or a restore from backup
    after = Inputs.scan(Paths(moved))
    assert plan(after, before.fingerprints) == plan(before, before.fingerprints)
    assert plan(after, before.fingerprints).periods == [] and not plan(after, before.fingerprints).reference

    late = next(p for p in sorted((moved / "inbox").rglob("*.csv")) if "2025-06" in p.name)
    os.utime(late, ns=(late.stat().st_atime_ns, late.stat().st_mtime_ns + 1_000_000_000))
    todo = plan(Inputs.scan(Paths(moved)), before.fingerprints)
    assert todo.periods == ["2025-06"] and not todo.reference
