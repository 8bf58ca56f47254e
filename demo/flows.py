"""The money plan: recurring payments between partners (each backed by a contract),
ICB investment schemes, and the planted deviations from plan.

Amounts are monthly, in pence, per financial year. Every contract's annual value is
twelve times its monthly payment, so only the planted contract is paid more than its value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from demo.money import pounds

FY_DATES = {"2024-25": (date(2024, 4, 1), date(2025, 3, 31)), "2025-26": (date(2025, 4, 1), date(2026, 3, 31))}
MULTI_YEAR = (date(2024, 4, 1), date(2027, 3, 31))


@dataclass(frozen=True)
class Terms:
    """The contract behind a flow. `per_year`: a new contract (and id) each financial year,
    as NHS block contracts are re-valued yearly; otherwise one multi-year contract."""

    contract_id: str
    contract_type: str
    funding_stream: str
    service_line: str = ""  # blank: a block covering several service lines
    place_id: str = ""
    capacity: int | None = None
    capacity_unit: str = ""
    per_year: bool = False
    parent: str = ""  # parent contract id (subcontracts under a delegated budget)

    def id_for(self, fy: str) -> str:
        return f"{self.contract_id}-{fy[2:4]}{fy[5:7]}" if self.per_year else self.contract_id

    def parent_for(self, fy: str) -> str:
        return f"{self.parent}-{fy[2:4]}{fy[5:7]}" if self.parent else ""


@dataclass(frozen=True, eq=False)  # identity: each flow is one arrangement
class Flow:
    """A monthly payment from payer to payee. The payer books it on `payer_ccs` (split by
    integer weights, one line per cost centre); the payee books the month's total as one
    income line on `payee_cc` (None when the payee keeps no ledger we receive)."""

    payer: str
    payee: str
    payer_ccs: tuple[tuple[str, int], ...]
    payee_cc: str | None
    monthly: dict[str, int]
    terms: Terms
    what: str  # how the payer describes it
    pay_day: int = 15


_BLOCK_SHARES = (("4101", 3800), ("4102", 3000), ("4103", 1200), ("4104", 1000), ("4105", 500), ("4106", 500))


def _block(prefix: str) -> tuple[tuple[str, int], ...]:
    return tuple((f"{prefix}{code}", weight) for code, weight in _BLOCK_SHARES)


FLOWS: tuple[Flow, ...] = (
    # ICB mental-health block contracts with the trust, split over service-line cost centres.
    Flow("nw_icb", "wfmh", _block("NW"), "WF0101",
         {"2024-25": pounds(11_240_000), "2025-26": pounds(12_049_280)},
         Terms("NW-WFMH", "block", "recurrent", per_year=True), "Mental health block contract"),
    Flow("sf_icb", "wfmh", _block("SF"), "WF0102",
         {"2024-25": pounds(7_180_000), "2025-26": pounds(7_251_800)},
         Terms("SF-WFMH", "block", "recurrent", per_year=True), "Mental health block contract"),
    # Secure-care budget delegated by both ICBs to the lead provider.
    Flow("nw_icb", "fsc_lp", (("NW4110", 1),), "FSC-010",
         {"2024-25": pounds(1_420_000), "2025-26": pounds(1_505_200)},
         Terms("NW-FSC", "block", "recurrent", "secure_care", per_year=True), "Secure care delegated budget"),
    Flow("sf_icb", "fsc_lp", (("SF4110", 1),), "FSC-011",
         {"2024-25": pounds(1_260_000), "2025-26": pounds(1_285_200)},
         Terms("SF-FSC", "block", "recurrent", "secure_care", per_year=True), "Secure care delegated budget"),
    # The lead provider's subcontract with the trust (oakridge's is cost and volume, see below).
    Flow("fsc_lp", "wfmh", (("FSC-100", 1),), "WF0103",
         {"2024-25": pounds(820_000), "2025-26": pounds(845_000)},
         Terms("FSC-WFMH", "block", "recurrent", "secure_care", capacity=52, capacity_unit="beds", per_year=True,
               parent="SF-FSC"), "Medium secure beds subcontract", pay_day=18),
    # Haven's crisis houses: Ashby and Dunmere on recurrent blocks, Fenwick on a non-recurrent grant.
    Flow("nw_icb", "haven", (("NW4120", 1),), "HAV-ASH-90", {"2024-25": pounds(45_000), "2025-26": pounds(45_000)},
         Terms("NW-HAV-ASH", "block", "recurrent", "crisis_house", "ashby", 6, "beds"), "Ashby crisis house"),
    Flow("sf_icb", "haven", (("SF4120", 1),), "HAV-DUN-90", {"2024-25": pounds(50_000), "2025-26": pounds(50_000)},
         Terms("SF-HAV-DUN", "block", "recurrent", "crisis_house", "dunmere", 7, "beds"), "Dunmere crisis house"),
    Flow("sf_icb", "haven", (("SF4202", 1),), "HAV-FEN-90", {"2024-25": pounds(65_000), "2025-26": pounds(65_000)},
         Terms("SF-HAV-FEN", "grant", "non_recurrent", "crisis_house", "fenwick", 6, "beds"),
         "Fenwick crisis house pilot grant"),
    # Other voluntary-sector contracts.
    Flow("nw_icb", "peerlink", (("NW4121", 1),), "PL-INC-10", {"2024-25": pounds(30_000), "2025-26": pounds(30_000)},
         Terms("NW-PL", "block", "recurrent", "peer_support"), "Peer support contract"),
    Flow("nw_icb", "youth_space", (("NW4122", 1),), "YS-INC-10",
         {"2024-25": pounds(35_000), "2025-26": pounds(35_000)},
         Terms("NW-YS", "block", "recurrent", "camhs"), "Young people's counselling contract"),
    Flow("sf_icb", "open_minds", (("SF4123", 1),), "OM-INC-10",
         {"2024-25": pounds(90_000), "2025-26": pounds(90_000)},
         Terms("SF-OM", "block", "recurrent", "talking_therapies"), "Talking therapies contract"),
    # Section 75 pooled mental-health budgets hosted by local authorities.
    Flow("nw_icb", "la_ashby", (("NW4130", 1),), "31010", {"2024-25": pounds(250_000), "2025-26": pounds(258_000)},
         Terms("NW-S75-ASH", "block", "s75_pooled", "adult_community", per_year=True), "Section 75 contribution"),
    Flow("nw_icb", "la_brookcarrow", (("NW4131", 1),), "32010",
         {"2024-25": pounds(380_000), "2025-26": pounds(391_400)},
         Terms("NW-S75-BC", "block", "s75_pooled", "adult_community", per_year=True), "Section 75 contribution"),
    Flow("sf_icb", "la_dunmere", (("SF4130", 1),), "33010", {"2024-25": pounds(310_000), "2025-26": pounds(316_200)},
         Terms("SF-S75-DUN", "block", "s75_pooled", "adult_community", per_year=True), "Section 75 contribution"),
    # Local-authority grants to voluntary-sector partners.
    Flow("la_ashby", "peerlink", (("31600", 1),), "PL-INC-20", {"2024-25": pounds(8_000), "2025-26": pounds(8_000)},
         Terms("LAA-PL", "grant", "grant", "peer_support", "ashby"), "Peer support grant", pay_day=20),
    Flow("la_brookcarrow", "youth_space", (("32600", 1),), "YS-INC-20",
         {"2024-25": pounds(6_500), "2025-26": pounds(6_500)},
         Terms("LABC-YS", "grant", "grant", "camhs"), "Youth counselling grant", pay_day=20),
    Flow("la_dunmere", "open_minds", (("33600", 1),), "OM-INC-20",
         {"2024-25": pounds(10_000), "2025-26": pounds(10_000)},
         Terms("LAD-OM", "grant", "grant", "talking_therapies", "dunmere"), "Talking therapies grant", pay_day=20),
    Flow("la_elmfen", "open_minds", (("34600", 1),), "OM-INC-30",
         {"2024-25": pounds(7_500), "2025-26": pounds(7_500)},
         Terms("LAEF-OM", "grant", "grant", "talking_therapies"), "Talking therapies grant", pay_day=20),
    # The trust buys peer support workers for its wards.
    Flow("wfmh", "peerlink", (("WF3410", 1),), "PL-INC-30", {"2024-25": pounds(12_000), "2025-26": pounds(12_000)},
         Terms("WFMH-PL", "block", "recurrent", "peer_support"), "Peer support workers on wards", pay_day=25),
)

# The lead provider pays oakridge (which sends no ledger) per occupied bed day.
OAKRIDGE_TERMS = Terms("FSC-OAK", "cost_and_volume", "recurrent", "secure_care", capacity=60, capacity_unit="beds",
                       per_year=True, parent="SF-FSC")
OAKRIDGE_CC = "FSC-110"
OAKRIDGE_BED_DAY_PRICE = {"2024-25": 54_500, "2025-26": 56_000}  # pence per occupied bed day


@dataclass(frozen=True)
class Scheme:
    icb_id: str
    scheme_id: str
    name: str
    service_line: str
    funding_stream: str  # the stream of the scheme's cost centre
    cost_centre: str
    place_id: str
    monthly_plan: dict[str, int]
    provider: str  # an external provider, or a partner id when a flow pays it

    @property
    def recurrence(self) -> str:
        return "recurrent" if self.funding_stream == "recurrent" else "non_recurrent"


SCHEMES: tuple[Scheme, ...] = (
    Scheme("nw_icb", "NW-S01", "Community mental health framework roll-out", "adult_community", "recurrent",
           "NW4201", "", {"2024-25": pounds(180_000), "2025-26": pounds(210_000)}, "Rethink Mental Illness"),
    Scheme("nw_icb", "NW-S02", "Perinatal mental health expansion", "perinatal", "sdf", "NW4202", "",
           {"2024-25": pounds(60_000), "2025-26": pounds(75_000)}, "Tommy's"),
    Scheme("nw_icb", "NW-S03", "Mental health support teams in schools", "camhs", "sdf", "NW4203", "",
           {"2024-25": pounds(95_000), "2025-26": pounds(110_000)}, "Place2Be"),
    Scheme("nw_icb", "NW-S04", "Eating disorders early intervention", "eating_disorders", "recurrent", "NW4204", "",
           {"2024-25": pounds(40_000), "2025-26": pounds(48_000)}, "Beat"),
    Scheme("nw_icb", "NW-S05", "Peer support workforce development", "peer_support", "non_recurrent", "NW4205", "",
           {"2024-25": pounds(30_000), "2025-26": pounds(30_000)}, "Together for Mental Wellbeing"),
    Scheme("sf_icb", "SF-S01", "24/7 crisis alternatives", "crisis_home_treatment", "recurrent", "SF4201", "",
           {"2024-25": pounds(120_000), "2025-26": pounds(200_000)}, "British Red Cross Society"),
    Scheme("sf_icb", "SF-S02", "Fenwick crisis house pilot", "crisis_house", "non_recurrent", "SF4202", "fenwick",
           {"2024-25": pounds(65_000), "2025-26": pounds(65_000)}, "haven"),
    Scheme("sf_icb", "SF-S03", "Digital mental health for young people", "camhs", "sdf", "SF4203", "",
           {"2024-25": pounds(45_000), "2025-26": pounds(50_000)}, "Kooth Digital Health Ltd"),
    Scheme("sf_icb", "SF-S04", "Talking therapies workforce expansion", "talking_therapies", "sdf", "SF4204", "",
           {"2024-25": pounds(70_000), "2025-26": pounds(80_000)}, "Mind in the Fens"),
    Scheme("sf_icb", "SF-S05", "Suicide prevention programme", "adult_community", "non_recurrent", "SF4205", "",
           {"2024-25": pounds(35_000), "2025-26": pounds(35_000)}, "Samaritans"),
)


@dataclass(frozen=True)
class Plants:
    """The deviations planted on purpose (docs: brief, 'Planted facts')."""

    # 2: the scheme that slips in the first half of FY 2025-26 (actual per month, pence).
    slipping_scheme: str = "SF-S01"
    slipping_as_at: str = "2025-09"
    slipping_actuals: dict[str, int] = field(default_factory=lambda: {
        "2025-04": 0, "2025-05": 0, "2025-06": pounds(28_400), "2025-07": pounds(31_750),
        "2025-08": pounds(36_120), "2025-09": pounds(44_980)})
    # 3: the ICB whose MHIS fails (its blocks grow ~1%, its allocation 4.8%).
    mhis_failing_icb: str = "sf_icb"
    # 4: the place whose spend per weighted head is an outlier (Carrow Lodge is coded to it).
    outlier_place: str = "carrow"
    # 5: the one payer/payee/period where the payee's books disagree with the payer's.
    mismatch: tuple[str, str, str] = ("nw_icb", "wfmh", "2025-11")
    mismatch_payee_short_by: int = pounds(125_000)
    # 6: extra in-year payments that take a contract over its annual value.
    overrun_flow: tuple[str, str] = ("nw_icb", "peerlink")
    overrun_payments: tuple[tuple[str, int], ...] = (("2025-12", pounds(30_000)), ("2026-01", pounds(30_000)))
    # 7: the ICB file with one payment exported twice.
    duplicate: tuple[str, str] = ("sf_icb", "2025-01")
    # 8: the local-authority month resubmitted with corrections.
    resubmission: tuple[str, str] = ("la_brookcarrow", "2025-06")
    # 9: the partner's service line that overspends its mental-health budget in FY 2025-26 (its
    # budget is set this many per cent below what it spent; every other budget is 1% above).
    budget_overspend: tuple[str, str] = ("wfmh", "crisis_home_treatment")
    budget_overspend_pct: int = 8


PLANTS = Plants()


@dataclass(frozen=True)
class Contract:
    contract_id: str
    commissioner_id: str
    provider_id: str
    parent_contract_id: str
    service_line: str
    contract_type: str
    annual_value: int  # pence
    start_date: date
    end_date: date
    funding_stream: str
    place_id: str
    capacity: int | None
    capacity_unit: str

    def covers(self, fy: str) -> bool:
        start, end = FY_DATES[fy]
        return self.start_date <= start and end <= self.end_date


def contracts() -> list[Contract]:
    """The contract register: one contract per flow (per year where re-valued yearly),
    valued at twelve monthly payments; oakridge's at full capacity for the year."""
    register = []
    for flow in FLOWS:
        register += _contracts_of(flow.payer, flow.payee, flow.terms, {fy: 12 * m for fy, m in flow.monthly.items()})
    days = {fy: (end - start).days + 1 for fy, (start, end) in FY_DATES.items()}
    register += _contracts_of("fsc_lp", "oakridge", OAKRIDGE_TERMS, {
        fy: OAKRIDGE_TERMS.capacity * days[fy] * price for fy, price in OAKRIDGE_BED_DAY_PRICE.items()})
    return register


def _contracts_of(commissioner: str, provider: str, terms: Terms, annual: dict[str, int]) -> list[Contract]:
    def contract(contract_id, parent, value, start, end):
        return Contract(contract_id, commissioner, provider, parent, terms.service_line, terms.contract_type, value,
                        start, end, terms.funding_stream, terms.place_id, terms.capacity, terms.capacity_unit)

    if terms.per_year:
        return [contract(terms.id_for(fy), terms.parent_for(fy), annual[fy], *FY_DATES[fy]) for fy in FY_DATES]
    if len(set(annual.values())) != 1:
        raise ValueError(f"{terms.contract_id}: a multi-year contract needs the same value every year")
    return [contract(terms.contract_id, terms.parent, next(iter(annual.values())), *MULTI_YEAR)]
