"""Which changed periods share one ingest run: those that follow one another among the
partitions, in the order the partitions were added."""
import dagster as dg

from assets.partitions import period_ranges, periods


def test_changed_periods_in_a_row_share_a_run_and_a_gap_or_a_late_month_splits_them():
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(periods.name, ["2025-04", "2025-05", "2025-06", "2025-07"])
        instance.add_dynamic_partitions(periods.name, ["2025-01"])  # a late, older month: added last
        assert period_ranges(instance, ["2025-04", "2025-05", "2025-06", "2025-07"]) == [
            ["2025-04", "2025-05", "2025-06", "2025-07"]]
        assert period_ranges(instance, ["2025-07", "2025-04", "2025-05"]) == [["2025-04", "2025-05"], ["2025-07"]]
        assert period_ranges(instance, ["2025-07", "2025-01"]) == [["2025-07", "2025-01"]]
        assert period_ranges(instance, ["2025-06", "2025-01"]) == [["2025-01"], ["2025-06"]]
        assert period_ranges(instance, []) == []
