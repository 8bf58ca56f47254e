"""The rpt_ tables kept by partner-year (warehouse/by_partner_year.py), on a copy of the demo
warehouse: after each change the ledgers can bring (a load withdrawn, a late load, a resubmitted
load, reference data changed, a month gone) only the partner-years it reaches are computed again,
and each table equals its SQL file run whole into a table of its own (the independent reference),
row for row both ways: those made from fct_mh_ledger's lines and those made from fct_ledger's. So
does dq_repeat_payments, kept by load (warehouse/by_load.py) for rpt_flag_links."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from warehouse import by_load, by_partner_year, change_markers
from warehouse.model_graph import model_graph
from warehouse.report_settings import report_params
from warehouse.sql_files import execute, sql_text, statements, transaction

MODELS = sorted(by_partner_year.PARTNER_YEAR_MODELS)
ON_LEDGER = [m for m in MODELS if by_partner_year.PARTNER_YEAR_MODELS[m].lines == by_partner_year.LEDGER]
WHOLE = "full: its SQL, the months reported or a table it reads changed"


@pytest.fixture
def con(demo_home, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_home / "warehouse" / "openbook.duckdb", copy)
    con = duckdb.connect(str(copy))
    con.execute(f"DELETE FROM {by_load.STATE} WHERE list_contains($m, model)", {"m": MODELS})  # as before any kept build
    yield con
    con.close()


def differences(con, model: str) -> tuple[int, int, int]:
    """(rows only in the kept table, rows only in the SQL run whole, rows of the whole run)."""
    for statement in statements(sql_text(f"reports/{model}")):
        execute(con, statement.replace(f"CREATE OR REPLACE TABLE {model} AS", "CREATE OR REPLACE TEMP TABLE whole AS"),
                report_params())
    (only_kept,) = con.execute(f"SELECT count(*) FROM (FROM {model} EXCEPT ALL FROM whole)").fetchone()
    (only_whole,) = con.execute(f"SELECT count(*) FROM (FROM whole EXCEPT ALL FROM {model})").fetchone()
    (rows,) = con.execute("SELECT count(*) FROM whole").fetchone()
    return only_kept, only_whole, rows


def build_all(con) -> dict[str, tuple[str, int]]:
    out = {}
    for model in MODELS:
        built = by_partner_year.build(con, model, report_params())
        out[model] = (built.how, built.partner_years)
        only_kept, only_whole, rows = differences(con, model)
        assert (only_kept, only_whole) == (0, 0) and rows > 0, model
    return out


def set_status(con, load_id: str, status: str) -> None:
    con.execute("UPDATE dq_load_status SET status = $s WHERE load_id = $l", {"s": status, "l": load_id})
    by_load.build(con)


def mh_load(con, period: str) -> tuple[str, str]:
    """A load of `period` with mental-health expenditure, from a partner with other loads that year."""
    return con.execute("SELECT load_id, partner_id FROM fct_mh_ledger WHERE period = $p AND line_type = 'expenditure'"
                       " ORDER BY load_id LIMIT 1", {"p": period}).fetchone()


def test_kept_by_partner_year_equals_a_whole_build_after_each_change(con):
    periods = [r[0] for r in con.execute("SELECT DISTINCT period FROM fct_mh_ledger ORDER BY 1").fetchall()]
    load, partner = mh_load(con, periods[-2])
    assert build_all(con) == {m: ("full: first build", 0) for m in MODELS}
    assert build_all(con) == {m: ("by partner-year", 0) for m in MODELS}  # nothing changed

    # A load withdrawn (its month is still reported by others): its partner-year only.
    set_status(con, load, "blocked")
    assert con.execute("SELECT count(*) FROM fct_mh_ledger WHERE load_id = $l", {"l": load}).fetchone()[0] == 0
    assert build_all(con) == {m: ("by partner-year", 1) for m in MODELS}

    # The same load arrives late.
    set_status(con, load, "passed")
    assert build_all(con) == {m: ("by partner-year", 1) for m in MODELS}

    # A resubmission: the load's staged lines change (one amount), fct_mh_ledger follows by load.
    with transaction(con), change_markers.writing(con, "stg_ledger") as touched:
        con.execute("UPDATE stg_ledger SET amount = amount + 100 WHERE rowid = (SELECT min(s.rowid) FROM stg_ledger s "
                    "JOIN fct_mh_ledger m USING (load_id, source_row) WHERE s.load_id = $l AND m.line_type = "
                    "'expenditure')", {"l": load})
        touched.loads([load])
    change_markers.settle(con, ["stg_ledger"])
    assert by_load.build(con).how == "by load"
    assert build_all(con) == {m: ("by partner-year", 1) for m in MODELS}

    # Reference data (a service line's name): fct_mh_ledger is rebuilt whole, every partner-year with
    # a line of that service line is reached; a table reading dim_service_line itself is built whole;
    # fct_ledger's lines are as they were.
    service_line = con.execute("SELECT service_line FROM fct_mh_ledger WHERE partner_id = $p LIMIT 1",
                               {"p": partner}).fetchone()[0]
    con.execute("UPDATE dim_service_line SET service_line_name = service_line_name || ' (renamed)' "
                "WHERE service_line = $s", {"s": service_line})
    assert by_load.build(con).how.startswith("full")
    reached = con.execute("SELECT count(DISTINCT (partner_id, fy)) FROM fct_mh_ledger WHERE service_line = $s",
                          {"s": service_line}).fetchone()[0]
    assert build_all(con) == {m: (WHOLE, 0) if "dim_service_line" in model_graph().models[m].reads
                              else ("by partner-year", 0 if m in ON_LEDGER else reached) for m in MODELS}
    assert build_all(con) == {m: ("by partner-year", 0) for m in MODELS}

    # The last month withdrawn whole: the months reported change, so each table is built whole.
    with transaction(con):
        con.execute("UPDATE dq_load_status SET status = 'blocked' WHERE load_id IN "
                    "(SELECT load_id FROM load_log WHERE period = $p)", {"p": periods[-1]})
    by_load.build(con)
    assert build_all(con) == {m: (WHOLE, 0) for m in MODELS}

    # Something else wrote the table: built whole.
    con.execute(f"DELETE FROM {MODELS[0]} WHERE partner_id = $p", {"p": partner})
    assert by_partner_year.build(con, MODELS[0], report_params()).how == "full: the table is not as its last build left it"
    assert differences(con, MODELS[0])[:2] == (0, 0)


def restage(con, load: str, source_row: int, change: str, params: dict) -> None:
    """A resubmission under the same load: one line of `load` staged again with `change` (a SET clause);
    the markers follow, as staging keeps them."""
    with transaction(con), change_markers.writing(con, "stg_ledger") as touched:
        con.execute(f"UPDATE stg_ledger SET {change} WHERE load_id = $l AND source_row = $r",
                    {"l": load, "r": source_row, **params})
        touched.loads([load])
    change_markers.settle(con, ["stg_ledger"])


def figure(con, sql: str, params: dict):
    return con.execute(sql, params).fetchone()[0]


# An expenditure line fct_mh_ledger does not hold (a service line outside mental health): a change to it
# reaches the tables made from fct_ledger's lines only.
NOT_MH = ("l.line_type = 'expenditure' AND NOT EXISTS (SELECT 1 FROM fct_mh_ledger m WHERE m.load_id = l.load_id"
          " AND m.source_row = l.source_row)")
AGENCY = "lower(trim(regexp_replace(l.counterparty, '\\s+', ' ', 'g'))) IN (SELECT name_key FROM ref_agency_suppliers)"


def test_kept_on_fct_ledger_lines_equal_a_whole_build_after_each_change(con):
    """The tables made from fct_ledger's lines (an agency's spend, a scheme's), after a change to lines
    fct_mh_ledger does not hold: the partner-years reached are computed again on their own loads and the
    smallest load of each month, and each table equals its SQL file run whole; a partner's latest month
    withdrawn while others still report it keeps the partner's months running to the ledger's latest."""
    periods = [r[0] for r in con.execute("SELECT DISTINCT period FROM fct_ledger ORDER BY 1").fetchall()]
    agency_load, agency_row, provider, agency_period = con.execute(
        f"SELECT load_id, source_row, partner_id, period FROM fct_ledger l WHERE {NOT_MH} AND {AGENCY} "
        "AND period < $p ORDER BY period DESC, load_id, source_row LIMIT 1", {"p": periods[-1]}).fetchone()
    scheme, icb = con.execute("SELECT scheme_id, icb_id FROM rpt_plan_vs_actual WHERE period = $p ORDER BY 1 LIMIT 1",
                              {"p": periods[-2]}).fetchone()
    scheme_load, scheme_row, scheme_amount = con.execute(
        f"SELECT load_id, source_row, amount FROM fct_ledger l WHERE {NOT_MH} AND partner_id = $i AND period = $p "
        "AND scheme_id IS NULL AND amount <> 0 ORDER BY load_id, source_row LIMIT 1", {"i": icb, "p": periods[-2]}).fetchone()
    spend = "SELECT agency_spend FROM rpt_agency_spend WHERE partner_id = $p AND period = $m"
    actual = "SELECT actual FROM rpt_plan_vs_actual WHERE scheme_id = $s AND period = $m"
    assert build_all(con) == {m: ("full: first build", 0) for m in MODELS}
    before = figure(con, spend, {"p": provider, "m": agency_period}), figure(con, actual, {"s": scheme, "m": periods[-2]})

    # A provider's agency payment resubmitted larger, an ICB's line tagged with one of its schemes: their
    # partner-years only.
    restage(con, agency_load, agency_row, "amount = amount + 100", {})
    restage(con, scheme_load, scheme_row, "scheme_id = $s", {"s": scheme})
    assert by_load.build(con).how == "by load"
    built = build_all(con)
    assert {m: built[m] for m in ON_LEDGER} == {m: ("by partner-year", 2) for m in ON_LEDGER}
    assert (figure(con, spend, {"p": provider, "m": agency_period}) - before[0],
            figure(con, actual, {"s": scheme, "m": periods[-2]}) - before[1]) == (100, scheme_amount)

    # The provider's load of the latest month withdrawn, others still reporting the month: its rows still
    # run to that month (agency spend 0 in it), as a whole build's do.
    (latest_load,) = con.execute("SELECT load_id FROM dq_load_status WHERE partner_id = $p AND period = $m "
                                 "AND status = 'passed'", {"p": provider, "m": periods[-1]}).fetchone()
    set_status(con, latest_load, "blocked")
    built = build_all(con)
    assert built["rpt_agency_spend"] == ("by partner-year", 1)
    assert figure(con, "SELECT max(period) FROM rpt_agency_spend WHERE partner_id = $p", {"p": provider}) == periods[-1]

    # The provider's month of an earlier year resubmitted with one line: its load is now the smallest of its
    # month, the one that carries the month into the narrowed lines. Then the provider's year above and another
    # partner's earlier year reached together: only those two partner-years are kept from the narrowed query
    # (the provider's earlier year, there, would be made from that one load).
    (first_year,) = con.execute("SELECT fy_of($p)", {"p": periods[0]}).fetchone()
    assert con.execute("SELECT fy_of($p)", {"p": agency_period}).fetchone()[0] != first_year
    (small_load,) = con.execute("SELECT load_id FROM dq_load_status WHERE partner_id = $p AND period = $m AND "
                                "status = 'passed'", {"p": provider, "m": periods[2]}).fetchone()
    with transaction(con), change_markers.writing(con, "stg_ledger") as touched:
        con.execute("DELETE FROM stg_ledger WHERE load_id = $l AND source_row > (SELECT min(source_row) FROM "
                    "stg_ledger WHERE load_id = $l)", {"l": small_load})
        touched.loads([small_load])
    change_markers.settle(con, ["stg_ledger"])
    assert build_all(con)["rpt_agency_spend"] == ("by partner-year", 1)
    other_load, other_row = con.execute(
        f"SELECT load_id, source_row FROM fct_ledger l WHERE {NOT_MH} AND partner_id <> $p AND period = $m "
        "ORDER BY load_id, source_row LIMIT 1", {"p": provider, "m": periods[1]}).fetchone()
    restage(con, agency_load, agency_row, "amount = amount + 100", {})
    restage(con, other_load, other_row, "amount = amount + 100", {})
    built = build_all(con)
    assert {m: built[m] for m in ON_LEDGER} == {m: ("by partner-year", 2) for m in ON_LEDGER}

    # Reference data fct_ledger joins to the lines (a partner's name): built whole.
    con.execute("UPDATE ref_partners SET name = name || ' (renamed)' WHERE partner_id = $p", {"p": provider})
    built = build_all(con)
    assert {m: built[m] for m in ON_LEDGER} == {m: (WHOLE, 0) for m in ON_LEDGER}

REPEATS = "dq_repeat_payments"


def repeats_unlike_whole(con) -> tuple[int, int]:
    """(rows only in the kept dq_repeat_payments, rows only in its SQL file run whole)."""
    for statement in statements(sql_text(by_load.sql_name(REPEATS))):
        execute(con, statement.replace(f"CREATE OR REPLACE TABLE {REPEATS} AS", "CREATE OR REPLACE TEMP TABLE whole AS"))
    (only_kept,) = con.execute(f"SELECT count(*) FROM (FROM {REPEATS} EXCEPT ALL FROM whole)").fetchone()
    (only_whole,) = con.execute(f"SELECT count(*) FROM (FROM whole EXCEPT ALL FROM {REPEATS})").fetchone()
    return only_kept, only_whole


def build_repeats(con) -> tuple[str, int, int]:
    built = by_load.build(con, REPEATS)
    assert repeats_unlike_whole(con) == (0, 0)
    return built.how, built.deleted, built.inserted


def repeats_of(con, load: str) -> int:
    return con.execute(f"SELECT count(*) FROM {REPEATS} WHERE load_id = $l", {"l": load}).fetchone()[0]


def test_repeat_payments_kept_by_load_equal_a_whole_build_after_each_change(con):
    """dq_repeat_payments (kept by load like fct_mh_ledger, for rpt_flag_links) after each change a run can
    bring: only the loads reached are grouped again, and the table equals its SQL file run whole."""
    periods = [r[0] for r in con.execute("SELECT DISTINCT period FROM fct_ledger ORDER BY 1").fetchall()]
    load, partner = mh_load(con, periods[-2])
    con.execute(f"DELETE FROM {by_load.STATE} WHERE model = $m", {"m": REPEATS})
    assert build_repeats(con) == ("full: first build", 0, 0)
    assert build_repeats(con) == ("by load", 0, 0)  # nothing changed

    # A resubmission under the same load: one line made a repeat of another (same payee, amount, day,
    # cost centre and expense type, another reference), so the load gains a group; that load only.
    assert repeats_of(con, load) == 0
    with transaction(con), change_markers.writing(con, "stg_ledger") as touched:
        con.execute("""UPDATE stg_ledger s SET counterparty = a.counterparty, amount = a.amount,
                           posting_date = a.posting_date, cost_centre = a.cost_centre, expense_type = a.expense_type,
                           transaction_id = coalesce(a.transaction_id, 'ref') || '-again'
                       FROM (SELECT * FROM stg_ledger WHERE load_id = $l AND line_type = 'expenditure'
                             AND counterparty IS NOT NULL AND upper(trim(counterparty)) <> 'REDACTED'
                             ORDER BY source_row LIMIT 1) a
                       WHERE s.load_id = $l AND s.line_type = 'expenditure' AND s.source_row = (
                           SELECT min(source_row) FROM stg_ledger WHERE load_id = $l AND line_type = 'expenditure'
                             AND source_row > a.source_row)""", {"l": load})
        touched.loads([load])
    change_markers.settle(con, ["stg_ledger"])
    assert build_repeats(con) == ("by load", 1, 1)
    assert repeats_of(con, load) == 1

    # The load withdrawn, then late again: its groups go, then come back.
    con.execute("UPDATE dq_load_status SET status = 'blocked' WHERE load_id = $l", {"l": load})
    assert build_repeats(con) == ("by load", 1, 0)
    assert repeats_of(con, load) == 0
    con.execute("UPDATE dq_load_status SET status = 'passed' WHERE load_id = $l", {"l": load})
    assert build_repeats(con) == ("by load", 0, 1)
    assert repeats_of(con, load) == 1

    # Reference data fct_ledger reads (the partner's name): built whole, and the name follows.
    con.execute("UPDATE ref_partners SET name = name || ' (renamed)' WHERE partner_id = $p",
                {"p": partner})
    assert build_repeats(con)[0] == "full: its SQL or reference data changed"
    assert con.execute(f"SELECT partner_name FROM {REPEATS} WHERE load_id = $l", {"l": load}).fetchone()[0].endswith(
        " (renamed)")

    # The last month withdrawn whole: its loads' groups go, no other.
    last = [r[0] for r in con.execute("SELECT load_id FROM dq_load_status WHERE period = $p AND status = 'passed'",
                                      {"p": periods[-1]}).fetchall()]
    con.execute("UPDATE dq_load_status SET status = 'blocked' WHERE list_contains($l, load_id)", {"l": last})
    assert build_repeats(con) == ("by load", len(last), 0)

    # Something else wrote the table: built whole.
    con.execute(f"DELETE FROM {REPEATS} WHERE load_id = $l", {"l": load})
    assert build_repeats(con) == ("full: the table is not as its last build left it", 0, 0)
    assert repeats_of(con, load) == 1
