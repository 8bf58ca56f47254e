"""Sensors: new or corrected submissions in the inbox trigger the affected periods only (every
affected period in a row in one run, as `openbook run` does), and a successful ingest
triggers the open book rebuild. On a lake with a PostgreSQL catalog each period is a run of its own,
so the runs can write side by side."""

import json

import dagster as dg

from pipelines.jobs import ingest_job, open_book_job
from assets.dagster_internals import partition_range_tags
from assets.partitions import file_periods, period_ranges, periods, scan
from warehouse.settings import Paths
from pipelines.changes import file_stamp
from warehouse.connection import Warehouse
from warehouse.lake import lake_setting


def inbox_fingerprint(paths: Paths) -> dict[str, str]:
    """path -> size:mtime of every file in the inbox (cheap; the loader checks sha256)."""
    if not paths.inbox.exists():
        return {}
    return {str(p.relative_to(paths.inbox)): file_stamp(p) for p in paths.inbox.rglob("*") if p.is_file()}


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Every minute: new, late or corrected files in the inbox request an ingest run of "
                       "their periods, one run for each range of affected periods in a row (adding the "
                       "periods as partitions first; checks are still recorded per period). A file whose "
                       "period is outside the data home's range is refused in the sensor's log and "
                       "requests nothing.")
def inbox_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    """Watches the inbox: new, late or corrected files request one ingest run per range of
    their periods in a row (assets/partitions.py period_ranges)."""
    paths = warehouse.paths
    seen = json.loads(context.cursor) if context.cursor else {}
    now = inbox_fingerprint(paths)
    changed = {name for name, stamp in now.items() if seen.get(name) != stamp}
    if not changed:
        return dg.SensorResult(skip_reason="no new or changed submissions", cursor=json.dumps(now))
    inbox = scan(paths)
    for line in inbox.refused:
        context.log.warning(line)
    affected = sorted({
        period for f in inbox.files if str(f.path.relative_to(paths.inbox)) in changed for period in file_periods(f)
    })
    late = "late or corrected" if any(seen) else "new"
    new = [p for p in affected if not context.instance.has_dynamic_partition(periods.name, p)]
    key, tags = now_key(now, changed), {"openbook/trigger": f"{late} submission"}
    requests = [ingest_request(run, key, tags) for run in runs(paths, context.instance, affected, new)]
    return dg.SensorResult(
        run_requests=requests, cursor=json.dumps(now),
        dynamic_partitions_requests=[periods.build_add_request(new)] if new else [],
        skip_reason=None if requests else "changed files, but none for a period in range")


def runs(paths: Paths, instance: dg.DagsterInstance, affected: list[str], new: list[str]) -> list[list[str]]:
    """The periods of each ingest run. A lake on a PostgreSQL catalog takes many writers at once, so
    each period is a run of its own and the run queue runs them side by side; any other warehouse
    (the DuckDB file, a lake on a catalog file) takes one writer at a time, so one run per range
    saves a run's start-up per period."""
    lake = lake_setting(paths.home)
    if lake is not None and not lake.is_file_catalog:
        return [[period] for period in affected]
    return period_ranges(instance, affected, adding=new)


def ingest_request(run: list[str], key: str, tags: dict[str, str]) -> dg.RunRequest:
    """One ingest run of `run`, periods in partition order: one partition, or the range of them."""
    if len(run) == 1:
        return dg.RunRequest(run_key=f"ingest-{run[0]}-{key}", partition_key=run[0], tags=tags)
    return dg.RunRequest(run_key=f"ingest-{run[0]}...{run[-1]}-{key}",
                         tags={**tags, **partition_range_tags(run[0], run[-1])})


def now_key(now: dict[str, str], changed: set[str]) -> str:
    return str(abs(hash(tuple(sorted((n, now[n]) for n in changed)))))


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[ingest_job],
                      request_job=open_book_job, default_status=dg.DefaultSensorStatus.STOPPED,
                      description="After an ingest run succeeds, rebuild the open book (marts, rpt_ tables, "
                                  "the analysts' published copy) once.")
def rebuild_open_book_after_ingest(context: dg.RunStatusSensorContext):
    """After a period is ingested, rebuild the marts and rpt_ tables once."""
    return dg.RunRequest(run_key=f"open-book-after-{context.dagster_run.run_id}")


all_sensors = [inbox_sensor, rebuild_open_book_after_ingest]
