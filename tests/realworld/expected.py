"""Expected figures of the real-world corpus, computed without openbook.

    python tests/realworld/expected.py      # rewrites tests/realworld/expected.json

Plain Python (csv, python-calamine, Decimal); nothing here imports openbook, so the
figures the corpus test compares with are independent of the code under test.

For every file: the header is the first row with a cell named Supplier / Supplier Name;
every later row is
  a ledger line   when it has a supplier and an amount;
  blank           when every cell is empty;
  other           anything else (a totals row or a note: an amount with no supplier, text
                  with no amount).
The total is the sum of the ledger lines' amounts: "£", thousands commas and spaces are
dropped, "(12.00)" is negative, workbook numbers are read as written (repr, then pence).
"""
from __future__ import annotations

import csv
import io
import json
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
    if path.suffix.lower() == ".xlsx":
        grid = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        return [["" if cell is None else (repr(cell) if isinstance(cell, float) else str(cell)) for cell in row]
                for row in grid]
    return list(csv.reader(io.StringIO(text_of(path.read_bytes()), newline="")))


def money(text: str) -> Decimal:
    cleaned = text.strip().replace("£", "").replace(",", "").replace(" ", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    value = Decimal(cleaned.strip("()"))
    return (-value if negative else value).quantize(Decimal("0.01"))


def figures(path: Path) -> dict:
    rows = rows_of(path)
    names = [[cell.strip().lower() for cell in row] for row in rows]
    header = next(i for i, row in enumerate(names) if "supplier" in row or "supplier name" in row)
    supplier = next(j for j, cell in enumerate(names[header]) if cell in ("supplier", "supplier name"))
    amount = next(j for j, cell in enumerate(names[header]) if cell == "amount")
    lines, blank, other, total = 0, 0, 0, Decimal(0)
    for row in rows[header + 1:]:
        cells = [cell.strip() for cell in row] + [""] * (len(rows[header]) - len(row))
        if not any(cells):
            blank += 1
        elif cells[supplier] and cells[amount]:
            lines += 1
            total += money(cells[amount])
        else:
            other += 1
    return {"header_row": header + 1, "rows_after_header": len(rows) - header - 1, "lines": lines,
            "blank_rows": blank, "other_rows": other, "total": str(total)}


def main() -> None:
    result = {path.name: figures(path) for path in sorted(FILES.iterdir())}
    (HERE / "expected.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for name, f in result.items():
        print(f"{name:32} {f['lines']:5} lines  {f['blank_rows']} blank  {f['other_rows']} other  {f['total']:>18}")


if __name__ == "__main__":
    main()
