"""Expected figures of the real-world corpus, computed without openbook.

    python tests/realworld/expected.py      # rewrites tests/realworld/expected.json

Plain Python (csv, python-calamine, Decimal); nothing here imports openbook, so the
figures the corpus test compares with are independent of the code under test.

For every file (CSV, or the first sheet of an .xlsx or a legacy .xls): the header is the
first row with a cell named Supplier / Supplier Name / Recipient Org:Name / Organisation
Name (title and report-parameter rows above it are not read); the amount column is the one
named Amount, else Total, else Invoice Nett Amount, else Amount Awarded, else ICRF Grant
Awarded.
Every later row is
  blank           when every cell is empty;
  short           when it has fewer cells than the header and is not blank (a field
                  separator missing: the cells after the gap sit in the wrong columns);
  a totals row    when a cell reads "Total" or "Grand Total" (nothing else in the cell);
  a ledger line   when it has a supplier and an amount;
  other           anything else (an unlabelled totals row or a note: an amount with no
                  supplier, text with no amount);
  before 2010     in a file listed in DATED_BEFORE_2010, a line whose date (dd/mm/yyyy in
                  the named column) is before 2010: the warehouse holds months from 2010.
The total is the sum of the ledger lines' amounts: "£", thousands commas and spaces are
dropped, "(12.00)" is negative, workbook numbers are read as written (repr, then pence).
"""
from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import python_calamine

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"


def text_of(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def rows_of(path: Path) -> list[list[str]]:
    # calamine reads both the zip-of-XML .xlsx and the legacy BIFF8 .xls (an OLE container).
    if path.suffix.lower() in (".xlsx", ".xls"):
        grid = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        return [["" if cell is None else (repr(cell) if isinstance(cell, float) else str(cell)) for cell in row]
                for row in grid]
    return list(csv.reader(io.StringIO(text_of(path.read_bytes()), newline="")))


SUPPLIER_NAMES = ("supplier", "supplier name", "recipient org:name", "organisation name")
AMOUNT_NAMES = ("amount", "total", "invoice nett amount", "amount awarded", "icrf grant awarded")
# Files whose lines go back before 2010, and the column holding each line's date.
DATED_BEFORE_2010: dict[str, str] = {"INDIGO IndigoTrust_360giving.csv": "award date"}
TOTAL_LABEL = re.compile(r"(?i)^(grand )?total$")


def row_is_short(path: Path, row: list[str]) -> bool:
    """A CSV row with fewer cells than the header. Workbooks' rows are padded by the
    reader, so only CSV rows can be short."""
    return path.suffix.lower() == ".csv"


def money(text: str) -> Decimal:
    cleaned = text.strip().replace("£", "").replace(",", "").replace(" ", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    value = Decimal(cleaned.strip("()"))
    return (-value if negative else value).quantize(Decimal("0.01"))


def figures(path: Path) -> dict:
    rows = rows_of(path)
    names = [[cell.strip().lower() for cell in row] for row in rows]
    header = next(i for i, row in enumerate(names) if any(name in row for name in SUPPLIER_NAMES))
    supplier = next(j for j, cell in enumerate(names[header]) if cell in SUPPLIER_NAMES)
    dated = names[header].index(DATED_BEFORE_2010[path.name]) if path.name in DATED_BEFORE_2010 else None
    amount = next(names[header].index(name) for name in AMOUNT_NAMES if name in names[header])
    width = len(rows[header])
    lines, blank, short, totals, other, early, total = 0, 0, 0, 0, 0, 0, Decimal(0)
    for row in rows[header + 1:]:
        cells = [cell.strip() for cell in row] + [""] * (width - len(row))
        if not any(cells):
            blank += 1
        elif len(row) < width and any(cell.strip() for cell in row) and row_is_short(path, row):
            short += 1
        elif any(TOTAL_LABEL.match(cell) for cell in cells):
            totals += 1
        elif cells[supplier] and cells[amount] and dated is not None and int(cells[dated][6:10]) < 2010:
            early += 1
        elif cells[supplier] and cells[amount]:
            lines += 1
            total += money(cells[amount])
        else:
            other += 1
    return {"header_row": header + 1, "rows_after_header": len(rows) - header - 1, "lines": lines,
            "blank_rows": blank, "short_rows": short, "totals_rows": totals, "other_rows": other,
            "before_2010": early,
            "total": str(total)}


def main() -> None:
    result = {path.name: figures(path) for path in sorted(FILES.iterdir())}
    (HERE / "expected.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for name, f in result.items():
        print(f"{name:44} {f['lines']:5} lines  {f['blank_rows']} blank  {f['short_rows']} short  "
              f"{f['totals_rows']} totals  {f['other_rows']} other  {f['before_2010']} pre-2010  {f['total']:>18}")


if __name__ == "__main__":
    main()
