"""Change markers (warehouse/change_markers.py): each load's fingerprint kept by the writer (marked
at the write, settled after) equals the one read from the rows, and the markers are not trusted
once something wrote the table without marking it."""
from __future__ import annotations

import duckdb
import pytest

from warehouse import change_markers
from warehouse.sql_files import transaction

LEDGER = "raw_ledger"  # a marked table; the test's own columns


def _rows_by_load(con) -> dict[str, tuple[int, int]]:
    """Each load's row count and hash sum, read from the rows: the independent figure."""
    return {load: (n, content) for load, n, content in con.execute(
        f"SELECT load_id, count(*), sum(hash(t)::HUGEINT) FROM {LEDGER} t GROUP BY 1").fetchall()}


def _write(con, sql, loads, params=None):
    with transaction(con), change_markers.writing(con, LEDGER) as touched:
        con.execute(sql, params or {})
        touched.loads(loads)


def _stored(con) -> dict[str, tuple[int, int]]:
    """The markers as stored (a dirty load has no figures)."""
    return {load: (n, content) for load, n, content in con.execute(
        "SELECT load_id, row_count, content FROM change_markers WHERE table_name = $t AND load_id IS NOT NULL",
        {"t": LEDGER}).fetchall()}


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(f"CREATE TABLE {LEDGER} (load_id VARCHAR, amount DECIMAL(18,2), note VARCHAR)")
    con.execute("CREATE TABLE rpt_small (k INTEGER)")
    _write(con, f"INSERT INTO {LEDGER} SELECT 'l' || (i % 3), i, 'x' FROM range(3000) t(i)", ["l0", "l1", "l2"])
    yield con
    con.close()


def test_markers_written_with_the_rows_equal_the_rows_fingerprints(con):
    assert change_markers.loads(con, LEDGER) == _rows_by_load(con)
    change_markers.settle(con)
    assert _stored(con) == _rows_by_load(con)
    before = change_markers.loads(con, LEDGER)

    # one load replaced, one new: only those change, and they equal what the rows say
    _write(con, f"DELETE FROM {LEDGER} WHERE load_id = 'l1'; INSERT INTO {LEDGER} VALUES ('l1', 5, 'y'), ('l3', 7, 'z')",
           ["l1", "l3"])
    assert _stored(con)["l1"] == (None, None) and _stored(con)["l0"] == before["l0"]  # marked dirty, not read yet
    after = change_markers.loads(con, LEDGER)  # the dirty loads read, those only
    assert after == _rows_by_load(con)
    assert {k for k in after.keys() | before.keys() if after.get(k) != before.get(k)} == {"l1", "l3"}
    change_markers.settle(con)
    assert _stored(con) == _rows_by_load(con)

    # a load deleted whole: its marker goes
    _write(con, f"DELETE FROM {LEDGER} WHERE load_id = 'l3'", ["l3"])
    change_markers.settle(con)
    assert _stored(con) == _rows_by_load(con) and "l3" not in _stored(con)


def test_a_write_that_did_not_mark_makes_the_markers_untrusted_until_a_marked_write_reads_the_rows(con):
    con.execute(f"INSERT INTO {LEDGER} VALUES ('l9', 1, 'unmarked')")
    assert change_markers.loads(con, LEDGER) is None  # the reader hashes the rows instead
    assert change_markers.known(con, "memory") == {}

    # the next marked write, of another load, cannot tell what the unmarked one changed: every load from its rows
    _write(con, f"INSERT INTO {LEDGER} VALUES ('l0', 2, 'marked')", ["l0"])
    assert change_markers.loads(con, LEDGER) == _rows_by_load(con) and "l9" in change_markers.loads(con, LEDGER)
    change_markers.settle(con)
    assert _stored(con) == _rows_by_load(con)


def test_a_writer_naming_too_few_loads_has_every_load_read_again(con):
    change_markers.settle(con)
    _write(con, f"DELETE FROM {LEDGER} WHERE load_id = 'l2'", ["l0"])  # l2 changed, not named
    assert change_markers.loads(con, LEDGER) is None  # the loads' rows do not add up to the table's
    change_markers.settle(con)
    assert _stored(con) == _rows_by_load(con) == change_markers.loads(con, LEDGER)


def test_a_new_column_or_a_failed_write_leaves_no_wrong_marker(con):
    with pytest.raises(duckdb.Error):
        _write(con, f"INSERT INTO {LEDGER} VALUES ('l0', 'not a number', 'x')", ["l0"])
    assert change_markers.loads(con, LEDGER) == _rows_by_load(con)  # rows and markers rolled back together

    con.execute(f"ALTER TABLE {LEDGER} ADD COLUMN extra VARCHAR")  # every row's hash changes
    assert change_markers.loads(con, LEDGER) is None
    change_markers.settle(con)
    assert _stored(con) == _rows_by_load(con) == change_markers.loads(con, LEDGER)


def test_the_stamp_changes_with_the_tables_named_and_only_with_them(con):
    first = change_markers.stamp(con, [LEDGER, "rpt_small"])
    assert change_markers.stamp(con, ["rpt_small", LEDGER]) == first
    con.execute("INSERT INTO rpt_small VALUES (1)")  # a small table, never marked: its rows are hashed
    second = change_markers.stamp(con, [LEDGER, "rpt_small"])
    assert second != first
    _write(con, f"UPDATE {LEDGER} SET note = 'changed' WHERE amount = 4", ["l1"])
    assert change_markers.stamp(con, [LEDGER, "rpt_small"]) != second
    assert change_markers.stamp(con, ["rpt_small"]) == change_markers.stamp(con, ["rpt_small"])
