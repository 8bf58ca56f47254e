"""Loading behaviours on a small home: blocking, resubmission, idempotency, bad files."""
import csv
import os
from decimal import Decimal

import pytest

from tests.pipeline.conftest import query

pytestmark = pytest.mark.slow  # whole pipeline runs on a data home

LA_FILE = "inbox/la_ashby/Spend_over_500_2025-06.csv"


def _rewrite_csv(path, transform, encoding="utf-8"):
    lines = path.read_text(encoding=encoding).splitlines(keepends=True)
    path.write_text("".join(transform(lines)), encoding=encoding)


def _spend(home, partner, period):
    return query(home, "SELECT sum(spend) FROM rpt_mh_spend WHERE partner_id = $p AND period = $m",
                 {"p": partner, "m": period})[0][0]


def _fct_expenditure(home, partner, period):
    return query(home, "SELECT sum(amount) FROM fct_ledger WHERE partner_id = $p AND period = $m"
                       " AND line_type = 'expenditure'", {"p": partner, "m": period})[0][0]


def _next_month(lines):
    """Move the first payment into the next month: a valid date, outside the submitted period."""
    cells = lines[1].split(",")
    cells[lines[0].split(",").index("Payment Date")] = "02-Jul-25"
    return [lines[0], ",".join(cells), *lines[2:]]


def _set_checks(home, partner, text):
    config = home / "config" / "sources" / f"{partner}.yaml"
    config.write_text(config.read_text(encoding="utf-8").rstrip("\n") + f"\nchecks: {text}\n", encoding="utf-8")


def test_a_date_outside_the_period_is_kept_and_reported_by_default(small_home, runner):
    # Issue 16: the file's own period wins; the line is loaded and counted, and a WARN says so.
    header, first = list(csv.reader((small_home / LA_FILE).read_text(encoding="utf-8").splitlines()))[:2]
    amount = Decimal(first[header.index("Amount (£)")].replace("£", "").replace(",", ""))
    _rewrite_csv(small_home / LA_FILE, _next_month)
    summary = runner.run_all(progress=lambda _: None)
    assert summary.ok, summary.steps
    status = dict(query(small_home, "SELECT partner_id || ' ' || period, status FROM dq_load_status"))
    assert status["la_ashby 2025-06"] == "passed"
    warned = query(small_home, "SELECT expectation, severity, unexpected_count, description FROM dq_results"
                               " WHERE NOT passed AND partner_id = 'la_ashby' AND period = '2025-06'"
                               " AND expectation = 'posting_date_in_range'")
    assert [(e, sev, n) for e, sev, n, _ in warned] == [("posting_date_in_range", "WARN", 1)]
    assert f"1 lines, £{amount:,.2f}, are outside (0 before, 1 after; kept and counted)" in warned[0][3]
    moved = query(small_home, "SELECT count(*) FROM fct_ledger WHERE partner_id = 'la_ashby' AND period = '2025-06'"
                              " AND posting_date = DATE '2025-07-02'")
    assert moved == [(1,)]


def test_a_blocked_submission_does_not_reach_the_reports(small_home, runner):
    # Where the partner's config says so, a date outside the period is an ERROR that blocks the month.
    _set_checks(small_home, "la_ashby", "{dates_outside_period: error}")
    _rewrite_csv(small_home / LA_FILE, _next_month)
    summary = runner.run_all(progress=lambda _: None)
    failed = {(job, part) for job, part, _, ok in summary.steps if not ok}
    assert failed == {("ingest_job", "2025-06")}
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
    assert _spend(small_home, "la_ashby", "2025-06") is None
    assert _spend(small_home, "la_ashby", "2025-05") is not None
    assert _spend(small_home, "nw_icb", "2025-06") is not None


def test_an_identical_file_sent_again_under_another_name_changes_nothing(small_home, runner):
    runner.run_all(progress=lambda _: None)
    before = query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL")
    lines = query(small_home, "SELECT count(*), sum(amount) FROM stg_ledger WHERE partner_id = 'la_ashby'"
                              " AND period = '2025-06'")
    again = small_home / "inbox/la_ashby/Spend_over_500_2025-06_v2.csv"
    again.write_bytes((small_home / LA_FILE).read_bytes())
    later = (small_home / LA_FILE).stat().st_mtime + 3600
    os.utime(again, (later, later))
    assert runner.run_all(progress=lambda _: None).ok
    assert query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL") == before
    assert query(small_home, "SELECT count(*), sum(amount) FROM stg_ledger WHERE partner_id = 'la_ashby'"
                             " AND period = '2025-06'") == lines


def test_rerunning_on_the_same_inputs_changes_nothing(small_home, runner):
    runner.run_all(progress=lambda _: None)
    before = query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL")
    loads_before = query(small_home, "SELECT load_id, status FROM load_log ORDER BY 1")
    runner.run_all(progress=lambda _: None)
    assert query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL") == before
    assert query(small_home, "SELECT load_id, status FROM load_log ORDER BY 1") == loads_before


def test_a_resubmission_replaces_the_period_and_the_log_keeps_both(small_home, runner):
    runner.run_all(progress=lambda _: None)
    original = _fct_expenditure(small_home, "la_ashby", "2025-06")
    corrected = small_home / "inbox/la_ashby/Spend_over_500_2025-06_v2.csv"
    source = (small_home / LA_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    header = source[0].rstrip("\r\n").split(",")
    # One new payment of £1,234.56 on an existing, mapped cost centre.
    template = next(line for line in source[1:] if line.strip(",\r\n") and "REDACTED" not in line)
    cells = template.rstrip("\r\n").split(",")
    cells[header.index("Transaction ID")] = "RESUB-1"
    cells[header.index("Amount (£)")] = "1234.56"
    corrected.write_text("".join(source) + ",".join(cells) + "\n", encoding="utf-8")
    newer = (small_home / LA_FILE).stat().st_mtime + 3600
    os.utime(corrected, (newer, newer))

    runner.run("ingest_job", "2025-06")
    runner.run("open_book_job")
    log = query(small_home, "SELECT source_file, status, rows_read, rows_loaded FROM load_log"
                            " WHERE partner_id = 'la_ashby' AND period = '2025-06' ORDER BY loaded_at")
    assert [(row[0].rsplit("/", 1)[1], row[1]) for row in log] == [
        ("Spend_over_500_2025-06.csv", "superseded"), ("Spend_over_500_2025-06_v2.csv", "current")]
    assert log[1][2] == log[0][2] + 1
    assert _fct_expenditure(small_home, "la_ashby", "2025-06") == original + Decimal("1234.56")
    assert query(small_home, "SELECT count(DISTINCT source_file) FROM stg_ledger"
                             " WHERE partner_id = 'la_ashby' AND period = '2025-06'") == [(1,)]


def _send(home, name, lines, hours_later):
    path = home / "inbox" / "la_ashby" / name
    path.write_text("".join(lines), encoding="utf-8")
    later = (home / LA_FILE).stat().st_mtime + 3600 * hours_later
    os.utime(path, (later, later))
    return path


def _fresh(runner):
    """A new runner on the same home: a run summary covers one runner's runs."""
    return type(runner)(runner.paths)


def _fct_total(home):
    return query(home, "SELECT sum(amount) FROM fct_ledger WHERE partner_id = 'la_ashby' AND period = '2025-06'")[0][0]


def _june_log(home):
    return [(source.rsplit("/", 1)[1], status) for source, status in query(
        home, "SELECT source_file, status FROM load_log WHERE partner_id = 'la_ashby' AND period = '2025-06'"
              " ORDER BY loaded_at")]


def test_a_blocked_resubmission_is_rejected_and_the_month_keeps_its_good_figures(small_home, runner):
    # Issue 19: the last good submission wins until a better one passes.
    assert runner.run_all(progress=lambda _: None).ok
    good = _fct_expenditure(small_home, "la_ashby", "2025-06")
    good_total = _fct_total(small_home)
    pack_before = query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL")
    original = (small_home / LA_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    _set_checks(small_home, "la_ashby", "{dates_outside_period: error}")
    _send(small_home, "Spend_over_500_2025-06_v2.csv", _next_month(original), 1)  # blocked by its dates

    summary = runner.run_all(progress=lambda _: None)
    assert [o.status for o in summary.outcomes if o.partition == "2025-06"][-2:] == ["blocked", "done"]
    assert _june_log(small_home) == [("Spend_over_500_2025-06.csv", "current"),
                                     ("Spend_over_500_2025-06_v2.csv", "rejected")]
    (message,) = query(small_home, "SELECT message FROM load_log WHERE status = 'rejected'")[0]
    assert "posting_date_in_range (1 row)" in message and "Spend_over_500_2025-06.csv" in message
    assert _fct_expenditure(small_home, "la_ashby", "2025-06") == good
    assert query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL") == pack_before
    status = dict(query(small_home, "SELECT partner_id || ' ' || period, status FROM dq_load_status"))
    assert status["la_ashby 2025-06"] == "passed"
    for table in ("raw_ledger", "quarantine", "skipped_rows", "stg_ledger"):
        assert query(small_home, f"SELECT count(*) FROM held_{table}") == [(0,)], table

    # Sent again unchanged, the rejected file is not loaded again; the period now passes.
    assert _fresh(runner).run_all(progress=lambda _: None).ok
    assert _june_log(small_home)[-1] == ("Spend_over_500_2025-06_v2.csv", "rejected")

    # A corrected file that passes replaces the month; the held one is superseded.
    _send(small_home, "Spend_over_500_2025-06_v3.csv", original[:-1], 2)  # one line fewer: a real change
    dropped = original[-1].rstrip("\r\n").split(",")
    header = original[0].rstrip("\r\n").split(",")
    assert _fresh(runner).run_all(progress=lambda _: None).ok
    assert _june_log(small_home) == [("Spend_over_500_2025-06.csv", "superseded"),
                                     ("Spend_over_500_2025-06_v2.csv", "rejected"),
                                     ("Spend_over_500_2025-06_v3.csv", "current")]
    amount = Decimal(dropped[header.index("Amount (£)")].replace("£", "").replace(",", "") or "0")
    assert _fct_total(small_home) == good_total - amount
    for table in ("raw_ledger", "stg_ledger"):
        assert query(small_home, f"SELECT count(*) FROM held_{table}") == [(0,)], table


def test_a_first_submission_that_is_blocked_stays_out_and_the_next_good_one_goes_in(small_home, runner):
    # With no earlier good submission there is nothing to keep: the month is out until a file passes.
    _set_checks(small_home, "la_ashby", "{dates_outside_period: error}")
    original = (small_home / LA_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    _rewrite_csv(small_home / LA_FILE, _next_month)
    assert not runner.run_all(progress=lambda _: None).ok
    assert _spend(small_home, "la_ashby", "2025-06") is None
    _send(small_home, "Spend_over_500_2025-06_v2.csv", original, 1)
    assert _fresh(runner).run_all(progress=lambda _: None).ok
    assert _june_log(small_home) == [("Spend_over_500_2025-06.csv", "superseded"),
                                     ("Spend_over_500_2025-06_v2.csv", "current")]
    assert _spend(small_home, "la_ashby", "2025-06") is not None


def test_bad_files_are_logged_and_block_nothing_else(small_home, runner):
    (small_home / "inbox/la_ashby/notes from finance.txt").write_text("not a ledger")
    bad = small_home / "inbox/nw_icb/NHS North Weald ICB spend over 25k - June 2025.csv"
    _rewrite_csv(bad, lambda lines: [lines[0].replace("Amount", "Value"), *lines[1:]], encoding="cp1252")
    runner.run_all(progress=lambda _: None)
    problems = query(small_home, "SELECT status, message FROM load_log WHERE status IN ('failed', 'unmatched') ORDER BY 1")
    assert [p[0] for p in problems] == ["failed", "unmatched"]
    assert "Amount" in problems[0][1]
    assert problems[1][1] == "matches no source config"
    # the failed file kept nothing of its own, and every other submission loaded
    assert _spend(small_home, "nw_icb", "2025-06") is None
    assert _spend(small_home, "nw_icb", "2025-05") is not None
    assert _spend(small_home, "la_ashby", "2025-06") is not None



def _run(runner, **kwargs) -> list[tuple[str, str]]:
    """The (job, partition) runs of one run_all (the runner's summary accumulates)."""
    before = len(runner.summary.steps)
    runner.run_all(progress=lambda _: None, **kwargs)
    return [(job, partition) for job, partition, _, _ in runner.summary.steps[before:]]


def test_a_late_file_reruns_its_own_period_only_and_gives_the_from_scratch_figures(small_home, runner, tmp_path):
    late = small_home / LA_FILE
    held = tmp_path / "held.csv"
    os.replace(late, held)
    assert _run(runner) == [("reference_job", ""), ("ingest_job", "2025-05"), ("ingest_job", "2025-06"),
                            ("open_book_job", ""), ("report_job", "2025-06")]
    assert _spend(small_home, "la_ashby", "2025-06") is None

    os.replace(held, late)
    assert _run(runner) == [("ingest_job", "2025-06"), ("open_book_job", ""), ("report_job", "2025-06")]
    incremental = query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL")
    assert _spend(small_home, "la_ashby", "2025-06") is not None
    # the same inputs with every period re-run: the figures do not depend on the order of arrival
    assert len(_run(runner, everything=True)) == 5
    assert query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL") == incremental


def test_nothing_new_means_no_ingest_and_changed_reference_means_every_period(small_home, runner):
    _run(runner)
    assert _run(runner) == [("open_book_job", ""), ("report_job", "2025-06")]
    partners = small_home / "reference" / "partners.csv"
    later = partners.stat().st_mtime + 60
    os.utime(partners, (later, later))  # the same rows in a newer file
    assert _run(runner) == [("reference_job", ""), ("ingest_job", "2025-05"), ("ingest_job", "2025-06"),
                            ("open_book_job", ""), ("report_job", "2025-06")]


def test_a_changed_source_config_restages_its_partner_and_leaves_the_others(small_home, runner):
    """Issue 19: same files, new rules. The council decides REDACTED payments (to individuals) are
    not to be published: a skip rule in its config removes exactly those lines from every month."""
    _run(runner)
    def loads(partner):
        return query(small_home, "SELECT period, load_id FROM load_log WHERE partner_id = $p AND status = 'current'"
                                 " ORDER BY 1", {"p": partner})
    icb_loads, council_loads = loads("nw_icb"), loads("la_ashby")
    before = {m: _fct_expenditure(small_home, "la_ashby", m) for m in ("2025-05", "2025-06")}
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

    assert _run(runner) == [("ingest_job", "2025-05"), ("ingest_job", "2025-06"), ("open_book_job", ""),
                            ("report_job", "2025-06")]
    assert loads("nw_icb") == icb_loads                       # not re-read
    assert [p for p, _ in loads("la_ashby")] == ["2025-05", "2025-06"]
    assert not set(loads("la_ashby")) & set(council_loads)   # re-read with the new rule
    for month, total in before.items():
        assert _fct_expenditure(small_home, "la_ashby", month) == total - redacted[month]
    assert _run(runner) == [("open_book_job", ""), ("report_job", "2025-06")]  # and then nothing to redo


def test_a_blocked_period_is_tried_again_on_the_next_run(small_home, runner):
    _set_checks(small_home, "la_ashby", "{dates_outside_period: error}")
    _rewrite_csv(small_home / LA_FILE, _next_month)
    _run(runner)
    assert _run(runner) == [("ingest_job", "2025-06"), ("open_book_job", ""), ("report_job", "2025-06")]


def test_an_unmapped_line_is_counted_as_unclassified_until_a_rule_maps_it(small_home, runner):
    # Issue 16: a cost centre nobody mapped no longer leaves the totals; a rule then classifies it.
    header, first = list(csv.reader((small_home / LA_FILE).read_text(encoding="utf-8").splitlines()))[:2]
    row = dict(zip(header, first))
    row.update({"Cost Centre Code": "NEW-99", "Transaction ID": "NEW-1", "Supplier Name": "Northgate Crisis Care",
                "Amount (£)": "4321.09"})
    with open(small_home / LA_FILE, "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow([row[h] for h in header])
    assert runner.run_all(progress=lambda _: None).ok
    spend = _spend(small_home, "la_ashby", "2025-06")
    line = query(small_home, "SELECT service_line, mapped_by, amount FROM fct_ledger WHERE cost_centre = 'NEW-99'")
    assert line == [("unclassified", "unmapped", Decimal("4321.09"))]
    assert query(small_home, "SELECT unclassified_lines, unclassified_amount FROM rpt_dq_unclassified"
                             " WHERE partner_id = 'la_ashby' AND period = '2025-06'") == [(1, Decimal("4321.09"))]

    (small_home / "reference" / "mapping_rules.csv").write_text(
        "partner_id,priority,field,match,pattern,service_line,place_id,line_type,funding_stream,scheme_id\n"
        "la_ashby,10,counterparty,prefix,northgate crisis,crisis_house,ashby,expenditure,recurrent,\n", encoding="utf-8")
    assert runner.run_all(progress=lambda _: None).ok
    line = query(small_home, "SELECT service_line, mapped_by, mapping_rule FROM fct_ledger WHERE cost_centre = 'NEW-99'")
    assert line == [("crisis_house", "rule", 'mapping_rules line 2 (priority 10): counterparty prefix "northgate crisis"')]
    assert _spend(small_home, "la_ashby", "2025-06") == spend + Decimal("4321.09")


def _sha(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_outside_the_periods_is_refused_and_a_failed_run_never_publishes(small_home, runner):
    """A file naming a period before the range the data home accepts (config/periods.yaml) is
    refused on one line and logged; everything else loads. Then a run whose open book fails (a broken flag decisions file) changes neither the
    published copy nor the reports, though a corrected file had arrived."""
    (small_home / "config" / "periods.yaml").write_text("first: 2025-01\n", encoding="utf-8")
    early = small_home / "inbox/la_ashby/Spend_over_500_2024-12.csv"
    early.write_bytes((small_home / LA_FILE).read_bytes())
    first = runner.run_all(progress=lambda _: None)
    assert first.refused == ["inbox/la_ashby/Spend_over_500_2024-12.csv: refused: "
                             "2024-12 is before the first period this data home accepts (2025-01)"]
    assert [(o.job, o.partition, o.status) for o in first.outcomes] == [
        ("reference_job", "", "done"), ("ingest_job", "2025-05", "loaded"), ("ingest_job", "2025-06", "loaded"),
        ("open_book_job", "", "done"), ("report_job", "2025-06", "done")]
    logged = query(small_home, "SELECT status, message FROM load_log WHERE source_file LIKE '%2024-12%'")
    assert logged and {status for status, _ in logged} == {"failed"} and "refused" in logged[0][1]
    assert _spend(small_home, "la_ashby", "2025-06") is not None
    # one run group: every Dagster run of this run_all carries its id and the trigger
    import dagster as dg

    runs = runner.instance.get_runs(filters=dg.RunsFilter(tags={"openbook/run_group": runner.run_group}))
    assert len(runs) == len(first.outcomes) == 5
    assert {r.tags["openbook/trigger"] for r in runs} == {"cli"}
    assert sorted(r.tags["openbook/step"] for r in runs) == [
        "ingest_job 2025-05", "ingest_job 2025-06", "open_book_job", "reference_job", "report_job 2025-06"]

    published = small_home / "published" / "openbook.duckdb"
    before = (_sha(published), os.readlink(small_home / "reports" / "2025-06"))
    (small_home / "config" / "flag_decisions.yaml").write_text("flags: [unclosed\n")
    _rewrite_csv(small_home / LA_FILE, lambda lines: [*lines[:1], *lines[2:]])  # a corrected June file
    runner.summary = type(runner.summary)()
    second = runner.run_all(progress=lambda _: None)
    assert [(o.job, o.status) for o in second.outcomes] == [("ingest_job", "loaded"), ("open_book_job", "failed")]
    assert "flag_decisions.yaml: not valid YAML" in second.failed[0].detail
    assert "Traceback" not in second.failed[0].line and "\n" not in second.failed[0].line
    assert (_sha(published), os.readlink(small_home / "reports" / "2025-06")) == before
