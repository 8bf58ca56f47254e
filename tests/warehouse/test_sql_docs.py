"""Model documentation is read from SQL headers and lands in the warehouse's comments."""
import duckdb
import pytest

from warehouse.sql_docs import apply_comments, parse_model_doc

HEADER = """-- rpt_x: spend by place,
-- in pounds.
-- Grain: one row per place
--   and month.
-- Keys: place_id, period
-- Columns:
--   place_id: the place
--   amount: pounds; it's money
--     out of the system
CREATE TABLE rpt_x AS SELECT 1;
"""


def test_header_is_parsed():
    doc = parse_model_doc(HEADER)
    assert doc.table == "rpt_x"
    assert doc.description == "spend by place, in pounds."
    assert doc.grain == "one row per place and month."
    assert doc.keys == ["place_id", "period"]
    assert doc.columns == {"place_id": "the place", "amount": "pounds; it's money out of the system"}
    assert doc.table_comment == "spend by place, in pounds. Grain: one row per place and month. Keys: place_id, period."


def test_comments_are_applied_with_quotes_escaped():
    con = duckdb.connect()
    con.execute("CREATE TABLE rpt_x (place_id VARCHAR, amount DECIMAL(18,2))")
    apply_comments(con, parse_model_doc(HEADER))
    assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'rpt_x'").fetchone()[0].startswith("spend by place")
    comments = dict(con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'rpt_x'").fetchall())
    assert comments == {"place_id": "the place", "amount": "pounds; it's money out of the system"}


def test_file_without_a_header_is_an_error():
    with pytest.raises(ValueError, match="does not start with"):
        parse_model_doc("CREATE TABLE t AS SELECT 1;")
