"""`openbook sources check <config> [<file>]`: is this config right for this file?

Plain text for a finance analyst: the config's verdict, which columns were found and
used, the period, what the first rows became, and what was quarantined or skipped.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

import polars as pl

from assets.ingest.errors import SourceConfigError, SubmissionError
from assets.ingest.header import key_path
from assets.ingest.parse import ParsedSubmission, parse_submission
from assets.ingest.source_config import SourceConfig, load_source_config
from warehouse.plain_text import plural

MESSAGES_SHOWN = 5


def preview_submission(config_path: Path, file_path: Path | None, max_rows: int = 10,
                       reference_dir: Path | None = None) -> str:
    """The preview text; with `reference_dir` (the data home's reference/), staging too."""
    return preview(config_path, file_path, max_rows, reference_dir)[0]


def preview(config_path: Path, file_path: Path | None, max_rows: int = 10,
            reference_dir: Path | None = None) -> tuple[str, bool]:
    """(the preview text, whether it is usable): the config is valid and, given a file, it
    parses and at least one line would load (and, staged, the month would not be blocked)."""
    try:
        config = load_source_config(config_path)
    except SourceConfigError as error:
        return f"Source config {config_path}: NOT VALID\n{error}\n", False
    lines = [f"Source config {config_path}: OK", *_describe_config(config)]
    if file_path is None:
        return "\n".join(lines) + "\n", True
    lines += ["", f"File {file_path}"]
    if not fnmatchcase(Path(file_path).name.casefold(), config.file.pattern.casefold()):
        lines.append(
            f"  WARNING: the name does not match file.pattern {config.file.pattern!r}: the pipeline will not pick it up"
        )
    try:
        parsed = parse_submission(file_path, config)
    except SubmissionError as error:
        lines.append(f"  CANNOT BE PARSED: {error}")
        return "\n".join(lines) + "\n", False
    lines += _describe_file(parsed, config)
    lines += ["", *_describe_counts(parsed)]
    usable = parsed.stored_lines.height > 0
    if reference_dir is not None:
        # imported here: the staging checks import this package (a cycle at import time)
        from assets.ingest.staging_preview import preview_staging

        # A file spanning months loads (and is checked) one partner-month at a time.
        usable = False
        for period in parsed.periods:
            staged = preview_staging(parsed.for_period(period), config, reference_dir)
            heading = [f"Month {period}:"] if len(parsed.periods) > 1 else []
            lines += ["", *heading, *staged.lines]
            usable = usable or staged.would_load
    elif not usable:
        lines.append("NOTHING WOULD LOAD: no row of the file became a ledger line")
    shown = parsed.stored_lines
    lines += ["", f"First {min(max_rows, shown.height)} parsed lines:", _table(shown, max_rows)]
    return "\n".join(lines) + "\n", usable


def _describe_config(config: SourceConfig) -> list[str]:
    spec = config.file
    opened = f"{spec.type}, sheet {spec.sheet!r}" if spec.sheet else spec.type
    if spec.type == "csv":
        opened += f", {spec.encoding}, delimiter {spec.delimiter!r}"
    rule = config.period
    period = {
        "from_file_name": lambda: f"from the file name, pattern {rule.from_file_name}",
        "from_column": lambda: "each row's month from column " + " or ".join(repr(name) for name in rule.from_column),
        "from_year_period": lambda: (f"each row's month from columns {rule.from_year_period.year!r} (financial year) "
                                     f"and {rule.from_year_period.period!r} (period, 1 = April)"),
        "from_sheet_name": lambda: f"each sheet's month from its name, pattern {rule.from_sheet_name}",
        "fixed": lambda: f"fixed: {rule.fixed}",
    }[rule.source]()
    return [
        f"  partner:  {config.partner_id}" + (f" ({config.description})" if config.description else ""),
        f"  files:    inbox/{config.partner_id}/{spec.pattern} ({opened}; header row {spec.header_row})",
        f"  period:   {period}",
    ]


def _describe_file(parsed: ParsedSubmission, config: SourceConfig) -> list[str]:
    used = set(parsed.column_map.values())
    unused = [name for name in parsed.source_columns if name not in used]
    lines = [
        f"  period detected: {_months(parsed)}",
        f"  header on row {parsed.header_row}; columns in the file: {', '.join(parsed.source_columns)}",
        "  mapped columns (all found):",
    ]
    width = max(len(key_path(role)) for role in parsed.column_map)
    lines += [f"    {key_path(role):<{width}}  <- {column}" for role, column in parsed.column_map.items()]
    if config.columns.posting_date is None:
        lines.append(f"    {'columns.posting_date':<{width}}  (no column: the last day of the row's month)")
    lines.append(f"  columns not used: {', '.join(unused) if unused else 'none'}")
    return lines


def _months(parsed: ParsedSubmission) -> str:
    if len(parsed.periods) <= 1:
        return parsed.period or "none"
    counts = dict(parsed.stored_lines.group_by("period").len().iter_rows())
    shown = ", ".join(f"{p} ({plural(counts.get(p, 0), 'line')})" for p in parsed.periods)
    return f"{len(parsed.periods)} months: {shown}"


def _describe_counts(parsed: ParsedSubmission) -> list[str]:
    total = parsed.stored_lines.select(pl.col("amount").sum()).item()
    lines = [
        f"Rows read:   {parsed.rows_read}",
        f"  parsed:      {parsed.stored_lines.height}  (total amount {total or 0:,.2f})",
        f"  quarantined: {parsed.stored_quarantine.height}{_by(parsed.stored_quarantine, 'reason_code')}",
    ]
    messages = parsed.stored_quarantine.get_column("message").head(MESSAGES_SHOWN).to_list()
    lines += [f"      {message}" for message in messages]
    if parsed.stored_quarantine.height > MESSAGES_SHOWN:
        lines.append(f"      ... and {parsed.stored_quarantine.height - MESSAGES_SHOWN} more")
    skipped = parsed.stored_skipped.sort("source_row")
    lines.append(f"  skipped:     {skipped.height}{_by(skipped, 'reason')}")
    for row, reason in skipped.head(MESSAGES_SHOWN).select("source_row", "reason").iter_rows():
        lines.append(f"      row {row}: {reason}")
    return lines


def _by(frame: pl.DataFrame, column: str) -> str:
    if frame.is_empty():
        return ""
    counts = frame.group_by(column).len().sort(column).iter_rows()
    return "  (" + ", ".join(f"{value} {count}" for value, count in counts) + ")"


def _table(lines: pl.DataFrame, max_rows: int) -> str:
    # A value spanning lines (a quoted CSV cell with a line break) would break the grid.
    quiet = [c for c in ("period", "extra") if c in lines.columns and lines[c].n_unique() <= 1]
    shown = lines.drop("raw_cells", *quiet).head(max_rows).with_columns(pl.col(pl.String).str.replace_all(r"\s+", " "))
    with pl.Config(
        tbl_rows=max_rows,
        tbl_cols=-1,
        tbl_width_chars=250,
        fmt_str_lengths=40,
        tbl_formatting="ASCII_MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
    ):
        return str(shown)
