"""A submission file -> canonical ledger lines, quarantined rows and skipped rows.

Every data row lands in exactly one of the three frames:
  skipped     blank rows, totals rows, notes (the config's skip rules);
  quarantine  rows whose first failing field (in canonical field order) is unusable;
  lines       the rest, typed: Date, DECIMAL(18,2), text.
All of it is polars expressions over whole columns, so a 10M-row CSV is one pass.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from assets.ingest import dates
from assets.ingest.canonical import CANONICAL_FIELDS, LINES_SCHEMA, QUARANTINE_SCHEMA, SKIPPED_SCHEMA, SkipReason
from assets.ingest.errors import SubmissionError
from assets.ingest.fields import FieldParser, output
from assets.ingest.period import period_from_name
from assets.ingest.readers import SOURCE_ROW, RawTable, is_blank_row, read_table
from assets.ingest.source_config import SourceConfig

# Working columns; the "__" keeps them clear of any header a partner might use.
RAW_RECORD = "__raw_record"
SKIP_REASON = "__skip_reason"


@dataclass
class ParsedSubmission:
    partner_id: str
    period: str  # YYYY-MM
    source_file: str
    sha256: str
    rows_read: int  # == len(lines) + len(quarantine) + len(skipped)
    lines: pl.DataFrame
    quarantine: pl.DataFrame
    skipped: pl.DataFrame
    header_row: int = 0  # where the header was found (1-based)
    source_columns: list[str] = field(default_factory=list)  # the file's columns, in order
    column_map: dict[str, str] = field(default_factory=dict)  # role -> source column used


def parse_submission(path: Path | str, config: SourceConfig) -> ParsedSubmission:
    """Parse one file with its source config. File-level problems (unreadable, empty,
    no header, mapped columns missing, no period) raise SubmissionError."""
    source_file = os.fspath(path)  # recorded as given; Path() would tidy "./x" to "x"
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SubmissionError(path, message=f"cannot open the file ({error.strerror})") from None
    period = None
    if config.period.from_file_name is not None:
        try:
            period = period_from_name(path.name, config.period.from_file_name)
        except ValueError as error:
            raise SubmissionError(path, message=f"cannot tell the period: {error} (period.from_file_name)") from None
    sha256 = hashlib.sha256(data).hexdigest()
    table = read_table(data, path, config)
    del data  # the file's bytes are in `table` now; a 10M-row file need not be held twice
    return parse_table(table, config, source_file=source_file, sha256=sha256, period=period)


def parse_table(
    table: RawTable, config: SourceConfig, *, source_file: str, sha256: str, period: str | None
) -> ParsedSubmission:
    file = Path(source_file)
    frame = table.frame.with_columns(
        _raw_record(table.columns).alias(RAW_RECORD), _skip_reason(table, config).alias(SKIP_REASON)
    )
    rows = frame.filter(pl.col(SKIP_REASON).is_null())
    if period is None:
        period = _period_from_column(rows, table, config, file)

    fields = FieldParser(table, config, file.name, period)
    checked = fields.run(rows)
    lines = checked.filter(~fields.failed).select(
        pl.col(SOURCE_ROW).alias("source_row"),
        *(pl.col(output(name)).alias(name) for name in CANONICAL_FIELDS),
        pl.col(RAW_RECORD).alias("raw_record"),
    )
    quarantine = fields.explain(checked.filter(fields.failed)).select(
        pl.col(SOURCE_ROW).alias("source_row"), "field", "reason_code", "message",
        pl.col(RAW_RECORD).alias("raw_record"),
    )
    skipped = frame.filter(pl.col(SKIP_REASON).is_not_null()).select(
        pl.col(SOURCE_ROW).alias("source_row"), pl.col(SKIP_REASON).alias("reason"),
        pl.col(RAW_RECORD).alias("raw_record"),
    )

    parsed = ParsedSubmission(
        partner_id=config.partner_id,
        period=period,
        source_file=source_file,
        sha256=sha256,
        rows_read=frame.height,
        lines=lines.cast(LINES_SCHEMA),
        quarantine=quarantine.cast(QUARANTINE_SCHEMA),
        skipped=skipped.cast(SKIPPED_SCHEMA),
        header_row=table.header.row,
        source_columns=[name for name in table.header.names if name not in table.header.unnamed],
        column_map={role: table.header.roles[role] for role in config.source_columns},
    )
    # Cheap, and the one property every downstream count relies on.
    assert parsed.rows_read == parsed.lines.height + parsed.quarantine.height + parsed.skipped.height
    return parsed


# --------------------------------------------------------------------------- rows


def _raw_record(columns: list[str]) -> pl.Expr:
    """The row as the partner sent it: JSON object of column -> text (null if empty)."""
    if not columns:
        return pl.lit("{}")
    return pl.struct(columns).struct.json_encode()


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


def _period_from_column(rows: pl.DataFrame, table: RawTable, config: SourceConfig, file: Path) -> str:
    column = table.header.roles["period.from_column"]
    parsed, _ = dates.date_exprs(pl.col(column), config.dates, excel_source=config.file.type != "csv")
    months = rows.select(parsed.dt.strftime("%Y-%m").drop_nulls().unique().sort()).to_series().to_list()
    if len(months) == 1:
        return months[0]
    if not months:
        message = "cannot tell the period: no row has a date (period.from_column)"
        raise SubmissionError(file, field=column, message=message)
    raise SubmissionError(
        file,
        field=column,
        message=f"cannot tell the period: dates fall in {len(months)} months ({', '.join(months)}); "
        "a submission covers one month (period.from_column)",
    )
