"""The consolidated open book on the demo system: mental-health spend only, eliminations, year to
date, forecasts and the drill-down to ledger lines, against the truth manifest."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import polars as pl

from analytics_reference import half_up

KEYS = ["ics_id", "place_id", "partner_id", "service_line", "funding_stream", "period"]


def money(text) -> Decimal:
    return Decimal(str(text))


def test_mental_health_service_lines_are_the_mhis_lines_plus_ld_autism_and_adhd(demo_db):
    flags = dict(demo_db.execute("SELECT service_line, mental_health FROM dim_service_line").fetchall())
    in_mhis = {s for (s,) in demo_db.execute("SELECT service_line FROM dim_service_line WHERE in_mhis").fetchall()}
    assert {s for s, mh in flags.items() if mh} == in_mhis | {"ld_autism", "adhd_drugs"}
    # 'unclassified' (lines no mapping classifies, issue 16) is never mental-health spend
    assert {s for s, mh in flags.items() if not mh} == {"public_health", "non_mh_healthcare", "corporate", "social_care",
                                                         "unclassified"}
    for table in ("rpt_open_book", "rpt_mh_spend"):
        lines = {s for (s,) in demo_db.execute(f"SELECT DISTINCT service_line FROM {table}").fetchall()}
        assert lines <= {s for s, mh in flags.items() if mh}, table


def test_gross_spend_per_partner_and_month_is_the_truths_mental_health_expenditure(demo_db, truth):
    reported = {(p, m): v for p, m, v in demo_db.execute(
        "SELECT partner_id, period, sum(gross_spend) FROM rpt_open_book GROUP BY ALL").fetchall()}
    expected = {(r["partner_id"], r["period"]): money(r["expenditure"]) for r in truth["mh_expenditure_by_partner_period"]}
    assert reported == expected


def test_eliminated_spend_is_every_payment_to_a_submitting_partner_as_the_payer_booked_it(demo_db, truth):
    expected = defaultdict(Decimal)
    for pair in truth["inter_partner"]:  # every flow between partners is on a mental-health cost centre
        expected[(pair["payer_id"], pair["period"])] += money(pair["payer_amount"])
    reported = {(p, m): v for p, m, v in demo_db.execute(
        "SELECT partner_id, period, sum(eliminated_spend) FROM rpt_open_book GROUP BY ALL HAVING sum(eliminated_spend) <> 0"
    ).fetchall()}
    assert reported == {k: v for k, v in expected.items() if v}
    wrong = demo_db.execute("SELECT count(*) FROM rpt_open_book WHERE net_spend <> gross_spend - eliminated_spend").fetchone()
    assert wrong == (0,)


def test_payments_to_oakridge_stay_in_net_spend_as_independent_sector(demo_db, truth):
    paid = sum(money(r["payer_amount"]) for r in truth["payments_to_non_submitting_partners"]
               if r["payee_id"] == "oakridge")
    reported = demo_db.execute("""SELECT sum(net_spend) FROM fct_mh_ledger
                                  WHERE counterparty_partner_id = 'oakridge' AND sector = 'independent'""").fetchone()[0]
    assert reported == paid and paid > 0
    assert demo_db.execute("SELECT sum(net_spend) FROM rpt_sector_share WHERE geography_level = 'ics' "
                           "AND sector = 'independent'").fetchone()[0] == paid


def test_every_line_has_a_system_and_havens_income_takes_its_funders(demo_db):
    assert demo_db.execute("SELECT count(*) FROM fct_mh_ledger WHERE ics_id IS NULL").fetchone() == (0,)
    haven = dict(demo_db.execute("""SELECT counterparty_partner_id, list(DISTINCT ics_id) FROM fct_mh_ledger
                                    WHERE partner_id = 'haven' AND line_type = 'income' GROUP BY ALL""").fetchall())
    assert haven == {"nw_icb": ["north_weald"], "sf_icb": ["south_fen"]}
    names = demo_db.execute("SELECT DISTINCT ics_id, ics_name FROM rpt_open_book ORDER BY 1").fetchall()
    assert names == [("north_weald", "North Weald ICS"), ("south_fen", "South Fen ICS")]


def test_every_month_of_a_year_has_a_row_and_year_to_date_runs_across_them(demo_db):
    book = demo_db.execute("SELECT * FROM rpt_open_book").pl()
    months = book.group_by(*KEYS[:-1], "fy").agg(pl.col("period").n_unique().alias("months"))
    assert months["months"].unique().to_list() == [12]
    running = (book.sort("period").with_columns(
        expected=pl.col("net_spend").cum_sum().over([*KEYS[:-1], "fy"], order_by="period")))
    assert running.filter(pl.col("expected") != pl.col("ytd_net_spend")).height == 0
    for row in book.sample(200, seed=1).to_dicts():
        forecast = half_up(row["ytd_net_spend"] * 12 / row["fy_month"])
        assert row["forecast_outturn_net_spend"] == forecast


def test_every_open_book_figure_is_the_sum_of_its_drill_down_lines(demo_db):
    mismatched = demo_db.execute("""
        WITH lines AS (
            SELECT ics_id, place_id, partner_id, service_line, funding_stream, period,
                   sum(gross_spend) AS gross, sum(eliminated_spend) AS eliminated, sum(net_spend) AS net,
                   count(*) AS lines
            FROM fct_drilldown GROUP BY ALL)
        SELECT count(*) FROM rpt_open_book b
        FULL JOIN lines l
          ON l.ics_id = b.ics_id AND l.place_id IS NOT DISTINCT FROM b.place_id AND l.partner_id = b.partner_id
         AND l.service_line = b.service_line AND l.funding_stream IS NOT DISTINCT FROM b.funding_stream
         AND l.period = b.period
        WHERE b.period IS NULL
           OR coalesce(l.gross, 0) <> b.gross_spend OR coalesce(l.eliminated, 0) <> b.eliminated_spend
           OR coalesce(l.net, 0) <> b.net_spend OR coalesce(l.lines, 0) <> b.ledger_lines""").fetchone()
    assert mismatched == (0,)


def test_drill_down_lines_are_the_ledgers_own_lines_with_their_provenance(demo_db):
    orphans = demo_db.execute("""
        SELECT count(*) FROM fct_drilldown d
        LEFT JOIN fct_ledger l ON l.load_id = d.load_id AND l.source_row = d.source_row
        WHERE l.load_id IS NULL OR l.amount <> d.gross_spend OR l.source_file <> d.source_file""").fetchone()
    assert orphans == (0,)
    counts = demo_db.execute("""
        SELECT (SELECT count(*) FROM fct_drilldown),
               (SELECT count(*) FROM fct_ledger l JOIN dim_service_line s USING (service_line)
                WHERE s.mental_health AND l.line_type = 'expenditure')""").fetchone()
    assert counts[0] == counts[1] > 0
    files = {f for (f,) in demo_db.execute("SELECT DISTINCT source_file FROM fct_drilldown").fetchall()}
    assert files <= {f for (f,) in demo_db.execute("SELECT source_file FROM load_log WHERE status = 'current'").fetchall()}


def test_a_single_figure_drills_down_to_its_lines(demo_db):
    figure = demo_db.execute("""SELECT ics_id, place_id, partner_id, service_line, funding_stream, period, net_spend
                                FROM rpt_open_book WHERE partner_id = 'haven' AND place_id = 'fenwick'
                                AND period = '2025-11'""").fetchall()
    assert len(figure) == 1
    ics_id, place_id, partner_id, service_line, stream, period, net = figure[0]
    lines = demo_db.execute("""SELECT source_file, source_row, net_spend FROM fct_drilldown
                               WHERE ics_id = $i AND place_id = $pl AND partner_id = $p AND service_line = $s
                                 AND funding_stream = $f AND period = $m""",
                            {"i": ics_id, "pl": place_id, "p": partner_id, "s": service_line, "f": stream,
                             "m": period}).fetchall()
    assert len(lines) == 4 and sum(n for *_, n in lines) == net  # four cost categories of the Fenwick house
    assert all("Haven Crisis Houses management accounts M08 2025-26" in f for f, _, _ in lines)


def test_every_column_of_every_model_is_documented_in_its_header(demo_db):
    from warehouse.model_graph import model_graph
    from warehouse.sql_docs import parse_model_doc
    from warehouse.sql_files import sql_text

    files = {m.name: m.sql_name for m in model_graph().models.values()}
    for table, name in files.items():
        doc = parse_model_doc(sql_text(name))
        columns = {c: comment for c, comment in demo_db.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = $t", {"t": table}).fetchall()}
        assert doc.table == table and doc.grain, name
        assert set(doc.columns) == set(columns), f"{name}: documented {sorted(set(doc.columns) ^ set(columns))}"
        assert all(columns.values()), f"{table}: columns without a comment"
