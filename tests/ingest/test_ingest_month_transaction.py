"""A month's partner-months written in one transaction (submissions.load_period), and what a
refused file, a failing write and a crash half way through such a month leave behind.

Three partners each sent a first submission for June, loaded and committed; then each sends a
second. GROUPED_LINES is lowered so that these few-line files are gathered as a 10M home's are:
the first round has no earlier load to go by and writes one transaction a partner-month; the
second finds June's current loads holding more than the threshold (load_log) and writes the three
partner-months in the month's transaction. The faults are injected through the ingest's own seams:
the write of a partner-month (`_replace_partition`) and the clock it reads for its load_log row
(`_now`, called after its rows are deleted and inserted), the same seams
tests/reliability/faulty_openbook.py pauses at. Every expected figure is written out by hand from
the files below."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from assets.ingest import SourceConfig, submissions
from assets.ingest.submissions import load_period, scan_inbox
from warehouse.sql_files import run_sql

PERIOD = "2025-06"
PARTNERS = ("pa", "pb", "pc")
HEADER = "Date,Cost Centre,Supplier,Amount"
# The ledger tables and the log, with what must differ between two loads of the same files left
# out: load_log's time of loading, and so a refused file's load id, which is stamped with it (a
# loaded file's counts the partner-month's earlier rows: the same), and the run's id.
TABLES = {
    "load_log": "SELECT * EXCLUDE (loaded_at, run_id, load_id), if(status = 'failed', NULL, load_id) FROM load_log",
    "raw_ledger": "SELECT * FROM raw_ledger",
    "quarantine": "SELECT * FROM quarantine",
    "skipped_rows": "SELECT * FROM skipped_rows",
    "held_raw_ledger": "SELECT * FROM held_raw_ledger",
    "raw_columns": "SELECT * FROM raw_columns",
    "load_configs": "SELECT * FROM load_configs",
    "change_markers": "SELECT * FROM change_markers",
}


def config(partner_id: str) -> SourceConfig:
    return SourceConfig.model_validate({
        "partner_id": partner_id,
        "file": {"pattern": "*.csv", "type": "csv"},
        "period": {"fixed": PERIOD},
        "columns": {"posting_date": "Date", "cost_centre": "Cost Centre", "counterparty": "Supplier",
                    "amount": "Amount"},
        "dates": {"formats": ["%d/%m/%Y"]},
    })


CONFIGS = {partner: config(partner) for partner in PARTNERS}


def send(inbox: Path, partner: str, name: str, amounts: list[str], mtime: float) -> None:
    """A submission of one line per amount (a blank amount is quarantined), sent at `mtime`."""
    folder = inbox / partner
    folder.mkdir(parents=True, exist_ok=True)
    rows = [f"{day + 1:02d}/06/2025,CC1,Supplier {day},{amount}" for day, amount in enumerate(amounts)]
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    os.utime(path, (mtime, mtime))


FIRST = {"pa": ["10.00", "20.00", "30.00"], "pb": ["1.00", "2.00", "3.00"], "pc": ["100.00", "200.00", "300.00"]}
SECOND = {"pa": ["11.00", "21.00", "31.00"], "pb": ["1.50", "", "3.50"], "pc": ["101.00", "201.00", "301.00"]}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """June's first submissions of the three partners, and their second ones sent an hour later."""
    for partner in PARTNERS:
        send(tmp_path / "inbox", partner, "june_v1.csv", FIRST[partner], 1_750_000_000)
    return tmp_path


def warehouse(home: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    run_sql(con, "staging/create_tables")
    return con


def load(con: duckdb.DuckDBPyConnection, home: Path):
    return load_period(con, scan_inbox(home / "inbox", CONFIGS), PERIOD, "test")


def resubmit(home: Path) -> None:
    for partner in PARTNERS:
        send(home / "inbox", partner, "june_v2.csv", SECOND[partner], 1_750_003_600)


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    return {name: sorted(con.execute(sql).fetchall(), key=repr) for name, sql in TABLES.items()}


def month(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """Each partner's current load's file and its lines' amounts, and every load's status."""
    current = {partner: (name, sorted(amounts)) for partner, name, amounts in con.execute(
        "SELECT l.partner_id, parse_filename(l.source_file), list(r.amount) FROM load_log l"
        " JOIN raw_ledger r USING (load_id) WHERE l.status = 'current' GROUP BY ALL").fetchall()}
    statuses = sorted(con.execute("SELECT partner_id, parse_filename(source_file), status FROM load_log").fetchall())
    return {"current": current, "statuses": statuses}


def half_written(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every way a partner-month could be half written; empty when the tables agree with load_log."""
    problems = []
    for load_id, read, loaded, quarantined, skipped in con.execute(
            "SELECT load_id, rows_read, rows_loaded, rows_quarantined, rows_skipped FROM load_log"
            " WHERE status = 'current'").fetchall():
        held = [con.execute(f"SELECT count(*) FROM {table} WHERE load_id = $l", {"l": load_id}).fetchone()[0]
                for table in ("raw_ledger", "quarantine", "skipped_rows")]
        if held != [loaded, quarantined, skipped] or sum(held) != read:
            problems.append(f"{load_id}: load_log says {[loaded, quarantined, skipped]} of {read}, tables hold {held}")
    for table in ("raw_ledger", "quarantine", "skipped_rows"):
        problems += [f"{table} holds rows of {load_id}, not a current load" for (load_id,) in con.execute(
            f"SELECT DISTINCT load_id FROM {table} WHERE load_id NOT IN"
            " (SELECT load_id FROM load_log WHERE status = 'current')").fetchall()]
    return problems


class Fault:
    """Raises `error` from the write of `partner`'s second submission, after its rows are
    deleted and inserted (at the clock read for its load_log row), every time it is written.
    `writes` lists the partner of each write begun, in order."""

    def __init__(self, monkeypatch, partner: str, error: BaseException) -> None:
        self.partner, self.error, self.writes, self.writing = partner, error, [], None
        replace, now = submissions._replace_partition, submissions._now

        def replace_partition(con, item, parsed, *args, **kwargs):
            self.writes.append(parsed.partner_id)
            self.writing = (parsed.partner_id, item.path.name)
            try:
                return replace(con, item, parsed, *args, **kwargs)
            finally:
                self.writing = None

        def now_in_a_write():
            if self.writing == (self.partner, "june_v2.csv"):
                raise self.error
            return now()

        monkeypatch.setattr(submissions, "_replace_partition", replace_partition)
        monkeypatch.setattr(submissions, "_now", now_in_a_write)


FIRST_MONTH = {"pa": ("june_v1.csv", [Decimal(a) for a in FIRST["pa"]]),
               "pb": ("june_v1.csv", [Decimal(a) for a in FIRST["pb"]]),
               "pc": ("june_v1.csv", [Decimal(a) for a in FIRST["pc"]])}
SECOND_MONTH = {"pa": ("june_v2.csv", [Decimal("11.00"), Decimal("21.00"), Decimal("31.00")]),
                "pb": ("june_v2.csv", [Decimal("1.50"), Decimal("3.50")]),  # its blank amount quarantined
                "pc": ("june_v2.csv", [Decimal("101.00"), Decimal("201.00"), Decimal("301.00")])}
# A first submission not yet checked is superseded by the next one (assets/ingest/last_good.py).
ALL_SECOND = sorted([(p, "june_v1.csv", "superseded") for p in PARTNERS] + [(p, "june_v2.csv", "current") for p in PARTNERS])


@pytest.fixture
def grouped(monkeypatch):
    """Three lines a partner-month, nine in June's first round: the second round is gathered."""
    monkeypatch.setattr(submissions, "GROUPED_LINES", 5)


def test_a_month_in_one_transaction_writes_what_one_a_partner_month_wrote(tmp_path, monkeypatch) -> None:
    """The second round also brings pb a third file, refused (a header, no rows), sent after its
    second: its load_log row comes after the second's, whose load id counts the rows before it."""
    states = []
    for grouped_lines in (5, 10**9):  # gathered as at 10M; one transaction a partner-month, as before
        monkeypatch.setattr(submissions, "GROUPED_LINES", grouped_lines)
        case = tmp_path / "home"  # the same path both times: the tables hold it
        shutil.rmtree(case, ignore_errors=True)
        (case / "inbox").mkdir(parents=True)
        for partner in PARTNERS:
            send(case / "inbox", partner, "june_v1.csv", FIRST[partner], 1_750_000_000)
        fault = Fault(monkeypatch, "nobody", RuntimeError())
        con = warehouse(case)
        load(con, case)
        resubmit(case)
        send(case / "inbox", "pb", "june_v3.csv", [], 1_750_007_200)
        outcomes = load(con, case)
        assert [(o.partner_id, o.source_file.rsplit("/", 1)[1], o.status, o.rows_loaded, o.rows_quarantined)
                for o in outcomes if not o.source_file.endswith("v1.csv")] == [
            ("pa", "june_v2.csv", "loaded", 3, 0), ("pb", "june_v2.csv", "loaded", 2, 1),
            ("pb", "june_v3.csv", "failed", 0, 0), ("pc", "june_v2.csv", "loaded", 3, 0)]
        assert month(con) == {"current": SECOND_MONTH, "statuses": sorted(ALL_SECOND + [("pb", "june_v3.csv", "failed")])}
        assert sorted(con.execute("SELECT partner_id, split_part(load_id, '.', 3) FROM load_log"
                                  " WHERE status <> 'failed'").fetchall()) == [
            ("pa", "v1"), ("pa", "v2"), ("pb", "v1"), ("pb", "v2"), ("pc", "v1"), ("pc", "v2")]
        assert fault.writes == ["pa", "pb", "pc"] * 2
        assert half_written(con) == []
        states.append(snapshot(con))
        con.close()
    assert states[0] == states[1]


def test_a_refused_file_in_a_gathered_month_keeps_its_partners_submission(home, grouped) -> None:
    con = warehouse(home)
    load(con, home)
    resubmit(home)
    (home / "inbox" / "pb" / "june_v2.csv").write_text(f"{HEADER}\n", encoding="utf-8")  # a header, no rows
    os.utime(home / "inbox" / "pb" / "june_v2.csv", (1_750_003_600, 1_750_003_600))
    outcomes = load(con, home)
    assert [(o.partner_id, o.status) for o in outcomes if o.source_file.endswith("v2.csv")] == [
        ("pa", "loaded"), ("pb", "failed"), ("pc", "loaded")]
    assert month(con) == {
        "current": {**SECOND_MONTH, "pb": FIRST_MONTH["pb"]},
        "statuses": [("pa", "june_v1.csv", "superseded"), ("pa", "june_v2.csv", "current"),
                     ("pb", "june_v1.csv", "current"), ("pb", "june_v2.csv", "failed"),
                     ("pc", "june_v1.csv", "superseded"), ("pc", "june_v2.csv", "current")]}
    assert half_written(con) == []


def test_a_write_failing_half_way_through_a_month_costs_only_its_partner_month(home, grouped, monkeypatch) -> None:
    """pb's write fails every time: the month's transaction (pa's and pb's rows written in it) is
    rolled back, and the month written again one transaction a partner-month, as before: pa's
    second submission commits, pb's fails and the error is raised, pc's is not reached; pb and
    pc keep their first submissions whole. The re-run, the fault gone, loads the rest."""
    con = warehouse(home)
    load(con, home)
    before = snapshot(con)
    resubmit(home)
    fault = Fault(monkeypatch, "pb", duckdb.IOException("Could not write file: No space left on device"))
    with pytest.raises(duckdb.IOException, match="No space left"):
        load(con, home)
    assert fault.writes == ["pa", "pb",  # waiting, then the month's transaction opened: rolled back
                            "pa", "pb"]  # one transaction each: pa commits, pb fails again
    assert month(con) == {
        "current": {**FIRST_MONTH, "pa": SECOND_MONTH["pa"]},
        "statuses": [("pa", "june_v1.csv", "superseded"), ("pa", "june_v2.csv", "current"),
                     ("pb", "june_v1.csv", "current"), ("pc", "june_v1.csv", "current")]}
    assert half_written(con) == []
    for table in ("raw_ledger", "quarantine", "skipped_rows"):  # pb's and pc's rows exactly as they were
        assert [row for row in snapshot(con)[table] if row[1] != "pa"] == [
            row for row in before[table] if row[1] != "pa"]

    fault.partner = "nobody"  # the disk has room again
    outcomes = load(con, home)
    assert [(o.partner_id, o.status) for o in outcomes if o.source_file.endswith("v2.csv")] == [
        ("pa", "unchanged"), ("pb", "loaded"), ("pc", "loaded")]
    assert month(con) == {"current": SECOND_MONTH, "statuses": ALL_SECOND}
    assert half_written(con) == []


class Killed(BaseException):
    """A crash: not an error the ingest may recover from (as a KeyboardInterrupt or SystemExit)."""


def test_a_crash_half_way_through_a_month_leaves_it_as_before_and_the_rerun_completes(
        home, grouped, monkeypatch) -> None:
    """pc's write, inside the month's open transaction (pa's and pb's rows written in it), dies:
    nothing of the month's second submissions is left, every table is as before the month's
    load, and the re-run loads all three."""
    con = warehouse(home)
    load(con, home)
    before = snapshot(con)
    resubmit(home)
    fault = Fault(monkeypatch, "pc", Killed())
    with pytest.raises(Killed):
        load(con, home)
    assert fault.writes == ["pa", "pb", "pc"]  # no second attempt after a crash
    assert snapshot(con) == before
    assert month(con) == {"current": FIRST_MONTH,
                          "statuses": [(p, "june_v1.csv", "current") for p in PARTNERS]}

    fault.partner = "nobody"
    outcomes = load(con, home)
    assert [(o.partner_id, o.status) for o in outcomes if o.source_file.endswith("v2.csv")] == [
        ("pa", "loaded"), ("pb", "loaded"), ("pc", "loaded")]
    assert month(con) == {"current": SECOND_MONTH, "statuses": ALL_SECOND}
    assert half_written(con) == []


def test_a_months_expected_lines_are_its_current_loads_else_the_nearest_month_befores(tmp_path) -> None:
    """What load_log says a month holds decides, before any file is parsed, whether it is gathered."""
    con = warehouse(tmp_path)
    for load_id, period, rows, status in [("a1", "2025-04", 100, "current"), ("b1", "2025-04", 20, "current"),
                                          ("a0", "2025-04", 999, "superseded"), ("a2", "2025-06", 7, "current"),
                                          ("c2", "2025-06", 5, "held"), ("f2", "2025-06", None, "failed")]:
        con.execute("INSERT INTO load_log (load_id, partner_id, period, source_file, sha256, rows_loaded, status,"
                    " loaded_at) VALUES ($id, 'p', $m, 'f.csv', 'x', $rows, $status, now())",
                    {"id": load_id, "m": period, "rows": rows, "status": status})
    expected = {month: submissions._expected_lines(con, month)
                for month in ("2025-03", "2025-04", "2025-05", "2025-06", "2025-09")}
    assert expected == {"2025-03": 0, "2025-04": 120, "2025-05": 120, "2025-06": 7, "2025-09": 7}
