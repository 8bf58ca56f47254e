"""Which submissions are in the inbox, and loading one of them atomically.

A partner-period is the unit of loading. The newest file for a partner and period (by
modification time, then name) is its current submission; earlier files are loaded first
and superseded, so the load log keeps every version's metadata. Loading is idempotent:
a file whose bytes are already the current load of its partner-period is not reloaded.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from assets.ingest.errors import SubmissionError
from assets.ingest.parse import ParsedSubmission, parse_submission
from assets.ingest.period import period_from_name
from assets.ingest.source_config import SourceConfig, match_config


@dataclass(frozen=True)
class InboxFile:
    path: Path
    config: SourceConfig | None
    period: str | None
    error: str | None = None

    @property
    def partner_id(self) -> str | None:
        return self.config.partner_id if self.config else None

    @property
    def modified(self) -> float:
        return self.path.stat().st_mtime


def period_of_file(path: Path, config: SourceConfig) -> str:
    """The period a file belongs to, without reading it when the name tells."""
    if config.period.from_file_name is not None:
        try:
            return period_from_name(path.name, config.period.from_file_name)
        except ValueError as error:
            raise SubmissionError(path, message=f"cannot tell the period: {error}") from None
    return parse_submission(path, config).period


def scan_inbox(inbox: Path, configs: dict[str, SourceConfig]) -> list[InboxFile]:
    """Every file under inbox/<partner>/, matched to its config and period (or an error)."""
    found = []
    for path in sorted(p for p in inbox.rglob("*") if p.is_file() and not p.name.startswith(".")):
        config = match_config(path, inbox, configs)
        if config is None:
            found.append(InboxFile(path, None, None, "matches no source config"))
            continue
        try:
            found.append(InboxFile(path, config, period_of_file(path, config)))
        except SubmissionError as exc:
            found.append(InboxFile(path, config, None, str(exc)))
    return found


def in_load_order(files: list[InboxFile]) -> list[InboxFile]:
    """Oldest first, so that the newest submission of a partner-period is loaded last."""
    return sorted(files, key=lambda f: (f.partner_id or "", f.period or "", f.modified, f.path.name))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class LoadOutcome:
    source_file: str
    partner_id: str | None
    period: str | None
    status: str  # loaded | unchanged | failed | unmatched
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_skipped: int = 0
    message: str | None = None


def load_file(con: duckdb.DuckDBPyConnection, item: InboxFile, run_id: str | None) -> LoadOutcome:
    sha = sha256_of(item.path)
    if item.error is not None:
        _log_problem(con, item, sha, "unmatched" if item.config is None else "failed", item.error, run_id)
        return LoadOutcome(str(item.path), item.partner_id, item.period, "unmatched" if item.config is None else "failed", message=item.error)
    if _is_current(con, item, sha):
        return LoadOutcome(str(item.path), item.partner_id, item.period, "unchanged")
    try:
        parsed = parse_submission(item.path, item.config)
    except SubmissionError as exc:
        _log_problem(con, item, sha, "failed", str(exc), run_id)
        return LoadOutcome(str(item.path), item.partner_id, item.period, "failed", message=str(exc))
    _replace_partition(con, item, parsed, run_id)
    return LoadOutcome(
        str(item.path), item.partner_id, item.period, "loaded", parsed.rows_read,
        parsed.lines.height, parsed.quarantine.height, parsed.skipped.height,
    )


def _is_current(con, item: InboxFile, sha: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM load_log WHERE partner_id = $p AND period = $m AND status = 'current'"
        " AND sha256 = $sha AND source_file = $f",
        {"p": item.partner_id, "m": item.period, "sha": sha, "f": str(item.path)},
    ).fetchone()
    return row[0] > 0


def _new_load_id(con, partner_id: str, period: str, sha: str) -> str:
    (n,) = con.execute(
        "SELECT count(*) FROM load_log WHERE partner_id = $p AND period = $m", {"p": partner_id, "m": period}
    ).fetchone()
    return f"{partner_id}.{period}.v{n + 1}.{sha[:8]}"


def _log_problem(con, item: InboxFile, sha: str, status: str, message: str, run_id: str | None) -> None:
    (seen,) = con.execute(
        "SELECT count(*) FROM load_log WHERE source_file = $f AND sha256 = $sha AND status = $status",
        {"f": str(item.path), "sha": sha, "status": status}).fetchone()
    if seen:
        return
    con.execute(
        "INSERT INTO load_log (load_id, partner_id, period, source_file, sha256, file_bytes, file_modified_at,"
        " status, message, loaded_at, run_id)"
        " VALUES ($id, $p, $m, $f, $sha, $bytes, $mtime, $status, $msg, $now, $run)",
        {
            "id": f"{status}.{sha[:12]}.{_now().strftime('%Y%m%dT%H%M%S%f')}",
            "p": item.partner_id, "m": item.period, "f": str(item.path), "sha": sha,
            "bytes": item.path.stat().st_size, "mtime": _mtime(item.path), "status": status,
            "msg": message, "now": _now(), "run": run_id,
        },
    )


def _replace_partition(con, item: InboxFile, parsed: ParsedSubmission, run_id: str | None) -> None:
    """Swap the partner-period's rows for this submission's in one transaction."""
    key = {"p": parsed.partner_id, "m": parsed.period}
    con.execute("BEGIN TRANSACTION")
    try:
        load_id = _new_load_id(con, parsed.partner_id, parsed.period, parsed.sha256)
        for table in ("raw_ledger", "quarantine", "skipped_rows", "stg_ledger"):
            con.execute(f"DELETE FROM {table} WHERE partner_id = $p AND period = $m", key)
        con.execute("UPDATE load_log SET status = 'superseded' WHERE partner_id = $p AND period = $m AND status = 'current'", key)
        ident = {"load_id": load_id, **key, "f": str(item.path)}
        con.register("parsed_lines", parsed.lines.to_arrow())
        con.execute(
            "INSERT INTO raw_ledger SELECT $load_id, $p, $m, $f, source_row, posting_date, cost_centre, expense_type,"
            " counterparty, description, transaction_id, amount, funding_stream, raw_record FROM parsed_lines", ident)
        con.register("parsed_quarantine", parsed.quarantine.to_arrow())
        con.execute(
            "INSERT INTO quarantine SELECT $load_id, $p, $m, $f, source_row, 'parse', field, reason_code, message,"
            " raw_record FROM parsed_quarantine", ident)
        con.register("parsed_skipped", parsed.skipped.to_arrow())
        con.execute(
            "INSERT INTO skipped_rows SELECT $load_id, $p, $m, $f, source_row, reason, raw_record FROM parsed_skipped", ident)
        con.execute(
            "INSERT INTO load_log VALUES ($load_id, $p, $m, $f, $sha, $bytes, $mtime, $read, $loaded, $quar, $skip,"
            " 'current', NULL, $now, $run)",
            {**ident, "sha": parsed.sha256, "bytes": item.path.stat().st_size, "mtime": _mtime(item.path),
             "read": parsed.rows_read, "loaded": parsed.lines.height, "quar": parsed.quarantine.height,
             "skip": parsed.skipped.height, "now": _now(), "run": run_id},
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for view in ("parsed_lines", "parsed_quarantine", "parsed_skipped"):
            con.unregister(view)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(tzinfo=None)
