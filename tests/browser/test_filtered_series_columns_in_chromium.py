"""Tables with a column per system or partner (the figures under a chart with a series each, the
summary's figures by system) under a filter, in a real headless Chromium opened from file://
addresses: the columns left shown are the series the chart above still shows, and the table's
CSV link gives the static file cut down to those columns and rows, byte for byte.

Expected figures come from the files as written, never from the page's script: which columns are
a system's or a partner's is read from their headings (the two systems, the partners of the
demo's reference/partners.csv), the series a chart shows from plotly's own figure after the
page's script ran, and the expected CSV is the static file's rows and columns picked out here
with Python's csv module."""
from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest

from tests.browser.test_filtered_downloads_and_charts_in_chromium import (
    OTHER, SYSTEM, TOTAL, _csv_text, _data_url_text, _filter_pages, _fragment, _static, _matching,
    _written_figures, _written_links,
)

pytestmark = pytest.mark.browser

# each table under a chart: its columns as shown, the chart's traces as drawn, and its CSV link
_FIGURES_JS = """JSON.stringify(Array.from(document.querySelectorAll('main table.sortable')).map((t, k) => {
  const panel = t.closest('section.panel'), gd = panel && panel.querySelector('.plotly-graph-div');
  const links = Array.from(document.querySelectorAll('main a.csv'));
  const link = panel && panel.querySelector('a.csv');
  return {chart: t.caption && t.caption.textContent === 'The figures behind this chart' && gd ? gd.id : null,
          shown: t.offsetParent !== null,
          heads: Array.from(t.tHead.rows[0].cells).map(th => ({text: th.textContent.trim(),
                                                               shown: getComputedStyle(th).display !== 'none'})),
          traces: gd && gd.data ? gd.data.map(tr => ({name: tr.name, shown: tr.visible !== false})) : [],
          link: link ? {index: links.indexOf(link), href: link.getAttribute('href'),
                        download: link.getAttribute('download'), text: link.textContent} : null};
}))"""


@pytest.fixture(scope="module")
def partners(demo_home) -> list[str]:
    with (demo_home / "reference" / "partners.csv").open(newline="", encoding="utf-8") as fh:
        return [row["name"] for row in csv.DictReader(fh)]


def _series_charts(site: Path) -> dict[Path, dict[str, tuple[str, list[str]]]]:
    """Each filter page's charts drawn with two or more series, by chart id: the title and the
    series' names, as written into the page for plotly."""
    out = {}
    for page in _filter_pages(site):
        figures = {cid: (html.unescape(fig["layout"]["title"]["text"]), [html.unescape(t["name"]) for t in fig["traces"]])
                   for cid, fig in _written_figures(page).items()
                   if len(fig["traces"]) > 1 and all(t.get("name") for t in fig["traces"])}
        if figures:
            out[page] = figures
    return out


def _headings(csv_heading: list[str]) -> list[str]:
    """A CSV file's column headings as the table heads them (a percentage's file heading says "(%)")."""
    return [h.removesuffix(" (%)") for h in csv_heading]


@pytest.mark.parametrize("dim", ["system", "partner"])
def test_a_filtered_table_with_a_column_per_value_shows_the_charts_series_and_its_csv_is_the_static_cut(
        site, partners, browser, dim):
    """Under #system=North Weald ICS, then under #partner=(the first partner of the reference data that
    is a series of a chart): in every table under a chart drawn with series, the series columns shown
    are the series the chart shows, the Total column is shown only while every series is, a table whose
    chart is hidden is hidden, and the CSV link gives the expected cut of the static file."""
    charts = _series_charts(site)
    if dim == "system":
        value, values = SYSTEM, {SYSTEM, OTHER}
    else:
        names = {n for figures in charts.values() for _, series in figures.values() for n in series}
        value, values = next(p for p in partners if p in names), set(partners)
    counts = {"cut": 0, "columns": 0, "whole": 0, "hidden": 0}
    for page, figures in charts.items():
        browser.console.clear()
        browser.open(page.resolve().as_uri() + "#" + _fragment({dim: value}))
        written = _written_links(page)
        for table in json.loads(browser.evaluate(_FIGURES_JS)):
            title, series = figures.get(table["chart"], ("", []))
            whole = [h["text"] for h in table["heads"]]
            if not series or not set(series) <= set(whole):
                continue                    # not a column per series (a funnel's limits, a kind's colour)
            where = f"{page.name}: {table['chart']}"
            if not table["shown"]:
                # hidden with its chart: drawn for another value (its title names it), or its series
                # are the dim's values and the filter's is not one of them
                assert any(title.endswith(": " + v) for v in values - {value}) or (
                    value not in series and values & set(series)), where
                counts["hidden"] += 1
                continue
            drawn = [html.unescape(t["name"]) for t in table["traces"] if t["shown"]]
            heads = [h["text"] for h in table["heads"] if h["shown"]]
            assert [h for h in heads if h in series] == drawn, where
            assert (TOTAL in heads) == (TOTAL in whole and drawn == series), where
            href = written[table["link"]["index"]]
            _, rows = _static(site, href)
            assert _headings(rows[0][1:]) == whole, f"{where}: the static file's heading is not the table's"
            # a figure table's category is its first column: only that one can hold the filter's rows
            expected = _matching(rows, {dim: value}, {dim: values}, by={1})
            if expected is None:
                assert drawn == series and (table["link"]["href"], table["link"]["download"]) == (href, ""), where
                counts["whole"] += 1
                continue
            assert _headings(expected[0][1:]) == heads, where
            assert _data_url_text(table["link"]["href"]) == _csv_text(expected), where
            assert table["link"]["download"] == f"{Path(href).stem}_{dim}-{re.sub('[^A-Za-z0-9]+', '-', value).strip('-')}.csv"
            n = len(expected) - 1
            assert table["link"]["text"] == f"Download the {n} row{'s' if n != 1 else ''} shown (CSV)", where
            counts["cut"] += 1
            counts["columns"] += len(expected[0]) < len(rows[0])
        assert browser.console == [], f"{page.name} logged: {browser.console}"
    assert counts["columns"] >= 1 and counts["cut"] >= 2 and counts["whole"] >= 3 and counts["hidden"] >= 2, counts
