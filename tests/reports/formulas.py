"""Work out the few formulas the board pack writes, as a spreadsheet would on opening it.

openpyxl writes formulas without a cached value (LibreOffice and Excel compute them on open), so a
test reading a total reads '=SUBTOTAL(109,E6:E16)'. ``computed`` gives the workbook with every
formula cell replaced by its figure, worked out here from the cells themselves - the detail rows
the figures rest on - with the spreadsheet's own rules, independent of the code that wrote them:
SUBTOTAL(109, range) adds the numbers in the range leaving out other SUBTOTAL cells (nothing is
filtered in a freshly written pack); the derived cells are the arithmetic they spell.
Any other formula is an error: the pack must not hold one.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from openpyxl.utils import range_boundaries
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

REF = r"\$?([A-Z]{1,3})\$?(\d+)"
SUBTOTAL = re.compile(rf"^=SUBTOTAL\(109,([A-Z]{{1,3}}\d+:[A-Z]{{1,3}}\d+)\)$")
DIFF = re.compile(rf"^=([A-Z]{{1,3}}\d+)-([A-Z]{{1,3}}\d+)$")
PCT_CHANGE = re.compile(r'^=IF\(N\(([A-Z]{1,3}\d+)\)=0,"",ROUND\(\(([A-Z]{1,3}\d+)-([A-Z]{1,3}\d+)\)/ABS\(([A-Z]{1,3}\d+)\),3\)\)$')
DIVIDE = re.compile(r'^=IF\(N\(([A-Z]{1,3}\d+)\)=0,"",ROUND\(([A-Z]{1,3}\d+)/([A-Z]{1,3}\d+),([23])\)\)$')


def _round(d: Decimal, places: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)   # Excel's ROUND: half away from 0


def value(ws: Worksheet, ref: str) -> Decimal | str | None:
    """A cell's figure, its formula worked out."""
    v = ws[ref].value
    if isinstance(v, str) and v.startswith("="):
        return formula(ws, v)
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    return Decimal(str(v))


def _num(ws: Worksheet, ref: str) -> Decimal:
    v = value(ws, ref)
    return v if isinstance(v, Decimal) else Decimal(0)      # N(): text and blanks are 0


def formula(ws: Worksheet, text: str) -> Decimal | str:
    if m := SUBTOTAL.match(text):
        lo_c, lo_r, hi_c, hi_r = range_boundaries(m.group(1))
        total = Decimal(0)
        for row in ws.iter_rows(min_row=lo_r, max_row=hi_r, min_col=lo_c, max_col=hi_c):
            for c in row:
                if isinstance(c.value, str) and c.value.upper().startswith("=SUBTOTAL("):
                    continue                                # nested subtotals are left out
                v = value(ws, c.coordinate)
                if isinstance(v, Decimal):
                    total += v
        return total
    if m := DIFF.match(text):
        return _num(ws, m.group(1)) - _num(ws, m.group(2))
    if m := PCT_CHANGE.match(text):
        b = _num(ws, m.group(1))
        return "" if b == 0 else _round((_num(ws, m.group(2)) - _num(ws, m.group(3))) / abs(_num(ws, m.group(4))), 3)
    if m := DIVIDE.match(text):
        b = _num(ws, m.group(1))
        return "" if b == 0 else _round(_num(ws, m.group(2)) / _num(ws, m.group(3)), int(m.group(4)))
    raise AssertionError(f"{ws.title}: a formula the pack should not hold: {text!r}")


def is_pack_formula(text: str) -> bool:
    return any(p.match(text) for p in (SUBTOTAL, DIFF, PCT_CHANGE, DIVIDE))


def computed(wb: Workbook) -> Workbook:
    """The workbook with each formula cell holding its figure (as openpyxl reads numbers: float/int)."""
    figures = {}
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    v = formula(ws, c.value)
                    figures[(ws.title, c.coordinate)] = (
                        v if not isinstance(v, Decimal) else int(v) if c.number_format == "#,##0" and v == v.to_integral()
                        else float(v))
    for (title, coord), v in figures.items():
        wb[title][coord].value = None if v == "" else v
    return wb
