"""Link each point of the site's bar and line charts to the page of the ledger lines behind it.

Which points are sums of lines is decided by reports/figure_lines.chart_point_condition (the
same registry as the tables' figures); pages are shared with the tables' figures through
reports/drilldown.DrillSet, so a bar and the table cell with the same lines open one page.
The chart's "figures behind this chart" table links the same pages.
"""
from __future__ import annotations

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
    return linked
