"""Files that span months (issue 16): each row's month from a date column, NHS accounting
year + period columns, or the sheet's name; a fixed month; and loading such files as
one partner-month each, the newest file covering a month winning it.

Every expected figure is worked out by hand from the tiny files written here."""

from __future__ import annotations

import os
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from openpyxl import Workbook

from assets.ingest import SourceConfig, SubmissionError, parse_submission
from assets.ingest.period import month_of_year_period
from assets.ingest.submissions import inbox_periods, load_file, load_period, scan_inbox
from warehouse.sql_files import run_sql

HEADER = "Invoice Date,Payment Date,Cost Centre,Supplier,Amount"


def config(period: dict, **changes) -> SourceConfig:
    document = {
        "partner_id": "trust",
        "file": {"pattern": "*.csv", "type": "csv"},
        "period": period,
        "columns": {"posting_date": "Invoice Date", "cost_centre": "Cost Centre", "counterparty": "Supplier",
                    "amount": "Amount"},
        "dates": {"formats": ["%d/%m/%Y"]},
    }
    document.update(changes)
    return SourceConfig.model_validate(document)


BY_PAYMENT_DATE = config({"from_column": "Payment Date"})


def write(folder: Path, name: str, text: str, mtime: float | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def amounts(frame: pl.DataFrame) -> list[Decimal]:
    return frame["amount"].to_list()


# --------------------------------------------------------------------------- parsing


def test_a_quarterly_file_splits_into_its_months(tmp_path: Path) -> None:
    text = (f"{HEADER}\n"
            "28/02/2023,03/03/2023,C1,A,100.00\n"  # invoiced in February, paid in March: March
            "01/04/2023,30/04/2023,C1,B,200.00\n"
            "15/05/2023,02/05/2023,C1,C,300.50\n"
            "15/05/2023,,C1,D,7.00\n"  # no payment date: its month cannot be told
            "\n"
            "01/05/2023,31/05/2023,C1,E,-0.50\n")
    parsed = parse_submission(write(tmp_path, "q1.csv", text), BY_PAYMENT_DATE)
    assert parsed.periods == ("2023-03", "2023-04", "2023-05")
    assert parsed.rows_read == 6
    march, april, may = (parsed.for_period(p) for p in parsed.periods)
    assert amounts(march.lines) == [Decimal("100.00")] and march.lines["posting_date"].to_list() == [date(2023, 2, 28)]
    assert amounts(april.lines) == [Decimal("200.00")]
    assert amounts(may.lines) == [Decimal("300.50"), Decimal("-0.50")]
    # The undated row is quarantined with the month of the row above it; so is the blank row.
    assert may.quarantine.select("source_row", "field", "reason_code").rows() == [(5, "period", "BAD_PERIOD")]
    assert may.quarantine["message"][0] == (
        'q1.csv row 5, field period: "" does not tell the row\'s month (period.from_column: expected a date in '
        "a month from 2010-01 to 2099-12)")
    assert may.skipped.select("source_row", "reason").rows() == [(6, "blank_row")]
    assert march.rows_read + april.rows_read + may.rows_read == 6


def test_months_before_2010_are_refused_and_2010_onwards_are_fine(tmp_path: Path) -> None:
    text = (f"{HEADER}\n"
            "01/01/2010,31/01/2010,C1,A,1.00\n"
            "05/06/2013,05/06/2013,C1,B,2.00\n"
            "31/12/2009,31/12/2009,C1,C,3.00\n")  # a real date, but before the first month loaded
    parsed = parse_submission(write(tmp_path, "old.csv", text), BY_PAYMENT_DATE)
    assert parsed.periods == ("2010-01", "2013-06")
    assert parsed.quarantine.select("source_row", "reason_code", "period").rows() == [(4, "BAD_PERIOD", "2013-06")]
    assert parsed.quarantine["message"][0] == (
        'old.csv row 4, field period: "31/12/2009" is before 2010-01, the first month openbook loads '
        "(period.from_column)")


def test_from_column_takes_alternative_headers_the_first_present_wins(tmp_path: Path) -> None:
    # One config for two years of a partner's files whose date column was renamed.
    either = config({"from_column": ["Date Paid", "Payment Date", "Invoice Date"]})
    old = parse_submission(write(tmp_path, "a.csv", f"{HEADER}\n28/02/2023,03/03/2023,C1,A,1.00\n"), either)
    renamed = HEADER.replace("Payment Date", "Date Paid")
    new = parse_submission(write(tmp_path, "b.csv", f"{renamed}\n28/02/2023,03/04/2023,C1,A,1.00\n"), either)
    # "Invoice Date" is present in both but listed last: the paid date's month wins.
    assert old.periods == ("2023-03",) and new.periods == ("2023-04",)
    with pytest.raises(SubmissionError, match="period.from_column"):
        parse_submission(write(tmp_path, "c.csv", "Invoice Date,Cost Centre,Supplier,Amount\n"
                                                   "28/02/2023,C1,A,1.00\n"),
                         config({"from_column": ["Date Paid", "Payment Date"]}))


def test_a_file_whose_rows_tell_no_month_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "none.csv", f"{HEADER}\n01/04/2023,,C1,A,1.00\n")
    with pytest.raises(SubmissionError, match="cannot tell the period: no row tells a month"):
        parse_submission(path, BY_PAYMENT_DATE)


@pytest.mark.parametrize(("year", "period", "month"), [
    ("2023", "1", "2023-04"),
    ("2023/24", "9", "2023-12"),
    ("2023-24", "10", "2024-01"),
    ("23/24", "P12", "2024-03"),
    ("2023/2024", "M03", "2023-06"),
    ("FY2013/14", "01", "2013-04"),
    ("2010.0", "1.0", "2010-04"),  # Excel numbers shown as text
    ("2023/25", "1", None),  # not consecutive years
    ("2023", "13", None),
    ("2023", "0", None),
    ("2008/09", "1", None),  # before 2010
    ("", "1", None),
    ("2023", None, None),
])
def test_accounting_year_and_period(year: str, period: str | None, month: str | None) -> None:
    frame = pl.DataFrame({"y": [year], "p": [period]}, schema={"y": pl.String, "p": pl.String})
    assert frame.select(month_of_year_period(pl.col("y"), pl.col("p"))).item() == month


def test_year_and_period_columns_and_a_posting_date_from_the_month(tmp_path: Path) -> None:
    trust = SourceConfig.model_validate({
        "partner_id": "trust",
        "file": {"pattern": "*.csv", "type": "csv"},
        "period": {"from_year_period": {"year": "Accounting Year", "period": "Period"}},
        "columns": {"counterparty": "Supplier", "amount": "Amount"},  # no cost centre, no date
    })
    text = ("Accounting Year,Period,Supplier,Amount\n"
            "2022/23,12,A,10.00\n"  # March 2023
            "2023/24,1,B,20.00\n"  # April 2023
            "2023/24,x,C,30.00\n")
    parsed = parse_submission(write(tmp_path, "ledger.csv", text), trust)
    assert parsed.periods == ("2023-03", "2023-04")
    assert parsed.lines.select("period", "posting_date", "amount").rows() == [
        ("2023-03", date(2023, 3, 31), Decimal("10.00")), ("2023-04", date(2023, 4, 30), Decimal("20.00"))]
    assert parsed.quarantine["message"].to_list() == [
        'ledger.csv row 4, field period: Accounting Year "2023/24" and Period "x" do not tell the row\'s month '
        "(period.from_year_period: expected a financial year such as 2023/24 and a period 1 to 12, 1 = April, "
        "in a month from 2010-01 to 2099-12)"]


def test_a_fixed_month_for_a_file_that_carries_none(tmp_path: Path) -> None:
    fixed = config({"fixed": "2014-07"}, columns={"cost_centre": "Cost Centre", "amount": "Amount"})
    parsed = parse_submission(write(tmp_path, "onboarding.csv", "Cost Centre,Amount\nC1,5.00\n"), fixed)
    assert parsed.periods == ("2014-07",)
    assert parsed.lines.select("posting_date", "amount").rows() == [(date(2014, 7, 31), Decimal("5.00"))]


def test_one_sheet_per_month(tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "Cover"  # no month in its name: left out with sheet: all
    book.active["A1"] = "Payments to suppliers, 2015"
    for title, rows in (("Jan 2015", [("C1", 1.25), ("C2", 2)]), ("Feb 2015", [("C1", 10)])):
        sheet = book.create_sheet(title)
        sheet.append(["Cost Centre", "Amount"])
        for row in rows:
            sheet.append(row)
    path = tmp_path / "payments 2015.xlsx"
    book.save(path)
    sheets = SourceConfig.model_validate({
        "partner_id": "council",
        "file": {"pattern": "*.xlsx", "type": "xlsx", "sheet": "all"},
        "period": {"from_sheet_name": r"(?P<month>[A-Za-z]{3}) (?P<year>\d{4})"},
        "columns": {"cost_centre": "Cost Centre", "amount": "Amount"},
    })
    parsed = parse_submission(path, sheets)
    assert parsed.periods == ("2015-01", "2015-02")
    assert parsed.lines.select("period", "source_row", "amount").rows() == [
        ("2015-01", 2, Decimal("1.25")), ("2015-01", 3, Decimal("2.00")), ("2015-02", 2, Decimal("10.00"))]
    assert '"(sheet)":"Feb 2015"' in parsed.lines["raw_record"][2]


# --------------------------------------------------------------------------- loading


@pytest.fixture
def warehouse():
    con = duckdb.connect()
    run_sql(con, "staging/create_tables")
    yield con
    con.close()


def month_totals(con) -> dict[str, tuple[str, Decimal]]:
    """period -> (file name of its current load, total amount in raw_ledger)."""
    rows = con.execute(
        "SELECT l.period, l.source_file, sum(r.amount) FROM load_log l JOIN raw_ledger r USING (load_id)"
        " WHERE l.status = 'current' GROUP BY ALL ORDER BY 1").fetchall()
    return {period: (Path(source).name, total) for period, source, total in rows}


def load_everything(con, inbox: Path, config: SourceConfig, run_id: str) -> list:
    files = scan_inbox(inbox, {config.partner_id: config})
    return [o for period in inbox_periods(files) for o in load_period(con, files, period, run_id)]


QUARTER = (f"{HEADER}\n"
           "01/04/2023,10/04/2023,C1,A,1.00\n"
           "01/05/2023,10/05/2023,C1,B,2.00\n"
           "01/06/2023,10/06/2023,C1,C,4.00\n")


def test_each_month_of_a_file_is_its_own_load(warehouse, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write(inbox / "trust", "q1.csv", QUARTER)
    files = scan_inbox(inbox, {"trust": BY_PAYMENT_DATE})
    assert [f.periods for f in files] == [("2023-04", "2023-05", "2023-06")]
    outcome = load_file(warehouse, files[0], "run1")  # no period: every month it covers
    assert (outcome.status, outcome.period, outcome.rows_read, outcome.rows_loaded) == ("loaded", None, 3, 3)
    assert month_totals(warehouse) == {"2023-04": ("q1.csv", Decimal("1.00")), "2023-05": ("q1.csv", Decimal("2.00")),
                                       "2023-06": ("q1.csv", Decimal("4.00"))}
    log = warehouse.execute("SELECT load_id, rows_read FROM load_log ORDER BY period").fetchall()
    assert len({load_id for load_id, _ in log}) == 3 and [n for _, n in log] == [1, 1, 1]


def test_a_later_overlapping_file_replaces_only_the_months_it_covers(warehouse, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write(inbox / "trust", "q1.csv", QUARTER, mtime=1_700_000_000)
    load_everything(warehouse, inbox, BY_PAYMENT_DATE, "run1")
    # A newer file covering May and July: May is replaced, April and June keep q1, July is new.
    write(inbox / "trust", "may-july.csv", f"{HEADER}\n01/05/2023,11/05/2023,C1,B,20.00\n"
          "01/07/2023,11/07/2023,C1,D,8.00\n", mtime=1_700_000_100)
    load_everything(warehouse, inbox, BY_PAYMENT_DATE, "run2")
    assert month_totals(warehouse) == {
        "2023-04": ("q1.csv", Decimal("1.00")), "2023-05": ("may-july.csv", Decimal("20.00")),
        "2023-06": ("q1.csv", Decimal("4.00")), "2023-07": ("may-july.csv", Decimal("8.00"))}
    superseded = warehouse.execute("SELECT period, source_file FROM load_log WHERE status = 'superseded'").fetchall()
    assert [(p, Path(f).name) for p, f in superseded] == [("2023-05", "q1.csv")]


def test_a_file_that_shrinks_replaces_only_the_months_it_still_covers(warehouse, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write(inbox / "trust", "q1.csv", QUARTER, mtime=1_700_000_000)
    load_everything(warehouse, inbox, BY_PAYMENT_DATE, "run1")
    # The partner sends the quarter again with June left out and April corrected.
    write(inbox / "trust", "q1 v2.csv", f"{HEADER}\n01/04/2023,10/04/2023,C1,A,1.50\n"
          "01/05/2023,10/05/2023,C1,B,2.00\n", mtime=1_700_000_100)
    load_everything(warehouse, inbox, BY_PAYMENT_DATE, "run2")
    assert month_totals(warehouse) == {"2023-04": ("q1 v2.csv", Decimal("1.50")),
                                       "2023-05": ("q1 v2.csv", Decimal("2.00")),
                                       "2023-06": ("q1.csv", Decimal("4.00"))}  # June: still the earlier file


def test_the_same_files_again_change_nothing(warehouse, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write(inbox / "trust", "q1.csv", QUARTER, mtime=1_700_000_000)
    write(inbox / "trust", "may.csv", f"{HEADER}\n01/05/2023,11/05/2023,C1,B,20.00\n", mtime=1_700_000_100)
    load_everything(warehouse, inbox, BY_PAYMENT_DATE, "run1")
    before = warehouse.execute("SELECT * EXCLUDE (loaded_at) FROM load_log ORDER BY load_id").fetchall()
    totals = month_totals(warehouse)
    outcomes = load_everything(warehouse, inbox, BY_PAYMENT_DATE, "run2")
    assert {o.status for o in outcomes} == {"unchanged"}
    assert warehouse.execute("SELECT * EXCLUDE (loaded_at) FROM load_log ORDER BY load_id").fetchall() == before
    assert month_totals(warehouse) == totals == {
        "2023-04": ("q1.csv", Decimal("1.00")), "2023-05": ("may.csv", Decimal("20.00")),
        "2023-06": ("q1.csv", Decimal("4.00"))}


def test_the_same_files_in_an_inbox_moved_elsewhere_change_nothing(warehouse, tmp_path: Path) -> None:
    """A data home moved or restored to another path: its files are the submissions already loaded."""
    inbox = tmp_path / "inbox"
    write(inbox / "trust", "q1.csv", QUARTER, mtime=1_700_000_000)
    load_everything(warehouse, inbox, BY_PAYMENT_DATE, "run1")
    before = warehouse.execute("SELECT * EXCLUDE (loaded_at) FROM load_log ORDER BY load_id").fetchall()
    moved = tmp_path / "elsewhere" / "inbox"
    shutil.copytree(inbox, moved, copy_function=shutil.copy2)
    outcomes = load_everything(warehouse, moved, BY_PAYMENT_DATE, "run2")
    assert [o.status for o in outcomes] == ["unchanged"] * 3
    assert warehouse.execute("SELECT * EXCLUDE (loaded_at) FROM load_log ORDER BY load_id").fetchall() == before
    # changed bytes under the same name are a new submission of each month they cover, wherever the inbox is
    write(moved / "trust", "q1.csv", QUARTER.replace("C,4.00", "C,5.00"), mtime=1_700_000_100)
    outcomes = load_everything(warehouse, moved, BY_PAYMENT_DATE, "run3")
    assert [o.status for o in outcomes] == ["loaded"] * 3
    assert month_totals(warehouse) == {"2023-04": ("q1.csv", Decimal("1.00")), "2023-05": ("q1.csv", Decimal("2.00")),
                                       "2023-06": ("q1.csv", Decimal("5.00"))}


def test_a_changed_config_rereads_its_partners_files_and_only_theirs(warehouse, tmp_path: Path) -> None:
    """Same bytes, new rules: the config is part of what makes a load current."""
    inbox = tmp_path / "inbox"
    write(inbox / "trust", "q1.csv", QUARTER, mtime=1_700_000_000)
    write(inbox / "council", "may.csv", f"{HEADER}\n01/05/2023,11/05/2023,C1,B,20.00\n", mtime=1_700_000_100)
    council = BY_PAYMENT_DATE.model_copy(update={"partner_id": "council"})
    configs = {"trust": BY_PAYMENT_DATE, "council": council}

    def load(run_id: str) -> list:
        files = scan_inbox(inbox, configs)
        return [o for period in inbox_periods(files) for o in load_period(warehouse, files, period, run_id)]

    load("run1")
    comments_only = BY_PAYMENT_DATE.model_copy(deep=True)  # the same validated rules: nothing to redo
    configs["trust"] = comments_only
    assert {o.status for o in load("run2")} == {"unchanged"}

    # The trust says it writes spend as negative numbers: its three months are read again.
    configs["trust"] = config({"from_column": "Payment Date"}, amounts={"sign": "negate"})
    outcomes = load("run3")
    assert sorted((o.partner_id, o.period, o.status) for o in outcomes) == [
        ("council", "2023-05", "unchanged"), ("trust", "2023-04", "loaded"), ("trust", "2023-05", "loaded"),
        ("trust", "2023-06", "loaded")]
    totals = warehouse.execute(
        "SELECT l.partner_id, l.period, sum(r.amount) FROM load_log l JOIN raw_ledger r USING (load_id)"
        " WHERE l.status = 'current' GROUP BY ALL ORDER BY 1, 2").fetchall()
    assert totals == [("council", "2023-05", Decimal("20.00")), ("trust", "2023-04", Decimal("-1.00")),
                      ("trust", "2023-05", Decimal("-2.00")), ("trust", "2023-06", Decimal("-4.00"))]
    assert warehouse.execute(
        "SELECT count(*) FROM load_log WHERE partner_id = 'trust' AND status = 'superseded'").fetchone() == (3,)
    assert {o.status for o in load("run4")} == {"unchanged"}  # and then it is current again


def test_a_file_spanning_months_is_read_once_for_its_scan_and_all_its_loads(warehouse, tmp_path, monkeypatch) -> None:
    from assets.ingest import submissions

    calls = []
    real = submissions.parse_submission
    monkeypatch.setattr(submissions, "parse_submission", lambda path, cfg: calls.append(path) or real(path, cfg))
    inbox = tmp_path / "inbox"
    write(inbox / "trust", "q1.csv", QUARTER)
    outcomes = load_everything(warehouse, inbox, BY_PAYMENT_DATE, "run1")
    assert [o.status for o in outcomes] == ["loaded"] * 3 and len(calls) == 1
    # A changed file (same name, new bytes and mtime) is read again.
    write(inbox / "trust", "q1.csv", QUARTER.replace("4.00", "5.00"), mtime=1_800_000_000)
    assert [o.status for o in load_everything(warehouse, inbox, BY_PAYMENT_DATE, "run2")] == ["loaded"] * 3
    assert len(calls) == 2 and month_totals(warehouse)["2023-06"] == ("q1.csv", Decimal("5.00"))


def test_a_config_change_the_parser_does_not_read_rereads_nothing(warehouse, tmp_path: Path) -> None:
    """Stricter staging checks or a new description leave the rows as they were: nothing is re-read
    (the checks run again on the next ingest anyway)."""
    inbox = tmp_path / "inbox"
    write(inbox / "trust", "q1.csv", QUARTER, mtime=1_700_000_000)
    load_everything(warehouse, inbox, BY_PAYMENT_DATE, "run1")
    stricter = config({"from_column": "Payment Date"}, description="Trust ledger",
                      checks={"dates_outside_period": "error"})
    assert {o.status for o in load_everything(warehouse, inbox, stricter, "run2")} == {"unchanged"}
