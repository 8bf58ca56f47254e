"""`openbook sql`: the analysts' read-only warehouse in harlequin on a terminal, one query's
result as a table fitted to the terminal, CSV, Parquet, Excel, JSON or Markdown (-c, -f, -o),
and a small shell for statements piped in.

On a terminal `openbook sql` runs harlequin (DuckDB's terminal SQL IDE: catalog, completion,
history, export) on the published copy, read-only; this module keeps no REPL of its own
beyond the small Shell, which runs statements read from a file or pipe (or a terminal with
--plain): SQL ending with `;` over any number of lines, and dot commands (.tables, .schema,
.queries, .info, .maxrows, .once, .output, .help, .quit). It exits 1 if any statement
failed. Every statement is DuckDB's own (parsed by DuckDB, run as parsed); errors are one
line, never a traceback.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import re
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, TextIO

import duckdb

from analyst import access as analyst
from reports.formatting import _FORMULA_TRIGGERS, NEUTRALISER, excel_text
from warehouse.files import save_atomically, write_text_atomically
from warehouse.plain_text import pounds

FORMATS = ("table", "csv", "parquet", "xlsx", "json", "md")
BINARY_FORMATS = ("parquet", "xlsx")
# what -o's extension names; any other extension is refused rather than guessed
EXTENSIONS = {"csv": "csv", "parquet": "parquet", "xlsx": "xlsx", "json": "json",
              "md": "md", "txt": "table"}
XLSX_MONEY_FORMAT = "£#,##0.00;[Red](£#,##0.00)"   # pounds and pence, negatives red in brackets as in the board pack
XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
XLSX_MAX_ROWS = 1_048_576 - 1
DEFAULT_MAX_ROWS = 50
MAX_CELL = 80
MIN_TEXT_WIDTH = 12      # a text column is never cut narrower than this to fit the terminal
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


def cell_text(value: Any, money: bool = False) -> str:
    if value is None:
        return "NULL"
    if money and isinstance(value, (Decimal, int, float)):
        return pounds(value)  # to the penny: an analyst reconciles pennies
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


def fit_widths(widths: list[int], numeric: list[bool], total: int, gap: int = 2) -> tuple[list[int], int]:
    """Column widths that fit `total` characters, as the DuckDB CLI does: the widest text
    columns are cut first (never below MIN_TEXT_WIDTH; numbers are never cut, a cut number
    would mislead); if that is not enough, columns are left off the right-hand side.
    Returns the widths and how many columns are shown."""
    widths = list(widths)

    def used(n: int) -> int:
        return sum(widths[:n]) + gap * max(n - 1, 0)

    while used(len(widths)) > total:
        cuttable = [i for i, w in enumerate(widths) if not numeric[i] and w > MIN_TEXT_WIDTH]
        if not cuttable:
            break
        widest = max(cuttable, key=lambda i: widths[i])
        # cut the widest down to the next widest first, so wide columns share the cuts
        floor = max([MIN_TEXT_WIDTH, *(widths[i] for i in cuttable if i != widest)])
        widths[widest] -= min(used(len(widths)) - total, widths[widest] - floor) or 1
    shown = len(widths)
    while shown > 1 and used(shown) > total:
        shown -= 1
    return widths, shown


def render_table(result: Result, max_width: int | None = MAX_CELL, terminal_width: int | None = None) -> str:
    """An aligned text table: numbers right-aligned, pounds as £1,234.56. With a
    terminal_width, wide text is cut with … and columns that still do not fit are left off
    (and said so), so no line is wider than the terminal."""
    money = result.money
    numeric = [is_numeric(t) for t in result.types]
    body = [[_clip(cell_text(v, m), max_width) for v, m in zip(row, money)] for row in result.rows]
    header = [_clip(cell_text(c), max_width) for c in result.columns]
    widths = [max([len(header[i])] + [len(r[i]) for r in body]) for i in range(len(header))]
    shown = len(widths)
    if terminal_width:
        widths, shown = fit_widths(widths, numeric, terminal_width)

    def line(cells: list[str]) -> str:
        return "  ".join(_clip(c, w).rjust(w) if numeric[i] else _clip(c, w).ljust(w)
                         for i, (c, w) in enumerate(zip(cells[:shown], widths[:shown]))).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths[:shown])]
    out += [line(r) for r in body]
    if shown < len(widths):
        hidden = result.columns[shown:]
        out.append(_clip(f"({len(hidden)} more column{'s' if len(hidden) != 1 else ''} not shown: "
                         f"{', '.join(hidden)}; -o result.csv writes them all)", terminal_width))
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


def formula_safe(value: Any) -> Any:
    """Text a spreadsheet will never evaluate: text starting with = + - @ tab or CR gets a
    leading apostrophe (the convention Excel itself uses for "this is text"). Partners'
    files reach exports verbatim, so a supplier named =HYPERLINK(...) must stay text.
    The one rule for CSV and xlsx exports alike (and the board pack's, reports.formatting)."""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return NEUTRALISER + value
    return value


def write_csv(result: Result, stream: TextIO) -> None:
    """CSV (UTF-8, header row, CRLF, money as 1234.50) for Excel and other tools. Text cells that
    start with = + - @ tab or CR get a leading apostrophe (formula_safe), as in xlsx exports;
    for the data byte for byte, use --format parquet or json."""
    # CRLF line ends, as RFC 4180 and Excel: with "\n" alone the csv module leaves a field
    # holding a bare CR unquoted, and readers split the row there.
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([formula_safe(c) for c in result.columns])
    for row in result.rows:
        # only text is neutralised: -99.99 from a DECIMAL is a number, not a formula
        writer.writerow([formula_safe(v) if isinstance(v, str) else _csv_value(v) for v in row])


def _json_value(value: Any) -> str:
    """One value as JSON text; money and other DECIMALs as exact JSON numbers (1234.50)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value) if not (isinstance(value, Decimal) and not value.is_finite()) else "null"
    if isinstance(value, float):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else "null"
    if isinstance(value, dt.datetime):
        return json.dumps(value.isoformat(sep=" "))
    if isinstance(value, (dt.date, dt.time)):
        return json.dumps(value.isoformat())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_json_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_json_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def write_json(result: Result, stream: TextIO) -> None:
    """A JSON array of objects, one per row (one line each); DECIMALs as exact numbers."""
    names = [json.dumps(c, ensure_ascii=False) for c in result.columns]
    stream.write("[")
    for i, row in enumerate(result.rows):
        body = ", ".join(f"{n}: {_json_value(v)}" for n, v in zip(names, row))
        stream.write(("," if i else "") + "\n{" + body + "}")
    stream.write("\n]\n")


def write_markdown(result: Result, stream: TextIO) -> None:
    """A Markdown pipe table (pounds as £1,234.56, numbers right-aligned), for notes and tickets."""
    money = result.money
    numeric = [is_numeric(t) for t in result.types]

    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|")

    stream.write("| " + " | ".join(cell(cell_text(c)) for c in result.columns) + " |\n")
    stream.write("|" + "|".join("---:" if n else "---" for n in numeric) + "|\n")
    for row in result.rows:
        stream.write("| " + " | ".join(cell(cell_text(v, m)) for v, m in zip(row, money)) + " |\n")


def write_xlsx(result: Result, path: Path, *, sql: str = "", about: dict | None = None) -> None:
    """An Excel workbook: money as numbers with a £ format, dates as dates, and every text
    value written as text, with a leading apostrophe when it starts with = + - @ tab or CR
    (formula_safe, the same rule as CSV exports), so Excel never evaluates anything from the data."""
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
        cell = WriteOnlyCell(sheet, value=excel_text(formula_safe(value)))
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
    save_atomically(path, wb.save)


def write_parquet(cursor, path: Path) -> int:
    import pyarrow.parquet as pq

    table = cursor.fetch_arrow_table()
    save_atomically(path, lambda tmp: pq.write_table(table, str(tmp)))
    return table.num_rows


def format_for(output: str | None, fmt: str | None) -> str:
    """The format -o's extension names (.csv .parquet .xlsx .json .md, .txt for a text
    table); --format only for an extension that names none, or for the screen. An unknown
    extension, or a --format the extension contradicts, is refused rather than guessed."""
    if fmt and fmt not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}")
    if output:
        ext = Path(output).suffix.lower().lstrip(".")
        named = EXTENSIONS.get(ext)
        if named and fmt and fmt != named:
            raise ValueError(f"-o {Path(output).name} names {named} but --format is {fmt}: give one or the other")
        if named:
            return named
        if not fmt:
            known = " ".join(f".{e}" for e in EXTENSIONS)
            raise ValueError(f"-o {Path(output).name}: cannot tell the format from its extension "
                             f"(use one of {known}, or add --format)")
    return fmt or "table"


def emit(cursor, fmt: str, output: str | Path | None, *, out: TextIO | None = None, sql: str = "",
         about: dict | None = None, width: int | None = None) -> int:
    """Write a query's result in `fmt` to `output` (a file) or `out` (default stdout); returns
    the row count. A table on the screen is fitted to `width` characters when given."""
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
    elif fmt == "json":
        write_json(result, buffer)
    elif fmt == "md":
        write_markdown(result, buffer)
    elif output:
        buffer.write(render_table(result, max_width=None))
    else:
        # a terminal gets the table fitted to it; a pipe or file gets every character
        buffer.write(render_table(result, max_width=MAX_CELL if width else None, terminal_width=width))
        buffer.write(row_count_text(result) + "\n")
    if output:
        write_text_atomically(Path(output), buffer.getvalue())
    else:
        out.write(buffer.getvalue())
    return len(result.rows)


def run_one_shot(con: duckdb.DuckDBPyConnection, sql: str, *, fmt: str | None = None,
                 output: str | None = None, params: dict | None = None, out: TextIO | None = None,
                 about: dict | None = None, width: int | None = None) -> int:
    """Run every statement of `sql` and write the last one's result; returns the row count."""
    fmt = format_for(output, fmt)
    cursor = analyst.run(con, sql, params)
    return emit(cursor, fmt, output, out=out, sql=sql, about=about, width=width)


def terminal_width(stream: TextIO | None = None) -> int | None:
    """The terminal's width when output goes to one (or $COLUMNS says it), else None: text
    piped into a file or another program is never cut."""
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", lambda: False)
    if isatty() or os.environ.get("COLUMNS", "").isdigit():
        return shutil.get_terminal_size().columns
    return None


# ---------------------------------------------------------------------------
# On a terminal: harlequin
# Harlequin (DuckDB's terminal SQL IDE: catalog tree, completion, history, export) opens the
# published copy itself, read-only. Its init script replaces ~/.duckdbrc (which could attach
# anything) and turns off DuckDB's access to files and extensions for the session: the
# statements -c refuses (COPY, ATTACH of the pipeline's live warehouse, INSTALL) are refused
# there too. Harlequin's own exporter (ctrl+e) still writes results to files.
HARLEQUIN_INIT = "SET enable_external_access = false;\nSET lock_configuration = true;\n"


def harlequin_command(path: Path, init: Path) -> list[str]:
    return [sys.executable, "-m", "harlequin", "--read-only", "--init-path", str(init), str(path)]


def open_in_harlequin(path: Path) -> int | None:
    """Run harlequin on the published copy until the analyst quits; None if it is not installed."""
    import importlib.util
    import subprocess
    import tempfile

    if importlib.util.find_spec("harlequin") is None:
        return None
    with tempfile.TemporaryDirectory(prefix="openbook-harlequin-") as folder:
        init = Path(folder) / "init.sql"
        init.write_text(HARLEQUIN_INIT, encoding="utf-8")
        return subprocess.call(harlequin_command(Path(path), init))


# ---------------------------------------------------------------------------
# The built-in shell: statements from a pipe or file (and on a terminal with --plain)
HELP = """\
Type SQL ending with ; (it may run over several lines). The warehouse is read-only;
public tables are rpt_*, fct_* and dim_* (see <home>/reports/dictionary.html).

  .tables             list the tables with their row counts
  .schema <table>     a table's description, grain, keys and columns
  .queries            the saved queries (run them with `openbook query <name>`)
  .info               which published copy this is, and when it was published
  .maxrows N          show at most N rows of a result (now {maxrows})
  .once FILE          write the next result to FILE (.csv .parquet .xlsx .json .md .txt)
  .output FILE        write every later result to FILE (.csv .json .md .txt), appended
  .output             results to the screen again
  .help               this help
  .quit  .exit        leave (or Ctrl-D)
"""


# statements whose "result" is only DuckDB's count of changes (PIVOT without an IN list
# begins with a CREATE TYPE of its own): the shell says OK rather than print a Count table
_NO_ROWS = {duckdb.StatementType.CREATE, duckdb.StatementType.DROP, duckdb.StatementType.ALTER,
            duckdb.StatementType.SET, duckdb.StatementType.VARIABLE_SET, duckdb.StatementType.TRANSACTION}


class Shell:
    def __init__(self, con: duckdb.DuckDBPyConnection, *, out: TextIO | None = None, err: TextIO | None = None,
                 max_rows: int = DEFAULT_MAX_ROWS, path: Path | None = None, width: int | None = None):
        self.con, self.max_rows, self.path, self.width = con, max_rows, path, width
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.buffer: list[str] = []
        self.errors = 0
        self.once: Path | None = None       # .once FILE: the next result only
        self.output: Path | None = None     # .output FILE: every result until .output
        self._catalog: list[analyst.TableInfo] | None = None

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
                if cursor is None or cursor.description is None or statement.type in _NO_ROWS:
                    self.out.write("OK\n")
                elif self.once or self.output:
                    self.write_result(cursor, sql)
                else:
                    result = Result.fetch(cursor, self.max_rows)
                    self.out.write(render_table(result, terminal_width=self.width))
                    self.out.write(f"{row_count_text(result)} {seconds:.2f} s\n")
                if statement.type in (duckdb.StatementType.CREATE, duckdb.StatementType.DROP):
                    self._catalog = None
        except KeyboardInterrupt:
            self.error("interrupted")
        except Exception as exc:  # never a traceback in the shell
            self.error(analyst.friendly_error(exc))
        self.out.flush()

    def write_result(self, cursor, sql: str) -> None:
        """The result to the .once or .output file, in the format its extension names."""
        target, self.once = (self.once, None) if self.once else (self.output, None)
        fmt = format_for(str(target), None)
        if target == self.output:
            buffer = io.StringIO()
            count = emit(cursor, fmt, None, out=buffer, sql=sql)
            with open(target, "a", encoding="utf-8") as fh:
                fh.write(buffer.getvalue())
        else:
            count = emit(cursor, fmt, target, sql=sql)
        self.out.write(f"{count:,} row{'s' if count != 1 else ''} written to {target} ({fmt})\n")

    def error(self, message: str) -> None:
        self.errors += 1
        self.err.write(f"Error: {message}\n")
        self.err.flush()

    # -- dot commands ---------------------------------------------------------
    def dot(self, line: str) -> bool:
        parts = line.split(maxsplit=1)
        command, arg = parts[0].lower(), (parts[1].strip() if len(parts) > 1 else "")
        try:
            if command in (".quit", ".exit", ".q"):
                return False
            if command == ".help":
                self.out.write(HELP.format(maxrows=self.max_rows))
            elif command == ".tables":
                self.show_tables()
            elif command == ".schema":
                if not arg:
                    self.error("usage: .schema <table>")
                else:
                    self.show_schema(arg)
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
                if not arg.isdigit() or int(arg) < 1:
                    self.error("usage: .maxrows N (a whole number of rows, at least 1)")
                else:
                    self.max_rows = int(arg)
                    self.out.write(f"showing at most {self.max_rows} rows\n")
            elif command == ".once":
                self.set_target(arg, once=True)
            elif command == ".output":
                self.set_target(arg, once=False)
            else:
                self.error(f"unknown command {command}; type .help")
        except Exception as exc:
            self.error(analyst.friendly_error(exc))
        self.out.flush()
        return True

    def set_target(self, arg: str, *, once: bool) -> None:
        if not arg:
            if once:
                self.error("usage: .once FILE (.csv .parquet .xlsx .json .md .txt)")
            else:
                self.output = None
                self.out.write("results to the screen\n")
            return
        target = Path(arg).expanduser()
        fmt = format_for(str(target), None)          # refuses an extension that names no format
        if not once and fmt in BINARY_FORMATS:
            raise ValueError(f".output appends every result to one file, which {fmt} cannot hold: use .once {arg}")
        if once:
            self.once = target
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("", encoding="utf-8")
            self.output = target
        self.out.write(f"{'the next result' if once else 'results'} to {target} ({fmt})\n")

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
# The built-in shell on a terminal (--plain, or when harlequin is missing): readline gives
# line editing; completion and history are harlequin's job.
def interactive(shell: Shell, *, banner: str = "") -> int:
    try:
        import readline  # noqa: F401  (importing it gives input() line editing)
    except ImportError:
        pass
    if banner:
        shell.out.write(banner)
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
            return 0
        if not shell.feed(line):
            return 0


def banner(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    info = analyst.publish_info(con) or {}
    when = cell_text(info.get("published_at")) if info.get("published_at") else "unknown time"
    return (f"openbook analysts' warehouse (read-only): {path}\n"
            f"published {when} UTC from run {info.get('run_id') or '(not recorded)'}. "
            "Type .help for help, .tables for the tables.\n")
