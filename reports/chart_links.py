"""Link each point of the site's bar and line charts to the page of the ledger lines behind it.

Which points are sums of lines is decided by reports/figure_lines.chart_point_condition (the
same registry as the tables' figures); pages are shared with the tables' figures through
reports/drilldown.DrillSet, so a bar and the table cell with the same lines open one page.
The chart's "figures behind this chart" table links the same pages.
"""
from __future__ import annotations

from decimal import Decimal

from reports import drilldown, figure_lines
from reports.chart_figures import ChartData, FunnelData
from reports.query import ReportContext
from reports.spec import Measure, Section


def link_points(drill_set: drilldown.DrillSet, ctx: ReportContext,
                charts: list[tuple[str, str, Section, ChartData | FunnelData]], drill_dir: str) -> int:
    """Set ``data.links`` of every chart point that is a sum of lines ((page href, page name,
    section, chart data) each); return how many points were linked."""
    linked = 0
    for href, page_name, section, data in charts:
        if not isinstance(data, ChartData):
            continue
        for j, (sv, values) in enumerate(data.series):
            for i, value in enumerate(values):
                cond = figure_lines.chart_point_condition(section, data, j, i, ctx)
                if cond is None:
                    continue
                measure = sv if isinstance(sv, Measure) else data.chart.value
                what = " · ".join(x for x in (data.title, data.x_labels()[i],
                                              "" if isinstance(sv, Measure) or sv is None
                                              else data.series_label(sv)) if x)
                page = drill_set.point(cond, section, f"{measure.label}: {what}", measure.label, value,
                                       measure.fmt, (href, f"{page_name}: chart {data.title}"))
                if page is None:
                    continue
                data.links[j, i] = f"{drill_dir}/{page.slug}.html"
                linked += 1
        linked += _link_totals(drill_set, ctx, href, page_name, section, data, drill_dir)
        linked += _link_total_row(drill_set, ctx, href, page_name, section, data, drill_dir)
    return linked


def _link_total_row(drill_set: drilldown.DrillSet, ctx: ReportContext, href: str, page_name: str, section: Section,
                    data: ChartData, drill_dir: str) -> int:
    """The Total row of a chart's figures (each column's categories added up, e.g. every partner's spend to
    date): the lines of all its points together, when they are sums of lines."""
    table = data.as_table()
    if not table.rows or table.rows[-1].role != "total":
        return 0
    linked = 0
    for col in table.value_columns:
        # a series' column (s0, s1...), or the one value column (v) or the Total column: every series
        series = int(col.key[1:]) if col.key.startswith("s") else None
        cond = figure_lines.chart_point_condition(section, data, series, None, ctx)
        if cond is None:
            continue
        measure = data.series[series][0] if series is not None and isinstance(data.series[series][0], Measure) \
            else data.chart.value
        total = table.rows[-1].values[col.key]
        page = drill_set.point(cond, section, f"{measure.label}: {data.title} · Total"
                               + ("" if col.key == "v" else f" · {col.label}"), measure.label, total, measure.fmt,
                               (href, f"{page_name}: chart {data.title}"))
        if page is not None:
            data.total_row_links[col.key] = f"{drill_dir}/{page.slug}.html"
            linked += 1
    return linked


def _link_totals(drill_set: drilldown.DrillSet, ctx: ReportContext, href: str, page_name: str, section: Section,
                 data: ChartData, drill_dir: str) -> int:
    """The Total column of a chart's figures (a category's series added up, e.g. a service line's spend in every
    system): the lines of all its series together, when they are sums of lines."""
    if not data.has_total_column():
        return 0
    linked = 0
    measure = data.chart.value
    for i, label in enumerate(data.x_labels()):
        cond = figure_lines.chart_point_condition(section, data, None, i, ctx)
        if cond is None:
            continue
        total = sum((vals[i] or 0 for _, vals in data.series), Decimal(0))
        page = drill_set.point(cond, section, f"{measure.label}: {data.title} · {label} · Total", measure.label,
                               total, measure.fmt, (href, f"{page_name}: chart {data.title}"))
        if page is not None:
            data.total_links[i] = f"{drill_dir}/{page.slug}.html"
            linked += 1
    return linked

