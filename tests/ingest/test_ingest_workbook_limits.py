"""Workbooks: hidden sheets are never read unless named, and a sheet whose cells claim
more than the reader can hold is refused before it is read (it used to abort the process)."""
from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from assets.ingest import SourceConfig, SubmissionError, parse_submission
from assets.ingest.workbook_limits import MAX_SHEET_CELLS, claimed_extent, column_letters, sheet_parts

HEADER = ["Payment Date", "Supplier Name", "Amount"]


def config(sheet=None) -> SourceConfig:
    return SourceConfig.model_validate({
        "partner_id": "t",
        "file": {"pattern": "*.xlsx", "type": "xlsx", **({"sheet": sheet} if sheet is not None else {})},
        "period": {"fixed": "2024-04"},
        "columns": {"posting_date": "Payment Date", "counterparty": "Supplier Name", "amount": "Amount"},
        "dates": {"formats": ["%d/%m/%Y"]},
    })


def workbook_with_a_hidden_sheet(path: Path) -> Path:
    """A hidden 'Old' sheet first (what calamine would read as the first sheet), the visible ledger second."""
    book = Workbook()
    old = book.active
    old.title = "Old"
    for row in (HEADER, ["01/04/2024", "Hidden Ltd", "999.00"]):
        old.append(row)
    old.sheet_state = "hidden"
    ledger = book.create_sheet("Ledger")
    for row in (HEADER, ["02/04/2024", "Visible Ltd", "10.00"], ["03/04/2024", "Visible Ltd", "2.50"]):
        ledger.append(row)
    book.save(path)
    return path


def test_the_first_visible_sheet_is_read_not_a_hidden_one(tmp_path):
    parsed = parse_submission(workbook_with_a_hidden_sheet(tmp_path / "book.xlsx"), config())
    assert parsed.lines["counterparty"].to_list() == ["Visible Ltd", "Visible Ltd"]
    assert sum(parsed.lines["amount"].to_list()) == Decimal("12.50")


def test_all_sheets_means_every_visible_sheet(tmp_path):
    parsed = parse_submission(workbook_with_a_hidden_sheet(tmp_path / "book.xlsx"), config("all"))
    assert set(parsed.lines["counterparty"].to_list()) == {"Visible Ltd"}


def test_a_hidden_sheet_named_in_the_config_is_read(tmp_path):
    parsed = parse_submission(workbook_with_a_hidden_sheet(tmp_path / "book.xlsx"), config("Old"))
    assert parsed.lines["counterparty"].to_list() == ["Hidden Ltd"]


def test_a_hidden_ledger_is_not_read_in_place_of_a_visible_sheet(tmp_path):
    path = workbook_with_a_hidden_sheet(tmp_path / "book.xlsx")
    from openpyxl import load_workbook
    book = load_workbook(path)
    book.create_sheet("Blank")  # openpyxl needs one visible sheet to save; hide the ledger, keep a blank
    book["Ledger"].sheet_state = "hidden"
    book.move_sheet("Blank", offset=-2)
    book.save(path)
    # The visible sheet is empty: it is read (and refused as empty), never a hidden one.
    with pytest.raises(SubmissionError, match="'Blank' is empty"):
        parse_submission(path, config())


def test_a_stray_cell_far_away_is_refused_before_reading(tmp_path):
    book = Workbook()
    sheet = book.active
    for row in (HEADER, ["02/04/2024", "Visible Ltd", "10.00"]):
        sheet.append(row)
    sheet["XFD1048576"] = "stray"
    path = tmp_path / "stray.xlsx"
    book.save(path)
    with pytest.raises(SubmissionError) as refused:
        parse_submission(path, config())
    message = str(refused.value)
    assert "stray.xlsx" in message and "XFD1048576" in message and "1,048,576 rows x 16,384 columns" in message
    assert f"{MAX_SHEET_CELLS:,} cells" in message


def test_extent_is_read_from_the_sheet_xml(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Data & notes"
    sheet["B2"] = 1
    sheet["AB40"] = 2
    path = tmp_path / "x.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        parts = sheet_parts(archive)
        assert list(parts) == ["Data & notes"]
        xml = archive.read(parts["Data & notes"])
    assert claimed_extent(xml, limit=10) == (40, 28)       # exact when the rows alone do not settle it
    assert claimed_extent(xml) == (40, 16_384)             # else a bound within the limit
    assert [column_letters(n) for n in (1, 26, 27, 28, 702, 703, 16_384)] == ["A", "Z", "AA", "AB", "ZZ", "AAA", "XFD"]
