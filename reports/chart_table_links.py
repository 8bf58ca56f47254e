"""A chart point that repeats a figure of its section's table opens that figure's page.

Many charts draw the section table's own figures again (the MHIS page's spend and standard by ICB, a
system's sector shares, a place's rate and its peers'): such a point is the same figure, so it opens
the same drill or explain page as the table's cell. A point repeats a cell when the table's row is
picked by exactly the chart's category, series and facet (the row's dims, or the group of a subtotal:
reports/figure_lines._row_keys), or is the one row they pick, the cell's measure reads the same rpt
column over the same period scope, and the two values are equal. A point that adds up several detail
rows' figures (a partner's forecast variance over its service lines), and a Total of the chart's
figures whose parts are all linked (a system's shares by type added up), open a page adding up those
figures, each linked to its own (reports/figure_explain.ExplainSet.sum_page). Points already linked to
their lines (reports/chart_links.py) keep their page.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from reports.chart_figures import ChartData, FunnelData
from reports import explain_funnel
from reports.explain_working import At, Explanation, Term, beside, in_sentence
from reports.figure_explain import ExplainSet
from reports.figure_lines import _row_keys
from reports.spec import Measure, Section
from reports.tables import Table

# the funnel's figures that are the table's own (its column -> the rpt column): the limits are not (their own
# workings, _link_limits)
_FUNNEL_COLUMNS = {"v": None, "p": "pooled_rate", "c": "peer_rate"}
# a chart's measure that no table shows but a working has as a term with a page of its own (section, rpt
# column) -> that page's figure: the lead provider's first-year averages, drawn flat across the months
_TERM_PAGES = {("lead-provider", "baseline_inpatient_spend"): "baseline_inpatient",
               ("lead-provider", "baseline_community_spend"): "baseline_community"}


class _Cells:
    """Every figure of a section's table: (rpt column, scope) -> (the row's keys, a detail row?, value, link)."""

    def __init__(self, section: Section, table: Table):
        measures = {v.key: v for v in section.values if isinstance(v, Measure)}
        self.by: dict[tuple[str, str], list[tuple[dict, bool, Any, str | None]]] = {}
        for row in table.rows:
            keys = {k: str(v) for k, v in _row_keys(section, row).items()}
            for key, m in measures.items():
                if row.values.get(key) is not None:
                    self.by.setdefault((m.column, m.scope), []).append(
                        (keys, row.role == "detail", row.values[key], row.links.get(key)))

    def same(self, column: str, scope: str, keys: dict[str, str], value: Any) -> str | None:
        """The link of the table's figure of ``column`` over ``scope`` for the row the point's ``keys`` pick,
        when it is ``value``: the row picked by exactly those keys, else the one row they pick among others (a
        detail row named by more dims than the chart's, e.g. a place's row with its system and position)."""
        if not value:
            return None
        rows = self._picked(column, scope, keys)
        exact = [c for c in rows if len(c[0]) == len(keys)]
        found = exact if exact else rows
        return found[0][3] if len(found) == 1 and found[0][2] == value else None

    def parts(self, column: str, scope: str, keys: dict[str, str], value: Any) -> list[tuple[dict, Any, str]] | None:
        """The detail rows' figures the point adds up, when they are several, each linked (or £0) and adding up
        to ``value``; else None."""
        rows = [c for c in self._picked(column, scope, keys) if c[1]]
        if len(rows) < 2 or any(c[2] and not c[3] for c in rows) or \
                sum((Decimal(c[2]) for c in rows), Decimal(0)) != value:
            return None
        return [(c[0], c[2], c[3]) for c in rows if c[2]]

    def _picked(self, column: str, scope: str, keys: dict[str, str]) -> list:
        return [c for c in self.by.get((column, scope), ()) if all(c[0].get(k) == v for k, v in keys.items())]


def link_to_table(section: Section, table: Table, datas: list[ChartData | FunnelData], explain_set: ExplainSet,
                  href: str, page_name: str) -> int:
    """Link the figures of ``datas`` (the charts of ``section``, on page ``href``) that repeat or add up linked
    figures of ``table``; return how many were linked."""
    cells = _Cells(section, table)
    linked = 0
    for data in datas:
        if isinstance(data, FunnelData):
            linked += _link_funnel(data, cells)
            linked += _link_limits(data, section, table, explain_set, (href, f"{page_name}: chart {data.title}"))
        elif data.chart.kind == "waterfall":
            linked += _link_waterfall(data, cells, section, explain_set, (href, f"{page_name}: chart {data.title}"))
        else:
            where = (href, f"{page_name}: chart {data.title}")
            linked += _link_bars(data, cells, section, explain_set, where)
            linked += _link_totals(data, section, explain_set, where)
    return linked


def _point_keys(data: ChartData | FunnelData, x: Any, series: Any = None) -> dict[str, str]:
    chart = data.chart
    keys = {chart.x.key: x}
    if chart.series is not None and series is not None:
        keys[chart.series.key] = series
    if chart.facet is not None:
        keys[chart.facet.key] = data.facet
    return {k: str(v) for k, v in keys.items()}


def _link_bars(data: ChartData, cells: _Cells, section: Section, explain_set: ExplainSet,
               where: tuple[str, str]) -> int:
    linked = 0
    labels = data.x_labels()
    for j, (sv, values) in enumerate(data.series):
        measure = sv if isinstance(sv, Measure) else data.chart.value
        for i, value in enumerate(values):
            if (j, i) in data.links or not value:
                continue
            keys = _point_keys(data, data.x_values[i], None if isinstance(sv, Measure) else sv)
            href = cells.same(measure.column, measure.scope, keys, value)
            parts = cells.parts(measure.column, measure.scope, keys, value) \
                if href is None and measure.agg == "sum" else None
            if parts is not None:
                names = [k for k in parts[0][0] if k not in keys]
                what = " · ".join(x for x in (labels[i], "" if isinstance(sv, Measure) or sv is None
                                              else data.series_label(sv)) if x)
                page = explain_set.sum_page(
                    section, measure.key, f"{measure.label}: {data.title} · {what}", measure.label, measure.fmt,
                    {"chart": data.key, "point": what, "measure": measure.key},
                    [(" · ".join(str(k[n]) for n in names), v, h) for k, v, h in parts], where)
                href = f"{explain_set.folder}/{page.slug}.html"
            if href is None:
                href = _term_page(explain_set, section, measure, value)
            if href is not None:
                data.links[j, i] = href
                linked += 1
    return linked


def _term_page(explain_set: ExplainSet, section: Section, measure: Measure, value: Any) -> str | None:
    """The page of the term the point is (_TERM_PAGES), when its figure is the point's value."""
    key = _TERM_PAGES.get((section.key, measure.column))
    pages = [p for p in explain_set.pages if p.section.key == section.key and p.value_key == key]
    if len(pages) != 1 or pages[0].figure != value:
        return None
    return f"{explain_set.folder}/{pages[0].slug}.html"


def _link_totals(data: ChartData, section: Section, explain_set: ExplainSet, where: tuple[str, str]) -> int:
    """The Total column (a category's series added up) and the Total row (a series' categories added up) of
    the chart's figures, where they are not linked to lines and every figure they add up is linked."""
    table = data.as_table()
    measure = data.chart.value
    linked = 0
    cols = {c.key: c for c in table.value_columns}
    detail = [r for r in table.rows if r.role == "detail"]
    if data.has_total_column():
        for i, row in enumerate(detail):
            if i in data.total_links or not row.values.get("v"):
                continue
            parts = [(cols[k].label, row.values[k], row.links.get(k)) for k in cols if k != "v" and row.values[k]]
            page = _sum(explain_set, section, data, measure, f"{data.x_labels()[i]} · Total", parts, where)
            if page is not None:
                data.total_links[i] = page
                linked += 1
    if table.rows and table.rows[-1].role == "total":
        total = table.rows[-1]
        for key, col in cols.items():
            if key in data.total_row_links or not total.values.get(key):
                continue
            parts = [(r.text(table.columns[0]), r.values[key], r.links.get(key)) for r in detail if r.values.get(key)]
            fmt_measure = data.series[int(key[1:])][0] if key.startswith("s") and \
                isinstance(data.series[int(key[1:])][0], Measure) else measure
            page = _sum(explain_set, section, data, fmt_measure, f"Total · {col.label}", parts, where)
            if page is not None:
                data.total_row_links[key] = page
                linked += 1
    return linked


def _sum(explain_set: ExplainSet, section: Section, data: ChartData, measure: Measure, what: str,
         parts: list[tuple[str, Any, str | None]], where: tuple[str, str]) -> str | None:
    """The page adding up ``parts`` (label, value, link), when every part is linked."""
    if not parts or any(h is None for _, _, h in parts):
        return None
    page = explain_set.sum_page(section, measure.key, f"{measure.label}: {data.title} · {what}", measure.label,
                                measure.fmt, {"chart": data.key, "point": what, "measure": measure.key},
                                [(label, Decimal(v), h) for label, v, h in parts], where)
    return f"{explain_set.folder}/{page.slug}.html"


def _link_funnel(data: FunnelData, cells: _Cells) -> int:
    """A place's rate, its peers' rate and the pooled rate, as the table shows them (the limits have no cell)."""
    linked = 0
    scope = data.chart.value.scope
    for i, point in enumerate(data.points):
        keys = _point_keys(data, point.raw)
        for col, value in (("v", point.rate), ("p", data.pooled), ("c", point.centre)):
            href = cells.same(_FUNNEL_COLUMNS[col] or data.chart.value.column, scope, keys, value)
            if href is not None:
                data.links[i, col] = href
                linked += 1
    return linked


def _link_limits(data: FunnelData, section: Section, table: Table, explain_set: ExplainSet,
                 where: tuple[str, str]) -> int:
    """Each place's control limits: a working of their own each (reports/explain_funnel.py), from the place's row
    of the table (its spend and population, and its peers' rows)."""
    linked = 0
    labels = {c.key: c.label for c in data.as_table().columns}
    for i, point in enumerate(data.points):
        rows = [r for r in table.rows if r.role == "detail" and r.facts.get(data.chart.x.key) == point.raw
                and (data.chart.facet is None or r.facts.get(data.chart.facet.key) == data.facet)]
        if len(rows) != 1:
            continue
        at = At(explain_set.con, section, table, rows[0], explain_set.period, explain_set.shared)
        for name, value in point.limits.items():
            how = explain_funnel.limit(at, name) if value is not None else None
            if how is None:
                continue
            page = explain_set.chart_page(section, name, f"{labels[name]}: {data.title} · {point.label}",
                                          labels[name], value,
                                          data.chart.value.fmt, explain_funnel.keys_of(at), how, where)
            data.links[i, name] = f"{explain_set.folder}/{page.slug}.html"
            linked += 1
    return linked


def _link_waterfall(data: ChartData, cells: _Cells, section: Section, explain_set: ExplainSet,
                    where: tuple[str, str]) -> int:
    """A waterfall's start and end totals open the table's figures they are (gross and net spend: their lines);
    a step, drawn negative as taken off, opens a page saying so, its one term the table's figure it takes off
    (the eliminated lines, adding up to the positive amount)."""
    chart = data.chart
    facet = {chart.facet.key: str(data.facet)} if chart.facet is not None else {}
    values = data.series[0][1] if data.series else []
    linked = 0
    for i, (value, kind, raw) in enumerate(zip(values, data.steps, data.step_values)):
        if not value:
            continue
        if kind == "total":
            measure = chart.start if i == 0 else chart.end
            found = cells.same(measure.column, measure.scope, facet, value) if measure is not None else None
        else:
            keys = {**facet, chart.x.key: str(raw)}
            taken = cells.same(chart.value.column, chart.value.scope, keys, -value)
            found = None if taken is None else _taken_off(data, i, taken, section, explain_set, keys, where)
        if found is not None:
            data.links[0, i] = found
            linked += 1
    return linked


def _taken_off(data: ChartData, i: int, taken: str, section: Section, explain_set: ExplainSet, keys: dict[str, str],
               where: tuple[str, str]) -> str:
    """The page of a waterfall step: the figure it takes off (linked to its lines), with the sign turned."""
    step, value, m = data.x_labels()[i], data.series[0][1][i], data.chart.value
    how = Explanation(f"{in_sentence(step)}, drawn on the chart as a reduction: the amount taken off is the "
                      "eliminated spend of the table, a positive sum of lines, shown on the chart negative",
                      [Term(f"{step}: eliminated, FY to date (the lines, adding up to the amount taken off)", -value,
                            -1, href=beside(taken), fmt=m.fmt)],
                      definition="Eliminated spend is what a partner paid to another partner that sends its own "
                                 "ledger: that partner's spend of the money is counted instead, so the payment is "
                                 "taken off gross spend to reach net (each pound counted once).")
    page = explain_set.chart_page(section, m.key, f"{step} taken off gross: {data.title}",
                                  "Taken off gross on the chart", value, m.fmt, {"chart": data.key, **keys}, how, where)
    return f"{explain_set.folder}/{page.slug}.html"
