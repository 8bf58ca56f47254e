"""How each share of the delivering partners' sector charts is made (sector-share.html): the sector's net
spend × 100 ÷ the area's, rounded half up to 2 places, as rpt_sector_share rounds it.

The chart of the year to date draws a share for each area (a system, or a place) the page's table shows in
pounds: its terms are the table's figures, the sector's column and the area's total, each linked to the page
of its lines. The chart month by month draws each system's shares of each month: its terms are the month's
lines of the sector and of the system (fct_sector_share_ledger), each linked to a drill page of its own.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb

from reports import figure_lines
from reports import formatting as f
from reports.chart_figures import ChartData
from reports.explain_working import Explanation, Term, beside
from reports.figure_explain import ExplainSet
from reports.query import ReportContext
from reports.spec import YTD, Section
from reports.tables import Table

_DEFINITION = ("Net mental-health spend (payments between partners that send their own ledgers eliminated) by the "
               "sector of the partner that delivers the service; a system's share counts all its spend, a place's "
               "the spend coded to the place.")


def link_shares(con: duckdb.DuckDBPyConnection, explain_set: ExplainSet, ctx: ReportContext, section: Section,
                table: Table, datas: list, href: str, page_name: str) -> int:
    """Link every share of the section's charts to its working; return how many were linked."""
    spec = figure_lines.spec_of(section)
    if section.key != "sector-share" or not isinstance(spec, figure_lines.Lines):
        return 0
    linked = 0
    for data in datas:
        if not isinstance(data, ChartData):
            continue
        where = (href, f"{page_name}: chart {data.title}")
        column = data.chart.value.column
        for j, (sector, values) in enumerate(data.series):
            for i, value in enumerate(values):
                if (j, i) in data.links or not value:
                    continue
                if column == "ytd_share_pct":
                    how = _area_share(section, table, data, sector, data.x_values[i])
                elif column == "share_pct":
                    how = _month_share(con, section, spec, ctx, data, sector, data.x_values[i])
                else:
                    continue
                if how is None:
                    continue
                what = f"{f.label(sector, 'sector')} · {data.x_labels()[i]} · {data.facet_label}"
                page = explain_set.chart_page(
                    section, column, f"{data.chart.value.label}: {what}", data.chart.value.label, value, "pct",
                    {"ics_id": data.facet, "x": str(data.x_values[i]), "sector": sector, "column": column}, how, where)
                data.links[j, i] = f"{explain_set.folder}/{page.slug}.html"
                linked += 1
    return linked


def _area_share(section: Section, table: Table, data: ChartData, sector: Any, area: Any) -> Explanation | None:
    """The area's row of the page's table: the sector's column × 100 ÷ the row's total, both linked to their lines."""
    rows = [r for r in table.rows if r.role == "detail" and r.values.get("ics_id") == data.facet
            and r.values.get("place_name") == area]
    cols = [c for c in table.columns if c.series == section.pivot.on.key and c.raw == sector]
    if len(rows) != 1 or len(cols) != 1:
        return None
    row, col = rows[0], cols[0]
    part, whole = row.values.get(col.key), row.values.get("p_total")
    if not part or not whole or not row.links.get(col.key) or not row.links.get("p_total"):
        return None
    return Explanation("the sector's net spend from April to the month as a percentage of the area's, rounded half "
                       "up to 2 places", [Term(f"{f.label(sector, 'sector')}: net spend, FY to date", Decimal(part),
                                               href=beside(row.links[col.key]))],
                       times=Decimal(100), per=Decimal(whole), by="× 100 ÷ the area's net spend, FY to date",
                       per_fmt="money", per_href=beside(row.links["p_total"]), definition=_DEFINITION)


def _month_share(con: duckdb.DuckDBPyConnection, section: Section, spec: figure_lines.Lines, ctx: ReportContext,
                 data: ChartData, sector: Any, period: str) -> Explanation | None:
    """The system's lines of the month: the sector's × 100 ÷ all of them, each sum linked to its lines."""
    spend = dict(con.execute("SELECT sector, net_spend FROM rpt_sector_share WHERE geography_level = 'ics' AND "
                             "ics_id = ? AND period = ?", [data.facet, period]).fetchall())
    whole = sum(spend.values(), Decimal(0))
    if not spend.get(sector) or not whole:
        return None
    keys = {"ics_id": data.facet, "geography_level": "ics", "period": period}
    part_lines = figure_lines._sum_condition(section, spec, "net_spend", YTD, keys, ("sector", sector), ctx)
    whole_lines = figure_lines._sum_condition(section, spec, "net_spend", YTD, keys, None, ctx)
    if part_lines is None or whole_lines is None:
        return None
    month = f.month_label(period)
    return Explanation(f"the sector's net spend in {month} as a percentage of the system's, rounded half up to 2 "
                       "places", [Term(f"{f.label(sector, 'sector')}: net spend in {month}", Decimal(spend[sector]),
                                       lines=part_lines)],
                       times=Decimal(100), per=whole, by=f"× 100 ÷ the system's net spend in {month}", per_fmt="money",
                       factors=[Term(f"The system's net spend in {month} (the divisor)", whole, lines=whole_lines)],
                       definition=_DEFINITION)
