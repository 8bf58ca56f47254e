"""A chart point that repeats a figure of its section's table opens that figure's page.

Many charts draw the section table's own figures again (the MHIS page's spend and standard by ICB, a
system's sector shares, a place's rate and its peers'): such a point is the same figure, so it opens
the same drill or explain page as the table's cell. A point repeats a cell when the table's row is
picked by exactly the chart's category, series and facet (the row's dims, or the group of a subtotal:
reports/figure_lines._row_keys), the cell's measure reads the same rpt column over the same period
scope, and the two values are equal. Points already linked to their lines (reports/chart_links.py)
keep their page.
"""
from __future__ import annotations

from typing import Any

from reports.chart_figures import ChartData, FunnelData
from reports.figure_lines import _row_keys
from reports.spec import Measure, Section
from reports.tables import Table

# the funnel's figures that are the table's own (its column -> the rpt column): the limits are not
_FUNNEL_COLUMNS = {"v": None, "p": "pooled_rate", "c": "peer_rate"}


def link_to_table(section: Section, table: Table, datas: list[ChartData | FunnelData]) -> int:
    """Link the points of ``datas`` (the charts of ``section``) that repeat a linked figure of ``table``;
    return how many were linked."""
    cells = _linked_cells(section, table)
    linked = 0
    for data in datas:
        if isinstance(data, FunnelData):
            linked += _link_funnel(data, cells)
        elif data.chart.kind != "waterfall":
            linked += _link_bars(data, cells)
    return linked


def _linked_cells(section: Section, table: Table) -> dict[tuple[str, str], list[tuple[dict, Any, str]]]:
    """(rpt column, scope) -> (the row's keys, value, link) of every linked figure of the table."""
    measures = {v.key: v for v in section.values if isinstance(v, Measure)}
    out: dict[tuple[str, str], list[tuple[dict, Any, str]]] = {}
    for row in table.rows:
        keys = {k: str(v) for k, v in _row_keys(section, row).items()}
        for key, href in row.links.items():
            m = measures.get(key)
            if m is not None and row.values.get(key) is not None:
                out.setdefault((m.column, m.scope), []).append((keys, row.values[key], href))
    return out


def _point_keys(data: ChartData | FunnelData, x: Any, series: Any = None) -> dict[str, str]:
    chart = data.chart
    keys = {chart.x.key: x}
    if chart.series is not None and series is not None:
        keys[chart.series.key] = series
    if chart.facet is not None:
        keys[chart.facet.key] = data.facet
    return {k: str(v) for k, v in keys.items()}


def _same(cells: dict, column: str, scope: str, keys: dict[str, str], value: Any) -> str | None:
    """The link of the table's figure of ``column`` over ``scope`` for the row the point's ``keys`` pick, when
    it is ``value``: the row picked by exactly those keys, else the one row they pick among others (a detail
    row named by more dims than the chart's, e.g. a place's row with its system and position)."""
    if not value:
        return None
    rows = [c for c in cells.get((column, scope), ()) if all(c[0].get(k) == v for k, v in keys.items())]
    exact = [c for c in rows if len(c[0]) == len(keys)]
    found = exact if exact else rows
    return found[0][2] if len(found) == 1 and found[0][1] == value else None


def _link_bars(data: ChartData, cells: dict) -> int:
    linked = 0
    for j, (sv, values) in enumerate(data.series):
        measure = sv if isinstance(sv, Measure) else data.chart.value
        for i, value in enumerate(values):
            if (j, i) in data.links:
                continue
            keys = _point_keys(data, data.x_values[i], None if isinstance(sv, Measure) else sv)
            href = _same(cells, measure.column, measure.scope, keys, value)
            if href is not None:
                data.links[j, i] = href
                linked += 1
    return linked


def _link_funnel(data: FunnelData, cells: dict) -> int:
    """A place's rate, its peers' rate and the pooled rate, as the table shows them (the limits have no cell)."""
    linked = 0
    scope = data.chart.value.scope
    for i, point in enumerate(data.points):
        keys = _point_keys(data, point.raw)
        for col, value in (("v", point.rate), ("p", data.pooled), ("c", point.centre)):
            href = _same(cells, _FUNNEL_COLUMNS[col] or data.chart.value.column, scope, keys, value)
            if href is not None:
                data.links[i, col] = href
                linked += 1
    return linked
