"""What a run redoes: a late file its own period, changed reference data or rules every period they touch, and a failed run publishes nothing."""
import csv
import os
from decimal import Decimal

import duckdb
import pytest

from tests.pipeline import loading_helpers as h
from tests.pipeline.conftest import query

pytestmark = pytest.mark.slow  # whole pipeline runs on a data home
# Runs here leave the board packs and site out (reports=False): the tests read the warehouse, and the
# report job is half a small home's run. The one about a failed run keeps them, to see them untouched.


@pytest.mark.events_in_memory
def test_a_late_file_reruns_its_own_period_only_and_gives_the_from_scratch_figures(small_home, runner, tmp_path):
    late = small_home / h.LA_FILE
    held = tmp_path / "held.csv"
    os.replace(late, held)
    assert h.run_once(runner, reports=False) == [("reference_job", ""), ("ingest_job", "2025-05"),
                                                 ("ingest_job", "2025-06"), ("open_book_job", "")]
    assert h.spend(small_home, "la_ashby", "2025-06") is None

    os.replace(held, late)
    assert h.run_once(runner, reports=False) == [("ingest_job", "2025-06"), ("open_book_job", "")]
    incremental = query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL")
    assert h.spend(small_home, "la_ashby", "2025-06") is not None
    # the same inputs with every period re-run: the figures do not depend on the order of arrival
    assert len(h.run_once(runner, everything=True, reports=False)) == 4
    assert query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL") == incremental


def test_nothing_new_means_no_ingest_and_changed_reference_means_every_period(loaded_home, loaded_runner):
    small_home, runner = loaded_home, loaded_runner  # after one run
    before = query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL")
    loads_before = query(small_home, "SELECT load_id, status FROM load_log ORDER BY 1")
    assert h.run_once(runner, reports=False) == [("open_book_job", "")]
    # rerun on the same inputs, it changes nothing
    assert query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL") == before
    assert query(small_home, "SELECT load_id, status FROM load_log ORDER BY 1") == loads_before
    partners = small_home / "reference" / "partners.csv"
    later = partners.stat().st_mtime + 60
    os.utime(partners, (later, later))  # the same rows in a newer file
    assert h.run_once(runner, reports=False) == [("reference_job", ""), ("ingest_job", "2025-05"),
                                                 ("ingest_job", "2025-06"), ("open_book_job", "")]


def test_a_changed_source_config_restages_its_partner_and_leaves_the_others(loaded_home, loaded_runner):
    """Issue 19: same files, new rules. The council decides REDACTED payments (to individuals) are
    not to be published: a skip rule in its config removes exactly those lines from every month."""
    small_home, runner = loaded_home, loaded_runner  # after one run
    def loads(partner):
        return query(small_home, "SELECT period, load_id FROM load_log WHERE partner_id = $p AND status = 'current'"
                                 " ORDER BY 1", {"p": partner})
    icb_loads, council_loads = loads("nw_icb"), loads("la_ashby")
    before = {m: h.fct_expenditure(small_home, "la_ashby", m) for m in ("2025-05", "2025-06")}
    redacted = {}
    for month in before:  # what the rule removes, read from the files without openbook
        rows = csv.DictReader((small_home / f"inbox/la_ashby/Spend_over_500_{month}.csv").open(encoding="utf-8"))
        redacted[month] = sum(Decimal(r["Amount (£)"]) for r in rows if r["Supplier Name"] == "REDACTED")
    assert all(redacted.values())
    config = small_home / "config" / "sources" / "la_ashby.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "      pattern: '(?i)^total'\n",
        "      pattern: '(?i)^total'\n    - column: Supplier Name\n      pattern: '^REDACTED$'\n"), encoding="utf-8")
    assert "REDACTED$" in config.read_text(encoding="utf-8")

    assert h.run_once(runner, reports=False) == [("ingest_job", "2025-05"), ("ingest_job", "2025-06"),
                                                 ("open_book_job", "")]
    assert loads("nw_icb") == icb_loads                       # not re-read
    assert [p for p, _ in loads("la_ashby")] == ["2025-05", "2025-06"]
    assert not set(loads("la_ashby")) & set(council_loads)   # re-read with the new rule
    for month, total in before.items():
        assert h.fct_expenditure(small_home, "la_ashby", month) == total - redacted[month]
    assert h.run_once(runner, reports=False) == [("open_book_job", "")]  # and then nothing to redo


@pytest.mark.events_in_memory
def test_a_file_outside_the_periods_is_refused_and_a_failed_run_never_publishes(small_home, runner):
    """A file naming a period before the range the data home accepts (config/periods.yaml) is
    refused on one line and logged; everything else loads. Then a run whose open book fails (a broken flag decisions file) changes neither the
    published copy nor the reports, though a corrected file had arrived."""
    (small_home / "config" / "periods.yaml").write_text("first: 2025-01\n", encoding="utf-8")
    early = small_home / "inbox/la_ashby/Spend_over_500_2024-12.csv"
    early.write_bytes((small_home / h.LA_FILE).read_bytes())
    first = runner.run_all(progress=lambda _: None)
    assert first.refused == ["inbox/la_ashby/Spend_over_500_2024-12.csv: refused: "
                             "2024-12 is before the first period this data home accepts (2025-01)"]
    assert [(o.job, o.partition, o.status) for o in first.outcomes] == [
        ("reference_job", "", "done"), ("ingest_job", "2025-05", "loaded"), ("ingest_job", "2025-06", "loaded"),
        ("open_book_job", "", "done"), ("report_job", "2025-06", "done")]
    logged = query(small_home, "SELECT status, message FROM load_log WHERE source_file LIKE '%2024-12%'")
    assert logged and {status for status, _ in logged} == {"failed"} and "refused" in logged[0][1]
    assert h.spend(small_home, "la_ashby", "2025-06") is not None
    # one run group: every Dagster run of this run_all carries its id and the trigger; both
    # periods are ingested in one run
    import dagster as dg

    runs = runner.instance.get_runs(filters=dg.RunsFilter(tags={"openbook/run_group": runner.run_group}))
    assert len(runs) == len(first.outcomes) - 1 == 4
    assert {r.tags["openbook/trigger"] for r in runs} == {"cli"}
    assert sorted(r.tags["openbook/step"] for r in runs) == [
        "ingest_job 2025-05...2025-06", "open_book_job", "reference_job", "report_job 2025-06"]

    published = small_home / "published" / "openbook.duckdb"
    before = (h.sha(published), os.readlink(small_home / "reports" / "2025-06"))
    (small_home / "config" / "flag_decisions.yaml").write_text("flags: [unclosed\n")
    h.rewrite_csv(small_home / h.LA_FILE, lambda lines: [*lines[:1], *lines[2:]])  # a corrected June file
    runner.summary = type(runner.summary)()
    second = runner.run_all(progress=lambda _: None)
    assert [(o.job, o.status) for o in second.outcomes] == [("ingest_job", "loaded"), ("open_book_job", "failed")]
    assert "flag_decisions.yaml: not valid YAML" in second.failed[0].detail
    assert "Traceback" not in second.failed[0].line and "\n" not in second.failed[0].line
    assert (h.sha(published), os.readlink(small_home / "reports" / "2025-06")) == before


@pytest.mark.events_in_memory
def test_a_period_that_crashes_costs_no_other_period_of_its_run(small_home, runner, monkeypatch):
    """Both months are ingested in one run; when one of them crashes (here: its loader raises),
    the other still loads and is recorded, the crashed one fails on its own line, is not
    recorded, and is the only period the next run redoes."""
    import assets.ingest.dagster_assets as ingest

    load_period = ingest.load_period

    def crash_in_june(con, files, period, run_id):
        if period == "2025-06":
            raise OSError("disk full")
        return load_period(con, files, period, run_id)

    monkeypatch.setattr(ingest, "load_period", crash_in_june)
    summary = runner.run_all(progress=lambda _: None, reports=False)
    ingests = [(o.partition, o.status) for o in summary.outcomes if o.job == "ingest_job"]
    assert ingests == [("2025-05", "loaded"), ("2025-06", "failed")]
    assert summary.failed[0].line.startswith("ingest 2025-06: failed: raw_ledger: ") and "disk full" in summary.failed[0].line
    # the range's run, then each period on its own
    assert [(job, part, ok) for job, part, _, ok in summary.steps if job == "ingest_job"] == [
        ("ingest_job", "2025-05...2025-06", False), ("ingest_job", "2025-05", True), ("ingest_job", "2025-06", False)]
    assert h.spend(small_home, "nw_icb", "2025-05") is not None and h.spend(small_home, "nw_icb", "2025-06") is None
    monkeypatch.setattr(ingest, "load_period", load_period)
    assert h.run_once(runner, reports=False) == [("ingest_job", "2025-06"), ("open_book_job", "")]
    assert h.spend(small_home, "nw_icb", "2025-06") is not None


def test_no_reports_loads_and_publishes_the_warehouse_and_writes_no_report(loaded_home):
    """`openbook run --no-reports`: every period loaded, the open book built and the analysts' copy
    published, and no board pack or site written. The run is the loaded home's (tests/pipeline/
    conftest.py `_loaded_snapshot`: `main(["--home", home, "run", "--no-reports"])`, asserted to exit OK)."""
    assert h.spend(loaded_home, "la_ashby", "2025-06") is not None
    published = duckdb.connect(str(loaded_home / "published" / "openbook.duckdb"), read_only=True)
    try:
        assert published.execute("SELECT count(*) FROM rpt_mh_spend").fetchone()[0] > 0
    finally:
        published.close()
    assert not list((loaded_home / "reports").glob("20*"))
