"""Two builds' board packs, compared cell by cell as openpyxl reads them back.

    .venv/bin/python bench/compare_packs.py BEFORE AFTER

BEFORE and AFTER are two packs, or two folders whose packs (*.xlsx) are compared by name. For every
sheet, in order: each cell's value, type, number format, font, fill, border, alignment, protection,
link and comment; the rows' heights, the columns' widths, the merged cells, the freeze, the filter,
the print area, titles, page set-up, margins, header and footer and page breaks. The cover's
"Produced" time is left out (a stamp). Prints each difference (the first 20 of a sheet) and the
number of facts compared; exits 1 when there is a difference. bench/compare_reports.py compares the
workbooks' XML instead (charts too, which openpyxl does not read back).
"""
from __future__ import annotations

import sys
from copy import copy
from pathlib import Path
from typing import Any, Iterator

import openpyxl
from openpyxl.xml.functions import tostring
from openpyxl.worksheet.worksheet import Worksheet

STAMP_LABEL = "Produced"        # the cover's row of the time the pack was made


def _link(cell) -> tuple | None:
    h = cell.hyperlink
    return None if h is None else (h.target, h.location, h.tooltip, h.display)


def _cells(ws: Worksheet) -> Iterator[tuple[str, Any]]:
    for row in ws.iter_rows():
        stamp = ws.title == "Cover" and row[0].value == STAMP_LABEL
        for c in row:
            at = c.coordinate
            yield f"{at} value", None if stamp and c.column > 1 else c.value
            yield f"{at} type", c.data_type
            yield f"{at} number format", c.number_format
            # copies: openpyxl hands out proxies of the styles, which compare unequal to each other
            yield f"{at} font", copy(c.font)
            yield f"{at} fill", copy(c.fill)
            yield f"{at} border", copy(c.border)
            yield f"{at} alignment", copy(c.alignment)
            yield f"{at} protection", copy(c.protection)
            yield f"{at} link", _link(c)
            yield f"{at} comment", None if c.comment is None else c.comment.text


def _layout(ws: Worksheet) -> Iterator[tuple[str, Any]]:
    for r, dim in sorted(ws.row_dimensions.items()):
        yield f"row {r} height", dim.height
    for col, dim in sorted(ws.column_dimensions.items()):
        yield f"column {col} width", (dim.width, dim.min, dim.max, dim.hidden)
    yield "merged", sorted(str(m) for m in ws.merged_cells.ranges)
    yield "freeze", ws.freeze_panes
    yield "filter", ws.auto_filter.ref
    yield "print area", ws.print_area
    yield "print titles", (ws.print_title_rows, ws.print_title_cols)
    yield "page setup", _xml(ws.page_setup)
    yield "fit to page", _xml(ws.sheet_properties.pageSetUpPr)
    yield "margins", _xml(ws.page_margins)
    yield "print options", _xml(ws.print_options)
    yield "header and footer", _xml(ws.HeaderFooter)
    yield "row breaks", [b.id for b in ws.row_breaks.brk]
    yield "column breaks", [b.id for b in ws.col_breaks.brk]
    yield "data validations", _xml(ws.data_validations)
    yield "conditional formats", [(str(r.sqref), [_xml(x) for x in r.rules]) for r in ws.conditional_formatting]


def _xml(part: Any) -> bytes | None:
    """A part of the sheet's settings as the XML it is written as (not all of openpyxl's parts compare by value)."""
    if part is None:
        return None
    tree = part.to_tree()
    return None if tree is None else tostring(tree)


def _short(value: Any) -> str:
    return " ".join(repr(value).split())[:300]


def compare(before: Path, after: Path) -> tuple[int, list[str]]:
    """(facts compared, differences) of two packs."""
    a, b = openpyxl.load_workbook(before), openpyxl.load_workbook(after)
    if a.sheetnames != b.sheetnames:
        return 1, [f"sheets differ: {a.sheetnames} / {b.sheetnames}"]
    n, problems = 1, []
    for wa, wb in zip(a.worksheets, b.worksheets):
        shown = 0
        for (what, x), (what_b, y) in zip(list(_cells(wa)) + list(_layout(wa)), list(_cells(wb)) + list(_layout(wb))):
            n += 1
            if what != what_b or x != y:
                shown += 1
                if shown <= 20:
                    problems.append(f"{before.name} {wa.title} {what}: {_short(x)} / {what_b}: {_short(y)}")
        if (wa.max_row, wa.max_column) != (wb.max_row, wb.max_column):
            problems.append(f"{before.name} {wa.title}: size {wa.max_row}x{wa.max_column} / {wb.max_row}x{wb.max_column}")
        if shown > 20:
            problems.append(f"{before.name} {wa.title}: {shown} differences in all")
    return n, problems


def main() -> int:
    before, after = Path(sys.argv[1]), Path(sys.argv[2])
    pairs = [(before, after)] if before.is_file() else [(p, after / p.name) for p in sorted(before.glob("*.xlsx"))]
    total, problems = 0, []
    for x, y in pairs:
        if not y.exists():
            problems.append(f"only in {before}: {x.name}")
            continue
        n, found = compare(x, y)
        total, problems = total + n, problems + found
    for p in problems:
        print(p)
    print(f"{len(pairs)} packs, {total:,} facts compared, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
