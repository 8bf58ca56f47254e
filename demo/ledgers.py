"""The structural ledger: every line whose amount is planned (payments between partners,
contract and scheme payments, the trust's services, local-authority mental-health spend,
the voluntary sector's accounts). It is the same at every scale; `bulk` adds volume.

Lines are dicts with the fields of `LINE_FIELDS`; amounts are integer pence.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

from demo import suppliers
from demo.activity import bed_days, out_of_area_placements
from demo.cost_centres import (
    OCCASIONAL_CC, OCCASIONAL_MONTHS, VCSE_SITES, WFMH_PLACE_SERVICES, la_mental_health_code, vcse_categories,
    vcse_cost_code, wfmh_place_code,
)
from demo.flows import (
    FLOWS, OAKRIDGE_BED_DAY_PRICE, OAKRIDGE_CC, OAKRIDGE_TERMS, PLANTS, SCHEMES, Flow, Scheme,
)
from demo.money import pounds, ratio, split, uplift
from demo.periods import (
    PERIODS, PRIOR_YEAR, days_in, fy_of, last_day, payment_date, weekday_on_or_before, year_month,
)
from demo.system import (
    ICB_IDS, PARTNERS, PARTNERS_BY_ID, PLACES, SUBMITTING, weighted_population,
)

LINE_FIELDS = ("cost_centre", "cc_name", "area", "division", "expense_code", "expense_type", "counterparty",
               "description", "posting_date", "amount", "budget", "funding_stream", "defect")


class Ledger:
    """Structural lines per (partner_id, period), in booking order."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, str], list[dict]] = defaultdict(list)

    def add(self, partner_id: str, period: str, cost_centre: str, amount: int, counterparty: str | None,
            posting_date: date, **fields) -> None:
        if amount == 0:
            raise ValueError(f"zero amount booked on {partner_id} {period} {cost_centre}")
        line = dict.fromkeys(LINE_FIELDS)
        line.update(cost_centre=cost_centre, amount=amount, counterparty=counterparty, posting_date=posting_date)
        unknown = set(fields) - set(LINE_FIELDS)
        if unknown:
            raise TypeError(f"unknown line fields {sorted(unknown)}")
        line.update(fields)
        self.lines[(partner_id, period)].append(line)

    def count(self) -> int:
        return sum(len(lines) for lines in self.lines.values())


class Spellings:
    """How each partner writes each other partner's name: chosen once, used consistently,
    so the same partner appears under several spellings across the system."""

    def __init__(self, rng: random.Random) -> None:
        self._chosen = {
            (writer.partner_id, named.partner_id): rng.choice(named.aliases)
            for writer in SUBMITTING for named in PARTNERS if writer is not named
        }

    def of(self, named: str, written_by: str) -> str:
        return self._chosen[(written_by, named)]


def month_label(period: str) -> str:
    year, month = year_month(period)
    return date(year, month, 1).strftime("%b %Y")


def random_weekday(rng: random.Random, period: str) -> date:
    year, month = year_month(period)
    day = weekday_on_or_before(date(year, month, rng.randint(1, days_in(period))))
    return day if day.month == month else payment_date(period, 3)


def build_ledger(rng: random.Random, activity: list[dict]) -> Ledger:
    ledger = Ledger()
    spellings = Spellings(rng)
    book_flows(ledger, spellings, activity)
    book_icb_lines(ledger, rng)
    book_trust_lines(ledger, rng)
    book_lead_provider_lines(ledger, rng, activity)
    book_local_authority_lines(ledger, rng)
    book_vcse_lines(ledger, rng)
    return ledger


# --- payments between partners -------------------------------------------------------

PAYEE_SUBJECTIVE = {"WF0101": ("41100", "Income from ICBs - block contracts"),
                    "WF0102": ("41100", "Income from ICBs - block contracts"),
                    "WF0103": ("41200", "Income from provider collaboratives")}
PAYER_SUBJECTIVE = ("56100", "Purchase of healthcare from non-NHS bodies")


def book_flows(ledger: Ledger, spellings: Spellings, activity: list[dict]) -> None:
    """Both sides of every payment between partners. The payee books one income line per
    payer, cost centre and month; only the planted mismatch makes the two sides differ."""
    received: dict[tuple[Flow, str], int] = defaultdict(int)
    for flow in FLOWS:
        for period in PERIODS:
            amount = flow.monthly[fy_of(period)]
            _pay(ledger, spellings, flow, period, amount, f"{flow.terms.id_for(fy_of(period))} {flow.what}")
            received[(flow, period)] += amount
    overrun_flow = next(f for f in FLOWS if (f.payer, f.payee) == PLANTS.overrun_flow)
    for period, amount in PLANTS.overrun_payments:
        _pay(ledger, spellings, overrun_flow, period, amount, "Additional winter peer support sessions")
        received[(overrun_flow, period)] += amount
    for (flow, period), amount in received.items():
        if (flow.payer, flow.payee, period) == PLANTS.mismatch:
            amount -= PLANTS.mismatch_payee_short_by
        _receive(ledger, spellings, flow, period, amount)
    for period in PERIODS:  # oakridge keeps no ledger we receive: the payer's side only
        fy = fy_of(period)
        amount = bed_days(activity, "oakridge", period) * OAKRIDGE_BED_DAY_PRICE[fy]
        ledger.add("fsc_lp", period, OAKRIDGE_CC, amount, spellings.of("oakridge", "fsc_lp"), payment_date(period, 18),
                   description=f"{OAKRIDGE_TERMS.id_for(fy)} secure bed days {month_label(period)}")


def _pay(ledger: Ledger, spellings: Spellings, flow: Flow, period: str, amount: int, what: str) -> None:
    parts = split(amount, [weight for _, weight in flow.payer_ccs])
    for (cost_centre, _), part in zip(flow.payer_ccs, parts):
        code, subjective = PAYER_SUBJECTIVE if flow.payer == "wfmh" else (None, None)
        ledger.add(flow.payer, period, cost_centre, part, spellings.of(flow.payee, flow.payer),
                   payment_date(period, flow.pay_day), description=f"{what} {month_label(period)}",
                   expense_code=code, expense_type=subjective)


def _receive(ledger: Ledger, spellings: Spellings, flow: Flow, period: str, amount: int) -> None:
    payee = PARTNERS_BY_ID[flow.payee]
    code, subjective = PAYEE_SUBJECTIVE.get(flow.payee_cc, (None, None))
    budget = -flow.monthly[fy_of(period)] if payee.layout == "vcse_mgmt" else None
    ledger.add(flow.payee, period, flow.payee_cc, -amount, spellings.of(flow.payer, flow.payee), last_day(period),
               description=f"Income accrual - {flow.what} {month_label(period)}", expense_code=code,
               expense_type=subjective, budget=budget)


# --- ICBs ---------------------------------------------------------------------------

ACUTE_MONTHLY = {"nw_icb": (pounds(38_240_000), pounds(6_180_000), pounds(4_310_000)),
                 "sf_icb": (pounds(29_870_000), pounds(5_020_000), pounds(3_460_000))}
ICB_PREFIX = {"nw_icb": "NW", "sf_icb": "SF"}
HMT_MINIMUM = pounds(25_000)  # the ICBs publish spend over £25,000 only


def book_icb_lines(ledger: Ledger, rng: random.Random) -> None:
    for icb_id in ICB_IDS:
        prefix = ICB_PREFIX[icb_id]
        for period in PERIODS:
            growth = 0 if fy_of(period) == PRIOR_YEAR else 410
            for trust, monthly in zip(suppliers.ACUTE_TRUSTS[icb_id], ACUTE_MONTHLY[icb_id]):
                ledger.add(icb_id, period, f"{prefix}5101", uplift(monthly, growth), trust, payment_date(period, 15))
            _book_invoices(ledger, rng, icb_id, period, f"{prefix}4140", "mh_placements", rng.randint(3, 6),
                           (pounds(30_000), pounds(120_000)))
            _book_invoices(ledger, rng, icb_id, period, f"{prefix}4150", "ld_autism", rng.randint(4, 8),
                           (pounds(25_000), pounds(90_000)))
            _book_invoices(ledger, rng, icb_id, period, f"{prefix}4160", "adhd_drugs", 1,
                           (pounds(250_000), pounds(400_000)))
            for scheme in SCHEMES:
                if scheme.icb_id == icb_id and scheme.provider not in PARTNERS_BY_ID:
                    _book_scheme_month(ledger, rng, scheme, period)


def _book_invoices(ledger: Ledger, rng: random.Random, partner_id: str, period: str, cost_centre: str,
                   pool: str, count: int, bounds: tuple[int, int]) -> None:
    for _ in range(count):
        ledger.add(partner_id, period, cost_centre, rng.randint(*bounds), rng.choice(suppliers.POOLS[pool]),
                   random_weekday(rng, period))


def scheme_actual(scheme: Scheme, period: str, rng: random.Random) -> int:
    if scheme.scheme_id == PLANTS.slipping_scheme and period in PLANTS.slipping_actuals:
        return PLANTS.slipping_actuals[period]
    return ratio(scheme.monthly_plan[fy_of(period)], rng.randint(9500, 10400), 10_000)


def _book_scheme_month(ledger: Ledger, rng: random.Random, scheme: Scheme, period: str) -> None:
    actual = scheme_actual(scheme, period, rng)
    if actual == 0:
        return
    parts = [actual] if actual < 2 * HMT_MINIMUM + pounds(10_000) else split(actual, [rng.randint(30, 70), 50],
                                                                              minimum=HMT_MINIMUM)
    for part in parts:
        ledger.add(scheme.icb_id, period, scheme.cost_centre, part, scheme.provider, random_weekday(rng, period))


# --- the trust ---------------------------------------------------------------------

PAY = (("51100", "Medical staff"), ("51200", "Registered nursing staff"), ("51300", "Unregistered nursing staff"),
       ("51400", "Allied health professionals"), ("51500", "Admin and clerical staff"))
AGENCY = (("52100", "Agency nursing staff"), ("52200", "Agency medical staff"))
NON_PAY = (("53100", "Drugs"), ("53200", "Clinical supplies and services"), ("54100", "Premises - rent and rates"),
           ("54200", "Utilities"), ("54300", "Cleaning and catering"), ("55100", "Travel and subsistence"),
           ("55200", "IT and telephony"), ("55900", "Other non-pay"))

PLACE_RATE = {"10": pounds(38), "20": pounds(16), "30": pounds(14)}  # per weighted head per year
FIXED_BUDGETS = {  # monthly, FY 2024-25; (budget, pay share in basis points)
    "WF3110": (pounds(3_050_000), 7800), "WF3120": (pounds(2_480_000), 7800), "WF3130": (pounds(1_150_000), 7600),
    "WF3210": (pounds(420_000), 7200), "WF3220": (pounds(310_000), 7400), "WF3310": (pounds(790_000), 7800),
    "WF9010": (pounds(1_200_000), 5500), "WF9020": (pounds(650_000), 3000),
}
# The trust's services grow with its commissioners' blocks in FY 2025-26.
GROWTH = {"north_weald": 600, "south_fen": 150, "": 300}


def trust_budgets(rng: random.Random) -> dict[tuple[str, str], tuple[int, int]]:
    """(cost centre, period) -> (monthly budget, pay share in basis points)."""
    place_factor = {p.place_id: rng.randint(9700, 10300) for p in PLACES}
    budgets = {}
    for period in PERIODS:
        fy = fy_of(period)
        for place in PLACES:
            growth = 0 if fy == PRIOR_YEAR else GROWTH[place.ics_id]
            for suffix, _, _ in WFMH_PLACE_SERVICES:
                yearly = weighted_population(fy, place.place_id) * PLACE_RATE[suffix]
                monthly = uplift(ratio(yearly, place_factor[place.place_id], 12 * 10_000), growth)
                budgets[(wfmh_place_code(place.place_id, suffix), period)] = (monthly, 7200)
        for code, (monthly, pay_share) in FIXED_BUDGETS.items():
            budgets[(code, period)] = (uplift(monthly, 0 if fy == PRIOR_YEAR else GROWTH[""]), pay_share)
    return {key: (ratio(budget, rng.randint(9800, 10200), 10_000), share) for key, (budget, share) in budgets.items()}


def book_trust_lines(ledger: Ledger, rng: random.Random) -> None:
    invoice_numbers = {period: iter(range(rng.randint(100_000, 800_000), 10**7, 7)) for period in PERIODS}
    for (code, period), (budget, pay_share) in trust_budgets(rng).items():
        _book_trust_cost_centre_month(ledger, rng, code, period, budget, pay_share, invoice_numbers[period])


def _book_trust_cost_centre_month(ledger: Ledger, rng: random.Random, code: str, period: str, budget: int,
                                  pay_share: int, invoices) -> None:
    pay_total = ratio(budget, pay_share, 10_000)
    non_pay_total = budget - pay_total
    payday = payment_date(period, 26)
    pay_lines = rng.sample(PAY, rng.randint(3, 5))
    agency = rng.choice(AGENCY) if rng.randint(0, 1) else None
    pay_parts = split(pay_total, [rng.randint(20, 100) for _ in range(len(pay_lines) + bool(agency))])
    for (subjective, name), part in zip(pay_lines, pay_parts):
        ledger.add("wfmh", period, code, part, suppliers.PAYROLL, payday, expense_code=subjective, expense_type=name,
                   description=f"Payroll {month_label(period)} - {name.lower()}")
    if agency:
        supplier = rng.choice(suppliers.POOLS["wfmh_agency"])
        ledger.add("wfmh", period, code, pay_parts[-1], supplier, random_weekday(rng, period), expense_code=agency[0],
                   expense_type=agency[1], description=f"Inv {next(invoices)} {supplier} agency cover")
    non_pay = [rng.choice(NON_PAY) for _ in range(rng.randint(3, 7))]
    parts = split(non_pay_total, [rng.randint(10, 100) for _ in non_pay], minimum=pounds(50))
    if rng.randint(1, 4) == 1:  # a supplier credit note, netted off against the month's biggest invoice
        credit = rng.randint(pounds(100), pounds(5_000))
        parts[parts.index(max(parts))] += credit
        non_pay.append(rng.choice(NON_PAY))
        parts.append(-credit)
    for (subjective, name), part in zip(non_pay, parts):
        supplier = rng.choice(suppliers.POOLS["wfmh_nonpay"])
        kind = "Credit note" if part < 0 else "Inv"
        ledger.add("wfmh", period, code, part, supplier, random_weekday(rng, period), expense_code=subjective,
                   expense_type=name, description=f"{kind} {next(invoices)} {supplier}")


# --- the lead provider -------------------------------------------------------------

def book_lead_provider_lines(ledger: Ledger, rng: random.Random, activity: list[dict]) -> None:
    last = len(PERIODS) - 1
    for index, period in enumerate(PERIODS):
        for _ in range(out_of_area_placements(activity, period)):
            supplier = rng.choice(suppliers.POOLS["lp_placements"])
            ledger.add("fsc_lp", period, "FSC-200", rng.randint(pounds(14_000), pounds(24_000)), supplier,
                       random_weekday(rng, period),
                       description=f"Placement {rng.randint(1000, 9999)} {supplier} {month_label(period)}")
        # Community forensic services grow from £240k to £520k a month as beds are released.
        community = pounds(240_000) + (pounds(520_000) - pounds(240_000)) * index // last
        staff, non_pay_total = split(community, [62, 38])
        for part in split(staff, [rng.randint(40, 60), 50]):
            ledger.add("fsc_lp", period, "FSC-300", part, suppliers.PAYROLL, payment_date(period, 26),
                       description=f"Payroll {month_label(period)} community forensic team")
        count = rng.randint(4, 8)
        for part in split(non_pay_total, [rng.randint(10, 100) for _ in range(count)], minimum=pounds(200)):
            supplier = rng.choice(suppliers.POOLS["lp_community"])
            stream = "sdf" if rng.randint(1, 4) == 1 else None  # SDF-funded, named in the FundingStream column
            ledger.add("fsc_lp", period, "FSC-300", part, supplier, random_weekday(rng, period),
                       description=f"Inv {rng.randint(10_000, 99_999)} {supplier}", funding_stream=stream)
        hub = ratio(pounds(55_000), rng.randint(9600, 10400), 10_000)
        staff, services = split(hub, [70, 30])
        ledger.add("fsc_lp", period, "FSC-900", staff, suppliers.PAYROLL, payment_date(period, 26),
                   description=f"Payroll {month_label(period)} collaborative hub")
        ledger.add("fsc_lp", period, "FSC-900", services, "NHS Shared Business Services Ltd",
                   random_weekday(rng, period), description=f"Finance and payroll services {month_label(period)}")


# --- local authorities -------------------------------------------------------------

LA_MH_RATE = {"ashby": 18, "brookfield": 16, "carrow": 16, "dunmere": 17, "elmstead": 14, "fenwick": 15}
LA_MH_CATEGORIES = ("Supported living", "Residential care", "Day opportunities", "Homecare", "Contract payments")
LA500_MINIMUM = pounds(500)


def book_local_authority_lines(ledger: Ledger, rng: random.Random) -> None:
    """Mental-health community support per place (the section 75 pooled budget where the
    council hosts one): care providers, and personal budgets paid to individuals."""
    for partner in PARTNERS:
        if partner.kind != "local_authority":
            continue
        for period in PERIODS:
            fy = fy_of(period)
            for place_id in partner.places:
                yearly = weighted_population(fy, place_id) * pounds(LA_MH_RATE[place_id])
                budget = uplift(ratio(yearly, 1, 12), 0 if fy == PRIOR_YEAR else 300)
                _book_la_mental_health(ledger, rng, partner.partner_id, period,
                                       la_mental_health_code(partner.partner_id, place_id), budget)


def _book_la_mental_health(ledger: Ledger, rng: random.Random, la_id: str, period: str, code: str,
                           budget: int) -> None:
    count = rng.randint(14, 28)
    parts = split(budget, [rng.randint(5, 100) for _ in range(count)], minimum=LA500_MINIMUM)
    if rng.randint(1, 4) == 1:  # a provider refund, netted off against the month's biggest payment
        refund = rng.randint(LA500_MINIMUM, pounds(3_000))
        parts[parts.index(max(parts))] += refund
        parts.append(-refund)
    for part in parts:
        individual = rng.randint(1, 10) <= 3
        supplier = suppliers.REDACTED if individual else rng.choice(suppliers.POOLS["la_mental_health"])
        category = "Direct payments" if individual else rng.choice(LA_MH_CATEGORIES)
        ledger.add(la_id, period, code, part, supplier, random_weekday(rng, period), expense_type=category)


# --- voluntary sector --------------------------------------------------------------

def book_vcse_lines(ledger: Ledger, rng: random.Random) -> None:
    """Management accounts: one row per cost centre a month, Actual against Budget."""
    for partner_id, sites in VCSE_SITES.items():
        for period in PERIODS:
            month_end = last_day(period)
            for site in sites:
                categories = vcse_categories(site)
                budgets = split(site.monthly_budget, [weight for _, _, weight in categories])
                for (suffix, _, _), budget in zip(categories, budgets):
                    actual = ratio(budget, rng.randint(9300, 10700), 10_000)
                    ledger.add(partner_id, period, vcse_cost_code(site, suffix), actual, None, month_end,
                               budget=budget)
            _book_vcse_other_income(ledger, rng, partner_id, period)
            if partner_id == OCCASIONAL_CC.partner_id and period[5:] in OCCASIONAL_MONTHS:
                ledger.add(partner_id, period, OCCASIONAL_CC.code, rng.randint(pounds(1_500), pounds(3_000)), None,
                           month_end, budget=pounds(2_000))


def _book_vcse_other_income(ledger: Ledger, rng: random.Random, partner_id: str, period: str) -> None:
    if partner_id == "haven":
        ledger.add("haven", period, "HAV-CEN-90", -rng.randint(pounds(2_500), pounds(6_000)), suppliers.DONATIONS,
                   last_day(period), budget=-pounds(4_000))
    elif partner_id == "youth_space":
        ledger.add("youth_space", period, "YS-INC-90", -rng.randint(pounds(1_500), pounds(4_000)),
                   suppliers.FUNDRAISING, last_day(period), budget=-pounds(2_500))
