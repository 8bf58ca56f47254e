"""The commissioner view of each system (rpt_system_by_payer) on the demo system: every pound of net
mental-health spend attributed to exactly one system in both views, and the commissioner view recomputed
in plain Python from the ledger lines (the rule in the model's header, not its SQL)."""
from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")


def test_every_pound_is_attributed_once_in_both_views(demo_db):
    rows = demo_db.execute("""
        SELECT r.period, sum(r.host_net_spend), sum(r.payer_net_spend),
               (SELECT sum(net_spend) FROM fct_mh_ledger l WHERE l.line_type = 'expenditure'
                   AND NOT l.is_eliminated AND l.fy = r.fy AND l.period <= r.period)
        FROM rpt_system_by_payer r GROUP BY r.period, r.fy ORDER BY 1""").fetchall()
    assert len(rows) >= 12
    for period, host, payer, ledger in rows:
        assert host == payer == ledger, period
    # and partner by partner: the commissioner view only moves a partner's spend between systems
    moved = demo_db.execute("""
        SELECT period, partner_id FROM rpt_system_by_payer GROUP BY ALL
        HAVING sum(host_net_spend) <> sum(payer_net_spend)""").fetchall()
    assert not moved


def _expected(demo_db, fy: str, period: str) -> dict[tuple[str, str], Decimal]:
    lines = demo_db.execute("""
        SELECT partner_id, partner_kind, ics_id, place_id, counterparty_partner_id, line_type, is_eliminated,
               amount, net_spend
        FROM fct_mh_ledger WHERE fy = ? AND period <= ?""", [fy, period]).fetchall()
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    unplaced: dict[tuple[str, str], Decimal] = defaultdict(Decimal)     # (partner, host system)
    paid: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))  # partner -> ICB's system
    for partner, kind, ics, place, to_partner, line_type, eliminated, amount, net in lines:
        if line_type != "expenditure":
            continue
        if kind == "icb" and to_partner and to_partner != partner:
            paid[to_partner][ics] += amount
        if eliminated:
            continue
        if place is not None:
            out[(ics, partner)] += net
        else:
            unplaced[(partner, ics)] += net
    for (partner, host), net in unplaced.items():
        payers = {s: v for s, v in paid.get(partner, {}).items()}
        total = sum(payers.values())
        if not payers or total == 0:
            out[(host, partner)] += net
            continue
        biggest = sorted(payers, key=lambda s: (-payers[s], s))[0]
        parts = {s: (net * v / total).quantize(PENNY, rounding=ROUND_HALF_UP) for s, v in payers.items() if s != biggest}
        parts[biggest] = net - sum(parts.values())
        for s, v in parts.items():
            out[(s, partner)] += v
    return {k: v for k, v in out.items() if v != 0}


def test_commissioner_view_recomputes_from_the_lines(demo_db):
    for fy, period in demo_db.execute("SELECT fy, max(period) FROM fct_ledger GROUP BY fy").fetchall():
        expected = _expected(demo_db, fy, period)
        actual = dict(((i, p), v) for i, p, v in demo_db.execute(
            "SELECT ics_id, partner_id, payer_net_spend FROM rpt_system_by_payer WHERE period = ? "
            "AND payer_net_spend <> 0", [period]).fetchall())
        assert actual == expected, fy


def test_the_trust_and_the_lead_provider_are_shared_by_what_each_icb_pays(demo_db):
    rows = demo_db.execute("""
        SELECT partner_id, ics_id, apportioned_net_spend, payment_share_pct, icb_paid
        FROM rpt_system_by_payer WHERE period = (SELECT max(period) FROM fct_ledger)
          AND partner_id IN ('wfmh', 'fsc_lp')""").fetchall()
    by = {(p, i): (a, s, paid) for p, i, a, s, paid in rows}
    for partner in ("wfmh", "fsc_lp"):
        nw, sf = by[(partner, "north_weald")], by[(partner, "south_fen")]
        assert nw[0] > 0 and sf[0] > 0                   # both systems carry part of it
        assert nw[1] + sf[1] == Decimal("100.00")
        # each system's part in proportion to what its ICB paid, to within the penny of rounding
        assert abs(nw[0] * sf[2] - sf[0] * nw[2]) <= (nw[2] + sf[2]) * PENNY
