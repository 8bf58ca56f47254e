"""The reconciliation checks added up load by load (warehouse/totals_by_load.py), on a copy of the
demo warehouse: after each change only the loads it touched are read, and every figure the checks
report equals the same figure read from every row by the queries below (the independent source),
whether the change is to a load's lines (marked or not), its status, a submission withdrawn or
failed, the eliminations, or reference data."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from assets.model_checks import RECONCILIATIONS
from assets.warehouse_assets import DOCS
from warehouse import change_markers, totals_by_load
from warehouse.sql_files import transaction

# Every row, as the checks read them before they kept totals by load.
PASSED_LINES = """
    SELECT s.* FROM stg_ledger s
    JOIN load_log l ON l.load_id = s.load_id AND l.status = 'current'
    WHERE EXISTS (SELECT 1 FROM dq_results r WHERE r.load_id = s.load_id)
      AND NOT EXISTS (SELECT 1 FROM dq_results r WHERE r.load_id = s.load_id AND r.severity = 'ERROR' AND NOT r.passed)"""
WHOLE_LEDGER = f"""
    SELECT (SELECT count(*) FROM ({PASSED_LINES})), (SELECT coalesce(sum(amount), 0) FROM ({PASSED_LINES})),
           (SELECT count(*) FROM fct_ledger), (SELECT coalesce(sum(amount), 0) FROM fct_ledger)"""
WHOLE_OPEN_BOOK = f"""
    SELECT (SELECT coalesce(sum(p.amount), 0) FROM ({PASSED_LINES}) p
            JOIN ref_service_lines sl ON sl.service_line = p.service_line AND sl.mental_health
            WHERE p.line_type = 'expenditure'),
           (SELECT coalesce(sum(eliminated_spend), 0) FROM fct_mh_ledger)"""


@pytest.fixture
def con(demo_home, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_home / "warehouse" / "openbook.duckdb", copy)
    con = duckdb.connect(str(copy))
    con.execute(f"DROP TABLE IF EXISTS {totals_by_load.TABLE}")  # as before any check kept totals
    yield con
    con.close()


@pytest.fixture
def reads(monkeypatch) -> list:
    """The load lists each check read rows for (None: every row)."""
    seen = []
    read = totals_by_load._read
    monkeypatch.setattr(totals_by_load, "_read", lambda con, query, loads: seen.append(loads) or read(con, query, loads))
    return seen


def _money(value) -> str:
    return f"{value:,.2f}"


def ledger_check(con) -> tuple[bool, tuple]:
    (check,) = RECONCILIATIONS["fct_ledger"]
    passed, meta = check.evaluate(con, "fct_ledger", DOCS["fct_ledger"])
    return passed, (meta["staged_lines"].value, meta["staged_amount"], meta["fct_lines"].value, meta["fct_amount"])


def ledger_whole(con) -> tuple:
    staged_lines, staged_amount, lines, amount = con.execute(WHOLE_LEDGER).fetchone()
    return staged_lines, _money(staged_amount), lines, _money(amount)


def open_book_check(con) -> tuple[bool, tuple]:
    check = RECONCILIATIONS["rpt_open_book"][0]
    passed, meta = check.evaluate(con, "rpt_open_book", DOCS["rpt_open_book"])
    return passed, (meta["staged_mh_expenditure"], meta["eliminations"])


def open_book_whole(con) -> tuple:
    return tuple(_money(v) for v in con.execute(WHOLE_OPEN_BOOK).fetchone())


def write_marked(con, table: str, sql: str, load_id: str) -> None:
    with transaction(con), change_markers.writing(con, table) as touched:
        con.execute(sql, {"l": load_id})
        touched.loads([load_id])
    change_markers.settle(con, [table])


def passed_loads(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT load_id FROM dq_load_status WHERE status = 'passed' ORDER BY 1").fetchall()]


def test_fct_ledger_reconciliation_reads_changed_loads_only_and_equals_a_whole_read(con, reads):
    first, second, third = passed_loads(con)[:3]
    assert ledger_check(con) == (True, ledger_whole(con)) and reads == [None, None]  # nothing kept yet
    reads.clear()
    assert ledger_check(con) == (True, ledger_whole(con)) and reads == [[], []]      # nothing changed

    # A load's lines change (a line deleted, marked): that load only, on both sides.
    reads.clear()
    write_marked(con, "stg_ledger", "DELETE FROM stg_ledger WHERE rowid = (SELECT min(rowid) FROM stg_ledger "
                                    "WHERE load_id = $l AND amount <> 0)", first)
    assert ledger_check(con) == (True, ledger_whole(con)) and reads == [[first], [first]]

    # A submission withdrawn (superseded in load_log) with its lines still in fct_ledger: the staged
    # side drops it with no line read again, the built side keeps it; the check fails, as a whole read says.
    reads.clear()
    con.execute("UPDATE load_log SET status = 'superseded' WHERE load_id = $l", {"l": second})
    whole = ledger_whole(con)
    assert whole[0] < whole[2]
    assert ledger_check(con) == (False, whole) and reads == [[], []]
    # dq_load_status follows it: fct_ledger's rows of that load go, the status read as changed.
    reads.clear()
    con.execute("UPDATE dq_load_status SET status = 'superseded' WHERE load_id = $l", {"l": second})
    assert ledger_check(con) == (True, ledger_whole(con)) and reads == [[], [second]]

    # A failed ERROR check on another load: the staged side drops it.
    reads.clear()
    con.execute("UPDATE dq_results SET passed = false WHERE load_id = $l AND severity = 'ERROR'", {"l": third})
    assert ledger_check(con) == (False, ledger_whole(con)) and reads == [[], []]

    # A write that did not mark its load: its markers are made again from the rows first
    # (change_markers.settle), which show that load changed.
    reads.clear()
    con.execute("INSERT INTO stg_ledger SELECT * FROM stg_ledger WHERE load_id = $l LIMIT 1", {"l": first})
    assert ledger_check(con) == (False, ledger_whole(con)) and reads == [[first], [first]]

    # Reference data read by fct_ledger changes (a partner's name): every load of fct_ledger read again.
    con.execute("DELETE FROM stg_ledger WHERE load_id = $l", {"l": first})
    change_markers.settle(con)
    ledger_check(con)
    reads.clear()
    con.execute("UPDATE ref_partners SET name = name || ' (renamed)' WHERE partner_id = "
                "(SELECT min(partner_id) FROM ref_partners)")
    assert ledger_check(con)[1] == ledger_whole(con) and reads[0] == [] and reads[1] is None


def test_open_book_reconciliation_reads_changed_loads_only_and_equals_a_whole_read(con, reads):
    first = con.execute("SELECT load_id FROM fct_mh_ledger WHERE eliminated_spend <> 0 ORDER BY 1 LIMIT 1").fetchone()[0]
    assert open_book_check(con) == (True, open_book_whole(con)) and reads == [None, None]
    reads.clear()
    assert open_book_check(con) == (True, open_book_whole(con)) and reads == [[], []]

    # The eliminations of one load change (marked): that load's only; the open book no longer agrees.
    reads.clear()
    write_marked(con, "fct_mh_ledger", "UPDATE fct_mh_ledger SET eliminated_spend = eliminated_spend + 1 "
                                       "WHERE rowid = (SELECT min(rowid) FROM fct_mh_ledger WHERE load_id = $l "
                                       "AND eliminated_spend <> 0)", first)
    assert open_book_check(con) == (False, open_book_whole(con)) and reads == [[], [first]]

    # A service line no longer counted as mental health: every load's staged spend read again.
    reads.clear()
    con.execute("UPDATE ref_service_lines SET mental_health = false WHERE service_line = "
                "(SELECT min(service_line) FROM ref_service_lines WHERE mental_health)")
    before = open_book_whole(con)
    assert open_book_check(con)[1] == before and reads == [None, []]
