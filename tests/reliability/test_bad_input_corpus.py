"""Every case of the bad-input corpus (corpus/cases/*/case.yaml) does what its case.yaml
says, with a message naming the file (and row and field where there is one), never an
unexpected exception, and leaves the good partitions already loaded exactly as they were.

Each file case is loaded with the real loader (scan_inbox + load_file, as the raw_ledger
asset does) into a copy of a warehouse holding good submissions, then staged and checked
with the stg_ledger suite (assets/quality/sql_runner.py) where it loaded.
"""
from __future__ import annotations

import io
import os
import shutil
import time
from contextlib import redirect_stderr, redirect_stdout
from decimal import Decimal
from pathlib import Path

import pytest

from assets.checks import check_name
from assets.quality.staging_policy import validate_staging
from assets.quality.submission_suite import STG_LEDGER_SUITE as SUITE, validate_submission
from assets.ingest import readers
from assets.ingest.errors import SourceConfigError, SubmissionError
from assets.ingest.parse import parse_submission
from assets.ingest.source_config import load_source_config
from assets.ingest.submissions import display_path, load_file, scan_inbox
from assets.quality.gx_runner import load_suite
from assets.submission_checks import moved_too_far, previous_period
from warehouse.sql_files import run_sql
from warehouse.connection import open_writer
from tests.reliability.conftest import GOOD_PARTITIONS
from tests.reliability.corpus_harness import CORPUS, case_input_name, load_cases, materialise, partition_figures, tables, unaccounted_rows

CASES = load_cases()
FILE_CASES = [c for c in CASES if c.outcome != "config_error"]
CONFIG_CASES = [c for c in CASES if c.outcome == "config_error"]


def test_the_corpus_is_big_enough_and_every_case_says_what_it_tests():
    assert len(CASES) >= 40
    for case in CASES:
        assert case.spec.get("title") and case.spec.get("why"), case.id
        assert case.outcome in ("refused", "loaded", "unmatched", "config_error"), case.id


def _config(case, base_home: Path):
    name = case.config
    if name.endswith(".yaml"):
        return load_source_config(CORPUS / "configs" / name)
    return load_source_config(base_home / "config" / "sources" / f"{name}.yaml")


def _suite_failures(con, load_id: str, partner_id: str, period: str) -> tuple[list[str], bool]:
    """(names of the failed ERROR checks of the stg_ledger suite, whether the movement check warns)."""
    outcome = validate_submission(con, load_id, partner_id, period)
    suite = load_suite(SUITE)
    failed = sorted(check_name(exp) for exp, o in zip(suite["expectations"], outcome.outcomes)
                    if not o.success and o.severity == "ERROR")
    rows = run_sql(con, "staging/submission_movement",
                   {"period": period, "previous_period": previous_period(period)}).fetchall()
    warned = any(moved_too_far(spend, previous, Decimal(2)) for lid, _, spend, previous, *_ in rows if lid == load_id)
    return failed, warned


@pytest.mark.parametrize("case", FILE_CASES, ids=[c.id for c in FILE_CASES])
def test_corpus_case(case, corpus_base, tmp_path, monkeypatch):
    expect = case.expect
    for name, value in case.spec.get("limits", {}).items():  # e.g. a smaller workbook size cap
        monkeypatch.setattr(readers, name, value)
    if case.spec.get("calamine_must_not_run"):
        def refuse(*args, **kwargs):
            raise AssertionError("the workbook reached calamine")
        monkeypatch.setattr(readers.python_calamine.CalamineWorkbook, "from_filelike", refuse)

    config = _config(case, corpus_base.home)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(corpus_base.warehouse, warehouse)
    inbox = tmp_path / "inbox"
    path = materialise(case, inbox / config.partner_id, tmp_path / "outside")
    later = time.time() + 3600  # newer than the good submission it may be trying to replace
    os.utime(path, (later, later), follow_symlinks=False)

    files = scan_inbox(inbox, {config.partner_id: config})
    assert len(files) == 1, files
    started = time.perf_counter()
    with open_writer(warehouse) as con:
        outcome = load_file(con, files[0], "corpus")
        seconds = time.perf_counter() - started
        log = con.execute("SELECT status, message, load_id FROM load_log WHERE run_id = 'corpus'").fetchall()
        if outcome.status == "loaded":
            run_sql(con, "staging/stg_ledger", {"period": outcome.period})
        for _, period in GOOD_PARTITIONS:  # rebuilt from raw_ledger: must come out the same
            run_sql(con, "staging/stg_ledger", {"period": period})

        # --- what the case says must happen
        assert outcome.status == {"refused": "failed"}.get(case.outcome, case.outcome), outcome
        assert [row[0] for row in log] == [{"loaded": "current"}.get(outcome.status, outcome.status)], log
        if case.outcome != "loaded":
            message = outcome.message
            assert message == log[0][1]
            if expect.get("names_file", True):
                assert display_path(Path(path.name)) in message  # the message names the file
            for part in expect.get("message", []):
                assert part in message, message
            if "row" in expect:
                assert f" row {expect['row']}" in message, message
            if "field" in expect:
                assert f"field {expect['field']}" in message, message
            assert len(message) < 1200, f"message too long ({len(message)} characters)"
            if expect.get("parse_error"):  # the parser itself refuses it, with row and field
                with pytest.raises(SubmissionError) as raised:
                    parse_submission(path, config)
                assert raised.value.row == expect.get("row") and raised.value.field == expect.get("field")
        else:
            _check_loaded(con, case, outcome, config)

        # --- nothing already loaded is harmed, every table is intact
        assert partition_figures(con, GOOD_PARTITIONS) == corpus_base.figures
        assert tables(con) == corpus_base.tables
        secret = con.execute("SELECT count(*) FROM raw_ledger WHERE transaction_id = 'SECRET'").fetchone()
        assert secret == (0,), "a file outside the inbox was read"
    assert seconds < expect.get("max_seconds", 20), f"took {seconds:.1f} s"


def _check_loaded(con, case, outcome, config):
    expect = case.expect
    (load_id,) = con.execute(
        "SELECT load_id FROM load_log WHERE run_id = 'corpus' AND status = 'current'").fetchone()
    assert outcome.period == expect["period"]
    assert outcome.rows_read == expect["rows_read"]
    (source_file,) = con.execute("SELECT source_file FROM load_log WHERE load_id = $l", {"l": load_id}).fetchone()
    assert Path(source_file).name == Path(outcome.source_file).name == case_input_name(case)  # recorded exactly
    assert unaccounted_rows(con, load_id) == 0
    lines = con.execute("SELECT source_row, amount FROM raw_ledger WHERE load_id = $l ORDER BY 1", {"l": load_id}).fetchall()
    assert [row for row, _ in lines] == expect["line_rows"]
    assert sum((amount for _, amount in lines), Decimal(0)) == Decimal(str(expect["total"]))
    quarantined = con.execute(
        "SELECT source_row, reason_code, field, message FROM quarantine WHERE load_id = $l AND stage = 'parse'"
        " ORDER BY 1", {"l": load_id}).fetchall()
    wanted = expect.get("quarantined", [])
    assert [(r, code, field) for r, code, field, _ in quarantined] == [
        (q["row"], q["reason"], q.get("field")) for q in wanted]
    for (row, _, _, message), q in zip(quarantined, wanted):
        name = Path(outcome.source_file).name
        assert message.startswith(f"{name} row {row}"), message  # file and row, then field
        assert q.get("message", "") in message, message
        assert len(message) < 500
    skipped = con.execute("SELECT source_row, reason FROM skipped_rows WHERE load_id = $l ORDER BY 1",
                          {"l": load_id}).fetchall()
    assert skipped == [(s["row"], s["reason"]) for s in expect.get("skipped", [])]
    staged_out = con.execute(
        "SELECT source_row, reason_code, field FROM quarantine WHERE load_id = $l AND stage = 'staging' ORDER BY 1",
        {"l": load_id}).fetchall()
    assert staged_out == [(s["row"], s["reason"], s.get("field")) for s in expect.get("staging", [])]
    for field, values in expect.get("kept_text", {}).items():
        stored = [r[0] for r in con.execute(
            f"SELECT {field} FROM raw_ledger WHERE load_id = $l ORDER BY source_row", {"l": load_id}).fetchall()]
        assert stored == values
    failed, warned = _suite_failures(con, load_id, config.partner_id, outcome.period)
    assert failed == sorted(expect.get("blocked_by", []))
    if "staging_warnings" in expect:  # the staging checks (dates, duplicates, mapping) that report
        staging = validate_staging(con, load_id, outcome.period, config.checks)
        assert sorted(o.expectation_type for o in staging.outcomes if not o.success) == expect["staging_warnings"]
        assert all(o.severity == "WARN" for o in staging.outcomes)
    if "warned_by_movement" in expect:
        assert warned == expect["warned_by_movement"]


def test_all_file_cases_arriving_together_harm_nothing(corpus_base, tmp_path, monkeypatch):
    """The whole corpus in one inbox, loaded in one pass the way the raw_ledger asset does,
    into one warehouse: no exception, the good partitions as they were, rows lost 0."""
    from assets.ingest.submissions import in_load_order

    monkeypatch.setattr(readers, "MAX_WORKBOOK_BYTES", 8 * 1024 * 1024)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(corpus_base.warehouse, warehouse)
    configs, tried = {}, 0
    for case in FILE_CASES:
        config = _config(case, corpus_base.home)
        inbox = tmp_path / case.id / "inbox"
        materialise(case, inbox / config.partner_id, tmp_path / case.id / "outside")
        with open_writer(warehouse) as con:
            for item in in_load_order(scan_inbox(inbox, {config.partner_id: config})):
                outcome = load_file(con, item, "together")
                assert outcome.status == {"refused": "failed"}.get(case.outcome, case.outcome), (case.id, outcome)
                tried += 1
        configs[config.partner_id] = config
    with open_writer(warehouse) as con:
        for period in ("2025-05", "2025-06", "2025-07"):
            run_sql(con, "staging/stg_ledger", {"period": period})
        assert partition_figures(con, GOOD_PARTITIONS) == corpus_base.figures
        assert tables(con) == corpus_base.tables
        loads = [r[0] for r in con.execute("SELECT load_id FROM load_log WHERE status = 'current'").fetchall()]
        assert sum(unaccounted_rows(con, load_id) for load_id in loads) == 0  # rows lost: 0
    assert tried == len(FILE_CASES)


@pytest.mark.parametrize("case", CONFIG_CASES, ids=[c.id for c in CONFIG_CASES])
def test_corpus_config_case(case, tmp_path, monkeypatch):
    """A bad source config is refused with a message naming the file and the key, fast,
    without running anything it names; and `openbook sources check` says so without a traceback."""
    from pipelines.cli import main

    monkeypatch.chdir(tmp_path)  # a tag that ran a command would leave its file here
    path = materialise(case, tmp_path / "configs", tmp_path / "outside")
    # CPU seconds, not wall: the guard is against a config that makes the parser work without end
    # (a billion laughs, deep nesting), and wall time on a loaded machine would make it flake
    started = time.process_time()
    with pytest.raises(SourceConfigError) as raised:
        load_source_config(path)
    assert time.process_time() - started < 5
    message = str(raised.value)
    assert message.startswith(f"{path}:")
    for part in case.expect["message"]:
        assert part in message, message
    assert len(message) < 1200
    assert list(tmp_path.glob("pwned*")) == []

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        main(["sources", "check", str(path)])
    assert "NOT VALID" in out.getvalue() and "Traceback" not in out.getvalue() + err.getvalue()
