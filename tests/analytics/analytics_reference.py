"""Independent re-computations for the analytics tests, in polars, plain Python and Decimal:
nothing here reads the SQL under test, so a test comparing the two can fail either way."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

PENNY = Decimal("0.01")


def half_up(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), ROUND_HALF_UP)


def dersimonian_laird(y: list[float], v: list[float]) -> float:
    """DerSimonian and Laird's between-study variance tau^2 of estimates y with within-study
    variances v: w = 1 / v, Q = sum w (y - ybar_w)^2, tau^2 = max(0, (Q - (k - 1)) / (sum w -
    sum w^2 / sum w))."""
    w = [1 / x for x in v]
    ybar = sum(wi * yi for wi, yi in zip(w, y)) / sum(w)
    q = sum(wi * (yi - ybar) ** 2 for wi, yi in zip(w, y))
    return max(0.0, (q - (len(y) - 1)) / (sum(w) - sum(wi * wi for wi in w) / sum(w)))


def peer_comparison(units: pl.DataFrame, z_95: float = 1.96, z_998: float = 3.09, cv: float = 10.0,
                    min_peers: int = 5) -> pl.DataFrame:
    """Each unit of one year (columns unit_id, numerator, denominator) against its peers (every
    other unit): centre = the peers' pooled rate; within-unit variance (cv x centre)^2 / d;
    tau^2 = DerSimonian-Laird over the peers; sd^2 = within + tau^2 + the centre's variance;
    z, limits, flags (only with min_peers peers and a positive centre), rank, median, deciles."""
    rows = units.select("unit_id", "numerator", "denominator").to_dicts()
    for r in rows:
        r["numerator"], r["denominator"] = float(r["numerator"]), float(r["denominator"])
        r["rate"] = r["numerator"] / r["denominator"]
    k = len(rows)
    rates = sorted(r["rate"] for r in rows)
    median = (rates[(k - 1) // 2] + rates[k // 2]) / 2
    out = []
    for r in rows:
        peers = [p for p in rows if p["unit_id"] != r["unit_id"]]
        m = len(peers)
        peer_d = sum(p["denominator"] for p in peers)
        centre = sum(p["numerator"] for p in peers) / peer_d if peer_d else None
        tau2 = sd = z = None
        limits = dict.fromkeys(("lower_998", "lower_95", "upper_95", "upper_998"))
        assessed = bool(m >= min_peers and centre is not None and centre > 0)
        if m >= 2 and centre is not None and centre > 0:
            scale = (cv * centre) ** 2
            tau2 = dersimonian_laird([p["rate"] for p in peers], [scale / p["denominator"] for p in peers])
            centre_var = scale / peer_d + tau2 * sum(p["denominator"] ** 2 for p in peers) / peer_d ** 2
            sd = math.sqrt(scale / r["denominator"] + tau2 + centre_var)
        flag = "none"
        if assessed:
            z = (r["rate"] - centre) / sd
            limits = {"lower_998": max(centre - z_998 * sd, 0.0), "lower_95": max(centre - z_95 * sd, 0.0),
                      "upper_95": centre + z_95 * sd, "upper_998": centre + z_998 * sd}
            flag = ("above_998" if z > z_998 else "above_95" if z > z_95 else "below_998" if z < -z_998
                    else "below_95" if z < -z_95 else "none")
        at_or_below = sum(1 for x in rates if x <= r["rate"])
        out.append({**r, "centre": centre, "tau": None if tau2 is None else math.sqrt(tau2), "sd": sd, "z": z,
                    **limits, "assessed": assessed, "flag": flag, "median": median,
                    "rank": 1 + sum(1 for x in rates if x > r["rate"]),
                    "decile": -(-10 * at_or_below // k),
                    "comparison": ("not assessed" if not assessed else "above peers" if flag.startswith("above")
                                   else "below peers" if flag.startswith("below") else "within peers")})
    return pl.DataFrame(out)
