"""The Definitions load, and the asset graph matches its reviewed snapshot.

An accidental rewiring shows up as a diff here. After an intended change, regenerate with
`OPENBOOK_UPDATE_SNAPSHOTS=1 make test` and review tests/snapshots/asset_graph.txt.
"""
import os
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent.parent / "snapshots" / "asset_graph.txt"


def graph_text() -> str:
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        parents = sorted(p.to_user_string() for p in node.parent_keys)
        partitioned = " [by period]" if node.partitions_def else ""
        lines.append(f"{key.to_user_string()}{partitioned} <- {', '.join(parents) or '(source)'}")
        for check in sorted(node.check_keys, key=lambda c: c.name):
            spec = graph.get_check_spec(check)
            lines.append(f"    check {check.name}{' (blocking)' if spec.blocking else ''}")
    jobs = sorted(job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__"))
    lines.append("jobs: " + ", ".join(jobs))
    lines.append("schedules: " + ", ".join(sorted(s.name for s in defs.schedules)))
    lines.append("sensors: " + ", ".join(sorted(s.name for s in defs.sensors)))
    return "\n".join(lines) + "\n"


def test_definitions_load_with_every_job():
    from pipelines.definitions import defs

    for name in ("reference_job", "ingest_job", "open_book_job", "report_job"):
        assert defs.resolve_job_def(name) is not None


def test_asset_graph_matches_snapshot():
    current = graph_text()
    if os.environ.get("OPENBOOK_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(current)
    assert SNAPSHOT.exists(), "no snapshot yet: run with OPENBOOK_UPDATE_SNAPSHOTS=1"
    assert current == SNAPSHOT.read_text(), "asset graph changed: review and regenerate the snapshot"


def test_every_job_schedule_and_sensor_says_what_it_does():
    from pipelines.definitions import defs

    jobs = [job for job in defs.resolve_all_job_defs() if not job.name.startswith("__")]
    described = [*jobs, *defs.schedules, *defs.sensors]
    assert len(described) == 7
    assert [d.name for d in described if not (d.description or "").strip()] == []


def test_the_monthly_schedule_and_the_ingest_are_partitioned_by_period():
    from pipelines.definitions import defs
    from assets.partitions import periods

    assert defs.resolve_job_def("report_job").partitions_def == periods
    assert defs.resolve_job_def("ingest_job").partitions_def == periods
    (schedule,) = defs.schedules
    assert schedule.job_name == "report_job"


def test_loading_the_definitions_leaves_the_report_writers_and_their_libraries_unloaded():
    # A process that builds no report (`openbook run --no-reports`, a run that keeps its reports, the
    # sensors) does not pay for openpyxl, plotly and the writers: assets/report_assets.py imports them
    # only to build.
    import subprocess
    import sys

    code = ("import sys, pipelines.definitions; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('openpyxl', 'plotly') or m in ('reports.excel_pack', 'reports.html_site', 'reports.shared_figures')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[2]).stdout.strip()
    assert loaded == "[]"
