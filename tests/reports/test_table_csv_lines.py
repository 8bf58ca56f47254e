"""csv_lines: the static CSV file line by line, the pieces a page's filter puts the rows shown
back together from (templates/filter-tables.js), so they must be exactly the file's own."""
import csv
import io
from decimal import Decimal

from reports import tables as s
from reports.table_csv import csv_lines, series_csv_lines, table_csv


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


def test_the_lines_with_one_series_column_are_the_file_of_the_table_with_that_column_only():
    """A column per system and a Total adding them: each system's lines are the heading and rows with
    that system's column alone and no Total (written out here by hand), and "" has neither."""
    table = s.Table("t", "T", [s.Column("x", "Service line", "text", False),
                               s.Column("s0", "North Weald ICS", "money", True, raw="north_weald", series="ics_id"),
                               s.Column("s1", "South Fen ICS", "money", True, raw="south_fen", series="ics_id"),
                               s.Column("v", "Total", "money", True, across="ics_id")],
                    [s.Row({"x": "Crisis, adult", "s0": Decimal("10.50"), "s1": Decimal("2"), "v": Decimal("12.50")}),
                     s.Row({"x": s._Label("Total"), "s0": Decimal("10.50"), "s1": Decimal("2"), "v": Decimal("12.50")},
                           "total")])
    assert series_csv_lines(table, {"ics_id"}) == {
        "": ["Row type,Service line", 'detail,"Crisis, adult"', "total,Total"],
        "North Weald ICS": ["Row type,Service line,North Weald ICS", 'detail,"Crisis, adult",10.50', "total,Total,10.50"],
        "South Fen ICS": ["Row type,Service line,South Fen ICS", 'detail,"Crisis, adult",2', "total,Total,2"]}
    assert series_csv_lines(table, {"partner_name"}) == {}      # no column per partner: nothing to cut
