"""The flag register: the oversight group's decisions on the flags the analytics raise.

Flags are rows of rpt_flags (sql/reports/rpt_flags.sql), each with a stable id made from its kind
and its subject's keys (`VAR-mh_spend_per_head-carrow`, `ELIM-nw_icb-wfmh-2025-11`). Decisions are
kept in one plain YAML file under the data home, `<home>/config/flag_decisions.yaml`, which can be
version-controlled and reviewed like any other config:

    flags:
      VAR-mh_spend_per_head-carrow:
        - decision: explained
          reason: Carrow Lodge, a system-wide inpatient unit, is coded to Carrow
          date: 2026-01-12
          by: Jane Doe
          as_at: 2025-12          # the latest month the flag had been seen in (filled in by the CLI)
      OVER-NW-PL-2025-26:
        - decision: action
          owner: NW ICB contracts team
          due: 2026-02-28
          note: agree a contract variation with PeerLink
          date: 2026-01-12
          by: Jane Doe
        - decision: closed
          reason: variation signed
          date: 2026-02-20
          by: Jane Doe

Decisions per flag are a history, oldest first: explained (reason), action (owner and due date,
optional note), adjudicated (agreed position), closed (reason); each has a date and who recorded
it. The file is parsed with pydantic models that forbid unknown keys, so a typo is an error naming
the file and the key. `openbook flags decide` validates a new decision against the live register
and writes the file atomically (temporary file, fsync, rename).

Status (computed in SQL, sql/reports/rpt_flag_register.sql, one rule for the CLI and the reports):
new (no decision), open, overdue (an action past its due date, not closed), closed, recurred (closed
but raised again in a later month than the one it was closed in).
"""
from __future__ import annotations

import datetime as dt
import difflib
import getpass
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import duckdb
import yaml
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError,
                      field_validator)

from warehouse.files import write_text_atomically
from warehouse.plain_text import pounds
from warehouse.settings import Paths
from warehouse.sql_files import run_sql
from warehouse.yaml_files import read_yaml, validation_problems

DECISIONS_FILE = "flag_decisions.yaml"
KINDS = ("explained", "action", "adjudicated", "closed")
STATUSES = ("new", "open", "overdue", "closed", "recurred")
FLAG_ID = re.compile(r"^(VAR|FUND|SLIP|MHIS|ELIM|OVER|BUDGET|LPOVER|AGENCY)-[A-Za-z0-9][A-Za-z0-9_.-]*$")
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
HEADER = """\
# openbook flag decisions: the oversight group's decisions on the flags the analytics raise.
# One entry per flag id (see `openbook flags list`), each a history of decisions, oldest first:
#   explained (reason), action (owner, due, optional note), adjudicated (position), closed (reason),
#   each with date (YYYY-MM-DD), by (who) and as_at (the latest month the flag had been seen in).
# Record decisions with `openbook flags decide`; hand edits are checked on the next run.
"""


class FlagError(ValueError):
    """A decision or the decisions file is wrong; the message says what and where, on one line."""


def decisions_path(paths: Paths) -> Path:
    return paths.home / "config" / DECISIONS_FILE


# ---------------------------------------------------------------------------------------------
# The decisions file
def _iso_date(value: Any) -> Any:
    """Dates are YYYY-MM-DD (YAML dates or strings), never numbers (pydantic would read a number
    as a Unix timestamp)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


def _period(value: Any) -> Any:
    if value is None or (isinstance(value, str) and PERIOD.match(value)):
        return value
    raise ValueError(f"{value!r} is not a month (YYYY-MM)")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Period = Annotated[Union[str, None], BeforeValidator(_period)]


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: IsoDate
    by: Text
    as_at: Period = None


class Explained(_Decision):
    decision: Literal["explained"]
    reason: Text


class Action(_Decision):
    decision: Literal["action"]
    owner: Text
    due: IsoDate
    note: Text | None = None


class Adjudicated(_Decision):
    decision: Literal["adjudicated"]
    position: Text


class Closed(_Decision):
    decision: Literal["closed"]
    reason: Text


Decision = Annotated[Union[Explained, Action, Adjudicated, Closed], Field(discriminator="decision")]


class DecisionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flags: dict[str, list[Decision]] = {}

    @field_validator("flags")
    @classmethod
    def _flag_ids(cls, flags: dict) -> dict:
        for flag_id, history in flags.items():
            if not FLAG_ID.match(flag_id):
                raise ValueError(f"{flag_id!r} is not a flag id (e.g. VAR-mh_spend_per_head-carrow)")
            if not history:
                raise ValueError(f"{flag_id}: no decisions listed")
        return flags


def load_decisions(path: Path) -> DecisionsFile:
    """The decisions file, validated; an empty register when the file does not exist yet."""
    path = Path(path)
    if not path.is_file():
        return DecisionsFile()
    document = read_yaml(path, FlagError)
    if document is None:
        return DecisionsFile()
    if not isinstance(document, dict):
        raise FlagError(f"{path}: expected a mapping with a 'flags' key")
    try:
        return DecisionsFile.model_validate(document)
    except ValidationError as error:
        raise FlagError(f"{path}: invalid decisions: {validation_problems(error, hide=KINDS)}") from None


def _as_yaml(doc: DecisionsFile) -> str:
    order = ("decision", "reason", "owner", "due", "note", "position", "date", "by", "as_at")
    flags = {}
    for flag_id in sorted(doc.flags):
        history = []
        for decision in doc.flags[flag_id]:
            values = decision.model_dump(exclude_none=True)
            history.append({key: values[key] for key in order if key in values})
        flags[flag_id] = history
    body = yaml.safe_dump({"flags": flags}, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def save_decisions(path: Path, doc: DecisionsFile) -> None:
    """Write the file atomically: a reader sees the old file or the new one, never half of one."""
    text = _as_yaml(doc)
    DecisionsFile.model_validate(yaml.safe_load(text))  # what is written must read back
    write_text_atomically(path, text)


def decision_columns(doc: DecisionsFile) -> dict[str, list]:
    """The decisions as one list per column of rpt_flag_decisions (sql/reports/rpt_flag_decisions.sql)."""
    columns: dict[str, list] = {k: [] for k in ("flag_id", "seq", "decision", "decided_on", "decided_by", "reason",
                                                 "owner", "due_date", "position", "as_at_period")}
    for flag_id in sorted(doc.flags):
        for seq, d in enumerate(doc.flags[flag_id], start=1):
            columns["flag_id"].append(flag_id)
            columns["seq"].append(seq)
            columns["decision"].append(d.decision)
            columns["decided_on"].append(d.date)
            columns["decided_by"].append(d.by)
            columns["reason"].append(getattr(d, "reason", None) or getattr(d, "note", None))
            columns["owner"].append(getattr(d, "owner", None))
            columns["due_date"].append(getattr(d, "due", None))
            columns["position"].append(getattr(d, "position", None))
            columns["as_at_period"].append(d.as_at)
    return columns


# rpt_flag_links' columns (sql/reports/rpt_flag_links.sql), for a database that has flags but no links
# (a hand-made register, or a warehouse built before links were): the register then links nothing.
NO_LINKS = ("CREATE TABLE IF NOT EXISTS rpt_flag_links (flag_id VARCHAR, related_id VARCHAR, related_kind VARCHAR, "
            "related_subject VARCHAR, reason VARCHAR, shared_lines HUGEINT, shared_amount DECIMAL(18, 2))")


def build_register(con: duckdb.DuckDBPyConnection, doc: DecisionsFile, today: dt.date) -> int:
    """(Re)build rpt_flag_decisions and rpt_flag_register on `con` (rpt_flags must exist; rpt_flag_links
    is read when it exists, else an empty one is made)."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'rpt_flag_links'").fetchone()[0]:
        con.execute(NO_LINKS)
    run_sql(con, "reports/rpt_flag_decisions", decision_columns(doc))
    run_sql(con, "reports/rpt_flag_register", {"today": today})
    return con.execute("SELECT count(*) FROM rpt_flag_register").fetchone()[0]


# ---------------------------------------------------------------------------------------------
# The live register, for the command line: the warehouse's rpt_flags with the decisions file as
# it is now, in a scratch in-memory database (nothing is written to the warehouse).
def _sql_literal(text: str) -> str:
    # ATTACH takes no bound parameters (DuckDB's parser rejects them), so the path is quoted here.
    # It is always a path this program made (the data home's warehouse or published copy).
    return "'" + str(text).replace("'", "''") + "'"


def attach_read_only(database: Path, alias: str = "base") -> duckdb.DuckDBPyConnection:
    """A scratch in-memory database that reads `database` read-only: unqualified names resolve to
    tables made in the scratch database first, then to the attached one."""
    con = duckdb.connect()
    con.execute(f"ATTACH {_sql_literal(database)} AS {alias} (READ_ONLY)")
    con.execute(f"SET search_path = 'memory.main,{alias}.main'")
    return con


def base_database(paths: Paths) -> Path:
    """The warehouse (freshest); the analysts' published copy when the warehouse is being written."""
    candidates = [p for p in (paths.warehouse, paths.published) if p.is_file()]
    if not candidates:
        raise FlagError(f"no warehouse in {paths.home}: run `openbook run` first")
    for path in candidates:
        try:
            duckdb.connect(str(path), read_only=True).close()
            return path
        except duckdb.IOException:
            continue
    raise FlagError(f"the warehouse {paths.warehouse} is busy (a run is writing it) and there is no published copy")


def live_register(paths: Paths, doc: DecisionsFile | None = None,
                  today: dt.date | None = None) -> duckdb.DuckDBPyConnection:
    """A scratch connection holding rpt_flags (from the warehouse, or rebuilt there when the warehouse
    predates it) and rpt_flag_register judged on `today` with the decisions file."""
    doc = load_decisions(decisions_path(paths)) if doc is None else doc
    con = attach_read_only(base_database(paths))
    has_flags = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'base' "
                            "AND table_name = 'rpt_flags'").fetchone()[0]
    if not has_flags:
        run_sql(con, "reports/rpt_flags")
    build_register(con, doc, today or dt.date.today())
    return con


def register_rows(con: duckdb.DuckDBPyConnection, status: str | None = None,
                  period: str | None = None, ics_id: str | None = None) -> list[dict]:
    """The register's rows, filtered by status, first seen on or before a month, and system."""
    if status is not None and status not in STATUSES:
        raise FlagError(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
    if period is not None and not PERIOD.match(period):
        raise FlagError(f"--period {period!r} is not a month (YYYY-MM)")
    cur = con.execute(
        "SELECT * FROM rpt_flag_register WHERE ($status IS NULL OR status = $status) "
        "AND ($period IS NULL OR first_seen_period <= $period) AND ($ics IS NULL OR ics_id = $ics) "
        "ORDER BY status_order, kind_order, flag_id",
        {"status": status, "period": period, "ics": ics_id})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def orphan_decisions(con: duckdb.DuckDBPyConnection, doc: DecisionsFile) -> list[str]:
    """Flag ids with decisions that the analytics no longer raise (e.g. the data were corrected)."""
    raised = {r[0] for r in con.execute("SELECT flag_id FROM rpt_flags").fetchall()}
    return sorted(set(doc.flags) - raised)


# ---------------------------------------------------------------------------------------------
# Recording a decision
def parse_date(text: str | dt.date | None, what: str) -> dt.date | None:
    if text is None or isinstance(text, dt.date):
        return text
    try:
        return _iso_date(text)
    except ValueError:
        raise FlagError(f"{what}: {text!r} is not a date (YYYY-MM-DD)") from None


def _required(value: str | None, what: str, option: str) -> str:
    if value is None or not str(value).strip():
        raise FlagError(f"{what} is required: {option} \"...\"")
    return str(value).strip()


def make_decision(kind: str, row: dict, *, reason: str | None = None, owner: str | None = None,
                  due: str | dt.date | None = None, position: str | None = None, by: str | None = None,
                  on: str | dt.date | None = None, today: dt.date | None = None) -> Decision:
    """A new decision on the register row `row`, checked: required fields, real dates, a decision
    date not in the future, an action not already past due, no closing of a closed flag."""
    today = today or dt.date.today()
    flag_id = row["flag_id"]
    date = parse_date(on, "--on") or today
    if date > today:
        raise FlagError(f"--on {date.isoformat()} is in the future (today is {today.isoformat()})")
    who = (by or "").strip() or getpass.getuser()
    common = {"date": date, "by": who, "as_at": row["last_seen_period"]}
    if kind == "explained":
        return Explained(decision="explained", reason=_required(reason, "an explanation", "--explained"), **common)
    if kind == "action":
        owner = _required(owner, "an action's owner", "--owner")
        if due is None:
            raise FlagError("an action needs a due date: --due YYYY-MM-DD")
        due_date = parse_date(due, "--due")
        if due_date < today:
            raise FlagError(f"--due {due_date.isoformat()} is in the past (today is {today.isoformat()}): "
                            "a new action must be due today or later")
        note = reason.strip() if reason and reason.strip() else None
        return Action(decision="action", owner=owner, due=due_date, note=note, **common)
    if kind == "adjudicated":
        return Adjudicated(decision="adjudicated",
                           position=_required(position, "the agreed position", "--adjudicated"), **common)
    if kind == "closed":
        if row["status"] == "closed":
            raise FlagError(f"{flag_id} is already closed (on {row['closed_on']}); record another decision to "
                            "reopen it first")
        return Closed(decision="closed", reason=_required(reason, "a reason for closing", "--close"), **common)
    raise FlagError(f"unknown decision {kind!r}: one of {', '.join(KINDS)}")


def unknown_flag_message(flag_id: str, known: list[str]) -> str:
    close = difflib.get_close_matches(flag_id, known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `openbook flags list`"
    return f"unknown flag id {flag_id!r}: the analytics raise no such flag{hint}"


def decide(paths: Paths, flag_id: str, kind: str, *, today: dt.date | None = None, **fields) -> tuple[Decision, dict]:
    """Record a decision on a flag in the decisions file; returns it and the flag's register row
    after it (status recomputed)."""
    today = today or dt.date.today()
    path = decisions_path(paths)
    doc = load_decisions(path)
    con = live_register(paths, doc, today)
    try:
        rows = {r["flag_id"]: r for r in register_rows(con)}
        if flag_id not in rows:
            raise FlagError(unknown_flag_message(flag_id, sorted(rows)))
        decision = make_decision(kind, rows[flag_id], today=today, **fields)
        updated = DecisionsFile(flags={**doc.flags, flag_id: [*doc.flags.get(flag_id, []), decision]})
        build_register(con, updated, today)
        after = next(r for r in register_rows(con) if r["flag_id"] == flag_id)
    finally:
        con.close()
    save_decisions(path, updated)
    return decision, after


# ---------------------------------------------------------------------------------------------
# Text output
def money(value) -> str:
    return "" if value is None else f"{value:,.2f}"


def _cut(text: str | None, width: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def register_table(rows: list[dict]) -> str:
    """The register as a fixed-width text table."""
    headers = ("Flag", "Status", "Kind", "Subject", "First seen", "Last seen", "Amount (£)", "Latest decision")
    body = [(r["flag_id"], r["status"] + (" (recurred)" if r["recurred"] and r["status"] != "recurred" else ""),
             r["kind_name"], _cut(r["subject"], 60), r["first_seen_period"], r["last_seen_period"],
             money(r["amount"]), _cut(r["latest_decision_text"], 60)) for r in rows]
    widths = [max(len(h), *(len(str(row[i])) for row in body)) if body else len(h) for i, h in enumerate(headers)]
    right = {6}

    def line(cells) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(headers), line("-" * w for w in widths), *(line(row) for row in body)])


def flag_details(row: dict) -> str:
    """One flag in full: what the analytics found and every decision."""
    came_back = ", recurred" if row["recurred"] and row["status"] != "recurred" else ""
    lines = [f"{row['flag_id']}  [{row['status']}{came_back}]",
             f"  status:      {row['status_text']}",
             f"  kind:        {row['kind_name']}",
             f"  subject:     {row['subject']}",
             f"  system:      {row['ics_name'] or 'both systems'}",
             f"  seen:        first {row['first_seen_period']} ({row['first_seen_fy']}), "
             f"latest {row['last_seen_period']}",
             f"  amount:      {pounds(row['amount']) if row['amount'] is not None else ''}",
             f"  source:      {row['source_table']} ({row['source_keys']})",
             f"  finding:     {row['summary']}"]
    if row["action_owner"]:
        lines.append(f"  action:      owner {row['action_owner']}, due {row['action_due']}")
    history = (row["history"] or "").split(" | ") if row["history"] else []
    lines.append("  decisions:   " + ("none yet" if not history else history[0]))
    lines += [f"               {h}" for h in history[1:]]
    return "\n".join(lines)
