"""The commissioner view by service line (rpt_system_by_payer_service_line) on the demo system: every pound
of each partner's net mental-health spend on each service line attributed to exactly one system in both
views, the same system totals as the commissioner view by partner (rpt_system_by_payer) to the penny, and
the view recomputed in plain Python from the ledger lines by the rule in the model's header (not its SQL)."""
from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")


def test_every_pound_of_every_service_line_is_attributed_once(demo_db):
    rows = demo_db.execute("""
        WITH ledger AS (
            SELECT mo.period, l.partner_id, l.service_line, sum(l.net_spend) AS net_spend
            FROM (SELECT DISTINCT period, fy FROM fct_ledger) mo
            JOIN fct_mh_ledger l ON l.fy = mo.fy AND l.period <= mo.period
            WHERE l.line_type = 'expenditure' AND NOT l.is_eliminated
            GROUP BY ALL
        ),
        views AS (
            SELECT period, partner_id, service_line, sum(host_net_spend) AS host, sum(payer_net_spend) AS payer
            FROM rpt_system_by_payer_service_line GROUP BY ALL
        )
        SELECT period, partner_id, service_line, l.net_spend, v.host, v.payer
        FROM ledger l FULL JOIN views v USING (period, partner_id, service_line)""").fetchall()
    assert len(rows) > 500
    for period, partner, line, ledger, host, payer in rows:
        assert ledger == host == payer, (period, partner, line)


def test_summed_over_service_lines_each_system_is_the_commissioner_view_by_partner(demo_db):
    differ = demo_db.execute("""
        SELECT * FROM (SELECT ics_id, period, partner_id, sum(payer_net_spend) AS payer,
                              sum(host_net_spend) AS host, sum(apportioned_net_spend) AS apportioned
                       FROM rpt_system_by_payer_service_line GROUP BY ALL) s
        FULL JOIN rpt_system_by_payer p USING (ics_id, period, partner_id)
        WHERE s.payer IS DISTINCT FROM p.payer_net_spend OR s.host IS DISTINCT FROM p.host_net_spend
           OR s.apportioned IS DISTINCT FROM p.apportioned_net_spend""").fetchall()
    assert differ == []


def _expected(demo_db, fy: str, period: str) -> dict[tuple[str, str, str], Decimal]:
    """(system, partner, service line) -> commissioner view, by the header's rule, in plain Python."""
    lines = demo_db.execute("""
        SELECT partner_id, partner_kind, ics_id, place_id, service_line, counterparty_partner_id, line_type,
               is_eliminated, amount, net_spend
        FROM fct_mh_ledger WHERE fy = ? AND period <= ?""", [fy, period]).fetchall()
    out: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    unplaced: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))  # partner -> line
    unplaced_host: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)          # (host, partner, line)
    paid: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))      # partner -> ICB's system
    for partner, kind, ics, place, line, to_partner, line_type, eliminated, amount, net in lines:
        if line_type != "expenditure":
            continue
        if kind == "icb" and to_partner and to_partner != partner:
            paid[to_partner][ics] += amount
        if eliminated:
            continue
        if place is not None:
            out[(ics, partner, line)] += net
        else:
            unplaced[partner][line] += net
            unplaced_host[(ics, partner, line)] += net
    for partner, by_line in unplaced.items():
        payers = paid.get(partner, {})
        total = sum(payers.values())
        if not payers or total == 0:
            for (host, p, line), net in unplaced_host.items():
                if p == partner:
                    out[(host, partner, line)] += net
            continue
        biggest = sorted(payers, key=lambda s: (-payers[s], s))[0]
        for system, share in payers.items():
            if system == biggest:
                continue
            running = Decimal(0)        # each smaller payer: the steps in its rounded running share
            for line in sorted(by_line):
                before = (running * share / total).quantize(PENNY, rounding=ROUND_HALF_UP)
                running += by_line[line]
                part = (running * share / total).quantize(PENNY, rounding=ROUND_HALF_UP) - before
                out[(system, partner, line)] += part
                out[(biggest, partner, line)] -= part
        for line, net in by_line.items():
            out[(biggest, partner, line)] += net
    return {k: v for k, v in out.items() if v != 0}


def test_commissioner_view_by_service_line_recomputes_from_the_lines(demo_db):
    for fy, period in demo_db.execute("SELECT fy, max(period) FROM fct_ledger GROUP BY fy").fetchall():
        expected = _expected(demo_db, fy, period)
        actual = {(i, p, s): v for i, p, s, v in demo_db.execute(
            "SELECT ics_id, partner_id, service_line, payer_net_spend FROM rpt_system_by_payer_service_line "
            "WHERE period = ? AND payer_net_spend <> 0", [period]).fetchall()}
        assert actual == expected, fy
    # the trust's unplaced spend is shared: both systems carry part of its inpatient service line
    shares = dict(demo_db.execute("""
        SELECT ics_id, apportioned_net_spend FROM rpt_system_by_payer_service_line
        WHERE partner_id = 'wfmh' AND service_line = 'inpatient_acute'
          AND period = (SELECT max(period) FROM fct_ledger)""").fetchall())
    assert shares["north_weald"] > 0 and shares["south_fen"] > 0
