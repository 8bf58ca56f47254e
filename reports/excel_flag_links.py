"""The board pack's Flag register: each flag's id opens the row raising it on its own sheet.

A flag is a row of its source table (rpt_flags.source_table and source_keys, reports/flag_links.py); the pack's
sheets show this year's rows. A flag raised in an earlier year and not raised again has no row in the pack, so its
id is left unlinked (never linked to another row) and the register's note under the table says why.
"""
from __future__ import annotations

from openpyxl.styles import Font
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from reports.flag_links import FlagLinks
from reports.spec import Section
from reports.tables import Table

UNLINKED_NOTE = ("A flag's id opens the row raising it on its sheet. A flag raised in an earlier year and not raised "
                 "this year has no row in this pack (its sheet shows this year), so its id has no link: the HTML "
                 "site's register and the flag's finding say what was found.")


def flag_rows(placed: list[tuple[str, int, Section, Table]], flags: FlagLinks) -> dict[str, str]:
    """Flag id -> the cell ('Sheet'!A12) of the first row raising it, over the tables placed on the sheets
    ((sheet name, header row, section, table) each)."""
    found: dict[str, str] = {}
    for sheet, top, section, table in placed:
        for i, row in enumerate(table.rows):
            if row.role != "detail":
                continue
            for flag_id in flags.flags_of_row(section.source, row.facts):
                found.setdefault(flag_id, f"'{sheet}'!A{top + 1 + i}")
    return found


def link_register(ws: Worksheet, top: int, register: Table, rows_of: dict[str, str]) -> int:
    """Hyperlink each register row's Flag cell to the row raising it; return how many were linked."""
    col = next(j for j, c in enumerate(register.columns, start=1) if c.key == "flag_id")
    linked = 0
    for i, row in enumerate(register.rows):
        target = rows_of.get(row.values.get("flag_id"))
        if target is None:
            continue
        c = ws.cell(row=top + 1 + i, column=col)
        c.hyperlink = Hyperlink(ref=c.coordinate, location=target, tooltip="The row raising this flag")
        c.font = Font(name=c.font.name, size=c.font.sz, bold=c.font.b, color="005EB8", underline="single")
        linked += 1
    return linked
