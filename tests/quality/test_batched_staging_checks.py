"""The staging checks (dates outside the window, possible duplicate payments, unmapped lines)
of all the demo's submissions at once, after planting findings in a few of them: each
submission's counts and pounds against a recomputation here in plain Python over its rows,
and its whole outcome (descriptions and samples) against the submission checked alone."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from assets.ingest.source_config import StagingChecks
from assets.quality.staging_policy import validate_staging, validate_stagings
from assets.quality.submission_suite import period_bounds


@pytest.fixture(scope="module")
def warehouse(demo_home):
    con = duckdb.connect()
    with duckdb.connect(str(demo_home / "warehouse" / "openbook.duckdb"), read_only=True) as demo:
        for table in ("stg_ledger", "load_log"):
            con.register("copied", demo.execute(f"SELECT * FROM {table}").arrow())
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM copied")
            con.unregister("copied")
    loads = con.execute("SELECT load_id, partner_id, period FROM load_log WHERE status = 'current'"
                        " ORDER BY load_id").fetchall()
    planted = [load_id for load_id, _, _ in loads[5::41]]
    for n, load_id in enumerate(planted):
        con.execute("UPDATE stg_ledger SET posting_date = posting_date + ? WHERE load_id = ? AND source_row % 3 = 0",
                    [35 + n, load_id])
        con.execute("UPDATE stg_ledger SET mapped_by = 'unmapped' WHERE load_id = ? AND source_row % 4 = 1", [load_id])
        con.execute("INSERT INTO stg_ledger SELECT * FROM stg_ledger WHERE load_id = ? AND source_row < 40", [load_id])
    yield con, loads, planted
    con.close()


def _checks(n: int) -> StagingChecks:
    # partners' tolerances and severities differ: every third submission has 3 days' slack and blocks
    return StagingChecks(date_tolerance_days=3, dates_outside_period="error") if n % 3 == 0 else StagingChecks()


def recomputed(con, load_id: str, period: str, checks: StagingChecks) -> tuple:
    """(lines, outside, before, after, pounds outside, duplicate lines, unmapped, pounds unmapped)"""
    rows = con.execute("SELECT posting_date, amount, counterparty, transaction_id, cost_centre, expense_type,"
                       " description, mapped_by FROM stg_ledger WHERE load_id = ?", [load_id]).fetchall()
    start, end = period_bounds(period)
    start, end = start - dt.timedelta(days=checks.date_tolerance_days), end + dt.timedelta(days=checks.date_tolerance_days)
    before = [r for r in rows if r[0] < start]
    after = [r for r in rows if r[0] > end]
    payments: dict[tuple, int] = {}
    for day, amount, who, tid, cc, et, desc, _ in rows:
        if who is not None:
            ref = tid if tid is not None else " | ".join(v for v in (cc, et, desc) if v is not None)
            payments[who, amount, day, ref] = payments.get((who, amount, day, ref), 0) + 1
    unmapped = [r for r in rows if r[7] == "unmapped"]
    return (len(rows), len(before) + len(after), len(before), len(after),
            sum((r[1] for r in before + after), Decimal(0)), sum(n for n in payments.values() if n > 1),
            len(unmapped), sum((r[1] for r in unmapped), Decimal(0)))


def test_staging_checks_of_all_submissions_at_once(warehouse):
    con, loads, planted = warehouse
    given = [(load_id, period, _checks(n)) for n, (load_id, _, period) in enumerate(loads)]
    outcomes = validate_stagings(con, given)
    assert list(outcomes) == [load_id for load_id, _, _ in loads]
    for load_id, period, checks in given:
        dates, duplicates, unmapped = outcomes[load_id].outcomes
        lines, outside, before, after, pounds_outside, dup_lines, n_unmapped, pounds_unmapped = \
            recomputed(con, load_id, period, checks)
        assert (dates.element_count, dates.unexpected_count) == (lines, outside), load_id
        assert dates.severity == ("ERROR" if checks.dates_outside_period == "error" else "WARN")
        if outside:
            head = dates.unexpected_sample[0]
            assert (head["before"], head["after"], Decimal(head["amount_outside"])) == (before, after, pounds_outside)
            assert len(dates.unexpected_sample) == 1 + min(outside, 20)
        assert (duplicates.element_count, duplicates.unexpected_count) == (lines, dup_lines), load_id
        assert (unmapped.element_count, unmapped.unexpected_count) == (lines, n_unmapped), load_id
        assert f"{'-' if pounds_unmapped < 0 else ''}£{abs(pounds_unmapped):,.2f}" in unmapped.description if n_unmapped else unmapped.success
    found = sorted(load_id for load_id, o in outcomes.items() if not o.outcomes[0].success)
    assert set(planted) <= set(found)
    assert all(not outcomes[load_id].outcomes[1].success for load_id in planted)


def test_each_submission_alone_has_the_same_outcome(warehouse):
    con, loads, planted = warehouse
    chosen = [(load_id, period, _checks(n)) for n, (load_id, _, period) in enumerate(loads)
              if load_id in planted or n % 29 == 0]
    together = validate_stagings(con, chosen)
    for load_id, period, checks in chosen:
        assert validate_staging(con, load_id, period, checks) == together[load_id]
