"""What the HTML site's filters (templates/filter-tables.js) act on: the table columns and the
chart axes, series and facets that carry a system, partner, month or service line.

A filter's value is the text a table cell shows (``formatting.label`` of the value), so a chart
names its categories, series and facet in those same words here rather than leaving the script
to read plotly's labels (escaped for plotly, see formatting.plotly_text).
"""
from __future__ import annotations

from typing import Any

from reports import formatting as f

# The columns the page filters act on, by the column's key: a table is filtered on the ones it
# has and shown whole without them. A column per value of one of these dims (Column.series, a
# pivot's or a chart's series) is hidden under a filter on another value (html_site.table_html).
FILTER_DIMS = {"ics_id": "system", "partner_name": "partner", "icb_name": "partner",
               "lead_provider_name": "partner", "period": "month", "as_at_period": "month",
               "service_line_name": "service_line"}
# charts whose points are categories by series, so a category or a series can be left out; a
# waterfall's steps add up to its end total and a funnel's limits are drawn from all its points,
# so those are only ever shown or hidden whole (by their facet)
_POINTWISE = ("bar", "stacked_bar", "hbar", "stacked_hbar", "line")
# a horizontal bar chart's height: at least MIN px, else BASE px and PER px a category (as drawn)
HBAR_HEIGHT = (320, 110, 34)


def chart_spec(data: Any) -> dict:
    """What of this chart (a ChartData or FunnelData) each filter reaches, for the page's script:
    ``facet``: [dim, label] (the chart is hidden under another value), ``x``: [dim, the label of
    each category] and ``axis`` (the plotly axis holding the categories), ``series``: [dim, the
    label of each trace]; ``height`` for a horizontal bar chart, redrawn to fit the categories
    left. Empty: no filter reaches the chart."""
    c = data.chart
    spec: dict[str, Any] = {}
    if c.facet is not None and c.facet.key in FILTER_DIMS and data.facet is not None:
        spec["facet"] = [FILTER_DIMS[c.facet.key], f.label(data.facet, c.facet.fmt)]
    if c.kind not in _POINTWISE:
        return spec
    horizontal = c.kind in ("hbar", "stacked_hbar")
    if c.x.key in FILTER_DIMS:
        spec["x"] = [FILTER_DIMS[c.x.key], data.x_labels()]
        spec["axis"] = "y" if horizontal else "x"
        if horizontal:
            spec["height"] = list(HBAR_HEIGHT)
    if c.series is not None and c.series.key in FILTER_DIMS:
        spec["series"] = [FILTER_DIMS[c.series.key], [data.series_label(sv) for sv, _ in data.series]]
    return spec


def figures_dims(data: Any) -> dict[str, str]:
    """The filter each column of a chart's figures table (ChartData.as_table) answers to: its
    category column, and the column naming each category's series where it has one."""
    c = data.chart
    if c.kind not in _POINTWISE:
        return {}
    dims = {}
    if c.x.key in FILTER_DIMS:
        dims["x"] = FILTER_DIMS[c.x.key]
    if c.series is not None and c.series.key in FILTER_DIMS:
        dims["s"] = FILTER_DIMS[c.series.key]
    return dims
