"""The running totals month by month of a detail section's line charts (Plan against actual, Agency spend): each
month's point adds up the section's rows of that month, as the table adds up the latest month's.

A point is the figure of the rows its month and facet (a system, a partner) pick in the section's rpt table; the
latest month's rows are the table's own, so their links are reused. A figure that is a sum of lines (actual to
date, agency spend to date) opens the page of the rows' lines (their drill conditions together,
reports/figure_lines.flag_condition); one made by arithmetic (plan to date, the limit to date) opens its row's
working, or a page adding up its rows' workings. A point whose rows do not add up to it is left unlinked.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import duckdb

from reports import drilldown, figure_lines
from reports.chart_figures import ChartData
from reports.figure_explain import ExplainSet, explainer
from reports.query import ReportContext, _where
from reports.spec import DETAIL, Measure, Section
from reports.tables import Column, Row, Table


def link_months(con: duckdb.DuckDBPyConnection, drill_set: drilldown.DrillSet, explain_set: ExplainSet,
                ctx: ReportContext, section: Section, table: Table, datas: list, href: str, page_name: str,
                drill_dir: str) -> int:
    """Link each month's point of ``section``'s month-by-month charts; return how many were linked."""
    spec = figure_lines.spec_of(section)
    if section.mode != DETAIL or not isinstance(spec, figure_lines.Lines) or section.period_col is None:
        return 0
    by_column = {v.column: v for v in section.values if isinstance(v, Measure)}
    linked = 0
    for data in datas:
        if not isinstance(data, ChartData) or data.chart.x.key != section.period_col or data.chart.series is not None:
            continue
        where = (href, f"{page_name}: chart {data.title}")
        for j, (m, values) in enumerate(data.series):
            value_of = by_column.get(m.column) if isinstance(m, Measure) else None
            if value_of is None:
                continue
            for i, value in enumerate(values):
                if (j, i) in data.links or not value:
                    continue
                rows = _rows(con, ctx, section, table, data, m, data.x_values[i])
                if not rows or sum((Decimal(r.values.get(value_of.key) or 0) for r in rows), Decimal(0)) != value:
                    continue
                what = f"{m.label}: {data.title} · {data.x_labels()[i]}"
                link = _lines_page(drill_set, spec, section, rows, value_of, value, what, where, drill_dir) \
                    if value_of.key in spec.flag_drill else \
                    _working_page(explain_set, section, rows, value_of, value, what, data, i, where)
                if link is not None:
                    data.links[j, i] = link
                    linked += 1
    return linked


def _rows(con, ctx: ReportContext, section: Section, table: Table, data: ChartData, measure: Measure,
          period: str) -> list[Row]:
    """The section's rows of the month and the chart's facet: the table's own for the latest month."""
    facet = data.chart.facet
    if period == ctx.period:
        return [r for r in table.rows if r.role == "detail" and (facet is None or r.values.get(facet.key) == data.facet)]
    sql = (f"SELECT * FROM {section.source} WHERE {_where(section, ctx, {measure.scope}, data.chart.where)} "
           f"AND {section.period_col} = $k_period"
           + (f" AND {facet.key} IS NOT DISTINCT FROM $k_facet" if facet is not None else "")
           + " ORDER BY ALL")   # the rows in one order whatever order the table was written in: their pages' names
    params = {**ctx.params(), "k_period": period, "k_facet": data.facet}
    wanted = set(re.findall(r"\$([a-z_]+)", sql))
    cur = con.execute(sql, {k: v for k, v in params.items() if k in wanted})   # bound, never formatted in
    names = [d[0] for d in cur.description]
    out = []
    for rec in cur.fetchall():
        got = dict(zip(names, rec))
        values = {v.key: got[v.column] for v in section.values if isinstance(v, Measure) and v.column in got}
        values.update({d.key: got.get(d.key) for d in section.dims}, period=got[section.period_col])
        out.append(Row(values, hidden=got))
    return out


def _lines_page(drill_set: drilldown.DrillSet, spec: figure_lines.Lines, section: Section, rows: list[Row],
                value_of: Measure, value: Any, what: str, where: tuple[str, str], drill_dir: str) -> str | None:
    """The rows' lines together (one row: its own condition, the same page as its table's figure)."""
    cond = figure_lines.rows_condition(section, [r for r in rows if r.values.get(value_of.key)])
    if cond is None:
        return None
    page = drill_set.point(cond, section, what, value_of.label, value, value_of.fmt, where)
    return f"{drill_dir}/{page.slug}.html" if page is not None else None


def _working_page(explain_set: ExplainSet, section: Section, rows: list[Row], value_of: Measure, value: Any,
                  what: str, data: ChartData, i: int, where: tuple[str, str]) -> str | None:
    """The row's working (the table's link for the latest month), or a page adding up the rows' workings."""
    if explainer(section, value_of.key) is None:
        return None
    col = Column(value_of.key, value_of.label, value_of.fmt, True)
    # the rows' names and month make each page's title (the pages of one scheme differ by month)
    names = [Column(d.key, d.label, d.fmt, False) for d in section.dims] + [Column("period", "Month", "period", False)]
    month = Table(section.key, section.title, names + [col], rows, section=section)
    parts = []
    for r in rows:
        if not r.values.get(value_of.key):
            continue
        link = r.links.get(value_of.key)
        if link is None:
            page = explain_set.figure_page(section, month, r, col, where)
            if page is None:
                return None
            link = f"{explain_set.folder}/{page.slug}.html"
        name = " · ".join(str(r.values[d.key]) for d in section.dims[1:2] if r.values.get(d.key) is not None)
        parts.append((name or section.title, Decimal(r.values[value_of.key]), link))
    if len(parts) == 1:
        return parts[0][2]
    page = explain_set.sum_page(section, value_of.key, what, value_of.label, value_of.fmt,
                                {"chart": data.key, "point": str(data.x_values[i]), "facet": str(data.facet)},
                                parts, where)
    return f"{explain_set.folder}/{page.slug}.html"
