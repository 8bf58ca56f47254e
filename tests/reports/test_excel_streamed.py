"""Rows streamed into a sheet's XML at save (reports/excel_streamed.py) make the file openpyxl makes of the same
rows as cells: every member of the two workbooks byte for byte the same but the save time, the style indexes of
a sheet written after them included."""
import zipfile
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.cell.cell import Cell

from reports import excel_streamed

# (value, is text, style): the shapes a line's cells take; None style: a cell never styled
TOP = ("top", Alignment(vertical="top"))
WRAP = ("wrap", Alignment(wrap_text=True, vertical="top", indent=1))
MONEY = ("money", "#,##0.00;-#,##0.00")
ROWS = [
    ([("Alpha — Trust", True, TOP), (Decimal("12.30"), False, MONEY), (7, False, None)], None),
    ([("  leading spaces", True, WRAP), (Decimal("-0.05"), False, MONEY), (None, False, None)], 25.5),
    ([("a < b & c > d \"q\"", True, None), (None, False, MONEY), ("", True, None)], 38.25),
    ([(None, True, TOP), (Decimal("1234567.89"), False, None), ("trailing ", True, WRAP)], None),
]


def _style(cell: Cell, style) -> None:
    name, value = style
    if name == "money":
        cell.number_format = value
    else:
        cell.alignment = value


def _workbook() -> tuple[Workbook, object]:
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "Lines"
    ws["A1"].font = Font(bold=True)
    ws.row_dimensions[2].height = 30          # a row of the sheet's own, empty but for its height
    return wb, ws


def _after(wb: Workbook) -> None:
    """A sheet written after the lines' sheet, with a style of its own and one of theirs."""
    other = wb.create_sheet("After")
    other["A1"] = "later"
    other["A1"].font = Font(italic=True)
    other["A2"] = "top"
    other["A2"].alignment = Alignment(vertical="top")


def _as_cells(path) -> None:
    wb, ws = _workbook()
    for r, (cells, height) in enumerate(ROWS, start=3):
        for j, (value, text, style) in enumerate(cells, start=1):
            c = ws.cell(row=r, column=j)
            c._value = value
            if text:
                c.data_type = "s"
            if style is not None:
                _style(c, style)
        if height is not None:
            ws.row_dimensions[r].height = height
    _after(wb)
    wb.save(path)


def _streamed(path) -> None:
    wb, ws = _workbook()
    rows = excel_streamed.StreamedRows(ws, 3)
    for cells, height in ROWS:
        keyed = []
        for value, text, style in cells:
            key = style[0] if style else None
            if not rows.has_style(key):
                probe = Cell(ws)
                if style is not None:
                    _style(probe, style)
                rows.style(key, probe._style)
            keyed.append((key, value, text))
        rows.append(keyed, height)
    assert rows.last_row == 6 and rows.height(4) == 25.5 and rows.height(3) is None
    _after(wb)
    excel_streamed.save(wb, path)


def test_streamed_rows_make_the_file_openpyxl_makes(tmp_path, monkeypatch):
    monkeypatch.setattr(excel_streamed, "_PIECE", 3)        # the rows written in several pieces
    _as_cells(tmp_path / "cells.xlsx")
    _streamed(tmp_path / "streamed.xlsx")
    a, b = zipfile.ZipFile(tmp_path / "cells.xlsx"), zipfile.ZipFile(tmp_path / "streamed.xlsx")
    assert a.namelist() == b.namelist()
    differ = [n for n in a.namelist() if a.read(n) != b.read(n) and n != "docProps/core.xml"]   # its time saved
    assert differ == []
    sheet = b.read("xl/worksheets/sheet1.xml").decode("ascii")
    assert '<dimension ref="A1:C6"/>' in sheet and "&#8212;" in sheet and 'xml:space="preserve"' in sheet


def test_a_sheet_takes_streamed_rows_once(tmp_path):
    wb, ws = _workbook()
    excel_streamed.StreamedRows(ws, 3)
    try:
        excel_streamed.StreamedRows(ws, 10)
    except ValueError:
        return
    raise AssertionError("a second set of streamed rows was accepted")
