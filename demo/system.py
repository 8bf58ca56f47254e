"""Who is in the demo system and where: ICSs, places, partners and their spellings,
the service-line taxonomy, populations and ICB allocations (docs/model.md, "Demo system")."""
from __future__ import annotations

from dataclasses import dataclass

from demo.money import pounds


@dataclass(frozen=True)
class Place:
    place_id: str
    name: str
    ics_id: str


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    kind: str
    ics_id: str  # blank for a partner working in both systems
    layout: str | None  # None: keeps no ledger we receive
    places: tuple[str, ...]  # the places it serves (local authorities: its footprint)
    aliases: tuple[str, ...]  # every spelling of it in other partners' ledgers, name first

    @property
    def submits(self) -> bool:
        return self.layout is not None


@dataclass(frozen=True)
class ServiceLine:
    service_line: str
    name: str
    mhis_category: str
    in_mhis: bool
    exclusion_reason: str
    mental_health: bool  # counted as mental-health spend in the open book (wider than the MHIS base)


ICS_NAMES = {"north_weald": "North Weald ICS", "south_fen": "South Fen ICS"}

PLACES: tuple[Place, ...] = (
    Place("ashby", "Ashby", "north_weald"),
    Place("brookfield", "Brookfield", "north_weald"),
    Place("carrow", "Carrow", "north_weald"),
    Place("dunmere", "Dunmere", "south_fen"),
    Place("elmstead", "Elmstead", "south_fen"),
    Place("fenwick", "Fenwick", "south_fen"),
)
PLACE_NAMES = {p.place_id: p.name for p in PLACES}

PARTNERS: tuple[Partner, ...] = (
    Partner("nw_icb", "NHS North Weald Integrated Care Board", "icb", "north_weald", "hmt25k",
            ("ashby", "brookfield", "carrow"),
            ("NHS North Weald Integrated Care Board", "NHS North Weald ICB", "NORTH WEALD ICB",
             "NHS NORTH WEALD INTEGRATED CARE BOARD")),
    Partner("sf_icb", "NHS South Fen Integrated Care Board", "icb", "south_fen", "hmt25k",
            ("dunmere", "elmstead", "fenwick"),
            ("NHS South Fen Integrated Care Board", "NHS South Fen ICB", "SOUTH FEN ICB",
             "NHS SOUTH FEN INTEGRATED CARE BOARD")),
    Partner("wfmh", "Weald and Fen Mental Health NHS Foundation Trust", "nhs_trust", "north_weald", "trust_gl",
            ("ashby", "brookfield", "carrow", "dunmere", "elmstead", "fenwick"),
            ("Weald and Fen Mental Health NHS Foundation Trust", "Weald & Fen Mental Health NHS FT",
             "WEALD AND FEN MH NHS FOUNDATION TRUST", "Weald and Fen MH NHS FT", "WFMH NHS FT")),
    Partner("fsc_lp", "Fenland Secure Care Provider Collaborative", "lead_provider", "south_fen", "lp_csv", (),
            ("Fenland Secure Care Provider Collaborative", "Fenland Secure Care PC",
             "FENLAND SECURE CARE PROVIDER COLLABORATIVE", "Fenland Secure Care Lead Provider")),
    Partner("la_ashby", "Ashby Borough Council", "local_authority", "north_weald", "la500", ("ashby",),
            ("Ashby Borough Council", "ASHBY BOROUGH COUNCIL", "Ashby BC")),
    Partner("la_brookcarrow", "Brookfield and Carrow County Council", "local_authority", "north_weald", "la500",
            ("brookfield", "carrow"),
            ("Brookfield and Carrow County Council", "Brookfield & Carrow CC", "BROOKFIELD AND CARROW COUNTY COUNCIL")),
    Partner("la_dunmere", "Dunmere City Council", "local_authority", "south_fen", "la500", ("dunmere",),
            ("Dunmere City Council", "DUNMERE CITY COUNCIL", "Dunmere City Cncl")),
    Partner("la_elmfen", "Elmstead and Fenwick District Council", "local_authority", "south_fen", "la500",
            ("elmstead", "fenwick"),
            ("Elmstead and Fenwick District Council", "Elmstead & Fenwick DC",
             "ELMSTEAD AND FENWICK DISTRICT COUNCIL")),
    Partner("haven", "Haven Crisis Houses", "vcse", "", "vcse_mgmt", ("ashby", "dunmere", "fenwick"),
            ("Haven Crisis Houses", "HAVEN CRISIS HOUSES", "Haven Crisis Houses CIO", "The Haven Crisis Houses")),
    Partner("peerlink", "PeerLink Peer Support", "vcse", "north_weald", "vcse_mgmt", ("ashby", "brookfield", "carrow"),
            ("PeerLink Peer Support", "Peerlink", "PEERLINK PEER SUPPORT LTD")),
    Partner("open_minds", "Open Minds Talking Therapies", "vcse", "south_fen", "vcse_mgmt",
            ("dunmere", "elmstead", "fenwick"),
            ("Open Minds Talking Therapies", "OPEN MINDS TALKING THERAPIES CIC", "Open Minds TT")),
    Partner("youth_space", "Youth Space", "vcse", "north_weald", "vcse_mgmt", ("brookfield", "carrow"),
            ("Youth Space", "YOUTH SPACE", "Youth Space Charity")),
    Partner("oakridge", "Oakridge Independent Hospital", "independent", "south_fen", None, (),
            ("Oakridge Independent Hospital", "Oakridge Hospital Ltd", "OAKRIDGE INDEPENDENT HOSPITAL")),
)
PARTNERS_BY_ID = {p.partner_id: p for p in PARTNERS}
SUBMITTING = tuple(p for p in PARTNERS if p.submits)
ICB_IDS = ("nw_icb", "sf_icb")

# The hmt25k "Entity" column and file name use the ICB's short name.
HMT_ENTITY = {"nw_icb": "NHS North Weald ICB", "sf_icb": "NHS South Fen ICB"}

_CRISIS = "Adult and older adult crisis and liaison services"
SERVICE_LINES: tuple[ServiceLine, ...] = (
    ServiceLine("adult_community", "Adult community mental health services",
                "Adult and older adult community-based mental health services", True, "", True),
    ServiceLine("crisis_house", "Crisis houses (crisis alternatives)", _CRISIS, True, "", True),
    ServiceLine("crisis_home_treatment", "Crisis resolution and home treatment", _CRISIS, True, "", True),
    ServiceLine("inpatient_acute", "Adult acute and rehabilitation inpatient care",
                "Adult and older adult acute mental health inpatient services", True, "", True),
    ServiceLine("secure_care", "Adult secure inpatient care", "Adult secure and forensic mental health services",
                True, "", True),
    ServiceLine("community_forensic", "Community forensic services",
                "Adult secure and forensic mental health services", True, "", True),
    ServiceLine("camhs", "Children and young people's mental health",
                "Children and young people's mental health (excluding learning disabilities)", True, "", True),
    ServiceLine("eating_disorders", "Eating disorders", "Children and young people's eating disorders", True, "", True),
    ServiceLine("talking_therapies", "NHS Talking Therapies",
                "NHS Talking Therapies for anxiety and depression", True, "", True),
    ServiceLine("peer_support", "Peer support", "Other mental health services", True, "", True),
    ServiceLine("perinatal", "Perinatal mental health", "Perinatal mental health (community)", True, "", True),
    # Outside the MHIS (NHS England's MHIS categories of mental health expenditure): learning disability and
    # autism without a co-occurring mental-health need (its categories 18a-c), and ADHD (its own category).
    ServiceLine("ld_autism", "Learning disability and autism", "Learning disabilities and autism (18a-c)", False,
                "Learning disability and autism without a co-occurring mental-health need (NHS England "
                "categories 18a-c) are outside the MHIS", True),
    ServiceLine("adhd_drugs", "ADHD medication", "ADHD drugs", False,
                "ADHD is outside the MHIS (NHS England reports it in its own ADHD category)", True),
    # social_care is not mental health in the demo: its cost centres are the councils' older people's,
    # learning-disability and children's social care. Councils' mental-health social care (their
    # "Mental health community support" cost centres, the section 75 pools) is mapped to adult_community.
    ServiceLine("social_care", "Local authority social care", "", False,
                "Local authority social care is not NHS mental-health spend", False),
    ServiceLine("public_health", "Public health", "", False, "Public health grant spend is outside the MHIS", False),
    ServiceLine("non_mh_healthcare", "Other (non-mental-health) healthcare", "", False, "Not mental health", False),
    ServiceLine("corporate", "Corporate, overheads and other services", "", False,
                "Corporate and overhead costs are outside the MHIS", False),
)
SERVICE_LINES_BY_ID = {s.service_line: s for s in SERVICE_LINES}
MHIS_SERVICE_LINES = frozenset(s.service_line for s in SERVICE_LINES if s.in_mhis)
MENTAL_HEALTH_SERVICE_LINES = frozenset(s.service_line for s in SERVICE_LINES if s.mental_health)
MHIS_FUNDING_STREAMS = frozenset({"recurrent", "s75_pooled"})

# Weighted GP-registered population and mental-health need index, per FY.
POPULATIONS: dict[str, dict[str, tuple[int, str]]] = {
    "2024-25": {
        "ashby": (241_800, "0.9700"), "brookfield": (328_400, "1.0400"), "carrow": (178_900, "1.1200"),
        "dunmere": (384_200, "1.1800"), "elmstead": (212_600, "0.9100"), "fenwick": (158_300, "0.8800"),
    },
    "2025-26": {
        "ashby": (243_500, "0.9700"), "brookfield": (331_100, "1.0500"), "carrow": (180_400, "1.1200"),
        "dunmere": (387_900, "1.1900"), "elmstead": (213_800, "0.9100"), "fenwick": (159_700, "0.8900"),
    },
}

# ICB programme allocations (pence). North Weald grows 5.2%, South Fen 4.8%.
ALLOCATIONS: dict[str, dict[str, int]] = {
    "nw_icb": {"2024-25": pounds(2_184_600_000), "2025-26": pounds(2_298_199_200)},
    "sf_icb": {"2024-25": pounds(1_652_300_000), "2025-26": pounds(1_731_610_400)},
}


def weighted_population(fy: str, place_id: str) -> int:
    return POPULATIONS[fy][place_id][0]
