"""The monthly board pack: made for the previous month on a chosen working day after
month end (OPENBOOK_PACK_WORKING_DAY, default 5: the fifth working day)."""

import os
from datetime import date, timedelta

import dagster as dg

from pipelines.jobs import report_job
from assets.partitions import periods
from warehouse.periods import previous_period as period_before


def nth_working_day(year: int, month: int, n: int) -> date:
    """The n-th Monday-to-Friday day of the month (bank holidays are not modelled)."""
    day, count = date(year, month, 1), 0
    while True:
        if day.weekday() < 5:
            count += 1
            if count == n:
                return day
        day += timedelta(days=1)


def previous_period(today: date) -> str:
    """The month before today's."""
    return period_before(f"{today:%Y-%m}")


@dg.schedule(job=report_job, cron_schedule="0 7 * * 1-5", execution_timezone="Europe/London",
             default_status=dg.DefaultScheduleStatus.STOPPED,
             description="The monthly board pack: every weekday at 07:00 (London) it asks whether today is the "
                         "pack's working day (OPENBOOK_PACK_WORKING_DAY, default 5); if so it runs report_job "
                         "for last month's partition, once (run key board-pack-<period>), or skips when no "
                         "data for that month has arrived.")
def monthly_board_pack(context: dg.ScheduleEvaluationContext):
    """Every weekday at 07:00 it asks: is today the pack's working day? If so, report last month."""
    today = context.scheduled_execution_time.date()
    working_day = int(os.environ.get("OPENBOOK_PACK_WORKING_DAY", "5"))
    if today != nth_working_day(today.year, today.month, working_day):
        return dg.SkipReason(f"the pack is made on working day {working_day} of the month")
    period = previous_period(today)
    if not context.instance.has_dynamic_partition(periods.name, period):
        return dg.SkipReason(f"no data for {period} has been loaded: no pack to make")
    return dg.RunRequest(run_key=f"board-pack-{period}", partition_key=period,
                         tags={"openbook/trigger": "schedule monthly_board_pack"})


all_schedules = [monthly_board_pack]
