"""The scale-out path: the same staging, writing partner-period partitions into a DuckLake.

One DuckDB file allows one writer process (warehouse/connection.py), so the single-file
warehouse loads partitions one after another. A DuckLake keeps the data as Parquet files
under a data path and the table metadata (snapshots, file lists, statistics) in a catalog
database; many processes, on one machine or many, can load partitions into it:

    lake = Lake(catalog="/srv/lake/openbook.ducklake", data_path="/srv/lake/data")
    create_lake_tables(lake)                       # once
    publish_reference(lake, paths.reference)       # when reference data changes
    load_partitions(lake, [[InboxFile, ...], ...]) # a batch of partner-periods, in any process
    load_concurrently(lake, partitions, processes=4)  # or: worker processes on this machine
    con = open_book(lake)                          # marts and rpt_ tables, by the project's SQL

A batch load does its heavy work (parse_submission, the project's
sql/staging/stg_ledger.sql, the stg_ledger expectation suite through the SQL runner) in
in-memory staging databases of its own, with no lock held; then one DuckLake transaction
swaps every partner-period of the batch in (delete the old rows of reloaded partitions,
supersede their load_log entries, one INSERT per table for the new rows). Writers that
meet a locked catalog or a commit conflict back off and retry (`LakeBusy` when they give
up).

Catalogs: a path (`*.ducklake`) is a DuckDB catalog file. DuckDB locks that file while
it is attached, so writers on one host take turns for the short commit (a lock file
beside the catalog queues them instead of spinning). In production the catalog is a
PostgreSQL database (`catalog="postgres:dbname=... host=..."`, DuckDB's postgres
extension beside ducklake) and the data path is object storage (s3://...): commits are
then PostgreSQL transactions, no file lock is taken, and conflicting commits are retried.

Extensions are LOADed from the installed duckdb-ext-* wheels, never downloaded.
Nothing here runs at import time.
"""
from __future__ import annotations

import fcntl
import itertools
import os
import platform
import random
import re
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Iterator, Sequence

import duckdb

from assets.ingest.last_good import rejection_message
from assets.ingest.reference_files import reference_file
from assets.quality.staging_policy import validate_staging, write_source_checks
from warehouse.sql_files import SQL_DIR, insert_rows, run_sql, sql_text, statements, transaction

LAKE = "lake"  # the name the lake is attached under
# The ingest tables (sql/staging/create_tables.sql), in the lake. Partitioned tables are
# laid out by period then partner, so a partner-period swap touches its own files only.
LEDGER_TABLES = ("load_log", "raw_ledger", "quarantine", "skipped_rows", "stg_ledger", "dq_results")
PARTITIONED = ("raw_ledger", "quarantine", "skipped_rows", "stg_ledger")
# What a locked catalog file, a locked/serialisation-failed PostgreSQL catalog or a
# DuckLake commit that lost a race says; anything else is a real error and is raised.
_BUSY = re.compile(r"conflicting lock|could not set lock|conflict|database is locked|could not serialize",
                   re.IGNORECASE)


class LakeBusy(RuntimeError):
    """The catalog stayed locked, or the commit kept conflicting, past the retry budget."""


# --------------------------------------------------------------------------- extension


def extension_path(name: str = "ducklake") -> Path:
    """The .duckdb_extension file of the installed duckdb-ext-<name> wheel for this
    DuckDB version and platform (the wheels exist for DuckDB 1.4.4)."""
    version = f"v{duckdb.__version__}"
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    wanted = f"duckdb_ext/extensions/{version}/{platform.system().lower()}_{machine}/{name}.duckdb_extension"
    try:
        dist = metadata.distribution(f"duckdb-ext-{name}")
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(f"the {name} extension is not installed (pip package duckdb-ext-{name})") from None
    for file in dist.files or []:
        if file.as_posix() == wanted:
            path = Path(dist.locate_file(file))
            if path.is_file():
                return path
    raise FileNotFoundError(f"duckdb-ext-{name} has no {wanted} for DuckDB {duckdb.__version__}")


def load_extension(con: duckdb.DuckDBPyConnection, name: str = "ducklake") -> None:
    """LOAD the extension into the connection's database, unless it is loaded already
    (a LOAD costs ~0.2 s: once per process, not once per partition)."""
    row = con.execute("SELECT loaded FROM duckdb_extensions() WHERE extension_name = $n", {"n": name}).fetchone()
    if row and row[0]:
        return
    # A file path cannot be a bound parameter of LOAD; it comes from the installed wheel.
    con.execute(f"LOAD '{_sql_string(str(extension_path(name)))}'")


_PROCESS: dict[str, duckdb.DuckDBPyConnection] = {}


def process_connection() -> duckdb.DuckDBPyConnection:
    """A cursor on this process's one in-memory DuckDB, with the extension loaded. Each
    partition load stages in a database of its own attached to it (see load_file)."""
    con = _PROCESS.get("con")
    if con is None:
        con = _PROCESS["con"] = duckdb.connect()
        load_extension(con)
    return con.cursor()


def _sql_string(text: str) -> str:
    return text.replace("'", "''")


# --------------------------------------------------------------------------- the lake


@dataclass(frozen=True)
class Lake:
    """Where a DuckLake is: its catalog (a file path, or `postgres:<dsn>` / `sqlite:<path>`)
    and its data path (a folder or an object-store URL)."""

    catalog: str
    data_path: str
    retries: int = 200  # attempts at a busy catalog or a conflicting commit
    max_wait: float = 120.0  # seconds, over all attempts
    # Inserts up to this many rows are kept in the catalog, not written as Parquet files:
    # load_log and dq_results rows, small quarantines, the VCSE partners' few lines.
    inline_rows: int = 1000

    @property
    def is_file_catalog(self) -> bool:
        return ":" not in self.catalog.split("/")[0]

    @property
    def lock_path(self) -> Path | None:
        return Path(self.catalog + ".lock") if self.is_file_catalog else None

    def attach(self, con: duckdb.DuckDBPyConnection, read_only: bool = False) -> None:
        load_extension(con)
        if self.catalog.startswith("postgres:"):
            load_extension(con, "postgres")
        if self.is_file_catalog:
            Path(self.catalog).parent.mkdir(parents=True, exist_ok=True)
        if "://" not in self.data_path:
            Path(self.data_path).mkdir(parents=True, exist_ok=True)
        options = [f"DATA_PATH '{_sql_string(self.data_path)}'"]
        options.append("READ_ONLY" if read_only else f"DATA_INLINING_ROW_LIMIT {int(self.inline_rows)}")
        con.execute(f"ATTACH 'ducklake:{_sql_string(self.catalog)}' AS {LAKE} ({', '.join(options)})")

    @contextmanager
    def session(self, con: duckdb.DuckDBPyConnection | None = None, read_only: bool = False,
                stats: dict | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """The lake attached to `con` (a cursor on this process's connection if none) for
        the length of the block, then detached so other processes can have it. Attaching
        waits its turn (lock file for a file catalog) and retries while the catalog is busy."""
        own = con is None
        con = con or process_connection()
        try:
            with self._turn(read_only):
                _retry(lambda: self.attach(con, read_only), self, stats)
                try:
                    yield con
                finally:
                    con.execute(f"DETACH {LAKE}")
        finally:
            if own:
                con.close()

    def _turn(self, read_only: bool):
        if self.lock_path is None:
            return nullcontext()
        return _file_lock(self.lock_path, shared=read_only)

    def write(self, con: duckdb.DuckDBPyConnection, work, stats: dict | None = None):
        """Run work(con) in one lake transaction, retrying the whole of it on a busy
        catalog or a commit conflict. work must be repeatable (read, then write)."""

        def attempt():
            with self.session(con, stats=stats), transaction(con):
                return work(con)

        return _retry(attempt, self, stats)


@contextmanager
def _file_lock(path: Path, shared: bool) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _retry(fn, lake: Lake, stats: dict | None):
    """fn(), again after a jittered back-off while the error says the catalog is busy or
    the commit conflicted (another process got there first)."""
    started = time.monotonic()
    for attempt in range(1, lake.retries + 1):
        try:
            return fn()
        except duckdb.Error as error:
            if not _BUSY.search(str(error)):
                raise
            if stats is not None:
                stats["retries"] = stats.get("retries", 0) + 1
            if attempt == lake.retries or time.monotonic() - started > lake.max_wait:
                raise LakeBusy(f"{lake.catalog}: still busy after {attempt} attempts ({_first_line(error)})") from error
            time.sleep(min(2.0, 0.02 * 2 ** min(attempt, 7)) * (0.5 + random.random()))
    raise AssertionError("unreachable")


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --------------------------------------------------------------------------- tables


def _warehouse_columns() -> dict[str, list[tuple[str, str, bool]]]:
    """(column, type, not null) of each ingest table, read from sql/staging/create_tables.sql
    run in memory: the warehouse DDL stays the one definition. (DuckLake has no primary
    keys, so the DDL is rebuilt rather than run as written.)"""
    con = duckdb.connect()
    try:
        run_sql(con, "staging/create_tables")
        found = {}
        for table in LEDGER_TABLES:
            rows = con.execute(
                "SELECT column_name, data_type, is_nullable = 'NO' FROM information_schema.columns"
                " WHERE table_schema = 'main' AND table_name = $t ORDER BY ordinal_position", {"t": table}).fetchall()
            found[table] = rows
        return found
    finally:
        con.close()


def macro_statements() -> list[str]:
    """The shared SQL macros (fy_of, fy_month_of) from sql/staging/create_tables.sql."""
    found = []
    for statement in statements(sql_text("staging/create_tables")):
        code = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--")).strip()
        if re.match(r"(?is)^create\s+(or\s+replace\s+)?macro\b", code):
            found.append(code)
    return found


def create_lake_tables(lake: Lake) -> None:
    """The ingest tables in the lake (idempotent), partitioned by period and partner."""
    columns = _warehouse_columns()

    def work(con):
        for table in LEDGER_TABLES:
            body = ", ".join(f'"{name}" {dtype}{" NOT NULL" if not_null else ""}' for name, dtype, not_null in columns[table])
            con.execute(f"CREATE TABLE IF NOT EXISTS {LAKE}.{table} ({body})")
        return None

    con = duckdb.connect()
    try:
        lake.write(con, work)
        # Partitioning is table metadata; set outside the creating transaction.
        lake.write(con, lambda c: [c.execute(f"ALTER TABLE {LAKE}.{t} SET PARTITIONED BY (period, partner_id)")
                                   for t in PARTITIONED])
    finally:
        con.close()


def reference_tables() -> list[str]:
    """Every reference table the project loads: one sql/staging/ref_<name>.sql each."""
    return sorted(path.stem.removeprefix("ref_") for path in (SQL_DIR / "staging").glob("ref_*.sql"))


def publish_reference(lake: Lake, reference_dir: Path) -> dict[str, int]:
    """Load reference/<name>.csv with the project's sql/staging/ref_<name>.sql and replace
    the lake's ref_ tables in one transaction. Returns rows per table."""
    con = duckdb.connect()
    try:
        counts = {}
        for name in reference_tables():
            path = reference_file(Path(reference_dir), name)  # an optional table may have no file
            if not path.is_file():
                raise FileNotFoundError(f"reference file missing: {path}")
            run_sql(con, f"staging/ref_{name}", {"path": str(path)})
            counts[name] = con.execute(f"SELECT count(*) FROM memory.main.ref_{name}").fetchone()[0]

        def work(c):
            for name in counts:
                c.execute(f"CREATE OR REPLACE TABLE {LAKE}.ref_{name} AS SELECT * FROM memory.main.ref_{name}")

        lake.write(con, work)
        return counts
    finally:
        con.close()


# --------------------------------------------------------------------------- one partition


@dataclass
class PartitionLoad:
    """What loading one file of a partner-period did, and how long each part took."""

    source_file: str
    partner_id: str | None
    period: str | None
    status: str  # loaded | unchanged | failed
    load_id: str | None = None
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    rows_skipped: int = 0
    checks_failed: int = 0
    message: str | None = None
    pid: int = 0
    started: float = 0.0  # time.time() at start and end, to see loads overlap
    finished: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)  # parse, stage, check, commit
    retries: int = 0


def load_partition(lake: Lake, files: Sequence, run_id: str | None = None) -> list[PartitionLoad]:
    """Load one partner-period's files (assets.ingest.submissions.InboxFile); see
    load_partitions. Safe to call from many processes at once."""
    return load_partitions(lake, [files], run_id)


def load_concurrently(lake: Lake, partitions: Sequence[Sequence], processes: int = 2, run_id: str | None = None,
                      batch_bytes: int = 32 << 20, batch_partitions: int = 24) -> list[PartitionLoad]:
    """Load partner-periods (each a list of its InboxFiles) with `processes` worker
    processes at once. The partitions are dealt into batches of about `batch_bytes` of
    files (at least one batch per process), biggest first, and each batch is one
    load_partitions call: one read of the lake and one commit. What a Dagster run worker
    per batch of partitions does, on one machine. Workers are spawned, not forked: a fork
    would copy DuckDB's and polars' thread pools mid-flight."""
    import math
    import multiprocessing

    sized = sorted(((sum(f.path.stat().st_size for f in group), list(group)) for group in partitions),
                   key=lambda pair: -pair[0])
    total = sum(size for size, _ in sized)
    count = max(processes, math.ceil(total / batch_bytes), math.ceil(len(sized) / batch_partitions))
    batches: list[tuple[int, list]] = [(0, []) for _ in range(min(count, len(sized)) or 1)]
    for size, group in sized:  # each to the lightest batch so far
        lightest = min(range(len(batches)), key=lambda i: batches[i][0])
        batches[lightest] = (batches[lightest][0] + size, batches[lightest][1] + [group])
    tasks = [(lake, groups, run_id) for _, groups in batches if groups]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        loads = pool.map(_load_batch, tasks, chunksize=1)
    return [load for batch in loads for load in batch]


def _load_batch(task) -> list[PartitionLoad]:
    lake, groups, run_id = task
    return load_partitions(lake, groups, run_id)


@dataclass
class _Version:
    """One file of a partition as it will appear in load_log, and its staged rows."""

    item: object
    sha: str
    out: PartitionLoad
    status: str  # current | superseded | failed | rejected (blocked; the last good stays) | unchanged
    stage: str | None = None  # the staging database holding its rows (the current one only)
    parsed_counts: tuple[int, int, int, int] = (0, 0, 0, 0)  # read, loaded, quarantined, skipped
    message: str | None = None
    load_id: str | None = None


def load_partitions(lake: Lake, partitions: Sequence[Sequence], run_id: str | None = None) -> list[PartitionLoad]:
    """Load several partner-periods (each a list of its InboxFiles) into the lake with one
    read of it and one commit; safe to call from many processes at once for different
    partner-periods.

    Within a partner-period files go oldest first and the last one that parses is its
    current submission, as in the warehouse; earlier ones are logged as superseded,
    unreadable ones as failed. Files the lake already holds (same path and bytes) are not
    read again: a partition whose current submission is unchanged is left alone.

    Everything heavy (parse_submission, sql/staging/stg_ledger.sql, the stg_ledger suite)
    runs in this process's own staging databases, with no lock held; the commit is one
    lake transaction that swaps every partition of the batch at once."""
    from assets.ingest.errors import SubmissionError
    from assets.ingest.parse import parse_submission
    from assets.ingest.submissions import no_lines_message, sha256_of

    con = process_connection()
    stats: dict = {}
    versions: list[_Version] = []
    started = time.time()
    try:
        clock = time.perf_counter()
        with lake.session(con, read_only=True, stats=stats):
            # rejected bytes are not read again, as in the warehouse (a corrected file is)
            logged = {(p, m, f, sha): status for p, m, f, sha, status in con.execute(
                f"SELECT partner_id, period, source_file, sha256, status FROM {LAKE}.load_log"
                " WHERE status IN ('current', 'superseded', 'rejected')").fetchall()}
            # the partitions whose current submission passed its blocking checks: the last good one,
            # which a blocked resubmission does not replace
            good = {(p, m): load_id for p, m, load_id in con.execute(
                f"SELECT partner_id, period, load_id FROM {LAKE}.load_log l WHERE status = 'current'"
                f" AND NOT EXISTS (SELECT 1 FROM {LAKE}.dq_results d WHERE d.load_id = l.load_id"
                "                  AND d.severity = 'ERROR' AND NOT d.passed)").fetchall()}
            references = {name: con.execute(f"SELECT * FROM {LAKE}.ref_{name}").fetch_arrow_table()
                          for name in ("cost_centre_map", "mapping_rules", "partner_aliases", "service_lines")}
        read_seconds = time.perf_counter() - clock

        for files in partitions:
            for item in sorted(files, key=lambda f: (f.modified, f.path.name)):
                period = item.periods[0] if len(item.periods) == 1 else None
                out = PartitionLoad(str(item.path), item.partner_id, period, "failed", pid=os.getpid(),
                                    started=started)
                out.seconds["read_lake"] = read_seconds / max(1, sum(len(g) for g in partitions))
                error = item.error  # looked at first: a refused entry (a link, say) is never read
                sha = sha256_of(item.path) if error is None else ""
                if error is None and len(item.periods) > 1:
                    error = (f"{item.path.name}: covers {len(item.periods)} months; the lake loader loads "
                             "one-month files only (load it with openbook run)")
                if error is not None:
                    out.message = error
                    versions.append(_Version(item, sha, out, "failed", message=error))
                    continue
                if (item.partner_id, period, str(item.path), sha) in logged:
                    out.status = "unchanged"
                    versions.append(_Version(item, sha, out, "unchanged"))
                    continue
                clock = time.perf_counter()
                try:
                    parsed = parse_submission(item.path, item.config)
                except SubmissionError as exc:
                    out.message = str(exc)
                    versions.append(_Version(item, sha, out, "failed", message=str(exc)))
                    continue
                out.seconds["parse"] = time.perf_counter() - clock
                counts = (parsed.rows_read, parsed.lines.height, parsed.quarantine.height, parsed.skipped.height)
                if parsed.lines.height == 0:  # loading it would replace the last good submission with nothing
                    out.message = no_lines_message(item.path, parsed)
                    versions.append(_Version(item, sha, out, "failed", parsed_counts=counts, message=out.message))
                    continue
                version = _Version(item, sha, out, "current", parsed_counts=counts)
                version.stage = _stage_file(con, item, parsed, references, out)
                earlier = next((v for v in versions if v.status == "current" and v.out.partner_id == item.partner_id
                                and v.out.period == period), None)
                if earlier is not None:  # this batch's own current file of the partition, if it passed
                    last_good = None if earlier.out.checks_failed else earlier.item.path.name
                else:
                    last_good = good.get((item.partner_id, period))
                    last_good = last_good and f"load {last_good}"
                if out.checks_failed and last_good:
                    # blocked: recorded as rejected, with why; the last good submission stays
                    version.status = "rejected"
                    version.message = _rejection(con, version, last_good)
                    out.message = version.message
                    _drop_stage(con, version)
                elif earlier is not None:  # a newer file of the same partition supersedes this one
                    earlier.status = "superseded"
                    _drop_stage(con, earlier)
                versions.append(version)

        clock = time.perf_counter()
        if any(v.status in ("current", "superseded", "failed", "rejected") for v in versions):
            lake.write(con, lambda c: _commit_batch(c, versions, run_id), stats)
        commit_seconds = time.perf_counter() - clock
        for v in versions:
            if v.status in ("current", "superseded"):
                v.out.status, v.out.load_id = "loaded", v.load_id
                v.out.rows_read, _, v.out.rows_quarantined, v.out.rows_skipped = v.parsed_counts
            elif v.status in ("failed", "rejected"):
                v.out.status, v.out.load_id = v.status, v.load_id
            v.out.seconds["commit"] = commit_seconds / max(1, len(versions))
        return [v.out for v in versions]
    finally:
        for v in versions:
            _drop_stage(con, v)
            v.out.retries = stats.get("retries", 0)
            v.out.finished = time.time()
        con.close()


_STAGES = itertools.count(1)


def _stage_file(con, item, parsed, references: dict, out: PartitionLoad) -> str:
    """A staging database of the file's own holding its raw, quarantined, skipped and
    staged rows and its check results, made by the project's SQL files as the warehouse
    makes them. Returns the database's name."""
    stage = f"stage_{os.getpid()}_{next(_STAGES)}"
    con.execute(f"ATTACH ':memory:' AS {stage}")
    con.execute(f"USE {stage}")  # unqualified names in the SQL files mean this database
    staged = False
    try:
        run_sql(con, "staging/create_tables")
        for name, table in references.items():
            con.register("reference_rows", table)
            con.execute(f"CREATE TABLE ref_{name} AS SELECT * FROM reference_rows")
            con.unregister("reference_rows")
        clock = time.perf_counter()
        local_id = f"{parsed.partner_id}.{parsed.period}.staged.{out.pid}"
        _stage_locally(con, item, parsed, local_id)
        out.rows_staged = con.execute("SELECT count(*) FROM stg_ledger").fetchone()[0]
        out.seconds["stage"] = time.perf_counter() - clock
        clock = time.perf_counter()
        checks = _check_locally(con, parsed.partner_id, parsed.period, local_id, item.config.checks)
        out.checks_failed = sum(1 for row in checks if row[8] is False and row[7] == "ERROR")
        out.seconds["check"] = time.perf_counter() - clock
        staged = True
    finally:
        con.execute("USE memory")
        if not staged:
            con.execute(f"DETACH {stage}")
    return stage


def _rejection(con, version: _Version, kept: str) -> str:
    """Why a blocked resubmission was not swapped in, from its own staged check results."""
    failed = con.execute(
        f"SELECT expectation, unexpected_count FROM {version.stage}.main.dq_results WHERE severity = 'ERROR'"
        " AND NOT passed ORDER BY expectation").fetchall()
    return rejection_message(failed, kept)


def _drop_stage(con, version: _Version) -> None:
    if version.stage is not None:
        con.execute(f"DETACH {version.stage}")
        version.stage = None


def _stage_locally(con, item, parsed, local_id: str) -> None:
    """raw_ledger, quarantine and skipped_rows as submissions._replace_partition writes
    them, then the project's sql/staging/stg_ledger.sql over them."""
    from assets.ingest.submissions import RAW_LEDGER_COLUMNS, RAW_LEDGER_SELECT

    ident = {"load_id": local_id, "p": parsed.partner_id, "m": parsed.period, "f": str(item.path)}
    con.register("parsed_lines", parsed.lines.to_arrow())
    con.register("parsed_quarantine", parsed.quarantine.to_arrow())
    con.register("parsed_skipped", parsed.skipped.to_arrow())
    try:
        con.execute(
            f"INSERT INTO raw_ledger ({RAW_LEDGER_COLUMNS}) {RAW_LEDGER_SELECT}", ident)
        con.execute(
            "INSERT INTO quarantine SELECT $load_id, $p, $m, $f, source_row, 'parse', field, reason_code, message,"
            " raw_record FROM parsed_quarantine", ident)
        con.execute(
            "INSERT INTO skipped_rows SELECT $load_id, $p, $m, $f, source_row, reason, raw_record FROM parsed_skipped",
            ident)
    finally:
        for view in ("parsed_lines", "parsed_quarantine", "parsed_skipped"):
            con.unregister(view)
    write_source_checks(con, {item.config.partner_id: item.config})  # its `checks:` for stg_ledger.sql
    run_sql(con, "staging/stg_ledger", {"period": parsed.period})


def _check_locally(con, partner_id: str, period: str, load_id: str, checks=None) -> list[tuple]:
    """The stg_ledger suite and the staging checks on the staged rows, as the Dagster checks
    run them; rows for dq_results land in the local dq_results table."""
    from assets.quality.submission_suite import dq_result_rows, validate_submission

    rows = []
    for outcome in (validate_submission(con, load_id, partner_id, period),
                    validate_staging(con, load_id, period, checks)):
        rows += dq_result_rows(partner_id, period, load_id, outcome, _now())
    insert_rows(con, "dq_results", rows)
    return rows


STAGED_TABLES = ("raw_ledger", "quarantine", "skipped_rows", "stg_ledger", "dq_results")


def _commit_batch(con, versions: list[_Version], run_id: str | None) -> None:
    """One lake transaction for the whole batch: for every partition with a new current
    submission, the old rows out and the old load_log entry superseded (deleted and
    re-inserted: a DuckLake UPDATE writes a Parquet file each time); then one INSERT per
    table for all the batch's new rows, and the batch's load_log entries. Each statement
    is a round trip to the catalog, so their number does not grow with the batch."""
    new = [v for v in versions if v.status in ("current", "superseded", "failed", "rejected")]
    keys = sorted({(v.out.partner_id, v.out.period) for v in new if v.out.partner_id and v.out.period})
    partners = sorted({p for p, _ in keys})
    counts = {(p, m): (n, current) for p, m, n, current in con.execute(
        f"SELECT partner_id, period, count(*), count(*) FILTER (WHERE status = 'current') FROM {LAKE}.load_log"
        " WHERE list_contains($partners, partner_id) GROUP BY ALL", {"partners": partners}).fetchall()}
    replaced = {(v.out.partner_id, v.out.period) for v in new if v.status == "current"}
    for p, m in sorted(replaced):
        if counts.get((p, m), (0, 0))[1]:  # a reload: rare, so one partition at a time
            key = {"p": p, "m": m}
            for table in ("raw_ledger", "quarantine", "skipped_rows", "stg_ledger"):
                con.execute(f"DELETE FROM {LAKE}.{table} WHERE partner_id = $p AND period = $m", key)
            where = f"FROM {LAKE}.load_log WHERE partner_id = $p AND period = $m AND status = 'current'"
            con.execute(f"CREATE OR REPLACE TEMP TABLE superseded AS"
                        f" SELECT * REPLACE ('superseded' AS status) {where}", key)
            con.execute(f"DELETE {where}", key)
            con.execute(f"INSERT INTO {LAKE}.load_log SELECT * FROM temp.main.superseded")
            con.execute("DROP TABLE temp.main.superseded")

    now = _now()
    log_rows = []
    for v in new:  # load ids numbered per partition in file order, as the warehouse numbers them
        key = (v.out.partner_id, v.out.period)
        n = counts.get(key, (0, 0))[0] + 1
        counts[key] = (n, 0)
        path = v.item.path
        if v.status == "failed":
            v.load_id = f"failed.{v.sha[:12]}.{now.strftime('%Y%m%dT%H%M%S%f')}.{n}"
            entry = path.lstat()  # the entry itself: a refused link is not followed
            log_rows.append((v.load_id, *key, str(path), v.sha, entry.st_size, _mtime(entry), None, None,
                             None, None, "failed", v.message, now, run_id))
        else:  # current, superseded, or rejected (logged with why; none of its rows go in)
            v.load_id = f"{key[0]}.{key[1]}.v{n}.{v.sha[:8]}"
            log_rows.append((v.load_id, *key, str(path), v.sha, path.stat().st_size, _mtime(path),
                             *v.parsed_counts, v.status, v.message, now, run_id))

    staged = [v for v in new if v.status == "current" and v.stage]
    for table in STAGED_TABLES:
        parts, params = [], {}
        for index, v in enumerate(staged):
            if con.execute(f"SELECT count(*) FROM {v.stage}.main.{table}").fetchone()[0]:
                parts.append(f"SELECT * REPLACE ($id{index} AS load_id) FROM {v.stage}.main.{table}")
                params[f"id{index}"] = v.load_id
        if parts:
            con.execute(f"INSERT INTO {LAKE}.{table} BY NAME " + " UNION ALL BY NAME ".join(parts), params)
    insert_rows(con, f"{LAKE}.load_log", log_rows)


# --------------------------------------------------------------------------- reading


def _model_order() -> list[tuple[str, str]]:
    """(layer, file name) of every mart and rpt_ table the lake builds, dependencies first:
    the models that are built from their SQL alone (warehouse/model_graph.py, read from the
    SQL by DuckDB's parser; rpt_variation and the flag register have Python builders of
    their own and are built by the warehouse's assets only)."""
    from warehouse.model_graph import model_graph

    return [(m.layer, m.path.stem) for m in model_graph().self_contained()]


def _report_params() -> dict:
    """The thresholds the rpt_ models bind (sql/settings.yaml), as the warehouse assets
    read them; none where the project has no such settings."""
    try:
        from warehouse.report_settings import report_params
    except ImportError:
        return {}
    return report_params()


def open_book(lake: Lake, write_back: bool = False, database: str | Path = ":memory:",
              memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection holding the marts and rpt_ tables, built by the project's own
    sql/marts and sql/reports files over the lake's staged tables (views, so DuckDB reads
    only the Parquet files and columns each query needs). The report builders take this
    connection as they take the warehouse's. With write_back, the built tables are also
    written into the lake, for other readers.

    `database` is where they are built: in memory by default (a test, a month), or a DuckDB
    file such as the analysts' published copy. At 10M ledger lines the marts hold several
    copies of the ledger, about 5 GiB in memory; a file database spills to disk and stays
    within `memory_limit`."""
    if str(database) != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(database))
    if memory_limit:
        con.execute(f"SET memory_limit = '{_sql_string(memory_limit)}'")
    here = con.execute("SELECT current_database()").fetchone()[0]
    with lake.session(con, read_only=not write_back):
        for statement in macro_statements():
            con.execute(statement)
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = $d", {"d": LAKE}).fetchall()]
        for table in tables:
            con.execute(f'CREATE OR REPLACE VIEW {here}.main."{table}" AS SELECT * FROM {LAKE}."{table}"')
        models = _model_order()
        params = _report_params()
        for layer, name in models:
            con.execute(f'DROP VIEW IF EXISTS {here}.main."{name}"')  # built here, not read from the lake
            run_sql(con, f"{layer}/{name}", params)  # each statement is given only the parameters it names
        if write_back:
            with transaction(con):
                for _, name in models:
                    con.execute(f'CREATE OR REPLACE TABLE {LAKE}."{name}" AS SELECT * FROM {here}.main."{name}"')
        # The views over the lake end with the session; the built tables stay.
        built = {name for _, name in models}
        for table in tables:
            if table not in built:
                con.execute(f'DROP VIEW {here}.main."{table}"')
    return con


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _mtime(path: Path | os.stat_result) -> datetime:
    stat = path if isinstance(path, os.stat_result) else path.stat()
    return datetime.fromtimestamp(stat.st_mtime, timezone.utc).replace(tzinfo=None)
