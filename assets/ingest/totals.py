"""Totals rows found by arithmetic, and which totals rows are a load's control total.

A partner's export often ends a block of lines with a row that has no text at all, just
an amount: the total of the lines above. No skip rule can match it by a label, so it is
found by arithmetic. Walking the rows in file order:

- a candidate is a row whose mapped text fields (every mapped column but the amount,
  debit and credit) are blank and whose amount parses;
- it is a *subtotal* when its amount equals the sum of the lines since the previous
  totals row (at least one line), and a *running/grand total* when it equals the sum of
  every line since the top of the file (when some totals row came before it);
- a candidate that is neither is an ordinary line (its amount counts in later sums).

Lines are every row that is not skipped, whatever its other fields (a row set aside
for a bad date still carries money the total includes); a row whose amount does not
parse counts for nothing, so a total over it is not recognised (it is quarantined,
and the message shows it). Labelled totals rows (skip.totals_rows) are boundaries too.

Which totals rows make the control total (SkipReason.TOTALS_ROW, summed per load by the
control-total check) and which do not (SUBTOTAL_ROW): a running/grand total includes
every totals row above it, so those become subtotals; and in a file spanning months, a
total over lines of more than one month is no single month's control total.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from assets.ingest.canonical import SkipReason

ORDER = "__order"  # the row's position in the file (all sheets), 0-based


@dataclass(frozen=True)
class _Boundary:
    order: int
    cumulative_sum: Decimal  # sum of the lines above it
    lines_above: int
    kind: str  # segment | running | labelled (a labelled row whose amount adds up to neither)
    is_labelled: bool


def totals_rows(
    rows: pl.DataFrame, amount: str, blank_text: pl.Expr, labelled: pl.DataFrame, months: str | None
) -> dict[int, str]:
    """ORDER -> skip reason for the totals rows among `rows` (the non-skipped rows, with
    ORDER, their typed `amount` column and, when `months` names it, each row's month)
    and for the labelled totals rows (`labelled`: ORDER and typed `amount`, skipped
    already). Labelled rows only get a reason here when it changes to SUBTOTAL_ROW."""
    value = pl.col(amount)
    candidate = (blank_text & value.is_not_null()).fill_null(False)
    frame = rows.select(ORDER, value.alias("amount"), candidate.alias("candidate"),
                        *([pl.col(months).alias("month")] if months else []))
    is_line = ~pl.col("candidate") & pl.col("amount").is_not_null()
    frame = frame.with_columns(
        # sums of the plain lines up to each row (candidates are decided one by one below)
        pl.when(is_line).then(pl.col("amount")).otherwise(0).cum_sum().alias("sum_through"),
        is_line.cast(pl.Int64).cum_sum().alias("lines_through"),
    )
    if not (frame["candidate"].any() or labelled.height):
        return {}
    events = [(*event, False) for event in frame.filter("candidate").select(
        ORDER, "amount", "sum_through", "lines_through").rows()]
    events += _labelled_events(frame, labelled.select(ORDER, value.alias("amount")))
    boundaries: list[_Boundary] = []
    not_totals_sum, not_totals_count = Decimal(0), 0
    last_sum, last_lines = Decimal(0), 0
    for order, row_amount, sum_through, lines_through, is_labelled in sorted(events, key=lambda e: e[0]):
        total_above = Decimal(sum_through or 0) + not_totals_sum
        lines_above = lines_through + not_totals_count
        if lines_above > last_lines and row_amount == total_above - last_sum:
            kind = "segment"
        elif last_lines > 0 and lines_above > 0 and row_amount == total_above:
            kind = "running"
        elif is_labelled:
            kind = "labelled"  # a label says it is a total, whatever its amount
        else:  # an ordinary line after all: its amount counts in the sums below it
            not_totals_sum += row_amount
            not_totals_count += 1
            continue
        boundaries.append(_Boundary(order, total_above, lines_above, kind, is_labelled))
        last_sum, last_lines = total_above, lines_above
    return _reasons(boundaries, frame if months else None)


def _labelled_events(frame: pl.DataFrame, labelled: pl.DataFrame) -> list[tuple]:
    """(order, amount, sum_through, lines_through, True) at each labelled totals row:
    the sums of the rows before it (it is not in `frame`, being skipped already)."""
    if not labelled.height:
        return []
    orders = labelled[ORDER]
    positions = frame[ORDER].search_sorted(orders, side="left").to_list()
    events = []
    for (order, row_amount), position in zip(labelled.rows(), positions):
        if position == 0:
            events.append((order, row_amount, Decimal(0), 0, True))
        else:
            before = frame.row(position - 1, named=True)
            events.append((order, row_amount, before["sum_through"], before["lines_through"], True))
    return events


def _reasons(boundaries: list[_Boundary], frame: pl.DataFrame | None) -> dict[int, str]:
    reasons: dict[int, str] = {}
    previous_order = -1
    for index, boundary in enumerate(boundaries):
        start = -1 if boundary.kind == "running" else previous_order
        previous_order = boundary.order
        if frame is not None:
            covered = frame.filter(pl.col(ORDER).is_between(start + 1, boundary.order - 1)).get_column("month")
            if covered.drop_nulls().n_unique() > 1:  # no one month's control total
                reasons[boundary.order] = SkipReason.SUBTOTAL_ROW
                continue
        if boundary.kind == "running":
            for earlier in boundaries[:index]:  # included in this one
                reasons[earlier.order] = SkipReason.SUBTOTAL_ROW
        reasons.setdefault(boundary.order, SkipReason.TOTALS_ROW)
    # Labelled rows are already totals rows; only a change to SUBTOTAL_ROW is news.
    labelled = {b.order for b in boundaries if b.is_labelled}
    return {order: reason for order, reason in reasons.items()
            if order not in labelled or reason == SkipReason.SUBTOTAL_ROW}
