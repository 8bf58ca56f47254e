"""The canonical ledger line and the shapes of the three frames a parse produces.

docs/model.md is the contract; the names and types here follow it.
"""

from __future__ import annotations

import polars as pl

# Order matters: it is the column order of `lines`, and the order in which fields are
# checked, so a row that fails twice is quarantined for its first failing field.
CANONICAL_FIELDS: tuple[str, ...] = (
    "posting_date",
    "cost_centre",
    "expense_type",
    "counterparty",
    "description",
    "transaction_id",
    "amount",
    "funding_stream",
)

FUNDING_STREAMS: tuple[str, ...] = ("recurrent", "non_recurrent", "sdf", "s75_pooled", "grant")

AMOUNT_DTYPE = pl.Decimal(18, 2)

LINES_SCHEMA: dict[str, pl.DataType] = {
    "period": pl.String(),
    "source_row": pl.Int64(),
    "posting_date": pl.Date(),
    "cost_centre": pl.String(),
    "expense_type": pl.String(),
    "counterparty": pl.String(),
    "description": pl.String(),
    "transaction_id": pl.String(),
    "amount": AMOUNT_DTYPE,
    "funding_stream": pl.String(),
    "extra": pl.String(),  # JSON of the config's columns.extra -> text; null when none
    "raw_record": pl.String(),
}

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "period": pl.String(),
    "source_row": pl.Int64(),
    "field": pl.String(),
    "reason_code": pl.String(),
    "message": pl.String(),
    "raw_record": pl.String(),
}

SKIPPED_SCHEMA: dict[str, pl.DataType] = {
    "period": pl.String(),
    "source_row": pl.Int64(),
    "reason": pl.String(),
    "raw_record": pl.String(),
}


def stored_schema(schema: dict[str, pl.DataType]) -> dict[str, pl.DataType]:
    """A frame's schema as the load writes it: raw_record (the row as a JSON object) is kept as
    raw_cells (its cells as a JSON array; the column names once per load, parse.raw_columns)."""
    return {("raw_cells" if name == "raw_record" else name): dtype for name, dtype in schema.items()}


# The longest value a ledger cell holds: Excel's own limit for one cell. Longer values are
# quarantined (FIELD_TOO_LONG) and kept in raw_record cut to this length, so one bad field
# cannot bloat the warehouse.
MAX_FIELD_CHARS = 32_767


class ReasonCode:
    """Quarantine reason codes (one per rejected row: its first failing field)."""

    BAD_AMOUNT = "BAD_AMOUNT"
    BAD_DATE = "BAD_DATE"
    BAD_FUNDING_STREAM = "BAD_FUNDING_STREAM"
    BLANK_SUPPLIER = "BLANK_SUPPLIER"
    MISSING_FIELD = "MISSING_FIELD"
    # A CSV row with more fields than the header: usually an unquoted delimiter inside
    # a value, so every column after it is shifted and nothing in the row can be trusted.
    EXTRA_FIELDS = "EXTRA_FIELDS"
    # A CSV record running over several lines of the file (a quoted value holding line
    # breaks) where the source config does not allow it: usually an unbalanced quote that
    # swallowed the lines after it.
    SPANS_LINES = "SPANS_LINES"
    # A value longer than MAX_FIELD_CHARS (a spreadsheet cell's limit): not a ledger value
    # but a file gone wrong (a quote swallowing the rest of the file, a pasted document).
    FIELD_TOO_LONG = "FIELD_TOO_LONG"
    # The row's month cannot be told (period.from_column / from_year_period): no date, a
    # date before 2010 or after 2099, or an accounting year + period that is not one.
    BAD_PERIOD = "BAD_PERIOD"


class SkipReason:
    BLANK_ROW = "blank_row"
    # A totals row (labelled, or found by arithmetic) whose amount is its load's control
    # total: assets/submission_checks.py compares it with the lines loaded.
    TOTALS_ROW = "totals_row"
    # A totals row that is not its load's control total: a subtotal that a later running
    # or grand total includes, or a total of lines from several months of one file.
    SUBTOTAL_ROW = "subtotal_row"
    NOTE_ROW = "note_row"
