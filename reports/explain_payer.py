"""How the commissioner view shares a partner's spend between systems (rpt_system_by_payer): each paying
system's part of the partner's spend coded to no place is that spend × what the system's ICB paid the
partner ÷ what all ICBs paid it, rounded to the penny; the system paying the most takes what is left, so
every pound is attributed once. The payment share is what the ICB paid as a percentage of all ICBs'.
"""
from __future__ import annotations

from decimal import Decimal

from reports import formatting as f
from reports.explain_working import At, Explanation, Term, half_up, page_identity, row_keys
from reports.figure_lines import Condition
from warehouse import periods

_DEFINITION = ("Commissioner view, net of payments between partners, financial year to date: a partner's "
               "mental-health spend coded to no place is shared between the systems whose ICBs paid the partner "
               "this year, in proportion to what each paid (an NHS trust's contract income, the lead provider's "
               "delegated budget); spend coded to a place stays with the place's system and is not in this figure.")


def _unplaced_lines(partner_id: str, fy: str, period: str) -> Condition:
    """The partner's net expenditure to date coded to no place: what is shared."""
    return Condition.of("fct_mh_ledger", "net_spend",
                        "partner_id = $partner_id AND fy = $fy AND period <= $period AND line_type = 'expenditure' "
                        "AND NOT is_eliminated AND place_id IS NULL AND net_spend <> 0",
                        {"fy": fy, "partner_id": partner_id, "period": period})


def _payment_lines(partner_id: str, ics_id: str | None, fy: str, period: str) -> Condition:
    """What one system's ICB (or, without ``ics_id``, every ICB) paid the partner to date."""
    where = ("partner_kind = 'icb' AND counterparty_partner_id = $partner_id AND partner_id <> $partner_id "
             "AND line_type = 'expenditure' AND fy = $fy AND period <= $period AND amount <> 0")
    params = {"fy": fy, "partner_id": partner_id, "period": period}
    if ics_id is not None:
        where += " AND ics_id = $ics_id"
        params["ics_id"] = ics_id
    return Condition.of("fct_mh_ledger", "amount", where, params)


def _context(at: At):
    """The partner, its unplaced spend to date and each paying system's payments (rank 1 pays the most)."""
    con, facts = at.con, at.facts
    row = con.execute("SELECT partner_id FROM dim_partner WHERE partner_name = ?", [facts["partner_name"]]).fetchone()
    if row is None or at.period is None:
        return None
    partner_id = row[0]
    fy = periods.fy_of(at.period)
    (unplaced,) = con.execute(
        "SELECT coalesce(sum(net_spend), 0) FROM fct_mh_ledger WHERE partner_id = ? AND fy = ? AND period <= ? "
        "AND line_type = 'expenditure' AND NOT is_eliminated AND place_id IS NULL",
        [partner_id, fy, at.period]).fetchone()
    payers = con.execute(
        "SELECT w.ics_id, w.icb_paid, w.all_icbs_paid, w.payer_rank FROM fct_icb_payment_shares w "
        "WHERE w.period = ? AND w.partner_id = ? AND w.payment_share IS NOT NULL ORDER BY w.payer_rank",
        [at.period, partner_id]).fetchall()
    return partner_id, fy, Decimal(unplaced), payers


def apportioned(at: At):
    got = _context(at)
    if got is None:
        return None
    partner_id, fy, unplaced, payers = got
    ics_id = at.facts["ics_id"]
    mine = next((p for p in payers if p[0] == ics_id), None)
    spend = Term(f"{at.facts['partner_name']}: net spend to date coded to no place", unplaced,
                 lines=_unplaced_lines(partner_id, fy, at.period))
    if mine is None:
        rule = ("no share: " + ("no ICB paid the partner this year, so its spend coded to no place stays with "
                                "its host system" if not payers else "this system's ICB paid the partner nothing"))
        return Explanation(rule, [Term("Share of the spend coded to no place", Decimal(0))],
                           definition=_DEFINITION)
    _, paid, all_paid, rank = mine
    if rank > 1:
        return Explanation(
            "the partner's net spend coded to no place × what this system's ICB paid it ÷ what all ICBs paid it, "
            "rounded to the penny", [spend], times=Decimal(paid), per=Decimal(all_paid),
            by=f"× {f.ics_label(ics_id)}'s ICB payments ÷ all ICBs' payments", times_fmt="money", per_fmt="money",
            factors=[_paid(f"{f.ics_label(ics_id)}'s ICB payments to the partner to date (the multiplier)", paid,
                           partner_id, ics_id, fy, at.period),
                     _paid("All ICBs' payments to the partner to date (the divisor)", all_paid, partner_id, None, fy,
                           at.period)],
            definition=_DEFINITION)
    others = [Term(f"{f.ics_label(o)}'s part: {f.money2_text(unplaced)} × {f.money2_text(Decimal(p))} ÷ "
                   f"{f.money2_text(Decimal(a))}, rounded to the penny",
                   half_up(unplaced * Decimal(p) / Decimal(a)), -1,
                   explained_by=_identity(at, o)) for o, p, a, r in payers if r > 1]
    return Explanation(
        "the largest payer takes the rest: the partner's net spend coded to no place less the other paying "
        "systems' parts (each rounded to the penny), so the parts add up to the spend exactly",
        [spend] + others, definition=_DEFINITION)


def _identity(at: At, ics_id: str) -> str:
    """The page of the same partner's figure in another system's row."""
    return page_identity(at.section.key, "apportioned", "detail", row_keys({**at.row.facts, "ics_id": ics_id}))


def payment_share(at: At):
    got = _context(at)
    if got is None:
        return None
    partner_id, fy, _, payers = got
    mine = next((p for p in payers if p[0] == at.facts["ics_id"]), None)
    if mine is None:
        return None
    _, paid, all_paid, _ = mine
    return Explanation("what this system's ICB paid the partner as a percentage of what all ICBs paid it, to 2 "
                       "places", [Term(f"{f.ics_label(at.facts['ics_id'])}'s ICB payments to the partner to date",
                                       Decimal(paid), lines=_payment_lines(partner_id, at.facts["ics_id"], fy,
                                                                           at.period))],
                       times=Decimal(100), per=Decimal(all_paid), by="× 100 ÷ all ICBs' payments to the partner",
                       per_fmt="money", definition=_DEFINITION,
                       factors=[_paid("All ICBs' payments to the partner to date (the divisor)", all_paid, partner_id,
                                      None, fy, at.period)])


def _paid(label: str, value, partner_id: str, ics_id: str | None, fy: str, period: str) -> Term:
    return Term(label, Decimal(value), lines=_payment_lines(partner_id, ics_id, fy, period))


def apportioned_by_service_line(at: At):
    """A system's share of every partner's spend on one service line coded to no place: for each partner its
    ICB paid, the step in the system's rounded running share over the partner's service lines (in service-line
    order), so a system's parts over the service lines add up to its part on the by-partner view; the largest
    payer takes the rest of each service line (rpt_system_by_payer_service_line's rule)."""
    if at.period is None:
        return None
    con, ics_id, fy = at.con, at.facts["ics_id"], periods.fy_of(at.period)
    row = con.execute("SELECT service_line FROM dim_service_line WHERE service_line_name = ?",
                      [at.facts.get("service_line_name")]).fetchone()
    if row is None:
        return None
    line = row[0]
    unplaced: dict[str, list[tuple[str, Decimal]]] = {}
    for partner_id, service_line, net in con.execute(
            "SELECT partner_id, service_line, sum(net_spend) FROM fct_mh_ledger WHERE fy = ? AND period <= ? "
            "AND line_type = 'expenditure' AND NOT is_eliminated AND place_id IS NULL GROUP BY ALL "
            "ORDER BY partner_id, service_line", [fy, at.period]).fetchall():
        unplaced.setdefault(partner_id, []).append((service_line, Decimal(net)))
    payers: dict[str, list[tuple]] = {}
    for partner_id, payer, paid, all_paid, rank in con.execute(
            "SELECT partner_id, ics_id, icb_paid, all_icbs_paid, payer_rank FROM fct_icb_payment_shares "
            "WHERE period = ? AND payment_share IS NOT NULL ORDER BY partner_id, payer_rank", [at.period]).fetchall():
        payers.setdefault(partner_id, []).append((payer, Decimal(paid), Decimal(all_paid), rank))
    names = dict(con.execute("SELECT partner_id, partner_name FROM dim_partner").fetchall())
    terms = []
    for partner_id, lines in unplaced.items():
        paying = payers.get(partner_id, [])
        net = dict(lines).get(line)
        if net is None or ics_id not in {p[0] for p in paying}:
            continue
        before = sum((n for s, n in lines if s < line), Decimal(0))

        def step(paid: Decimal, all_paid: Decimal) -> Decimal:
            return half_up((before + net) * paid / all_paid) - half_up(before * paid / all_paid)
        parts = {p: step(paid, all_paid) for p, paid, all_paid, rank in paying if rank > 1}
        mine = next(p for p in paying if p[0] == ics_id)
        if mine[3] > 1:
            label = (f"{names.get(partner_id, partner_id)}: {f.money2_text(before + net)} to this service line × "
                     f"{f.money2_text(mine[1])} ÷ {f.money2_text(mine[2])}, less {f.money2_text(before)} before it "
                     "× the same, each rounded to the penny")
            terms.append(Term(label, parts[ics_id]))
        else:
            label = (f"{names.get(partner_id, partner_id)}: its {f.money2_text(net)} coded to no place less the "
                     f"other paying systems' parts ({', '.join(f.money2_text(v) for v in parts.values()) or 'none'}): "
                     "the largest payer takes the rest")
            terms.append(Term(label, net - sum(parts.values(), Decimal(0))))
    if not terms:
        terms = [Term("No partner its ICB paid has spend on the service line coded to no place", Decimal(0))]
    return Explanation("each partner's spend on the service line coded to no place shared by what the system's ICB "
                       "paid it (the step in its rounded running share over the partner's service lines; the "
                       "largest payer takes the rest), added up over the partners", terms, definition=_DEFINITION)


# ---------------------------------------------------------------------------
# The commissioner view whole: placed, shared out and kept
def _placed_lines(ics_id: str, fy: str, period: str, partner_id: str | None = None,
                  service_line: str | None = None) -> Condition:
    """Net expenditure to date coded to a place of the system (a partner's, or every partner's on a service
    line): the same in both views."""
    where, params = _view_lines(ics_id, fy, period, partner_id, service_line)
    return Condition.of("fct_mh_ledger", "net_spend", where + " AND place_id IS NOT NULL", params)


def _kept_lines(ics_id: str, fy: str, period: str, partners: list[str], service_line: str | None = None) -> Condition:
    """The spend coded to no place, filed under the system, of the partners no ICB paid: kept as the host view."""
    where, params = _view_lines(ics_id, fy, period, None, service_line)
    return Condition.of("fct_mh_ledger", "net_spend", where + " AND place_id IS NULL AND list_contains($partners, "
                        "partner_id)", {**params, "partners": partners})


def _view_lines(ics_id: str, fy: str, period: str, partner_id: str | None,
                service_line: str | None) -> tuple[str, dict]:
    where = ("ics_id = $ics_id AND fy = $fy AND period <= $period AND line_type = 'expenditure' AND NOT is_eliminated "
             "AND net_spend <> 0")
    params = {"ics_id": ics_id, "fy": fy, "period": period}
    for column, value in (("partner_id", partner_id), ("service_line", service_line)):
        if value is not None:
            where += f" AND {column} = ${column}"
            params[column] = value
    return where, params


def _sum(at: At, cond: Condition) -> Decimal:
    (v,) = at.con.execute(f"SELECT coalesce(sum({cond.amount}), 0) FROM {cond.source} WHERE {cond.where}",
                          cond.bound()).fetchone()
    return Decimal(v)


def _unpaid_partners(at: At) -> list[str]:
    """The partners no ICB paid to date: their spend coded to no place stays with their host system."""
    return at.once(("unpaid partners", at.period), lambda: [p for (p,) in at.con.execute(
        "SELECT DISTINCT partner_id FROM fct_mh_ledger WHERE partner_id NOT IN (SELECT partner_id FROM "
        "fct_icb_payment_shares WHERE period = ? AND payment_share IS NOT NULL) ORDER BY partner_id",
        [at.period]).fetchall()])


_VIEW_DEFINITION = ("Commissioner view (who pays), net of payments between partners, financial year to date: spend "
                    "coded to a place belongs to the place's system; a partner's spend coded to no place is shared "
                    "between the systems whose ICBs paid the partner this year, in proportion to what each paid (an "
                    "NHS trust's contract income, the lead provider's delegated budget); a partner no ICB paid keeps "
                    "it with its host system. Summed over the systems, every pound is counted once.")


def _whole(at: At, placed: Condition, kept: Condition | None, what: str):
    """Placed + shared out by ICB payments (the row's figure, on its own page) + kept, = the commissioner view."""
    shared = Decimal(at.facts.get("apportioned") or 0)
    terms = [Term(f"Coded to a place of {f.ics_label(at.facts['ics_id'])}", _sum(at, placed), lines=placed),
             Term("Shared out by ICB payments (spend coded to no place)", shared,
                  explained_by=page_identity(at.section.key, "apportioned", "detail", row_keys(at.row.facts))
                  if shared else None),
             Term("Kept with the host system (spend coded to no place of a partner no ICB paid)",
                  _sum(at, kept) if kept is not None else Decimal(0), lines=kept)]
    return Explanation(f"{what}: the spend coded to a place of the system, plus the system's part of the spend coded "
                       "to no place shared out by ICB payments, plus the spend coded to no place of a partner no ICB "
                       "paid, which stays with its host system", terms, definition=_VIEW_DEFINITION)


def commissioner_view(at: At):
    got = _context(at)
    if got is None:
        return None
    partner_id, fy, _, payers = got
    ics_id = at.facts["ics_id"]
    kept = None if payers else _kept_lines(ics_id, fy, at.period, [partner_id])
    return _whole(at, _placed_lines(ics_id, fy, at.period, partner_id=partner_id), kept,
                  "the partner's net spend to date attributed to the system")


def commissioner_view_by_service_line(at: At):
    if at.period is None:
        return None
    row = at.con.execute("SELECT service_line FROM dim_service_line WHERE service_line_name = ?",
                         [at.facts.get("service_line_name")]).fetchone()
    if row is None:
        return None
    ics_id, fy = at.facts["ics_id"], periods.fy_of(at.period)
    unpaid = _unpaid_partners(at)
    return _whole(at, _placed_lines(ics_id, fy, at.period, service_line=row[0]),
                  _kept_lines(ics_id, fy, at.period, unpaid, service_line=row[0]) if unpaid else None,
                  "every partner's net spend to date on the service line attributed to the system")
