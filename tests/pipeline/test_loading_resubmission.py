"""Loading the same, corrected, unmapped or bad files again: idempotent, replaced by partner-period, nothing lost.
A rerun on the same inputs: test_loading_changes.py (nothing new means no ingest)."""
import csv
import os
from decimal import Decimal

import pytest

from tests.pipeline import loading_helpers as h
from tests.pipeline.conftest import query

pytestmark = pytest.mark.slow  # whole pipeline runs on a data home
# Runs here leave the board packs and site out (reports=False): the tests read the warehouse, and the
# report job is half a small home's run.


def test_an_identical_file_sent_again_under_another_name_changes_nothing(loaded_home, loaded_runner):
    small_home, runner = loaded_home, loaded_runner  # after one run
    before = query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL")
    lines = query(small_home, "SELECT count(*), sum(amount) FROM stg_ledger WHERE partner_id = 'la_ashby'"
                              " AND period = '2025-06'")
    again = small_home / "inbox/la_ashby/Spend_over_500_2025-06_v2.csv"
    again.write_bytes((small_home / h.LA_FILE).read_bytes())
    later = (small_home / h.LA_FILE).stat().st_mtime + 3600
    os.utime(again, (later, later))
    assert runner.run_all(progress=lambda _: None, reports=False).ok
    assert query(small_home, "SELECT * FROM rpt_mh_spend ORDER BY ALL") == before
    assert query(small_home, "SELECT count(*), sum(amount) FROM stg_ledger WHERE partner_id = 'la_ashby'"
                             " AND period = '2025-06'") == lines


def test_a_resubmission_replaces_the_period_and_the_log_keeps_both(loaded_home, loaded_runner):
    small_home, runner = loaded_home, loaded_runner  # after one run
    original = h.fct_expenditure(small_home, "la_ashby", "2025-06")
    corrected = small_home / "inbox/la_ashby/Spend_over_500_2025-06_v2.csv"
    source = (small_home / h.LA_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    header = source[0].rstrip("\r\n").split(",")
    # One new payment of £1,234.56 on an existing, mapped cost centre.
    template = next(line for line in source[1:] if line.strip(",\r\n") and "REDACTED" not in line)
    cells = template.rstrip("\r\n").split(",")
    cells[header.index("Transaction ID")] = "RESUB-1"
    cells[header.index("Amount (£)")] = "1234.56"
    corrected.write_text("".join(source) + ",".join(cells) + "\n", encoding="utf-8")
    newer = (small_home / h.LA_FILE).stat().st_mtime + 3600
    os.utime(corrected, (newer, newer))

    runner.run("ingest_job", "2025-06")
    runner.run("open_book_job")
    log = query(small_home, "SELECT source_file, status, rows_read, rows_loaded FROM load_log"
                            " WHERE partner_id = 'la_ashby' AND period = '2025-06' ORDER BY loaded_at")
    assert [(row[0].rsplit("/", 1)[1], row[1]) for row in log] == [
        ("Spend_over_500_2025-06.csv", "superseded"), ("Spend_over_500_2025-06_v2.csv", "current")]
    assert log[1][2] == log[0][2] + 1
    assert h.fct_expenditure(small_home, "la_ashby", "2025-06") == original + Decimal("1234.56")
    assert query(small_home, "SELECT count(DISTINCT source_file) FROM stg_ledger"
                             " WHERE partner_id = 'la_ashby' AND period = '2025-06'") == [(1,)]


@pytest.mark.events_in_memory
def test_bad_files_are_logged_and_block_nothing_else(small_home, runner):
    (small_home / "inbox/la_ashby/notes from finance.txt").write_text("not a ledger")
    bad = small_home / "inbox/nw_icb/NHS North Weald ICB spend over 25k - June 2025.csv"
    h.rewrite_csv(bad, lambda lines: [lines[0].replace("Amount", "Value"), *lines[1:]], encoding="cp1252")
    runner.run_all(progress=lambda _: None, reports=False)
    problems = query(small_home, "SELECT status, message FROM load_log WHERE status IN ('failed', 'unmatched') ORDER BY 1")
    assert [p[0] for p in problems] == ["failed", "unmatched"]
    assert "Amount" in problems[0][1]
    assert problems[1][1] == "matches no source config"
    # the failed file kept nothing of its own, and every other submission loaded
    assert h.spend(small_home, "nw_icb", "2025-06") is None
    assert h.spend(small_home, "nw_icb", "2025-05") is not None
    assert h.spend(small_home, "la_ashby", "2025-06") is not None


@pytest.mark.events_in_memory
def test_an_unmapped_line_is_counted_as_unclassified_until_a_rule_maps_it(small_home, runner):
    # Issue 16: a cost centre nobody mapped no longer leaves the totals; a rule then classifies it.
    header, first = list(csv.reader((small_home / h.LA_FILE).read_text(encoding="utf-8").splitlines()))[:2]
    row = dict(zip(header, first))
    row.update({"Cost Centre Code": "NEW-99", "Transaction ID": "NEW-1", "Supplier Name": "Northgate Crisis Care",
                "Amount (£)": "4321.09"})
    with open(small_home / h.LA_FILE, "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow([row[h] for h in header])
    assert runner.run_all(progress=lambda _: None, reports=False).ok
    spend = h.spend(small_home, "la_ashby", "2025-06")
    line = query(small_home, "SELECT service_line, mapped_by, amount FROM fct_ledger WHERE cost_centre = 'NEW-99'")
    assert line == [("unclassified", "unmapped", Decimal("4321.09"))]
    assert query(small_home, "SELECT unclassified_lines, unclassified_amount FROM rpt_dq_unclassified"
                             " WHERE partner_id = 'la_ashby' AND period = '2025-06'") == [(1, Decimal("4321.09"))]

    (small_home / "reference" / "mapping_rules.csv").write_text(
        "partner_id,priority,field,match,pattern,service_line,place_id,line_type,funding_stream,scheme_id\n"
        "la_ashby,10,counterparty,prefix,northgate crisis,crisis_house,ashby,expenditure,recurrent,\n", encoding="utf-8")
    assert runner.run_all(progress=lambda _: None, reports=False).ok
    line = query(small_home, "SELECT service_line, mapped_by, mapping_rule FROM fct_ledger WHERE cost_centre = 'NEW-99'")
    assert line == [("crisis_house", "rule", 'mapping_rules line 2 (priority 10): counterparty prefix "northgate crisis"')]
    assert h.spend(small_home, "la_ashby", "2025-06") == spend + Decimal("4321.09")
