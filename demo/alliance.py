"""Optional demo add-on: a provider alliance of four mental-health trusts, with activity beside money,
for benchmarking providers (`openbook demo-data --alliance`).

    generate_alliance(home, seed=20261123) -> the alliance's planted facts

It writes four reference files into <home>/reference/ and adds the planted facts to
<home>/demo_truth.json under "alliance" (call it after generate_demo). The same seed gives
byte-identical files.

| file | columns |
|---|---|
| alliance_providers.csv | alliance_id, alliance_name, provider_id, provider_name, ics_id, submits |
| alliance_populations.csv | fy, provider_id, weighted_population_served |
| alliance_activity.csv | period, provider_id, occupied_bed_days, community_contacts, out_of_area_placements |
| alliance_finance.csv | period, provider_id, service_line, service_hours, spend |

Money is each trust's own finance return (the alliance's shared cost collection, not its ledger),
in pounds with two places; `service_hours` is seven_day (crisis services, and community teams that
work seven days a week), weekday or inpatient. Weighted population served is the weighted
GP-registered population of the places each trust's community services cover.

Planted (what benchmarking should find):
- Rivermead's cost per occupied bed day is far above the others' (agency-staffed wards);
- North Marsh spends least per weighted head on adult community services;
- Eastcote places the most patients out of area per 100,000 weighted population;
- Weald and Fen runs its community teams seven days a week, so the largest share of its spend is
  on seven-day and crisis services.
"""
from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from demo.periods import FINANCIAL_YEARS, PERIODS, days_in, fy_of

ALLIANCE_ID = "weald_fen_alliance"
ALLIANCE_NAME = "Weald and Fen Mental Health Provider Alliance"
FILES = ("alliance_providers.csv", "alliance_populations.csv", "alliance_activity.csv", "alliance_finance.csv")


@dataclass(frozen=True)
class Trust:
    provider_id: str
    name: str
    ics_id: str
    submits: bool
    population: int                 # weighted population served, first year (grows 1.2% a year)
    acute_beds: int
    occupancy_bp: int               # bed occupancy, basis points
    cost_per_bed_day: int           # pounds, first year (grows 3% a year)
    community_per_head: int         # adult community spend per weighted head a year, pounds
    crisis_per_head: int            # crisis resolution and home treatment per weighted head a year, pounds
    crisis_house_per_head: int      # crisis houses per weighted head a year, pounds
    camhs_per_head: int             # children and young people's services per weighted head a year, pounds
    out_of_area_per_100k: int       # out-of-area placements a year per 100,000 weighted population
    contacts_per_head: Decimal      # community contacts a year per weighted head
    seven_day_community: bool       # community teams work seven days a week


TRUSTS: tuple[Trust, ...] = (
    Trust("wfmh", "Weald and Fen Mental Health NHS Foundation Trust", "north_weald", True, 938_000, 180, 9300, 520,
          66, 15, 3, 24, 9, Decimal("0.62"), True),
    Trust("nmmh", "North Marsh Mental Health NHS Trust", "south_fen", False, 512_000, 96, 9500, 545,
          38, 14, 2, 22, 11, Decimal("0.41"), False),
    Trust("ecpt", "Eastcote Partnership NHS Foundation Trust", "north_weald", False, 604_000, 120, 9600, 505,
          64, 13, 2, 23, 31, Decimal("0.58"), False),
    Trust("rvmh", "Rivermead Mental Health NHS Trust", "south_fen", False, 447_000, 80, 9200, 735,
          69, 16, 3, 25, 8, Decimal("0.60"), False),
)
PLANTED = {"highest_cost_per_occupied_bed_day": "rvmh", "lowest_community_spend_per_head": "nmmh",
           "highest_out_of_area_per_100k": "ecpt", "highest_seven_day_crisis_share": "wfmh"}


def _pence(pounds: Decimal) -> int:
    return int((pounds * 100).quantize(Decimal(1), ROUND_HALF_UP))


def _text(pence: int) -> str:
    whole, part = divmod(abs(pence), 100)
    return f"{'-' if pence < 0 else ''}{whole}.{part:02d}"


def _growth(fy: str, per_year: str) -> Decimal:
    return (1 + Decimal(per_year)) ** FINANCIAL_YEARS.index(fy)


def build_alliance(seed: int = 20261123) -> dict[str, list[dict]]:
    """The alliance's reference tables as rows (deterministic for a seed)."""
    rng = random.Random(f"{seed}-alliance")
    providers = [{"alliance_id": ALLIANCE_ID, "alliance_name": ALLIANCE_NAME, "provider_id": t.provider_id,
                  "provider_name": t.name, "ics_id": t.ics_id, "submits": str(t.submits).lower()} for t in TRUSTS]
    populations = [{"fy": fy, "provider_id": t.provider_id,
                    "weighted_population_served": int(t.population * _growth(fy, "0.012"))}
                   for fy in FINANCIAL_YEARS for t in TRUSTS]
    activity, finance = [], []
    for period in PERIODS:
        fy = fy_of(period)
        for t in TRUSTS:
            population = next(p["weighted_population_served"] for p in populations
                              if p["fy"] == fy and p["provider_id"] == t.provider_id)
            occupancy = t.occupancy_bp + rng.randint(-150, 150)
            bed_days = t.acute_beds * days_in(period) * occupancy // 10_000
            placements = max(0, round(t.out_of_area_per_100k * population / 100_000 / 12 + rng.uniform(-1.5, 1.5)))
            contacts = int(population * t.contacts_per_head / 12 * Decimal(rng.uniform(0.95, 1.05)))
            activity.append({"period": period, "provider_id": t.provider_id, "occupied_bed_days": bed_days,
                             "community_contacts": contacts, "out_of_area_placements": placements})

            def noise() -> Decimal:
                return Decimal(rng.randint(9800, 10200)) / 10_000

            heads = Decimal(population)
            monthly = [  # (service line, service hours, the month's spend in pounds)
                ("inpatient_acute", "inpatient", t.cost_per_bed_day * _growth(fy, "0.03") * bed_days * noise()),
                ("adult_community", "seven_day" if t.seven_day_community else "weekday",
                 t.community_per_head * heads / 12 * noise()),
                ("crisis_home_treatment", "seven_day", t.crisis_per_head * heads / 12 * noise()),
                ("crisis_house", "seven_day", t.crisis_house_per_head * heads / 12 * noise()),
                ("camhs", "weekday", t.camhs_per_head * heads / 12 * noise()),
            ]
            for service_line, hours, amount in monthly:
                finance.append({"period": period, "provider_id": t.provider_id, "service_line": service_line,
                                "service_hours": hours, "spend": _text(_pence(amount))})
    return {"alliance_providers.csv": providers, "alliance_populations.csv": populations,
            "alliance_activity.csv": activity, "alliance_finance.csv": finance}


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate_alliance(home: Path, seed: int = 20261123) -> dict:
    """Write the alliance's reference CSVs under <home>/reference/ and its planted facts into
    <home>/demo_truth.json (under "alliance"); returns the facts."""
    home = Path(home)
    reference = home / "reference"
    reference.mkdir(parents=True, exist_ok=True)
    for name, rows in build_alliance(seed).items():
        _write_csv(reference / name, rows)
    facts = {"alliance_id": ALLIANCE_ID, "providers": [t.provider_id for t in TRUSTS], "files": list(FILES),
             "planted": PLANTED}
    truth_path = home / "demo_truth.json"
    truth = json.loads(truth_path.read_text(encoding="utf-8")) if truth_path.is_file() else {}
    truth["alliance"] = facts
    truth_path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return facts
