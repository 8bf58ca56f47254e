"""csv_lines: the static CSV file line by line, the pieces a page's filter puts the rows shown
back together from (templates/filter-tables.js), so they must be exactly the file's own."""
import csv
import io
from decimal import Decimal

from reports import tables as s
from reports.table_csv import csv_lines, table_csv


def test_the_lines_are_the_file_one_per_row_even_where_a_value_holds_a_line_break():
    table = s.Table("t", "T", [s.Column("partner_name", "Partner", "text", False),
                               s.Column("note", "Note", "text", False),
                               s.Column("amount", "Amount", "money2", True)],
                    [s.Row({"partner_name": "Ashby, \"East\"", "note": "two\nlines", "amount": Decimal("1234.50")}),
                     s.Row({"partner_name": "=cmd", "note": "", "amount": Decimal("-0.10")}),
                     s.Row({"partner_name": s._Label("Total"), "amount": Decimal("1234.40")}, "total")])
    lines = csv_lines(table)
    assert len(lines) == 1 + len(table.rows)
    assert "".join(line + "\r\n" for line in lines) == table_csv(table)
    # each line read alone is that row, as a spreadsheet reads the file
    assert [next(csv.reader(io.StringIO(line, newline=""))) for line in lines] == [
        ["Row type", "Partner", "Note", "Amount"],
        ["detail", 'Ashby, "East"', "two\nlines", "1234.50"],
        ["detail", "'=cmd", "", "-0.10"],
        ["total", "Total", "", "1234.40"]]
