"""The inbox sensor asks for exactly the affected periods, one run per range of them in a row
(checks still recorded per period); the schedule picks its day."""
import shutil
from datetime import date, datetime

import dagster as dg

from assets.partitions import add_periods
from pipelines.schedules import monthly_board_pack, nth_working_day, previous_period
from pipelines.sensors import inbox_sensor
from tests.pipeline import loading_helpers as h
from warehouse.connection import Warehouse


def _evaluate(home, cursor=None, instance=None):
    # a context manager: the Warehouse resource has a teardown (it closes a run's connection)
    instance = instance or dg.DagsterInstance.ephemeral()
    with dg.build_sensor_context(cursor=cursor, instance=instance,
                                 resources={"warehouse": Warehouse(home=str(home))}) as context:
        result = inbox_sensor(context)
        return list(result.run_requests or []), result.cursor


def _runs(requests) -> list[list[str]]:
    """What each request's run covers: [its partition], or [first, last] of its range."""
    return [[r.partition_key] if r.partition_key_range is None
            else [r.partition_key_range.start, r.partition_key_range.end] for r in requests]


def test_sensor_adds_the_periods_it_requests_as_partitions(small_home):
    instance = dg.DagsterInstance.ephemeral()
    with dg.build_sensor_context(instance=instance, resources={"warehouse": Warehouse(home=str(small_home))}) as context:
        result = inbox_sensor(context)
    added = [key for request in result.dynamic_partitions_requests for key in request.partition_keys]
    assert sorted(added) == ["2025-05", "2025-06"]


def test_sensor_refuses_a_file_outside_the_range_and_requests_the_rest(small_home):
    bad = small_home / "inbox/la_ashby/Spend_over_500_2009-12.csv"
    bad.write_bytes((small_home / "inbox/la_ashby/Spend_over_500_2025-06.csv").read_bytes())
    requests, _ = _evaluate(small_home)
    assert _runs(requests) == [["2025-05", "2025-06"]]


def test_sensor_requests_only_new_or_changed_periods(small_home):
    first, cursor = _evaluate(small_home)
    assert _runs(first) == [["2025-05", "2025-06"]]  # a first load: one run over the two months
    again, cursor = _evaluate(small_home, cursor)
    assert again == []
    late = small_home / "inbox/la_ashby/Spend_over_500_2025-06_v2.csv"
    late.write_bytes((small_home / "inbox/la_ashby/Spend_over_500_2025-06.csv").read_bytes())
    corrected, _ = _evaluate(small_home, cursor)
    assert [r.partition_key for r in corrected] == ["2025-06"]
    assert corrected[0].tags["openbook/trigger"] == "late or corrected submission"


def test_sensor_requests_one_run_per_range_of_changed_periods_in_a_row(small_home):
    instance = dg.DagsterInstance.ephemeral()
    june = small_home / "inbox/la_ashby/Spend_over_500_2025-06.csv"
    shutil.copyfile(june, june.with_name("Spend_over_500_2025-07.csv"))
    _, cursor = _evaluate(small_home, instance=instance)
    add_periods(instance, ["2025-05", "2025-06", "2025-07"])  # as the sensor's partition request did
    for month in ("2025-05", "2025-07"):  # corrected files for May and July; June unchanged between them
        path = small_home / f"inbox/la_ashby/Spend_over_500_{month}_v2.csv"
        path.write_bytes(june.read_bytes())
    requests, _ = _evaluate(small_home, cursor, instance)
    assert _runs(requests) == [["2025-05"], ["2025-07"]]
    (small_home / "inbox/la_ashby/Spend_over_500_2025-06_v2.csv").write_bytes(june.read_bytes())
    later = small_home / "inbox/la_ashby/Spend_over_500_2025-07_v3.csv"
    later.write_bytes(june.read_bytes())
    requests, _ = _evaluate(small_home, cursor, instance)  # May to July changed since the cursor: one run
    assert _runs(requests) == [["2025-05", "2025-07"]]
    assert len({r.run_key for r in requests}) == 1


def test_on_a_lake_with_a_postgresql_catalog_each_period_is_a_run_of_its_own(small_home):
    # many writers at once are what the server catalog is for: the run queue runs these side by side
    (small_home / "config").mkdir(exist_ok=True)
    (small_home / "config/warehouse.yaml").write_text(
        "lake:\n  catalog: 'postgres:dbname=openbook_lake host=127.0.0.1'\n  data_path: lake/data\n")
    requests, _ = _evaluate(small_home)
    assert _runs(requests) == [["2025-05"], ["2025-06"]]
    (small_home / "config/warehouse.yaml").write_text("lake:\n  catalog: lake/openbook.ducklake\n"
                                                       "  data_path: lake/data\n")
    requests, _ = _evaluate(small_home)     # a catalog file takes one writer at a time: one run
    assert _runs(requests) == [["2025-05", "2025-06"]]


def test_a_range_the_sensor_requests_runs_once_and_records_each_periods_checks(small_home, runner):
    assert runner.run("reference_job")  # what the ingest reads, as `openbook run` loads it first
    with dg.build_sensor_context(instance=runner.instance,
                                 resources={"warehouse": Warehouse(home=str(small_home))}) as context:
        result = inbox_sensor(context)
    for request in result.dynamic_partitions_requests:
        add_periods(runner.instance, list(request.partition_keys))
    (request,) = result.run_requests
    job = runner.defs.resolve_job_def("ingest_job")
    run = job.execute_in_process(run_config=runner.run_config, instance=runner.instance, tags=request.tags,
                                 raise_on_error=False)
    assert run.success
    assert sorted(r.partition for r in run.get_asset_materialization_events() if r.asset_key ==
                  dg.AssetKey("stg_ledger")) == ["2025-05", "2025-06"]
    assert h.check_history(runner.instance, "posting_date_in_range") == {"2025-05": ["SUCCEEDED"],
                                                                           "2025-06": ["SUCCEEDED"]}


def test_working_day_and_previous_period():
    assert nth_working_day(2026, 11, 1) == date(2026, 11, 2)   # 1 Nov 2026 is a Sunday
    assert nth_working_day(2026, 11, 5) == date(2026, 11, 6)
    assert previous_period(date(2026, 1, 7)) == "2025-12"


def test_schedule_runs_on_the_configured_working_day_only(monkeypatch):
    monkeypatch.setenv("OPENBOOK_PACK_WORKING_DAY", "3")
    # Contexts are context managers: a schedule context enters an instance of its own (its
    # `instance` property) and only leaves it on exit; left open, Dagster's current state
    # storage points at a disposed instance and later materialize() calls fail.
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 12, 3, 7)) as on_day:
            assert isinstance(monthly_board_pack(on_day), dg.SkipReason)  # no data for 2026-11 yet: no pack
            instance.add_dynamic_partitions("periods", ["2026-11"])
            request = monthly_board_pack(on_day)
            assert isinstance(request, dg.RunRequest) and request.partition_key == "2026-11"
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 12, 4, 7)) as off_day:
            assert isinstance(monthly_board_pack(off_day), dg.SkipReason)
