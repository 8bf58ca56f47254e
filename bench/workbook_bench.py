"""A 150,000-row spend workbook, as a trust publishes a year of payments, loaded end to end.

    .venv/bin/python bench/workbook_bench.py [--rows 150000] [--out bench-results/]

The workbook has what real compiled files have: two title rows above the header, a real
date cell per line spanning twelve months (April to March, so one file is twelve
partner-months), a repeated transaction number on split lines, and an unlabelled grand
total at the bottom (blank text cells, amount = sum of the lines). Side by side in one run:

  baseline   python-calamine reads the sheet and sums the amounts with Decimal (no checks)
  openbook   `openbook run` in a fresh data home holding only this file (reference data
             from the demo generator): parse, stage, check, marts, rpt_ tables, reports

It prints both times, the ratio, and whether the warehouse holds every line and the total
to the penny (the total is computed here while writing the workbook, independently of
openbook). Exit status 1 when the loaded figures do not match.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import python_calamine

ROOT = Path(__file__).resolve().parents[1]
PARTNER = "big_trust"
FILE_NAME = "Big Trust payments over 25k 2023-24.xlsx"
CONFIG = """partner_id: big_trust
description: Big Trust, a year of payments over 25k in one workbook (benchmark)
file:
  pattern: "Big Trust payments over 25k *.xlsx"
  type: xlsx
  header_row: auto
period:
  from_column: Payment Date
columns:
  posting_date: Payment Date
  expense_type: Expense Type
  counterparty: Supplier
  transaction_id: Transaction Number
  amount: Amount
default_funding_stream: recurrent
"""
SUPPLIERS = ["Rethink Mental Illness", "Priory Healthcare Ltd", "NHS Property Services", "REDACTED",
             "Mind in Ashby", "Turning Point", "Cygnet Health Care Limited", "Ashby Borough Council"]
EXPENSE_TYPES = ["Healthcare from independent providers", "Clinical supplies", "Premises", "Agency staff"]


def write_workbook(path: Path, rows: int, seed: int = 7) -> tuple[int, Decimal]:
    """The workbook, and (lines, total) computed here as it is written."""
    rng = random.Random(seed)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Payments 2023-24")
    sheet.append(["Big Trust NHS Foundation Trust"])
    sheet.append(["Payments over £25,000, April 2023 to March 2024"])
    sheet.append(["Payment Date", "Expense Type", "Supplier", "Transaction Number", "Amount"])
    start, total = date(2023, 4, 1), Decimal(0)
    for n in range(rows):
        amount = Decimal(rng.randint(2_500_000, 90_000_000)) / 100
        if n % 97 == 0:
            amount = -amount  # a credit note
        number = f"TX{n // 2:07d}"  # split lines: every number is used twice
        day = start + timedelta(days=n * 366 // rows)
        sheet.append([day, rng.choice(EXPENSE_TYPES), rng.choice(SUPPLIERS), number, amount])
        total += amount
    sheet.append([None, None, None, None, total])  # the unlabelled grand total
    book.save(path)
    return rows, total


def baseline(path: Path) -> tuple[float, int, Decimal]:
    started = time.perf_counter()
    grid = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    lines = [row for row in grid[3:] if any(isinstance(cell, str) and cell for cell in row[:4])]
    total = sum((Decimal(str(row[4])) for row in lines), Decimal(0))
    return time.perf_counter() - started, len(lines), total


def openbook(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "--home", str(home), *args],
                          cwd=ROOT, capture_output=True, text=True)


def make_home(home: Path) -> None:
    """Reference data from the demo generator; an inbox holding only the workbook's partner."""
    done = openbook(home, "demo-data")
    if done.returncode:
        raise SystemExit(f"demo-data failed: {done.stderr[-2000:]}")
    shutil.rmtree(home / "inbox")
    (home / "inbox" / PARTNER).mkdir(parents=True)
    (home / "config" / "sources" / f"{PARTNER}.yaml").write_text(CONFIG, encoding="utf-8")
    with open(home / "reference" / "partners.csv", "a", encoding="utf-8") as handle:
        handle.write(f"{PARTNER},Big Trust NHS Foundation Trust,nhs_trust,north_weald,true\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--out", type=Path, default=None, help="folder for workbook.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="openbook-workbook-bench-") as tmp:
        home = Path(tmp) / "home"
        make_home(home)
        path = home / "inbox" / PARTNER / FILE_NAME
        lines, total = write_workbook(path, args.rows)
        base_s, base_lines, base_total = baseline(path)
        started = time.perf_counter()
        run = openbook(home, "run")
        run_s = time.perf_counter() - started
        con = duckdb.connect(str(home / "warehouse" / "openbook.duckdb"), read_only=True)
        loaded, loaded_total, months = con.execute(
            "SELECT count(*), sum(amount), count(DISTINCT period) FROM stg_ledger WHERE partner_id = $p",
            {"p": PARTNER}).fetchone()
        (skipped,) = con.execute("SELECT count(*) FROM skipped_rows WHERE partner_id = $p", {"p": PARTNER}).fetchone()
        con.close()
    ok = run.returncode == 0 and loaded == lines and loaded_total == total and months == 12
    result = {
        "rows": lines, "total": str(total), "baseline_s": round(base_s, 2), "openbook_run_s": round(run_s, 2),
        "x_baseline": round(run_s / base_s, 1), "loaded_lines": loaded, "loaded_total": str(loaded_total),
        "months": months, "skipped_rows": skipped, "run_exit": run.returncode, "matches": ok,
    }
    print(f"Spend workbook: {lines} lines over {months} months, total {total:,}")
    print(f"  baseline (calamine read + Decimal sum): {base_s:8.2f} s  (lines {base_lines}, total {base_total:,})")
    print(f"  openbook run (whole pipeline):          {run_s:8.2f} s  = {run_s / base_s:.1f}x baseline")
    print(f"  warehouse: {loaded} lines, total {loaded_total:,}, {skipped} skipped row(s) (the unlabelled total):"
          f" {'MATCHES' if ok else 'DOES NOT MATCH'} the workbook")
    if run.returncode:
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "workbook.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
