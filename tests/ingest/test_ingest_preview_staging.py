"""`openbook sources check <config> <file>` previews staging against the data home's reference
data. The file, map and rule below are small enough that every figure is worked out by hand."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main

CONFIG = """partner_id: la_ashby
file: {pattern: "Spend_over_500_*.csv", type: csv}
period: {from_file_name: 'Spend_over_500_(?P<year>\\d{4})-(?P<month>\\d{2})'}
columns:
  posting_date: Payment Date
  cost_centre: Cost Centre
  expense_type: Expense Type
  counterparty: Supplier Name
  transaction_id: Transaction No
  amount: Amount
dates: {formats: ["%d-%b-%y"]}
"""
FILE = """Cost Centre,Expense Type,Payment Date,Transaction No,Supplier Name,Amount
CC410,Residential Care,30-Apr-20,T1,Brook House,1000.00
CC999,Grants,28-Apr-20,T2,Mind in Ashby,300.00
ZZ1,Misc,15-Apr-20,T3,Acme,50.00
ZZ1,Misc,31-Mar-20,T4,Acme,20.00
CC410,Residential Care,30-Apr-20,T1,Brook House,1000.00
"""
# row 2: the map; row 3: the rule (supplier prefix "mind"); rows 4-5: nothing maps them;
# row 5 is dated 31 March; row 6 repeats row 2 exactly (a possible duplicate payment).
REFERENCE = {
    "cost_centre_map.csv": "partner_id,cost_centre,cost_centre_name,service_line,place_id,funding_stream,line_type,"
                           "scheme_id\nla_ashby,CC410,Residential,residential_care,,recurrent,expenditure,\n",
    "mapping_rules.csv": "partner_id,priority,field,match,pattern,service_line,place_id,line_type,funding_stream,"
                         "scheme_id\nla_ashby,10,counterparty,prefix,mind,crisis_house,,expenditure,grant,\n",
    "partner_aliases.csv": "alias,partner_id\n",
    "service_lines.csv": "service_line,name,mhis_category,in_mhis,exclusion_reason,mental_health\n"
                         "crisis_house,Crisis houses,Crisis,true,,true\nresidential_care,Residential,,false,,false\n",
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "reference").mkdir()
    for name, text in REFERENCE.items():
        (tmp_path / "reference" / name).write_text(text)
    (tmp_path / "inbox" / "la_ashby").mkdir(parents=True)
    (tmp_path / "inbox" / "la_ashby" / "Spend_over_500_2020-04.csv").write_text(FILE)
    return tmp_path


def _check(home: Path, capsys, checks: str = "", file_text: str | None = None) -> tuple[int, list[str]]:
    config = home / "la_ashby.yaml"
    config.write_text(CONFIG + checks)
    path = home / "inbox" / "la_ashby" / "Spend_over_500_2020-04.csv"
    if file_text is not None:
        path.write_text(file_text)
    status = main(["--home", str(home), "sources", "check", str(config), str(path)])
    return status, capsys.readouterr().out.splitlines()


def test_the_preview_shows_mapping_coverage_duplicates_and_dates(home, capsys):
    status, out = _check(home, capsys)
    assert status == 0
    start = out.index(f"Staging (against the reference data in {home / 'reference'}):")
    assert out[start + 1:start + 15] == [
        "  mapping:",
        "          2 lines           £2,000.00  by the cost-centre map",
        "          1 lines             £300.00  by a mapping rule",
        "          0 lines               £0.00  by the partner default",
        "          2 lines              £70.00  unclassified (nothing maps them)",
        "    largest unclassified (cost centre / expense type / supplier): write rules for these in"
        " reference/mapping_rules.csv",
        "      ZZ1 / Misc / Acme: 2 lines, £70.00",
        "  dates outside 2020-04-01 to 2020-04-30: 1 line, £20.00 (1 before, 0 after; WARN: kept and counted;"
        " checks.date_tolerance_days widens the window)",
        "      row 5: 2020-03-31, £20.00",
        "  possible duplicate payments (same supplier, amount, date and reference; all kept, WARN): 2 lines",
        "      rows 2, 6: Brook House, £1,000.00 on 2020-04-30 (reference T1)",
        "  would load: 5 lines",
        "",
        "First 5 parsed lines:",
    ]


def test_a_date_policy_of_error_blocks_and_a_tolerance_lets_the_date_through(home, capsys):
    status, out = _check(home, capsys, "checks: {dates_outside_period: error}\n")
    assert status == 1
    assert "  WOULD BE BLOCKED (kept out of every figure until corrected) by:" in out
    assert any(line.startswith("    - Every posting date falls inside the submitted period, 2020-04-01 to 2020-04-30:"
                               " 1 line, £20.00, are outside") for line in out)
    status, out = _check(home, capsys, "checks: {dates_outside_period: error, date_tolerance_days: 1}\n")
    assert status == 0
    assert "  dates: every posting date is inside 2020-03-31 to 2020-05-01" in out


def test_declared_unique_ids_set_the_repeat_aside(home, capsys):
    status, out = _check(home, capsys, "checks: {transaction_ids_unique: true}\n")
    assert status == 0
    assert "  set aside at staging: DUPLICATE_TRANSACTION 1 (checks.transaction_ids_unique: true)" in out
    assert '      Spend_over_500_2020-04.csv row 6, field transaction_id: "T1" repeats row 2 (amount 1000.00)' in out
    assert "  possible duplicate payments: none" in out
    assert "  would load: 4 lines" in out


def test_a_file_of_which_no_row_would_load_exits_non_zero(home, capsys):
    bad = FILE.splitlines()[0] + "\nCC410,Residential Care,30-Apr-20,T1,Brook House,l000.00\n"
    status, out = _check(home, capsys, file_text=bad)
    assert status == 1
    assert "  WOULD NOT LOAD: no line of this file would reach the ledger" in out


def test_without_reference_data_the_staging_preview_is_skipped_not_failed(home, capsys):
    for name in REFERENCE:
        (home / "reference" / name).unlink()
    status, out = _check(home, capsys)
    assert status == 0
    assert any(line.startswith("Staging: not previewed: no cost_centre_map.csv, partner_aliases.csv,"
                               " service_lines.csv in") for line in out)
