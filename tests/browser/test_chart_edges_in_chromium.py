"""The site's charts as a finance reader sees them, in a real headless Chromium opened from file://
addresses (with a filter in the fragment, as a shared link opens them).

A chart of categories largest first (spend by service line, a bar per system) filtered to one system
is ranked again by that system's spend, without the service lines it spent nothing on, and is back as
written once the filter is cleared: the expected order is worked out here from the chart's static CSV
file (csv/chart-<key>.csv), never from the page's script. Counts tick in whole numbers, money in
pounds with the sign first, every axis has a title, and no legend or axis title runs into the chart's
title or tick labels: all read off the drawn page (plotly's SVG), not off the figure as written."""
from __future__ import annotations

import csv
import html
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from tests.browser.test_filtered_downloads_and_charts_in_chromium import _written_figures

pytestmark = pytest.mark.browser

SYSTEMS = ("North Weald ICS", "South Fen ICS")
SERVICE_LINES = "spend-by-service-line.html"
_CLEAR = ("document.querySelectorAll('#filters select').forEach(s => "
          "{ s.value = ''; s.dispatchEvent(new Event('change')); })")


def _open(browser, url: str) -> None:
    """A fresh load of ``url``: from the same page with another fragment Chromium only moves
    within the page, which fires no load event (and runs no script again)."""
    browser.open("about:blank")
    browser.open(url)


def _traces_js(chart_id: str) -> str:
    return f"""JSON.stringify((() => {{ const gd = document.getElementById({json.dumps(chart_id)});
      return {{hidden: gd.closest('section.panel').hidden, height: gd.layout.height,
               box: Math.round(gd.closest('div.chart').getBoundingClientRect().height),
               traces: gd.data.filter(t => t.visible !== false).map(t => ({{name: t.name, x: t.x, y: t.y}}))}}; }})())"""


def _ticks_js(chart_id: str, axis: str) -> str:
    return (f"JSON.stringify(Array.from(document.getElementById({json.dumps(chart_id)})"
            f".querySelectorAll('.{axis}tick text')).map(t => t.textContent))")


def _chart_csv(site: Path, key: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO((site / "csv" / f"chart-{key}.csv").read_text(encoding="utf-8-sig"),
                                       newline="")))
    return rows[0], [r for r in rows[1:] if r[0] == "detail"]


@pytest.mark.parametrize("system", SYSTEMS)
def test_spend_by_service_line_under_a_system_filter_is_ranked_by_that_systems_spend(site, browser, system):
    """Filtered to one system: its bars only, largest first by its own spend, and no service line it
    spent nothing on, in a chart as tall as those bars need (at least 320 px, else 110 px and 34 px a
    bar) with no empty band under it; cleared: the chart as written again (every service line, both
    systems, at its written height)."""
    head, rows = _chart_csv(site, "ytd_by_service_line")
    col = head.index(system)
    spend = [(r[1], Decimal(r[col])) for r in rows if Decimal(r[col]) != 0]
    want = sorted(spend, key=lambda s: -s[1])          # sorted() is stable: ties keep the file's order
    assert len(spend) < len(rows), "every service line has spend: the filter drops none"
    assert want != spend, "the file's order is already this system's: the ranking is not tested"
    page = site / SERVICE_LINES
    written = _written_figures(page)["chart-ytd_by_service_line"]["traces"]
    browser.console.clear()
    _open(browser, page.resolve().as_uri() + "#system=" + quote_plus(system))
    shown = json.loads(browser.evaluate(_traces_js("chart-ytd_by_service_line")))
    assert not shown["hidden"]
    assert shown.pop("box") == shown.pop("height") == max(320, 110 + 34 * len(want))
    assert shown["traces"] == [{"name": system, "y": [html.escape(name, quote=False) for name, _ in want],
                                "x": [float(v) for _, v in want]}]
    browser.evaluate(_CLEAR)
    shown = json.loads(browser.evaluate(_traces_js("chart-ytd_by_service_line")))
    assert shown["box"] == shown["height"] == max(320, 110 + 34 * len(rows))
    assert shown["traces"] == [{"name": t["name"], "x": t["x"], "y": t["y"]} for t in written]
    assert [t["name"] for t in shown["traces"]] == list(SYSTEMS)
    assert shown["traces"][0]["y"] == [html.escape(r[1], quote=False) for r in rows]
    assert browser.console == [], browser.console


def test_rows_set_aside_tick_in_whole_numbers_filtered_or_not(site, browser):
    """The count of rows set aside ticks 0, 1, 2, ... up to the highest month (the Total column of
    the chart's file), and so it does filtered to one partner (up to that partner's highest month)."""
    head, rows = _chart_csv(site, "set_aside_by_month")
    partner = max(head[2:-1], key=lambda p: sum(int(r[head.index(p)]) for r in rows))
    cases = {"": max(int(r[-1]) for r in rows),
             "#partner=" + quote_plus(partner): max(int(r[head.index(partner)]) for r in rows)}
    assert 0 < cases["#partner=" + quote_plus(partner)] <= cases[""]
    page = (site / "data-quality.html").resolve().as_uri()
    for fragment, highest in cases.items():
        browser.console.clear()
        _open(browser, page + fragment)
        ticks = json.loads(browser.evaluate(_ticks_js("chart-set_aside_by_month", "y")))
        assert ticks == [str(i) for i in range(highest + 1)], (fragment, ticks)
        assert browser.console == [], browser.console


def _chart_pages(site: Path) -> list[Path]:
    return [p for p in sorted(site.glob("*.html")) if "Plotly.newPlot(" in p.read_text(encoding="utf-8")]


# each drawn chart: its tick labels, its axis titles, and the boxes of its title, legend, axis
# titles and tick labels (those drawn: a box of no size is not on the page)
_DRAWN_JS = """JSON.stringify(Array.from(document.querySelectorAll('main div.chart .plotly-graph-div'))
  .filter(gd => !gd.closest('section.panel').hidden).map(gd => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const boxes = sel => Array.from(gd.querySelectorAll(sel)).map(box).filter(b => b[2] > b[0] && b[3] > b[1]);
  const texts = sel => Array.from(gd.querySelectorAll(sel)).map(t => t.textContent);
  return {id: gd.id, xticks: texts('.xtick text'), yticks: texts('.ytick text'),
          xtitle: texts('.g-xtitle text').join(''), ytitle: texts('.g-ytitle text').join(''),
          title: boxes('.gtitle'), legend: boxes('.legend .bg'), xtitleBox: boxes('.g-xtitle text'),
          ytitleBox: boxes('.g-ytitle text'), xtickBoxes: boxes('.xtick text'), ytickBoxes: boxes('.ytick text')};
}))"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_every_chart_has_titled_axes_clear_of_its_labels_and_money_reads_in_pounds(site, browser):
    """Every chart of every page, as drawn: both axes titled; the legend clear of the chart's title
    and axis titles; each axis title clear of every tick label; no tick label reads £−1M (a sign after
    the pound) or is a fraction on a count; the forecast variance chart's negative ticks read −£."""
    drawn, signed = 0, []
    for page in _chart_pages(site):
        browser.console.clear()
        browser.open(page.resolve().as_uri())
        for chart in json.loads(browser.evaluate(_DRAWN_JS)):
            where = f"{page.name}: {chart['id']}"
            assert chart["xtitle"].strip() and chart["ytitle"].strip(), where
            for legend in chart["legend"]:
                for other in chart["title"] + chart["xtitleBox"] + chart["ytitleBox"]:
                    assert not _overlap(legend, other), f"{where}: the legend runs into a title"
            for title, ticks in ((chart["xtitleBox"], chart["xtickBoxes"]), (chart["ytitleBox"], chart["ytickBoxes"]),
                                 (chart["title"], chart["xtickBoxes"] + chart["ytickBoxes"])):
                for t in title:
                    assert not any(_overlap(t, tick) for tick in ticks), f"{where}: a title runs into a tick label"
            ticks = chart["xticks"] + chart["yticks"]
            assert not [t for t in ticks if re.search(r"£[−-]", t)], f"{where}: {ticks}"
            signed += [t for t in ticks if t.startswith("−£")]
            drawn += 1
        assert browser.console == [], f"{page.name} logged: {browser.console}"
    assert drawn >= 25 and signed, (drawn, signed)

