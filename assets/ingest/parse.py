"""A submission file -> canonical ledger lines, quarantined rows and skipped rows.

Every data row lands in exactly one of the three frames:
  skipped     blank rows, totals rows (labelled, or found by arithmetic: totals.py), notes;
  quarantine  rows whose first failing field (in canonical field order) is unusable;
  lines       the rest, typed: Date, DECIMAL(18,2), text.
Every row also gets a month (column `period`): the file's (period.from_file_name,
fixed) or its own (from_column, from_year_period, from_sheet_name), so one file may
cover many months; `ParsedSubmission.for_period` cuts out one month's rows. A row that
tells no month (blank, totals, a bad date) goes with the nearest row above that does.
All of it is polars expressions over whole columns, so a 10M-row CSV is one pass.

Each row also keeps its cells as the partner sent them: stored compactly as `raw_cells` (a
JSON array, in the order of `raw_columns`, the file's column names, written once per load)
rather than as a JSON object per row, whose repeated column names were most of the raw
layer's bytes. `lines`, `quarantine` and `skipped` show each row as that object
(`raw_record`, column -> text); the load writes the `stored_` frames.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from assets.ingest import dates, fields
from assets.ingest.canonical import (CANONICAL_FIELDS, LINES_SCHEMA, MAX_FIELD_CHARS, QUARANTINE_SCHEMA, SKIPPED_SCHEMA,
                                    SkipReason, stored_schema)
from assets.ingest.errors import SubmissionError
from assets.ingest.fields import FieldParser, output
from assets.ingest.period import month_of_date, month_of_year_period, period_from_name
from assets.ingest.readers import SHEET, SOURCE_ROW, RawTable, check_file_size, is_blank_row, read_table
from assets.ingest.source_config import SourceConfig
from assets.ingest.totals import ORDER, totals_rows

# Working columns; the "__" keeps them clear of any header a partner might use.
RAW_CELLS = "__raw_cells"
SKIP_REASON = "__skip_reason"
ROW_MONTH = "__row_month"  # the month the row itself tells (null when it tells none)
LOAD_MONTH = "__load_month"  # the month the row is stored in (its own, or the nearest above)
ROW_DATE = "__row_date"  # period.from_column: the date that tells the row's month


@dataclass
class ParsedSubmission:
    partner_id: str
    periods: tuple[str, ...]  # YYYY-MM, sorted: every month a row of the file was put in
    source_file: str
    sha256: str
    rows_read: int  # == len(lines) + len(quarantine) + len(skipped)
    # As written to the warehouse: each row's cells in `raw_cells`, named by raw_columns.
    stored_lines: pl.DataFrame
    stored_quarantine: pl.DataFrame
    stored_skipped: pl.DataFrame
    raw_columns: list[str]  # the names of raw_cells' cells: the file's columns, then "(sheet)" if read
    header_row: int = 0  # where the header was found (1-based; the first sheet's)
    source_columns: list[str] = field(default_factory=list)  # the file's columns, in order
    column_map: dict[str, str] = field(default_factory=dict)  # role -> source column used

    @property
    def lines(self) -> pl.DataFrame:
        return self._readable(self.stored_lines)

    @property
    def quarantine(self) -> pl.DataFrame:
        return self._readable(self.stored_quarantine)

    @property
    def skipped(self) -> pl.DataFrame:
        return self._readable(self.stored_skipped)

    def _readable(self, stored: pl.DataFrame) -> pl.DataFrame:
        """The rows with raw_record, the row as a JSON object (column -> text), in raw_cells' place."""
        return stored.with_columns(raw_record(pl.col("raw_cells"), self.raw_columns).alias("raw_cells")).rename(
            {"raw_cells": "raw_record"})

    @property
    def period(self) -> str | None:
        """The file's month when it covers exactly one, else None."""
        return self.periods[0] if len(self.periods) == 1 else None

    def for_period(self, period: str) -> ParsedSubmission:
        """The rows of one month: what one partner-month load of this file holds."""
        month = pl.col("period") == period
        lines, quarantine, skipped = (frame.filter(month) for frame in
                                      (self.stored_lines, self.stored_quarantine, self.stored_skipped))
        return replace(self, periods=(period,), stored_lines=lines, stored_quarantine=quarantine,
                       stored_skipped=skipped, rows_read=lines.height + quarantine.height + skipped.height)


def parse_submission(path: Path | str, config: SourceConfig) -> ParsedSubmission:
    """Parse one file with its source config. File-level problems (unreadable, empty,
    no header, mapped columns missing, no period) raise SubmissionError."""
    source_file = os.fspath(path)  # recorded as given; Path() would tidy "./x" to "x"
    path = Path(path)
    check_file_size(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SubmissionError(path, message=f"cannot open the file ({error.strerror})") from None
    period = whole_file_period(path, config)
    sha256 = hashlib.sha256(data).hexdigest()
    table = read_table(data, path, config)
    del data  # the file's bytes are in `table` now; a 10M-row file need not be held twice
    return parse_table(table, config, source_file=source_file, sha256=sha256, period=period)


def whole_file_period(path: Path, config: SourceConfig) -> str | None:
    """The month of the whole file when the config gives one (file name or fixed), else None."""
    if config.period.fixed is not None:
        return config.period.fixed
    if config.period.from_file_name is None:
        return None
    try:
        return period_from_name(path.name, config.period.from_file_name)
    except ValueError as error:
        raise SubmissionError(path, message=f"cannot tell the period: {error} (period.from_file_name)") from None


def parse_table(
    table: RawTable, config: SourceConfig, *, source_file: str, sha256: str, period: str | None
) -> ParsedSubmission:
    file = Path(source_file)
    frame = table.frame.with_columns(
        _raw_cells(table).alias(RAW_CELLS),
        _skip_reason(table, config).alias(SKIP_REASON),
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ORDER),
    )
    frame = _with_row_month(frame, table, config, file, period)
    # Rows that tell no month of their own (blank, totals, notes, or a bad date) are
    # stored with the month of the nearest row above that has one (below, at the top).
    frame = frame.with_columns(pl.col(ROW_MONTH).forward_fill().backward_fill().alias(LOAD_MONTH))
    if period is None and frame[LOAD_MONTH].null_count() == frame.height:
        raise SubmissionError(file, field=_month_column(table, config),
                              message=f"cannot tell the period: no row tells a month ({config.period.source})")
    rows = frame.filter(pl.col(SKIP_REASON).is_null())

    fields = FieldParser(table, config, file.name, ROW_MONTH)
    checked = fields.run(rows)
    totals = _totals(frame, checked, table, config, fields)
    if totals:
        found = pl.col(ORDER).is_in(list(totals))
        frame = frame.with_columns(
            pl.col(ORDER).replace_strict(totals, default=pl.col(SKIP_REASON), return_dtype=pl.String)
            .alias(SKIP_REASON))
        checked = checked.filter(~found)

    lines = checked.filter(~fields.failed).select(
        pl.col(ROW_MONTH).alias("period"),
        pl.col(SOURCE_ROW).alias("source_row"),
        *(pl.col(output(name)).alias(name) for name in CANONICAL_FIELDS),
        _extra(table, config).alias("extra"),
        pl.col(RAW_CELLS).alias("raw_cells"),
    )
    quarantine = fields.explain(checked.filter(fields.failed)).select(
        pl.col(LOAD_MONTH).alias("period"), pl.col(SOURCE_ROW).alias("source_row"), "field", "reason_code", "message",
        pl.col(RAW_CELLS).alias("raw_cells"),
    )
    skipped = frame.filter(pl.col(SKIP_REASON).is_not_null()).select(
        pl.col(LOAD_MONTH).alias("period"), pl.col(SOURCE_ROW).alias("source_row"), pl.col(SKIP_REASON).alias("reason"),
        pl.col(RAW_CELLS).alias("raw_cells"),
    )
    months = sorted(set(frame[LOAD_MONTH].drop_nulls().unique().to_list()))

    parsed = ParsedSubmission(
        partner_id=config.partner_id,
        periods=tuple(months) if months or period is None else (period,),
        source_file=source_file,
        sha256=sha256,
        rows_read=frame.height,
        stored_lines=lines.cast(stored_schema(LINES_SCHEMA)),
        stored_quarantine=quarantine.cast(stored_schema(QUARANTINE_SCHEMA)),
        stored_skipped=skipped.cast(stored_schema(SKIPPED_SCHEMA)),
        raw_columns=_raw_columns(table),
        header_row=table.header.row,
        source_columns=[name for name in table.header.names if name not in table.header.unnamed],
        column_map={role: table.header.roles[role] for role in config.source_columns},
    )
    # Cheap, and the one property every downstream count relies on.
    assert parsed.rows_read == parsed.stored_lines.height + parsed.stored_quarantine.height + parsed.stored_skipped.height
    return parsed


# --------------------------------------------------------------------------- rows


def _raw_columns(table: RawTable) -> list[str]:
    """The names of a row's raw cells: the file's columns, and "(sheet)" when the source reads several sheets."""
    return [*table.columns, *(["(sheet)"] if SHEET in table.frame.columns else [])]


def _raw_cells(table: RawTable) -> pl.Expr:
    """The row as the partner sent it: a JSON array of its cells' text (null if empty), in
    the order of _raw_columns. Each cell is JSON-encoded on its own (as a one-field object,
    whose fixed `{"":` and `}` are cut off) and the cells joined: a list column's encoding
    costs polars three times as much."""
    cells = [_cut(pl.col(c)) for c in table.columns]
    if SHEET in table.frame.columns:
        cells.append(pl.col(SHEET))
    if not cells:
        return pl.lit("[]")
    encoded = [pl.struct(cell.alias("")).struct.json_encode().str.slice(4).str.head(-1) for cell in cells]
    return pl.concat_str([pl.lit("["), pl.concat_str(encoded, separator=","), pl.lit("]")])


def raw_record(cells: pl.Expr, columns: list[str]) -> pl.Expr:
    """raw_cells back to the row as a JSON object: column -> text (null if empty)."""
    if not columns:
        return pl.lit("{}")
    return cells.str.json_decode(pl.List(pl.String)).list.to_struct(fields=columns).struct.json_encode()


def _cut(value: pl.Expr) -> pl.Expr:
    """A value past MAX_FIELD_CHARS (its row is quarantined FIELD_TOO_LONG) is kept cut, with its length."""
    length = value.str.len_chars()
    return pl.when(length > MAX_FIELD_CHARS).then(
        pl.concat_str(value.str.slice(0, MAX_FIELD_CHARS), pl.lit(" [cut: "), length.cast(pl.String),
                      pl.lit(" characters]"))).otherwise(value)


def _extra(table: RawTable, config: SourceConfig) -> pl.Expr:
    """JSON of the config's extra columns (name as the config writes it -> text), null
    when the config names none or the row has none of them filled in."""
    names = config.columns.extra
    if not names:
        return pl.lit(None, pl.String)
    columns = [pl.col(table.header.roles[f"columns.extra[{i}]"]).alias(name) for i, name in enumerate(names)]
    any_filled = pl.any_horizontal(c.is_not_null() for c in columns)
    return pl.when(any_filled).then(pl.struct(columns).struct.json_encode())


def _skip_reason(table: RawTable, config: SourceConfig) -> pl.Expr:
    totals = _matches_rules("totals_rows", table, config)
    notes = _matches_rules("note_rows", table, config)
    if config.skip.notes_after_totals:
        # Everything under the (last) totals row is commentary, e.g. "Notes: ...".
        position = pl.int_range(pl.len())
        last_total = pl.when(totals).then(position).max()
        notes = notes | (last_total.is_not_null() & (position > last_total))
    return (
        pl.when(is_blank_row(table.columns))
        .then(pl.lit(SkipReason.BLANK_ROW))
        .when(totals)
        .then(pl.lit(SkipReason.TOTALS_ROW))
        .when(notes)
        .then(pl.lit(SkipReason.NOTE_ROW))
    )


def _matches_rules(kind: str, table: RawTable, config: SourceConfig) -> pl.Expr:
    """True where any of the skip rules of this kind finds its pattern."""
    matched = pl.lit(False)
    for index, rule in enumerate(getattr(config.skip, kind)):
        # A rule's column was matched to the header along with the mapped columns.
        columns = [table.header.roles[f"skip.{kind}[{index}].column"]] if rule.column else table.columns
        for column in columns:
            matched = matched | pl.col(column).str.strip_chars().str.contains(rule.pattern).fill_null(False)
    return matched


def _with_row_month(frame: pl.DataFrame, table: RawTable, config: SourceConfig, file: Path,
                    period: str | None) -> pl.DataFrame:
    """frame + ROW_MONTH: the file's month, or each row's own."""
    if period is not None:
        return frame.with_columns(pl.lit(period, pl.String).alias(ROW_MONTH))
    if config.period.from_column is None or fields.REFERENCE:
        return frame.with_columns(_row_month(table, config, file).alias(ROW_MONTH))
    # The date typed in stages (dates.date_columns), not as one expression that repeats
    # each format's reading wherever it is used: month_of_date uses it twice.
    date, problem = ROW_DATE, f"{ROW_DATE}_problem"
    frame = dates.date_columns(frame, pl.col(table.header.roles["period.from_column"]), config.dates,
                               excel_source=config.file.type != "csv", value=date, problem=problem)
    return frame.with_columns(month_of_date(pl.col(date)).alias(ROW_MONTH)).drop(date, problem)


def _row_month(table: RawTable, config: SourceConfig, file: Path) -> pl.Expr:
    """Each row's month (YYYY-MM; null where the row does not tell it)."""
    rule = config.period
    if rule.from_column is not None:
        parsed, _ = dates.date_exprs(
            pl.col(table.header.roles["period.from_column"]), config.dates, excel_source=config.file.type != "csv")
        return month_of_date(parsed)
    if rule.from_year_period is not None:
        roles = table.header.roles
        return month_of_year_period(
            pl.col(roles["period.from_year_period.year"]), pl.col(roles["period.from_year_period.period"]))
    # from_sheet_name: one month per sheet
    sheets = table.frame[SHEET].unique(maintain_order=True).to_list() if SHEET in table.frame.columns else [table.sheet]
    by_sheet = {}
    for sheet in sheets:
        try:
            by_sheet[sheet] = period_from_name(sheet or "", rule.from_sheet_name, "sheet name")
        except ValueError as error:
            raise SubmissionError(file, message=f"sheet {sheet!r}: cannot tell the period: {error} "
                                  "(period.from_sheet_name)") from None
    if SHEET not in table.frame.columns:
        return pl.lit(by_sheet[table.sheet], pl.String)
    return pl.col(SHEET).replace_strict(by_sheet, return_dtype=pl.String)


def _month_column(table: RawTable, config: SourceConfig) -> str | None:
    roles = table.header.roles
    return roles.get("period.from_column") or roles.get("period.from_year_period.period")


def _totals(frame: pl.DataFrame, checked: pl.DataFrame, table: RawTable, config: SourceConfig,
            fields: FieldParser) -> dict[int, str]:
    """ORDER -> skip reason for rows found to be totals by arithmetic, and labelled
    totals rows that are not their load's control total (see totals.py)."""
    labelled = frame.filter(pl.col(SKIP_REASON) == SkipReason.TOTALS_ROW)
    text_roles = [role for role in config.columns.mapped() if role not in ("amount", "debit", "credit")]
    if not config.skip.totals_by_arithmetic or not text_roles:
        # With no text field mapped every row would look like a total: nothing to go by.
        if not labelled.height:
            return {}
        blank_text = pl.lit(False)  # no candidates: only the labelled rows are looked at
    else:
        blank_text = pl.all_horizontal(
            [pl.col(table.header.roles[role]).str.strip_chars().fill_null("") == "" for role in text_roles])
    if labelled.height:
        labelled = fields.run(labelled)  # their amounts, typed as a line's would be
    else:
        labelled = checked.head(0)
    months = ROW_MONTH if config.period.per_row else None
    return totals_rows(checked, output("amount"), blank_text, labelled, months)
