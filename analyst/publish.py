"""Publishing the analysts' copy of the warehouse, and its data dictionary.

After each successful open-book run the pipeline's warehouse is copied to
`<home>/published/openbook.duckdb`, which analysts open read-only (analyst/access.py).
The copy is made so that nobody ever sees a half-written file:

1. take the warehouse's writer lock (warehouse.connection.exclusive_lock), so no step of
   any run writes while the bytes are copied;
2. make sure every committed change is in the database file itself: DuckDB keeps recent
   commits in `<file>.wal` until a checkpoint, so if that file exists the warehouse is
   opened, CHECKPOINTed and closed first (with no WAL the file is complete on its own);
3. copy to a temporary file in the published folder, stamp it with a `publish_info`
   table (published at, source run id), write `source_file` relative to the inbox
   (`haven/2025-06.csv`, not the pipeline machine's absolute path), check that DuckDB
   opens it, fsync, and make it read-only (mode 0444: no DuckDB client, nor any other
   program, can open it for writing by mistake). When little changed, the temporary file
   is a copy of the last published one instead, with only the tables whose content changed
   since then replaced from the warehouse (below);
4. `os.replace` it over the published copy (atomic on POSIX: replacing a file needs
   write access to the folder, not to the file) and fsync the folder.

An analyst's session that has the old copy open keeps reading the old file (its inode
lives on until the last reader closes it); a new connection sees the new copy. If
anything fails, the temporary file is removed and the last good copy stays. A JSON file
beside the copy (`publish_info.json`) holds the same facts as the table, for tools that
do not open DuckDB.

Only what changed is copied again: publish_info keeps each warehouse table's fingerprint
(warehouse/fingerprints.py: row count and hash sum of its rows; per load for the tables with
a load_id, the ledger-sized ones) as it was published, and the catalog's (every definition
and comment). A run that left the catalog as it was copies the last published file (a file
copy, fast) and replaces in it only the rows that changed: a whole small table, or a ledger
table's changed loads (one late file: its own load), so `source_file` is rewritten only in
those. Finding what changed hashes the small tables; the ledger-sized ones' fingerprints by
load are their change markers, kept by the code that writes them (warehouse/change_markers.py),
so their rows are not read, unless the markers cannot be trusted (then they are hashed too).
Anything else (no published copy, one from an older version, a table, view, macro or comment
added, dropped or changed, the inbox moved, a lake) publishes the whole warehouse as before;
both give the same copy.

Copying the last published file costs as much as the file is large, however little changed. So
the copy a publish replaces is kept as the spare (`spare_path`: a second name for the same file,
beside the warehouse, nothing copied), and the next publish brings the spare up to date in place
instead: it is moved to the temporary name, the tables that changed since *its* fingerprints
(two runs' changes) are replaced in it, and it is stamped and moved over the published copy as any
temporary file is. It is used only when no one can be reading it: an analyst's session opened
before the last publish keeps reading the file it opened, which is the spare. DuckDB takes a lock
on a database file for each connection (a shared one to read), so a write lock that cannot be
had means another process reads it; a descriptor of it in this process's /proc/self/fd means a
session here does. Then the spare is dropped (its readers keep their file) and the last published
copy is copied as before. No reader can open the spare afresh: it has not been at the published
path since the last publish. A failed publish removes the spare with its temporary file.

The data dictionary (`<home>/reports/dictionary.md` and `.html`) is generated from the
published copy itself: table and column comments (set from each model's SQL header by
warehouse/sql_docs.py), grain and keys, row counts and an example query per table.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import html
import json
import os
import re
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb

from analyst.access import (SavedQuery, TableInfo, catalog, publish_info, queries_using,
                               saved_queries)
from warehouse import change_markers, fingerprints
from warehouse.files import fsync_dir, write_text_atomically
from warehouse.settings import Paths
from warehouse.connection import exclusive_lock, open_lake_writer
from warehouse.lake import LAKE, LakeSetting, lake_setting
from warehouse.memory import COPY_MEMORY_LIMIT, bound_memory
from warehouse.model_graph import model_graph
from warehouse.sql_docs import apply_comments, parse_model_doc
from warehouse.sql_files import execute, quote_ident, sql_text, statements, transaction

CHUNK = 4 * 1024 * 1024
INFO_JSON = "publish_info.json"
READ_ONLY_MODE = 0o444
READ_ONLY_NOTE = ("The published file is read-only (mode 0444) and replaced whole after each successful run: "
                  "open it with `openbook sql`, `harlequin -r`, or `duckdb.connect(path, read_only=True)`, and "
                  "keep results with `-o result.xlsx` (or a copy of the file of your own) rather than in it.")


class PublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class PublishInfo:
    published_at: str          # ISO 8601, UTC
    run_id: str | None
    source: str
    path: str
    bytes: int
    tables: int
    # the tables replaced in the last copy (in part: their changed loads); None: a whole copy
    replaced: list[str] | None = None
    # True: not a copy of the last copy, but the one before it (the spare) brought up to date in place
    from_spare: bool = False


def wal_path(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def lock_path(warehouse: Path) -> Path:
    """The writer lock of a warehouse, as warehouse.connection.open_writer takes it."""
    return warehouse.with_suffix(".lock")


def _copy_bytes(src: BinaryIO, dst: BinaryIO) -> None:
    """Copy one open file to another (a seam for tests that fail a copy half-way)."""
    while chunk := src.read(CHUNK):
        dst.write(chunk)


def _checkpoint(warehouse: Path) -> None:
    if not wal_path(warehouse).exists():
        return
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if wal_path(warehouse).exists() and wal_path(warehouse).stat().st_size > 0:
        raise PublishError(f"{warehouse} still has a write-ahead log after CHECKPOINT: "
                           "another process has it open for writing")


# source_file relative to the inbox, where it is inside it ($p: the inbox with a trailing slash)
RELATIVE = "CASE WHEN starts_with(source_file, $p) THEN substr(source_file, length($p) + 1) ELSE source_file END"


def _prefix(inbox: Path) -> str:
    return str(inbox).rstrip("/") + "/"


def _relative_source_files(db: Path, inbox: Path) -> None:
    """source_file relative to the inbox in every table that has one (views such as
    fct_ledger follow): analysts see `haven/2025-06.csv`, the file as the partner sent it,
    not where the pipeline's machine keeps its inbox. Paths outside the inbox stay whole."""
    prefix = _prefix(inbox)
    con = _open_copy(db)
    try:
        _relative_in(con, prefix)
        con.execute("CHECKPOINT")
    finally:
        con.close()


# DuckDB holds an UPDATE's new values in memory until a checkpoint writes them, and cannot
# spill them: 10M ledger lines updated at once took gigabytes. So many rows at a time, each
# batch checkpointed, keep the copy's instance within COPY_MEMORY_LIMIT at any size.
UPDATE_BATCH_ROWS = 500_000


def _relative_in(con: duckdb.DuckDBPyConnection, prefix: str) -> None:
    for table in _with_source_file(con):
        name = quote_ident(table)
        (last,) = con.execute(f"SELECT max(rowid) FROM {name}").fetchone()
        for first in range(0, (last if last is not None else -1) + 1, UPDATE_BATCH_ROWS):
            con.execute(f"UPDATE {name} SET source_file = {RELATIVE}"
                        " WHERE rowid >= $first AND rowid < $end AND starts_with(source_file, $p)",
                        {"p": prefix, "first": first, "end": first + UPDATE_BATCH_ROWS})
            con.execute("CHECKPOINT")


def _open_copy(db: Path) -> duckdb.DuckDBPyConnection:
    """The copy being published, in an instance of its own beside the pipeline's: capped, so the
    two together stay within a run's memory (warehouse/memory.py)."""
    con = duckdb.connect(str(db))
    bound_memory(con, COPY_MEMORY_LIMIT)
    return con


def _with_source_file(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables of the current database with a text source_file column."""
    return [r[0] for r in con.execute("""SELECT c.table_name FROM duckdb_columns() c
        JOIN duckdb_tables() t ON t.database_name = c.database_name AND t.schema_name = c.schema_name
                               AND t.table_name = c.table_name
        WHERE c.database_name = current_database() AND c.column_name = 'source_file'
          AND c.data_type = 'VARCHAR' ORDER BY 1""").fetchall()]


def _stamp(db: Path, info: dict) -> int:
    """Write publish_info into the copy and check DuckDB can read it; returns the table count."""
    con = _open_copy(db)
    try:
        con.execute("""CREATE OR REPLACE TABLE publish_info AS
            SELECT CAST($published_at AS TIMESTAMP) AS published_at, CAST($run_id AS VARCHAR) AS run_id,
                   CAST($source AS VARCHAR) AS source, CAST($bytes AS BIGINT) AS source_bytes,
                   CAST($fingerprints AS VARCHAR) AS fingerprints""",
                    {k: info[k] for k in ("published_at", "run_id", "source", "bytes", "fingerprints")})
        con.execute("COMMENT ON TABLE publish_info IS 'When this copy was published (UTC) and from which "
                    "pipeline run; fingerprints: what each warehouse table held when published, as JSON, "
                    "for the next publish to copy only what changed. Grain: one row. Internal.'")
        tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE NOT internal").fetchone()[0]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return tables


def _copy_file(source: Path, tmp: Path) -> int:
    size = source.stat().st_size
    with open(source, "rb") as src, open(tmp, "wb") as dst:
        _copy_bytes(src, dst)
        dst.flush()
        os.fsync(dst.fileno())
    if tmp.stat().st_size != size:
        raise PublishError(f"copy of {source} is {tmp.stat().st_size} bytes, expected {size}")
    return size


def _copy_warehouse(source: Path, target: Path, tmp: Path, inbox: Path, whole: bool,
                    spare: Path) -> tuple[int, str, dict | None, bool]:
    """Under the writer lock: the warehouse checkpointed and fingerprinted, then either copied
    whole, or an earlier published copy (the spare no one reads, else a copy of the last published
    one) made into tmp and the tables that changed since replaced in it. Returns (warehouse bytes,
    fingerprints as JSON, what changed since the last published copy or None for a whole copy,
    whether the spare was used)."""
    with exclusive_lock(lock_path(source)):
        _checkpoint(source)
        # Opened as the pipeline opens it: a run's process may hold it open already, and DuckDB
        # refuses a second connection with another configuration (read_only).
        con = duckdb.connect(str(source))
        try:
            (database,) = con.execute("SELECT current_database()").fetchone()
            now = {"catalog": fingerprints.catalog(con, database), "inbox": _prefix(inbox),
                   "tables": fingerprints.tables(con, database, change_markers.known(con, database))}
            changed = None if whole else _changed_since(target, now)
            since_spare = None
            if changed is None:
                _copy_file(source, tmp)
            else:
                since_spare = _take_spare(spare, target, tmp, now)
                if since_spare is None:
                    _copy_file(target, tmp)
                    os.chmod(tmp, 0o644)  # a published copy is read-only (0444): this one must be written to
                _replace_tables(con, database, tmp, changed if since_spare is None else since_spare, _prefix(inbox))
        finally:
            con.close()
        size = source.stat().st_size
    if changed is None:
        _relative_source_files(tmp, inbox)
    return size, json.dumps(now, sort_keys=True), changed, since_spare is not None


def spare_path(paths: Paths) -> Path:
    """The published copy before the last one, kept beside the warehouse (not in the analysts' folder)
    to be brought up to date in place by the next publish instead of copying the last one whole."""
    return paths.warehouse.with_name("published-spare.duckdb")


def _take_spare(spare: Path, published: Path, tmp: Path, now: dict) -> dict[str, list[str] | None] | None:
    """The spare moved to `tmp`, and what changed since it was published (as `_changed_since`), when
    it can be written: it exists, is not the published copy itself (which a reader may open at any
    moment), no one has it open (an analyst's session opened before the last publish may still be
    reading it) and its fingerprints are comparable. Else None, and no spare (one still read is only
    unlinked: its readers keep their file)."""
    try:
        if os.path.samefile(spare, published):
            return None
        os.replace(spare, tmp)
    except OSError:  # none kept, or another file system
        return None
    os.chmod(tmp, 0o644)  # a published copy is read-only (0444): this one is to be written to
    if _open_anywhere(tmp):
        tmp.unlink()
        return None
    changed = _changed_since(tmp, now)
    if changed is None:
        tmp.unlink()
    return changed


def _open_anywhere(path: Path) -> bool:
    """Whether any process may have `path` open: this one, holding a descriptor of it (/proc/self/fd;
    where there is none we cannot tell, so it may be); another, with a DuckDB connection, which holds
    a lock on it (a reader a shared one) that a write lock of ours conflicts with. This process's own
    descriptors are looked at first: closing ours would release its DuckDB connections' locks too."""
    this = path.stat()
    try:
        mine = os.listdir("/proc/self/fd")
    except OSError:
        return True
    for name in mine:
        try:
            held = os.stat(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if (held.st_dev, held.st_ino) == (this.st_dev, this.st_ino):
            return True
    try:
        fd = os.open(path, os.O_RDWR)  # a write lock needs a descriptor open for writing
    except OSError:
        return True
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # releases our lock
    return False


def _changed_since(published: Path, now: dict) -> dict[str, list[str] | None] | None:
    """What changed since the published copy: table -> the loads whose rows changed (tables with
    a load_id), or None (the whole table). None when only a whole copy will do (no copy, one
    without fingerprints, another catalog or inbox)."""
    if not published.is_file():
        return None
    try:
        con = duckdb.connect(str(published), read_only=True)
    except duckdb.Error:
        return None
    try:
        info = publish_info(con) or {}
    finally:
        con.close()
    was = json.loads(info.get("fingerprints") or "null") or {}
    if (was.get("catalog"), was.get("inbox"), sorted(was.get("tables", {}))) != (
            now["catalog"], now["inbox"], sorted(now["tables"])):
        return None
    changed: dict[str, list[str] | None] = {}
    for table, fingerprint in now["tables"].items():
        before = was["tables"][table]
        if isinstance(fingerprint, dict) and isinstance(before, dict):
            loads = sorted(k for k in fingerprint.keys() | before.keys() if fingerprint.get(k) != before.get(k))
            if loads:
                changed[table] = loads
        elif fingerprint != before:
            changed[table] = None
    return changed


def _replace_tables(con: duckdb.DuckDBPyConnection, source: str, db: Path, changed: dict[str, list[str] | None],
                    prefix: str) -> None:
    """The changed rows of `db` (a table's, or its changed loads') replaced by those of the
    warehouse `con` is open on (database `source`), source_file made relative as a whole copy
    would: DELETE and INSERT keep each table's definition, constraints and comments. No reader
    sees the file before it is complete."""
    con.execute(f"ATTACH '{str(db).replace(chr(39), chr(39) * 2)}' AS publishing")  # ATTACH binds no parameters
    try:
        con.execute("USE publishing")
        relative = set(_with_source_file(con))
        for table, loads in changed.items():
            name = quote_ident(table)
            columns = f"* REPLACE ({RELATIVE} AS source_file)" if table in relative else "*"
            where = "" if loads is None else " WHERE list_contains($loads, coalesce(load_id, ''))"
            execute(con, f"DELETE FROM {name}{where}", {"loads": loads})
            execute(con, f"INSERT INTO {name} SELECT {columns} FROM {quote_ident(source)}.main.{name}{where}",
                    {"p": prefix, "loads": loads})
        con.execute("CHECKPOINT publishing")
    finally:
        con.execute(f"USE {quote_ident(source)}")
        con.execute("DETACH publishing")


def _copy_from_lake(lake: LakeSetting, tmp: Path) -> int:
    """The lake's tables, views and comments written into a new DuckDB file, with the shared
    macros the views call (a lake keeps no macros; the published file keeps its own)."""
    with open_lake_writer(lake) as con:
        con.execute(f"ATTACH '{str(tmp).replace(chr(39), chr(39) * 2)}' AS publishing")  # ATTACH binds no parameters
        try:
            con.execute(f"COPY FROM DATABASE {LAKE} TO publishing")
            con.execute("USE publishing")
            for statement in statements(sql_text("staging/create_tables")):
                if re.search(r"(?i)\bcreate\s+or\s+replace\s+macro\b", statement):
                    con.execute(statement)
            views = _views(con)
            with transaction(con):  # the views' column comments, which a lake cannot keep
                for model in model_graph().models.values():
                    if model.name in views:
                        apply_comments(con, parse_model_doc(sql_text(f"{model.layer}/{model.path.stem}")))
            con.execute(f"USE {LAKE}")
        finally:
            con.execute("DETACH publishing")
    return tmp.stat().st_size


def _views(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal").fetchall()}


def publish(paths: Paths, run_id: str | None = None, whole: bool = False) -> PublishInfo:
    """Copy the warehouse to the published path atomically (see the module docstring); `whole`
    copies the whole warehouse even when only a few tables changed."""
    lake = lake_setting(paths.home)
    source, target = (lake.catalog if lake else paths.warehouse), paths.published
    if lake is None and not source.is_file():
        raise PublishError(f"no warehouse at {source} to publish")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex}.publishing.duckdb")
    published_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    try:
        if lake:
            size, prints, replaced, from_spare = _copy_from_lake(lake, tmp), None, None, False
            _relative_source_files(tmp, paths.inbox)
        else:
            size, prints, replaced, from_spare = _copy_warehouse(source, target, tmp, paths.inbox, whole,
                                                                 spare_path(paths))
        facts = {"published_at": published_at.isoformat(timespec="seconds"), "run_id": run_id,
                 "source": str(source), "bytes": size, "fingerprints": prints}
        tables = _stamp(tmp, facts)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, READ_ONLY_MODE)
        # A WAL left beside the published name (only if someone opened it for writing)
        # would be replayed into the new file: it never belongs to the new copy.
        wal_path(target).unlink(missing_ok=True)
        if lake is None:
            _keep_as_spare(target, spare_path(paths))
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        wal_path(tmp).unlink(missing_ok=True)
        raise
    info = PublishInfo(facts["published_at"], run_id, str(source), str(target), size, tables,
                       None if replaced is None else sorted(replaced), from_spare)
    write_text_atomically(target.with_name(INFO_JSON), json.dumps(asdict(info), indent=2) + "\n")
    return info


def _keep_as_spare(published: Path, spare: Path) -> None:
    """The copy about to be replaced kept (a second name for the same file, nothing copied) as the
    next publish's spare. Where a second name cannot be made (another file system), none is kept."""
    spare.unlink(missing_ok=True)
    if published.is_file():
        try:
            os.link(published, spare)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# Data dictionary
def example_query(table: TableInfo) -> str:
    """A query that runs on the table and shows what a row looks like."""
    names = [c.name for c in table.columns]
    shown = list(dict.fromkeys([*[k for k in table.keys if k in names], *names]))[:8]
    select = ", ".join(quote_ident(c) if not c.isidentifier() else c for c in shown) or "*"
    where = ""
    if "period" in names:
        where = f"\nWHERE period = (SELECT max(period) FROM {table.name})"
    elif "fy" in names:
        where = f"\nWHERE fy = (SELECT max(fy) FROM {table.name})"
    order = [k for k in table.keys if k in names] or shown[:1]
    order_by = f"\nORDER BY {', '.join(order)}" if order else ""
    return f"SELECT {select}\nFROM {table.name}{where}{order_by}\nLIMIT 10;"


@dataclass
class Dictionary:
    tables: list[TableInfo]
    info: dict | None
    queries: list[SavedQuery]

    @property
    def public(self) -> list[TableInfo]:
        return [t for t in self.tables if t.public]

    @property
    def internal(self) -> list[TableInfo]:
        return [t for t in self.tables if not t.public]


def read_dictionary(con: duckdb.DuckDBPyConnection, view_rows: dict[str, int] | None = None) -> Dictionary:
    return Dictionary(catalog(con, view_rows=view_rows), publish_info(con), list(saved_queries().values()))


def _stamp_text(info: dict | None) -> str:
    if not info:
        return "Generated from the warehouse."
    when = info.get("published_at")
    when_text = when.strftime("%d %b %Y %H:%M UTC") if isinstance(when, dt.datetime) else str(when)
    return f"Published {when_text} from pipeline run {info.get('run_id') or '(not recorded)'}."


_USAGE = [
    ("harlequin, DuckDB's terminal SQL IDE, on the copy read-only (catalog, completion, history, export)",
     "openbook sql"),
    ("One query to a file (the format its extension names: .csv .parquet .xlsx .json .md; in .csv and "
     ".xlsx text starting with = + - @ gets a leading ' so it is never a formula)",
     'openbook sql -c "SELECT * FROM rpt_mh_spend LIMIT 10" -o spend.xlsx'),
    ("A saved query (sql/queries/)", "openbook query --list\nopenbook query vcse_crisis_income"),
    ("Python (polars)", 'from analyst.access import frame\n'
                        'frame("SELECT * FROM dim_partner")'),
]


# What each count of load_log (one row per file loaded or refused) counts. rows_loaded is
# counted after parsing, before staging: rows staging later sets aside are in quarantine
# with stage 'staging', so rows staged = rows_loaded - those (rpt_dq_submissions shows
# rows staged as its rows_loaded).
LOAD_LOG_COUNTS = [
    ("rows_read", "records the file reader returned under the header row (a quoted field spanning "
                  "several physical lines is one record) = rows_loaded + rows_quarantined + rows_skipped."),
    ("rows_loaded", "records that PARSED into a ledger line and went on to staging: not the rows staged. "
                    "Staging can still set some aside (quarantine rows with stage = 'staging'); rows staged = "
                    "rows_loaded minus those, the count rpt_dq_submissions.rows_loaded shows, i.e. "
                    "SELECT count(*) FROM stg_ledger WHERE load_id = ..."),
    ("rows_quarantined", "records set aside while parsing (quarantine rows with stage = 'parse'), each with "
                         "a reason code and a message naming file, row and field."),
    ("rows_skipped", "records that carry no ledger line by design (totals, blank and note rows), listed in "
                     "skipped_rows with the reason."),
    ("status", "current (the partner-month's figures), held (the previous good submission, kept while a "
               "resubmission is checked), superseded (replaced by a later file that passed), rejected (a "
               "resubmission blocked by its checks; message says why, the previous one stays current), failed "
               "(refused, message says why), unmatched (no source config for the file)."),
]


def render_markdown(d: Dictionary) -> str:
    out = ["# openbook data dictionary", "",
           f"{_stamp_text(d.info)} The analysts' warehouse is a read-only copy of the pipeline's "
           "warehouse, replaced whole after each successful run. Money is in pounds, "
           "DECIMAL(18,2); positive amounts are money going out, negative money coming in.", "",
           READ_ONLY_NOTE, "",
           "## How to query it", ""]
    for title, command in _USAGE:
        out += [f"{title}:", "", "```", command, "```", ""]
    out += ["## Public tables", "",
            "Tables named `rpt_*`, `fct_*` and `dim_*` are the public contract: their columns change "
            "only with notice.", "",
            "| table | rows | what it is |", "|---|---:|---|"]
    for t in d.public:
        out.append(f"| [{t.name}](#{t.name}) | {t.rows:,} | {_md_cell(t.description)} |")
    out.append("")
    for t in d.public:
        out += [f"### {t.name}", "", _md_text(t.description), ""]
        if t.grain:
            out.append(f"- **Grain:** {_md_text(t.grain)}")
        if t.keys:
            out.append(f"- **Keys:** {', '.join(f'`{k}`' for k in t.keys)}")
        out.append(f"- **Rows:** {t.rows:,}")
        used = queries_using(t.name, d.queries)
        if used:
            out.append(f"- **Saved queries:** {', '.join(f'`{q}`' for q in used)}")
        out += ["", "| column | type | description |", "|---|---|---|"]
        for c in t.columns:
            out.append(f"| `{c.name}` | {c.type} | {_md_cell(c.description)} |")
        out += ["", "Example:", "", "```sql", example_query(t), "```", ""]
    out += ["## Saved queries", "", "| query | what it answers | parameters |", "|---|---|---|"]
    for q in d.queries:
        out.append(f"| `{q.name}` | {_md_cell(q.description)} | {_md_cell(q.signature) or 'none'} |")
    out += ["", "## The load log's counts", ""]
    out += [f"- `{name}`: {_md_text(text)}" for name, text in LOAD_LOG_COUNTS]
    out += ["", "## Internal tables", "",
            "Loading, staging and reference tables the pipeline uses (`raw_*`, `stg_*`, `ref_*`, "
            "load log, quarantine, data-quality results). They may change without notice.", "",
            "| table | rows | columns |", "|---|---:|---|"]
    for t in d.internal:
        out.append(f"| {t.name} | {t.rows:,} | {_md_cell(', '.join(c.name for c in t.columns))} |")
    return "\n".join(out) + "\n"


def _md_text(text: str) -> str:
    # Markdown renders inline HTML: escape it, and keep pipes from breaking table cells.
    return html.escape(text or "", quote=False)


def _md_cell(text: str) -> str:
    return _md_text(text).replace("|", "\\|").replace("\n", " ")


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 2rem auto;
       max-width: 70rem; padding: 0 1rem; color: #212b32; line-height: 1.45; }
h1 { color: #005eb8; } h2 { border-bottom: 2px solid #005eb8; padding-bottom: .2rem; margin-top: 2.5rem; }
h3 { margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; width: 100%; }
th, td { border: 1px solid #d8dde0; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f4f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, Consolas, monospace; font-size: .9em; }
pre { background: #f0f4f5; padding: .6rem .8rem; overflow-x: auto; }
.meta { color: #4c6272; } nav ul { columns: 3; }
"""


def _h(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def render_html(d: Dictionary) -> str:
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>openbook data dictionary</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>openbook data dictionary</h1>",
             f'<p class="meta">{_h(_stamp_text(d.info))} The analysts\' warehouse is a read-only copy of '
             "the pipeline's warehouse, replaced whole after each successful run. Money is in pounds, "
             "DECIMAL(18,2); positive amounts are money going out, negative money coming in.</p>",
             f"<p>{_h(READ_ONLY_NOTE)}</p>",
             "<h2>How to query it</h2>"]
    for title, command in _USAGE:
        parts.append(f"<p>{_h(title)}:</p><pre>{_h(command)}</pre>")
    parts += ["<h2>Public tables</h2>",
              "<p>Tables named <code>rpt_*</code>, <code>fct_*</code> and <code>dim_*</code> are the public "
              "contract: their columns change only with notice.</p>",
              "<table><thead><tr><th>table</th><th>rows</th><th>what it is</th></tr></thead><tbody>"]
    for t in d.public:
        parts.append(f'<tr><td><a href="#{_h(t.name)}">{_h(t.name)}</a></td>'
                     f'<td class="num">{t.rows:,}</td><td>{_h(t.description)}</td></tr>')
    parts.append("</tbody></table>")
    for t in d.public:
        parts += [f'<h3 id="{_h(t.name)}">{_h(t.name)}</h3>', f"<p>{_h(t.description)}</p><ul>"]
        if t.grain:
            parts.append(f"<li><strong>Grain:</strong> {_h(t.grain)}</li>")
        if t.keys:
            parts.append(f"<li><strong>Keys:</strong> {', '.join(f'<code>{_h(k)}</code>' for k in t.keys)}</li>")
        parts.append(f"<li><strong>Rows:</strong> {t.rows:,}</li>")
        used = queries_using(t.name, d.queries)
        if used:
            parts.append(f"<li><strong>Saved queries:</strong> {', '.join(f'<code>{_h(q)}</code>' for q in used)}</li>")
        parts.append("</ul><table><thead><tr><th>column</th><th>type</th><th>description</th></tr></thead><tbody>")
        for c in t.columns:
            parts.append(f"<tr><td><code>{_h(c.name)}</code></td><td>{_h(c.type)}</td><td>{_h(c.description)}</td></tr>")
        parts.append(f"</tbody></table><p>Example:</p><pre>{_h(example_query(t))}</pre>")
    parts += ["<h2>Saved queries</h2>",
              "<table><thead><tr><th>query</th><th>what it answers</th><th>parameters</th></tr></thead><tbody>"]
    for q in d.queries:
        parts.append(f"<tr><td><code>{_h(q.name)}</code></td><td>{_h(q.description)}</td>"
                     f"<td>{_h(q.signature or 'none')}</td></tr>")
    parts += ["</tbody></table>", "<h2>The load log's counts</h2>", "<ul>"]
    parts += [f"<li><code>{_h(name)}</code>: {_h(text)}</li>" for name, text in LOAD_LOG_COUNTS]
    parts += ["</ul>", "<h2>Internal tables</h2>",
              "<p>Loading, staging and reference tables the pipeline uses (<code>raw_*</code>, <code>stg_*</code>, "
              "<code>ref_*</code>, load log, quarantine, data-quality results). They may change without notice.</p>",
              "<table><thead><tr><th>table</th><th>rows</th><th>columns</th></tr></thead><tbody>"]
    for t in d.internal:
        parts.append(f'<tr><td>{_h(t.name)}</td><td class="num">{t.rows:,}</td>'
                     f"<td>{_h(', '.join(c.name for c in t.columns))}</td></tr>")
    parts += ["</tbody></table>", "</body></html>"]
    return "\n".join(parts) + "\n"


def write_dictionary(con: duckdb.DuckDBPyConnection, out_dir: Path,
                     view_rows: dict[str, int] | None = None) -> tuple[Path, Path]:
    """Write dictionary.md and dictionary.html for the connected warehouse into out_dir
    (`view_rows`: views whose row count is known, see `catalog`)."""
    d = read_dictionary(con, view_rows)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md, page = out_dir / "dictionary.md", out_dir / "dictionary.html"
    write_text_atomically(md, render_markdown(d))
    write_text_atomically(page, render_html(d))
    return md, page
