"""Independent re-computations for the analytics tests, in polars and Decimal: nothing here
reads the SQL under test, so a test comparing the two can fail either way."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

PENNY = Decimal("0.01")


def half_up(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), ROUND_HALF_UP)


def funnel(units: pl.DataFrame, z_95: float = 1.96, z_998: float = 3.09) -> pl.DataFrame:
    """Funnel statistics for one year's units (columns unit_id, numerator, denominator):
    Poisson z-scores against the pooled rate, winsorised at the 10th and 90th percentiles, phi,
    the DerSimonian-Laird between-unit variance tau^2, z-scores, limits, deciles and flags."""
    frame = units.with_columns(numerator=pl.col("numerator").cast(pl.Float64),
                               denominator=pl.col("denominator").cast(pl.Float64))
    pooled = frame["numerator"].sum() / frame["denominator"].sum()
    frame = frame.with_columns(rate=pl.col("numerator") / pl.col("denominator"))
    frame = frame.with_columns(raw_z=(pl.col("rate") - pooled) / (pooled / pl.col("denominator")).sqrt())
    low = frame["raw_z"].quantile(0.1, interpolation="linear")
    high = frame["raw_z"].quantile(0.9, interpolation="linear")
    winsorised = frame["raw_z"].clip(low, high)
    k = frame.height
    phi = float((winsorised ** 2).mean())
    w = frame["denominator"] / pooled
    tau_squared = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    sd = (pooled / frame["denominator"] + tau_squared).sqrt()
    z = (frame["rate"] - pooled) / sd
    rank_max = frame["rate"].rank(method="max")
    return frame.with_columns(
        pooled=pl.lit(pooled), phi=pl.lit(phi), tau=pl.lit(math.sqrt(tau_squared)), z=z,
        lower_95=(pooled - z_95 * sd).clip(lower_bound=0), upper_95=pooled + z_95 * sd,
        lower_998=(pooled - z_998 * sd).clip(lower_bound=0), upper_998=pooled + z_998 * sd,
        decile=((10 * rank_max.cast(pl.Int64) + k - 1) // k).cast(pl.Int32),
        flag=pl.when(z > z_998).then(pl.lit("above_998")).when(z > z_95).then(pl.lit("above_95"))
        .when(z < -z_998).then(pl.lit("below_998")).when(z < -z_95).then(pl.lit("below_95"))
        .otherwise(pl.lit("none")),
    )
