"""The truth manifest (<home>/demo_truth.json): what the demo contains, computed from the
very frames the writers wrote, for tests to hold the pipeline to. The pipeline never reads it.

Each file's valid lines are summarised right after the file is written (grouped by cost
centre, counterparty and funding stream), so memory stays small at ten million lines.
Planted facts are checked here too: if a change to the generator breaks one, generation
fails instead of writing a manifest that no longer describes a planted fact.
"""
from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from demo.budgets import budget_overspend, budget_rows, lead_provider_overspend, phasing_profiles
from demo.agency import agency_fact
from demo.cost_centres import CostCentre
from demo.defects import QUARANTINE_REASONS, UNKNOWN_COST_CENTRE
from demo.flows import FLOWS, PLANTS, SCHEMES, contracts
from demo.money import money_text, ratio, to_decimal
from demo.periods import ASSESSED_YEAR, FINANCIAL_YEARS, PERIODS, PRIOR_YEAR, fy_of, periods_of_fy
from demo.system import (
    ALLOCATIONS, ICB_IDS, MHIS_FUNDING_STREAMS, PARTNERS, PARTNERS_BY_ID, PLACES, SERVICE_LINES,
    weighted_population,
)


class PlantedFactError(AssertionError):
    """The generated data no longer shows a fact the demo promises."""


def file_record(partner_id: str, period: str, path: str, layout: str, frame: pl.DataFrame, rows_read: int,
                totals_row: bool, superseded: bool = False) -> dict:
    defects = Counter(frame["defect"].drop_nulls().to_list())
    quarantined = {reason: defects[reason] for reason in QUARANTINE_REASONS if defects[reason]}
    skipped = {reason: n for reason, n in (("totals_row", int(totals_row)), ("blank_row", defects["blank_row"])) if n}
    if rows_read != frame.height + int(totals_row):
        raise PlantedFactError(f"{path}: wrote {rows_read} rows but the frame has {frame.height}")
    return {
        "partner_id": partner_id, "period": period, "path": path, "layout": layout, "rows_read": rows_read,
        "rows_valid": rows_read - sum(quarantined.values()) - sum(skipped.values()),
        "quarantined": quarantined, "skipped": skipped, "superseded": superseded,
    }


def valid_summary(frame: pl.DataFrame, partner_id: str, period: str) -> pl.DataFrame:
    """The file's valid lines (no planted defect; the first copy of a repeated row), summed."""
    return (frame.filter(pl.col("defect").is_null())
            .group_by("cost_centre", "counterparty", "funding_stream")
            .agg(amount=pl.col("amount").sum(), lines=pl.len())
            .with_columns(partner_id=pl.lit(partner_id), period=pl.lit(period))
            .sort("cost_centre", "counterparty", "funding_stream", nulls_last=True))


def unclassified_summary(frame: pl.DataFrame) -> pl.DataFrame:
    """The file's planted lines on a cost centre no map knows: since mapping by rules they load as
    service line 'unclassified' (expenditure), so what their suppliers were paid includes them."""
    return (frame.filter(pl.col("defect") == UNKNOWN_COST_CENTRE, pl.col("counterparty").is_not_null())
            .select("counterparty", pl.col("amount").cast(pl.Int64)))


def expenditure_of(summary: pl.DataFrame, centres: list[CostCentre]) -> int:
    return int(_classified(summary, centres).filter(pl.col("line_type") == "expenditure")["amount"].sum())


def _classified(summary: pl.DataFrame, centres: list[CostCentre]) -> pl.DataFrame:
    """Valid lines with their cost centre's mapping, MHIS and mental-health flags and counterparty partner."""
    mapping = pl.DataFrame(
        [(c.partner_id, c.code, c.service_line, c.place_id or None, c.line_type, c.scheme_id or None)
         for c in centres],
        schema=["partner_id", "cost_centre", "service_line", "place_id", "line_type", "scheme_id"], orient="row")
    in_mhis = pl.DataFrame({"service_line": [s.service_line for s in SERVICE_LINES],
                            "in_mhis": [s.in_mhis for s in SERVICE_LINES],
                            "mental_health": [s.mental_health for s in SERVICE_LINES]})
    aliases = pl.DataFrame([(alias.upper(), p.partner_id) for p in PARTNERS for alias in p.aliases],
                           schema=["alias_key", "counterparty_partner"], orient="row").unique()
    lines = (summary.join(mapping, on=["partner_id", "cost_centre"], how="left")
             .join(in_mhis, on="service_line", how="left")
             .with_columns(alias_key=pl.col("counterparty").str.strip_chars().str.to_uppercase(),
                           fy=pl.col("period").replace_strict({p: fy_of(p) for p in PERIODS}))
             .join(aliases, on="alias_key", how="left"))
    unmapped = lines.filter(pl.col("line_type").is_null())
    if unmapped.height:
        raise PlantedFactError(f"valid lines on unmapped cost centres: {unmapped.head(3).to_dicts()}")
    return lines


def _total(lines: pl.DataFrame, *conditions: pl.Expr) -> int:
    return int(lines.filter(*conditions)["amount"].sum()) if conditions else int(lines["amount"].sum())


def build_manifest(seed: int, rows: int | None, files: list[dict], summary: pl.DataFrame,
                   centres: list[CostCentre], duplicate: dict, resubmission: dict,
                   unclassified: pl.DataFrame, agency_caps: dict[str, int]) -> dict:
    lines = _classified(summary, centres)
    current = [f for f in files if not f["superseded"]]
    inter_partner, to_non_submitting = _inter_partner(lines)
    budgets = budget_rows(lines)
    facts = {
        "crisis_house_funding": _crisis_houses(lines, centres),
        "slipping_scheme": _slipping_scheme(lines),
        "mhis": _mhis(lines),
        "outlier_place": _outlier_place(lines),
        "elimination_mismatch": _elimination_mismatch(inter_partner),
        "contract_overrun": _contract_overrun(lines),
        "budget_overspend": budget_overspend(budgets),
        "lead_provider_overspend": lead_provider_overspend(lines),
        "agency_over_cap": agency_fact(lines, agency_caps, PlantedFactError),
        "duplicate_payment": duplicate,
        "resubmission": resubmission,
        "bad_rows": _summed(current, "quarantined"),
        "skipped_rows": _summed(current, "skipped"),
    }
    return {
        "seed": seed,
        "rows": rows,
        "periods": list(PERIODS),
        "ledger_lines": sum(f["rows_read"] for f in files),
        "files": files,
        "expenditure_by_partner_period": _by_partner_period(lines, current, "expenditure"),
        "income_by_partner_period": _by_partner_period(lines, current, "income"),
        "mh_expenditure_by_partner_period": _by_partner_period(lines.filter(pl.col("mental_health")), current,
                                                               "expenditure"),
        "mh_spend_by_place": _mh_spend_by_place(lines),
        "contract_payments": [{"contract_id": p["contract"].contract_id, "fy": fy,
                               "annual_value": money_text(p["contract"].annual_value), "paid": money_text(p["paid"])}
                              for fy in FINANCIAL_YEARS for p in _contract_payments(lines, fy)],
        "scheme_spend_by_fy": _scheme_spend(lines),
        "lead_provider_spend": _lead_provider_spend(lines),
        "mh_budget": budgets,
        "budget_phasing": phasing_profiles(),
        "inter_partner": inter_partner,
        "payments_to_non_submitting_partners": to_non_submitting,
        "counterparty_register": _counterparty_register(lines, unclassified),
        "mhis_categories": _mhis_categories(lines, facts["mhis"]),
        "facts": facts,
    }


def _summed(files: list[dict], key: str) -> dict[str, int]:
    totals: Counter = Counter()
    for f in files:
        totals.update(f[key])
    return dict(sorted(totals.items()))


def _by_partner_period(lines: pl.DataFrame, files: list[dict], line_type: str) -> list[dict]:
    sums = {(r["partner_id"], r["period"]): r["amount"] for r in
            lines.filter(pl.col("line_type") == line_type).group_by("partner_id", "period")
            .agg(pl.col("amount").sum()).to_dicts()}
    return [{"partner_id": f["partner_id"], "period": f["period"],
             line_type: money_text(sums.get((f["partner_id"], f["period"]), 0))} for f in files]


def _mh_spend_by_place(lines: pl.DataFrame) -> list[dict]:
    """Each place's mental-health expenditure per FY: gross (every line coded to the place) and
    net of payments to another submitting partner (whose own spend on the place is counted)."""
    submitting = [p.partner_id for p in PARTNERS if p.submits]
    mh = lines.filter(pl.col("line_type") == "expenditure", pl.col("mental_health"), pl.col("place_id").is_not_null())
    rows = []
    for fy in FINANCIAL_YEARS:
        for place in PLACES:
            of_place = mh.filter(pl.col("fy") == fy, pl.col("place_id") == place.place_id)
            net = of_place.filter(~pl.col("counterparty_partner").is_in(submitting).fill_null(False))
            rows.append({"fy": fy, "place_id": place.place_id,
                         "weighted_population": weighted_population(fy, place.place_id),
                         "spend": money_text(_total(of_place)), "net_spend": money_text(_total(net))})
    return rows


def _scheme_spend(lines: pl.DataFrame) -> list[dict]:
    """Each ICB investment scheme's plan and ledger actual (the ICB's expenditure on the
    scheme's cost centres) per FY."""
    return [{"icb_id": s.icb_id, "scheme_id": s.scheme_id, "fy": fy,
             "planned": money_text(12 * s.monthly_plan[fy]),
             "actual": money_text(_total(lines, pl.col("partner_id") == s.icb_id, pl.col("scheme_id") == s.scheme_id,
                                         pl.col("fy") == fy, pl.col("line_type") == "expenditure"))}
            for s in SCHEMES for fy in FINANCIAL_YEARS]


def _lead_provider_spend(lines: pl.DataFrame) -> list[dict]:
    """The lead provider's expenditure per FY, service line and the partner it paid (null:
    its own staff and suppliers outside the partnership)."""
    lead_providers = [p.partner_id for p in PARTNERS if p.kind == "lead_provider"]
    spend = (lines.filter(pl.col("partner_id").is_in(lead_providers), pl.col("line_type") == "expenditure")
             .group_by("partner_id", "fy", "service_line", "counterparty_partner")
             .agg(pl.col("amount").sum()).sort("partner_id", "fy", "service_line", "counterparty_partner"))
    return [{"partner_id": r["partner_id"], "fy": r["fy"], "service_line": r["service_line"],
             "paid_to": r["counterparty_partner"], "spend": money_text(r["amount"])} for r in spend.to_dicts()]


def _inter_partner(lines: pl.DataFrame) -> tuple[list[dict], list[dict]]:
    """Money between partners as each side books it: the payer's expenditure lines naming the
    payee, the payee's income lines naming the payer (sign flipped)."""
    named = lines.filter(pl.col("counterparty_partner").is_not_null())
    payer_side = (named.filter(pl.col("line_type") == "expenditure")
                  .group_by(payer_id="partner_id", payee_id="counterparty_partner", period="period")
                  .agg(payer_amount=pl.col("amount").sum()))
    payee_side = (named.filter(pl.col("line_type") == "income")
                  .group_by(payer_id="counterparty_partner", payee_id="partner_id", period="period")
                  .agg(payee_amount=-pl.col("amount").sum()))
    pairs = (payer_side.join(payee_side, on=["payer_id", "payee_id", "period"], how="full", coalesce=True)
             .fill_null(0).sort("payer_id", "payee_id", "period"))
    submitting, not_submitting = [], []
    for pair in pairs.to_dicts():
        if PARTNERS_BY_ID[pair["payee_id"]].submits:
            submitting.append({**pair, "payer_amount": money_text(pair["payer_amount"]),
                               "payee_amount": money_text(pair["payee_amount"])})
        else:
            not_submitting.append({"payer_id": pair["payer_id"], "payee_id": pair["payee_id"],
                                   "period": pair["period"], "payer_amount": money_text(pair["payer_amount"])})
    return submitting, not_submitting


def _elimination_mismatch(inter_partner: list[dict]) -> dict:
    mismatched = [p for p in inter_partner if p["payer_amount"] != p["payee_amount"]]
    if [(p["payer_id"], p["payee_id"], p["period"]) for p in mismatched] != [PLANTS.mismatch]:
        raise PlantedFactError(f"expected one mismatch {PLANTS.mismatch}, found {mismatched[:5]}")
    pair = mismatched[0]
    difference = Decimal(pair["payer_amount"]) - Decimal(pair["payee_amount"])
    return {**pair, "difference": f"{difference:.2f}"}


def _mhis(lines: pl.DataFrame) -> dict:
    spend = {
        (icb_id, fy): _total(lines, pl.col("partner_id") == icb_id, pl.col("fy") == fy,
                             pl.col("line_type") == "expenditure", pl.col("in_mhis"),
                             pl.col("funding_stream").is_in(sorted(MHIS_FUNDING_STREAMS)))
        for icb_id in ICB_IDS for fy in FINANCIAL_YEARS
    }
    by_icb = {}
    for icb_id in ICB_IDS:
        allocation = ALLOCATIONS[icb_id]
        required = ratio(spend[(icb_id, PRIOR_YEAR)], allocation[ASSESSED_YEAR], allocation[PRIOR_YEAR])
        actual = spend[(icb_id, ASSESSED_YEAR)]
        met = actual >= required
        by_icb[icb_id] = {
            "fy": ASSESSED_YEAR, "mhis_spend": money_text(actual),
            "prior_year_spend": money_text(spend[(icb_id, PRIOR_YEAR)]),
            "programme_allocation": money_text(allocation[ASSESSED_YEAR]),
            "prior_programme_allocation": money_text(allocation[PRIOR_YEAR]),
            "required": money_text(required), "met": met,
            ("headroom" if met else "shortfall"): money_text(abs(actual - required)),
        }
    failing = [icb_id for icb_id, r in by_icb.items() if not r["met"]]
    if failing != [PLANTS.mhis_failing_icb]:
        raise PlantedFactError(f"expected only {PLANTS.mhis_failing_icb} to fail the MHIS, failing: {failing}")
    meeting = next(icb_id for icb_id in ICB_IDS if icb_id not in failing)
    return {"fy": ASSESSED_YEAR, "failing_icb": failing[0], "meeting_icb": meeting,
            "rounding": "required rounded half up to the penny", **by_icb}


# The children and young people's MHIS categories (NHS England's MHIS categories 1 and 2).
CYP_MHIS_CATEGORIES = ("Children and young people's mental health (excluding learning disabilities)",
                       "Children and young people's eating disorders")


def _mhis_categories(lines: pl.DataFrame, mhis: dict) -> list[dict]:
    """Each ICB's mental-health expenditure per FY split as NHS England's MHIS return reports it: MHIS
    spend by MHIS category (service lines in the MHIS, recurrent and s75 pooled funds), and what is left
    out, by excluded service line (learning disability and autism, ADHD: any stream) and then by the
    funding stream outside the base (SDF, non-recurrent, grant) of MHIS service lines. Checked here to add
    up: categories = the MHIS spend of facts.mhis, categories + exclusions = mental-health spend."""
    category = {s.service_line: s.mhis_category for s in SERVICE_LINES}
    out = []
    for icb_id in ICB_IDS:
        for fy in FINANCIAL_YEARS:
            mine = lines.filter(pl.col("partner_id") == icb_id, pl.col("fy") == fy,
                                pl.col("line_type") == "expenditure", pl.col("mental_health") | pl.col("in_mhis"))
            categories: Counter = Counter()
            excluded_service_lines: Counter = Counter()
            excluded_streams: Counter = Counter()
            for service_line, stream, in_mhis, amount in mine.select(
                    "service_line", "funding_stream", "in_mhis", "amount").iter_rows():
                if not in_mhis:
                    excluded_service_lines[service_line] += amount
                elif stream in MHIS_FUNDING_STREAMS:
                    categories[category[service_line]] += amount
                else:
                    excluded_streams[stream] += amount
            mhis_spend = sum(categories.values())
            mh_spend = _total(mine, pl.col("mental_health"))
            if mhis_spend + sum(excluded_service_lines.values()) + sum(excluded_streams.values()) != mh_spend:
                raise PlantedFactError(f"{icb_id} {fy}: MHIS categories and exclusions do not add up to MH spend")
            if fy == mhis["fy"] and money_text(mhis_spend) != mhis[icb_id]["mhis_spend"]:
                raise PlantedFactError(f"{icb_id} {fy}: MHIS categories do not add up to the MHIS spend")
            out.append({
                "icb_id": icb_id, "fy": fy, "mh_spend": money_text(mh_spend), "mhis_spend": money_text(mhis_spend),
                "cyp_spend": money_text(sum(categories[c] for c in CYP_MHIS_CATEGORIES)),
                "categories": {c: money_text(v) for c, v in sorted(categories.items())},
                "excluded_service_lines": {s: money_text(v) for s, v in sorted(excluded_service_lines.items())},
                "excluded_funding_streams": {s: money_text(v) for s, v in sorted(excluded_streams.items())},
            })
    return out


def _outlier_place(lines: pl.DataFrame) -> dict:
    spend = {r["place_id"]: r["amount"] for r in
             lines.filter(pl.col("fy") == ASSESSED_YEAR, pl.col("line_type") == "expenditure", pl.col("in_mhis"),
                          pl.col("place_id").is_not_null())
             .group_by("place_id").agg(pl.col("amount").sum()).to_dicts()}
    by_place = []
    for place in PLACES:
        population = weighted_population(ASSESSED_YEAR, place.place_id)
        per_head = (to_decimal(spend[place.place_id]) / population).quantize(Decimal("0.01"), ROUND_HALF_UP)
        by_place.append({"place_id": place.place_id, "spend": money_text(spend[place.place_id]),
                         "weighted_population": population, "spend_per_weighted_head": f"{per_head:.2f}"})
    outlier = next(p for p in by_place if p["place_id"] == PLANTS.outlier_place)
    others = [Decimal(p["spend_per_weighted_head"]) for p in by_place if p is not outlier]
    if Decimal(outlier["spend_per_weighted_head"]) < Decimal("1.5") * max(others):
        raise PlantedFactError(f"{PLANTS.outlier_place} is not a clear outlier: {by_place}")
    return {"fy": ASSESSED_YEAR, **outlier,
            "definition": "all partners' valid expenditure lines whose cost centre maps to an MHIS service line "
                          "and to the place, divided by the place's weighted population, rounded to the penny",
            "by_place": by_place}


def _contract_payments(lines: pl.DataFrame, fy: str) -> list[dict]:
    """What each contract's commissioner paid its provider in the year: expenditure lines
    naming the provider, on cost centres of the contract's service line, place and stream."""
    paid = []
    for contract in contracts():
        if not contract.covers(fy):
            continue
        conditions = [pl.col("partner_id") == contract.commissioner_id, pl.col("fy") == fy,
                      pl.col("line_type") == "expenditure", pl.col("counterparty_partner") == contract.provider_id,
                      pl.col("funding_stream") == contract.funding_stream]
        if contract.service_line:
            conditions.append(pl.col("service_line") == contract.service_line)
        if contract.place_id:
            conditions.append(pl.col("place_id") == contract.place_id)
        paid.append({"contract": contract, "paid": _total(lines, *conditions)})
    return paid


def _contract_overrun(lines: pl.DataFrame) -> dict:
    over = [p for p in _contract_payments(lines, ASSESSED_YEAR) if p["paid"] > p["contract"].annual_value]
    planted = [(p["contract"].commissioner_id, p["contract"].provider_id) for p in over]
    if planted != [PLANTS.overrun_flow]:
        raise PlantedFactError(f"expected one overrun contract for {PLANTS.overrun_flow}, found {planted}")
    contract, paid = over[0]["contract"], over[0]["paid"]
    return {"contract_id": contract.contract_id, "commissioner_id": contract.commissioner_id,
            "provider_id": contract.provider_id, "fy": ASSESSED_YEAR,
            "annual_value": money_text(contract.annual_value),
            "paid": money_text(paid), "overrun": money_text(paid - contract.annual_value)}


def _slipping_scheme(lines: pl.DataFrame) -> dict:
    scheme = next(s for s in SCHEMES if s.scheme_id == PLANTS.slipping_scheme)
    to_date = [p for p in periods_of_fy(ASSESSED_YEAR) if p <= PLANTS.slipping_as_at]
    planned = sum(scheme.monthly_plan[ASSESSED_YEAR] for _ in to_date)
    actual = _total(lines, pl.col("partner_id") == scheme.icb_id, pl.col("scheme_id") == scheme.scheme_id,
                    pl.col("period").is_in(to_date), pl.col("line_type") == "expenditure")
    if actual * 2 >= planned:
        raise PlantedFactError(f"{scheme.scheme_id} is not slipping: planned {planned}, actual {actual}")
    return {"icb_id": scheme.icb_id, "scheme_id": scheme.scheme_id, "scheme_name": scheme.name,
            "fy": ASSESSED_YEAR, "as_at": PLANTS.slipping_as_at, "planned_to_date": money_text(planned),
            "actual_to_date": money_text(actual), "slippage": money_text(planned - actual)}


def _crisis_houses(lines: pl.DataFrame, centres: list[CostCentre]) -> dict:
    stream_of = {(c.partner_id, c.code): c.funding_stream for c in centres}
    houses = []
    for flow in FLOWS:
        if flow.payee != "haven":
            continue
        place_id = flow.terms.place_id
        contract = next(c for c in contracts() if c.contract_id == flow.terms.id_for(ASSESSED_YEAR))
        spend = _total(lines, pl.col("partner_id") == "haven", pl.col("fy") == ASSESSED_YEAR,
                       pl.col("line_type") == "expenditure", pl.col("service_line") == "crisis_house",
                       pl.col("place_id") == place_id)
        icb_cost_centre = flow.payer_ccs[0][0]
        houses.append({
            "house": place_id, "contract_id": contract.contract_id, "commissioner_id": contract.commissioner_id,
            "contract_type": contract.contract_type, "funding_stream": contract.funding_stream,
            "icb_cost_centre": icb_cost_centre,
            "icb_cost_centre_funding_stream": stream_of[(flow.payer, icb_cost_centre)],
            "haven_income_cost_centre": flow.payee_cc,
            "haven_income_funding_stream": stream_of[("haven", flow.payee_cc)],
            "capacity_beds": contract.capacity, "annual_value": money_text(contract.annual_value),
            "contract_value_per_bed": money_text(ratio(contract.annual_value, 1, contract.capacity)),
            "expenditure": money_text(spend), "expenditure_per_bed": money_text(ratio(spend, 1, contract.capacity)),
        })
    non_recurrent = [h["house"] for h in houses if h["funding_stream"] == "non_recurrent"
                     and h["icb_cost_centre_funding_stream"] == h["haven_income_funding_stream"] == "non_recurrent"]
    if non_recurrent != ["fenwick"]:
        raise PlantedFactError(f"expected Fenwick alone on non-recurrent funding, found {non_recurrent}")
    return {"fy": ASSESSED_YEAR, "non_recurrent_house": "fenwick", "houses": houses}


def _counterparty_register(lines: pl.DataFrame, unclassified: pl.DataFrame) -> dict:
    """Every counterparty outside the partnership as written, its true class (suppliers.TRUE_CLASS),
    the class the register should show (unknown for the ones planted for review) and what was paid
    to it (expenditure lines, every service line). A supplier the demo writes without a true class
    fails generation, so the manifest always covers every pound paid outside the partnership."""
    from demo import suppliers

    paid = (lines.filter(pl.col("counterparty_partner").is_null(), pl.col("counterparty").is_not_null())
            .group_by("counterparty")
            .agg(gross_paid=pl.when(pl.col("line_type") == "expenditure").then(pl.col("amount")).otherwise(0).sum()))
    extra = unclassified.group_by("counterparty").agg(extra=pl.col("amount").sum())
    paid = (paid.join(extra, on="counterparty", how="full", coalesce=True)
            .select("counterparty", gross_paid=pl.col("gross_paid").fill_null(0) + pl.col("extra").fill_null(0))
            .sort("counterparty"))
    unknown = sorted(set(paid["counterparty"]) - set(suppliers.TRUE_CLASS))
    if unknown:
        raise PlantedFactError(f"counterparties with no true class in suppliers.TRUE_CLASS: {unknown[:5]}")
    rows, unknown_paid = [], 0
    for name, amount in paid.iter_rows():
        unknown_paid += int(amount) if name in suppliers.LEFT_FOR_REVIEW else 0
        true_class, register_id = suppliers.TRUE_CLASS[name]
        rows.append({"counterparty": name, "true_class": true_class, "register_id": register_id,
                     "expected_class": "unknown" if name in suppliers.LEFT_FOR_REVIEW else true_class,
                     "left_to_name_rules": name in suppliers.LEFT_TO_NAME_RULES, "gross_paid": money_text(amount)})
    review = [r for r in rows if r["expected_class"] == "unknown"]
    if not review or not any(r["left_to_name_rules"] for r in rows):
        raise PlantedFactError("the demo no longer pays a supplier left for review or to the name rules")
    return {"suppliers": rows, "trading_names": dict(suppliers.TRADING_NAMES),
            "unknown_paid": money_text(unknown_paid)}
