"""Assembling one file's rows: structural, bulk and bad lines in one frame, in file order,
with transaction ids, the repeated row and blank rows in place. Writers render this frame;
the truth manifest is computed from the very same frame."""
from __future__ import annotations

import polars as pl

from demo.cost_centres import CostCentre
from demo.defects import BLANK_ROW, DUPLICATE_TRANSACTION
from demo.layouts import Layout
from demo.ledgers import LINE_FIELDS
from demo.system import Partner

FRAME_SCHEMA = {name: pl.String for name in LINE_FIELDS} | {
    "posting_date": pl.Date, "amount": pl.Int64, "budget": pl.Int64, "transaction_id": pl.String,
}
SEQUENCE_DIGITS = 6


def lines_frame(lines: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{**dict.fromkeys(FRAME_SCHEMA), **line} for line in lines], schema=FRAME_SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Any partial frame (bulk lines) in the full schema and column order."""
    return frame.with_columns([pl.lit(None, dtype=dtype).alias(name) for name, dtype in FRAME_SCHEMA.items()
                               if name not in frame.columns]).select(
        [pl.col(name).cast(dtype) for name, dtype in FRAME_SCHEMA.items()])


def cost_centre_text(centres: list[CostCentre]) -> pl.DataFrame:
    """What a partner's ledger prints beside a cost centre, as defaults for its lines."""
    return pl.DataFrame(
        [(c.code, c.name, c.area or None, c.division or None, c.expense_type or None, c.funding_stream)
         for c in centres],
        schema={"cost_centre": pl.String, "_name": pl.String, "_area": pl.String, "_division": pl.String,
                "_expense_type": pl.String, "_funding_stream": pl.String}, orient="row")


def assemble(layout: Layout, partner: Partner, period: str, lines: list[dict], bulk: pl.DataFrame,
             centres: list[CostCentre], duplicate_cost_centre: str | None, blank_rows: int) -> pl.DataFrame:
    parts = [conform(lines_frame(lines))] + ([conform(bulk)] if bulk.height else [])
    frame = _with_cost_centre_text(pl.concat(parts), centres)
    frame = frame.sort(list(layout.sort_by), maintain_order=True)
    if layout.transaction_prefix is not None:
        frame = _with_transaction_ids(frame, layout.transaction_prefix(partner, period))
    if duplicate_cost_centre is not None:
        frame = _repeat_first_row_of(frame, duplicate_cost_centre)
    if blank_rows:
        frame = _with_blank_rows(frame, blank_rows)
    return frame


def _with_cost_centre_text(frame: pl.DataFrame, centres: list[CostCentre]) -> pl.DataFrame:
    joined = frame.join(cost_centre_text(centres), on="cost_centre", how="left", maintain_order="left")
    return joined.with_columns(
        cc_name=pl.coalesce("cc_name", "_name"), area=pl.coalesce("area", "_area"),
        division=pl.coalesce("division", "_division"), expense_type=pl.coalesce("expense_type", "_expense_type"),
        funding_stream=pl.coalesce("funding_stream", "_funding_stream"),
    ).select(list(FRAME_SCHEMA))


def _with_transaction_ids(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
    if frame.height >= 10 ** SEQUENCE_DIGITS:
        raise ValueError(f"{frame.height} rows do not fit {SEQUENCE_DIGITS}-digit transaction numbers")
    sequence = pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(SEQUENCE_DIGITS)
    return frame.with_columns(transaction_id=pl.concat_str([pl.lit(prefix), sequence]))


def _repeat_first_row_of(frame: pl.DataFrame, cost_centre: str) -> pl.DataFrame:
    """The same payment exported twice: an identical row right after the first."""
    matches = frame.with_row_index("_i").filter(pl.col("cost_centre") == cost_centre)["_i"]
    if matches.is_empty():
        raise ValueError(f"no {cost_centre} row to repeat")
    at = int(matches[0]) + 1
    copy = frame.slice(at - 1, 1).with_columns(defect=pl.lit(DUPLICATE_TRANSACTION))
    return pl.concat([frame.slice(0, at), copy, frame.slice(at)])


def _with_blank_rows(frame: pl.DataFrame, count: int) -> pl.DataFrame:
    at = frame.height // 2
    blanks = pl.DataFrame({"defect": [BLANK_ROW] * count}).pipe(conform)
    return pl.concat([frame.slice(0, at), blanks, frame.slice(at)])
