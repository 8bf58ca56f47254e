"""Last good submission wins until a better one passes.

A resubmission replaces a partner-month's rows when it loads (so its checks can run on
it like any submission), but the month's previous submission, when it had passed its
checks, is not thrown away: its rows move to the held_ tables (held_raw_ledger,
held_quarantine, held_skipped_rows, held_stg_ledger) and its load_log entry becomes
'held'. Once the checks have run (`settle`, the first step of dq_load_status):
  - the resubmission passed: the held rows are dropped, the held load is 'superseded';
  - it was blocked (an ERROR check failed): it is 'rejected', with why, and the held
    submission is put back as it was, so the month's good figures never leave the open
    book, the reports or the published copy;
  - its checks have not run yet: nothing changes until they have.
A rejected file is not loaded again while its bytes are unchanged (re-sending it changes
nothing); a corrected file is a new resubmission.
"""
from __future__ import annotations

import duckdb

from warehouse import change_markers
from warehouse.sql_files import transaction

# The tables holding a partner-month's rows, each with a held_ twin of the same columns.
SUBMISSION_TABLES = ("raw_ledger", "quarantine", "skipped_rows", "stg_ledger")
# Those of them whose writers keep change markers (the ledger-sized ones).
MARKED_TABLES = tuple(t for t in SUBMISSION_TABLES if t in change_markers.MARKED)


def submission_loads(con: duckdb.DuckDBPyConnection, period: str, partner_id: str | None = None) -> list[str]:
    """Every load load_log lists for the partner-month (for the whole period without a partner):
    the loads whose rows a write of it may change, for its change markers."""
    return [r[0] for r in con.execute(
        "SELECT load_id FROM load_log WHERE period = $m AND ($p IS NULL OR partner_id = $p)",
        {"m": period, "p": partner_id}).fetchall()]


def verdict(con: duckdb.DuckDBPyConnection, load_id: str) -> str:
    """passed, blocked (an ERROR check failed) or unchecked (no check has run on it)."""
    checked, blocked = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE severity = 'ERROR' AND NOT passed) FROM dq_results"
        " WHERE load_id = $l", {"l": load_id}).fetchone()
    return "unchecked" if checked == 0 else ("blocked" if blocked else "passed")


def hold_or_supersede_current(con: duckdb.DuckDBPyConnection, partner_id: str, period: str) -> None:
    """Before a resubmission replaces the partner-month (inside its transaction): a current
    submission that passed its checks is held in reserve; any other is superseded. An older
    reserve stays held when the current one was not good, and is dropped when it was."""
    key = {"p": partner_id, "m": period}
    row = con.execute("SELECT load_id FROM load_log WHERE partner_id = $p AND period = $m AND status = 'current'",
                      key).fetchone()
    if row is None or verdict(con, row[0]) != "passed":
        con.execute("UPDATE load_log SET status = 'superseded' WHERE partner_id = $p AND period = $m"
                    " AND status = 'current'", key)
        return
    _drop_held(con, key)
    for table in SUBMISSION_TABLES:
        con.execute(f"INSERT INTO held_{table} BY NAME SELECT * FROM {table} WHERE partner_id = $p AND period = $m", key)
    con.execute("UPDATE load_log SET status = 'held' WHERE load_id = $l", {"l": row[0]})


def settle(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Decide every held partner-month whose resubmission has been checked (see the module
    docstring). Returns the partner-months kept (previous submission back in use) and
    replaced (the resubmission passed), as 'partner period' strings."""
    decided: dict[str, list[str]] = {"kept": [], "replaced": []}
    held = con.execute("SELECT partner_id, period, load_id, source_file FROM load_log WHERE status = 'held'"
                       " ORDER BY 1, 2").fetchall()
    for partner_id, period, held_id, held_file in held:
        key = {"p": partner_id, "m": period}
        current = con.execute("SELECT load_id FROM load_log WHERE partner_id = $p AND period = $m"
                              " AND status = 'current'", key).fetchone()
        outcome = verdict(con, current[0]) if current else "blocked"
        if outcome == "unchecked":
            continue
        with transaction(con), change_markers.writing(con, *MARKED_TABLES) as touched:
            if outcome == "passed":
                _drop_held(con, key)
                decided["replaced"].append(f"{partner_id} {period}")
                continue
            touched.loads(submission_loads(con, period, partner_id))
            for table in SUBMISSION_TABLES:
                con.execute(f"DELETE FROM {table} WHERE partner_id = $p AND period = $m", key)
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM held_{table}"
                            f" WHERE partner_id = $p AND period = $m", key)
                con.execute(f"DELETE FROM held_{table} WHERE partner_id = $p AND period = $m", key)
            if current:
                con.execute("UPDATE load_log SET status = 'rejected', message = $msg WHERE load_id = $l",
                            {"l": current[0], "msg": _rejection(con, current[0], held_id, held_file)})
            con.execute("UPDATE load_log SET status = 'current' WHERE load_id = $l", {"l": held_id})
            decided["kept"].append(f"{partner_id} {period}")
    return decided


def _drop_held(con: duckdb.DuckDBPyConnection, key: dict) -> None:
    for table in SUBMISSION_TABLES:
        con.execute(f"DELETE FROM held_{table} WHERE partner_id = $p AND period = $m", key)
    con.execute("UPDATE load_log SET status = 'superseded' WHERE partner_id = $p AND period = $m AND status = 'held'",
                key)


def _rejection(con: duckdb.DuckDBPyConnection, load_id: str, held_id: str, held_file: str) -> str:
    failed = con.execute(
        "SELECT expectation, unexpected_count FROM dq_results WHERE load_id = $l AND severity = 'ERROR'"
        " AND NOT passed ORDER BY expectation", {"l": load_id}).fetchall()
    name = held_file.replace("\\", "/").rsplit("/", 1)[-1]
    return rejection_message(failed, f"{name}, load {held_id}")


def rejection_message(failed: list[tuple[str, int | None]], kept: str) -> str:
    """Why a blocked resubmission is not the month's figures: its failed blocking checks
    (expectation, rows) and the submission kept (also the lake loader's words)."""
    checks = ", ".join(f"{name} ({count or 0} row{'s' if count != 1 else ''})" for name, count in failed)
    return (f"rejected: blocked by {checks or 'its checks'}; the previous submission ({kept}) "
            "stays in the figures until a corrected file passes")
