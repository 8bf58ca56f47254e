"""The static HTML site (plotly charts, sortable tables), readable offline.

``<out_dir>/index.html`` (the summary and the submissions), one page per section of
``sections.SECTIONS``, ``<out_dir>/drill/<name>.html`` for every flagged figure and every
money figure that is a sum of ledger lines (reports/figure_lines.py says which; one page per
distinct set of lines, see reports/drilldown.py, the one place reports read fct_ tables),
``<out_dir>/explain/<name>.html`` for every figure made by arithmetic from reference rows and other
figures (reports/figure_explain.py), and ``<out_dir>/assets/`` holding plotly.min.js (written once, from the
installed plotly package), the stylesheet, the table-sorting script and build-stamp.css: the
build's data-as-at, run and time produced, the one file two builds of the same data differ in. Nothing refers
to the internet. Every text from the data is escaped with ``html.escape``; plotly
receives escaped labels too (it shows entities as characters) and its JSON escapes
``<``, so no data can close a ``<script>``.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any, Callable

import duckdb
import plotly.graph_objects as go
import plotly.offline

from reports import (chart_links, chart_running_totals, chart_sector_shares, chart_table_links, drill_html,
                     drill_reuse, drilldown, explain_html, figure_explain, figure_links, flag_amounts, flag_links,
                     partner_pages)
from reports import formatting as f
from reports import sections
from reports.chart_axes import (GRID, MONEY_TICKS_JS, MUTED, PLOT_LOCALE, all_zero, axis_title, top, value_axis, zero_axis,
                                 zero_note)
from reports.chart_figures import ChartData, FunnelData
from reports.cover import Cover, Submission, submissions_table
from reports.coverage import add_coverage_notes
from reports.key_messages import TOLERANCES, Message, key_messages
from reports.query import ReportContext
from reports.section_figures import flag_counts
from reports.shared_figures import SharedFigures
from reports.site_filters import FILTER_DIMS, HBAR_HEIGHT, chart_spec, figures_dims
from reports.spec import Measure, Section, check_sections
from reports.table_csv import csv_lines, series_csv_lines, table_csv
from reports.tables import Column, Row, Table, _Label

TEMPLATES = Path(__file__).resolve().parent / "templates"
ASSETS = "assets"
DRILL = "drill"
EXPLAIN = "explain"
CSV = "csv"
PLOTLY_JS = "plotly.min.js"
STATIC = ("openbook.css", "sort-tables.js", "filter-tables.js")
STAMP = "build-stamp.css"     # the build's stamps (data as at, run, time produced), written by each build
WIDE_COLUMNS = 12        # a table with this many columns or more is set compact
INDEX = "index.html"
_PLOT_CONFIG = {"displaylogo": False, "responsive": True, "locale": "en-GB", "locales": PLOT_LOCALE,
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}
_FONT = "Arial, Liberation Sans, Helvetica, sans-serif"
# number formats a filtered table may add up again (its own total row says which columns do)
SUMMABLE = {"money", "money2", "int"}
# a click on a chart's point opens the page of the lines behind it (its customdata[1])
_CLICK_TO_LINES = ('var gd = document.getElementById("$id"); if (gd && gd.on) { gd.on("plotly_click", '
                   'function (e) { var p = e.points[0], h = p && p.customdata && p.customdata[1]; '
                   'if (h) { location.href = h; } }); }')
_PLOT_SCRIPT = re.compile(r"<script(?: type=\"text/javascript\")?>(\s*window\.PLOTLYENV.*?)</script>", re.S)


class Downloads:
    """The site's files: the CSV file of every table, collected while a page is built and written (by
    write_before) before the page that links to it, and every other file (``put``). A file with the
    same bytes as the last build's (``previous``, the site folder it wrote) is linked from there
    rather than written again; ``keep`` links a kept drill page's files (reports/drill_reuse.py)."""

    def __init__(self, out_dir: Path, previous: Path | None = None):
        self.out_dir = out_dir
        self.previous = previous
        self.pending: dict[str, str] = {}

    def link(self, table: Table, name: str, root: str = "", filterable: bool = False) -> str:
        """The link to the table's CSV file; on a page with filters (``filterable``) the file's lines
        come too, so the page's script can offer the rows a filter leaves shown (nothing can be read
        from a file:// address), and each row of the table says which line is its own (data-i); for a
        table with a column per system, partner or month, its lines with one such column too."""
        href = f"{CSV}/{name}.csv"
        self.pending[href] = table_csv(table)
        link = (f'<a class="csv" href="{f.html_text(root + href)}" download>'
                f"Download this table (CSV)</a>")
        if filterable:
            link += f'<script type="application/json" class="csv-lines">{_script_json(csv_lines(table))}</script>'
            series = series_csv_lines(table, FILTER_DIMS)
            if series:
                link += f'<script type="application/json" class="csv-series">{_script_json(series)}</script>'
        return link

    def write_before(self, page: Path, text: str) -> list[str]:
        """The pending CSV files, then the page; returns their names in the site."""
        if self.pending:
            (self.out_dir / CSV).mkdir(exist_ok=True)
        written = list(self.pending)
        for href, body in self.pending.items():
            self.put(self.out_dir / href, "\ufeff" + body)   # a BOM: Excel then reads it as UTF-8 (£, accents)
        self.pending.clear()
        self.put(page, text)
        return written + [str(page.relative_to(self.out_dir))]

    def put(self, path: Path, text: str | bytes) -> None:
        """Write a file unless it is there with these bytes; linked from the last build when it has them."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        before = self.previous / path.relative_to(self.out_dir) if self.previous is not None else None
        if _holds(path, data):
            return
        if before is not None and _holds(before, data):
            _link(before, path)
        else:
            _write(path, data)

    def keep(self, names: list[str]) -> None:
        """Files of the last build kept as they are (a drill page not rebuilt), linked into this one."""
        for name in names:
            (self.out_dir / name).parent.mkdir(parents=True, exist_ok=True)
            _link(self.previous / name, self.out_dir / name)


def _script_json(value: Any) -> str:
    """JSON to sit inside a <script> element: no "<" or ">" (so no text can end the element);
    the escapes read back as the same characters."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")




def build_html_site(con: duckdb.DuckDBPyConnection, period: str, out_dir: Path, *,
                    run_id: str = "", last: drill_reuse.Last | None = None,
                    shared: SharedFigures | None = None) -> Path:
    """Write the site for ``period`` (YYYY-MM, both systems) under ``out_dir``; return index.html.

    Every file is written to a temporary file and moved into place: drill-down pages first,
    then the section pages that link to them, index.html last, so no page ever links to a
    page that is not there yet. ``last``: the last build (reports/drill_reuse.last): its drill
    pages that nothing changed are kept, any file this build would write with the same bytes is
    linked from it, and the site records what its drill pages were made from for the next build.
    ``shared``: the build's figures, read once for every writer (reports/shared_figures.py); alone, the
    site reads its own.
    """
    ctx = ReportContext(period, None, run_id)
    check_sections(sections.SECTIONS)
    shared = shared if shared is not None else SharedFigures(con)
    cover = shared.cover(ctx)
    out_dir = Path(out_dir)
    downloads = Downloads(out_dir, last.site if last is not None else None)
    (out_dir / ASSETS).mkdir(parents=True, exist_ok=True)
    _write_assets(downloads, out_dir / ASSETS)
    _write_stamp(downloads, out_dir / ASSETS, cover, run_id)

    pages = ([(INDEX, sections.SUMMARY.title)] + [(f"{sec.key}.html", sec.sheet) for sec in sections.SECTIONS]
             + [(partner_pages.INDEX, "Partners")])
    tables = [shared.table(sec, ctx) for sec in sections.SECTIONS]
    add_coverage_notes(tables, cover.submissions)
    summary_tables = [shared.table(b, ctx) for b in sections.SUMMARY.blocks]
    drill_set = drilldown.DrillSet(con)
    links = flag_links.FlagLinks(con)
    lines_behind: dict[int, drilldown.DrillPage] = {}       # id(row) -> its flag's drill-down page
    for sec, table in zip(sections.SECTIONS, tables):
        for part, t in [(sec, table)] + list(zip(sec.parts, table.parts)):
            if part.flag is None or part.flag.drill is None:
                continue
            for row in t.flagged_rows:
                page = drill_set.flagged(part, row)
                page.see_also = page.see_also or links.of_row(part.source, row.facts)
                lines_behind[id(row)] = page
                href = f"{DRILL}/{page.slug}.html"
                row.links["flag_text"] = href
                row.links[part.flag.drill.figure] = href
                _linked(page, f"{sec.key}.html", sec.sheet, part)
    figure_links.link_figures(drill_set, ctx, [
        (f"{sec.key}.html", sec.sheet, part, t)
        for sec, table in zip(sections.SECTIONS, tables) for part, t in [(sec, table)] + list(zip(sec.parts, table.parts))
    ] + [(INDEX, sections.SUMMARY.title, b, t) for b, t in zip(sections.SUMMARY.blocks, summary_tables)], DRILL)
    charts = {sec.key: {ch.key: shared.charts(part, ch, ctx) for part in (sec,) + sec.parts for ch in part.charts}
              for sec in sections.SECTIONS}
    blocks = {b.key: b for b in sections.SUMMARY.blocks}
    summary_charts = [(blocks[key], d) for key, ch in sections.SUMMARY.charts for d in shared.charts(blocks[key], ch, ctx)]
    chart_links.link_points(drill_set, ctx, [
        (f"{sec.key}.html", sec.sheet, part, d)
        for sec in sections.SECTIONS for part in (sec,) + sec.parts for ch in part.charts for d in charts[sec.key][ch.key]
    ] + [(INDEX, sections.SUMMARY.title, b, d) for b, d in summary_charts], DRILL)
    partners = partner_pages.partners(con, ctx)
    own: dict[str, list[tuple[Section, Table]]] = {}
    for p in partners:
        pctx = ReportContext(ctx.period, None, ctx.run_id, partner_id=p.partner_id)
        own[p.partner_id] = [(sec, shared.table(sec, pctx)) for sec in partner_pages.SECTIONS]
        figure_links.link_figures(drill_set, pctx, [(p.href, p.name, sec, table) for sec, table in own[p.partner_id]],
                                  DRILL, root="../")
    explain_set = figure_explain.ExplainSet(shared.reads, ctx.period, drill_set, statistics=True)
    explain_set.link([(f"{sec.key}.html", sec.sheet, part, t) for sec, table in zip(sections.SECTIONS, tables)
                      for part, t in [(sec, table)] + list(zip(sec.parts, table.parts))]
                     + [(INDEX, sections.SUMMARY.title, b, t) for b, t in zip(sections.SUMMARY.blocks, summary_tables)],
                     EXPLAIN)
    # a chart point repeating a figure of its section's table opens that figure's page (linked just above)
    for sec, table in zip(sections.SECTIONS, tables):
        for part, t in [(sec, table)] + list(zip(sec.parts, table.parts)):
            datas = [d for ch in part.charts for d in charts[sec.key][ch.key]]
            chart_sector_shares.link_shares(con, explain_set, ctx, part, t, datas, f"{sec.key}.html", sec.sheet)
            chart_running_totals.link_months(con, drill_set, explain_set, ctx, part, t, datas, f"{sec.key}.html",
                                             sec.sheet, DRILL)
            chart_table_links.link_to_table(part, t, datas, explain_set, f"{sec.key}.html", sec.sheet)
    for b, t in zip(sections.SUMMARY.blocks, summary_tables):
        chart_table_links.link_to_table(b, t, [d for block, d in summary_charts if block is b], explain_set, INDEX,
                                        sections.SUMMARY.title)
    # the register's amounts open the page of the same figure where the flag is raised (linked just above)
    flag_amounts.link_amounts([(part, t) for sec, table in zip(sections.SECTIONS, tables)
                               for part, t in [(sec, table)] + list(zip(sec.parts, table.parts))], links)
    # what shapes every drill page beside its own lines: the page around it, and the service lines'
    # names its breakdown shows (dim_service_line is not behind fct_ledger, so no source's inputs hold it)
    frame = _page(ctx, cover, "", pages, "", "", root="../", dated=False) \
        + repr(sorted(drill_set.service_line_names.items()))
    reuse = drill_reuse.plan(con, drill_set.registered, last, frame=frame) if last is not None else None
    if reuse is not None:
        drill_set.keep(reuse.kept)
    _link_partner_names(tables, partners)
    if drill_set.registered:
        (out_dir / DRILL).mkdir(exist_ok=True)
    if explain_set.pages:
        (out_dir / EXPLAIN).mkdir(exist_ok=True)
    # read and written one pass's pages at a time, each let go once written: the lines of every
    # page at once were the report job's largest Python holder (docs/scaling.md, "Memory: the report job")
    for page in drill_set.in_turn():
        if reuse is not None and page.slug in reuse.kept:
            downloads.keep(reuse.files_of(page))
            continue
        written = downloads.write_before(out_dir / DRILL / f"{page.slug}.html",
                                         _page(ctx, cover, "", pages, f"Ledger lines: {page.title}",
                                               _drill_body(ctx, page, downloads), root="../", dated=False))
        if reuse is not None:
            reuse.written(page, written)
        drill_set.let_go(page)
    if reuse is not None:
        downloads.put(out_dir / drill_reuse.RECORD, reuse.record())
    for page in explain_set.pages:
        downloads.write_before(out_dir / EXPLAIN / f"{page.slug}.html",
                               _page(ctx, cover, "", pages, f"How it is made: {page.title}",
                                     _explain_body(page), root="../", dated=False))
    for sec, table in zip(sections.SECTIONS, tables):
        body = _section_body(ctx, sec, table, charts[sec.key], lines_behind, downloads)
        downloads.write_before(out_dir / f"{sec.key}.html",
                               _page(ctx, cover, f"{sec.key}.html", pages, sec.title, body, filters=True))
    open_book = next((t for sec, t in zip(sections.SECTIONS, tables) if sec is sections.OPEN_BOOK), None)
    _write_partner_pages(con, ctx, cover, pages, out_dir, downloads, partners, own,
                         open_book.rows[-1].links.get("net_ytd") if open_book and open_book.rows else None)
    flags = flag_counts(list(zip(sections.SECTIONS, tables)))
    for row in flags.rows:
        if row.role == "detail":
            row.links["section"] = f"{row.hidden['section_key']}.html"
    body = _summary_body(
        ctx, cover,
        summary_tables, flags,
        [d for _, d in summary_charts], downloads,
        key_messages(cover, list(zip(sections.SECTIONS, tables))))
    index = out_dir / INDEX
    downloads.write_before(index, _page(ctx, cover, INDEX, pages, sections.SUMMARY.title, body, filters=True))
    return index


# ---------------------------------------------------------------------------
# Files
def _linked(page: drilldown.DrillPage, href: str, sheet: str, part: Section) -> None:
    where = (href, f"{sheet}: {part.flag.drill and next(v.label for v in part.values if v.key == part.flag.drill.figure)}")
    if where not in page.linked_from:
        page.linked_from.append(where)


def _write(path: Path, text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # on the descriptor, not through a file object and the path again: a site is some 5,600 files
        try:
            os.fchmod(fd, 0o644)         # mkstemp makes 0600; a published site must be readable
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:                          # os.write may write less than it is given
        view = view[os.write(fd, view):]


def _holds(path: Path, data: bytes) -> bool:
    """Whether the file at ``path`` holds exactly ``data``."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except FileNotFoundError:
        return False


def _link(source: Path, path: Path) -> None:
    """``path`` made the same file as ``source`` (a hard link: a file is never changed in place, only
    replaced), in one atomic step; a copy where the file system cannot link."""
    tmp = path.parent / f".{path.name}.{os.getpid()}.link"
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        _write(path, source.read_bytes())
        return
    os.replace(tmp, path)


def _write_assets(files: Downloads, assets: Path) -> None:
    # plotly.min.js is written once: left alone (or linked) when an identical copy is there
    files.put(assets / PLOTLY_JS, plotly.offline.get_plotlyjs().encode("utf-8"))
    for name in STATIC:
        files.put(assets / name, (TEMPLATES / name).read_bytes())


def _write_stamp(files: Downloads, assets: Path, cover: Cover, run_id: str) -> None:
    """The build's stamps, the one file of the site that differs between two builds of the same data:
    custom properties the pages show (openbook.css, and page.html's print stamp), read offline and
    without scripts."""
    produced = f.datetime_text(datetime.now(timezone.utc))
    build = (f" · run {run_id}" if run_id else "") + f" · produced {produced} UTC"
    files.put(assets / STAMP, "/* This build's stamps: every page of the site shows them from here. */\n"
                           ":root {\n"
                           f'  --data-as-at: "{f.css_string(f.datetime_text(cover.data_as_at) or "no submissions")}";\n'
                           f'  --build: "{f.css_string(build)}";\n'
                           "}\n")


# ---------------------------------------------------------------------------
# Page parts
# The filter bar (templates/filter-tables.js fills it) on the summary, section and partners pages; a drill
# page is one figure's lines and a partner's page one partner, so neither has one.
_FILTERS = ('<form id="filters" class="filters" hidden aria-label="Filters" onsubmit="return false">'
            '<p class="filter-notice" role="status"></p></form>\n')


@lru_cache(maxsize=1)
def _page_template() -> Template:
    """templates/page.html, read once by a process (a build writes some 3,700 pages): like the code, the
    report templates are what the process first saw (report_inputs.code_version says the same of both)."""
    return Template((TEMPLATES / "page.html").read_text(encoding="utf-8"))


def _page(ctx: ReportContext, cover: Cover, name: str, pages: list[tuple[str, str]],
          heading: str, body: str, root: str = "", filters: bool = False, dated: bool = True) -> str:
    """A page of the site. `dated`: the heading ends with the pack's month; a figure's page (its
    ledger lines, its working) is not, as its own title may end with a month ("· Oct 2025 — March
    2026" reads as a range), and the line under the heading names the pack's month anyway."""
    nav = "".join(
        f'<li><a href="{f.html_text(root + href)}"'
        + (' aria-current="page"' if href == name else "")
        + f">{f.html_text(title)}</a></li>" for href, title in pages)
    # the data-as-at, run and time produced come from the build's stamp file (_write_stamp)
    meta = (f"{f.html_text(f.systems_label(cover.systems))} · {f.html_text(ctx.month)} "
            f"(month {ctx.fy_month} of {f.html_text(ctx.fy)}) · data as at "
            '<span class="stamp-data-as-at"></span>')
    footer = (f"{f.html_text(ctx.title)} · mental-health expenditure in £: gross as each partner "
              f"booked it, net of payments between partners that send their own ledgers"
              '<span class="stamp-build"></span>')
    return _page_template().substitute(
        title=f.html_text(f"{heading} — {ctx.title}"),
        heading=f.html_text(f"{heading} — {ctx.month}" if dated else heading),
        meta=meta, nav=nav, body=body, footer=footer, root=f.html_text(root),
        filters=_FILTERS if filters else "",
        stamp=f.css_string(f"{heading} · {f.systems_label(cover.systems)} · {ctx.month} (month {ctx.fy_month} "
                           f"of {ctx.fy})"))


def _num_cell(value: Any, fmt: str, href: str | None = None) -> str:
    if value is None:
        return '<td class="num" data-v=""></td>'
    text = f.html_text(f.number_text(value, fmt))
    # only a bracketed figure can be a negative one shown red: the sign is asked of those alone
    neg = " neg" if text.startswith("(") and f.as_decimal(value) < 0 else ""
    if href:
        what = "How this figure is made" if href.startswith(f"{EXPLAIN}/") else "The ledger lines behind this figure"
        text = f'<a href="{f.html_text(href)}" title="{what}">{text}</a>'
    return f'<td class="num{neg}" data-v="{f.html_text(value)}">{text}</td>'


def _text_attrs(col: Column) -> tuple[str, Callable[[Any], str] | None]:
    """The attributes of a label column's cells: fixed, or (a month, a kind) made from each cell's raw
    value by the function returned with them. Decided once per column."""
    fixed = (' class="prose lines"' if col.fmt == "sample"      # a check's failing values: one line per record
             else ' class="prose"' if col.prose else "")
    if col.fmt == "period":
        return fixed, lambda raw: f' class="nowrap" data-v="{f.html_text(raw)}"' if isinstance(raw, str) else fixed
    if col.fmt in ("partner_kind", "sector", "funding_stream"):
        fmt = col.fmt
        return fixed, lambda raw: f' data-v="{f.sort_key(raw, fmt)[1]}"' if isinstance(raw, str) else fixed
    return fixed, None


def _text_cells(col: Column) -> Callable[[Row], str]:
    """The renderer of a label column's cells (its text escaped, its link if the row has one)."""
    key = col.key
    fixed, attrs_of = _text_attrs(col)

    def cell(row: Row) -> str:
        text = f.html_text(row.text(col))
        href = row.links.get(key)
        if href and key == "flag_text":
            text += (f' <a class="drill" href="{f.html_text(href)}">The ledger lines behind it '
                     '<span aria-hidden="true">→</span></a>')
        elif href:
            text = f'<a href="{f.html_text(href)}">{text}</a>'
        return f"<td{fixed if attrs_of is None else attrs_of(row.values.get(key))}>{text}</td>"
    return cell


def _datetime_cell(value: Any) -> str:
    if value is None:
        return '<td class="num" data-v=""></td>'
    return (f'<td class="num" data-v="{f.html_text(value.isoformat())}">'
            f"{f.html_text(f.datetime_text(value))}</td>")


def _column_cells(col: Column) -> Callable[[Row], str]:
    """The renderer of one column's cells, chosen once per table rather than once per cell (the site
    renders some 130,000 rows: the format's branches, asked per cell, were a good part of their cost)."""
    key = col.key
    if col.fmt == "datetime":
        return lambda row: _datetime_cell(row.values.get(key))
    if col.is_value:
        fmt = col.fmt
        return lambda row: _num_cell(row.values.get(key), fmt, row.links.get(key))
    return _text_cells(col)


def _row_html(row: Row, cells: list[Callable[[Row], str]], outer_levels: set[int], index: int) -> str:
    """A row of a table; ``cells``: the renderers of its columns (_column_cells)."""
    cls = ""
    if row.role == "subtotal":
        cls = ' class="subtotal outer"' if row.level in outer_levels else ' class="subtotal"'
    elif row.role == "total":
        cls = ' class="total"'
    elif row.flagged:
        cls = ' class="flagged"'
    return f'<tr{cls} data-i="{index}">{"".join([cell(row) for cell in cells])}</tr>'


def _sentences(table: Table, col: Column) -> bool:
    """A column of sentences (a budget's position in words), not of a few words: the middle of its rows says
    60 characters or more. A compact table gives it more room than its other text (openbook.css)."""
    if not col.prose:
        return False
    lengths = sorted(len(row.text(col) or "") for row in table.rows if row.role == "detail")
    return bool(lengths) and lengths[len(lengths) // 2] >= 60


def table_html(table: Table, *, caption: str = "", sortable: bool = True,
               dims: dict[str, str] | None = None) -> str:
    """A table; sortable by its headers, each subtotal group sorted within itself. ``dims``: the
    filter each column key answers to, when not the site's FILTER_DIMS (a chart's figures)."""
    dims = FILTER_DIMS if dims is None else dims
    heads = []
    for col in table.columns:
        num = col.is_value or col.fmt == "datetime"
        label = f.html_text(col.label)
        inner = f'<button type="button">{label}</button>' if sortable else label
        num_cls = ' class="num"' if num else ' class="sentences"' if _sentences(table, col) else ""
        sort_attr = ' aria-sort="none"' if sortable else ""
        if col.key in dims and not col.is_value:
            sort_attr += f' data-dim="{dims[col.key]}"'
        elif col.is_value and col.fmt in SUMMABLE:
            sort_attr += f' data-sum="{col.fmt}"'
        # a column per system, partner or month is one value of a filter, and a filter on another
        # value hides it, with the Total column adding them (filter-tables.js)
        if col.series in FILTER_DIMS:
            sort_attr += f' data-series="{FILTER_DIMS[col.series]}" data-value="{f.html_text(col.label)}"'
        elif col.across in FILTER_DIMS:
            sort_attr += f' data-across="{FILTER_DIMS[col.across]}"'
        heads.append(f'<th scope="col"{num_cls}{sort_attr}>{inner}</th>')
    levels = sorted({r.level for r in table.rows if r.role == "subtotal"})
    outer = set(levels[:-1])
    cells = [_column_cells(col) for col in table.columns]
    bodies, current, footer = [], [], []
    for i, row in enumerate(table.rows):
        if row.role == "total":
            footer.append(_row_html(row, cells, outer, i))
            continue
        current.append(_row_html(row, cells, outer, i))
        nxt = table.rows[i + 1] if i + 1 < len(table.rows) else None
        if row.role == "subtotal" and (nxt is None or nxt.role == "detail"):
            bodies.append(current)
            current = []
    if current:
        bodies.append(current)
    cls = ' class="sortable"' if sortable else ""
    cap = f"<caption>{f.html_text(caption)}</caption>" if caption else ""
    # a table of many columns is set compact (openbook.css: .wide) so it fits a 1400-pixel window
    wrap = "table-wrap wide" if len(table.columns) >= WIDE_COLUMNS else "table-wrap"
    html = [f'<div class="{wrap}"><table{cls}>{cap}<thead><tr>{"".join(heads)}</tr></thead>']
    html += [f"<tbody>{''.join(b)}</tbody>" for b in bodies] or ["<tbody></tbody>"]
    if footer:
        html.append(f"<tfoot>{''.join(footer)}</tfoot>")
    html.append("</table></div>")
    return "".join(html)


# ---------------------------------------------------------------------------
# Charts
def _colours(data: ChartData) -> list[str]:
    out = []
    for i, (sv, _) in enumerate(data.series):
        series = data.chart.series
        if series is not None and series.fmt == "partner_kind" and sv in f.KIND_COLOURS:
            out.append(f.KIND_COLOURS[sv])
        elif series is not None and series.fmt == "sector" and sv in f.SECTORS:
            out.append(f.OKABE_ITO[list(f.SECTORS).index(sv)])
        else:
            out.append(f.OKABE_ITO[i % len(f.OKABE_ITO)])
    return out


def _layout(fig: go.Figure, data, height: int, *, legend: bool, **more) -> None:
    fig.update_layout(
        template="none",
        font=dict(family=_FONT, size=13, color="#212B32"),
        title=dict(text=f.plotly_text(data.title), x=0, xanchor="left", font=dict(size=16)),
        paper_bgcolor="white", plot_bgcolor="white", height=height,
        margin=dict(l=10, r=20, t=56, b=10),
        # under the plot, at the foot of the figure (the margin grows to fit it): above the plot, a
        # legend of more than one row ran into the chart's title
        legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0, xanchor="left",
                    traceorder="normal"),
        showlegend=legend,
        hoverlabel=dict(font=dict(family="Arial, sans-serif")),
        **more)


def _figure_html(fig: go.Figure, data, height: int, figures: Table) -> str:
    div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{data.key}",
                      config=_PLOT_CONFIG, default_height=f"{height}px", default_width="100%")
    # plotly.min.js (3.5 MB) loads deferred so the page's words and tables paint first (about
    # 0.5 s instead of 1.5-4 s, bench/site_bench.py); each chart is drawn once it has loaded
    div, found = _PLOT_SCRIPT.subn(lambda m: f'<script>document.addEventListener("DOMContentLoaded", function () {{'
                                            f"{m.group(1)}}});</script>", div)
    if found != 1:      # a plotly whose output changed: a chart would call Plotly before it loads
        raise RuntimeError(f"chart {data.key}: plotly's drawing script not found in its HTML")
    if getattr(data, "links", None):
        div = div.replace("});</script>", _CLICK_TO_LINES.replace("$id", f"chart-{data.key}") + "});</script>", 1)
    if data.chart.value.fmt in ("money", "money2"):
        div = div.replace("});</script>", MONEY_TICKS_JS.replace("$id", f"chart-{data.key}") + "});</script>", 1)
    # what of the chart the page's filters reach (reports/site_filters.py), read by filter-tables.js
    return (f'<figure class="chart-block"><div class="chart" role="img" '
            f'aria-label="{f.html_text(data.title)}" data-filter="{f.html_text(json.dumps(chart_spec(data)))}">'
            f'{div}</div></figure>'
            + table_html(figures, caption="The figures behind this chart", dims=figures_dims(data)))


def chart_html(data: ChartData | FunnelData) -> str:
    """A plotly chart (no script include) followed by the figures behind it."""
    if data.chart.kind == "funnel":
        return _funnel_html(data)
    if data.chart.kind == "waterfall":
        return _waterfall_html(data)
    c = data.chart
    horizontal = c.kind in ("hbar", "stacked_hbar")
    cats = [f.plotly_text(x) for x in data.x_labels()]
    fig = go.Figure()
    for j, ((sv, values), colour) in enumerate(zip(data.series, _colours(data))):
        name = f.plotly_text(data.series_label(sv))
        fmt = sv.fmt if isinstance(sv, Measure) else c.value.fmt
        nums = [float(v) for v in values]
        # each point's text as shown and the page of the lines or working behind it (a click opens it)
        custom = [[f.plotly_text(f.number_text(v, fmt)), data.links.get((j, i), "")] for i, v in enumerate(values)]
        common = dict(name=name, customdata=custom, marker_color=colour,
                      hovertemplate=("%{y}" if horizontal else "%{x}")
                      + "<br>" + name + ": %{customdata[0]}" + _click_hint([h for _, h in custom if h])
                      + "<extra></extra>")
        if c.kind == "line":
            fig.add_trace(go.Scatter(x=cats, y=nums, mode="lines+markers", line_color=colour, **common))
        elif horizontal:
            fig.add_trace(go.Bar(y=cats, x=nums, orientation="h", **common))
        else:
            fig.add_trace(go.Bar(x=cats, y=nums, **common))
    stacked = c.kind.startswith("stacked")
    more = {"range": [0, 100]} if stacked and c.value.fmt == "pct" else {}
    zero = all_zero(data.series)
    if zero:
        more = zero_axis(c.value.fmt)
    v_axis = value_axis(c.y_title, c.value.fmt, top(data.series, stacked), **more)
    cat_axis = dict(title=axis_title(c.x_title), automargin=True, type="category",
                    linecolor=MUTED)
    n = len(cats)
    least, base, per = HBAR_HEIGHT
    height = max(least, base + per * n) if horizontal else 420
    if horizontal:
        cat_axis["autorange"] = "reversed"
    _layout(fig, data, height, legend=len(data.series) > 1 or c.series is not None,
            barmode="stack" if c.kind.startswith("stacked") else "group",
            xaxis=v_axis if horizontal else cat_axis,
            yaxis=cat_axis if horizontal else v_axis,
            annotations=[zero_note(c.value.fmt)] if zero else [])
    return _figure_html(fig, data, height, data.as_table())


def _click_hint(hrefs: list[str]) -> str:
    """What a click on a series' points opens, for their hover text: their lines, their working, or either."""
    if not hrefs:
        return ""
    kinds = {h.startswith(f"{EXPLAIN}/") for h in hrefs}
    what = "how it is made" if kinds == {True} else "the ledger lines" if kinds == {False} else \
        "the lines or working behind it"
    return f"<br><i>Click for {what}</i>"


def _waterfall_html(data: ChartData) -> str:
    """Gross spend, the eliminations taken off it, net spend."""
    c = data.chart
    values = data.series[0][1]
    labels = [f.plotly_text(x) for x in data.x_labels()]
    shown = [f.plotly_text(f.number_text(v, c.value.fmt)) for v in values]
    measure = ["absolute" if i == 0 else "total" if k == "total" else "relative"
               for i, k in enumerate(data.steps)]
    # each bar's text as shown and the page behind it (a click opens it: the lines, or a step's page)
    custom = [[s, data.links.get((0, i), "")] for i, s in enumerate(shown)]
    fig = go.Figure(go.Waterfall(
        x=labels, y=[float(v) if m != "total" else 0.0 for v, m in zip(values, measure)],
        measure=measure, text=shown, textposition="outside", customdata=custom,
        hovertemplate="%{x}: %{customdata[0]}" + _click_hint([h for _, h in custom if h]) + "<extra></extra>",
        connector=dict(line=dict(color=MUTED, width=1)),
        decreasing=dict(marker=dict(color=f.OKABE_ITO[5])),     # vermillion: taken off
        increasing=dict(marker=dict(color=f.OKABE_ITO[2])),
        totals=dict(marker=dict(color=f.OKABE_ITO[0]))))
    top = max(float(v) for v in values) if values else 0.0
    # a step of a few thousand pounds beside hundreds of millions is a sliver no pointer can find: the hover (and
    # the click) take the bar of the column under the pointer, wherever it is in the column
    _layout(fig, data, 460, legend=False, hovermode="x",
            xaxis=dict(title=axis_title(c.x_title), automargin=True, type="category",
                       linecolor=MUTED),
            yaxis=value_axis(c.y_title, c.value.fmt, range=[0, top * 1.15 if top > 0 else 1]))
    return _figure_html(fig, data, 460, data.as_table())


def _funnel_html(data: FunnelData) -> str:
    """Each place's rate against its population, the pooled rate and each place's own 95% / 99.8%
    limits (against its peers, joined in order of population); places above or below their peers'
    limits are marked and named."""
    c, fn = data.chart, data.chart.funnel
    fig = go.Figure()
    styles = {"pooled": ("Pooled rate", f.OKABE_ITO[6], "solid"), "upper_95": ("95% limits", f.OKABE_ITO[1], "dash"),
              "lower_95": ("95% limits", f.OKABE_ITO[1], "dash"),
              "upper_998": ("99.8% limits", f.OKABE_ITO[5], "dot"),
              "lower_998": ("99.8% limits", f.OKABE_ITO[5], "dot")}
    legend_done: set[str] = set()
    for name in ("pooled", "upper_95", "lower_95", "upper_998", "lower_998"):
        curve = data.curves.get(name)
        if not curve:
            continue
        label, colour, dash = styles[name]
        fig.add_trace(go.Scatter(
            x=[x for x, _ in curve], y=[y for _, y in curve], mode="lines+markers" if name != "pooled" else "lines",
            name=label, marker=dict(symbol="line-ew-open", size=10, color=colour),
            legendgroup=label, showlegend=label not in legend_done, hoverinfo="skip",
            line=dict(color=colour, dash=dash, width=1.5)))
        legend_done.add(label)
    for outside in (False, True):
        pts = [(i, p) for i, p in enumerate(data.points) if (p.flag not in (None, "none")) == outside]
        if not pts:
            continue
        colour = f.OKABE_ITO[5] if outside else f.OKABE_ITO[0]
        # a place's label, the page of its rate's working (a click opens it), its population, rate and flag
        custom = [[f.plotly_text(p.label), data.links.get((i, "v"), ""), f.plotly_text(f.int_text(p.denominator)),
                   f.plotly_text(f.money2_text(p.rate)), f.plotly_text(f.label(p.flag, "code"))] for i, p in pts]
        pts = [p for _, p in pts]
        fig.add_trace(go.Scatter(
            x=[float(p.denominator) for p in pts], y=[float(p.rate) for p in pts],
            mode="markers+text" if outside else "markers",
            text=[f.plotly_text(p.label) for p in pts] if outside else None,
            textposition="top center",
            name="Above or below peers" if outside else "Places",
            marker=dict(color=colour, size=12 if outside else 10, symbol="diamond" if outside else "circle",
                        line=dict(color="white", width=1)),
            customdata=custom,
            hovertemplate=("%{customdata[0]}<br>" + f.plotly_text(fn.denominator_label)
                           + ": %{customdata[2]}<br>%{customdata[3]} per head<br>%{customdata[4]}"
                           + _click_hint([c[1] for c in custom if c[1]]) + "<extra></extra>")))
    ys = [float(p.rate) for p in data.points] + [y for cv in data.curves.values() for _, y in cv]
    lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
    pad = (hi - lo) * 0.12 or 1.0
    _layout(fig, data, 460, legend=True,
            xaxis=dict(title=axis_title(c.x_title), automargin=True, tickformat=",",
                       gridcolor=GRID, linecolor=MUTED, zeroline=False),
            yaxis=value_axis(c.y_title, c.value.fmt, range=[max(lo - pad, 0), hi + pad], zeroline=False))
    return _figure_html(fig, data, 460, data.as_table())


# ---------------------------------------------------------------------------
# Pages
def _chart_panel(data: ChartData | FunnelData, downloads: Downloads | None) -> str:
    """A chart, the figures behind it and (with ``downloads``) their CSV file."""
    link = f'<p class="note">{downloads.link(data.as_table(), f"chart-{data.key}", filterable=True)}</p>' \
        if downloads else ""
    return f'<section class="panel">{chart_html(data)}{link}</section>'


def _charts_html(datas: list, downloads: Downloads | None = None) -> list[str]:
    out = []
    for data in datas:
        if data.series:
            out.append(_chart_panel(data, downloads))
        else:
            out.append(f'<section class="panel"><p class="note">No figures for '
                       f"{f.html_text(data.title)}.</p></section>")
    return out


def _flags_html(section: Section, table: Table, lines_behind: dict[int, drilldown.DrillPage]) -> str:
    """A flagged table's flags in words, each with a link to the ledger lines behind it."""
    if section.flag is None:
        return ""
    rows = table.flagged_rows
    label = f.html_text(section.flag.label)
    if not rows:
        return f'<p class="note">No flags this month (this page flags: {label}).</p>'
    items = []
    for row in rows:
        page = lines_behind.get(id(row))
        link = ""
        if page is not None:
            n = page.line_count
            link = (f' <a class="drill" href="{DRILL}/{f.html_text(page.slug)}.html">The {n:,} ledger '
                    f'line{"s" if n != 1 else ""} behind it <span aria-hidden="true">→</span></a>')
        items.append(f"<li>{f.html_text(row.values.get('flag_text'))}{link}</li>")
    n = len(rows)
    return (f'<div class="flag-list"><h3>{n} flag{"s" if n != 1 else ""}: {label}</h3>'
            f'<ul>{"".join(items)}</ul><p class="note">Flagged rows are shaded in the table below; '
            "a flagged figure links to its ledger lines too.</p></div>")


def _without_flag_column(table: Table) -> Table:
    """The table as shown on its page: the flags are listed above it in words instead."""
    return Table(table.key, table.title, [c for c in table.columns if c.key != "flag_text"], table.rows,
                   table.description, table.section)


def _section_body(ctx: ReportContext, sec: Section, table: Table, charts: dict[str, list],
                  lines_behind: dict[int, drilldown.DrillPage] | None = None,
                  downloads: Downloads | None = None) -> str:
    lines_behind = lines_behind or {}
    out = ['<section class="panel">', f"<h2>{f.html_text(sec.title)}</h2>"]
    if sec.description:
        out.append(f'<p class="lede">{f.html_text(sec.description)}</p>')
    out.append(_flags_html(sec, table, lines_behind))
    if table.rows:
        out.append(table_html(_without_flag_column(table), caption=sec.title))
        out.append('<p class="note">Click a column heading to sort; subtotals stay with their '
                   'group. Negative figures (credits) are in brackets.'
                   + (f" {downloads.link(table, sec.key, filterable=True)}" if downloads else "") + "</p>")
        if table.note:
            out.append(f'<p class="note coverage-note">{f.html_text(table.note)}</p>')
    else:
        out.append(f'<p class="note">No figures for {f.html_text(ctx.month)}.</p>')
    out.append("</section>")
    out += _charts_html([d for ch in sec.charts for d in charts.get(ch.key, [])], downloads)
    for part, t in zip(sec.parts, table.parts):
        out.append(f'<section class="panel" id="{f.html_text(part.key)}">'
                   f"<h2>{f.html_text(part.title)}</h2>")
        if part.description:
            out.append(f'<p class="lede">{f.html_text(part.description)}</p>')
        out.append(_flags_html(part, t, lines_behind))
        out.append(table_html(_without_flag_column(t), caption=part.title) if t.rows else
                   f'<p class="note">No figures for {f.html_text(ctx.month)}.</p>')
        if t.rows and downloads:
            out.append(f'<p class="note">{downloads.link(t, f"{sec.key}-{part.key}", filterable=True)}</p>')
        out.append("</section>")
        out += _charts_html([d for ch in part.charts for d in charts.get(ch.key, [])], downloads)
    return "\n".join(out)


def _link_partner_names(tables: list[Table], found: list[partner_pages.Partner]) -> None:
    """A partner's name in a section table opens the partner's own page (names, not ids, are what
    the tables hold; a name two partners share links to neither)."""
    by_name: dict[str, str | None] = {}
    for partner in found:
        by_name[partner.name] = None if partner.name in by_name else partner.href
    for table in tables:
        for t in [table] + list(table.parts):
            for row in t.rows:
                href = by_name.get(row.values.get("partner_name"))
                if href and row.role == "detail" and "partner_name" not in row.links:
                    row.links["partner_name"] = href


def _write_partner_pages(con: duckdb.DuckDBPyConnection, ctx: ReportContext, cover: Cover,
                         pages: list[tuple[str, str]], out_dir: Path, downloads: Downloads,
                         found: list[partner_pages.Partner],
                         own: dict[str, list[tuple[Section, Table]]], open_book_total: str | None) -> None:
    """A page per partner (``own``: its sections' tables), then the page listing them (which links
    to them; ``open_book_total``: the page of every partner's net spend to date, the open book's total)."""
    (out_dir / partner_pages.FOLDER).mkdir(exist_ok=True)
    for partner in found:
        out = ['<section class="panel">', f"<h2>{f.html_text(partner.name)}</h2>",
               f'<p class="lede">{f.html_text(f.label(partner.kind, "partner_kind"))} '
               f"{f.html_text(partner.where())}: its own figures for {f.html_text(ctx.month)} and "
               f"the financial year {f.html_text(ctx.fy)} to date. Mental-health expenditure in £.</p></section>"]
        for sec, table in own[partner.partner_id]:
            out.append(f'<section class="panel"><h2>{f.html_text(sec.title)}</h2>'
                       f'<p class="lede">{f.html_text(sec.description)}</p>')
            out.append(table_html(table, caption=sec.title) +
                       f'<p class="note">{downloads.link(table, f"{partner.partner_id}-{sec.key}", root="../")}</p>'
                       if table.rows else '<p class="note">No spend this financial year.</p>')
            out.append("</section>")
        subs = submissions_table([x for x in cover.submissions if x.partner_id == partner.partner_id],
                                   with_period=True)
        out.append('<section class="panel"><h2>Submissions</h2><p class="lede">The files these figures rest on, '
                   "with what each lists and how far its ledger runs.</p>")
        out.append(table_html(subs, caption="Submissions") + f'<p class="note">'
                   f'{downloads.link(subs, f"{partner.partner_id}-submissions", root="../")}</p>'
                   if subs.rows else '<p class="note">No submission this financial year.</p>')
        out.append("</section>")
        downloads.write_before(out_dir / partner.href,
                               _page(ctx, cover, "", pages, partner.name, "\n".join(out), root="../"))
    # each partner's net spend to date opens the lines of its own page's total; every partner's, the open book's
    net_links = {p.partner_id: _own_link(t, "net_ytd") for p in found for sec, t in own[p.partner_id]
                 if sec is partner_pages.SPEND}
    listing = partner_pages.partner_list(con, ctx, found, net_links, open_book_total)
    body = ('<section class="panel"><h2>Partners</h2><p class="lede">Every partner with mental-health spend this '
            "financial year, with its net spend to date; each name opens the partner's own page.</p>"
            + table_html(listing, caption="Partners")
            + f'<p class="note">{downloads.link(listing, "partners", filterable=True)}</p></section>')
    downloads.write_before(out_dir / partner_pages.INDEX,
                           _page(ctx, cover, partner_pages.INDEX, pages, "Partners", body, filters=True))


def _own_link(table: Table, key: str) -> str | None:
    """The link of a partner page's table's whole (its total, or its one row), as the partners page writes it:
    from the site's root, not one folder down."""
    rows = table.rows
    whole = rows[-1] if rows and rows[-1].role == "total" else rows[0] if len(rows) == 1 else None
    link = whole.links.get(key) if whole is not None else None
    return link.removeprefix("../") if link else None


def _drill_body(ctx: ReportContext, page: drilldown.DrillPage, downloads: Downloads | None = None) -> str:
    """The ledger lines behind a flagged figure, with the sums that reconcile them to it."""
    money = lambda v: f.html_text(f.money2_text(v))                     # noqa: E731
    sec = page.section
    owner = _owner(sec)
    back = f"../{owner.key}.html" + ("" if owner is sec else f"#{sec.key}")
    back_name = owner.sheet
    if page.linked_from:               # the first page linking here (a summary block is on index.html)
        href, label = page.linked_from[0]
        back, back_name = "../" + href + ("" if owner is sec or href == INDEX else f"#{sec.key}"), \
            label.split(": ", 1)[0]
    out = ['<section class="panel">', f"<h2>{f.html_text(page.title)}</h2>"]
    if page.flag_text:
        out.append(f'<p class="lede">{f.html_text(page.flag_text)}</p>')
    diff = (page.line_total - page.figure) if page.figure is not None else None
    out.append('<table class="reconcile"><tbody>')
    out.append(f'<tr><th scope="row">{f.html_text(page.figure_label)} on the '
               f'<a href="{f.html_text(back)}">{f.html_text(back_name)}</a> page</th>'
               f'<td class="num" data-role="figure" data-v="{f.html_text(page.figure)}">{money(page.figure)}</td></tr>')
    out.append(f'<tr><th scope="row">The {page.line_count:,} ledger line{"s" if page.line_count != 1 else ""} '
               f'behind it add up to</th><td class="num" data-role="lines-total" data-v="{f.html_text(page.line_total)}">'
               f'{money(page.line_total)}</td></tr>')
    shown = len(page.lines)
    out.append(f'<tr><th scope="row">{"All" if not page.not_shown else "The largest"} {shown:,} '
               f'line{"s" if shown != 1 else ""}, listed below</th><td class="num">{money(page.shown_total)}</td></tr>')
    if page.not_shown:
        out.append(f'<tr><th scope="row">{page.not_shown:,} smaller line{"s" if page.not_shown != 1 else ""} '
                   f'not shown</th><td class="num" data-role="not-shown" data-v="{f.html_text(page.not_shown_total)}">'
                   f'{money(page.not_shown_total)}</td></tr>')
    out.append("</tbody></table>")
    out.append(drill_html.reconciliation_html(
        page.reconciles, "The lines reconcile to the figure to the penny.",
        f"The lines differ from the figure by {money(diff)}: the figure and the ledger should be checked."
        if not page.reconciles else ""))
    out.append("</section>")
    out.append(drill_html.see_also_html(page))
    out.append(drill_html.breakdowns_html(page, table_html))
    cols = [Column("partner", "Partner", "text", False), Column("period", "Month", "period", False),
            Column("cost_centre", "Cost centre", "text", False),
            Column("counterparty", "Counterparty", "text", False, blank=""),
            Column("description", "Description", "text", False, blank=""),
            Column("line_type", "Line", "code", False),
            Column("amount", "Amount", "money2", True),
            Column("file", "Source file", "text", False), Column("row", "Row", "int", True),
            Column("load_id", "Load id", "text", False)]
    rows = [Row({"partner": x.partner_name, "period": x.period, "cost_centre": x.cost_centre,
                   "counterparty": x.counterparty, "description": x.description, "line_type": x.line_type,
                   "amount": x.amount, "file": x.file_name, "row": x.source_row, "load_id": x.load_id})
            for x in page.lines]
    if rows:
        rows.append(Row({"partner": _Label("Lines shown"), "amount": page.shown_total}, "total"))
    caption = (f"The {shown:,} ledger lines, largest first" if not page.not_shown else
               f"The largest {shown:,} of {page.line_count:,} ledger lines")
    out.append('<section class="panel" id="lines">')
    lines = Table("lines", caption, cols, rows)
    out.append(table_html(lines, caption=caption) if page.lines
               else '<p class="note">No ledger lines: the figure has none behind it in the ledgers loaded.</p>')
    if page.lines and downloads:
        out.append(f'<p class="note">{downloads.link(lines, f"drill-{page.slug}", root="../")}</p>')
    out.append('<p class="note">Amounts as in the partner\'s ledger: positive is money going out, negative '
               'money coming in. Source file and row locate each line in the file the partner sent; the '
               'load id is the submission it came from.</p>')
    out.append(f'<p><a href="{f.html_text(back)}">Back to {f.html_text(owner.title)}</a></p>')
    out.append("</section>")
    return "\n".join(out)


def _explain_body(page: figure_explain.ExplainPage) -> str:
    """How a figure that is not a sum of ledger lines is made (reports/figure_explain.py)."""
    sec = page.section
    owner = _owner(sec)
    # the first page of the site linking here; a working that is only a term of others' goes back to its section
    href = next((h for h, _ in page.linked_from if not h.startswith(f"{EXPLAIN}/")), f"{owner.key}.html")
    back = "../" + href + ("" if owner is sec else f"#{sec.key}")
    return "\n".join([explain_html.arithmetic_html(page, back, owner.sheet),
                      explain_html.reference_html(page, table_html),
                      f'<p><a href="{f.html_text(back)}">Back to {f.html_text(owner.title)}</a></p>'])


def _owner(section: Section) -> Section:
    """The page a section (or a part) is on."""
    return next((sec for sec in sections.SECTIONS if sec is section or section in sec.parts), section)


def _submissions_html(ctx: ReportContext, cover: Cover, downloads: Downloads | None = None) -> str:
    def table(subs: list[Submission], caption: str, name: str) -> str:
        subs_table = submissions_table(subs, with_period=True, with_rows_read=False)
        link = f'<p class="note">{downloads.link(subs_table, name, filterable=True)}</p>' if downloads else ""
        return table_html(subs_table, caption=caption) + link

    out = ['<section class="panel" id="submissions">',
           "<h2>Submissions these figures rest on</h2>",
           '<p class="lede">Only submissions that passed their data-quality checks are in the '
           "figures.</p>"]
    if cover.this_month:
        out.append(table(cover.this_month, f"Submissions for {ctx.month}", "submissions"))
    else:
        out.append(f'<p class="warn">No submission has been loaded for {f.html_text(ctx.month)}.</p>')
    if cover.missing:
        out.append(f'<p class="warn">Not received for {f.html_text(ctx.month)}: '
                   f"{f.html_text(', '.join(cover.missing))}</p>")
    if cover.earlier:
        out.append(f"<details><summary>{len(cover.earlier)} earlier submission"
                   f"{'s' if len(cover.earlier) != 1 else ''} behind the year-to-date and "
                   f"movement figures</summary>{table(cover.earlier, 'Earlier submissions', 'submissions-earlier')}"
                   "</details>")
    out.append("</section>")
    return "\n".join(out)


def _key_messages_html(messages: list[Message]) -> str:
    items = "".join(
        f'<li><span class="rag rag-{f.html_text(m.rag.lower())}">{f.html_text(m.rag)}</span> '
        f"<strong>{f.html_text(m.topic)}:</strong> {f.html_text(m.text)}"
        + (f' <a href="{f.html_text(m.page)}.html">See the page</a>' if m.page else "") + "</li>"
        for m in messages)
    return (f'<section class="panel" id="key-messages"><h2>Key messages</h2><ul class="messages">{items}</ul>'
            f'<p class="note">{f.html_text(TOLERANCES)}</p></section>')


def _summary_body(ctx: ReportContext, cover: Cover, tables: list[Table], flags: Table,
                  charts: list[ChartData], downloads: Downloads | None = None,
                  messages: list[Message] = ()) -> str:
    out = [_key_messages_html(messages)] if messages else []
    out += ['<section class="panel">', "<h2>Headline figures</h2>",
           f'<p class="lede">Mental-health expenditure in £ for {f.html_text(ctx.month)} and the financial '
           f"year {f.html_text(ctx.fy)} to date. {f.html_text(sections.SUMMARY.description)} Movement is "
           f"{f.html_text(ctx.month)} against {f.html_text(f.month_label(ctx.prev_period))}.</p>",
           ]
    for block, table in zip(sections.SUMMARY.blocks, tables):
        empty = "" if table.rows else f'<p class="note">No figures for {f.html_text(ctx.month)}.</p>'
        csv_link = f'<p class="note">{downloads.link(table, f"summary-{block.key}", filterable=True)}</p>' \
            if table.rows and downloads else ""
        out.append(f'<div class="block">{table_html(table, caption=block.title)}{empty}{csv_link}</div>')
        if block.key == sections.SUMMARY.flags_after:
            flags_csv = f" {downloads.link(flags, 'summary-flags', filterable=True)}" if downloads and flags.rows else ""
            out.append(f'<div class="block" id="flags">{table_html(flags, caption=flags.title)}'
                       f'<p class="note">{f.html_text(flags.description)}{flags_csv}</p></div>')
    out.append("</section>")
    for data in charts:
        if data.series:
            out.append(_chart_panel(data, downloads))
    out.append('<section class="panel"><h2>Sections</h2><ul class="pages">'
               + "".join(f'<li><a href="{f.html_text(sec.key)}.html">{f.html_text(sec.title)}</a>'
                         f" — {f.html_text(sec.description)}</li>" for sec in sections.SECTIONS)
               + "</ul></section>")
    out.append(_submissions_html(ctx, cover, downloads))
    return "\n".join(out)
