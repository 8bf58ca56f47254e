"""The staging half of `openbook sources check <config> <file>`: the parsed file staged as the
pipeline would stage it (sql/staging/stg_ledger.sql, the stg_ledger suite and the staging
checks), against the data home's reference data, in a scratch in-memory database. Nothing
is written anywhere. Says how the lines map (cost-centre map, rule, default, unclassified;
lines and pounds), what would be set aside, possible duplicates, dates outside the window,
and whether the month would load."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from assets.ingest.parse import ParsedSubmission
from assets.ingest.reference_files import reference_file
from assets.ingest.submissions import RAW_LEDGER_COLUMNS, RAW_LEDGER_SELECT
from assets.ingest.source_config import SourceConfig
from assets.quality.staging_policy import date_window, validate_staging, write_source_checks
from assets.quality.submission_suite import validate_submission
from warehouse.plain_text import plural, pounds
from warehouse.sql_files import run_sql

# The reference tables staging reads, and the suite's service lines.
STAGING_REFERENCES = ("cost_centre_map", "mapping_rules", "partner_aliases", "service_lines")
MAPPED_BY = (("cost_centre_map", "by the cost-centre map"), ("rule", "by a mapping rule"),
             ("default", "by the partner default"), ("unmapped", "unclassified (nothing maps them)"))
EXAMPLES = 5
LOAD_ID = "preview"


@dataclass
class StagingPreview:
    lines: list[str] = field(default_factory=list)
    rows_staged: int = 0
    blocked_by: list[str] = field(default_factory=list)  # checks (ERROR) that would block the month

    @property
    def would_load(self) -> bool:
        return self.rows_staged > 0 and not self.blocked_by


def preview_staging(parsed: ParsedSubmission, config: SourceConfig, reference_dir: Path) -> StagingPreview:
    missing = [name for name in STAGING_REFERENCES if not reference_file(reference_dir, name).is_file()]
    if missing:
        return StagingPreview(
            [f"Staging: not previewed: no {', '.join(f'{m}.csv' for m in missing)} in {reference_dir}"],
            rows_staged=parsed.stored_lines.height)
    con = duckdb.connect()
    try:
        return _stage(con, parsed, config, reference_dir)
    finally:
        con.close()


def _stage(con, parsed: ParsedSubmission, config: SourceConfig, reference_dir: Path) -> StagingPreview:
    run_sql(con, "staging/create_tables")
    for name in STAGING_REFERENCES:
        run_sql(con, f"staging/ref_{name}", {"path": str(reference_file(reference_dir, name))})
    con.register("parsed_lines", parsed.stored_lines.to_arrow())
    con.execute(f"INSERT INTO raw_ledger ({RAW_LEDGER_COLUMNS}) {RAW_LEDGER_SELECT}",
                {"load_id": LOAD_ID, "p": parsed.partner_id, "m": parsed.period, "f": parsed.source_file})
    con.unregister("parsed_lines")
    write_source_checks(con, {config.partner_id: config})
    run_sql(con, "staging/stg_ledger", {"period": parsed.period})

    out = StagingPreview()
    (out.rows_staged,) = con.execute("SELECT count(*) FROM stg_ledger").fetchone()
    start, end = date_window(parsed.period, config.checks)
    out.lines.append(f"Staging (against the reference data in {reference_dir}):")
    out.lines += _mapping(con)
    set_aside = con.execute("SELECT reason_code, count(*) FROM quarantine GROUP BY ALL ORDER BY 1").fetchall()
    if set_aside:
        repeats = con.execute("SELECT message FROM quarantine ORDER BY source_row LIMIT $n", {"n": EXAMPLES}).fetchall()
        out.lines.append(f"  set aside at staging: {', '.join(f'{code} {n}' for code, n in set_aside)}"
                         " (checks.transaction_ids_unique: true)")
        out.lines += [f"      {m}" for (m,) in repeats]
    suite = validate_submission(con, LOAD_ID, parsed.partner_id, parsed.period)
    staging = validate_staging(con, LOAD_ID, parsed.period, config.checks)
    dates, duplicates, _ = staging.outcomes
    out.lines += _dates(dates, start, end)
    out.lines += _duplicates(duplicates)
    failures = [o for o in [*suite.outcomes, *staging.outcomes] if o.severity == "ERROR" and not o.success]
    out.blocked_by = [o.description for o in failures]
    if out.rows_staged == 0:
        out.lines.append("  WOULD NOT LOAD: no line of this file would reach the ledger")
    elif failures:
        out.lines.append("  WOULD BE BLOCKED (kept out of every figure until corrected) by:")
        out.lines += [f"    - {o.description}" + (f" ({plural(o.unexpected_count, 'line')})" if o.unexpected_count else "")
                      for o in failures]
    else:
        out.lines.append(f"  would load: {plural(out.rows_staged, 'line')}")
    return out


def _mapping(con) -> list[str]:
    found = {by: (n, total) for by, n, total in con.execute(
        "SELECT mapped_by, count(*), sum(amount) FROM stg_ledger GROUP BY ALL").fetchall()}
    lines = ["  mapping:"]
    for by, words in MAPPED_BY:
        n, total = found.get(by, (0, Decimal(0)))
        lines.append(f"    {n:>7} lines  {pounds(total):>18}  {words}")
    unmapped = con.execute(
        "SELECT cost_centre, expense_type, counterparty, count(*), sum(amount) FROM stg_ledger"
        " WHERE mapped_by = 'unmapped' GROUP BY ALL ORDER BY abs(sum(amount)) DESC, count(*) DESC LIMIT $n",
        {"n": EXAMPLES}).fetchall()
    if unmapped:
        lines.append("    largest unclassified (cost centre / expense type / supplier): write rules for these"
                     " in reference/mapping_rules.csv")
        lines += [f"      {cc or '-'} / {et or '-'} / {who or '-'}: {plural(n, 'line')}, {pounds(total)}"
                  for cc, et, who, n, total in unmapped]
    return lines


def _dates(outcome, start, end) -> list[str]:
    if outcome.success:
        return [f"  dates: every posting date is inside {start} to {end}"]
    summary = outcome.unexpected_sample[0]
    verdict = "ERROR: blocks the month" if outcome.severity == "ERROR" else "WARN: kept and counted"
    lines = [f"  dates outside {start} to {end}: {plural(summary['lines_outside'], 'line')}, {pounds(summary['amount_outside'])}"
             f" ({summary['before']} before, {summary['after']} after; {verdict};"
             " checks.date_tolerance_days widens the window)"]
    lines += [f"      row {s['row']}: {s['posting_date']}, {pounds(s['amount'])}"
              for s in outcome.unexpected_sample[1:1 + EXAMPLES]]
    return lines


def _duplicates(outcome) -> list[str]:
    if outcome.success:
        return ["  possible duplicate payments: none"]
    lines = [f"  possible duplicate payments (same supplier, amount, date and reference; all kept, WARN):"
             f" {plural(outcome.unexpected_count, 'line')}"]
    lines += [f"      rows {', '.join(map(str, s['rows']))}: {s['supplier']}, {pounds(s['amount'])} on {s['posting_date']}"
              f" (reference {s['reference'] or 'none'})" for s in outcome.unexpected_sample[:EXAMPLES]]
    return lines
