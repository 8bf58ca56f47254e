"""Reference data is checked before it is used, and a file that fails is refused.

A reference table is replaced in one transaction: the new file is loaded over the table,
its expectation suite (expectations/ref_<name>.json, ERROR rules) and the cross-reference
rules below are run on what was loaded, and only then committed. Any violation rolls the
transaction back, so the last good version stays in use, and is reported as a named ERROR
("ref_populations.weighted_population_in_range: ...") before any model runs.
Every attempt is recorded in ref_load_log (accepted or refused, with why).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from assets.checks import EXPECTATIONS_DIR, check_name
from assets.ingest.reference_sources import prepared_source
from assets.quality import sql_runner
from assets.quality.gx_runner import load_suite
from warehouse.sql_files import run_sql, transaction


@dataclass(frozen=True)
class Violation:
    check: str  # "<table>.<check name>"
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


class ReferenceRefused(Exception):
    def __init__(self, table: str, source: Path, violations: list[Violation]):
        self.table, self.source, self.violations = table, source, violations
        super().__init__(f"{source.name} refused, {table} keeps its last good version: "
                         + "; ".join(map(str, violations)))


def _table_exists(con, table: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = $t", {"t": table}).fetchone()[0])


def suite_violations(con, table: str) -> list[Violation]:
    """The ERROR rules of expectations/<table>.json that the table breaks."""
    path = EXPECTATIONS_DIR / f"{table}.json"
    if not path.is_file():
        return []
    suite = load_suite(path)
    outcome = sql_runner.validate_relation(con, table, path)
    violations = []
    for expectation, result in zip(suite["expectations"], outcome.outcomes):
        if result.success or expectation.get("meta", {}).get("severity") != "ERROR":
            continue
        detail = (f"error {result.error_message}" if result.errored else
                  f"{result.unexpected_count} of {result.element_count} rows, e.g. "
                  f"{json.dumps(result.unexpected_sample[:3], default=str)}" if result.unexpected_count else
                  f"{result.element_count} rows")
        violations.append(Violation(f"{table}.{check_name(expectation)}",
                                    f"{expectation.get('meta', {}).get('description', '')} ({detail})"))
    return violations


def unknown_partners(con, inbox: Path) -> list[Violation]:
    """Partners with an inbox folder or a ledger line that ref_partners does not know: their
    money would show with no name, kind or system."""
    known = {row[0] for row in con.execute("SELECT partner_id FROM ref_partners").fetchall()}
    violations = []
    folders = sorted(p.name for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if inbox.is_dir() else []
    missing = [name for name in folders if name not in known]
    if missing:
        violations.append(Violation("ref_partners.inbox_partners_known",
                                    f"inbox folder(s) {', '.join(missing)} have no row in partners"))
    if _table_exists(con, "raw_ledger"):
        ledger = [row[0] for row in con.execute(
            "SELECT DISTINCT partner_id FROM raw_ledger WHERE partner_id IS NOT NULL ORDER BY 1").fetchall()]
        missing = [p for p in ledger if p not in known]
        if missing:
            violations.append(Violation("ref_partners.ledger_partners_known",
                                        f"ledger lines of {', '.join(missing)} have no row in partners"))
    return violations


def unknown_places(con) -> list[Violation]:
    """Populations for places ref_places does not know would never reach a per-head figure."""
    if not _table_exists(con, "ref_places"):
        return []
    missing = [row[0] for row in con.execute(
        "SELECT DISTINCT place_id FROM ref_populations WHERE place_id NOT IN (SELECT place_id FROM ref_places) "
        "AND place_id IS NOT NULL ORDER BY 1").fetchall()]
    return [Violation("ref_populations.places_known", f"place(s) {', '.join(missing)} are not in places")] \
        if missing else []


def reference_violations(con, name: str, inbox: Path) -> list[Violation]:
    """Everything wrong with ref_<name> as it stands in this connection's transaction."""
    violations = suite_violations(con, f"ref_{name}")
    if name == "partners":
        violations += unknown_partners(con, inbox)
    if name == "populations":
        violations += unknown_places(con)
    return violations


LOG_TABLE = """CREATE TABLE IF NOT EXISTS ref_load_log (
    table_name VARCHAR, source_file VARCHAR, loaded_at TIMESTAMP, status VARCHAR, rows BIGINT, problems VARCHAR)"""
# a workbook source: the sheet read, and the sheet's row of each of the table's rows in load order (rowid 0
# first), so a report can cite a reference row where the reader finds it; null for a CSV (its rows are its
# lines in order) and for a source rolled up from many rows (weighted populations). Added to an older log.
LOG_SOURCE_ROWS = ("ALTER TABLE ref_load_log ADD COLUMN IF NOT EXISTS sheet VARCHAR",
                   "ALTER TABLE ref_load_log ADD COLUMN IF NOT EXISTS source_rows INTEGER[]")


def _log(con, table: str, source: Path, status: str, rows: int | None, problems: str,
         notes: dict | None = None) -> None:
    con.execute(LOG_TABLE)
    for sql in LOG_SOURCE_ROWS:
        con.execute(sql)
    notes = notes or {}
    con.execute("INSERT INTO ref_load_log BY NAME SELECT $t AS table_name, $s AS source_file, $at AS loaded_at, "
                "$st AS status, $r AS rows, $p AS problems, $sheet AS sheet, $source_rows::INTEGER[] AS source_rows", {
                    "t": table, "s": source.name, "at": datetime.now(timezone.utc).replace(tzinfo=None),
                    "st": status, "r": rows, "p": problems, "sheet": notes.get("sheet"),
                    "source_rows": notes.get("source_rows")})


def load_reference(con: duckdb.DuckDBPyConnection, reference_dir: Path, name: str, inbox: Path) -> dict:
    """Replace ref_<name> from its source only if the new version passes every check; else
    raise ReferenceRefused and leave the table as it was. Returns metadata of the load."""
    table = f"ref_{name}"
    with prepared_source(reference_dir, name) as source:
        try:
            with transaction(con):
                try:
                    run_sql(con, f"staging/{table}", {"path": str(source.csv_path)})
                except duckdb.Error as error:  # a value the table's types refuse: the whole file is refused
                    raise ReferenceRefused(table, source.source, [Violation(
                        f"{table}.readable", str(error).splitlines()[0])]) from None
                violations = reference_violations(con, name, inbox)
                if violations:
                    raise ReferenceRefused(table, source.source, violations)
                (rows,) = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        except ReferenceRefused as refused:
            _log(con, table, source.source, "refused", None, "; ".join(map(str, refused.violations)))
            raise
        _log(con, table, source.source, "accepted", rows, "", source.notes)
        return {"rows": rows, "source": str(source.source),
                **{k: str(v) for k, v in source.notes.items() if k != "source_rows"}}

