"""The figures of a section's charts (``charts_data``): one query per chart (per facet value).

Charts (``Chart``) are bar, line, ``funnel`` (a funnel plot: rate against denominator with
control limits around the pooled rate, outliers labelled) or ``waterfall`` (a total, the
steps taken off it, the total left); ``facet`` draws one chart per value of a column,
``also`` draws further measures as series, and ``excel=True`` draws a bar, line or funnel
chart natively in the workbook as well. Every chart is followed by the figures behind it
(``as_table``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from reports import formatting as f
from reports.query import ReportContext, _check_columns, _execute, _scope_sql, _where
from reports.spec import Chart, Measure, Section, SpecError
from reports.tables import Column, Row, Table, _Label


@dataclass
class ChartData:
    chart: Chart
    x_values: list[Any]
    series: list[tuple[Any, list[Decimal]]]   # (series value, a Measure, or None; one value per x)
    facet: Any = None
    facet_label: str = ""
    steps: list[str] = field(default_factory=list)     # waterfall: absolute | relative | total per x
    step_values: list[Any] = field(default_factory=list)  # waterfall: each step's category as its table names it
                                                          # (None for the start and end totals)
    links: dict[tuple[int, int], str] = field(default_factory=dict)   # (series, x) -> its lines' page (HTML)
    total_links: dict[int, str] = field(default_factory=dict)         # x -> its series' lines together (HTML)
    total_row_links: dict[str, str] = field(default_factory=dict)     # column of as_table -> its Total row's lines

    @property
    def key(self) -> str:
        if self.facet is None:
            return self.chart.key
        return f"{self.chart.key}-{re.sub(r'[^a-z0-9]+', '-', str(self.facet).lower()).strip('-')}"

    @property
    def title(self) -> str:
        return f"{self.chart.title}: {self.facet_label}" if self.facet_label else self.chart.title

    def x_labels(self) -> list[str]:
        if self.chart.kind == "waterfall":
            return [str(x) for x in self.x_values]
        return [f.label(x, self.chart.x.fmt) for x in self.x_values]

    def series_label(self, s: Any) -> str:
        if isinstance(s, Measure):
            return s.label
        return self.chart.value.label if self.chart.series is None else f.label(s, self.chart.series.fmt)

    def has_total_column(self) -> bool:
        """Whether the figures have a column per series and a Total adding them: a chart with series, unless
        each category falls in a single series (the series only colours it, e.g. a partner's kind)."""
        c = self.chart
        return not c.also and c.series is not None and len(self.series) > 1 and any(
            sum(1 for _, vals in self.series if vals[i]) > 1 for i in range(len(self.x_values)))

    def as_table(self) -> Table:
        """The figures behind the chart, so a reader without the chart sees them too.

        One row per category (x). With series: one column per series plus a total, or,
        when each category falls in a single series (the series only colours it, e.g. a
        partner's kind), a column naming that series and one value column. Measures drawn
        side by side (``also``) get a column each and no total column.
        """
        c = self.chart
        if c.kind == "waterfall":
            cols = [Column("x", c.x_title, "text", False), Column("v", c.value.label, c.value.fmt, True)]
            # the start and end totals stay in place (a subtotal row), between them the steps
            rows = [Row({"x": x, "v": v}, "subtotal" if k == "total" else "detail",
                        links={"v": self.links[0, i]} if (0, i) in self.links else {})
                    for i, (x, v, k) in enumerate(zip(self.x_values, self.series[0][1], self.steps))]
            return Table(self.key, self.title, cols, rows)
        xcol = Column("x", c.x.label, c.x.fmt, False)
        if c.also:
            cols = [xcol] + [Column(f"s{j}", m.label, m.fmt, True) for j, (m, _) in enumerate(self.series)]
            rows = [Row({"x": x, **{f"s{j}": v[i] for j, (_, v) in enumerate(self.series)}},
                        links={f"s{j}": self.links[j, i] for j in range(len(self.series)) if (j, i) in self.links})
                    for i, x in enumerate(self.x_values)]
        elif not self.has_total_column():
            cols = [xcol]
            if c.series is not None:
                cols.append(Column("s", c.series.label, c.series.fmt, False))
            cols.append(Column("v", c.value.label, c.value.fmt, True))
            rows = []
            for i, x in enumerate(self.x_values):
                hit = [(j, sv, vals[i]) for j, (sv, vals) in enumerate(self.series) if vals[i]] or \
                      [(0, self.series[0][0] if self.series else None, Decimal(0))]
                j = hit[0][0]
                rows.append(Row({"x": x, "s": hit[0][1], "v": hit[0][2]},
                                links={"v": self.links[j, i]} if (j, i) in self.links else {}))
        else:
            cols = [xcol] + [Column(f"s{j}", self.series_label(sv), c.value.fmt, True, raw=sv, series=c.series.key)
                             for j, (sv, _) in enumerate(self.series)]
            cols.append(Column("v", "Total", c.value.fmt, True, across=c.series.key))
            rows = []
            for i, x in enumerate(self.x_values):
                vals = {f"s{j}": v[i] for j, (_, v) in enumerate(self.series)}
                links = {f"s{j}": self.links[j, i] for j in range(len(self.series)) if (j, i) in self.links}
                if i in self.total_links:
                    links["v"] = self.total_links[i]
                rows.append(Row({"x": x, **vals, "v": sum(vals.values(), Decimal(0))}, links=links))
        if len(rows) > 1 and c.total_row:
            tot = {col.key: sum((r.values[col.key] for r in rows), Decimal(0))
                   for col in cols if col.is_value}
            rows.append(Row({"x": _Label("Total"), **tot}, "total", links=dict(self.total_row_links)))
        return Table(self.key, self.title, cols, rows)


@dataclass
class FunnelPoint:
    label: str
    denominator: Decimal
    rate: Decimal
    limits: dict[str, Decimal | None]        # lower_998, lower_95, upper_95, upper_998 (none: not assessed)
    flag: str
    centre: Decimal | None = None            # the rate of the unit's peers, which it is compared with
    raw: Any = None                          # the unit as its table names it (the label unformatted)


@dataclass
class FunnelData:
    """A funnel plot: each unit's rate against its denominator, and the limits as curves."""
    chart: Chart
    points: list[FunnelPoint]
    pooled: Decimal | None
    curves: dict[str, list[tuple[float, float]]]   # limit name -> (denominator, rate) points
    facet: Any = None
    facet_label: str = ""
    links: dict[tuple[int, str], str] = field(default_factory=dict)   # (point, column of as_table) -> its page

    key = ChartData.key
    title = ChartData.title

    @property
    def series(self) -> list:          # truthy when there is something to draw
        return self.points

    def as_table(self) -> Table:
        c, fn = self.chart, self.chart.funnel
        money = c.value.fmt
        cols = [Column("x", c.x.label, c.x.fmt, False),
                Column("d", fn.denominator_label, "int", True),
                Column("v", c.value.label, money, True),
                Column("p", "Pooled rate", money, True),
                Column("c", "Peers' rate", money, True),
                Column("lower_998", "Lower 99.8%", money, True), Column("lower_95", "Lower 95%", money, True),
                Column("upper_95", "Upper 95%", money, True), Column("upper_998", "Upper 99.8%", money, True),
                Column("flag", "Flag", "code", False)]
        rows = [Row({"x": p.label, "d": p.denominator, "v": p.rate, "p": self.pooled, "c": p.centre, **p.limits,
                     "flag": p.flag}, flagged=p.flag not in (None, "none"),
                    links={c: h for (i, c), h in self.links.items() if i == n}) for n, p in enumerate(self.points)]
        return Table(self.key, self.title, cols, rows)


def _facets(con, section: Section, chart: Chart, ctx: ReportContext, scope: str) -> list[tuple[Any, str]]:
    if chart.facet is None:
        return [(None, "")]
    sql = (f"SELECT DISTINCT {chart.facet.key} FROM {section.source} "
           f"WHERE {_where(section, ctx, {scope}, chart.where)}")
    values = sorted((r[0] for r in _execute(con, sql, ctx.params()).fetchall()),
                    key=lambda v: f.sort_key(v, chart.facet.fmt))
    return [(v, f.label(v, chart.facet.fmt)) for v in values]


def charts_data(con: duckdb.DuckDBPyConnection, section: Section, chart: Chart,
                ctx: ReportContext) -> list[ChartData | FunnelData]:
    """A chart's figures: one ChartData (or FunnelData) per facet value (one when unfaceted)."""
    scope = chart.value.scope
    _check_columns(con, section, {chart.x.key, section.period_col, section.fy_col}
                   | {m.column for m in chart.measures}
                   | ({chart.series.key} if chart.series else set())
                   | ({chart.facet.key} if chart.facet else set())
                   | (set(chart.funnel.columns()) if chart.funnel else set())
                   | ({chart.start.column} if chart.start else set()))
    out = []
    for facet, facet_label in _facets(con, section, chart, ctx, scope):
        extra = chart.where + ((f"{chart.facet.key} = {_sql_literal(facet)}",) if chart.facet else ())
        if chart.kind == "funnel":
            out.append(_funnel_data(con, section, chart, ctx, extra, facet, facet_label))
        elif chart.kind == "waterfall":
            out.append(_waterfall_data(con, section, chart, ctx, extra, facet, facet_label))
        else:
            data = _bar_data(con, section, chart, ctx, extra)
            data.facet, data.facet_label = facet, facet_label
            out.append(data)
    return out


def chart_data(con: duckdb.DuckDBPyConnection, section: Section, chart: Chart, ctx: ReportContext) -> ChartData:
    """An unfaceted chart's figures."""
    if chart.facet is not None:
        raise SpecError(f"chart {chart.key} is faceted: use charts_data")
    return charts_data(con, section, chart, ctx)[0]


def _sql_literal(value: Any) -> str:
    """A facet value as an SQL literal (values come from the table itself, quoted safely)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _bar_data(con, section: Section, chart: Chart, ctx: ReportContext, extra: tuple[str, ...]) -> ChartData:
    if chart.also:
        sel = ", ".join(f"{m.agg}({m.column}) FILTER (WHERE {_scope_sql(m.scope, section.period_col, section.fy_col)})"
                        f" AS {m.key}" for m in chart.measures)
        sql = (f"SELECT {chart.x.key}, {sel} FROM {section.source} "
               f"WHERE {_where(section, ctx, {m.scope for m in chart.measures}, extra)} GROUP BY ALL")
        recs = _execute(con, sql, ctx.params()).fetchall()
        xs = sorted({r[0] for r in recs}, key=lambda v: f.sort_key(v, chart.x.fmt))
        by_x = {r[0]: r[1:] for r in recs}
        series = [(m, [by_x[x][j] if by_x[x][j] is not None else Decimal(0) for x in xs])
                  for j, m in enumerate(chart.measures)] if recs else []
        return ChartData(chart, xs, series)
    m = chart.value
    group = [chart.x] + ([chart.series] if chart.series else [])
    sql = (f"SELECT {', '.join(d.key for d in group)}, {m.agg}({m.column}) AS v "
           f"FROM {section.source} WHERE {_where(section, ctx, {m.scope}, extra)} GROUP BY ALL")
    recs = _execute(con, sql, ctx.params()).fetchall()
    xs = sorted({r[0] for r in recs}, key=lambda v: f.sort_key(v, chart.x.fmt))
    if chart.series is None:
        vals = {r[0]: r[1] for r in recs}
        series = [(None, [vals.get(x) or Decimal(0) for x in xs])] if recs else []
    else:
        ss = sorted({r[1] for r in recs}, key=lambda v: f.sort_key(v, chart.series.fmt))
        vals = {(r[0], r[1]): r[2] for r in recs}
        series = [(s, [vals.get((x, s)) or Decimal(0) for x in xs]) for s in ss]
        series = [(s, v) for s, v in series if any(v)]
    if chart.sort_by_value and series:
        order = sorted(range(len(xs)), key=lambda i: -sum(v[i] for _, v in series))
        xs = [xs[i] for i in order]
        series = [(sv, [v[i] for i in order]) for sv, v in series]
    return ChartData(chart, xs, series)


def _waterfall_data(con, section: Section, chart: Chart, ctx: ReportContext, extra: tuple[str, ...],
                    facet: Any, facet_label: str) -> ChartData:
    """Start total, then each category's amount taken off it, then what is left."""
    m, st = chart.value, chart.start
    scope_m = _scope_sql(m.scope, section.period_col, section.fy_col)
    scope_s = _scope_sql(st.scope, section.period_col, section.fy_col)
    sql = (f"SELECT {chart.x.key}, {m.agg}({m.column}) FILTER (WHERE {scope_m}) AS step, "
           f"{st.agg}({st.column}) FILTER (WHERE {scope_s}) AS start FROM {section.source} "
           f"WHERE {_where(section, ctx, {m.scope, st.scope}, extra)} GROUP BY ALL")
    recs = _execute(con, sql, ctx.params()).fetchall()
    if not recs:
        return ChartData(chart, [], [], facet, facet_label)
    start = sum((r[2] or Decimal(0) for r in recs), Decimal(0))
    steps = sorted(((r[0], r[1] or Decimal(0)) for r in recs if r[1]),
                   key=lambda t: f.sort_key(t[0], chart.x.fmt))
    labels = [chart.start_label] + [chart.step_label.format(f.label(x, chart.x.fmt)) for x, _ in steps] \
        + [chart.end_label]
    values = [start] + [-v for _, v in steps] + [start - sum((v for _, v in steps), Decimal(0))]
    kinds = ["total"] + ["relative"] * len(steps) + ["total"]
    return ChartData(chart, labels, [(None, values)], facet, facet_label, kinds,
                     step_values=[None] + [x for x, _ in steps] + [None])


def _funnel_data(con, section: Section, chart: Chart, ctx: ReportContext, extra: tuple[str, ...],
                 facet: Any, facet_label: str) -> FunnelData:
    fn = chart.funnel
    cols = [chart.x.key, chart.value.column, fn.denominator, fn.pooled, fn.centre,
            fn.lower_998, fn.lower_95, fn.upper_95, fn.upper_998, fn.flag]
    sql = (f"SELECT {', '.join(cols)} FROM {section.source} "
           f"WHERE {_where(section, ctx, {chart.value.scope}, extra)} ORDER BY {fn.denominator}")
    recs = _execute(con, sql, ctx.params()).fetchall()
    points = [FunnelPoint(f.label(r[0], chart.x.fmt), r[2], r[1],
                          {"lower_998": r[5], "lower_95": r[6], "upper_95": r[7], "upper_998": r[8]}, r[9],
                          r[4], r[0])
              for r in recs if r[2]]
    pooled = recs[0][3] if recs else None
    curves: dict[str, list[tuple[float, float]]] = {}
    # each unit is compared with its own peers, so its limits are its own: the lines join each
    # unit's limits in order of population (no unit's limits are drawn from another's)
    for name in ("lower_998", "lower_95", "upper_95", "upper_998"):
        line = [(float(p.denominator), float(p.limits[name])) for p in points if p.limits[name] is not None]
        if line:
            curves[name] = line
    if points and pooled is not None:
        lo = float(min(pt.denominator for pt in points)) * 0.7
        hi = float(max(pt.denominator for pt in points)) * 1.15
        curves["pooled"] = [(lo, float(pooled)), (hi, float(pooled))]
    return FunnelData(chart, points, pooled, curves, facet, facet_label)
