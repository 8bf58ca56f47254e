"""Analysts' access to the warehouse: the published, read-only copy, from Python.

    from analyst.access import connect, frame, query

    df = frame("SELECT partner_id, sum(spend) AS spend FROM rpt_mh_spend WHERE fy = $fy GROUP BY 1",
               {"fy": "2025-26"})                      # a polars DataFrame
    df = query("vcse_crisis_income")                    # a saved query (sql/queries/*.sql)
    con = connect()                                     # a read-only DuckDB connection

Everything here reads `<home>/published/openbook.duckdb`, the copy the pipeline publishes
after each successful open-book run (analyst/publish.py), never the pipeline's own
warehouse: an analyst's open session can never block a run, and a run never changes the
figures under an open session.

Each `connect()` opens the copy as it is at that moment, read-only. It is attached
(`ATTACH ... (READ_ONLY)`) into a fresh in-memory DuckDB rather than opened with
`duckdb.connect(path, read_only=True)`, because DuckDB caches open databases by path within
a process: while any old connection was open, a "new" one would silently share the old
file and show the figures of the previous publish. The effect is the same read-only mode
(statements that write fail), with the catalog named `openbook` as before.
"""
from __future__ import annotations

import difflib
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import duckdb

from warehouse.settings import Paths
from warehouse.sql_files import quote_ident

QUERIES_DIR = Path(__file__).resolve().parent.parent / "sql" / "queries"
PUBLIC_PREFIXES = ("rpt_", "fct_", "dim_")
CATALOG = "openbook"
READ_ONLY_HINT = "write your results to a file with -o instead (e.g. openbook sql -c \"SELECT ...\" -o result.xlsx)"


class NotPublishedError(FileNotFoundError):
    """There is no published copy yet."""


class ReadOnlyError(duckdb.InvalidInputException):
    """A statement tried to write: the analysts' warehouse is read-only."""


class QueryError(ValueError):
    """A saved query does not exist, or its parameters are wrong."""


# ---------------------------------------------------------------------------
# Connections
def paths_for(home: str | Path | None = None) -> Paths:
    return Paths(Path(home).resolve()) if home is not None else Paths.from_env()


def published_path(home: str | Path | None = None) -> Path:
    return paths_for(home).published


def connect(home: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse of `home` (default $OPENBOOK_HOME)."""
    path = published_path(home)
    if not path.is_file():
        raise NotPublishedError(
            f"no published warehouse at {path}: run `make demo` or `openbook run` first")
    con = duckdb.connect(":memory:")
    try:
        # ATTACH takes no bound parameters; the path is quoted as a SQL string literal.
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"ATTACH {literal} AS {CATALOG} (READ_ONLY)")
        con.execute(f"USE {CATALOG}")
        con.execute("DETACH memory")   # nothing writable is left but TEMP objects
    except BaseException:
        con.close()
        raise
    return con


# ---------------------------------------------------------------------------
# Read-only guard
# Statements that would reach outside the session: DuckDB itself refuses every write to
# the read-only catalog (INSERT, CREATE, DROP ...; TEMP tables stay allowed), but these
# would write files, attach the pipeline's live warehouse (a reader there blocks its
# writer) or change extensions.
_BLOCKED = {
    duckdb.StatementType.COPY: "COPY writes files from inside the database",
    duckdb.StatementType.COPY_DATABASE: "COPY FROM DATABASE writes another database",
    duckdb.StatementType.EXPORT: "EXPORT DATABASE writes files",
    duckdb.StatementType.ATTACH: "ATTACH opens another database (attaching the pipeline's warehouse would block its runs)",
    duckdb.StatementType.DETACH: "DETACH would close the warehouse",
    duckdb.StatementType.LOAD: "INSTALL and LOAD change DuckDB extensions",
    duckdb.StatementType.VACUUM: "VACUUM writes the database",
}


def read_only_message(what: str) -> str:
    return f"the analysts' warehouse is read-only: {what}; {READ_ONLY_HINT}"


def statements(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    """The statements of `sql` (DuckDB's own parser), refusing any that would write."""
    parsed = con.extract_statements(sql)
    for statement in parsed:
        reason = _BLOCKED.get(statement.type)
        if reason:
            raise ReadOnlyError(read_only_message(reason))
    return parsed


def friendly_error(exc: BaseException) -> str:
    """The message for a user: DuckDB's read-only refusal rewritten, others as DuckDB says."""
    text = str(exc).strip()
    if isinstance(exc, ReadOnlyError):
        return text
    match = re.search(r'Cannot execute statement of type "([^"]+)" on database "[^"]*" which is attached in read-only mode', text)
    if match or "read-only mode" in text:
        kind = match.group(1) if match else "this statement"
        return read_only_message(f"{kind} statements cannot change it")
    view = re.search(r"Can only (update|delete from|insert into) base table", text)
    if view:  # fct_ledger and fct_drilldown are views: DuckDB says so before it says read-only
        return read_only_message(f"{view.group(1).split()[0].upper()} statements cannot change it (and this is a view)")
    return text


# DuckDB's Python client imports pandas (about 3 s) the first time it binds a parameter, to
# check for pandas values. The CLI binds only text, so it sets this to skip that import;
# the Python API leaves it alone (a notebook has usually imported pandas anyway).
SKIP_PANDAS_IMPORT = False


@contextmanager
def _pandas_import_skipped():
    if not SKIP_PANDAS_IMPORT or "pandas" in sys.modules:
        yield
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]  # makes `import pandas` fail fast
    try:
        yield
    finally:
        if sys.modules.get("pandas", 0) is None:
            del sys.modules["pandas"]


def execute(con: duckdb.DuckDBPyConnection, statement, params: dict | list | None = None):
    """Run one parsed statement, binding only the named parameters it mentions.

    The parsed statement itself is executed, never its text: some statements DuckDB
    rewrites into several (PIVOT without an IN list becomes a CREATE TYPE of the pivot
    values plus the SELECT), and those carry no text of their own (`.query` is empty).
    """
    query = statement
    try:
        if isinstance(params, dict):
            wanted = set(getattr(statement, "named_parameters", set()) or set())
            missing = wanted - params.keys()
            if missing:
                raise QueryError(f"SQL parameter(s) {sorted(missing)} not supplied")
            bound = {k: params[k] for k in wanted}
            if not bound:
                return con.execute(query)
            with _pandas_import_skipped():
                return con.execute(query, bound)
        if params:
            with _pandas_import_skipped():
                return con.execute(query, list(params))
        return con.execute(query)
    except duckdb.Error as exc:
        message = friendly_error(exc)
        if message != str(exc).strip():
            raise ReadOnlyError(message) from exc
        raise


def run(con: duckdb.DuckDBPyConnection, sql: str, params: dict | list | None = None):
    """Run every statement of `sql` (read-only guard first); returns the last result."""
    result = None
    for statement in statements(con, sql):
        result = execute(con, statement, params)
    return result


def frame(sql: str, params: dict | list | None = None, home: str | Path | None = None):
    """The result of `sql` on the published warehouse as a polars DataFrame.

    Parameters are bound, never formatted: `$name` with a dict, `?` with a list.
    """
    con = connect(home)
    try:
        result = run(con, sql, params)
        if result is None or result.description is None:
            raise QueryError("the SQL returned no result set (it must end with a query)")
        return result.pl()
    finally:
        con.close()


# ---------------------------------------------------------------------------
# What is in the warehouse
@dataclass
class Column:
    name: str
    type: str
    description: str


@dataclass
class TableInfo:
    name: str
    kind: str                 # "table" or "view"
    comment: str
    rows: int | None
    columns: list[Column] = field(default_factory=list)

    @property
    def public(self) -> bool:
        return is_public(self.name)

    @property
    def description(self) -> str:
        return split_comment(self.comment)[0]

    @property
    def grain(self) -> str:
        return split_comment(self.comment)[1]

    @property
    def keys(self) -> list[str]:
        return split_comment(self.comment)[2]


def is_public(name: str) -> bool:
    return name.startswith(PUBLIC_PREFIXES)


def split_comment(comment: str | None) -> tuple[str, str, list[str]]:
    """'<description>. Grain: <grain>. Keys: a, b.' (see sql_docs.ModelDoc.table_comment)."""
    text = (comment or "").strip()
    keys: list[str] = []
    grain = ""
    if " Keys: " in f" {text}":
        text, _, key_text = f" {text}".rpartition(" Keys: ")
        keys = [k.strip() for k in key_text.rstrip(".").split(",") if k.strip()]
        text = text.strip()
    if " Grain: " in f" {text}":
        text, _, grain = f" {text}".rpartition(" Grain: ")
        text, grain = text.strip(), grain.strip()
    return text, grain, keys


def catalog(con: duckdb.DuckDBPyConnection, *, row_counts: bool = True,
            view_rows: dict[str, int] | None = None) -> list[TableInfo]:
    """Every table and view of the connected database, public (rpt_/fct_/dim_) first. `view_rows`:
    views whose row count is already known (counting a view computes it)."""
    db = con.execute("SELECT current_database()").fetchone()[0]
    objects = con.execute("""
        SELECT table_name, 'table' AS kind, coalesce(comment, '') FROM duckdb_tables()
        WHERE database_name = $db AND schema_name = 'main' AND NOT internal AND NOT temporary
        UNION ALL
        SELECT view_name, 'view', coalesce(comment, '') FROM duckdb_views()
        WHERE database_name = $db AND schema_name = 'main' AND NOT internal AND NOT temporary
        ORDER BY 1""", {"db": db}).fetchall()
    columns: dict[str, list[Column]] = {}
    for table, name, dtype, comment in con.execute("""
            SELECT table_name, column_name, data_type, coalesce(comment, '') FROM duckdb_columns()
            WHERE database_name = $db AND schema_name = 'main'
            ORDER BY table_name, column_index""", {"db": db}).fetchall():
        columns.setdefault(table, []).append(Column(name, dtype, comment.strip()))
    infos = []
    for name, kind, comment in objects:
        rows = None
        if row_counts and kind == "view" and name in (view_rows or {}):
            rows = view_rows[name]
        elif row_counts:
            rows = con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()[0]
        infos.append(TableInfo(name, kind, comment.strip(), rows, columns.get(name, [])))
    return sorted(infos, key=lambda t: (not t.public, t.name))


def missing_descriptions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Public tables and columns without a description: 'table' or 'table.column'."""
    missing = []
    for table in catalog(con, row_counts=False):
        if not table.public:
            continue
        if not table.description:
            missing.append(table.name)
        missing.extend(f"{table.name}.{c.name}" for c in table.columns if not c.description)
    return missing


def public_contract(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The public surface, one 'table.column TYPE' line each, sorted."""
    return sorted(f"{t.name}.{c.name} {c.type}" for t in catalog(con, row_counts=False) if t.public
                  for c in t.columns)


def publish_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """When the connected copy was published and from which run (None if not stamped)."""
    exists = con.execute("""SELECT count(*) FROM duckdb_tables()
        WHERE database_name = current_database() AND table_name = 'publish_info'""").fetchone()[0]
    if not exists:
        return None
    cur = con.execute("SELECT * FROM publish_info")
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row))


# ---------------------------------------------------------------------------
# Saved queries: sql/queries/<name>.sql
#
#   -- <name>: <what it answers, may run over several lines>
#   -- params: period (YYYY-MM, default: latest), service_line (default: crisis_house)
#   -- example: openbook query <name> --period 2025-06
#   SELECT ... WHERE period = coalesce($period, ...) AND service_line = $service_line
#
# A default written as a value is bound as that text. A default in words (latest, all) is
# bound as NULL and the query works it out (`coalesce($period, <the latest period>)`,
# `$partner_id IS NULL OR partner_id = $partner_id`); passing `latest` or `all` does the same.
# Values are always bound as text; the SQL casts (`$top::INTEGER`).
NULL_WORDS = {"latest", "all", "any"}
# What a parameter's value must be one of, by parameter name: the values the warehouse holds
# (a value it does not hold would answer with nothing, or with zeros, and exit 0). A query
# may accept more words than the warehouse holds: `also: mhis` in the parameter's note.
KNOWN_VALUES = {
    "partner_id": "SELECT partner_id FROM dim_partner",
    "service_line": "SELECT service_line FROM dim_service_line",
    "ics_id": "SELECT DISTINCT ics_id FROM dim_place",
    "place_id": "SELECT DISTINCT place_id FROM dim_place",
    "icb_id": "SELECT DISTINCT icb_id FROM rpt_mhis",
    "commissioner_id": "SELECT DISTINCT commissioner_id FROM rpt_contracts",
    "measure_id": "SELECT DISTINCT measure_id FROM rpt_variation",
    "fy": "SELECT DISTINCT fy FROM rpt_mh_spend",
    "period": "SELECT DISTINCT period FROM rpt_mh_spend",
}
_PARAM_DECL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^()]*)\))?")
_FORMATS = {
    "YYYY-MM": (re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"), "a month written YYYY-MM, e.g. 2025-06"),
    "YYYY-YY": (re.compile(r"^\d{4}-\d{2}$"), "a financial year written YYYY-YY, e.g. 2025-26"),
    "number": (re.compile(r"^\d+$"), "a whole number"),
}


@dataclass
class Param:
    name: str
    note: str = ""
    default: str | None = None
    required: bool = False
    also: tuple[str, ...] = ()      # words accepted besides the warehouse's values (`also: mhis`)

    @property
    def value_format(self) -> str | None:
        for key in _FORMATS:
            if key in self.note:
                return key
        return None

    def bind(self, value: str | None) -> str | None:
        if value is None:
            value = self.default
        if value is None:
            if self.required:
                raise QueryError(f"--{self.name} is required")
            return None
        value = str(value).strip()
        if value.lower() in NULL_WORDS:
            # a default in words ("latest", "all") is worked out by the query from NULL;
            # another such word would silently mean the default, so it is refused
            if self.default is not None and value.lower() == self.default.lower():
                return None
            allowed = f"or {self.default}" if self.default and self.default.lower() in NULL_WORDS else ""
            raise QueryError(f"--{self.name} {value!r} is not a value here: give {self.note or 'a value'} {allowed}".strip())
        fmt = self.value_format
        if fmt and not _FORMATS[fmt][0].match(value):
            raise QueryError(f"--{self.name} must be {_FORMATS[fmt][1]}, got {value!r}")
        return value


@dataclass
class SavedQuery:
    name: str
    description: str
    params: list[Param]
    sql: str
    path: Path
    example: str = ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def check_known(self, con: duckdb.DuckDBPyConnection, bound: dict[str, str | None]) -> None:
        """Refuse a value the warehouse does not hold (KNOWN_VALUES), naming close matches."""
        for p in self.params:
            value, sql = bound.get(p.name), KNOWN_VALUES.get(p.name)
            if value is None or sql is None or value in p.also:
                continue
            known = sorted({str(r[0]) for r in con.execute(sql).fetchall() if r[0] is not None} | set(p.also))
            if value in known:
                continue
            close = difflib.get_close_matches(value, known, n=5, cutoff=0.5)
            if not close:
                close = [k for k in known if value.lower() in k.lower() or k.lower() in value.lower()][:5]
            hint = (f"close matches: {', '.join(close)}" if close else
                    f"known values: {', '.join(known[:12])}{' ...' if len(known) > 12 else ''}")
            raise QueryError(f"--{p.name} {value!r} is not a {p.name} in the warehouse ({len(known)} known); {hint}")

    def bind(self, values: dict[str, Any] | None = None) -> dict[str, str | None]:
        values = {k.replace("-", "_"): v for k, v in (values or {}).items()}
        unknown = sorted(set(values) - {p.name for p in self.params})
        if unknown:
            known = ", ".join(p.name for p in self.params) or "none"
            raise QueryError(f"query {self.name} has no parameter {', '.join(unknown)} (its parameters: {known})")
        return {p.name: p.bind(values.get(p.name)) for p in self.params}

    @property
    def signature(self) -> str:
        parts = []
        for p in self.params:
            default = "required" if p.required else f"default: {p.default}"
            parts.append(f"--{p.name} ({p.note + ', ' if p.note else ''}{default})")
        return " ".join(parts)


def parse_saved_query(text: str, name: str, path: Path | None = None) -> SavedQuery:
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line[2:].strip())
    if not header or not header[0].lower().startswith(f"{name.lower()}:"):
        raise QueryError(f"sql/queries/{name}.sql must start with '-- {name}: <what it answers>'")
    description = header[0].split(":", 1)[1].strip()
    params_text, example, section = "", "", "description"
    for line in header[1:]:
        lowered = line.lower()
        if lowered.startswith("params:"):
            params_text, section = line[7:].strip(), "params"
        elif lowered.startswith("example:"):
            example, section = line[8:].strip(), "example"
        elif section == "description" and line:
            description += " " + line
        elif section == "params" and line:
            params_text += " " + line
        elif section == "example" and line:
            example += " " + line
    params = []
    if params_text and params_text.lower() not in {"none", "none."}:
        for match in _PARAM_DECL.finditer(params_text):
            pname, inside = match.group(1), (match.group(2) or "").strip()
            default = None
            note = inside
            found = re.search(r"(?:^|[,;]\s*)default:?\s*(.+)$", inside)
            if found:
                default = found.group(1).strip().strip("'\"")
                note = inside[:found.start()].strip(" ,;")
            also = re.search(r"(?:^|[,;]\s*)also:\s*([\w ]+?)\s*(?=[,;]|$)", note)
            words = tuple(also.group(1).split()) if also else ()
            params.append(Param(pname, note, default, required=default is None, also=words))
    return SavedQuery(name, description, params, text, path or QUERIES_DIR / f"{name}.sql", example)


def saved_queries(queries_dir: Path = QUERIES_DIR) -> dict[str, SavedQuery]:
    """Every saved query, by name."""
    return {p.stem: parse_saved_query(p.read_text(encoding="utf-8"), p.stem, p)
            for p in sorted(Path(queries_dir).glob("*.sql"))}


def saved_query(name: str, queries_dir: Path = QUERIES_DIR) -> SavedQuery:
    if not re.fullmatch(r"[A-Za-z0-9_]+", name or ""):
        raise QueryError(f"not a query name: {name!r}")
    path = Path(queries_dir) / f"{name}.sql"
    if not path.is_file():
        names = ", ".join(saved_queries(queries_dir)) or "none"
        raise QueryError(f"no saved query {name!r} (saved queries: {names}; see `openbook query --list`)")
    return parse_saved_query(path.read_text(encoding="utf-8"), name, path)


def run_saved(con: duckdb.DuckDBPyConnection, name: str | SavedQuery, values: dict[str, Any] | None = None):
    """Run a saved query with its parameters bound and checked; returns the DuckDB result."""
    q = name if isinstance(name, SavedQuery) else saved_query(name)
    bound = q.bind(values)
    q.check_known(con, bound)
    return run(con, q.sql, bound)


def query(name: str, params: dict[str, Any] | None = None, home: str | Path | None = None, **kwargs):
    """A saved query's result as a polars DataFrame: query("top_suppliers", fy="2025-26")."""
    con = connect(home)
    try:
        return run_saved(con, name, {**(params or {}), **kwargs}).pl()
    finally:
        con.close()


def queries_using(table: str, queries: Iterable[SavedQuery]) -> list[str]:
    pattern = re.compile(rf"\b{re.escape(table)}\b")
    return [q.name for q in queries if pattern.search(q.sql)]
