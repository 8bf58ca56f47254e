"""The columns of a table a view reads, from DuckDB's plan, and the drill sources' fingerprints made of them.

A small ledger with a load_id joined to a register that holds each counterparty's class (read by the view)
and its total paid (not read): the total moving leaves the source's fingerprint as it was; the class, a
column only a filter of the view reads, or a row more, move it.
"""
import duckdb
import pytest

from reports import drill_reuse
from reports.warehouse_reading import Reading
from warehouse.columns_read import columns_read

VIEW = """CREATE VIEW lines_by_class AS
SELECT l.load_id, l.counterparty, l.amount, coalesce(r.counterparty_class, 'unknown') AS counterparty_class
FROM ledger l LEFT JOIN register r ON r.counterparty = l.counterparty AND r.in_use"""


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE TABLE ledger (load_id VARCHAR, counterparty VARCHAR, amount DECIMAL(18, 2))")
    con.execute("INSERT INTO ledger VALUES ('a.v1', 'Mind', 10.00), ('a.v1', 'Acme', 20.00), ('b.v1', 'Mind', 5.00)")
    con.execute("CREATE TABLE register (counterparty VARCHAR, counterparty_class VARCHAR, in_use BOOLEAN, "
                "gross_paid DECIMAL(18, 2), \"lines seen\" INTEGER)")
    con.execute("INSERT INTO register VALUES ('Mind', 'vcse', true, 15.00, 2), ('Acme', 'other_private', true, 20.00, 1)")
    con.execute(VIEW)
    yield con
    con.close()


def _source(con) -> str:
    return drill_reuse.read_inputs(Reading(con), ["lines_by_class"]).sources["lines_by_class"]


def test_the_plan_names_the_columns_scanned_and_filtered():
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (a INTEGER, b INTEGER, c INTEGER, d INTEGER)")
        con.execute("CREATE VIEW v AS SELECT a FROM t WHERE b > 1")
        cols = {"t": {"a", "b", "c", "d"}}
        assert columns_read(con, "SELECT * FROM v", {"t"}, cols) == {"t": frozenset({"a", "b"})}
        # a table the plan does not scan is not known (the caller then fingerprints all of it)
        con.execute("CREATE TABLE u (x INTEGER)")
        assert columns_read(con, "SELECT * FROM v", {"t", "u"}, cols | {"u": {"x"}})["u"] is None


def test_a_total_the_view_does_not_read_leaves_the_source_as_it_was(con):
    first = _source(con)
    con.execute("UPDATE register SET gross_paid = gross_paid + 1, \"lines seen\" = 3 WHERE counterparty = 'Mind'")
    assert _source(con) == first


@pytest.mark.parametrize("change", [
    "UPDATE register SET counterparty_class = 'nhs_body' WHERE counterparty = 'Mind'",   # a column the view shows
    "UPDATE register SET in_use = false WHERE counterparty = 'Acme'",                  # a column only its join reads
    "INSERT INTO register VALUES ('Mind', 'vcse', true, 0, 0)",                         # a row more: Mind's lines twice
])
def test_a_column_the_view_reads_changed_moves_the_source(con, change):
    first = _source(con)
    con.execute(change)
    assert _source(con) != first


def test_the_ledgers_loads_are_fingerprinted_by_load_as_before(con):
    inputs = drill_reuse.read_inputs(Reading(con), ["lines_by_class"])
    assert sorted(inputs.loads) == ["a.v1", "b.v1"]
