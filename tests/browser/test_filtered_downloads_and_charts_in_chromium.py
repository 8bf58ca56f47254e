"""The site's filters reach the CSV downloads and the charts, in a real headless Chromium opened
from file:// addresses with the filter in the fragment, as a shared link would open.

Expected figures come from the files as written, never from the page's script: a filtered CSV is
the static CSV file's heading and its detail rows whose System (or Partner, Month...) column holds
the filter's value, picked out here with Python's csv module; a filtered chart is the figure as
written into the page (plotly's JSON, parsed here) cut down to the categories and traces that name
the system, and a chart drawn for the other system is hidden. A table with a column per system
(the summary's figures by system, the figures under a chart with a series per system) keeps the
filtered system's column: its file loses the other system's column and the Total adding both."""
from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from urllib.parse import quote_plus, unquote

import pytest


pytestmark = pytest.mark.browser

SYSTEM, OTHER = "North Weald ICS", "South Fen ICS"
BOM = "\ufeff"
TOTAL = "Total"
# the CSV headings of the columns each filter reads (the site's FILTER_DIMS, as labelled)
HEADINGS = {"system": ("System",), "partner": ("Partner", "ICB", "Lead provider"),
            "month": ("Month", "Period", "As at"), "service_line": ("Service line",)}
# each CSV link, whether it is on screen (not hidden with its chart) and the title of the chart above it
_LINKS_JS = """JSON.stringify(Array.from(document.querySelectorAll('main a.csv')).map(a => {
  const gd = a.closest('section.panel') && a.closest('section.panel').querySelector('.plotly-graph-div');
  return {href: a.getAttribute('href'), download: a.getAttribute('download'), text: a.textContent,
          shown: a.offsetParent !== null, chart: gd && gd.layout ? gd.layout.title.text : ""};
}))"""
_CHARTS_JS = """JSON.stringify(Array.from(document.querySelectorAll('main div.chart')).map(el => {
  const gd = el.querySelector('.plotly-graph-div');
  return {id: gd.id, hidden: el.closest('section.panel').hidden,
          traces: gd.data.filter(t => t.visible !== false).map(t => ({name: t.name, x: t.x, y: t.y}))};
}))"""


def _filter_pages(site: Path) -> list[Path]:
    pages = [p for p in sorted(site.glob("*.html")) if 'id="filters"' in p.read_text(encoding="utf-8")]
    assert len(pages) >= 20, [p.name for p in pages]
    return pages


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return BOM + out.getvalue()


def _static(site: Path, href: str) -> tuple[str, list[list[str]]]:
    text = (site / href).read_bytes().decode("utf-8")
    assert text.startswith(BOM), href
    rows = _csv_rows(text[1:])
    assert _csv_text(rows) == text, f"{href}: rewriting its rows changes it"      # so rows compare as bytes do
    return text, rows


def _matching(rows: list[list[str]], state: dict[str, str], series: dict[str, set[str]] | None = None,
              by: set[int] | None = None) -> list[list[str]] | None:
    """The rows and columns of a static CSV a filter keeps; None when it keeps all (the table is
    shown whole). Rows: a filter is applied where the file has a column for it (of the columns
    ``by``, when given); the heading and the detail rows are kept where any such column holds the
    value. Columns: ``series`` gives every value of a dim, and a column headed by another value
    than the filter's is left out, the Total column with it (it adds them)."""
    head = rows[0]
    cols = {dim: [i for i, h in enumerate(head) if h in HEADINGS[dim] and (by is None or i in by)] for dim in state}
    cols = {dim: found for dim, found in cols.items() if found}
    drop = {i for dim, values in (series or {}).items() if dim in state
            for i, h in enumerate(head) if h in values and h != state[dim]}
    drop |= {i for i, h in enumerate(head) if drop and h == TOTAL}
    if not cols and not drop:
        return None
    kept = [r for r in rows[1:] if not cols or (
        r[0] == "detail" and all(any(r[i] == state[dim] for i in found) for dim, found in cols.items()))]
    return [[c for i, c in enumerate(r) if i not in drop] for r in [head] + kept]


def _data_url_text(href: str) -> str:
    assert href.startswith("data:text/csv;charset=utf-8,"), href[:60]
    return unquote(href.split(",", 1)[1])


def _written_links(page: Path) -> list[str]:
    return re.findall(r'<a class="csv" href="([^"]+)" download>', page.read_text(encoding="utf-8"))


def _fragment(state: dict[str, str]) -> str:
    return "&".join(f"{k}={quote_plus(v)}" for k, v in state.items())


def test_under_a_system_filter_every_csv_link_gives_the_static_files_rows_for_that_system(site, browser):
    """Every page with filters, opened with #system=North+Weald+ICS: each CSV link of a table with a
    System column gives the static file's heading and its North Weald detail rows, byte for byte as
    the static file writes them, named after the filter; every other link is the static file. The
    notice counts the tables with a column per system, and the tables shown whole: on screen (not
    hidden with their chart), with the static file, and not under a chart drawn for North Weald."""
    filtered = whole = cut = 0
    for page in _filter_pages(site):
        browser.console.clear()
        browser.open(page.resolve().as_uri() + "#" + _fragment({"system": SYSTEM}))
        links = json.loads(browser.evaluate(_LINKS_JS))
        written = _written_links(page)
        state, systems = {"system": SYSTEM}, {"system": {SYSTEM, OTHER}}
        assert [link["href"] for link in links if not link["href"].startswith("data:")] == \
            [h for h in written if _matching(_static(site, h)[1], state, systems) is None], page.name
        assert len(links) == len(written), page.name
        notice = browser.evaluate("document.querySelector('.filter-notice').textContent")
        columns = sum(1 for h in written if len((_matching(_static(site, h)[1], state, systems) or [[]])[0])
                      not in (0, len(_static(site, h)[1][0])))
        said = re.search(r"(\d+) tables? with a column for each system", notice)
        assert (int(said.group(1)) if said else 0) == columns, f"{page.name}: {notice}"
        shown_whole = sum(1 for h, link in zip(written, links) if link["shown"]
                          and _matching(_static(site, h)[1], state, systems) is None
                          and not link["chart"].endswith(": " + SYSTEM))
        said = re.search(r"Shown whole, with no column or axis for this filter: (\d+) tables?", notice)
        assert (int(said.group(1)) if said else 0) == shown_whole, f"{page.name}: {notice}"
        for href, link in zip(written, links):
            text, rows = _static(site, href)
            expected = _matching(rows, state, systems)
            if expected is None:
                assert (link["href"], link["download"]) == (href, ""), f"{page.name}: {href}"
                whole += 1
                continue
            got = _data_url_text(link["href"])
            assert got == _csv_text(expected), f"{page.name}: {href}"
            assert link["download"] == f"{Path(href).stem}_system-North-Weald-ICS.csv"
            n = len(expected) - 1
            assert link["text"] == f"Download the {n} row{'s' if n != 1 else ''} shown (CSV)"
            assert any(r[0] == "detail" for r in rows[1:]) and expected != rows, \
                f"{page.name}: {href} keeps every row and column: the filter was not tested"
            filtered += 1
            cut += len(expected[0]) < len(rows[0])
        assert browser.console == [], f"{page.name} logged: {browser.console}"
    assert filtered >= 20 and whole >= 5 and cut >= 2, (filtered, whole, cut)


def test_a_click_on_a_filtered_link_downloads_the_matching_rows_and_clearing_the_filter_restores_the_file(
        site, browser, tmp_path):
    """Two filters at once (partner and month) on the first table whose file has both columns: a
    click downloads, under the name the page gives, exactly the static rows of that partner and month;
    with the filters cleared the link is the static file again."""
    for page in _filter_pages(site):
        for k, href in enumerate(_written_links(page)):
            _, rows = _static(site, href)
            head = rows[0]
            p_col = next((i for i, h in enumerate(head) if h in HEADINGS["partner"]), None)
            m_col = next((i for i, h in enumerate(head) if h in HEADINGS["month"]), None)
            if p_col is None or m_col is None:
                continue
            details = [r for r in rows[1:] if r[0] == "detail"]
            if len(details) < 2 or len({(r[p_col], r[m_col]) for r in details}) < 2:
                continue
            state = {"partner": details[-1][p_col], "month": details[-1][m_col]}
            expected = _matching(rows, state)
            if any(h in HEADINGS["partner"] for h in head[p_col + 1:]):
                continue                      # one partner column only: the expectation stays plain
            break
        else:
            continue
        break
    else:
        pytest.fail("no table has a partner and a month column")
    assert expected is not None and 1 <= len(expected) - 1 < len(details)
    downloads = tmp_path / "downloads"
    browser.download_to(downloads)
    browser.console.clear()
    browser.open(page.resolve().as_uri() + "#" + _fragment(state))
    name = browser.evaluate(f"document.querySelectorAll('main a.csv')[{k}].getAttribute('download')")
    assert name.startswith(Path(href).stem + "_partner-") and "_month-" in name, name
    browser.evaluate(f"document.querySelectorAll('main a.csv')[{k}].click()")
    target = downloads / name
    for _ in range(100):
        if target.is_file() and not list(downloads.glob("*.crdownload")):
            break
        time.sleep(0.1)
    assert target.is_file(), sorted(downloads.iterdir())
    assert target.read_bytes().decode("utf-8") == _csv_text(expected)
    # the filters cleared, as the page's own selects clear them
    browser.evaluate("document.querySelectorAll('#filters select').forEach(s => "
                     "{ s.value = ''; s.dispatchEvent(new Event('change')); })")
    link = json.loads(browser.evaluate(_LINKS_JS))[k]
    assert (link["href"], link["download"], link["text"]) == (href, "", "Download this table (CSV)")
    assert browser.console == [], browser.console


def _written_figures(page: Path) -> dict[str, dict]:
    """Each chart's traces and layout as written into the page for plotly."""
    text = page.read_text(encoding="utf-8")
    out = {}
    for m in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', text):
        decoder = json.JSONDecoder()
        traces, end = decoder.raw_decode(text, m.end())
        layout, _ = decoder.raw_decode(text, text.index("{", end))
        out[m.group(1)] = {"traces": traces, "layout": layout}
    return out


def _expected_chart(figure: dict) -> tuple[bool, list[dict]]:
    """(hidden, the traces shown) under the system filter, from the figure as written: a chart drawn
    for the other system is hidden, one for this system is whole; traces named after systems keep
    this system's; categories that are systems keep this system's; anything else stays whole."""
    title = figure["layout"]["title"]["text"]
    traces = [{"name": t.get("name"), "x": t.get("x"), "y": t.get("y"), "orientation": t.get("orientation")}
              for t in figure["traces"]]
    if title.endswith(": " + OTHER):
        return True, []
    if title.endswith(": " + SYSTEM):
        return False, traces
    if any(t["name"] in (SYSTEM, OTHER) for t in traces):
        traces = [t for t in traces if t["name"] == SYSTEM]
    axis = "y" if traces and traces[0]["orientation"] == "h" else "x"
    if any(c in (SYSTEM, OTHER) for t in traces for c in (t[axis] or [])):
        other = "x" if axis == "y" else "y"
        traces = [{**t, axis: [c for c in t[axis] if c == SYSTEM],
                   other: [v for c, v in zip(t[axis], t[other]) if c == SYSTEM]} for t in traces]
    return False, traces


def test_under_a_system_filter_charts_show_only_that_systems_points_and_traces(site, browser):
    """Every chart on every page with filters, read from plotly's own figure in the page (gd.data)
    after the page's script ran, against the figure as written cut down by hand."""
    counts = {"hidden": 0, "cut": 0, "whole": 0}
    for page in _filter_pages(site):
        written = _written_figures(page)
        if not written:
            continue
        browser.console.clear()
        browser.open(page.resolve().as_uri() + "#" + _fragment({"system": SYSTEM}))
        shown = json.loads(browser.evaluate(_CHARTS_JS))
        assert [c["id"] for c in shown] == list(written), page.name
        for chart in shown:
            hidden, traces = _expected_chart(written[chart["id"]])
            assert chart["hidden"] == hidden, f"{page.name}: {chart['id']}"
            if hidden:
                counts["hidden"] += 1
                continue
            got = [{"name": t.get("name"), "x": t.get("x"), "y": t.get("y")} for t in chart["traces"]]
            want = [{"name": t["name"], "x": t["x"], "y": t["y"]} for t in traces]
            assert got == want, f"{page.name}: {chart['id']}"
            whole = [{"name": t.get("name"), "x": t.get("x"), "y": t.get("y")} for t in written[chart["id"]]["traces"]]
            counts["whole" if got == whole else "cut"] += 1
        assert browser.console == [], f"{page.name} logged: {browser.console}"
    assert counts["hidden"] >= 4 and counts["cut"] >= 4 and counts["whole"] >= 4, counts


def test_a_month_filter_keeps_that_months_point_of_each_line_and_the_notice_says_what_is_whole(site, browser):
    """Plan against actual, filtered to one month: each system's chart keeps that month's point of
    each line, at the value written for it; the notice names what it filtered and what it left whole."""
    page = site / "plan-vs-actual.html"
    written = _written_figures(page)
    month = next(iter(written.values()))["traces"][0]["x"][-1]
    browser.console.clear()
    browser.open(page.resolve().as_uri() + "#" + _fragment({"month": month}))
    shown = json.loads(browser.evaluate(_CHARTS_JS))
    assert len(shown) == 2 and not any(c["hidden"] for c in shown)
    for chart in shown:
        want = [{"name": t["name"], "x": [month], "y": [y for x, y in zip(t["x"], t["y"]) if x == month]}
                for t in written[chart["id"]]["traces"]]
        assert [{"name": t["name"], "x": t["x"], "y": t["y"]} for t in chart["traces"]] == want
    notice = browser.evaluate("document.querySelector('.filter-notice').textContent")
    assert notice.startswith(f"Filtered to Month: {month}. ")
    assert "Charts show the matching bars, points and series only." in notice
    assert "charts and CSV downloads are not filtered" not in notice
    assert browser.console == [], browser.console
