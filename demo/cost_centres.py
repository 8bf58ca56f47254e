"""Each partner's chart of cost centres: the rows of reference/cost_centre_map.csv plus the
text the partner's ledger shows with them (hmt25k expense type, la500 service area).

Income cost centres never carry a place, so a place's net spend is the same whether or
not a reader nets income against expenditure.
"""
from __future__ import annotations

from dataclasses import dataclass

from demo.flows import SCHEMES
from demo.system import PARTNERS_BY_ID, PLACE_NAMES, PLACES


@dataclass(frozen=True)
class CostCentre:
    partner_id: str
    code: str
    name: str
    service_line: str
    place_id: str = ""
    funding_stream: str = "recurrent"
    line_type: str = "expenditure"
    scheme_id: str = ""
    expense_type: str = ""  # hmt25k "Expense type", la500 "Expenditure Category"
    area: str = ""  # la500 "Service Area"
    division: str = ""  # la500 "Service Division"
    bulk_profile: str | None = None  # external spend generated in volume (see bulk.PROFILES)
    bulk_weight: int = 0


def _icb(icb_id: str, prefix: str, specific: list[CostCentre]) -> list[CostCentre]:
    def cc(code, name, service_line, expense_type, **kw):
        return CostCentre(icb_id, f"{prefix}{code}", name, service_line, expense_type=expense_type, **kw)

    mh_nhs = "Clinical services - mental health (NHS)"
    common = [
        cc("4101", "Mental health block - adult community", "adult_community", mh_nhs),
        cc("4102", "Mental health block - acute inpatient", "inpatient_acute", mh_nhs),
        cc("4103", "Mental health block - crisis and home treatment", "crisis_home_treatment", mh_nhs),
        cc("4104", "Mental health block - CAMHS", "camhs", mh_nhs),
        cc("4105", "Mental health block - eating disorders", "eating_disorders", mh_nhs),
        cc("4106", "Mental health block - perinatal", "perinatal", mh_nhs),
        cc("4110", "Secure care - delegated budget", "secure_care", mh_nhs),
        cc("4140", "Mental health out-of-area placements", "inpatient_acute",
           "Clinical services - independent sector"),
        cc("4150", "Learning disability and autism packages", "ld_autism", "Clinical services - independent sector"),
        cc("4160", "ADHD medication - shared care", "adhd_drugs", "Prescribing"),
        cc("5101", "Acute services contracts", "non_mh_healthcare", "Clinical services - acute (NHS)"),
        cc("5201", "Community health services", "non_mh_healthcare", "Clinical services - community",
           bulk_profile="icb_community", bulk_weight=20),
        cc("5301", "Primary care - general practice", "non_mh_healthcare", "Primary care services",
           bulk_profile="icb_primary", bulk_weight=35),
        cc("5401", "Prescribing", "non_mh_healthcare", "Prescribing", bulk_profile="icb_prescribing", bulk_weight=10),
        cc("5501", "Continuing healthcare", "non_mh_healthcare", "Continuing healthcare",
           bulk_profile="icb_chc", bulk_weight=25),
        cc("9001", "ICB running costs", "corporate", "Administration and corporate",
           bulk_profile="icb_corporate", bulk_weight=10),
    ]
    schemes = [
        CostCentre(icb_id, s.cost_centre, f"Investment - {s.name}", s.service_line, s.place_id, s.funding_stream,
                   scheme_id=s.scheme_id, expense_type="Mental health investment")
        for s in SCHEMES if s.icb_id == icb_id
    ]
    return common + specific + schemes


def _nw_icb() -> list[CostCentre]:
    vcse, s75 = "Clinical services - voluntary sector", "Section 75 pooled budget contributions"
    return _icb("nw_icb", "NW", [
        CostCentre("nw_icb", "NW4120", "Crisis house - Ashby", "crisis_house", "ashby", expense_type=vcse),
        CostCentre("nw_icb", "NW4121", "Peer support services", "peer_support", expense_type=vcse),
        CostCentre("nw_icb", "NW4122", "Children and young people's counselling", "camhs", expense_type=vcse),
        CostCentre("nw_icb", "NW4130", "Section 75 - Ashby mental health pooled budget", "adult_community",
                   funding_stream="s75_pooled", expense_type=s75),
        CostCentre("nw_icb", "NW4131", "Section 75 - Brookfield and Carrow mental health pooled budget",
                   "adult_community", funding_stream="s75_pooled", expense_type=s75),
    ])


def _sf_icb() -> list[CostCentre]:
    vcse, s75 = "Clinical services - voluntary sector", "Section 75 pooled budget contributions"
    return _icb("sf_icb", "SF", [
        CostCentre("sf_icb", "SF4120", "Crisis house - Dunmere", "crisis_house", "dunmere", expense_type=vcse),
        CostCentre("sf_icb", "SF4123", "Talking therapies - voluntary sector", "talking_therapies",
                   expense_type=vcse),
        CostCentre("sf_icb", "SF4130", "Section 75 - Dunmere mental health pooled budget", "adult_community",
                   funding_stream="s75_pooled", expense_type=s75),
    ])


# wfmh community services in every place, coded WF2<place number><service>.
WFMH_PLACE_SERVICES = (
    ("10", "Adult community mental health", "adult_community"),
    ("20", "Crisis resolution and home treatment", "crisis_home_treatment"),
    ("30", "CAMHS community", "camhs"),
)


def wfmh_place_code(place_id: str, service_suffix: str) -> str:
    number = [p.place_id for p in PLACES].index(place_id) + 1
    return f"WF2{number}{service_suffix}"


def _wfmh() -> list[CostCentre]:
    def cc(code, name, service_line, place_id="", **kw):
        return CostCentre("wfmh", code, name, service_line, place_id, **kw)

    centres = [
        cc("WF0101", "Commissioner income - North Weald ICB", "corporate", line_type="income"),
        cc("WF0102", "Commissioner income - South Fen ICB", "corporate", line_type="income"),
        cc("WF0103", "Provider collaborative income - secure care", "secure_care", line_type="income"),
    ]
    for place in PLACES:
        for suffix, name, service_line in WFMH_PLACE_SERVICES:
            centres.append(cc(wfmh_place_code(place.place_id, suffix), f"{name} - {place.name}", service_line,
                              place.place_id))
    centres += [
        cc("WF3110", "Acute wards - Brookfield Hospital", "inpatient_acute"),
        cc("WF3120", "Acute wards - Dunmere Unit", "inpatient_acute"),
        # Carrow Lodge serves the whole trust but is coded to Carrow: the planted outlier place.
        cc("WF3130", "Carrow Lodge inpatient rehabilitation", "inpatient_acute", "carrow"),
        cc("WF3210", "Eating disorders service", "eating_disorders"),
        cc("WF3220", "Perinatal mental health service", "perinatal"),
        cc("WF3310", "Medium secure unit - Fenland", "secure_care"),
        cc("WF3410", "Peer support on wards (subcontract)", "peer_support"),
        cc("WF9010", "Finance and corporate services", "corporate"),
        cc("WF9020", "Estates and facilities", "corporate"),
    ]
    return centres


def _fsc_lp() -> list[CostCentre]:
    def cc(code, name, service_line, **kw):
        return CostCentre("fsc_lp", code, name, service_line, **kw)

    return [
        cc("FSC-010", "Delegated budget income - North Weald ICB", "secure_care", line_type="income"),
        cc("FSC-011", "Delegated budget income - South Fen ICB", "secure_care", line_type="income"),
        cc("FSC-100", "Secure inpatient beds - WFMH subcontract", "secure_care"),
        cc("FSC-110", "Secure inpatient beds - Oakridge subcontract", "secure_care"),
        cc("FSC-200", "Out-of-area secure placements", "secure_care", bulk_profile="lp_placements", bulk_weight=30),
        cc("FSC-300", "Community forensic services", "community_forensic", bulk_profile="lp_community",
           bulk_weight=70),
        cc("FSC-900", "Collaborative hub costs", "corporate"),
    ]


# Local authorities: numeric cost-centre codes, <base><kind><place number>0.
LA_CODE_BASE = {"la_ashby": 31, "la_brookcarrow": 32, "la_dunmere": 33, "la_elmfen": 34}
LA_S75_HOSTS = ("la_ashby", "la_brookcarrow", "la_dunmere")
LA_GRANT_SERVICE_LINE = {"la_ashby": "peer_support", "la_brookcarrow": "camhs", "la_dunmere": "talking_therapies",
                         "la_elmfen": "talking_therapies"}


def la_mental_health_code(la_id: str, place_id: str) -> str:
    places = PARTNERS_BY_ID[la_id].places
    return f"{LA_CODE_BASE[la_id]}1{places.index(place_id) + 1}0"


def _local_authority(la_id: str) -> list[CostCentre]:
    base = LA_CODE_BASE[la_id]
    places = PARTNERS_BY_ID[la_id].places
    single_place = places[0] if len(places) == 1 else ""
    hosts_s75 = la_id in LA_S75_HOSTS
    asc, mh = "Adult Social Care", "Mental Health"

    def cc(code, name, service_line, place_id="", **kw):
        return CostCentre(la_id, str(code), name, service_line, place_id, **kw)

    centres = []
    if hosts_s75:
        centres.append(cc(f"{base}010", "Mental health pooled budget - ICB contribution", "adult_community",
                          funding_stream="s75_pooled", line_type="income", expense_type="Partner contributions",
                          area=asc, division=mh))
    for place_id in places:
        centres.append(cc(la_mental_health_code(la_id, place_id),
                          f"Mental health community support - {PLACE_NAMES[place_id]}", "adult_community", place_id,
                          funding_stream="s75_pooled" if hosts_s75 else "recurrent", area=asc, division=mh))
    for number, place_id in enumerate(places, start=1):
        name = PLACE_NAMES[place_id]
        centres += [
            cc(f"{base}2{number}0", f"Adult social care - older people - {name}", "social_care", place_id,
               area=asc, division="Older People", bulk_profile="la_social_care", bulk_weight=30),
            cc(f"{base}3{number}0", f"Adult social care - learning disabilities - {name}", "social_care", place_id,
               area=asc, division="Learning Disabilities", bulk_profile="la_social_care", bulk_weight=18),
        ]
    centres += [
        cc(f"{base}400", "Children's social care", "social_care", single_place, area="Children's Services",
           division="Children's Social Care", bulk_profile="la_children", bulk_weight=22),
        cc(f"{base}500", "Public health - drugs and alcohol", "public_health", single_place, area="Public Health",
           division="Substance Misuse", bulk_profile="la_public_health", bulk_weight=6),
        cc(f"{base}510", "Public health - sexual health", "public_health", single_place, area="Public Health",
           division="Sexual Health", bulk_profile="la_public_health", bulk_weight=4),
        cc(f"{base}600", "Mental health voluntary sector grants", LA_GRANT_SERVICE_LINE[la_id], single_place,
           funding_stream="grant", expense_type="Grants to voluntary organisations", area=asc, division=mh),
        cc(f"{base}900", "Corporate services", "corporate", area="Corporate Services", division="Finance and ICT",
           bulk_profile="la_corporate", bulk_weight=12),
        cc(f"{base}910", "Highways and waste", "corporate", area="Environment", division="Highways and Waste",
           bulk_profile="la_corporate", bulk_weight=10),
    ]
    return centres


@dataclass(frozen=True)
class VcseSite:
    """A service a voluntary-sector partner runs in a place (or trust-wide), with its
    monthly cost budget split over cost categories (code suffix, name, weight)."""

    code: str
    name: str
    service_line: str
    place_id: str
    funding_stream: str
    monthly_budget: int  # pence


# Cost categories (code suffix, name, weight): crisis houses are accounted for in more detail.
CRISIS_HOUSE_CATEGORIES = (("10", "staffing", 62), ("20", "agency and bank staff", 12), ("30", "premises", 16),
                           ("40", "food, utilities and running costs", 10))
SERVICE_CATEGORIES = (("10", "staffing", 76), ("20", "running costs", 24))


def vcse_categories(site: VcseSite) -> tuple[tuple[str, str, int], ...]:
    return CRISIS_HOUSE_CATEGORIES if site.service_line == "crisis_house" else SERVICE_CATEGORIES

VCSE_SITES: dict[str, tuple[VcseSite, ...]] = {
    "haven": (
        VcseSite("HAV-ASH", "Ashby crisis house", "crisis_house", "ashby", "recurrent", 4_460_000),
        VcseSite("HAV-DUN", "Dunmere crisis house", "crisis_house", "dunmere", "recurrent", 4_950_000),
        # Fenwick is the pilot house on a non-recurrent grant: agency-staffed and dearer per bed.
        VcseSite("HAV-FEN", "Fenwick crisis house", "crisis_house", "fenwick", "non_recurrent", 6_580_000),
        VcseSite("HAV-CEN", "Central support", "corporate", "", "recurrent", 420_000),
    ),
    "peerlink": (
        VcseSite("PL-ASH", "Peer support - Ashby", "peer_support", "ashby", "recurrent", 1_600_000),
        VcseSite("PL-BRK", "Peer support - Brookfield", "peer_support", "brookfield", "recurrent", 1_400_000),
        VcseSite("PL-CAR", "Peer support - Carrow", "peer_support", "carrow", "recurrent", 800_000),
        VcseSite("PL-WRD", "Peer support on wards", "peer_support", "", "recurrent", 1_150_000),
        VcseSite("PL-CEN", "Central costs", "corporate", "", "recurrent", 300_000),
    ),
    "youth_space": (
        VcseSite("YS-BRK", "Youth counselling - Brookfield", "camhs", "brookfield", "recurrent", 2_200_000),
        VcseSite("YS-CAR", "Youth counselling - Carrow", "camhs", "carrow", "recurrent", 1_500_000),
        VcseSite("YS-CEN", "Central costs", "corporate", "", "recurrent", 350_000),
    ),
    "open_minds": (
        VcseSite("OM-DUN", "Talking therapies - Dunmere", "talking_therapies", "dunmere", "recurrent", 4_800_000),
        VcseSite("OM-ELM", "Talking therapies - Elmstead", "talking_therapies", "elmstead", "recurrent", 3_000_000),
        VcseSite("OM-FEN", "Talking therapies - Fenwick", "talking_therapies", "fenwick", "recurrent", 2_400_000),
        VcseSite("OM-CEN", "Central costs", "corporate", "", "recurrent", 500_000),
    ),
}

# Income cost centres of the voluntary-sector partners: code -> (name, service line, stream).
# The funder of each is the flow whose payee_cc it is, or an external funder (fundraising).
VCSE_INCOME = {
    "haven": (("HAV-ASH-90", "Ashby crisis house - income", "crisis_house", "recurrent"),
              ("HAV-DUN-90", "Dunmere crisis house - income", "crisis_house", "recurrent"),
              ("HAV-FEN-90", "Fenwick crisis house - income", "crisis_house", "non_recurrent"),
              ("HAV-CEN-90", "Donations and fundraising", "corporate", "non_recurrent")),
    "peerlink": (("PL-INC-10", "Income - North Weald ICB contract", "peer_support", "recurrent"),
                 ("PL-INC-20", "Income - Ashby Borough Council grant", "peer_support", "grant"),
                 ("PL-INC-30", "Income - ward peer support subcontract", "peer_support", "recurrent")),
    "youth_space": (("YS-INC-10", "Income - North Weald ICB contract", "camhs", "recurrent"),
                    ("YS-INC-20", "Income - county council grant", "camhs", "grant"),
                    ("YS-INC-90", "Fundraising income", "corporate", "non_recurrent")),
    "open_minds": (("OM-INC-10", "Income - South Fen ICB contract", "talking_therapies", "recurrent"),
                   ("OM-INC-20", "Income - Dunmere City Council grant", "talking_therapies", "grant"),
                   ("OM-INC-30", "Income - Elmstead and Fenwick grant", "talking_therapies", "grant")),
}
# Youth Space books its fundraising-event costs only in the months it holds events.
OCCASIONAL_CC = CostCentre("youth_space", "YS-EVT-10", "Fundraising events costs", "corporate")
OCCASIONAL_MONTHS = ("12", "03")


def vcse_cost_code(site: VcseSite, suffix: str) -> str:
    return f"{site.code}-{suffix}"


def _vcse(partner_id: str) -> list[CostCentre]:
    centres = [
        CostCentre(partner_id, vcse_cost_code(site, suffix), f"{site.name} - {label}", site.service_line,
                   site.place_id, site.funding_stream)
        for site in VCSE_SITES[partner_id] for suffix, label, _ in vcse_categories(site)
    ]
    centres += [CostCentre(partner_id, code, name, service_line, "", stream, "income")
                for code, name, service_line, stream in VCSE_INCOME[partner_id]]
    if partner_id == OCCASIONAL_CC.partner_id:
        centres.append(OCCASIONAL_CC)
    return centres


def build_cost_centres() -> list[CostCentre]:
    centres = _nw_icb() + _sf_icb() + _wfmh() + _fsc_lp()
    for la_id in LA_CODE_BASE:
        centres += _local_authority(la_id)
    for partner_id in VCSE_SITES:
        centres += _vcse(partner_id)
    codes = [(c.partner_id, c.code) for c in centres]
    assert len(codes) == len(set(codes)), "duplicate cost centre code"
    return centres


# Codes no map knows, used by the planted UNKNOWN_COST_CENTRE rows.
UNKNOWN_CODES = {"nw_icb": "NW4999", "sf_icb": "SF4999", "wfmh": "WF2990", "fsc_lp": "FSC-999",
                 "la_ashby": "31990", "la_brookcarrow": "32990", "la_dunmere": "33990", "la_elmfen": "34990",
                 "haven": "HAV-NEW-10", "peerlink": "PL-NEW-10", "open_minds": "OM-NEW-10", "youth_space": "YS-NEW-10"}
