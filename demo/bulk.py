"""Volume: external spend on the cost centres that carry a bulk profile (ICB non-mental-health
commissioning, council services, lead-provider placements and community costs).

Bulk lines never touch a planted fact: they pay external suppliers only, on cost centres
outside the MHIS base and outside any place's mental-health spend (or, for the lead
provider, system-wide secure care). Generated with numpy per file, so ten million lines
take minutes; amounts are drawn as integer pence.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from demo import suppliers
from demo.cost_centres import CostCentre
from demo.periods import PERIODS, days_in, year_month


@dataclass(frozen=True)
class Profile:
    pool: str
    bands: tuple[tuple[int, int, int], ...]  # (lowest pence, highest pence, weight)
    categories: tuple[str, ...] = ()  # la500 expenditure categories; empty: the cost centre's own
    narratives: tuple[str, ...] = ()  # lp_csv narratives
    redacted_per_mille: int = 0  # payments to individuals, shown as REDACTED
    credit_per_mille: int = 0  # credit notes (negative amounts)
    sdf_per_mille: int = 0  # lines naming the SDF funding stream (lp_csv)
    trend: tuple[int, int] = (10_000, 10_000)  # amount scale (basis points) in the first and last period


PROFILES = {
    "icb_community": Profile("icb_community", ((2_500_000, 10_000_000, 60), (10_000_000, 90_000_000, 40)),
                             credit_per_mille=30),
    "icb_primary": Profile("icb_primary", ((2_500_000, 6_000_000, 70), (6_000_000, 18_000_000, 30))),
    "icb_prescribing": Profile("icb_prescribing", ((2_500_000, 15_000_000, 60), (15_000_000, 120_000_000, 40))),
    "icb_chc": Profile("icb_chc", ((2_500_000, 4_500_000, 70), (4_500_000, 9_500_000, 30)), credit_per_mille=20),
    "icb_corporate": Profile("icb_corporate", ((2_500_000, 8_000_000, 80), (8_000_000, 25_000_000, 20))),
    "lp_placements": Profile("lp_placements", ((50_000, 500_000, 60), (500_000, 2_200_000, 40)),
                             narratives=("Placement top-up", "Escort and transport", "Enhanced observation"),
                             trend=(10_000, 5_000)),
    "lp_community": Profile("lp_community", ((15_000, 200_000, 70), (200_000, 1_200_000, 30)),
                            narratives=("Sessional clinician", "Supported accommodation", "Travel", "Room hire",
                                        "Peer mentor sessions"),
                            sdf_per_mille=250, trend=(10_000, 20_000)),
    "la_social_care": Profile("la_social_care", ((50_000, 200_000, 45), (200_000, 1_000_000, 40),
                                                 (1_000_000, 6_000_000, 15)),
                              categories=("Residential care", "Nursing care", "Homecare", "Supported living",
                                          "Day care", "Equipment"),
                              redacted_per_mille=350, credit_per_mille=10),
    "la_children": Profile("la_social_care", ((50_000, 300_000, 40), (300_000, 1_500_000, 40),
                                              (1_500_000, 8_000_000, 20)),
                           categories=("Foster care", "Residential placements", "Family support", "Transport"),
                           redacted_per_mille=250, credit_per_mille=10),
    "la_public_health": Profile("la_public_health", ((50_000, 500_000, 50), (500_000, 8_000_000, 50)),
                                categories=("Contract payments", "Prescribing", "Professional fees")),
    "la_corporate": Profile("la_corporate", ((50_000, 300_000, 50), (300_000, 4_000_000, 40),
                                             (4_000_000, 25_000_000, 10)),
                            categories=("Contract payments", "Utilities", "ICT", "Professional fees",
                                        "Vehicle costs"), credit_per_mille=10),
}

DEFAULT_COUNTS = {"hmt25k": (30, 55), "la500": (190, 300), "lp_csv": (90, 140)}
BULK_LAYOUTS = frozenset(DEFAULT_COUNTS)


def bulk_lines(centres: list[CostCentre], period: str, count: int, rng: np.random.Generator) -> pl.DataFrame:
    """`count` external lines over the bulk cost centres of one partner-period."""
    centres = [c for c in centres if c.bulk_profile]
    if count == 0 or not centres:
        return pl.DataFrame()
    weights = np.array([c.bulk_weight for c in centres], dtype=np.int64)
    chosen = rng.choice(len(centres), size=count, p=weights / weights.sum())
    frames = []
    for index, centre in enumerate(centres):
        n = int((chosen == index).sum())
        if n:
            frames.append(_profile_lines(centre, PROFILES[centre.bulk_profile], period, n, rng))
    return pl.concat(frames, how="diagonal")


def _pick(options: tuple[str, ...], n: int, rng: np.random.Generator) -> pl.Series:
    return pl.Series(options, dtype=pl.String).gather(rng.integers(0, len(options), n))


def _profile_lines(centre: CostCentre, profile: Profile, period: str, n: int, rng: np.random.Generator) -> pl.DataFrame:
    individual = pl.Series(rng.integers(0, 1000, n) < profile.redacted_per_mille)
    frame = pl.DataFrame({
        "cost_centre": pl.repeat(centre.code, n, eager=True, dtype=pl.String),
        "counterparty": _pick(suppliers.POOLS[profile.pool], n, rng),
        "posting_date": pl.Series(_weekdays(period, n, rng), dtype=pl.Date),
        "amount": pl.Series(_amounts(profile, period, n, rng), dtype=pl.Int64),
    })
    if profile.redacted_per_mille:  # payments to individuals are published without the name
        frame = frame.with_columns(counterparty=pl.when(individual).then(pl.lit(suppliers.REDACTED))
                                   .otherwise("counterparty"))
    if profile.categories:
        frame = frame.with_columns(expense_type=pl.when(individual).then(pl.lit("Direct payments"))
                                   .otherwise(_pick(profile.categories, n, rng)))
    if profile.narratives:
        invoice = pl.Series(rng.integers(100_000, 1_000_000, n)).cast(pl.String)
        frame = frame.with_columns(description=pl.concat_str([_pick(profile.narratives, n, rng), pl.lit(" - inv "),
                                                              invoice]))
    if profile.sdf_per_mille:
        sdf = pl.Series(rng.integers(0, 1000, n) < profile.sdf_per_mille)
        frame = frame.with_columns(funding_stream=pl.when(sdf).then(pl.lit("sdf")).otherwise(pl.lit(None, pl.String)))
    return frame


def _amounts(profile: Profile, period: str, n: int, rng: np.random.Generator) -> np.ndarray:
    bands = np.array(profile.bands, dtype=np.int64)
    band = rng.choice(len(bands), size=n, p=bands[:, 2] / bands[:, 2].sum())
    amount = rng.integers(bands[band, 0], bands[band, 1] + 1)
    start, end = profile.trend
    index, last = PERIODS.index(period), len(PERIODS) - 1
    scale = start + (end - start) * index // last
    floor = bands[:, 0].min()
    amount = np.maximum(amount * scale // 10_000, floor)  # integer arithmetic on pence
    whole_pounds = rng.integers(0, 5, n) == 0  # a fifth of payments are round pounds
    amount = np.where(whole_pounds & (amount % 100 != 0), amount - amount % 100 + 100, amount)
    credit = rng.integers(0, 1000, n) < profile.credit_per_mille
    return np.where(credit, -amount, amount).astype(np.int64)


def _weekdays(period: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Random weekdays of the month (weekends move to the Friday, or forward if the month starts on one)."""
    year, month = year_month(period)
    first = np.datetime64(date(year, month, 1), "D")
    day = rng.integers(0, days_in(period), n)
    weekday = (first + day).astype(np.int64) % 7  # 1970-01-01 was a Thursday: 0 Thu .. 2 Sat, 3 Sun
    saturday, sunday = weekday == 2, weekday == 3
    shift = np.where(saturday, np.where(day >= 1, -1, 2), 0) + np.where(sunday, np.where(day >= 2, -2, 1), 0)
    return first + (day + shift).astype("timedelta64[D]")
