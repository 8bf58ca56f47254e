"""File bytes -> RawTable: every row under the header as text, numbered as in the file.

CSV goes through polars (vectorised, all columns as strings); .xlsx and old .xls go
through python-calamine, with each cell rendered as the text a person sees in Excel.
Nothing is interpreted here beyond finding the header: parse.py types the values.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
import zlib
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import polars as pl
import python_calamine

from assets.ingest.errors import SubmissionError
from assets.ingest.header import Header, find_header, rows_to_search
from assets.ingest.source_config import ALL_SHEETS, FileSpec, SourceConfig
from assets.ingest.workbook_limits import MAX_SHEET_CELLS, claimed_extent, column_letters, sheet_parts

SOURCE_ROW = "__source_row"
# The sheet each row came from, when a source reads several sheets of a workbook.
SHEET = "__sheet"
# CSV fields beyond the header's width land here (an unquoted delimiter in a value).
EXTRA_FIELDS = "(extra fields)"
# The last line of a CSV record that runs over several lines, where the config does not
# allow values with line breaks (file.multiline_fields); null for one-line records.
LAST_LINE = "(last line)"
# CSV only: how many fields a row that is shorter than the header has (null for the rest).
# A hidden column, not a source column: it only explains the row's quarantine message.
FIELDS_IN_ROW = "__fields_in_row"

_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls, and password-protected .xlsx
_EXCEL_SIGNIFICANT_DIGITS = 15

# A password-protected .xlsx is an OLE (CFB) container holding an "EncryptedPackage" stream.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# An .xlsx is a zip of XML; a tiny file can inflate to gigabytes (a "zip bomb"). The real
# inflated size of every part is counted, in bounded chunks, before the workbook is parsed.
MAX_WORKBOOK_BYTES = 512 * 1024 * 1024
# The largest file read at all, checked before a byte is read: a year of a large ICB's ledger
# is a few hundred MB as CSV; past this a file is split by month, not loaded in one go.
MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024
_INFLATE_CHUNK = 1 << 20
# Other kinds of file that turn up named .csv, by their first bytes.
_BINARY_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class RawTable:
    """The rows under the header. `frame` has SOURCE_ROW (Int64) and one String column
    per name in `columns`; cells are as written (null when empty). Blank rows at the
    very end of a sheet, and empty lines at the end of a CSV, are not rows: spreadsheets
    drag them along (a CSV line of bare separators is a row, a blank one). When several
    sheets are read, `frame` also has SHEET (the sheet's name), rows are in sheet order,
    and `header` is the first sheet's (the other sheets' mapped columns are renamed to
    its names)."""

    frame: pl.DataFrame
    columns: list[str]
    header: Header
    sheet: str | None = None  # the sheet read, when one sheet of a workbook was


def check_file_size(file: Path) -> None:
    """Refuse a file too big to read, before reading it (its size from the file system)."""
    try:
        size = file.stat().st_size
    except OSError:
        return  # read_bytes says why it cannot be opened
    if size > MAX_FILE_BYTES:
        raise SubmissionError(file, message=f"the file is {size / 1024 ** 2:,.0f} MiB, more than the "
                                            f"{MAX_FILE_BYTES / 1024 ** 2:,.0f} MiB openbook reads in one file; "
                                            "send it as one file per month")


def read_table(data: bytes, file: Path, config: SourceConfig) -> RawTable:
    if not data or data.isspace():  # isspace stops at the first other byte; strip() would copy
        raise SubmissionError(file, message="the file is empty")
    if config.file.type == "csv":
        return _read_csv(data, file, config)
    return _read_workbook(data, file, config)


# --------------------------------------------------------------------------- CSV


def _read_csv(data: bytes, file: Path, config: SourceConfig) -> RawTable:
    spec = config.file
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise SubmissionError(file, message="this is an Excel workbook, but the source config says type: csv")
    _refuse_binary(data, file, spec.encoding)
    if b"\n" not in data and b"\r" in data:
        # "CSV (Macintosh)" from old Excel ends lines with a bare carriage return.
        data = data.replace(b"\r", b"\n")
    utf8 = _as_utf8(data, file, spec.encoding)
    search_rows = rows_to_search(spec.header_row)
    leading = _leading_records(utf8, file, spec, search_rows)
    header = find_header([(start, cells) for start, _, cells in leading], spec.header_row, config.source_columns, file)
    header_end_line = next(end for start, end, _ in leading if start == header.row)

    schema = {name: pl.String() for name in header.names} | {EXTRA_FIELDS: pl.String()}

    def read(truncate: bool) -> pl.DataFrame:
        return pl.read_csv(
            utf8,
            has_header=False,
            skip_lines=header_end_line,
            schema=schema,
            missing_columns="insert",  # short rows (notes under the data) get nulls
            truncate_ragged_lines=truncate,  # long rows keep their first extra field only
            separator=spec.delimiter,
            quote_char=spec.quote_char,
            raise_if_empty=False,
        )

    ragged = False
    try:
        try:
            frame = read(truncate=False)
        except pl.exceptions.ComputeError as error:
            if "more fields than defined" not in str(error):
                raise
            ragged = True  # some row has two or more fields past the header: see below
            frame = read(truncate=True)
    except pl.exceptions.PolarsError as error:
        if "utf-8" in str(error).lower():
            raise _not_utf8(file, utf8) from None
        line = _unbalanced_quote_line(utf8, header_end_line, spec.quote_char)
        if line is not None:
            message = f"cannot be read as CSV: a quote ({spec.quote_char}) opened on this line is never closed"
            raise SubmissionError(file, row=line, message=message) from None
        raise SubmissionError(file, message=f"cannot be read as CSV ({_first_line(error)})") from None
    frame = frame.with_columns(_csv_line_numbers(frame, utf8, header_end_line, file))
    if not spec.multiline_fields:
        frame = frame.with_columns(_last_line_of_long_records(frame))
    if ragged:
        frame = _values_past_the_extra_field(frame, utf8, spec, len(header.names))
    # Empty lines ending the file are not rows; a line of bare separators (",,,,,") is
    # written content, so it is read and skipped as a blank row like any other.
    last_written_line = utf8[: len(utf8.rstrip(b" \t\r\n"))].count(b"\n") + 1
    table = _finish(frame, header, keep_through=last_written_line)
    return replace(table, frame=_count_fields_of_short_rows(table, utf8, spec))


def _count_fields_of_short_rows(table: RawTable, utf8: bytes, spec: FileSpec) -> pl.DataFrame:
    """FIELDS_IN_ROW for rows with fewer fields than the header. polars fills the missing
    fields with nulls, as it does empty ones, so the row's line is counted; only files
    whose last column has an empty cell somewhere pay for it (a short row leaves it empty)."""
    frame, width = table.frame, len(table.header.names)
    last = table.header.names[-1]
    if frame.is_empty() or not table.columns or (last in frame.columns and frame[last].null_count() == 0):
        return frame.with_columns(pl.lit(None, pl.Int64).alias(FIELDS_IN_ROW))
    quote = re.escape(spec.quote_char)
    lines = pl.Series("line", utf8.split(b"\n"), dtype=pl.Binary).cast(pl.String)
    # A quoted value may hold the delimiter: it is replaced by a marker before counting.
    counted = pl.DataFrame({"line": lines}).select(
        pl.col("line").str.strip_suffix("\r")
        .str.replace_all(f"{quote}(?:[^{quote}]|{quote}{quote})*{quote}", "(a quoted value)")
        .str.count_matches(spec.delimiter, literal=True).cast(pl.Int64) + 1
    ).to_series()
    fields = pl.lit(counted.gather(frame[SOURCE_ROW] - 1))  # SOURCE_ROW is the record's first line
    # A record over several lines is not counted by its first line; a blank row is skipped anyway.
    one_line = ~pl.any_horizontal(pl.col(c).str.contains("\n", literal=True).fill_null(False) for c in table.columns)
    short = one_line & (fields < width) & ~is_blank_row(table.columns)
    return frame.with_columns(pl.when(short).then(fields).alias(FIELDS_IN_ROW))


def _values_past_the_extra_field(frame: pl.DataFrame, utf8: bytes, spec: FileSpec, width: int) -> pl.DataFrame:
    """polars keeps one field past the header (EXTRA_FIELDS) and drops the rest of a longer
    row. Where that one field is empty but a value sits further right ("a,b,,,,x"), the
    value would be lost without a trace: it is put in EXTRA_FIELDS, so the row is
    quarantined. Only files with such rows pay for this second look at their lines."""
    lines = pl.Series("line", utf8.split(b"\n"), dtype=pl.Binary).cast(pl.String)
    quote = re.escape(spec.quote_char)
    # A quoted value may hold the delimiter: it is replaced by a marker before splitting.
    fields = (
        pl.col("line").str.strip_suffix("\r")
        .str.replace_all(f"{quote}(?:[^{quote}]|{quote}{quote})*{quote}", "(a quoted value)")
        .str.split(spec.delimiter).list.slice(width + 1)
    )
    first_value = fields.list.eval(pl.element().filter(pl.element().str.strip_chars() != "")).list.first()
    found = pl.DataFrame({"line": lines}).select(first_value.alias("past"))["past"]
    past = found.gather(frame[SOURCE_ROW] - 1)  # SOURCE_ROW is the record's first line
    return frame.with_columns(pl.coalesce(pl.col(EXTRA_FIELDS), pl.lit(past)).alias(EXTRA_FIELDS))


def _last_line_of_long_records(frame: pl.DataFrame) -> pl.Expr:
    """LAST_LINE: where a record's values hold line breaks, the line it ends on."""
    text = [c for c, kind in frame.schema.items() if kind == pl.String()]
    breaks = pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in text) if text else pl.lit(0)
    # Text like every source column (blank-row and skip rules read every column as text).
    return pl.when(breaks > 0).then(pl.col(SOURCE_ROW) + breaks).otherwise(None).cast(pl.String).alias(LAST_LINE)


def _refuse_binary(data: bytes, file: Path, encoding: str) -> None:
    """A PDF, an image, an archive or random bytes named .csv: say so, rather than blame
    one byte's encoding. Files in a UTF-16/32 encoding are text with NULs, and pass."""
    if encoding.startswith(("utf-16", "utf-32", "utf_16", "utf_32")):
        return
    for magic, kind in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise SubmissionError(file, message=f"this is {kind}, not a CSV text file")
    if data.startswith(_UTF16_BOMS):
        raise SubmissionError(
            file, message="the file is UTF-16 text (Excel's 'Unicode Text'); save it as 'CSV UTF-8', "
            "or set file.encoding: utf-16")
    sample = data[:_SNIFF_BYTES]
    control = sum(sample.count(bytes([code])) for code in (*range(0, 9), *range(14, 32)))
    if control * 20 > len(sample):  # over 5%: text has next to none, random bytes ~11%
        raise SubmissionError(
            file, message=f"this is not a text file: {control} of its first {len(sample)} bytes are control "
            "characters (binary content named .csv?)")


def _unbalanced_quote_line(utf8: bytes, header_end_line: int, quote: str) -> int | None:
    """The line on which a quote opens that no later quote closes, if there is one."""
    mark = quote.encode()
    open_since = None
    for number, line in enumerate(utf8.split(b"\n"), start=1):
        if number <= header_end_line or line.count(mark) % 2 == 0:
            continue
        open_since = number if open_since is None else None
    return open_since


def _as_utf8(data: bytes, file: Path, encoding: str) -> bytes:
    """polars reads UTF-8 only; other encodings are decoded here, strictly, so a
    Windows-1252 £ (0xA3) or no-break space (0xA0) becomes the right character."""
    if encoding in ("utf-8", "utf-8-sig"):
        return data  # a BOM sits on a line before the data and is skipped with it
    try:
        return data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SubmissionError(
            file, row=line, message=f"byte 0x{data[error.start]:02X} is not valid {encoding} text (file.encoding)"
        ) from None


def _not_utf8(file: Path, data: bytes) -> SubmissionError:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return SubmissionError(
            file,
            row=line,
            message=f"byte 0x{data[error.start]:02X} is not UTF-8; if the file came from Excel on Windows, "
            "set file.encoding: cp1252",
        )
    return SubmissionError(file, message="the file is not valid UTF-8 (file.encoding)")


def _leading_records(utf8: bytes, file: Path, spec: FileSpec, search_rows: int) -> list[tuple[int, int, list[str]]]:
    """(first line, last line, cells) of the records starting in the first lines: the
    Python csv module, on a small prefix, knows which physical lines a record spans."""
    prefix = _first_lines(utf8, search_rows + 100)
    try:
        text = prefix.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise _not_utf8(file, utf8) from None
    reader = csv.reader(io.StringIO(text), delimiter=spec.delimiter, quotechar=spec.quote_char)
    records: list[tuple[int, int, list[str]]] = []
    # The csv module refuses fields over 128 KiB; polars reads the body whatever the length,
    # so a giant value in the first rows must not fail the file where a later one would not.
    limit = csv.field_size_limit(max(len(text) + 1, csv.field_size_limit()))
    try:
        while True:
            start = reader.line_num + 1
            if start > search_rows:
                break
            cells = next(reader)
            records.append((start, reader.line_num, cells))
    except StopIteration:
        pass
    except csv.Error as error:
        raise SubmissionError(file, row=reader.line_num, message=f"cannot be read as CSV ({error})") from None
    finally:
        csv.field_size_limit(limit)
    return records


def _first_lines(data: bytes, count: int) -> bytes:
    end = 0
    for _ in range(count):
        end = data.find(b"\n", end) + 1
        if end == 0:
            return data
    return data[:end]


def _csv_line_numbers(frame: pl.DataFrame, utf8: bytes, header_end_line: int, file: Path) -> pl.Expr:
    """Physical line number of each record. polars keeps empty lines as rows, so rows
    and lines only part company when a quoted value spans lines; one byte count tells
    whether any does, and only then are the embedded line breaks counted."""
    body_start = len(_first_lines(utf8, header_end_line))
    body_lines = utf8.count(b"\n", body_start) + (0 if utf8.endswith(b"\n") or body_start >= len(utf8) else 1)
    first_line = header_end_line + 1
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    if frame.height == body_lines:
        return (index + first_line).alias(SOURCE_ROW)
    breaks = pl.sum_horizontal(pl.col(pl.String).str.count_matches("\n", literal=True).fill_null(0)).cast(pl.Int64)
    numbers = frame.select(
        start=index + first_line + breaks.cum_sum().shift(1, fill_value=0),
        breaks=breaks,
    )
    last_line = numbers["start"][-1] + numbers["breaks"][-1] if numbers.height else header_end_line
    if last_line != header_end_line + body_lines:
        line = _unbalanced_quote_line(utf8, header_end_line, '"')
        raise SubmissionError(file, row=line, message="the rows cannot be matched to lines of the file (an unbalanced quote?)")
    return pl.Series(SOURCE_ROW, numbers["start"])


# --------------------------------------------------------------------------- Excel


def _read_workbook(data: bytes, file: Path, config: SourceConfig) -> RawTable:
    spec = config.file
    _check_workbook_container(data, file, spec.type)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = chosen_sheets(workbook.sheet_names, config, file, hidden=_hidden_sheets(workbook))
        _check_extents(data, names, file)
        tables = [_read_sheet(workbook, name, file, config) for name in names]
    except python_calamine.CalamineError as error:
        raise SubmissionError(file, message=f"cannot be read as an Excel workbook ({error})") from None
    if not spec.several_sheets:
        return tables[0]
    return _stack_sheets(tables, names)


def _read_sheet(workbook: python_calamine.CalamineWorkbook, sheet_name: str, file: Path, config: SourceConfig) -> RawTable:
    spec = config.file
    # skip_empty_area=False pads from A1, so list index + 1 is the sheet row number.
    grid = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    where = file if not spec.several_sheets else Path(f"{file.name} sheet {sheet_name}")
    if not grid:
        raise SubmissionError(where, message=f"sheet {sheet_name!r} is empty")
    search_rows = rows_to_search(spec.header_row)
    leading = [(number, [cell_text(v) for v in row]) for number, row in enumerate(grid[:search_rows], start=1)]
    header = find_header(leading, spec.header_row, config.source_columns, where)
    body = grid[header.row :]
    width = max(len(header.names), *(len(row) for row in body)) if body else len(header.names)
    names = _widen(header, width)
    columns = {
        name: [cell_text(row[position]) if position < len(row) else None for row in body]
        for position, name in enumerate(names)
    }
    frame = pl.DataFrame(columns, schema={name: pl.String() for name in names}).with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + header.row + 1).alias(SOURCE_ROW)
    )
    unnamed = header.unnamed | frozenset(names[len(header.names) :])
    return replace(_finish(frame, Header(header.row, names, unnamed, header.roles)), sheet=sheet_name)


def chosen_sheets(available: list[str], config: SourceConfig, file: Path,
                  hidden: frozenset[str] = frozenset()) -> list[str]:
    """The sheets a source reads, in workbook order (a list is read in its own order).
    With "all" and period.from_sheet_name, sheets whose name tells no month (a cover
    or notes sheet) are left out; with an explicit list, each named sheet must exist.
    A hidden sheet is read only when the config names it: what a reader of the workbook
    cannot see is never loaded in place of what they can."""
    wanted = config.file.sheet
    if isinstance(wanted, list):
        return [_sheet_name(available, name, file) for name in wanted]
    if wanted is not None and wanted != ALL_SHEETS:
        return [_sheet_name(available, wanted, file)]
    visible = [name for name in available if name not in hidden]
    if wanted is None:
        if available and not visible:
            raise SubmissionError(file, message="every sheet of the workbook is hidden; name the sheet to read "
                                                "(file.sheet) if it really holds the ledger")
        return [_sheet_name(visible, None, file)]
    pattern = config.period.from_sheet_name
    chosen = [name for name in visible if pattern is None or re.search(pattern, name)]
    if not chosen:
        listing = ", ".join(repr(name) for name in visible) or "none"
        message = (f"no sheet name matches the period pattern {pattern} (period.from_sheet_name); "
                   f"the workbook has {listing}") if pattern else "the workbook has no sheets"
        raise SubmissionError(file, message=message)
    return chosen


def _hidden_sheets(workbook: python_calamine.CalamineWorkbook) -> frozenset[str]:
    return frozenset(m.name for m in workbook.sheets_metadata if m.visible != python_calamine.SheetVisibleEnum.Visible)


def _check_extents(data: bytes, names: list[str], file: Path) -> None:
    """Refuse a sheet whose cells span more than the reader can hold, before it is read
    (assets/ingest/workbook_limits.py); old .xls files are bounded by their size."""
    if not data.startswith(_ZIP_MAGIC):
        return
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = sheet_parts(archive)
        for name in names:
            if name not in parts:
                continue
            rows, columns = claimed_extent(archive.read(parts[name]))
            if rows * columns > MAX_SHEET_CELLS:
                raise SubmissionError(
                    file, message=f"sheet {name!r} has cells as far as {column_letters(columns)}{rows}: {rows:,} rows x "
                    f"{columns:,} columns, more than the {MAX_SHEET_CELLS:,} cells openbook reads from one sheet. "
                    "Delete the stray cells far from the table (or send the sheet as CSV)")


def _stack_sheets(tables: list[RawTable], names: list[str]) -> RawTable:
    """One table from several sheets: each sheet's mapped columns renamed to the first
    sheet's names (headers may differ in case or spacing), other columns kept by name."""
    first = tables[0].header
    frames = []
    for table, sheet in zip(tables, names):
        rename = {table.header.roles[role]: first.roles[role] for role in first.roles
                  if table.header.roles[role] != first.roles[role]}
        taken = set(table.columns) - set(rename)
        clash = {target for target in rename.values() if target in taken}
        frame = table.frame.rename({c: f"{c} ({sheet})" for c in clash}).rename(rename)
        frames.append(frame.with_columns(pl.lit(sheet, pl.String).alias(SHEET)))
    frame = pl.concat(frames, how="diagonal")
    columns = [c for c in frame.columns if c not in (SOURCE_ROW, SHEET)]
    unnamed = frozenset().union(*(t.header.unnamed for t in tables)) - set(first.roles.values())
    header = Header(first.row, first.names + [c for c in columns if c not in first.names], unnamed, first.roles)
    return RawTable(frame=frame.select(SOURCE_ROW, SHEET, *columns), columns=columns, header=header)


def _check_workbook_container(data: bytes, file: Path, kind: str) -> None:
    """Clear messages where calamine would say "Cannot detect file format", and a cap on
    what an .xlsx inflates to, checked before the workbook is parsed."""
    unreadable = "cannot be read as an Excel workbook"
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise SubmissionError(
                file, message=f"{unreadable}: it is password-protected (encrypted); ask the partner to send it "
                "again without a password")
        return  # an old .xls (calamine reads it whatever the config's type says)
    if not data.startswith(_ZIP_MAGIC):
        if (old_biff := _pre_97_worksheet(data)) is not None:
            raise SubmissionError(
                file, message=f"{unreadable}: it is an {old_biff} worksheet (a format from before Excel 97, not "
                "in an OLE container), which openbook does not read; open it in Excel or LibreOffice and save it "
                "as .xlsx")
        if data.startswith(b"PK"):
            raise SubmissionError(file, message=f"{unreadable}: it is damaged (an empty or broken zip archive)")
        if not any(byte in data[:_SNIFF_BYTES] for byte in range(9)):
            raise SubmissionError(
                file, message=f"{unreadable}: this is a text file (CSV?), but the source config says type: {kind}")
        raise SubmissionError(file, message=f"{unreadable}: this is not an .xlsx or .xls file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _inflated_size(archive, file)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as error:
        raise SubmissionError(
            file, message=f"{unreadable}: it is damaged or incomplete ({_first_line(error)}); was the upload "
            "cut short?") from None


# The BOF record that opens an Excel 2.x, 3.0 or 4.0 worksheet saved on its own (BIFF2-4):
# the record id, little-endian, then a short length. Real files still carry it: DFID's
# spend over £25,000 for August 2010 was published as an Excel 3.0 worksheet (09 02 06 00).
# Excel 5 and later write a BIFF5/8 stream inside an OLE container, which calamine reads.
_PRE_97_BOF = {b"\x09\x00": "Excel 2.x (BIFF2)", b"\x09\x02": "Excel 3.0 (BIFF3)", b"\x09\x04": "Excel 4.0 (BIFF4)"}


def _pre_97_worksheet(data: bytes) -> str | None:
    """The old Excel format a file is written in, when it opens with a BIFF2-4 BOF record."""
    if len(data) < 8:
        return None
    length = int.from_bytes(data[2:4], "little")
    return _PRE_97_BOF.get(data[:2]) if 4 <= length <= 16 else None


def _inflated_size(archive: zipfile.ZipFile, file: Path) -> int:
    """Inflate every part in bounded chunks, counting bytes; refuse past the cap. The
    sizes a zip declares are not trusted: a forged header can understate them."""
    total = 0
    too_big = SubmissionError(
        file, message=f"the workbook would take more than {MAX_WORKBOOK_BYTES // (1024 * 1024)} MiB once "
        "uncompressed, more than any ledger needs (a damaged or hostile file?); send it as CSV instead")
    if sum(item.file_size for item in archive.infolist()) > MAX_WORKBOOK_BYTES:
        raise too_big
    for item in archive.infolist():
        if item.compress_type == zipfile.ZIP_STORED:
            total += item.compress_size
        elif item.compress_type == zipfile.ZIP_DEFLATED:
            raw = _raw_member(archive, item)
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            while raw:
                total += len(inflater.decompress(raw, _INFLATE_CHUNK))
                raw = inflater.unconsumed_tail
                if total > MAX_WORKBOOK_BYTES:
                    raise too_big
            total += len(inflater.flush())  # at most a few hundred bytes once the input is used up
        else:
            raise zipfile.BadZipFile(f"part {item.filename!r} uses an unsupported compression")
        if total > MAX_WORKBOOK_BYTES:
            raise too_big
    return total


def _raw_member(archive: zipfile.ZipFile, item: zipfile.ZipInfo) -> bytes:
    """The compressed bytes of one part, read from its local header."""
    handle = archive.fp
    handle.seek(item.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != _ZIP_MAGIC:
        raise zipfile.BadZipFile(f"part {item.filename!r} has a bad local header")
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    handle.seek(item.header_offset + 30 + name_length + extra_length)
    raw = handle.read(item.compress_size)
    if len(raw) < item.compress_size:
        raise zipfile.BadZipFile(f"part {item.filename!r} is cut short")
    return raw


def _sheet_name(available: list[str], wanted: str | None, file: Path) -> str:
    if wanted is None:
        if not available:
            raise SubmissionError(file, message="the workbook has no sheets")
        return available[0]
    for name in available:
        if normalise_sheet(name) == normalise_sheet(wanted):
            return name
    listing = ", ".join(repr(name) for name in available)
    raise SubmissionError(file, message=f"no sheet named {wanted!r} (file.sheet); the workbook has {listing}")


def normalise_sheet(name: str) -> str:
    return " ".join(name.split()).casefold()


def _widen(header: Header, width: int) -> list[str]:
    # Cells right of the header's last column (a comment typed beside the table).
    return header.names + [f"column_{position}" for position in range(len(header.names) + 1, width + 1)]


def cell_text(value: object) -> str | None:
    """A cell as the text Excel shows in General format: numbers without float noise,
    dates as ISO yyyy-mm-dd (with the time when there is one)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def number_text(value: float) -> str:
    """The shortest text that reads back as the same float, cut to Excel's 15 significant
    digits: a cell summing pennies (0.1 + 0.2) holds 0.30000000000000004 and shows 0.3.
    Text all the way, so a DECIMAL parse never sees float arithmetic."""
    if not math.isfinite(value):
        return repr(value)
    text = repr(value)
    if len(re.sub(r"[^0-9]", "", text.split("e")[0]).lstrip("0")) > _EXCEL_SIGNIFICANT_DIGITS:
        text = format(value, f".{_EXCEL_SIGNIFICANT_DIGITS}g")
    plain = format(Decimal(text), "f")  # 1e+20 -> 100000000000000000000
    return plain.rstrip("0").rstrip(".") if "." in plain else plain


# --------------------------------------------------------------------------- shared


def _finish(frame: pl.DataFrame, header: Header, keep_through: int = 0) -> RawTable:
    """Drop trailing blank rows after line/row `keep_through`, and columns with neither a
    header nor a value (column A left empty; the extra-fields column when no row overflowed)."""
    blank = is_blank_row([c for c in frame.columns if c != SOURCE_ROW])
    if frame.height and frame.tail(1).select(blank).item():  # rare: only then scan every row
        kept_row = ~blank | (pl.col(SOURCE_ROW) <= keep_through)
        kept = frame.select(pl.int_range(pl.len()).filter(kept_row).max()).item()
        frame = frame.head(0 if kept is None else kept + 1)
    droppable = {*header.unnamed, EXTRA_FIELDS, LAST_LINE}
    empty = [c for c in frame.columns if c in droppable and frame[c].null_count() == frame.height]
    columns = [c for c in frame.columns if c != SOURCE_ROW and c not in empty]
    return RawTable(frame=frame.select(SOURCE_ROW, *columns), columns=columns, header=header)


def is_blank_row(columns: list[str]) -> pl.Expr:
    """True when every cell is empty or only spaces."""
    if not columns:
        return pl.lit(True)
    return pl.all_horizontal(pl.col(c).str.strip_chars().fill_null("") == "" for c in columns)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
