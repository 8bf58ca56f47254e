"""Each source row is stored as its cells (raw_cells, a JSON array) with the file's column
names once per load (raw_columns). Every cell must come back as it was written: a comma, a
quote, a line break, a backslash, a tab, text beyond ASCII, an empty cell, a workbook's date,
number and multi-line cells. The expected rows are written out by hand from the files below."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
from openpyxl import Workbook

from assets.ingest import SourceConfig, parse_submission
from assets.ingest.submissions import inbox_periods, load_period, scan_inbox
from warehouse.connection import open_writer
from warehouse.sql_files import run_sql


def config(file_type: str) -> SourceConfig:
    return SourceConfig.model_validate({
        "partner_id": "trust",
        "file": {"pattern": f"*.{file_type}", "type": file_type},
        "period": {"from_file_name": r"(?P<year>\d{4})-(?P<month>\d{2})"},
        "columns": {"posting_date": "Date", "cost_centre": "CC", "counterparty": "Supplier", "amount": "Amount"},
    })


CSV = (
    'Date,CC,Supplier,Amount,Notes\n'
    '01/04/2024,C1,"Smith, Jones & ""Partners""",100.00,"line one\nline two"\n'   # 2 (lines 2-3)
    '02/04/2024,C1,Café – Ünïcode 😀,50.50,\n'                                   # 4 (empty Notes)
    '03/04/2024,C2,Back\\slash\tand tab,not money,x\n'                           # 5 quarantined: BAD_AMOUNT
    ',,,150.50,\n'                                                               # 6 skipped: 100.00 + 50.50
)
CSV_ROWS = {
    2: {"Date": "01/04/2024", "CC": "C1", "Supplier": 'Smith, Jones & "Partners"', "Amount": "100.00",
        "Notes": "line one\nline two"},
    4: {"Date": "02/04/2024", "CC": "C1", "Supplier": "Café – Ünïcode 😀", "Amount": "50.50", "Notes": None},
    5: {"Date": "03/04/2024", "CC": "C2", "Supplier": "Back\\slash\tand tab", "Amount": "not money", "Notes": "x"},
    6: {"Date": None, "CC": None, "Supplier": None, "Amount": "150.50", "Notes": None},
}


def load(tmp_path: Path, cfg: SourceConfig, write) -> duckdb.DuckDBPyConnection:
    inbox = tmp_path / "inbox" / "trust"
    inbox.mkdir(parents=True)
    write(inbox)
    con = duckdb.connect()
    run_sql(con, "staging/create_tables")
    files = scan_inbox(tmp_path / "inbox", {"trust": cfg})
    [outcome] = load_period(con, files, inbox_periods(files)[0], "run")
    assert outcome.status == "loaded", outcome.message
    return con


def stored_rows(con: duckdb.DuckDBPyConnection) -> dict[int, dict]:
    """Every stored row of the load, rebuilt as the warehouse's readers see it."""
    rows = con.execute(
        "SELECT source_row, raw_record(load_id, raw_cells) FROM raw_ledger"
        " UNION ALL SELECT source_row, raw_record(load_id, raw_cells) FROM quarantine"
        " UNION ALL SELECT source_row, raw_record(load_id, raw_cells) FROM skipped_rows").fetchall()
    return {row: json.loads(record) for row, record in rows}


def parsed_rows(parsed) -> dict[int, dict]:
    frames = (parsed.lines, parsed.quarantine, parsed.skipped)
    return {row: json.loads(record) for frame in frames for row, record in frame.select("source_row", "raw_record").rows()}


def test_csv_cells_come_back_as_written(tmp_path: Path) -> None:
    con = load(tmp_path, config("csv"), lambda inbox: (inbox / "spend 2024-04.csv").write_text(CSV, encoding="utf-8"))
    assert con.execute("SELECT source_row, reason_code FROM quarantine").fetchall() == [(5, "BAD_AMOUNT")]
    assert con.execute("SELECT source_row, reason FROM skipped_rows").fetchall() == [(6, "totals_row")]
    assert stored_rows(con) == CSV_ROWS
    # the key order too: the row as the file has it
    assert list(stored_rows(con)[2]) == ["Date", "CC", "Supplier", "Amount", "Notes"]
    assert parsed_rows(parse_submission(tmp_path / "inbox" / "trust" / "spend 2024-04.csv", config("csv"))) == CSV_ROWS


def test_workbook_cells_come_back_as_the_reader_gives_them(tmp_path: Path) -> None:
    def write(inbox: Path) -> None:
        book = Workbook()
        for row in (["Date", "CC", "Supplier", "Amount", "Notes"],
                    [datetime(2024, 4, 30), 10101, "Café – Ünïcode 😀", 1234.5, None],
                    [datetime(2024, 4, 29, 14, 30), "C2", 'Smith, Jones & "Partners"', -7, "line one\nline two"]):
            book.active.append(row)
        book.save(inbox / "spend 2024-04.xlsx")

    con = load(tmp_path, config("xlsx"), write)
    expected = {
        2: {"Date": "2024-04-30", "CC": "10101", "Supplier": "Café – Ünïcode 😀", "Amount": "1234.5", "Notes": None},
        3: {"Date": "2024-04-29 14:30:00", "CC": "C2", "Supplier": 'Smith, Jones & "Partners"', "Amount": "-7",
            "Notes": "line one\nline two"},
    }
    assert stored_rows(con) == expected
    assert parsed_rows(parse_submission(tmp_path / "inbox" / "trust" / "spend 2024-04.xlsx", config("xlsx"))) == expected


def test_the_columns_are_stored_once_per_load(tmp_path: Path) -> None:
    con = load(tmp_path, config("csv"), lambda inbox: (inbox / "spend 2024-04.csv").write_text(CSV, encoding="utf-8"))
    assert con.execute("SELECT columns FROM raw_columns").fetchall() == [('["Date", "CC", "Supplier", "Amount", "Notes"]',)]
    # a row holds its cells only: not the names again
    (cells,) = con.execute("SELECT raw_cells FROM raw_ledger WHERE source_row = 4").fetchone()
    assert json.loads(cells) == ["02/04/2024", "C1", "Café – Ünïcode 😀", "50.50", None]


def test_a_warehouse_with_raw_records_is_turned_into_cells(tmp_path: Path) -> None:
    """A warehouse written before the cells were kept has raw_record, a JSON object per row:
    opening it for writing keeps the same rows as cells and the names once per load."""
    path = tmp_path / "old.duckdb"
    old_row = {"Date": "01/04/2024", "Supplier": 'Smith, "J" \\ é', "Amount": "1.00", "Notes": None}
    # made as that openbook made it, outside open_writer (which puts a warehouse right once per process)
    con = duckdb.connect(str(path))
    run_sql(con, "staging/create_tables")
    for table in ("raw_ledger", "quarantine", "skipped_rows"):
        con.execute(f"ALTER TABLE {table} DROP COLUMN raw_cells")
        con.execute(f"ALTER TABLE {table} ADD COLUMN raw_record VARCHAR")
    con.execute("INSERT INTO raw_ledger (load_id, partner_id, period, source_file, source_row, amount, raw_record)"
                " VALUES ('L1', 'trust', '2024-04', 'f.csv', 2, 1.00, $r)", {"r": json.dumps(old_row)})
    con.execute("INSERT INTO skipped_rows VALUES ('L1', 'trust', '2024-04', 'f.csv', 3, 'blank_row', $r)",
                {"r": json.dumps(dict.fromkeys(old_row))})
    con.close()
    with open_writer(path) as con:
        columns = {row[0] for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'raw_ledger'").fetchall()}
        assert "raw_record" not in columns and "raw_cells" in columns
        assert con.execute("SELECT * FROM raw_columns").fetchall() == [("L1", '["Date","Supplier","Amount","Notes"]')]
        (cells, record), = con.execute("SELECT raw_cells, raw_record(load_id, raw_cells) FROM raw_ledger").fetchall()
        assert json.loads(cells) == ["01/04/2024", 'Smith, "J" \\ é', "1.00", None]
        assert json.loads(record) == old_row
        (skipped,) = con.execute("SELECT raw_record(load_id, raw_cells) FROM skipped_rows").fetchone()
        assert json.loads(skipped) == dict.fromkeys(old_row)
