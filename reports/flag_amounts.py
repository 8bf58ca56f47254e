"""The flag register's amount at stake, linked where the flag is raised: each flag's amount is a figure of its
source row (rpt_flags.source_table and source_keys), a variation outlier's spend above the pooled rate, a
contract's over-run, an agreement-of-balances break's difference, and so on. The register links it to the same page
as that figure on the page raising the flag (its lines or its working), when the row there shows the same amount; a
flag whose row the site does not show (a past year's) is left unlinked rather than linked to another figure."""
from __future__ import annotations

from reports.flag_links import FlagLinks
from reports.spec import Section
from reports.tables import Table

REGISTER = "flag-register"
# the figure of its source row each kind of flag puts at stake (rpt_flags.amount), by source table
AT_STAKE = {
    "rpt_variation": "difference",                   # spend above (below) the pooled rate
    "rpt_funding_consistency": "annual_value",        # the contract's annual value
    "rpt_plan_vs_actual": "slippage",                 # plan to date less actual to date
    "rpt_mhis": "shortfall",                          # the MHIS shortfall
    "rpt_eliminations": "difference",                 # payer less payee
    "rpt_contracts": "overrun",                       # paid above the annual value
    "rpt_mh_budget": "forecast_variance",             # the forecast overspend
    "rpt_lead_provider": "over",                      # spend to date above the delegated budget to date
    "rpt_agency_spend": "variance",                   # agency spend to date above the limit to date
}


def link_amounts(tables: list[tuple[Section, Table]], flags: FlagLinks) -> int:
    """Link each register row's amount to the page of the same figure on its source row; return how many."""
    shown: dict[str, list[tuple]] = {}            # flag id -> (figure, link) of each row raising it
    register = None
    for section, table in tables:
        if section.key == REGISTER:
            register = table
        key = AT_STAKE.get(section.source)
        for row in table.rows if key is not None else ():
            if row.role == "detail" and row.links.get(key):
                for flag_id in flags.flags_of_row(section.source, row.facts):
                    shown.setdefault(flag_id, []).append((row.values.get(key), row.links[key]))
    linked = 0
    for row in register.rows if register is not None else ():
        amount = row.values.get("amount")
        href = next((h for v, h in shown.get(row.values.get("flag_id"), []) if v == amount), None)
        if href is not None and amount:
            row.links["amount"] = href
            linked += 1
    return linked
