"""parse_submission on small files written by each test: file-level errors, row
numbering, skip rules, first-failing-field order and config options."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from assets.ingest import SourceConfig, SubmissionError, parse_submission
from assets.ingest.readers import cell_text, number_text

LA_HEADER = "Body Name,Payment Date,Cost Centre Code,Supplier Name,Amount (£)"


def la_config(**changes) -> SourceConfig:
    document = {
        "partner_id": "la_ashby",
        "file": {"pattern": "Spend_over_500_*.csv", "type": "csv"},
        "period": {"from_file_name": r"Spend_over_500_(?P<year>\d{4})-(?P<month>\d{2})"},
        "columns": {
            "posting_date": "Payment Date",
            "cost_centre": "Cost Centre Code",
            "counterparty": "Supplier Name",
            "amount": "Amount (£)",
        },
        "dates": {"formats": ["%d-%b-%y"]},
        "required": ["counterparty"],
        "skip": {"totals_rows": [{"column": "Body Name", "pattern": "(?i)^total"}]},
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(document.get(key), dict):
            document[key] = {**document[key], **value}
        else:
            document[key] = value
    return SourceConfig.model_validate(document)


def write(tmp_path: Path, text: str | bytes, name: str = "Spend_over_500_2024-04.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def check_invariant(parsed) -> None:
    assert parsed.rows_read == parsed.lines.height + parsed.quarantine.height + parsed.skipped.height


# --------------------------------------------------------------------------- file-level errors


def raised(path: Path, config: SourceConfig) -> SubmissionError:
    with pytest.raises(SubmissionError) as caught:
        parse_submission(path, config)
    return caught.value


def test_empty_and_missing_files(tmp_path: Path) -> None:
    for content in ("", "\r\n\r\n  "):
        error = raised(write(tmp_path, content), la_config())
        assert str(error) == "Spend_over_500_2024-04.csv: the file is empty"
    error = raised(tmp_path / "Spend_over_500_2024-05.csv", la_config())
    assert str(error) == "Spend_over_500_2024-05.csv: cannot open the file (No such file or directory)"


def test_period_not_in_the_name(tmp_path: Path) -> None:
    error = raised(write(tmp_path, LA_HEADER + "\n", "Spend_over_500_April.csv"), la_config())
    assert "cannot tell the period: the file name does not match the period pattern" in str(error)
    assert error.file.endswith("Spend_over_500_April.csv") and error.row is None


def test_header_not_found_says_what_is_missing(tmp_path: Path) -> None:
    text = "Ashby spend\nBody Name,Payment Date,Cost Centre Code,Supplier Name,Net Amount\nx,30-Apr-24,C1,S,1\n"
    error = raised(write(tmp_path, text), la_config(file={"header_row": "auto"}))
    assert str(error) == (
        "Spend_over_500_2024-04.csv: no header row found: none of the first 30 rows holds all the mapped "
        'columns; row 2 comes closest but lacks "Amount (£)" (columns.amount); columns there: "Body Name", '
        '"Payment Date", "Cost Centre Code", "Supplier Name", "Net Amount"'
    )


def test_wrong_header_row_points_to_the_right_one(tmp_path: Path) -> None:
    text = f"Ashby spend over 500\n\n{LA_HEADER}\nAshby,30-Apr-24,C1,S,1.00\n"
    error = raised(write(tmp_path, text), la_config())
    assert error.row == 1
    assert 'the header row lacks "Payment Date" (columns.posting_date)' in str(error)
    assert "The header looks like it is on row 3: set file.header_row to 3 or auto" in str(error)
    parsed = parse_submission(write(tmp_path, text), la_config(file={"header_row": 3}))
    assert parsed.header_row == 3 and parsed.lines["source_row"].to_list() == [4]


def test_header_row_after_the_end(tmp_path: Path) -> None:
    error = raised(write(tmp_path, LA_HEADER + "\n"), la_config(file={"header_row": 7}))
    assert "the file ends before the header row 7 (file.header_row)" in str(error)


def test_windows_1252_file_read_as_utf8_names_the_line_and_the_fix(tmp_path: Path) -> None:
    text = f"{LA_HEADER}\nAshby,30-Apr-24,C1,Caf\xe9 Ltd,1.00\n".encode("cp1252")
    error = raised(write(tmp_path, text), la_config())
    assert str(error) == (
        "Spend_over_500_2024-04.csv row 1: byte 0xA3 is not UTF-8; "  # the £ in "Amount (£)"
        "if the file came from Excel on Windows, set file.encoding: cp1252"
    )
    # Far below the header the bad byte is met by polars, not by the header search.
    good = "".join("Ashby,30-Apr-24,C1,S,1.00\n" for _ in range(300))
    text = (f"{LA_HEADER}\n{good}" + "Ashby,30-Apr-24,C1,Caf\xe9 Ltd,1.00\n").encode("utf-8").replace(b"\xc3\xa9", b"\xe9")
    error = raised(write(tmp_path, text), la_config())
    assert error.row == 302 and "byte 0xE9 is not UTF-8" in str(error)


def test_undefined_windows_1252_byte(tmp_path: Path) -> None:
    text = f"{LA_HEADER}\nAshby,30-Apr-24,C1,S,1.00\nAshby,30-Apr-24,C1,\x81,1.00\n".encode("latin-1")
    error = raised(write(tmp_path, text), la_config(file={"encoding": "cp1252"}))
    assert str(error) == "Spend_over_500_2024-04.csv row 3: byte 0x81 is not valid cp1252 text (file.encoding)"


def test_workbook_sent_as_csv_and_csv_sent_as_workbook(tmp_path: Path) -> None:
    book = Workbook()
    book.active["A1"] = "x"
    workbook_path = tmp_path / "Spend_over_500_2024-04.csv"
    book.save(workbook_path)
    assert "this is an Excel workbook, but the source config says type: csv" in str(raised(workbook_path, la_config()))
    csv_path = write(tmp_path, LA_HEADER + "\n", "Spend_over_500_2024-05.xlsx")
    error = raised(csv_path, la_config(file={"type": "xlsx", "pattern": "*.xlsx"}))
    assert "cannot be read as an Excel workbook" in str(error)


@pytest.mark.parametrize(("bof", "format_name"), [
    # BOF record id 0x0209, length 6, version 0, worksheet (0x0010): how DFID's August 2010
    # spend over £25,000 opens (a real file, published as an Excel 3.0 worksheet).
    (b"\x09\x02\x06\x00\x00\x00\x10\x00\x00\x00", "Excel 3.0 (BIFF3)"),
    (b"\x09\x04\x06\x00\x00\x00\x10\x00\x00\x00", "Excel 4.0 (BIFF4)"),
    (b"\x09\x00\x04\x00\x00\x00\x10\x00", "Excel 2.x (BIFF2)"),
])
def test_a_pre_excel_97_worksheet_is_named_not_called_a_non_excel_file(
        tmp_path: Path, bof: bytes, format_name: str) -> None:
    # The BOF record, then an EOF record (id 0x000A, length 0): a complete empty worksheet.
    path = write(tmp_path, bof + b"\x0a\x00\x00\x00", "Spend_over_500_2024-04.xls")
    error = raised(path, la_config(file={"type": "xls", "pattern": "*.xls"}))
    assert str(error) == (
        f"Spend_over_500_2024-04.xls: cannot be read as an Excel workbook: it is an {format_name} worksheet (a "
        "format from before Excel 97, not in an OLE container), which openbook does not read; open it in Excel "
        "or LibreOffice and save it as .xlsx")


def test_missing_sheet_lists_the_sheets(tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "Data"
    book.create_sheet("Notes")
    path = tmp_path / "Spend_over_500_2024-04.xlsx"
    book.save(path)
    error = raised(path, la_config(file={"type": "xlsx", "pattern": "*.xlsx", "sheet": "GL Export"}))
    assert str(error) == "Spend_over_500_2024-04.xlsx: no sheet named 'GL Export' (file.sheet); the workbook has 'Data', 'Notes'"


def test_period_from_a_column_gives_each_row_its_month(tmp_path: Path) -> None:
    # Deliberately changed with issue 16: a file whose dates fall in two months is no
    # longer refused; it covers both months, each row in its date's month.
    config = la_config(period={"from_column": "Payment Date", "from_file_name": None})
    one_month = write(tmp_path, f"{LA_HEADER}\nA,01-Apr-24,C1,S,1.00\nA,30-Apr-24,C1,S,2.00\nA,bad,C1,S,3.00\n", "any.csv")
    parsed = parse_submission(one_month, config)
    assert parsed.period == "2024-04" and parsed.quarantine["reason_code"].to_list() == ["BAD_DATE"]
    assert parsed.quarantine["period"].to_list() == ["2024-04"]  # the month of the row above it
    two_months = write(tmp_path, f"{LA_HEADER}\nA,31-Mar-24,C1,S,1.00\nA,30-Apr-24,C1,S,2.00\n", "other.csv")
    parsed = parse_submission(two_months, config)
    assert parsed.periods == ("2024-03", "2024-04") and parsed.period is None
    march, april = parsed.for_period("2024-03"), parsed.for_period("2024-04")
    assert march.lines["amount"].to_list() == [Decimal("1.00")] and march.rows_read == 1
    assert april.lines["amount"].to_list() == [Decimal("2.00")] and april.lines["source_row"].to_list() == [3]


# --------------------------------------------------------------------------- rows


def test_rows_are_numbered_by_physical_line(tmp_path: Path) -> None:
    text = (
        f"{LA_HEADER}\r\n"  # 1
        "Ashby,01-Apr-24,C1,\"Two\r\nlines\",1.00\r\n"  # 2-3
        "\r\n"  # 4: blank
        "Ashby,02-Apr-24,C1,\"Three\r\nmore\r\nlines\",2.00\r\n"  # 5-7
        "Ashby,03-Apr-24,C1,S,3.00\r\n"  # 8
        "Total,,,,6.00\r\n"  # 9
        "\r\n\r\n"  # trailing blank lines are not rows
    )
    parsed = parse_submission(write(tmp_path, text), la_config())
    check_invariant(parsed)
    assert parsed.lines["source_row"].to_list() == [2, 5, 8]
    assert parsed.skipped.select("source_row", "reason").rows() == [(4, "blank_row"), (9, "totals_row")]
    assert parsed.rows_read == 5


def test_a_short_row_says_it_is_short(tmp_path: Path) -> None:
    text = (
        f"{LA_HEADER}\n"
        "Ashby,01-Apr-24C1,S,1.00\n"  # the comma after the date lost: 4 fields
        "Ashby,02-Apr-24,C1,\"S, Ltd\",2.00\n"  # 5 fields, one quoted with a comma in it
        "Ashby,03-Apr-24,,S,\n"  # 5 fields, two empty: not short, just blank cells
        "Ashby\n"  # 1 field
    )
    parsed = parse_submission(write(tmp_path, text), la_config())
    check_invariant(parsed)
    assert parsed.lines["source_row"].to_list() == [3]
    assert parsed.quarantine.select("source_row", "reason_code", "message").rows() == [
        (2, "BAD_DATE", 'Spend_over_500_2024-04.csv row 2, field posting_date: "01-Apr-24C1" is not a valid date '
                        "(expected dd-Mon-yy) (the row has 4 fields, the header 5: a separator may be missing)"),
        (4, "MISSING_FIELD", "Spend_over_500_2024-04.csv row 4, field cost_centre: Cost Centre Code is blank"),
        (5, "MISSING_FIELD", "Spend_over_500_2024-04.csv row 5, field posting_date: Payment Date is blank "
                             "(the row has 1 field, the header 5: a separator may be missing)"),
    ]


def test_a_trailing_line_of_bare_separators_is_a_blank_row(tmp_path: Path) -> None:
    # Excel's CSV export writes a row of empty cells as ",,,,": a line, unlike the empty ones after it.
    text = f"{LA_HEADER}\r\nAshby,01-Apr-24,C1,S,1.00\r\n,,,,\r\n , ,,,\r\n\r\n"
    parsed = parse_submission(write(tmp_path, text), la_config())
    check_invariant(parsed)
    assert parsed.skipped.select("source_row", "reason").rows() == [(3, "blank_row"), (4, "blank_row")]
    assert parsed.rows_read == 3


def test_header_below_a_title_and_a_bom(tmp_path: Path) -> None:
    text = "\ufeffAshby Borough Council payments\n\n" + LA_HEADER + "\nAshby,01-Apr-24,C1,S,1.00\n"
    parsed = parse_submission(write(tmp_path, text), la_config(file={"header_row": "auto"}))
    assert parsed.header_row == 3 and parsed.lines["source_row"].to_list() == [4]


def test_headers_match_ignoring_case_and_spacing(tmp_path: Path) -> None:
    text = " body name ,PAYMENT  DATE,Cost\u00a0Centre Code,supplier name,AMOUNT (£)\nA,01-Apr-24,C1,S,1.00\n"
    parsed = parse_submission(write(tmp_path, text), la_config())
    assert parsed.lines["amount"].to_list() == [Decimal("1.00")]
    assert parsed.column_map["amount"] == "AMOUNT (£)"


def test_alternative_column_names(tmp_path: Path) -> None:
    config = la_config(columns={"amount": ["Amount (£)", "Net Amount"]})
    text = "Body Name,Payment Date,Cost Centre Code,Supplier Name,Net Amount\nA,01-Apr-24,C1,S,5.00\n"
    parsed = parse_submission(write(tmp_path, text), config)
    assert parsed.lines["amount"].to_list() == [Decimal("5.00")]


def test_first_failing_field_wins_and_blank_cells_are_missing(tmp_path: Path) -> None:
    text = (
        f"{LA_HEADER}\n"
        "A,31-Feb-24,C1,S,x\n"  # bad date and bad amount: the date comes first
        "A,01-Apr-24,,,\n"  # blank cost centre, supplier and amount: cost centre first
        "A,,C1,S,1.00\n"  # blank date
        "A,01-Apr-24,C1,S,\n"  # blank amount
        "A,01-Apr-24,C1, ,1.00\n"  # supplier of spaces is blank
    )
    parsed = parse_submission(write(tmp_path, text), la_config())
    check_invariant(parsed)
    assert parsed.quarantine.select("source_row", "field", "reason_code").rows() == [
        (2, "posting_date", "BAD_DATE"),
        (3, "cost_centre", "MISSING_FIELD"),
        (4, "posting_date", "MISSING_FIELD"),
        (5, "amount", "MISSING_FIELD"),
        (6, "counterparty", "BLANK_SUPPLIER"),
    ]
    assert parsed.quarantine["message"][3] == "Spend_over_500_2024-04.csv row 5, field amount: Amount (£) is blank"


def test_notes_short_rows_and_skip_rules(tmp_path: Path) -> None:
    text = (
        f"{LA_HEADER}\n"
        "A,01-Apr-24,C1,Total Care Ltd,1.00\n"  # a supplier starting "Total" is not a totals row
        "Subtotal,,,,1.00\n"
        "Total,,,,1.00\n"
        "Source: finance\n"  # a short row: the missing fields are empty
        "Prepared 3 May\n"
    )
    config = la_config(
        skip={
            "totals_rows": [{"column": "Body Name", "pattern": "(?i)^(sub)?total"}],
            "note_rows": [{"pattern": "^Source:"}],  # any column
        }
    )
    parsed = parse_submission(write(tmp_path, text), config)
    check_invariant(parsed)
    assert parsed.lines["counterparty"].to_list() == ["Total Care Ltd"]
    # Deliberately changed with issue 16: the "Total" (1.00) is the sum since the top of the
    # file, so it includes the "Subtotal" above it, which is no longer a control total too.
    assert parsed.skipped.select("source_row", "reason").rows() == [(3, "subtotal_row"), (4, "totals_row"), (5, "note_row")]
    assert parsed.quarantine.select("source_row", "reason_code").rows() == [(6, "MISSING_FIELD")]
    after = la_config(skip={"notes_after_totals": True})
    parsed = parse_submission(write(tmp_path, text), after)
    # Deliberately changed with issue 16: "Subtotal,,,,1.00" has every mapped text field
    # blank and the amount of the line above (1.00), so it is a total found by arithmetic
    # (it was quarantined for its blank cost centre); the labelled "Total" (1.00, the sum
    # since the top) includes it, so it is not counted again in the control total.
    assert parsed.skipped.select("source_row", "reason").rows() == [
        (3, "subtotal_row"), (4, "totals_row"), (5, "note_row"), (6, "note_row")]
    assert parsed.quarantine.is_empty()


def test_negated_sign_and_debit_credit(tmp_path: Path) -> None:
    parsed = parse_submission(
        write(tmp_path, f"{LA_HEADER}\nA,01-Apr-24,C1,S,-1250.00\nA,01-Apr-24,C1,S,(3.50)\n"),
        la_config(amounts={"sign": "negate"}),
    )
    assert parsed.lines["amount"].to_list() == [Decimal("1250.00"), Decimal("3.50")]
    text = "Date,CC,Dr,Cr\n01/04/2024,C1,10.00,\n01/04/2024,C1,,£2.50\n01/04/2024,C1,x,1.00\n"
    config = SourceConfig.model_validate(
        {
            "partner_id": "t",
            "file": {"pattern": "*.csv", "type": "csv"},
            "period": {"from_file_name": r"(?P<year>\d{4})-(?P<month>\d{2})"},
            "columns": {"posting_date": "Date", "cost_centre": "CC", "debit": "Dr", "credit": "Cr"},
            "amounts": {"sign": "negate"},
        }
    )
    parsed = parse_submission(write(tmp_path, text, "gl 2024-04.csv"), config)
    assert parsed.lines["amount"].to_list() == [Decimal("-10.00"), Decimal("2.50")]
    assert parsed.quarantine["message"].to_list() == ['gl 2024-04.csv row 4, field amount: "x" is not an amount']


def test_layout_without_dates_uses_the_periods_last_day(tmp_path: Path) -> None:
    config = la_config(columns={"posting_date": None}, period={"from_file_name": r"(?P<year>\d{4})-(?P<month>\d{2})"})
    parsed = parse_submission(write(tmp_path, f"{LA_HEADER}\nA,junk,C1,S,1.00\n", "Spend_over_500_2024-02.csv"), config)
    assert parsed.lines["posting_date"].to_list() == [date(2024, 2, 29)]


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    parsed = parse_submission(write(tmp_path, LA_HEADER + "\n"), la_config())
    assert parsed.rows_read == 0 and parsed.lines.is_empty() and parsed.lines.schema["amount"] == pl.Decimal(18, 2)


def test_many_rows_stay_vectorised_and_exact(tmp_path: Path) -> None:
    rows = 200_000
    body = "".join(f"Ashby,30-Apr-24,C{i % 7},Supplier {i % 13},{i}.{i % 100:02d}\n" for i in range(rows))
    parsed = parse_submission(write(tmp_path, LA_HEADER + "\n" + body), la_config())
    check_invariant(parsed)
    assert parsed.lines.height == rows
    assert parsed.lines["source_row"][-1] == rows + 1
    # sum of i for i < n, plus the pence: sum of (i mod 100) over 2,000 full cycles of 0..99
    expected = Decimal(rows * (rows - 1) // 2) + Decimal(2_000 * 4_950) / 100
    assert parsed.lines["amount"].sum() == expected


# --------------------------------------------------------------------------- workbook cells


def test_workbook_reader_handles_blank_columns_and_typed_cells(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    rows = [  # from C3: two blank columns and two blank rows before the header
        ["Payment Date", "Cost Centre Code", "Supplier Name", "Amount (£)", "Body Name"],
        [datetime(2024, 4, 30, 0, 0), 10101, "REDACTED", 1234.5],
        [datetime(2024, 4, 29, 14, 30), "C2", "S", -7],
        [45412, "C3", True, "(12.00)"],
    ]
    for row, values in enumerate(rows, start=3):
        for column, value in enumerate(values, start=3):
            sheet.cell(row=row, column=column, value=value)
    path = tmp_path / "Spend_over_500_2024-04.xlsx"
    book.save(path)
    config = la_config(
        file={"type": "xlsx", "pattern": "*.xlsx", "header_row": "auto"},
        dates={"formats": ["%d/%m/%Y"], "excel_serial": True},
    )
    parsed = parse_submission(path, config)
    assert parsed.header_row == 3
    assert parsed.lines.select("source_row", "posting_date", "cost_centre", "counterparty", "amount").rows() == [
        (4, date(2024, 4, 30), "10101", "REDACTED", Decimal("1234.50")),
        (5, date(2024, 4, 29), "C2", "S", Decimal("-7.00")),
        (6, date(2024, 4, 30), "C3", "TRUE", Decimal("-12.00")),
    ]
    assert json.loads(parsed.lines["raw_record"][1])["Payment Date"] == "2024-04-29 14:30:00"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234.5, "1234.5"),
        (45412.0, "45412"),
        (0.1 + 0.2, "0.3"),  # float noise, cut at Excel's 15 significant digits
        (26000.300000000003, "26000.3"),
        (12.345, "12.345"),  # real extra digits stay (and the amount parser rejects them)
        (-0.5, "-0.5"),
        (1e20, "100000000000000000000"),
        (1e-05, "0.00001"),
    ],
)
def test_number_cells_become_exact_text(value: float, text: str) -> None:
    assert number_text(value) == text


def test_cell_text() -> None:
    assert cell_text(None) is None and cell_text("") is None
    assert cell_text(date(2024, 4, 30)) == "2024-04-30"
    assert cell_text(datetime(2024, 4, 30)) == "2024-04-30"
    assert cell_text(False) == "FALSE"
    assert cell_text(7) == "7"
    assert cell_text(" as typed ") == " as typed "


def test_headers_named_like_canonical_fields(tmp_path: Path) -> None:
    text = "posting_date,cost_centre,amount,description,raw_record\n30/04/2024,C1,x,d,r\n30/04/2024,C1,5.00,d,r\n"
    config = SourceConfig.model_validate(
        {
            "partner_id": "t",
            "file": {"pattern": "*.csv", "type": "csv"},
            "period": {"from_file_name": r"(?P<year>\d{4})-(?P<month>\d{2})"},
            "columns": {
                "posting_date": "posting_date",
                "cost_centre": "cost_centre",
                "amount": "amount",
                "description": "raw_record",
            },
        }
    )
    parsed = parse_submission(write(tmp_path, text, "ledger 2024-04.csv"), config)
    assert parsed.quarantine["message"].to_list() == ['ledger 2024-04.csv row 2, field amount: "x" is not an amount']
    assert parsed.lines.select("amount", "description").rows() == [(Decimal("5.00"), "r")]
    assert json.loads(parsed.lines["raw_record"][0])["raw_record"] == "r"


def test_a_record_running_over_lines_is_quarantined_unless_the_config_allows_it(tmp_path: Path) -> None:
    # Issue 19: an unbalanced quote swallows the lines after it into one value; every line is accounted for.
    text = (f"{LA_HEADER}\nA,01-Apr-24,C1,\"Acme,10.00\nA,02-Apr-24,C1,Beta,20.00\nA,03-Apr-24,C1,Gamma\",30.00\n"
            "A,04-Apr-24,C1,Delta,40.00\n")
    parsed = parse_submission(write(tmp_path, text), la_config(file={"multiline_fields": False}))
    check_invariant(parsed)
    assert parsed.lines["counterparty"].to_list() == ["Delta"]
    assert parsed.quarantine["reason_code"].to_list() == ["SPANS_LINES"]
    assert parsed.quarantine["message"].to_list() == [
        "Spend_over_500_2024-04.csv row 2: the row runs over lines 2 to 4: a quoted value holds line breaks (a quote "
        "never closed?); if the partner's values really hold line breaks, set file.multiline_fields: true"]
    allowed = parse_submission(write(tmp_path, text), la_config())  # the default: values may hold line breaks
    assert allowed.quarantine.is_empty() and allowed.lines["counterparty"].to_list()[0] == "Acme,10.00\nA,02-Apr-24,C1,Beta,20.00\nA,03-Apr-24,C1,Gamma"
