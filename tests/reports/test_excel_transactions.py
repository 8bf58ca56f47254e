"""The Transactions sheet's line cells, read back from the saved workbook: text as formatting.excel_text makes it
(never a formula, no character XML forbids), cut to the 32,767 characters a cell holds; figures as numbers."""
from decimal import Decimal

import duckdb
import openpyxl
from openpyxl.utils import get_column_letter

from reports import excel_streamed, excel_transactions
from reports.query import ReportContext

LONG = "word " * 8000           # 40,000 characters: more than a cell holds


def test_line_cells_hold_safe_text_and_numbers(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE TABLE fct_mh_ledger (ics_id VARCHAR, partner_name VARCHAR, period VARCHAR, "
                "description VARCHAR, amount DECIMAL(18, 2), source_file VARCHAR, source_row INTEGER)")
    lines = [("north_weald", "Alpha Trust", "=HYPERLINK(\"http://x\")", Decimal("12.30"), 2),
             ("north_weald", "Beta\x07 Trust", "#N/A", Decimal("-0.05"), 3),
             ("north_weald", "Gamma Trust", LONG, None, 4),
             ("north_weald", "Delta Trust", None, Decimal("1000000.00"), 5)]
    for ics, partner, description, amount, row in lines:
        con.execute("INSERT INTO fct_mh_ledger VALUES (?, ?, '2025-06', ?, ?, '/home/x/inbox/p/f.csv', ?)",
                    [ics, partner, description, amount, row])
    wb = openpyxl.Workbook()
    excel_transactions.write_transactions(wb.active, con, ReportContext("2025-06", None, "test"))
    excel_streamed.save(wb, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    header = [c.value for c in ws[excel_transactions.HEADER_ROW]]
    got = {r[header.index("Row")]: r for r in ws.iter_rows(min_row=excel_transactions.HEADER_ROW + 1,
                                                           values_only=True)}
    partner, description, amount = header.index("Partner"), header.index("Description"), header.index("Amount")
    # by hand: a leading = is neutralised with an apostrophe, a control character dropped, the text cut
    assert got[2][description] == "'=HYPERLINK(\"http://x\")" and got[2][amount] == 12.3
    assert got[3][partner] == "Beta Trust" and got[3][description] == "#N/A" and got[3][amount] == -0.05
    assert got[4][description] == LONG[:32767] and got[4][amount] is None
    assert got[5][description] is None and got[5][amount] == 1000000
    assert got[2][header.index("Source file")] == "p/f.csv"
    texts = [c for c in ws[get_column_letter(description + 1)][excel_transactions.HEADER_ROW:] if c.value is not None]
    assert len(texts) == 3 and {c.data_type for c in texts} == {"s"}     # the error code's text stays text


def test_a_real_file_name_stays_on_one_line_and_only_a_very_long_path_wraps(tmp_path):
    """A partner folder and a published file's own name (here 41, 47 and 62 characters) fit the Source file
    column on one line at the default row height; a 100-character path wraps, its row made taller."""
    con = duckdb.connect()
    con.execute("CREATE TABLE fct_mh_ledger (ics_id VARCHAR, period VARCHAR, amount DECIMAL(18, 2), "
                "source_file VARCHAR, source_row INTEGER)")
    files = {2: "/h/inbox/la_brookcarrow/Spend_over_500_2026-03.csv",
             3: "/h/inbox/rw_hill/HILL 00-03 - Nov 2019 to June 2020.xlsx",
             4: "/h/inbox/p/" + "x" * 98 + ".csv",
             5: "/h/inbox/haven/Haven Crisis Houses management accounts M12 2025-26.xlsx"}
    for row, path in files.items():
        con.execute("INSERT INTO fct_mh_ledger VALUES ('north_weald', '2025-06', 1.00, ?, ?)", [path, row])
    wb = openpyxl.Workbook()
    excel_transactions.write_transactions(wb.active, con, ReportContext("2025-06", None, "test"))
    excel_streamed.save(wb, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    header = [c.value for c in ws[excel_transactions.HEADER_ROW]]
    by_row = {r[header.index("Row")].row: r for r in ws.iter_rows(min_row=excel_transactions.HEADER_ROW + 1)}
    file_cells = {source_row: r[header.index("Source file")] for source_row, r in
                  ((r[header.index("Row")].value, r) for r in by_row.values())}
    for source_row in (2, 3, 5):
        cell = file_cells[source_row]
        assert not cell.alignment.wrap_text and ws.row_dimensions[cell.row].height is None, cell.value
    long_cell = file_cells[4]
    assert long_cell.alignment.wrap_text and ws.row_dimensions[long_cell.row].height > 15
