"""The static HTML site (plotly charts, sortable tables), readable offline.

``<out_dir>/index.html`` (the summary and the submissions), one page per section of
``sections.SECTIONS``, and ``<out_dir>/assets/`` holding plotly.min.js (written once,
from the installed plotly package), the stylesheet and the table-sorting script.
Nothing refers to the internet. Every text from the data is escaped with
``html.escape``; plotly receives escaped labels too (it shows entities as characters)
and its JSON escapes ``<``, so no data can close a ``<script>``.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from string import Template
from typing import Any

import duckdb
import plotly.graph_objects as go
import plotly.offline

from reports import formatting as f
from reports import sections as s

TEMPLATES = Path(__file__).resolve().parent / "templates"
ASSETS = "assets"
PLOTLY_JS = "plotly.min.js"
STATIC = ("openbook.css", "sort-tables.js")
INDEX = "index.html"
_PLOT_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}


def build_html_site(con: duckdb.DuckDBPyConnection, period: str, out_dir: Path, *,
                    run_id: str = "") -> Path:
    """Write the site for ``period`` (YYYY-MM, both systems) under ``out_dir``; return index.html.

    Every file is written to a temporary file and moved into place; index.html last,
    so it never links to a page that is not there yet.
    """
    ctx = s.ReportContext(period, None, run_id)
    s.check_sections(s.SECTIONS)
    cover = s.cover(con, ctx)
    out_dir = Path(out_dir)
    (out_dir / ASSETS).mkdir(parents=True, exist_ok=True)
    _write_assets(out_dir / ASSETS)

    pages = [(INDEX, s.SUMMARY.title)] + [(f"{sec.key}.html", sec.title) for sec in s.SECTIONS]
    for sec in s.SECTIONS:
        table = s.section_table(con, sec, ctx)
        charts = [s.chart_data(con, sec, ch, ctx) for ch in sec.charts]
        body = _section_body(sec, table, charts)
        _write(out_dir / f"{sec.key}.html", _page(ctx, cover, f"{sec.key}.html", pages,
                                                  sec.title, body))
    blocks = {b.key: b for b in s.SUMMARY.blocks}
    body = _summary_body(
        ctx, cover,
        [s.section_table(con, b, ctx) for b in s.SUMMARY.blocks],
        [s.chart_data(con, blocks[key], ch, ctx) for key, ch in s.SUMMARY.charts])
    index = out_dir / INDEX
    _write(index, _page(ctx, cover, INDEX, pages, s.SUMMARY.title, body))
    return index


# ---------------------------------------------------------------------------
# Files
def _write(path: Path, text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)             # mkstemp makes 0600; a published site must be readable
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_assets(assets: Path) -> None:
    js = plotly.offline.get_plotlyjs().encode("utf-8")
    target = assets / PLOTLY_JS
    # written once: left alone when an identical copy is already there
    if not target.is_file() or hashlib.sha256(target.read_bytes()).digest() != hashlib.sha256(js).digest():
        _write(target, js)
    for name in STATIC:
        _write(assets / name, (TEMPLATES / name).read_bytes())


# ---------------------------------------------------------------------------
# Page parts
def _page(ctx: s.ReportContext, cover: s.Cover, name: str, pages: list[tuple[str, str]],
          heading: str, body: str) -> str:
    nav = "".join(
        f'<li><a href="{f.html_text(href)}"'
        + (' aria-current="page"' if href == name else "")
        + f">{f.html_text(title)}</a></li>" for href, title in pages)
    meta = (f"{f.html_text(f.systems_label(cover.systems))} · {f.html_text(ctx.month)} "
            f"(month {ctx.fy_month} of {f.html_text(ctx.fy)}) · data as at "
            f"{f.html_text(f.datetime_text(cover.data_as_at) or 'no submissions')}")
    footer = (f"{f.html_text(ctx.title)} · gross mental-health expenditure in £, before "
              f"eliminating payments between partners"
              + (f" · run {f.html_text(ctx.run_id)}" if ctx.run_id else ""))
    template = Template((TEMPLATES / "page.html").read_text(encoding="utf-8"))
    return template.substitute(
        title=f.html_text(f"{heading} — {ctx.title}"),
        heading=f.html_text(f"{heading} — {ctx.month}"),
        meta=meta, nav=nav, body=body, footer=footer)


def _num_cell(value: Any, fmt: str) -> str:
    if value is None:
        return '<td class="num" data-v=""></td>'
    text = f.number_text(value, fmt)
    neg = " neg" if Decimal(value) < 0 and text.startswith("(") else ""
    return f'<td class="num{neg}" data-v="{f.html_text(value)}">{f.html_text(text)}</td>'


def _text_cell(row: s.Row, col: s.Column) -> str:
    raw = row.values.get(col.key)
    sort = ""
    if col.fmt == "period" and isinstance(raw, str):
        sort = f' class="nowrap" data-v="{f.html_text(raw)}"'
    elif col.fmt == "partner_kind" and isinstance(raw, str):
        sort = f' data-v="{f.sort_key(raw, "partner_kind")[1]}"'
    return f"<td{sort}>{f.html_text(row.text(col))}</td>"


def _datetime_cell(value: Any) -> str:
    if value is None:
        return '<td class="num" data-v=""></td>'
    return (f'<td class="num" data-v="{f.html_text(value.isoformat())}">'
            f"{f.html_text(f.datetime_text(value))}</td>")


def _row_html(row: s.Row, columns: list[s.Column], outer_levels: set[int]) -> str:
    cells = []
    for col in columns:
        if col.fmt == "datetime":
            cells.append(_datetime_cell(row.values.get(col.key)))
        elif col.is_value:
            cells.append(_num_cell(row.values.get(col.key), col.fmt))
        else:
            cells.append(_text_cell(row, col))
    cls = ""
    if row.role == "subtotal":
        cls = ' class="subtotal outer"' if row.level in outer_levels else ' class="subtotal"'
    elif row.role == "total":
        cls = ' class="total"'
    return f"<tr{cls}>{''.join(cells)}</tr>"


def table_html(table: s.Table, *, caption: str = "", sortable: bool = True) -> str:
    """A table; sortable by its headers, each subtotal group sorted within itself."""
    heads = []
    for col in table.columns:
        num = col.is_value or col.fmt == "datetime"
        label = f.html_text(col.label)
        inner = f'<button type="button">{label}</button>' if sortable else label
        num_cls = ' class="num"' if num else ""
        sort_attr = ' aria-sort="none"' if sortable else ""
        heads.append(f'<th scope="col"{num_cls}{sort_attr}>{inner}</th>')
    levels = sorted({r.level for r in table.rows if r.role == "subtotal"})
    outer = set(levels[:-1])
    bodies, current, footer = [], [], []
    for i, row in enumerate(table.rows):
        if row.role == "total":
            footer.append(_row_html(row, table.columns, outer))
            continue
        current.append(_row_html(row, table.columns, outer))
        nxt = table.rows[i + 1] if i + 1 < len(table.rows) else None
        if row.role == "subtotal" and (nxt is None or nxt.role == "detail"):
            bodies.append(current)
            current = []
    if current:
        bodies.append(current)
    cls = ' class="sortable"' if sortable else ""
    cap = f"<caption>{f.html_text(caption)}</caption>" if caption else ""
    html = [f'<div class="table-wrap"><table{cls}>{cap}<thead><tr>{"".join(heads)}</tr></thead>']
    html += [f"<tbody>{''.join(b)}</tbody>" for b in bodies] or ["<tbody></tbody>"]
    if footer:
        html.append(f"<tfoot>{''.join(footer)}</tfoot>")
    html.append("</table></div>")
    return "".join(html)


# ---------------------------------------------------------------------------
# Charts
def _colours(data: s.ChartData) -> list[str]:
    out = []
    for i, (sv, _) in enumerate(data.series):
        if data.chart.series is not None and data.chart.series.fmt == "partner_kind" and sv in f.KIND_COLOURS:
            out.append(f.KIND_COLOURS[sv])
        else:
            out.append(f.OKABE_ITO[i % len(f.OKABE_ITO)])
    return out


def chart_html(data: s.ChartData) -> str:
    """A plotly chart (no script include) followed by the figures behind it."""
    c = data.chart
    horizontal = c.kind in ("hbar", "stacked_hbar")
    cats = [f.plotly_text(x) for x in data.x_labels()]
    fig = go.Figure()
    for (sv, values), colour in zip(data.series, _colours(data)):
        name = f.plotly_text(data.series_label(sv))
        nums = [float(v) for v in values]
        money = [f.plotly_text(f.number_text(v, c.value.fmt)) for v in values]
        common = dict(name=name, customdata=money, marker_color=colour,
                      hovertemplate=("%{y}" if horizontal else "%{x}")
                      + "<br>" + name + ": %{customdata}<extra></extra>")
        if c.kind == "line":
            fig.add_trace(go.Scatter(x=cats, y=nums, mode="lines+markers", line_color=colour,
                                     **{k: v for k, v in common.items() if k != "marker_color"}))
        elif horizontal:
            fig.add_trace(go.Bar(y=cats, x=nums, orientation="h", **common))
        else:
            fig.add_trace(go.Bar(x=cats, y=nums, **common))
    money_axis = dict(title=dict(text=f.plotly_text(c.y_title)), tickprefix="£", tickformat="~s",
                      gridcolor="#D8DDE0", zerolinecolor="#4C6272", zerolinewidth=1,
                      automargin=True)
    cat_axis = dict(title=dict(text=f.plotly_text(c.x_title)), automargin=True, type="category",
                    linecolor="#4C6272")
    n = len(cats)
    height = max(320, 110 + 34 * n) if horizontal else 420
    if horizontal:
        cat_axis["autorange"] = "reversed"
    fig.update_layout(
        template="none",
        barmode="stack" if c.kind.startswith("stacked") else "group",
        font=dict(family="Arial, Liberation Sans, Helvetica, sans-serif", size=13, color="#212B32"),
        title=dict(text=f.plotly_text(c.title), x=0, xanchor="left", font=dict(size=16)),
        paper_bgcolor="white", plot_bgcolor="white", height=height,
        margin=dict(l=10, r=20, t=80, b=10),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, xanchor="left",
                    traceorder="normal"),
        showlegend=len(data.series) > 1 or c.series is not None,
        xaxis=money_axis if horizontal else cat_axis,
        yaxis=cat_axis if horizontal else money_axis,
        hoverlabel=dict(font=dict(family="Arial, sans-serif")),
    )
    div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{c.key}",
                      config=_PLOT_CONFIG, default_height=f"{height}px", default_width="100%")
    figures = table_html(data.as_table(), caption="The figures behind this chart")
    return (f'<figure class="chart-block"><div class="chart" role="img" '
            f'aria-label="{f.html_text(c.title)}">{div}</div></figure>{figures}')


# ---------------------------------------------------------------------------
# Pages
def _section_body(sec: s.Section, table: s.Table, charts: list[s.ChartData]) -> str:
    out = ['<section class="panel">', f"<h2>{f.html_text(sec.title)}</h2>"]
    if sec.description:
        out.append(f'<p class="lede">{f.html_text(sec.description)}</p>')
    if table.rows:
        out.append(table_html(table, caption=sec.title))
        out.append('<p class="note">Click a column heading to sort; subtotals stay with their '
                   'group. Negative figures (credits) are in brackets.</p>')
    else:
        out.append('<p class="note">No figures for this month.</p>')
    out.append("</section>")
    for data in charts:
        if data.series:
            out.append(f'<section class="panel">{chart_html(data)}</section>')
        else:
            out.append(f'<section class="panel"><p class="note">No figures for '
                       f"{f.html_text(data.chart.title)}.</p></section>")
    return "\n".join(out)


def _submissions_html(ctx: s.ReportContext, cover: s.Cover) -> str:
    cols = [s.Column("period", "Period", "period", False),
            s.Column("partner", "Partner", "text", False),
            s.Column("file", "File", "text", False),
            s.Column("loaded_at", "Loaded at", "datetime", False),
            s.Column("rows_loaded", "Rows loaded", "int", True),
            s.Column("rows_quarantined", "Rows quarantined", "int", True),
            s.Column("quality", "Data quality", "text", False)]

    def table(subs: list[s.Submission], caption: str) -> str:
        rows = [s.Row({"period": x.period, "partner": x.partner_name, "file": x.file_name,
                       "loaded_at": x.loaded_at, "rows_loaded": x.rows_loaded,
                       "rows_quarantined": x.rows_quarantined, "quality": x.quality})
                for x in subs]
        return table_html(s.Table("subs", caption, cols, rows), caption=caption)

    out = ['<section class="panel" id="submissions">',
           "<h2>Submissions these figures rest on</h2>",
           '<p class="lede">Only submissions that passed their data-quality checks are in the '
           "figures.</p>"]
    if cover.this_month:
        out.append(table(cover.this_month, f"Submissions for {ctx.month}"))
    else:
        out.append(f'<p class="warn">No submission has been loaded for {f.html_text(ctx.month)}.</p>')
    if cover.missing:
        out.append(f'<p class="warn">Not received for {f.html_text(ctx.month)}: '
                   f"{f.html_text(', '.join(cover.missing))}</p>")
    if cover.earlier:
        out.append(f"<details><summary>{len(cover.earlier)} earlier submission"
                   f"{'s' if len(cover.earlier) != 1 else ''} behind the year-to-date and "
                   f"movement figures</summary>{table(cover.earlier, 'Earlier submissions')}"
                   "</details>")
    out.append("</section>")
    return "\n".join(out)


def _summary_body(ctx: s.ReportContext, cover: s.Cover, tables: list[s.Table],
                  charts: list[s.ChartData]) -> str:
    out = ['<section class="panel">', "<h2>Headline figures</h2>",
           f'<p class="lede">Gross mental-health expenditure in £ for {f.html_text(ctx.month)} '
           f"and the financial year {f.html_text(ctx.fy)} to date. Movement is "
           f"{f.html_text(ctx.month)} against {f.html_text(f.month_label(ctx.prev_period))}.</p>",
           ]
    for block, table in zip(s.SUMMARY.blocks, tables):
        empty = "" if table.rows else f'<p class="note">No figures for {f.html_text(ctx.month)}.</p>'
        out.append(f'<div class="block">{table_html(table, caption=block.title)}{empty}</div>')
    out.append("</section>")
    for data in charts:
        if data.series:
            out.append(f'<section class="panel">{chart_html(data)}</section>')
    out.append('<section class="panel"><h2>Sections</h2><ul class="pages">'
               + "".join(f'<li><a href="{f.html_text(sec.key)}.html">{f.html_text(sec.title)}</a>'
                         f" — {f.html_text(sec.description)}</li>" for sec in s.SECTIONS)
               + "</ul></section>")
    out.append(_submissions_html(ctx, cover))
    return "\n".join(out)
