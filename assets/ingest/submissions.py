"""Which submissions are in the inbox, and loading one of them atomically.

A partner-period (partner x month) is the unit of loading. A file covers one month or
several (a quarterly file, a workbook of years: see PeriodRule); it loads as one
partner-month per month it covers, each its own load (own load_id and load_log entry,
the same source_file), each replacing only that partner-month.

Which file wins a partner-month: the newest file covering it, by modification time,
then name. Files covering a month are loaded oldest first, so the newest is current and
earlier ones are superseded, and the load log keeps every version's metadata. So:
  - a later file covering a month replaces that month, whatever else it covers;
  - a later file that shrinks (covers fewer months than an earlier one) replaces only
    the months it covers: the earlier file stays current for the others;
  - loading is idempotent: a file whose bytes are already the current load of a
    partner-month is not reloaded, and when the newest file covering a month is its
    current load, older files covering it are not reloaded either.

Each partner-month's rows are swapped in one transaction, so none is ever half written. A
month expected to hold three row groups of lines (a 10M home's: load_log says what it, or the month
before it, held) is written in one transaction, committed at the month's end (load_period): a crash rolls the whole month
back, a refused file is logged and writes nothing, as ever, and a write that fails rolls the
month back and loads it again one transaction a partner-month, with the outcome that always had.

A resubmission becomes the month's figures only once it passes its blocking checks: until
then the previous good submission is held in reserve, and put back if the resubmission is
blocked (assets/ingest/last_good.py).

A file is refused as a whole (status failed, with a message; the partner-period keeps
its previous submission) when it cannot be parsed, when none of its rows is a usable
ledger line, or when it is not a plain file inside the inbox: symbolic links are never
followed, so nothing outside the inbox is read through one.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from assets.ingest.errors import SubmissionError
from assets.ingest.last_good import (MARKED_TABLES, SUBMISSION_TABLES, hold_or_supersede_current,
                                     submission_loads)
from assets.ingest.parse import ParsedSubmission, parse_submission
from assets.ingest.period import period_from_name
from assets.ingest.source_config import SourceConfig, match_config
from warehouse import change_markers
from warehouse.sql_files import transaction


@dataclass(frozen=True)
class InboxFile:
    path: Path
    config: SourceConfig | None
    periods: tuple[str, ...] = ()  # the months it covers, sorted; empty when unknown (error)
    error: str | None = None

    def covers(self, period: str) -> bool:
        return period in self.periods

    @property
    def partner_id(self) -> str | None:
        return self.config.partner_id if self.config else None

    @property
    def modified(self) -> float:
        try:
            return self.path.lstat().st_mtime  # lstat: a dangling link has no target to stat
        except OSError:
            return 0.0


def periods_of_file(path: Path, config: SourceConfig) -> tuple[str, ...]:
    """The months a file covers: from its name or the config without reading it; else
    (a date column, year + period columns, sheet names) by parsing it."""
    if config.period.from_file_name is not None:
        try:
            return (period_from_name(path.name, config.period.from_file_name),)
        except ValueError as error:
            raise SubmissionError(path, message=f"cannot tell the period: {error}") from None
    if config.period.fixed is not None:
        return (config.period.fixed,)
    return parse_remembered(path, config).periods


# Files whose months are told per row are parsed by the inbox scan to learn their months,
# then again by each month's load: the last few parses are remembered (by path, size,
# mtime and config), up to a number of rows, so a workbook of 36 months is read once per
# process rather than 37 times. A load checks the remembered parse's sha256 against
# the file's before using it.
REMEMBERED_ROWS = 2_000_000
_remembered: OrderedDict[tuple, ParsedSubmission] = OrderedDict()


def parse_remembered(path: Path, config: SourceConfig, sha256: str | None = None) -> ParsedSubmission:
    if not config.period.per_row:
        return parse_submission(path, config)
    try:
        info = path.stat()
    except OSError:
        return parse_submission(path, config)  # raises the usual "cannot open" error
    key = (os.fspath(path), info.st_size, info.st_mtime_ns, config.model_dump_json())
    parsed = _remembered.get(key)
    if parsed is not None and (sha256 is None or parsed.sha256 == sha256):
        _remembered.move_to_end(key)
        return parsed
    parsed = parse_submission(path, config)
    _remembered[key] = parsed
    while len(_remembered) > 1 and sum(p.rows_read for p in _remembered.values()) > REMEMBERED_ROWS:
        _remembered.popitem(last=False)
    return parsed


def scan_inbox(inbox: Path, configs: dict[str, SourceConfig]) -> list[InboxFile]:
    """Every file under inbox/<partner>/, matched to its config and period (or an error).
    Symbolic links are listed with an error and never followed (rglob does not descend
    into linked folders either), so nothing outside the inbox is ever read."""
    found = []
    entries = (p for p in inbox.rglob("*") if (p.is_symlink() or p.is_file()) and not p.name.startswith("."))
    for path in sorted(entries):
        config = match_config(path, inbox, configs)
        refused = _not_a_plain_inbox_file(path, inbox)
        if refused is not None:
            found.append(InboxFile(path, config, (), refused))
        elif config is None:
            found.append(InboxFile(path, None, (), "matches no source config"))
            continue
        else:
            try:
                found.append(InboxFile(path, config, periods_of_file(path, config)))
            except SubmissionError as exc:
                found.append(InboxFile(path, config, (), str(exc)))
            except Exception as exc:  # one unreadable file must not hide every other
                found.append(InboxFile(path, config, (), _unexpected(path, exc)))
    return found


def _not_a_plain_inbox_file(path: Path, inbox: Path) -> str | None:
    """Why this inbox entry is refused without being opened, or None."""
    name = display_path(path).rsplit("/", 1)[-1]
    if path.is_symlink():
        return (f"{name}: is a symbolic link; links are not followed (they could point outside the inbox): "
                "put the file itself in the inbox")
    if display_path(path) != str(path):
        return f"{name}: the file name is not valid UTF-8 text; rename the file"
    try:
        path.resolve(strict=True).relative_to(inbox.resolve(strict=True))
    except (OSError, ValueError):
        return f"{name}: is not inside the inbox; not read"
    return None


def display_path(path: Path) -> str:
    """The path as text that can be stored and shown: a file name in another encoding
    than UTF-8 (bytes Python keeps as surrogates) gets its odd bytes written as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _unexpected(path: Path, exc: BaseException) -> str:
    return (f"{Path(display_path(path)).name}: could not be read ({type(exc).__name__}: "
            f"{str(exc).strip()[:300]}); please report this file to the openbook maintainers")


def in_load_order(files: list[InboxFile]) -> list[InboxFile]:
    """Oldest first, so that the newest file covering a partner-month is loaded last."""
    return sorted(files, key=lambda f: (f.partner_id or "", f.periods[:1], f.modified, f.path.name))


def inbox_periods(files: list[InboxFile]) -> list[str]:
    """Every month some inbox file covers, sorted."""
    return sorted({period for item in files for period in item.periods})


def load_period(con: duckdb.DuckDBPyConnection, files: list[InboxFile], period: str, run_id: str | None) -> list[LoadOutcome]:
    """Load one month: each file covering it (oldest first, per partner) loads its rows
    of that month; files whose month cannot be told are logged (once per content).
    When the newest file covering a partner-month is already its current load, nothing
    of that partner-month is reloaded.

    A month expected to hold GROUPED_LINES lines (_expected_lines) is written in one
    transaction, committed at the end. Anything failing in it rolls the whole
    transaction back and the month is loaded again one transaction a partner-month, so a
    failure costs what it always did: its own partner-month (the ones before it committed,
    the ones after it not loaded, the error raised)."""
    chosen = [item for item in files if item.covers(period) or not item.periods]
    newest: dict[str, InboxFile] = {}
    for item in in_load_order([f for f in chosen if f.periods]):
        newest[item.partner_id] = item
    settled = {partner for partner, item in newest.items() if _is_current(con, item, period, _fingerprint(item.path)[0])}
    if _expected_lines(con, period) < GROUPED_LINES:
        return _load_in_order(con, chosen, settled, period, run_id)
    try:
        with transaction(con):
            return _load_in_order(con, chosen, settled, period, run_id, gathered=True)
    except Exception:
        return _load_in_order(con, chosen, settled, period, run_id)


def _load_in_order(con: duckdb.DuckDBPyConnection, chosen: list[InboxFile], settled: set[str], period: str,
                   run_id: str | None, gathered: bool = False) -> list[LoadOutcome]:
    outcomes = []
    for item in in_load_order(chosen):
        if item.periods and item.partner_id in settled:
            outcomes.append(LoadOutcome(display_path(item.path), item.partner_id, period, "unchanged"))
            continue
        outcomes.append(load_file(con, item, run_id, period if item.periods else None, gathered))
    return outcomes


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fingerprint(path: Path) -> tuple[str, int | None, datetime | None]:
    """(sha256, bytes, modified) of an inbox entry, read without following a link: a
    link's fingerprint is that of the link itself. A vanished file has none."""
    try:
        if path.is_symlink():
            target = os.fsencode(os.readlink(path))
            info = path.lstat()
            return hashlib.sha256(b"symlink:" + target).hexdigest(), info.st_size, _utc(info.st_mtime)
        info = path.stat()
        return sha256_of(path), info.st_size, _utc(info.st_mtime)
    except OSError:
        return hashlib.sha256(b"unreadable:" + os.fsencode(path)).hexdigest(), None, None


# Named, not positional: raw_ledger gained a column (extra) after warehouses existed.
RAW_LEDGER_COLUMNS = ("load_id, partner_id, period, source_file, source_row, posting_date, cost_centre, expense_type,"
                      " counterparty, description, transaction_id, amount, funding_stream, raw_cells, extra")
RAW_LEDGER_SELECT = ("SELECT $load_id, $p, $m, $f, source_row, posting_date, cost_centre, expense_type, counterparty,"
                     " description, transaction_id, amount, funding_stream, raw_cells, extra FROM parsed_lines")


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


def load_file(con: duckdb.DuckDBPyConnection, item: InboxFile, run_id: str | None,
              period: str | None = None, gathered: bool = False) -> LoadOutcome:
    """Load a file's rows of `period` (a month it covers) as that partner-month's
    submission; with no period, every month it covers, one load each (the outcome then
    adds them up: status loaded when any month loaded, period None when several).
    Each partner-month is written in a transaction of its own unless `gathered`: into the
    month's transaction, which load_period opened and commits."""
    source = display_path(item.path)
    fingerprint = _fingerprint(item.path)
    sha = fingerprint[0]
    months = (period,) if period is not None else item.periods
    shown_period = months[0] if len(months) == 1 else None

    def refuse(message: str, status: str = "failed", rows: tuple[int, int, int, int] = (0, 0, 0, 0)) -> LoadOutcome:
        _log_problem(con, item, shown_period, fingerprint, status, message, run_id)
        return LoadOutcome(source, item.partner_id, shown_period, status, *rows, message=message)

    if item.error is not None:
        return refuse(item.error, "unmatched" if item.config is None else "failed")
    if fingerprint[1] is None:
        return refuse(f"{item.path.name}: the file disappeared before it could be read")
    if not months:
        return refuse(f"{item.path.name}: cannot tell which months the file covers")
    waiting = [month for month in months if not _is_current(con, item, month, sha)]
    if not waiting:
        return LoadOutcome(source, item.partner_id, shown_period, "unchanged")
    try:
        parsed = parse_remembered(item.path, item.config, sha)
    except SubmissionError as exc:
        return refuse(str(exc))
    except (Exception, pl.exceptions.PanicException) as exc:  # a reader bug must not stop the other files
        return refuse(_unexpected(item.path, exc))
    outcomes = []
    for month in waiting:
        part = parsed.for_period(month)
        rows = (part.rows_read, part.stored_lines.height, part.stored_quarantine.height, part.stored_skipped.height)
        if part.stored_lines.height == 0:
            # Loading it would replace the partner-period's last good submission with nothing.
            message = no_lines_message(item.path, part, month if len(parsed.periods) > 1 else None)
            _log_problem(con, item, month, fingerprint, "failed", message, run_id)
            outcomes.append(LoadOutcome(source, item.partner_id, month, "failed", *rows, message=message))
            continue
        with nullcontext() if gathered else transaction(con):
            _replace_partition(con, item, part, month, fingerprint, run_id)
        outcomes.append(LoadOutcome(source, item.partner_id, month, "loaded", *rows))
    if len(outcomes) == 1 and len(months) == 1:
        return outcomes[0]
    return _added_up(source, item.partner_id, shown_period, outcomes)


def _added_up(source: str, partner_id: str | None, period: str | None, outcomes: list[LoadOutcome]) -> LoadOutcome:
    statuses = {o.status for o in outcomes}
    status = "loaded" if "loaded" in statuses else ("failed" if "failed" in statuses else "unchanged")
    messages = [o.message for o in outcomes if o.message]
    return LoadOutcome(source, partner_id, period, status,
                       *(sum(getattr(o, name) for o in outcomes)
                         for name in ("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped")),
                       message="; ".join(messages) or None)


def no_lines_message(path: Path, parsed: ParsedSubmission, month: str | None = None) -> str:
    if parsed.rows_read == 0:
        return f"{path.name}: the file has a header but no rows under it; nothing was loaded"
    of_month = f" of {month}" if month is not None else ""
    message = (f"{path.name}: none of its {parsed.rows_read} rows{of_month} is a usable ledger line "
               f"({parsed.stored_quarantine.height} set aside, {parsed.stored_skipped.height} skipped as totals, notes"
               " or blanks); "
               "the file was not loaded, and the period keeps any earlier submission")
    if parsed.stored_quarantine.height:
        message += f". First problem: {parsed.stored_quarantine['message'][0]}"
    return message


def _is_current(con, item: InboxFile, period: str, sha: str) -> bool:
    """The file's bytes, read with the same source config, are already this partner-month's
    submission, or were rejected for it (assets/ingest/last_good.py): either way loading them
    again would change nothing. A changed config re-reads the same bytes. The file is known by its
    folder and name, not its whole path: a data home moved or restored elsewhere holds the same
    submissions (the rest of the match, partner, month, bytes and config, is exact)."""
    row = con.execute(
        "SELECT count(*) FROM load_log JOIN load_configs USING (load_id)"
        " WHERE partner_id = $p AND period = $m AND status IN ('current', 'rejected')"
        " AND sha256 = $sha AND (source_file = $f OR ends_with(source_file, $tail)) AND config_sha256 = $config",
        {"p": item.partner_id, "m": period, "sha": sha, "f": display_path(item.path),
         "tail": "/" + display_path(Path(*item.path.parts[-2:])), "config": config_sha256(item.config)},
    ).fetchone()
    return row[0] > 0


# Keys that do not change what a file's rows are: the staging checks run again on every
# ingest anyway, and the description is for people.
NOT_READ_BY_THE_PARSER = {"checks", "description"}


def config_sha256(config: SourceConfig) -> str:
    """The fingerprint of what a config tells the reader (its validated form, so comments and
    key order in the YAML do not count as a change; nor do the keys the parser does not read)."""
    return hashlib.sha256(config.model_dump_json(exclude=NOT_READ_BY_THE_PARSER).encode("utf-8")).hexdigest()


def _new_load_id(con, partner_id: str, period: str, sha: str) -> str:
    (n,) = con.execute(
        "SELECT count(*) FROM load_log WHERE partner_id = $p AND period = $m", {"p": partner_id, "m": period}
    ).fetchone()
    return f"{partner_id}.{period}.v{n + 1}.{sha[:8]}"


def _log_problem(con, item: InboxFile, period: str | None, fingerprint: tuple, status: str, message: str,
                 run_id: str | None) -> None:
    sha, size, modified = fingerprint
    (seen,) = con.execute(
        "SELECT count(*) FROM load_log WHERE source_file = $f AND sha256 = $sha AND status = $status"
        " AND period IS NOT DISTINCT FROM $m",
        {"f": display_path(item.path), "sha": sha, "status": status, "m": period}).fetchone()
    if seen:
        return
    con.execute(
        "INSERT INTO load_log (load_id, partner_id, period, source_file, sha256, file_bytes, file_modified_at,"
        " status, message, loaded_at, run_id)"
        " VALUES ($id, $p, $m, $f, $sha, $bytes, $mtime, $status, $msg, $now, $run)",
        {
            "id": f"{status}.{sha[:12]}.{_now().strftime('%Y%m%dT%H%M%S%f')}",
            "p": item.partner_id, "m": period, "f": display_path(item.path), "sha": sha,
            "bytes": size, "mtime": modified, "status": status,
            "msg": message, "now": _now(), "run": run_id,
        },
    )


# DuckDB writes a transaction's rows of a table straight into the database file, compressed, when
# they add up to at least a row group (122,880 rows); fewer go through the WAL at COMMIT and are
# compressed again at the next checkpoint. A partner-month averages 34,000 lines at 10M, so a
# month expected to hold three row groups is written in one transaction: with fewer, the month's
# last, partly filled row group lies close enough to the next month's for the checkpoint to merge
# them, rewriting both, and that cost more than the WAL saved (docs/scaling.md, "raw_ledger at 10M:
# a month's submissions in one transaction"). The expectation comes from load_log, not from the
# parsed files, so no partner-month waits in memory for it.
ROW_GROUP = 122_880
GROUPED_LINES = 3 * ROW_GROUP


def _expected_lines(con: duckdb.DuckDBPyConnection, period: str) -> int:
    """The lines a month's current loads hold, else those of the nearest month before it that has
    any (a month's size is known before its files are parsed, so nothing waits parsed in memory
    for the decision); 0 for a first load's first month, which is written one transaction a
    partner-month."""
    (lines,) = con.execute(
        "SELECT coalesce(sum(rows_loaded), 0) FROM load_log WHERE status = 'current' AND period = ("
        " SELECT max(period) FROM load_log WHERE status = 'current' AND period <= $m)", {"m": period}).fetchone()
    return int(lines)


def _replace_partition(con, item: InboxFile, parsed: ParsedSubmission, period: str, fingerprint: tuple,
                       run_id: str | None) -> None:
    """Swap the partner-period's rows for this submission's (its rows of `period`), inside the
    caller's transaction (load_file)."""
    key = {"p": parsed.partner_id, "m": period}
    try:
        with change_markers.writing(con, *MARKED_TABLES) as touched:
            load_id = _new_load_id(con, parsed.partner_id, period, parsed.sha256)
            hold_or_supersede_current(con, parsed.partner_id, period)  # last good submission kept in reserve
            for table in SUBMISSION_TABLES:
                con.execute(f"DELETE FROM {table} WHERE partner_id = $p AND period = $m", key)
            ident = {"load_id": load_id, **key, "f": display_path(item.path)}
            con.execute("INSERT INTO raw_columns VALUES ($load_id, $columns)",
                        {"load_id": load_id, "columns": json.dumps(parsed.raw_columns, ensure_ascii=False)})
            con.register("parsed_lines", parsed.stored_lines.to_arrow())
            con.execute(f"INSERT INTO raw_ledger ({RAW_LEDGER_COLUMNS}) {RAW_LEDGER_SELECT}", ident)
            # Most files have no quarantined or skipped row: an empty insert still costs a
            # register, a statement and an unregister each.
            if parsed.stored_quarantine.height:
                con.register("parsed_quarantine", parsed.stored_quarantine.to_arrow())
                con.execute(
                    "INSERT INTO quarantine SELECT $load_id, $p, $m, $f, source_row, 'parse', field, reason_code,"
                    " message, raw_cells FROM parsed_quarantine", ident)
            if parsed.stored_skipped.height:
                con.register("parsed_skipped", parsed.stored_skipped.to_arrow())
                con.execute("INSERT INTO skipped_rows SELECT $load_id, $p, $m, $f, source_row, reason, raw_cells"
                            " FROM parsed_skipped", ident)
            con.execute(
                "INSERT INTO load_log VALUES ($load_id, $p, $m, $f, $sha, $bytes, $mtime, $read, $loaded, $quar, $skip,"
                " 'current', NULL, $now, $run)",
                {**ident, "sha": parsed.sha256, "bytes": fingerprint[1], "mtime": fingerprint[2],
                 "read": parsed.rows_read, "loaded": parsed.stored_lines.height,
                 "quar": parsed.stored_quarantine.height, "skip": parsed.stored_skipped.height, "now": _now(),
                 "run": run_id},
            )
            con.execute("INSERT INTO load_configs VALUES ($load_id, $config, $threshold)",
                        {"load_id": load_id, "config": config_sha256(item.config),
                         "threshold": item.config.coverage_threshold})
            touched.loads(submission_loads(con, period, parsed.partner_id))  # the new load and those it replaced
    finally:
        for view in ("parsed_lines", "parsed_quarantine", "parsed_skipped"):
            con.unregister(view)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc).replace(tzinfo=None)
