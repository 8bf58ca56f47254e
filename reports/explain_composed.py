"""How the figures made from other rows of their table, or from the other side's lines, are made: a contract
type's annual value (its contracts' values, reference/contracts.csv) and its share of the system's
(rpt_contract_mix), a sector's share were all the unclassified money its (rpt_sector_share_by_recipient), and what
a payee booked as received from a payer (its income lines, booked as money in, with the sign turned:
fct_inter_partner).
"""
from __future__ import annotations

from decimal import Decimal

from reports import formatting as f
from reports.explain_working import At, Explanation, Term, beside, field_of, figure, subtotal_below
from reports.figure_lines import Condition
from reports.sections.open_book import PAYEE_SIDE
from warehouse import periods

_CONTRACT_FIELDS = ("contract_id", "commissioner_id", "provider_id", "contract_type", "annual_value", "start_date",
                    "end_date")
_MIX_DEFINITION = ("Contracts in force in the financial year, provider-facing: a budget the ICBs delegate to the "
                   "lead provider is left out, as the lead provider lets that money again as its own subcontracts, "
                   "which are counted (rpt_contract_mix).")


# ---------------------------------------------------------------------------
# The contract mix: a system's contracts of one type
def contract_type_value(at: At):
    """The annual values of the system's provider-facing contracts of the type in force in the year, added up."""
    if at.period is None or "ics_id" not in at.facts:
        return None
    ids = [c for (c,) in at.con.execute(
        "SELECT contract_id FROM rpt_contracts WHERE ics_id IS NOT DISTINCT FROM ? AND fy = ? AND contract_type = ? "
        "AND contract_level <> 'delegated_budget' ORDER BY contract_id",
        [at.facts["ics_id"], periods.fy_of(at.period), at.facts["contract_type"]]).fetchall()]
    rows = at.ref_rows("ref_contracts", _CONTRACT_FIELDS, "list_contains(?, contract_id)", [ids], "rowid")
    if not rows or len(rows) != len(ids):
        return None                       # a contract without its one reference row: nothing sure to show
    terms = [Term(f"{field_of(r, 'contract_id')}: {field_of(r, 'commissioner_id')} to {field_of(r, 'provider_id')}",
                  Decimal(field_of(r, "annual_value")), source=r) for r in rows]
    kind = f.label(at.facts["contract_type"], "code").lower()
    return Explanation(f"the annual value of each of the system's {len(rows)} {kind} contract"
                       f"{'s' if len(rows) != 1 else ''} in force in the year, added up", terms,
                       definition=_MIX_DEFINITION)


def contract_type_share(at: At):
    """The type's annual value × 100 ÷ the system's contracts' value (its subtotal), to 2 places."""
    total = subtotal_below(at)
    if total is None or not total.values.get("annual_value"):
        return None
    return Explanation("the type's annual value as a percentage of the value of all the system's contracts, rounded "
                       "half up to 2 places", [figure(at, "annual_value")], times=Decimal(100),
                       per=Decimal(total.values["annual_value"]), by="× 100 ÷ the value of the system's contracts",
                       per_fmt="money", per_href=_link(total, "annual_value"), definition=_MIX_DEFINITION)


# ---------------------------------------------------------------------------
# Sector share by who received the money: the most it could be
def share_if_unclassified(at: At):
    """(The sector's net spend + the system's unclassified net spend) × 100 ÷ the system's net spend, to 2 places
    (share_high_pct: the share plus the unclassified share, both unrounded); the unclassified row's own is its
    share."""
    total = subtotal_below(at)
    if total is None or not total.values.get("net"):
        return None
    terms = [figure(at, "net")]
    if at.facts.get("sector") != "unclassified":
        unclassified = next((r for r in at.table.rows if r.role == "detail" and r.facts.get("sector") == "unclassified"
                             and r.facts.get("ics_id") == at.facts.get("ics_id")), None)
        if unclassified is None:
            return None
        terms.append(Term("Unclassified: net spend paid to suppliers not yet placed in a sector",
                          Decimal(unclassified.values.get("net") or 0), href=_link(unclassified, "net")))
    return Explanation("the sector's net spend plus all the unclassified net spend, as a percentage of the system's "
                       "net spend, rounded half up to 2 places", terms, times=Decimal(100),
                       per=Decimal(total.values["net"]), by="× 100 ÷ the system's net spend", per_fmt="money",
                       per_href=_link(total, "net"),
                       definition=("The top of the sector's uncertainty band: its share were every pound paid to a "
                                   "supplier the counterparty register cannot yet place in a sector in fact paid to "
                                   "this sector. Net of eliminations, financial year to date, by who received the "
                                   "money."))


# ---------------------------------------------------------------------------
# Agreement of balances: what the payee booked
def payee_booked(at: At):
    """The payee's income lines naming the payer in the month, booked as money in (negative), sign turned."""
    k = at.facts
    if not all(k.get(x) for x in ("payer_id", "payee_id", "period")):
        return None
    where = f"period = $period AND {PAYEE_SIDE}"
    params = {"payer_id": k["payer_id"], "payee_id": k["payee_id"], "period": k["period"]}
    (booked,) = at.con.execute(f"SELECT coalesce(sum(amount), 0) FROM fct_ledger WHERE {where}", params).fetchone()
    return Explanation(
        "the payee's income lines naming the payer in the month, as its ledger books them (money in is a negative "
        "amount), with the sign turned", [Term(f"{k.get('payee_name')}'s income from {k.get('payer_name')} in "
                                               f"{f.month_label(k['period'])}, as booked", Decimal(booked), -1,
                                               lines=Condition.of("fct_ledger", "amount", where, params))],
        definition=("One side of the agreement of balances: what the payee's own ledger says it received from the "
                    "payer in the month, whatever the service line; the payer's side is what it booked as paid."))


def _link(row, key: str) -> str | None:
    return beside(row.links[key]) if row.links.get(key) else None
