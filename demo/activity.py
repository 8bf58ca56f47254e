"""Lead-provider activity (reference/lp_activity.csv): secure beds occupied falling and
out-of-area placements falling over the two years, as community forensic care grows."""
from __future__ import annotations

import random

from demo.periods import PERIODS, days_in

# provider -> (beds, occupancy in basis points at the start and at the end, out-of-area start/end)
PROVIDERS = {"wfmh": (52, 9600, 8500, 9, 4), "oakridge": (60, 9900, 7200, 12, 5)}


def build_activity(rng: random.Random) -> list[dict]:
    rows = []
    last = len(PERIODS) - 1
    for index, period in enumerate(PERIODS):
        for provider_id, (beds, occ_start, occ_end, ooa_start, ooa_end) in PROVIDERS.items():
            occupancy = occ_start + (occ_end - occ_start) * index // last + rng.randint(-80, 80)
            out_of_area = ooa_start + round((ooa_end - ooa_start) * index / last) + rng.choice((-1, 0, 0, 1))
            rows.append({
                "period": period,
                "provider_id": provider_id,
                "occupied_bed_days": min(beds * days_in(period), beds * days_in(period) * occupancy // 10_000),
                "out_of_area_placements": max(1, out_of_area),
            })
    return rows


def bed_days(activity: list[dict], provider_id: str, period: str) -> int:
    return next(r["occupied_bed_days"] for r in activity if r["provider_id"] == provider_id and r["period"] == period)


def out_of_area_placements(activity: list[dict], period: str) -> int:
    return sum(r["out_of_area_placements"] for r in activity if r["period"] == period)
