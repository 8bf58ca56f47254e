"""The reference files (<home>/reference/*.csv, columns as in docs/model.md): UTF-8, a
header row, comma-separated, money as plain decimal text with two places."""
from __future__ import annotations

import csv
from pathlib import Path

from demo.budgets import HEADER as BUDGET_HEADER, PHASING_HEADER, phasing_rows
from demo.agency import reference_rows as agency_reference_rows
from demo.cost_centres import CostCentre
from demo.flows import SCHEMES, contracts
from demo import suppliers
from demo.money import money_text
from demo.periods import PERIODS, fy_of
from demo.system import ALLOCATIONS, ICS_NAMES, PARTNERS, PLACES, POPULATIONS, SERVICE_LINES


def write_reference(directory: Path, centres: list[CostCentre], activity: list[dict],
                    agency_caps: dict[str, int] | None = None) -> None:
    """agency_caps (provider -> limit in pence, demo.agency): written with the agency suppliers;
    without them there are no agency files (both are optional reference tables)."""
    directory.mkdir(parents=True, exist_ok=True)
    tables = reference_tables(centres, activity)
    if agency_caps is not None:
        tables.update(agency_reference_rows(agency_caps))
    for name, (header, rows) in tables.items():
        with open(directory / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)


def write_budgets(directory: Path, budgets: list[dict]) -> None:
    """reference/budgets.csv: each partner's annual mental-health budget by year and service line."""
    with open(Path(directory) / "budgets.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(BUDGET_HEADER)
        writer.writerows([tuple(b[c] for c in BUDGET_HEADER) for b in budgets])


def write_budget_phasing(directory: Path, profiles: list[dict]) -> None:
    """reference/budget_phasing.csv: a weight per month for each phasing profile (demo.budgets)."""
    with open(Path(directory) / "budget_phasing.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PHASING_HEADER)
        writer.writerows(phasing_rows(profiles))


def _flag(value: bool) -> str:
    return "true" if value else "false"


def reference_tables(centres: list[CostCentre], activity: list[dict]) -> dict[str, tuple[tuple, list[tuple]]]:
    return {
        "partners": (("partner_id", "name", "kind", "ics_id", "submits"),
                     [(p.partner_id, p.name, p.kind, p.ics_id, _flag(p.submits)) for p in PARTNERS]),
        "places": (("place_id", "place_name", "ics_id", "ics_name"),
                   [(p.place_id, p.name, p.ics_id, ICS_NAMES[p.ics_id]) for p in PLACES]),
        "populations": (("fy", "place_id", "weighted_population", "mh_need_index"),
                        [(fy, place_id, str(population), need) for fy, places in POPULATIONS.items()
                         for place_id, (population, need) in places.items()]),
        "service_lines": (("service_line", "name", "mhis_category", "in_mhis", "exclusion_reason", "mental_health"),
                          [(s.service_line, s.name, s.mhis_category, _flag(s.in_mhis), s.exclusion_reason,
                            _flag(s.mental_health)) for s in SERVICE_LINES]),
        "cost_centre_map": (("partner_id", "cost_centre", "cost_centre_name", "service_line", "place_id",
                             "funding_stream", "line_type", "scheme_id"),
                            [(c.partner_id, c.code, c.name, c.service_line, c.place_id, c.funding_stream,
                              c.line_type, c.scheme_id) for c in centres]),
        "partner_aliases": (("alias", "partner_id"),
                            [(alias, p.partner_id) for p in PARTNERS for alias in p.aliases]),
        "contracts": (("contract_id", "commissioner_id", "provider_id", "parent_contract_id", "service_line",
                       "contract_type", "annual_value", "start_date", "end_date", "funding_stream", "place_id",
                       "capacity", "capacity_unit"),
                      [(c.contract_id, c.commissioner_id, c.provider_id, c.parent_contract_id, c.service_line,
                        c.contract_type, money_text(c.annual_value), c.start_date.isoformat(),
                        c.end_date.isoformat(), c.funding_stream, c.place_id,
                        "" if c.capacity is None else str(c.capacity), c.capacity_unit) for c in contracts()]),
        "investment_plans": (("icb_id", "scheme_id", "scheme_name", "service_line", "period", "planned_amount",
                              "recurrence"),
                             [(s.icb_id, s.scheme_id, s.name, s.service_line, period,
                               money_text(s.monthly_plan[fy_of(period)]), s.recurrence)
                              for s in SCHEMES for period in PERIODS]),
        "allocations": (("icb_id", "fy", "programme_allocation"),
                        [(icb_id, fy, money_text(value)) for icb_id, years in ALLOCATIONS.items()
                         for fy, value in years.items()]),
        "counterparties": (("name", "canonical_name", "counterparty_class", "register_id"),
                           _counterparty_register()),
        "lp_activity": (("period", "provider_id", "occupied_bed_days", "out_of_area_placements"),
                        [(r["period"], r["provider_id"], r["occupied_bed_days"], r["out_of_area_placements"])
                         for r in activity]),
    }


def _counterparty_register() -> list[tuple]:
    """The demo's counterparty register: every supplier but those left to the name rules or for
    review, plus trading names and aliases pointing at their organisation."""
    left_out = set(suppliers.LEFT_TO_NAME_RULES) | set(suppliers.LEFT_FOR_REVIEW)
    rows = [(name, name, klass, register_id) for name, (klass, register_id) in suppliers.TRUE_CLASS.items()
            if name not in left_out]
    rows += [(alias, name, *suppliers.TRUE_CLASS[name]) for alias, name in suppliers.TRADING_NAMES.items()]
    return rows
