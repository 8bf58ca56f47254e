"""The inbox sensor asks for exactly the affected periods; the schedule picks its day."""
import os
from datetime import date, datetime

import dagster as dg

from pipelines.schedules import monthly_board_pack, nth_working_day, previous_period
from pipelines.sensors import inbox_sensor
from warehouse.connection import Warehouse


def _evaluate(home, cursor=None, instance=None):
    # a context manager: the Warehouse resource has a teardown (it closes a run's connection)
    instance = instance or dg.DagsterInstance.ephemeral()
    with dg.build_sensor_context(cursor=cursor, instance=instance,
                                 resources={"warehouse": Warehouse(home=str(home))}) as context:
        result = inbox_sensor(context)
        return list(result.run_requests or []), result.cursor


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
    assert sorted(r.partition_key for r in requests) == ["2025-05", "2025-06"]


def test_sensor_requests_only_new_or_changed_periods(small_home):
    first, cursor = _evaluate(small_home)
    assert sorted(r.partition_key for r in first) == ["2025-05", "2025-06"]
    again, cursor = _evaluate(small_home, cursor)
    assert again == []
    late = small_home / "inbox/la_ashby/Spend_over_500_2025-06_v2.csv"
    late.write_bytes((small_home / "inbox/la_ashby/Spend_over_500_2025-06.csv").read_bytes())
    corrected, _ = _evaluate(small_home, cursor)
    assert [r.partition_key for r in corrected] == ["2025-06"]
    assert corrected[0].tags["openbook/trigger"] == "late or corrected submission"


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
