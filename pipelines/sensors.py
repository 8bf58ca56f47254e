"""Sensors: new or corrected submissions in the inbox trigger the affected periods only,
and a successful ingest triggers the open book rebuild."""

import json

import dagster as dg

from pipelines.jobs import ingest_job, open_book_job
from assets.partitions import file_periods, periods, scan
from warehouse.settings import Paths
from pipelines.changes import file_stamp
from warehouse.connection import Warehouse


def inbox_fingerprint(paths: Paths) -> dict[str, str]:
    """path -> size:mtime of every file in the inbox (cheap; the loader checks sha256)."""
    if not paths.inbox.exists():
        return {}
    return {str(p.relative_to(paths.inbox)): file_stamp(p) for p in paths.inbox.rglob("*") if p.is_file()}


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Every minute: a new, late or corrected file in the inbox requests an ingest run of "
                       "its period (adding the period as a partition first). A file whose period is "
                       "outside the data home's range is refused in the sensor's log and requests nothing.")
def inbox_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    """Watches the inbox: every new, late or corrected file requests an ingest run of its period."""
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
    requests = [dg.RunRequest(run_key=f"ingest-{period}-{now_key(now, changed)}", partition_key=period,
                              tags={"openbook/trigger": f"{late} submission"}) for period in affected]
    new = [p for p in affected if not context.instance.has_dynamic_partition(periods.name, p)] if affected else []
    return dg.SensorResult(
        run_requests=requests, cursor=json.dumps(now),
        dynamic_partitions_requests=[periods.build_add_request(new)] if new else [],
        skip_reason=None if requests else "changed files, but none for a period in range")


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
