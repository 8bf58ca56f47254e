"""`openbook sql`: an interactive SQL shell on the analysts' read-only warehouse, and the
one-shot output of a query as an aligned text table, CSV, Parquet or Excel.

The shell reads statements ending with `;` (over as many lines as they take) and dot
commands (`.tables`, `.schema <table>`, `.queries`, `.info`, `.maxrows N`, `.help`,
`.quit`). On a terminal it has readline history (~/.openbook_history, or
`<home>/.openbook_history` when the home directory cannot be written; $OPENBOOK_HISTORY
overrides both) and tab completion of table names, column names, SQL keywords and dot
commands. With stdin from a file or a pipe it runs the same way without prompts and exits
1 if any statement failed. Errors are printed as one line, never a traceback.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

import duckdb

from pipelines import analyst
from reports.formatting import excel_text

FORMATS = ("table", "csv", "parquet", "xlsx")
BINARY_FORMATS = ("parquet", "xlsx")
XLSX_MONEY_FORMAT = "£#,##0.00;[Red](£#,##0.00)"   # pounds and pence, negatives red in brackets as in the board pack
XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
XLSX_MAX_ROWS = 1_048_576 - 1
DEFAULT_MAX_ROWS = 50
MAX_CELL = 80
_NOT_MONEY = re.compile(r"(pct|percent|share|ratio|index|rate|population|denominator|capacity|beds|days|"
                        r"placements|count|quantity|volume|lines|rows)", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


# ---------------------------------------------------------------------------
# Values
def is_money(name: str, type_name: str) -> bool:
    """Pounds: a DECIMAL with two decimal places (the warehouse's money type and its sums),
    unless the column is named as a ratio (pct, share, index ...)."""
    match = _DECIMAL.match(type_name)
    return bool(match) and match.group(2) == "2" and not _NOT_MONEY.search(name)


def is_numeric(type_name: str) -> bool:
    return type_name.split("(")[0] in _NUMERIC


def money_text(value: Decimal | None) -> str:
    """£1,234,567.89 and -£1,234.50: pounds to the penny (an analyst reconciles pennies)."""
    if value is None:
        return "NULL"
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


def cell_text(value: Any, money: bool = False) -> str:
    if value is None:
        return "NULL"
    if money and isinstance(value, (Decimal, int, float)):
        return money_text(Decimal(str(value)))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:.6g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").replace("\n", "⏎").replace("\t", " ")
    # text from partners' files must not drive the terminal (escape sequences)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _clip(text: str, width: int | None) -> str:
    if width and len(text) > width:
        return text[: width - 1] + "…"
    return text


class Result:
    """A query's columns, their DuckDB types and its rows."""

    def __init__(self, columns: list[str], types: list[str], rows: list[tuple], more: bool = False):
        self.columns, self.types, self.rows, self.more = columns, types, rows, more

    @classmethod
    def fetch(cls, cursor, limit: int | None = None) -> "Result":
        columns = [d[0] for d in cursor.description]
        types = [str(d[1]) for d in cursor.description]
        if limit is None:
            return cls(columns, types, cursor.fetchall())
        rows = cursor.fetchmany(limit + 1)
        return cls(columns, types, rows[:limit], more=len(rows) > limit)

    @property
    def money(self) -> list[bool]:
        return [is_money(c, t) for c, t in zip(self.columns, self.types)]


def render_table(result: Result, max_width: int | None = MAX_CELL) -> str:
    """An aligned text table: numbers right-aligned, pounds as £1,234.56."""
    money = result.money
    numeric = [is_numeric(t) for t in result.types]
    body = [[_clip(cell_text(v, m), max_width) for v, m in zip(row, money)] for row in result.rows]
    header = [_clip(cell_text(c), max_width) for c in result.columns]
    widths = [max([len(header[i])] + [len(r[i]) for r in body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if numeric[i] else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in body]
    return "\n".join(out) + "\n"


def row_count_text(result: Result) -> str:
    n = len(result.rows)
    if result.more:
        return f"(first {n:,} rows shown; .maxrows N shows more, or write them all with -o)"
    return f"({n:,} row{'s' if n != 1 else ''})"


# ---------------------------------------------------------------------------
# Writing results
def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, Decimal)):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_csv(result: Result, stream: TextIO) -> None:
    """Plain CSV (UTF-8, header row, money as 1234.50): the data exactly, for other tools.
    Open results in Excel through --format xlsx, which protects text from formulas."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([_csv_value(v) for v in row])


def write_xlsx(result: Result, path: Path, *, sql: str = "", about: dict | None = None) -> None:
    """An Excel workbook: money as numbers with a £ format, dates as dates, and every text
    value written as text, with a leading apostrophe when it starts with = + - @ (see
    reports.formatting.excel_text), so Excel never evaluates anything from the data."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if len(result.rows) > XLSX_MAX_ROWS:
        raise ValueError(f"{len(result.rows):,} rows do not fit in an Excel sheet; use --format csv or parquet")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Result")
    money = result.money
    bold = Font(bold=True)

    def text_cell(sheet, value, **style):
        cell = WriteOnlyCell(sheet, value=excel_text(value))
        cell.data_type = "s"
        for key, val in style.items():
            setattr(cell, key, val)
        return cell

    widths = [min(max(len(str(c)) + 2, 10), 60) for c in result.columns]
    for row in result.rows[:200]:
        for i, v in enumerate(row):
            widths[i] = min(max(widths[i], len(cell_text(v, money[i])) + 2), 60)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    if result.columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(result.columns))}{len(result.rows) + 1}"
    ws.append([text_cell(ws, c, font=bold) for c in result.columns])
    for row in result.rows:
        cells = []
        for value, is_m in zip(row, money):
            if value is None:
                cells.append(None)
            elif isinstance(value, bool):
                cells.append(value)
            elif isinstance(value, (int, float, Decimal)):
                cell = WriteOnlyCell(ws, value=value)
                if is_m:
                    cell.number_format = XLSX_MONEY_FORMAT
                cells.append(cell)
            elif isinstance(value, dt.datetime):
                cell = WriteOnlyCell(ws, value=value.replace(tzinfo=None))
                cell.number_format = XLSX_DATETIME_FORMAT
                cells.append(cell)
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = XLSX_DATE_FORMAT
                cells.append(cell)
            else:
                cells.append(text_cell(ws, cell_text(value) if not isinstance(value, str) else value))
        ws.append(cells)
    info = wb.create_sheet("About")
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 100
    for key, value in [*(about or {}).items(), ("rows", str(len(result.rows))), ("SQL", sql)]:
        info.append([text_cell(info, key, font=bold), text_cell(info, "" if value is None else str(value))])
    _atomic_save(path, wb.save)


def write_parquet(cursor, path: Path) -> int:
    import pyarrow.parquet as pq

    table = cursor.fetch_arrow_table()
    _atomic_save(path, lambda tmp: pq.write_table(table, tmp))
    return table.num_rows


def _atomic_save(path: Path, save: Callable[[str], Any]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        save(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def format_for(output: str | None, fmt: str | None) -> str:
    """--format wins; else the output file's extension; else a table."""
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"--format must be one of {', '.join(FORMATS)}")
        return fmt
    if output:
        ext = Path(output).suffix.lower().lstrip(".")
        aliases = {"txt": "table", "csv": "csv", "parquet": "parquet", "pq": "parquet", "xlsx": "xlsx"}
        if ext in aliases:
            return aliases[ext]
    return "table"


def emit(cursor, fmt: str, output: str | Path | None, *, out: TextIO | None = None, sql: str = "",
         about: dict | None = None) -> int:
    """Write a query's result in `fmt` to `output` (a file) or `out` (default stdout); returns the row count."""
    out = out or sys.stdout
    if cursor is None or cursor.description is None:
        raise ValueError("the SQL returned no result set (it must end with a query)")
    if fmt in BINARY_FORMATS and not output:
        raise ValueError(f"--format {fmt} writes a file: give one with -o <file>")
    if fmt == "parquet":
        return write_parquet(cursor, Path(output))
    result = Result.fetch(cursor)
    if fmt == "xlsx":
        write_xlsx(result, Path(output), sql=sql, about=about)
        return len(result.rows)
    buffer = io.StringIO()
    if fmt == "csv":
        write_csv(result, buffer)
    else:
        buffer.write(render_table(result, max_width=None if output else MAX_CELL))
        if not output:
            buffer.write(row_count_text(result) + "\n")
    if output:
        _atomic_save(Path(output), lambda tmp: Path(tmp).write_text(buffer.getvalue(), encoding="utf-8"))
    else:
        out.write(buffer.getvalue())
    return len(result.rows)


def run_one_shot(con: duckdb.DuckDBPyConnection, sql: str, *, fmt: str | None = None,
                 output: str | None = None, params: dict | None = None, out: TextIO | None = None,
                 about: dict | None = None) -> int:
    """Run every statement of `sql` and write the last one's result; returns the row count."""
    fmt = format_for(output, fmt)
    cursor = analyst.run(con, sql, params)
    return emit(cursor, fmt, output, out=out, sql=sql, about=about)


# ---------------------------------------------------------------------------
# The shell
HELP = """\
Type SQL ending with ; (it may run over several lines). The warehouse is read-only;
public tables are rpt_*, fct_* and dim_* (see <home>/reports/dictionary.html).

  .tables             list the tables with their row counts
  .schema <table>     a table's description, grain, keys and columns
  .queries            the saved queries (run them with `openbook query <name>`)
  .info               which published copy this is, and when it was published
  .maxrows N          show at most N rows of a result (now {maxrows})
  .help               this help
  .quit  .exit        leave (or Ctrl-D)

Tab completes table names, column names, SQL keywords and these commands.
To save a result, leave the shell and run: openbook sql -c "<query>" -o result.xlsx
"""
DOT_COMMANDS = [".tables", ".schema", ".queries", ".info", ".maxrows", ".help", ".quit", ".exit"]


class Shell:
    def __init__(self, con: duckdb.DuckDBPyConnection, *, out: TextIO | None = None, err: TextIO | None = None,
                 max_rows: int = DEFAULT_MAX_ROWS, path: Path | None = None):
        self.con, self.max_rows, self.path = con, max_rows, path
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.buffer: list[str] = []
        self.errors = 0
        self._catalog: list[analyst.TableInfo] | None = None
        self._words: list[str] | None = None
        self._keywords: list[str] = []
        self._matches: list[str] = []

    # -- input ----------------------------------------------------------------
    def feed(self, line: str) -> bool:
        """Take one line of input; returns False when the user asked to quit."""
        stripped = line.strip()
        if not self.buffer and stripped.startswith("."):
            return self.dot(stripped)
        if not self.buffer and not stripped:
            return True
        self.buffer.append(line.rstrip("\n"))
        text = "\n".join(self.buffer)
        if _complete_statement(text):
            self.buffer = []
            self.execute(text)
        return True

    def finish(self) -> None:
        """End of input: run whatever is left (a last statement without its ;)."""
        text = "\n".join(self.buffer).strip()
        self.buffer = []
        if text and _has_code(text):
            self.execute(text)

    def run(self, lines: Iterable[str]) -> int:
        for line in lines:
            if not self.feed(line):
                return 1 if self.errors else 0
        self.finish()
        return 1 if self.errors else 0

    @property
    def prompt(self) -> str:
        return "   ...> " if self.buffer else "openbook> "

    # -- SQL ------------------------------------------------------------------
    def execute(self, sql: str) -> None:
        try:
            for statement in analyst.statements(self.con, sql):
                started = time.perf_counter()
                cursor = analyst.execute(self.con, statement)
                seconds = time.perf_counter() - started
                if cursor is not None and cursor.description is not None:
                    result = Result.fetch(cursor, self.max_rows)
                    self.out.write(render_table(result))
                    self.out.write(f"{row_count_text(result)} {seconds:.2f} s\n")
                else:
                    self.out.write("OK\n")
                if statement.type in (duckdb.StatementType.CREATE, duckdb.StatementType.DROP):
                    self._catalog = self._words = None
        except KeyboardInterrupt:
            self.error("interrupted")
        except Exception as exc:  # never a traceback in the shell
            self.error(analyst.friendly_error(exc))
        self.out.flush()

    def error(self, message: str) -> None:
        self.errors += 1
        self.err.write(f"Error: {message}\n")
        self.err.flush()

    # -- dot commands ---------------------------------------------------------
    def dot(self, line: str) -> bool:
        parts = line.split()
        command, args = parts[0].lower(), parts[1:]
        try:
            if command in (".quit", ".exit", ".q"):
                return False
            if command == ".help":
                self.out.write(HELP.format(maxrows=self.max_rows))
            elif command == ".tables":
                self.show_tables()
            elif command == ".schema":
                if not args:
                    self.error("usage: .schema <table>")
                else:
                    self.show_schema(args[0])
            elif command == ".queries":
                for q in analyst.saved_queries().values():
                    self.out.write(f"{q.name}\n    {q.description}\n")
                    if q.signature:
                        self.out.write(f"    {q.signature}\n")
            elif command == ".info":
                info = analyst.publish_info(self.con) or {}
                self.out.write(f"published copy: {self.path or '(unknown)'}\n")
                self.out.write(f"published at:   {cell_text(info.get('published_at'))} UTC\n")
                self.out.write(f"from run:       {info.get('run_id') or '(not recorded)'}\n")
            elif command == ".maxrows":
                if len(args) != 1 or not args[0].isdigit() or int(args[0]) < 1:
                    self.error("usage: .maxrows N (a whole number of rows, at least 1)")
                else:
                    self.max_rows = int(args[0])
                    self.out.write(f"showing at most {self.max_rows} rows\n")
            else:
                self.error(f"unknown command {command}; type .help")
        except Exception as exc:
            self.error(analyst.friendly_error(exc))
        self.out.flush()
        return True

    def catalog(self) -> list[analyst.TableInfo]:
        if self._catalog is None:
            self._catalog = analyst.catalog(self.con)
        return self._catalog

    def show_tables(self) -> None:
        tables = self.catalog()
        public = [t for t in tables if t.public]
        internal = [t for t in tables if not t.public]
        width = max((len(t.name) for t in tables), default=10)
        self.out.write("Public tables (the contract; see .schema <table>):\n")
        for t in public:
            rows = f"{t.rows:,} rows" if t.rows is not None else ""
            self.out.write(f"  {t.name.ljust(width)}  {rows.rjust(14)}  {_clip(t.description, 70)}\n")
        if internal:
            self.out.write("Internal tables (loading, staging and reference; may change):\n")
            self.out.write(_wrap(", ".join(t.name for t in internal), indent="  ") + "\n")

    def show_schema(self, name: str) -> None:
        table = next((t for t in self.catalog() if t.name.lower() == name.lower().strip(";")), None)
        if table is None:
            self.error(f"no table {name}; .tables lists them")
            return
        self.out.write(f"{table.name}: {table.description or '(no description)'}\n")
        if table.grain:
            self.out.write(f"  Grain: {table.grain}\n")
        if table.keys:
            self.out.write(f"  Keys: {', '.join(table.keys)}\n")
        if table.rows is not None:
            self.out.write(f"  Rows: {table.rows:,}\n")
        width = max((len(c.name) for c in table.columns), default=4)
        type_width = max((len(c.type) for c in table.columns), default=4)
        for c in table.columns:
            self.out.write(f"  {c.name.ljust(width)}  {c.type.ljust(type_width)}  {c.description}\n")

    # -- completion -----------------------------------------------------------
    def words(self) -> list[str]:
        if self._words is None:
            tables = [t.name for t in self.catalog()]
            columns = sorted({c.name for t in self.catalog() for c in t.columns})
            self._words = list(dict.fromkeys([*tables, *columns]))
            self._keywords = analyst.keywords(self.con)
        return self._words

    def completions(self, text: str, line: str) -> list[str]:
        """What `text` (the word under the cursor) can become, given the whole line so far."""
        stripped = line.lstrip()
        if stripped.startswith(".") and " " not in stripped:
            return [c for c in DOT_COMMANDS if c.startswith(text.lower())]
        if stripped.lower().startswith(".schema "):
            return [t.name for t in self.catalog() if t.name.startswith(text.lower())]
        names = self.words()
        if "." in text:                       # table.column or alias.column
            prefix, _, partial = text.rpartition(".")
            table = next((t for t in self.catalog() if t.name == prefix), None)
            columns = ([c.name for c in table.columns] if table
                       else sorted({c.name for t in self.catalog() for c in t.columns}))
            return [f"{prefix}.{c}" for c in columns if c.startswith(partial)]
        lowered = text.lower()
        matches = [w for w in names if w.lower().startswith(lowered)]
        upper = text[:1].isupper()
        matches += [(k.upper() if upper or not text else k) for k in self._keywords if k.startswith(lowered)]
        return list(dict.fromkeys(matches))

    def complete(self, text: str, state: int) -> str | None:
        """readline's completer."""
        if state == 0:
            try:
                import readline

                line = readline.get_line_buffer()[: readline.get_begidx()] + text
            except Exception:
                line = text
            try:
                self._matches = self.completions(text, line)
            except Exception:
                self._matches = []
        return self._matches[state] if state < len(self._matches) else None


def _wrap(text: str, width: int = 90, indent: str = "") -> str:
    import textwrap

    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent)


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def _complete_statement(text: str) -> bool:
    """True when `text` ends with a ; outside quotes and comments."""
    in_single = in_double = in_line_comment = in_block = False
    last_code = ""
    i = 0
    while i < len(text):
        ch, nxt = text[i], text[i + 1: i + 2]
        if in_line_comment:
            if ch == "\n":
                in_line_comment = False
        elif in_block:
            if ch == "*" and nxt == "/":
                in_block, i = False, i + 1
        elif in_single:
            if ch == "'":
                in_single = False
        elif in_double:
            if ch == '"':
                in_double = False
        elif ch == "-" and nxt == "-":
            in_line_comment = True
        elif ch == "/" and nxt == "*":
            in_block, i = True, i + 1
        elif ch == "'":
            in_single, last_code = True, ch
        elif ch == '"':
            in_double, last_code = True, ch
        elif not ch.isspace():
            last_code = ch
        i += 1
    return last_code == ";" and not (in_single or in_double or in_block)


# ---------------------------------------------------------------------------
# Interactive use
def history_path(paths=None) -> Path:
    """$OPENBOOK_HISTORY, else ~/.openbook_history, else <home>/.openbook_history."""
    if os.environ.get("OPENBOOK_HISTORY"):
        return Path(os.environ["OPENBOOK_HISTORY"]).expanduser()
    home = Path("~").expanduser()
    if home.is_dir() and os.access(home, os.W_OK):
        return home / ".openbook_history"
    if paths is not None:
        return Path(paths.home) / ".openbook_history"
    return Path(".openbook_history").resolve()


def _setup_readline(shell: Shell, history: Path):
    try:
        import readline
    except ImportError:       # no readline (e.g. Windows without pyreadline): plain input()
        return None
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    readline.set_completer_delims(" \t\n`~!@#$%^&*()=+[{]}\\|;:'\",<>/?")
    readline.set_completer(shell.complete)
    readline.set_history_length(2000)
    try:
        if history.is_file():
            readline.read_history_file(str(history))
    except OSError:
        pass
    return readline


def _save_history(readline, history: Path, err: TextIO) -> None:
    if readline is None:
        return
    try:
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(str(history))
    except OSError as exc:
        err.write(f"(history not saved to {history}: {exc.strerror})\n")


def interactive(shell: Shell, history: Path, *, banner: str = "") -> int:
    """The read-eval-print loop on a terminal, with readline history and completion."""
    readline = _setup_readline(shell, history)
    if banner:
        shell.out.write(banner)
    try:
        while True:
            try:
                line = input(shell.prompt)
            except KeyboardInterrupt:
                shell.buffer = []
                shell.out.write("^C\n")
                continue
            except EOFError:
                shell.out.write("\n")
                shell.finish()
                break
            if not shell.feed(line):
                break
    finally:
        _save_history(readline, history, shell.err)
    return 0


def banner(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    info = analyst.publish_info(con) or {}
    when = cell_text(info.get("published_at")) if info.get("published_at") else "unknown time"
    return (f"openbook analysts' warehouse (read-only): {path}\n"
            f"published {when} UTC from run {info.get('run_id') or '(not recorded)'}. "
            "Type .help for help, .tables for the tables.\n")
