"""Loading a submission its checks block: a blocked month stays out or keeps its last good submission, and is tried again."""
import copy
import csv
import shutil
from decimal import Decimal

import dagster as dg
import pytest

from tests.pipeline import loading_helpers as h
from tests.pipeline.conftest import _runner_on, put_back, query, snapshot_of

pytestmark = pytest.mark.slow  # whole pipeline runs on a data home
# Runs here leave the board packs and site out (reports=False): the tests read the warehouse, and the
# report job is half a small home's run.


def _blocked(home):
    """Where the partner's config says so, a date outside the period is an ERROR that blocks the month."""
    h.set_checks(home, "la_ashby", "{dates_outside_period: error}")
    h.rewrite_csv(home / h.LA_FILE, h.next_month)


@pytest.fixture(scope="module")
def _blocked_snapshot(_small_template, tmp_path_factory):
    """(where, snapshot, summary): the small home made _blocked, after one run_all(reports=False) (the run
    that blocks 2025-06, its Dagster events in SQLite as production's: the check history is read back),
    run at `where` and copied to `snapshot`, and that run's summary. Three tests start from this run:
    made once here, put back at its path for each of them (tests/pipeline/conftest.py put_back)."""
    where = tmp_path_factory.getbasetemp() / "blocked-home"
    shutil.copytree(_small_template, where, copy_function=shutil.copy2)
    _blocked(where)
    for runner in _runner_on(where):
        summary = runner.run_all(progress=lambda _: None, reports=False)
    return where, snapshot_of(where, tmp_path_factory, "blocked-snapshot"), summary


@pytest.fixture
def blocked(_blocked_snapshot):
    """(home, summary, runner): the home after the blocked run, the run's summary (a copy of its own for
    each test) and a new Runner on the home."""
    where, snapshot, summary = _blocked_snapshot
    home = put_back(where, snapshot)
    for runner in _runner_on(home):
        yield home, copy.deepcopy(summary), runner


@pytest.mark.events_in_memory
def test_a_date_outside_the_period_is_kept_and_reported_by_default(small_home, runner):
    # Issue 16: the file's own period wins; the line is loaded and counted, and a WARN says so.
    header, first = list(csv.reader((small_home / h.LA_FILE).read_text(encoding="utf-8").splitlines()))[:2]
    amount = Decimal(first[header.index("Amount (£)")].replace("£", "").replace(",", ""))
    h.rewrite_csv(small_home / h.LA_FILE, h.next_month)
    summary = runner.run_all(progress=lambda _: None, reports=False)
    assert summary.ok, summary.steps
    status = dict(query(small_home, "SELECT partner_id || ' ' || period, status FROM dq_load_status"))
    assert status["la_ashby 2025-06"] == "passed"
    warned = query(small_home, "SELECT expectation, severity, unexpected_count, description FROM dq_results"
                               " WHERE NOT passed AND partner_id = 'la_ashby' AND period = '2025-06'"
                               " AND expectation = 'posting_date_in_range'")
    assert [(e, sev, n) for e, sev, n, _ in warned] == [("posting_date_in_range", "WARN", 1)]
    assert f"1 line, £{amount:,.2f}, are outside (0 before, 1 after; kept and counted)" in warned[0][3]
    moved = query(small_home, "SELECT count(*) FROM fct_ledger WHERE partner_id = 'la_ashby' AND period = '2025-06'"
                              " AND posting_date = DATE '2025-07-02'")
    assert moved == [(1,)]


def test_a_blocked_submission_does_not_reach_the_reports(blocked):
    small_home, summary, runner = blocked  # after the run of the home made _blocked
    failed = {(job, part) for job, part, _, ok in summary.steps if not ok}
    assert failed == {("ingest_job", "2025-05...2025-06")}  # both months in one run, which the block fails
    assert [(o.partition, o.status) for o in summary.outcomes if o.job == "ingest_job"] == [
        ("2025-05", "loaded"), ("2025-06", "blocked")]
    blocked = [o.line for o in summary.outcomes if o.status == "blocked"]
    assert blocked == ["ingest 2025-06: blocked: stg_ledger posting_date_in_range (1 row, 1 submission)"
                       " — a resubmission is rejected and the month keeps its last good submission; a first"
                       " submission stays out of the open book until a corrected file passes"]
    status = dict(query(small_home, "SELECT partner_id || ' ' || period, status FROM dq_load_status"))
    assert status == {"la_ashby 2025-06": "blocked", "la_ashby 2025-05": "passed",
                      "nw_icb 2025-05": "passed", "nw_icb 2025-06": "passed"}
    failing = query(small_home, "SELECT expectation, column_name, unexpected_count FROM dq_results"
                                " WHERE NOT passed AND severity = 'ERROR'")
    assert failing == [("posting_date_in_range", "posting_date", 1)]
    assert h.spend(small_home, "la_ashby", "2025-06") is None
    assert h.spend(small_home, "la_ashby", "2025-05") is not None
    assert h.spend(small_home, "nw_icb", "2025-06") is not None
    # Dagster keeps each period's check result, though one run checked both periods
    history = h.check_history(runner.instance, "posting_date_in_range")
    assert history == {"2025-05": ["SUCCEEDED"], "2025-06": ["FAILED"]}
    # and blocks 2025-06 again after a rerun of 2025-06 alone (as from the UI), on top of its history
    assert not runner.run("ingest_job", "2025-06")
    assert h.check_history(runner.instance, "posting_date_in_range") == {"2025-05": ["SUCCEEDED"],
                                                                           "2025-06": ["FAILED", "FAILED"]}


def test_a_blocked_resubmission_is_rejected_and_the_month_keeps_its_good_figures(loaded_home, loaded_runner):
    # Issue 19: the last good submission wins until a better one passes.
    small_home, runner = loaded_home, loaded_runner  # after one run that succeeded
    good = h.fct_expenditure(small_home, "la_ashby", "2025-06")
    good_total = h.fct_total(small_home)
    pack_before = query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL")
    original = (small_home / h.LA_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    h.set_checks(small_home, "la_ashby", "{dates_outside_period: error}")
    h.send(small_home, "Spend_over_500_2025-06_v2.csv", h.next_month(original), 1)  # blocked by its dates

    summary = runner.run_all(progress=lambda _: None)  # with the reports: the block stops none of them
    assert [o.status for o in summary.outcomes if o.partition == "2025-06"][-2:] == ["blocked", "done"]
    assert h.june_log(small_home) == [("Spend_over_500_2025-06.csv", "current"),
                                     ("Spend_over_500_2025-06_v2.csv", "rejected")]
    (message,) = query(small_home, "SELECT message FROM load_log WHERE status = 'rejected'")[0]
    assert "posting_date_in_range (1 row)" in message and "Spend_over_500_2025-06.csv" in message
    assert h.fct_expenditure(small_home, "la_ashby", "2025-06") == good
    assert query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL") == pack_before
    status = dict(query(small_home, "SELECT partner_id || ' ' || period, status FROM dq_load_status"))
    assert status["la_ashby 2025-06"] == "passed"
    for table in ("raw_ledger", "quarantine", "skipped_rows", "stg_ledger"):
        assert query(small_home, f"SELECT count(*) FROM held_{table}") == [(0,)], table

    # Sent again unchanged, the rejected file is not loaded again; the period now passes.
    assert h.fresh(runner).run_all(progress=lambda _: None, reports=False).ok
    assert h.june_log(small_home)[-1] == ("Spend_over_500_2025-06_v2.csv", "rejected")

    # A corrected file that passes replaces the month; the held one is superseded.
    h.send(small_home, "Spend_over_500_2025-06_v3.csv", original[:-1], 2)  # one line fewer: a real change
    dropped = original[-1].rstrip("\r\n").split(",")
    header = original[0].rstrip("\r\n").split(",")
    assert h.fresh(runner).run_all(progress=lambda _: None, reports=False).ok
    assert h.june_log(small_home) == [("Spend_over_500_2025-06.csv", "superseded"),
                                     ("Spend_over_500_2025-06_v2.csv", "rejected"),
                                     ("Spend_over_500_2025-06_v3.csv", "current")]
    amount = Decimal(dropped[header.index("Amount (£)")].replace("£", "").replace(",", "") or "0")
    assert h.fct_total(small_home) == good_total - amount
    for table in ("raw_ledger", "stg_ledger"):
        assert query(small_home, f"SELECT count(*) FROM held_{table}") == [(0,)], table


def test_a_first_submission_that_is_blocked_stays_out_and_the_next_good_one_goes_in(_small_template, blocked):
    # With no earlier good submission there is nothing to keep: the month is out until a file passes.
    small_home, summary, runner = blocked  # after the home's first run, made _blocked
    original = (_small_template / h.LA_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    assert not summary.ok
    assert h.spend(small_home, "la_ashby", "2025-06") is None
    h.send(small_home, "Spend_over_500_2025-06_v2.csv", original, 1)
    assert h.fresh(runner).run_all(progress=lambda _: None, reports=False).ok
    assert h.june_log(small_home) == [("Spend_over_500_2025-06.csv", "superseded"),
                                     ("Spend_over_500_2025-06_v2.csv", "current")]
    assert h.spend(small_home, "la_ashby", "2025-06") is not None


def test_a_blocked_period_is_tried_again_on_the_next_run(blocked):
    _, _, runner = blocked  # after the home's first run, made _blocked
    assert h.run_once(runner, reports=False) == [("ingest_job", "2025-06"), ("open_book_job", "")]


def test_each_periods_check_evaluations_are_of_that_periods_own_staging(loaded_runner):
    # One ingest run covers both months: every evaluation of a stg_ledger check names the
    # materialisation of its own month made by that run (what the UI reads to call a result current).
    # The run read back is loaded_home's (`openbook run --no-reports` on the small home, its Dagster
    # instance on SQLite as production's): the run this test made itself before, made once a run.
    runner = loaded_runner
    ingest = [run.run_id for run in runner.instance.get_runs(filters=dg.RunsFilter(job_name="ingest_job"))]
    assert len(ingest) == 1
    (run_id,) = ingest
    staged = {record.partition_key: record.storage_id for record in runner.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("stg_ledger")), limit=100).records if record.run_id == run_id}
    assert sorted(staged) == ["2025-05", "2025-06"]
    evaluations = [entry.dagster_event.event_specific_data for entry in runner.instance.all_logs(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
    of_staging = [e for e in evaluations if e.asset_key == dg.AssetKey("stg_ledger")]
    assert sorted({e.partition for e in of_staging}) == ["2025-05", "2025-06"]
    assert len(of_staging) == 2 * len({e.check_name for e in of_staging}) > 2
    assert all(e.target_materialization_data.storage_id == staged[e.partition] for e in of_staging)
