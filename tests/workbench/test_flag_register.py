"""rpt_flag_register: status rules on a tiny hand-made register, and a closed flag that comes back in a
later month on the demo is marked recurred."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from workbench_helpers import restated

from workbench.flags import (Action, Adjudicated, Closed, DecisionsFile, Explained, attach_read_only,
                             build_register, register_rows)
from warehouse.sql_files import run_sql

TODAY = dt.date(2026, 2, 15)
D = dt.date


def _flags(con: duckdb.DuckDBPyConnection, last_seen: dict[str, str]) -> None:
    con.execute("""CREATE TABLE rpt_flags (flag_id VARCHAR, kind VARCHAR, kind_name VARCHAR, kind_order INTEGER,
        subject VARCHAR, ics_id VARCHAR, ics_name VARCHAR, source_table VARCHAR, source_keys VARCHAR,
        first_seen_fy VARCHAR, first_seen_period VARCHAR, last_seen_period VARCHAR, years_flagged VARCHAR,
        amount DECIMAL(18, 2), summary VARCHAR)""")
    for flag_id, last in last_seen.items():
        con.execute("INSERT INTO rpt_flags VALUES ($id, 'slippage', 'Slippage', 3, 's', 'north_weald', 'NW', "
                    "'rpt_plan_vs_actual', 'k', '2025-26', '2025-10', $last, '2025-26', 1.00, 'x')",
                    {"id": flag_id, "last": last})


def _who(day: dt.date) -> dict:
    return {"date": day, "by": "Jane Doe"}


def register(last_seen: dict[str, str], decisions: dict[str, list], today: dt.date = TODAY):
    con = duckdb.connect()
    _flags(con, last_seen)
    build_register(con, DecisionsFile(flags=decisions), today)
    return con


def status_of(last_seen: dict[str, str], decisions: dict[str, list], today: dt.date = TODAY) -> dict[str, dict]:
    return {r["flag_id"]: r for r in register_rows(register(last_seen, decisions, today))}


def test_status_rules():
    last = {f"SLIP-S{i}-2025-26": "2026-01" for i in range(1, 10)}
    decisions = {
        "SLIP-S2-2025-26": [Explained(decision="explained", reason="timing", as_at="2026-01", **_who(D(2026, 2, 1)))],
        "SLIP-S3-2025-26": [Action(decision="action", owner="A", due=D(2026, 3, 1), as_at="2026-01",
                                   **_who(D(2026, 2, 1)))],
        "SLIP-S4-2025-26": [Action(decision="action", owner="A", due=D(2026, 2, 14), as_at="2026-01",
                                   **_who(D(2026, 2, 1)))],
        "SLIP-S5-2025-26": [Closed(decision="closed", reason="done", as_at="2026-01", **_who(D(2026, 2, 1)))],
        "SLIP-S6-2025-26": [Closed(decision="closed", reason="done", as_at="2025-12", **_who(D(2026, 1, 5)))],
        "SLIP-S7-2025-26": [Action(decision="action", owner="A", due=D(2026, 1, 31), as_at="2025-12",
                                   **_who(D(2026, 1, 5))),
                            Closed(decision="closed", reason="done", as_at="2026-01", **_who(D(2026, 2, 1)))],
        "SLIP-S8-2025-26": [Action(decision="action", owner="A", due=D(2026, 2, 1), as_at="2025-12",
                                   **_who(D(2026, 1, 5))),
                            Adjudicated(decision="adjudicated", position="agreed", as_at="2026-01",
                                        **_who(D(2026, 2, 10)))],
        "SLIP-S9-2025-26": [Closed(decision="closed", reason="done", as_at="2025-12", **_who(D(2026, 1, 5))),
                            Explained(decision="explained", reason="back again: timing", as_at="2026-01",
                                      **_who(D(2026, 2, 1)))],
    }
    con = register(last, decisions)
    rows = {r["flag_id"]: r for r in register_rows(con)}
    status = {k: v["status"] for k, v in rows.items()}
    assert status == {
        "SLIP-S1-2025-26": "new",
        "SLIP-S2-2025-26": "open",
        "SLIP-S3-2025-26": "open",        # action due after today
        "SLIP-S4-2025-26": "overdue",     # due yesterday
        "SLIP-S5-2025-26": "closed",      # closed as at the month it was last seen in
        "SLIP-S6-2025-26": "recurred",    # closed as at December, raised again in January
        "SLIP-S7-2025-26": "closed",      # a past-due action does not make a closed flag overdue
        "SLIP-S8-2025-26": "overdue",     # still overdue after a later adjudication: the action is not closed
        "SLIP-S9-2025-26": "open",        # came back and was explained again
    }
    assert rows["SLIP-S9-2025-26"]["recurred"] and rows["SLIP-S6-2025-26"]["recurred"]
    assert not rows["SLIP-S5-2025-26"]["recurred"] and not rows["SLIP-S1-2025-26"]["recurred"]
    assert rows["SLIP-S4-2025-26"]["action_owner"] == "A" and rows["SLIP-S4-2025-26"]["action_due"] == D(2026, 2, 14)
    assert rows["SLIP-S7-2025-26"]["action_owner"] is None      # the action before closing is not outstanding
    assert rows["SLIP-S1-2025-26"]["decisions"] == 0 and rows["SLIP-S7-2025-26"]["decisions"] == 2
    assert rows["SLIP-S7-2025-26"]["history"] == ("2026-01-05 Jane Doe: Action: owner A, due 2026-01-31 | "
                                                  "2026-02-01 Jane Doe: Closed: done")
    assert rows["SLIP-S6-2025-26"]["status_text"].startswith("Recurred: raised again in 2026-01 after it was closed")
    assert [r["flag_id"] for r in register_rows(con, "overdue")] == ["SLIP-S4-2025-26", "SLIP-S8-2025-26"]
    assert [r["flag_id"] for r in register_rows(con)][:3] == ["SLIP-S4-2025-26", "SLIP-S8-2025-26",
                                                               "SLIP-S6-2025-26"]   # overdue, then recurred first


def test_overdue_is_judged_on_the_day_given():
    decisions = {"SLIP-S1-2025-26": [Action(decision="action", owner="A", due=D(2026, 2, 15), as_at="2026-01",
                                            **_who(D(2026, 2, 1)))]}
    assert status_of({"SLIP-S1-2025-26": "2026-01"}, decisions, D(2026, 2, 15))["SLIP-S1-2025-26"]["status"] == "open"
    assert status_of({"SLIP-S1-2025-26": "2026-01"}, decisions, D(2026, 2, 16))["SLIP-S1-2025-26"]["status"] \
        == "overdue"


def test_a_closed_flag_without_as_at_is_judged_by_the_month_of_its_date():
    hand_written = {"SLIP-S1-2025-26": [Closed(decision="closed", reason="done", **_who(D(2026, 1, 20)))]}
    assert status_of({"SLIP-S1-2025-26": "2026-01"}, hand_written)["SLIP-S1-2025-26"]["status"] == "closed"
    assert status_of({"SLIP-S1-2025-26": "2026-02"}, hand_written)["SLIP-S1-2025-26"]["status"] == "recurred"


def test_a_flag_closed_in_december_recurs_when_march_raises_it_again(warehouse):
    """On the demo: the finance director closes the Carrow variation flag on the December figures; the
    March figures raise it again, so the register marks it recurred. A flag closed on the March
    figures stays closed."""
    december = restated(warehouse, "SELECT * FROM base.main.fct_ledger WHERE period <= '2025-12'")
    build_register(december, DecisionsFile(), TODAY)
    row = {r["flag_id"]: r for r in register_rows(december)}["VAR-mh_spend_per_head-carrow"]
    assert row["status"] == "new" and row["last_seen_period"] == "2025-12"
    decisions = DecisionsFile(flags={
        "VAR-mh_spend_per_head-carrow": [Closed(decision="closed", reason="Carrow Lodge explains it",
                                                as_at=row["last_seen_period"], **_who(D(2026, 1, 20)))],
        "OVER-NW-PL-2025-26": [Closed(decision="closed", reason="variation signed", as_at="2026-03",
                                      **_who(D(2026, 2, 1)))]})
    con = attach_read_only(warehouse)
    run_sql(con, "reports/rpt_flags")
    build_register(con, decisions, TODAY)
    march = {r["flag_id"]: r for r in register_rows(con)}
    assert march["VAR-mh_spend_per_head-carrow"]["status"] == "recurred"
    assert march["VAR-mh_spend_per_head-carrow"]["recurred"] is True
    assert march["OVER-NW-PL-2025-26"]["status"] == "closed"
    assert [r["flag_id"] for r in register_rows(con, "recurred")] == ["VAR-mh_spend_per_head-carrow"]


@pytest.mark.parametrize("status", ["new", "open", "overdue", "closed", "recurred"])
def test_register_filters_by_status(status):
    con = register({"SLIP-S1-2025-26": "2026-01", "SLIP-S2-2025-26": "2026-01"}, {
        "SLIP-S2-2025-26": [Closed(decision="closed", reason="done", as_at="2026-01", **_who(D(2026, 2, 1)))]})
    expected = {"new": ["SLIP-S1-2025-26"], "closed": ["SLIP-S2-2025-26"]}.get(status, [])
    assert [r["flag_id"] for r in register_rows(con, status)] == expected
