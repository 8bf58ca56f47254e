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

# Who each supplier really is: (class, register id or ""), the counterparty register's answer
# (workbench/counterparties.CLASSES). Register ids are made up but shaped like the real schemes:
# ODS:<code> (NHS bodies, GP practices), GB-CHC-<charity no.>, GB-COH-<company no.> (CICs are companies).
TRUE_CLASS: dict[str, tuple[str, str]] = {
    "North Weald Hospitals NHS Trust": ("nhs_body", "ODS:RNW"),
    "Fenland University Hospitals NHS Foundation Trust": ("nhs_body", "ODS:RFU"),
    "East of England Ambulance Service NHS Trust": ("nhs_body", "ODS:RYC"),
    "South Fen and Dunmere Hospitals NHS Trust": ("nhs_body", "ODS:RSF"),
    "Fenland Community Health Services CIC": ("vcse", "GB-COH-09876543"),
    "North Weald Community Services": ("nhs_body", "ODS:RNC"),
    "HCRG Care Services Ltd": ("independent_healthcare", "GB-COH-05375654"),
    f"St{NBSP}Luke's Hospice": ("vcse", "GB-CHC-1012345"),
    "Sue Ryder": ("vcse", "GB-CHC-1052076"),
    "Ashby Medical Group": ("nhs_body", "ODS:D81001"), "The Brookfield Surgery": ("nhs_body", "ODS:D81002"),
    "Carrow Road Practice": ("nhs_body", "ODS:D81003"), "Dunmere Health Centre": ("nhs_body", "ODS:D81004"),
    "Elmstead Family Practice": ("nhs_body", "ODS:D81005"), "Fenwick and District PCN": ("nhs_body", "ODS:U81006"),
    "Café Court Surgery": ("nhs_body", "ODS:D81007"), "Riverside Medical Partnership": ("nhs_body", "ODS:D81008"),
    "NHS Business Services Authority": ("nhs_body", "ODS:T1450"),
    "Boots UK Ltd": ("other_private", ""), "Lloyds Pharmacy Ltd": ("other_private", ""),
    "Barchester Healthcare Ltd": ("independent_healthcare", "GB-COH-02792577"),
    "HC-One Ltd": ("independent_healthcare", "GB-COH-07798750"),
    "Care UK Community Partnerships Ltd": ("independent_healthcare", "GB-COH-02997931"),
    "Maison Dieu Nursing Home": ("independent_healthcare", ""),
    "Abbeyfield Society": ("vcse", "GB-CHC-200719"),
    "NHS Shared Business Services Ltd": ("other_private", "GB-COH-05280446"),
    "Capita Business Services Ltd": ("other_private", ""), "NHS Property Services Ltd": ("nhs_body", "ODS:5PF"),
    "Crème Facilities Management Ltd": ("other_private", ""), "Attain Commissioning Ltd": ("other_private", ""),
    "Priory Healthcare Ltd": ("independent_healthcare", "GB-COH-02196272"),
    "Cygnet Health Care Ltd": ("independent_healthcare", "GB-COH-03351043"),
    "Elysium Healthcare Ltd": ("independent_healthcare", "GB-COH-10003624"),
    "St Andrew's Healthcare": ("vcse", "GB-CHC-1104951"),
    "Huntercombe Group": ("independent_healthcare", ""),
    "Achieve Together Ltd": ("independent_healthcare", ""), "Lifeways Community Care": ("independent_healthcare", ""),
    "Dimensions UK": ("vcse", "GB-CHC-1076999"), "Voyage Care Ltd": ("independent_healthcare", ""),
    "NHS Professionals Ltd": ("nhs_body", "ODS:T1460"), "Thornbury Nursing Services": ("other_private", ""),
    "Medacs Healthcare": ("other_private", ""), "Pulse Healthcare": ("other_private", ""),
    "NHS Supply Chain": ("nhs_body", "ODS:T1470"), "Sodexo Ltd": ("other_private", ""),
    "Bunzl Healthcare": ("other_private", ""), "EDF Energy": ("other_private", ""),
    "British Telecommunications plc": ("other_private", ""), "Café Bistro Supplies Ltd": ("other_private", ""),
    "Mitie Facilities Services": ("other_private", ""), "Oxford Pharmacy Store": ("nhs_body", "ODS:RTH"),
    "Rentokil Initial": ("other_private", ""),
    "Partnerships in Care Ltd": ("independent_healthcare", ""),
    "Turning Point": ("vcse", "GB-CHC-234887"), "Nacro": ("vcse", "GB-CHC-226171"),
    "Forensic Psychology Associates Ltd": ("independent_healthcare", ""),
    "Care Network Cambridgeshire": ("vcse", "GB-CHC-1106571"),
    "Look Ahead Care and Support": ("vcse", "GB-CHC-1070289"), "Stonewater Housing": ("vcse", ""),
    "Uber Health Transport Ltd": ("other_private", ""),
    "Richmond Fellowship": ("vcse", "GB-CHC-200453"), "Certitude": ("vcse", "GB-CHC-1084474"),
    "Making Space": ("vcse", "GB-CHC-512907"), "Mears Care Ltd": ("other_private", ""),
    "Creative Support Ltd": ("vcse", "GB-CHC-1076495"),
    "Ashby Homecare Ltd": ("other_private", ""), "Allied Healthcare": ("other_private", ""),
    "Caremark": ("other_private", ""), "Brookside Care Home": ("independent_healthcare", ""),
    "Sunrise Domiciliary Care": ("other_private", ""), "Foster Care Associates": ("other_private", ""),
    "Café Crèche Nursery Ltd": ("other_private", ""),
    "Change Grow Live": ("vcse", "GB-CHC-1079327"), "Terrence Higgins Trust": ("vcse", "GB-CHC-288527"),
    "Via": ("vcse", "GB-CHC-1181185"), "Solutions4Health Ltd": ("other_private", ""),
    "Veolia ES (UK) Ltd": ("other_private", ""), "Kier Highways Ltd": ("other_private", ""),
    "Capita plc": ("other_private", ""), "Ringway Infrastructure Services": ("other_private", ""),
    f"Civica{NBSP}UK Ltd": ("other_private", ""), "Biffa Waste Services": ("other_private", ""),
    "Rethink Mental Illness": ("vcse", "GB-CHC-271028"), "Tommy's": ("vcse", "GB-CHC-1060508"),
    "Place2Be": ("vcse", "GB-CHC-1040756"), "Beat": ("vcse", "GB-CHC-801343"),
    "Together for Mental Wellbeing": ("vcse", "GB-CHC-211527"),
    "British Red Cross Society": ("vcse", "GB-CHC-220949"), "Kooth Digital Health Ltd": ("other_private", ""),
    "Mind in the Fens": ("vcse", "GB-CHC-1101234"), "Samaritans": ("vcse", "GB-CHC-219432"),
    PAYROLL: ("individual_redacted", ""), REDACTED: ("individual_redacted", ""),
    DONATIONS: ("individual_redacted", ""), FUNDRAISING: ("individual_redacted", ""),
}

# Left out of the demo's register: the name rules must get these right by themselves ...
LEFT_TO_NAME_RULES = ("Fenland Community Health Services CIC", "Mind in the Fens", "Abbeyfield Society",
                      "Richmond Fellowship", "North Weald Hospitals NHS Trust", "Boots UK Ltd", "Capita plc",
                      "Priory Healthcare Ltd", "Kier Highways Ltd", REDACTED)
# ... and nothing (register or rule) classifies these: they wait in `openbook counterparties review`.
LEFT_FOR_REVIEW = ("Via", "Huntercombe Group", "Making Space", "Beat")
# Spellings other ledgers might use for a register entry: trading names and aliases.
TRADING_NAMES = {"Rethink": "Rethink Mental Illness", "BRC": "British Red Cross Society",
                 "Cygnet Health Care Limited": "Cygnet Health Care Ltd"}
