"""What a sheet of an .xlsx claims to hold, read from its XML before the workbook reader
sees it.

The reader (calamine) allocates the whole rectangle from A1 (or the first cell) to the
furthest cell of a sheet before reading any value: one stray cell at XFD1048576 asks for
about 512 GiB and aborts the process, on every rerun. So the extent of each sheet to be
read is measured here from the cell references in its XML, cheaply (most sheets are
settled from their row numbers alone), and a sheet past MAX_SHEET_CELLS is refused with
its extent named.
"""
from __future__ import annotations

import posixpath
import re
import zipfile

# 1,000,000 rows x 25 columns: more than any monthly or multi-year ledger workbook needs
# (the 150,000-row bench workbook is 1.2 million), far less than a process can allocate.
MAX_SHEET_CELLS = 25_000_000
EXCEL_COLUMNS = 16_384

_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_SHEET_ID_FIRST = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"')
_RELATION = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_RELATION_TARGET_FIRST = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]+)"')
_ROW = re.compile(rb"<(?:\w+:)?row\b")
_CELL_COLUMN = {width: re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{%d})[0-9]' % width) for width in (1, 2, 3)}


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its XML."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    workbook = archive.read("xl/workbook.xml")
    relations = archive.read("xl/_rels/workbook.xml.rels")
    targets = {rid: target for rid, target in _RELATION.findall(relations)}
    targets.update({rid: target for target, rid in _RELATION_TARGET_FIRST.findall(relations)})
    sheets = {name: rid for name, rid in _SHEET.findall(workbook)}
    sheets.update({name: rid for rid, name in _SHEET_ID_FIRST.findall(workbook)})
    parts = {}
    for name, rid in sheets.items():
        target = targets.get(rid, b"").decode("utf-8", "replace")
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if member in names:
            parts[_unescape(name.decode("utf-8", "replace"))] = member
    return parts


def claimed_extent(xml: bytes, limit: int = MAX_SHEET_CELLS) -> tuple[int, int]:
    """(rows, columns) the sheet's cells span from A1. The columns are exact only where it
    matters: while rows x the widest column a reference of that many letters can name is
    within `limit`, that bound is returned instead (the cells are not scanned)."""
    numbered = _ROW_NUMBER.findall(xml)
    rows = max(int(n) for n in numbered) if numbered else len(_ROW.findall(xml))
    for width, widest in ((3, EXCEL_COLUMNS), (2, 702), (1, 26)):
        if rows * widest <= limit:
            return rows, widest
        letters = set(_CELL_COLUMN[width].findall(xml))
        if letters:
            return rows, _column_number(max(letters).decode())
    return rows, 0


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))
