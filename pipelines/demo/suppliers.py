"""External suppliers and payers (not partners of the system), by the kind of spend.

None of these names is a spelling of a partner, so money paid to them is never mistaken
for a payment between partners. A few carry non-ASCII text (é, a no-break space) as real
supplier names do; all of them are encodable in Windows-1252.
"""
from __future__ import annotations

NBSP = "\u00a0"

ACUTE_TRUSTS = {
    "nw_icb": ("North Weald Hospitals NHS Trust", "Fenland University Hospitals NHS Foundation Trust",
               "East of England Ambulance Service NHS Trust"),
    "sf_icb": ("South Fen and Dunmere Hospitals NHS Trust", "Fenland University Hospitals NHS Foundation Trust",
               "East of England Ambulance Service NHS Trust"),
}

POOLS: dict[str, tuple[str, ...]] = {
    "icb_community": ("Fenland Community Health Services CIC", "North Weald Community Services",
                      "HCRG Care Services Ltd", f"St{NBSP}Luke's Hospice", "Sue Ryder"),
    "icb_primary": ("Ashby Medical Group", "The Brookfield Surgery", "Carrow Road Practice", "Dunmere Health Centre",
                    "Elmstead Family Practice", "Fenwick and District PCN", "Café Court Surgery",
                    "Riverside Medical Partnership"),
    "icb_prescribing": ("NHS Business Services Authority", "Boots UK Ltd", "Lloyds Pharmacy Ltd"),
    "icb_chc": ("Barchester Healthcare Ltd", "HC-One Ltd", "Care UK Community Partnerships Ltd",
                "Maison Dieu Nursing Home", "Abbeyfield Society"),
    "icb_corporate": ("NHS Shared Business Services Ltd", "Capita Business Services Ltd", "NHS Property Services Ltd",
                      "Crème Facilities Management Ltd", "Attain Commissioning Ltd"),
    "mh_placements": ("Priory Healthcare Ltd", "Cygnet Health Care Ltd", "Elysium Healthcare Ltd",
                      "St Andrew's Healthcare", "Huntercombe Group"),
    "ld_autism": ("Achieve Together Ltd", "Lifeways Community Care", "Dimensions UK", "Voyage Care Ltd"),
    "adhd_drugs": ("NHS Business Services Authority",),
    "wfmh_agency": ("NHS Professionals Ltd", "Thornbury Nursing Services", "Medacs Healthcare", "Pulse Healthcare"),
    "wfmh_nonpay": ("NHS Supply Chain", "Lloyds Pharmacy Ltd", "Sodexo Ltd", "Bunzl Healthcare", "EDF Energy",
                    "British Telecommunications plc", "Café Bistro Supplies Ltd", "Mitie Facilities Services",
                    "Oxford Pharmacy Store", "Rentokil Initial"),
    "lp_placements": ("Priory Healthcare Ltd", "Cygnet Health Care Ltd", "Elysium Healthcare Ltd",
                      "St Andrew's Healthcare", "Partnerships in Care Ltd"),
    "lp_community": ("Turning Point", "Nacro", "Forensic Psychology Associates Ltd", "Care Network Cambridgeshire",
                     "Look Ahead Care and Support", "Stonewater Housing", "Uber Health Transport Ltd"),
    "la_mental_health": ("Richmond Fellowship", "Look Ahead Care and Support", "Turning Point", "Certitude",
                         "Making Space", "Mears Care Ltd", "Creative Support Ltd"),
    "la_social_care": ("Barchester Healthcare Ltd", "HC-One Ltd", "Ashby Homecare Ltd", "Mears Care Ltd",
                       "Allied Healthcare", "Caremark", "Brookside Care Home", "Sunrise Domiciliary Care",
                       "Foster Care Associates", "Café Crèche Nursery Ltd"),
    "la_public_health": ("Change Grow Live", "Terrence Higgins Trust", "Via", "Solutions4Health Ltd",
                         "Boots UK Ltd"),
    "la_corporate": ("Veolia ES (UK) Ltd", "Kier Highways Ltd", "Capita plc", "British Telecommunications plc",
                     "EDF Energy", "Ringway Infrastructure Services", f"Civica{NBSP}UK Ltd", "Biffa Waste Services"),
}

# Scheme payments go to named external providers (one per scheme, see flows.SCHEMES).
SCHEME_PROVIDERS = ("Rethink Mental Illness", "Tommy's", "Place2Be", "Beat", "Together for Mental Wellbeing",
                    "British Red Cross Society", "Kooth Digital Health Ltd", "Mind in the Fens", "Samaritans")

PAYROLL = "ESR Payroll"
REDACTED = "REDACTED"
DONATIONS = "Donations and legacies"
FUNDRAISING = "Community fundraising"
