"""Money in the demo is integer pence from the moment it exists: no float ever holds an amount.

Random draws pick integers (pence, basis points, weights); shares and uplifts are integer
ratios rounded half up. Amounts become text only when a file or the manifest is written.
"""
from __future__ import annotations

from decimal import Decimal

import polars as pl

BASIS_POINTS = 10_000


def pounds(value: int) -> int:
    """Whole pounds to pence."""
    return value * 100


def money_text(pence: int) -> str:
    """Plain decimal text with two places ('12345.67', '-500.00'): the manifest's format."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}{whole}.{part:02d}"


def to_decimal(pence: int) -> Decimal:
    return Decimal(pence).scaleb(-2)


def ratio(pence: int, numerator: int, denominator: int) -> int:
    """pence * numerator / denominator, rounded half up (away from zero) to the penny."""
    quotient, remainder = divmod(abs(pence) * numerator, denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if pence >= 0 else -quotient


def uplift(pence: int, basis_points: int) -> int:
    """Grow an amount by a number of basis points (520 = 5.2%)."""
    return ratio(pence, BASIS_POINTS + basis_points, BASIS_POINTS)


def split(total: int, weights: list[int], minimum: int = 0) -> list[int]:
    """Split `total` pence into parts proportional to integer weights, each at least
    `minimum`, summing exactly to `total` (the remainder goes to the largest part)."""
    if not weights:
        raise ValueError("split needs at least one weight")
    spare = total - minimum * len(weights)
    if spare < 0:
        raise ValueError(f"cannot split {total} into {len(weights)} parts of at least {minimum}")
    weight_sum = sum(weights)
    parts = [minimum + spare * w // weight_sum for w in weights]
    parts[parts.index(max(parts))] += total - sum(parts)
    return parts


def amount_text(
    pence: pl.Expr,
    *,
    thousands: bool = False,
    pound_sign: pl.Expr | None = None,
    brackets_for_negative: bool = False,
) -> pl.Expr:
    """Vectorised money text: '1234.50' / '-500.00', optionally '£1,234,567.89' or '(12,345.00)'."""
    magnitude = pence.abs()
    whole = magnitude // 100
    number = pl.concat_str(
        [_grouped(whole) if thousands else whole.cast(pl.String), pl.lit("."), _zero_padded(magnitude % 100, 2)]
    )
    if pound_sign is not None:
        number = pl.when(pound_sign).then(pl.concat_str([pl.lit("£"), number])).otherwise(number)
    if brackets_for_negative:
        return pl.when(pence < 0).then(pl.concat_str([pl.lit("("), number, pl.lit(")")])).otherwise(number)
    return pl.when(pence < 0).then(pl.concat_str([pl.lit("-"), number])).otherwise(number)


def _zero_padded(value: pl.Expr, width: int) -> pl.Expr:
    return value.cast(pl.String).str.zfill(width)


def _grouped(whole: pl.Expr) -> pl.Expr:
    """Whole pounds with comma thousands separators, up to the billions."""
    groups = [whole // 1_000_000_000, (whole // 1_000_000) % 1000, (whole // 1000) % 1000, whole % 1000]
    text = None
    for leading in range(len(groups) - 1):
        head = groups[leading].cast(pl.String)
        tail = [_zero_padded(g, 3) for g in groups[leading + 1:]]
        joined = pl.concat_str([head, *tail], separator=",")
        when = pl.when if text is None else text.when
        text = when(groups[leading] > 0).then(joined)
    return text.otherwise(groups[-1].cast(pl.String))
