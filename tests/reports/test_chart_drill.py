"""Chart points open the lines behind them: each linked point of a bar or line chart carries the
page of its ledger lines (a click opens it), and it is the page the same figure links to in the
chart's "figures behind this chart" table, whose every link test_figure_drill.py proves adds
up to the figure to the penny. Read from the site the demo run wrote."""
import html
import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def site(demo_home) -> Path:
    folders = sorted(p for p in (demo_home / "reports").iterdir() if p.is_dir() and not p.name.startswith("."))
    return folders[-1] / "html"


def _charts(text: str) -> dict[str, list[dict]]:
    """Each chart's traces, as plotly was given them: chart id -> traces."""
    decoder = json.JSONDecoder()
    out = {}
    for m in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', text):
        traces, _ = decoder.raw_decode(text, m.end())
        out[m.group(1)] = traces
    return out


class _FigureLinks(HTMLParser):
    """The links in each chart's figures table: chart id -> {(row label, column label): (href, value)}."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: dict[str, dict] = {}
        self._chart = None
        self._table = None
        self._head: list[str] = []
        self._row: list = []
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and (a.get("id") or "").startswith("chart-"):
            self._chart = a["id"]
        elif tag == "table" and self._chart:
            self._table, self._head = self.links.setdefault(self._chart, {}), []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._table is not None:
            self._cell = {"text": "", "href": None, "v": a.get("data-v")}
        elif tag == "a" and self._cell is not None:
            self._cell["href"] = a.get("href")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._table is not None and self._row:
            if not self._head:
                self._head = [c["text"].strip() for c in self._row]
            else:
                for label, cell in zip(self._head, self._row):
                    if cell["href"]:
                        self._table[(self._row[0]["text"].strip(), label)] = (cell["href"], Decimal(cell["v"]))
        elif tag == "table" and self._table is not None:
            self._table, self._chart = None, None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


_FUNNEL_LIMITS = ("Lower 99.8%", "Lower 95%", "Upper 95%", "Upper 99.8%")


def _waterfall_heights(trace: dict) -> list[float]:
    """Each bar of a waterfall as drawn: a step its own value, a total the running sum of those before it."""
    running, out = 0.0, []
    for y, measure in zip(trace["y"], trace["measure"]):
        running = running if measure == "total" else running + y if measure == "relative" else y
        out.append(running if measure == "total" else y)
    return out


def test_every_linked_chart_point_opens_the_page_its_figure_links_to(site):
    checked, totals = {}, {}
    for page in sorted(site.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        parser = _FigureLinks()
        parser.feed(text)
        for chart_id, traces in _charts(text).items():
            table = parser.links.get(chart_id, {})
            points = 0
            for trace in traces:
                custom = trace.get("customdata") or []
                if not custom or not isinstance(custom[0], list) or len(custom[0]) not in (2, 5):
                    continue
                cats = trace["y"] if trace.get("orientation") == "h" else trace["x"]
                values = trace["x"] if trace.get("orientation") == "h" else trace["y"]
                if len(custom[0]) == 5:      # a funnel's places: x is the population, the place is named first
                    cats = [c[0] for c in custom]
                if trace.get("type") == "waterfall":     # a total bar is drawn at the running sum (its y is 0)
                    values = _waterfall_heights(trace)
                for cat, value, (_, href, *_) in zip(cats, values, custom):
                    if not href:
                        continue
                    # the figures table names the column by series (or the value's label for one series)
                    match = [(k, v) for k, v in table.items() if k[0] == html.unescape(cat) and v[0] == href]
                    assert match, f"{page.name} {chart_id}: point {cat} / {trace.get('name')} links {href}, " \
                                  f"which its figures table does not"
                    assert abs(float(match[0][1][1]) - value) < 0.005, (page.name, chart_id, cat, value)
                    assert (site / href).is_file(), href
                    points += 1
            # the Total column and row (series and categories added up) and a funnel's pooled and peers' rates
            # are no points of the chart: their links are reconciled to their figures by test_figure_drill.py and
            # test_figure_explain.py
            # a funnel's limits are drawn as curves joining the places' limits, not as points: their figures link
            # their workings from the table (reconciled by test_figure_explain.py)
            at_points = {k: v for k, v in table.items()
                         if k[1] not in ("Total", "Pooled rate", "Peers' rate") + _FUNNEL_LIMITS and k[0] != "Total"}
            assert points == len(at_points), \
                f"{page.name} {chart_id}: {points} linked points, {len(at_points)} table links"
            totals[f"{page.name} {chart_id}"] = len(table) - len(at_points)
            if points:
                checked[f"{page.name} {chart_id}"] = points
    assert checked.get("spend-by-service-line.html chart-ytd_by_service_line", 0) >= 20, checked
    assert checked.get("spend-by-partner.html chart-ytd_by_partner", 0) >= 10, checked
    # the open book's waterfalls: gross, each kind's eliminations and net, every bar
    assert [checked.get(f"open-book.html chart-gross_to_net-{s}", 0) >= 3 for s in ("north-weald", "south-fen")] \
        == [True, True], checked
    assert totals.get("spend-by-service-line.html chart-ytd_by_service_line", 0) >= 10, totals
    # a click on a linked chart opens its point's page
    for name in checked:
        page, chart_id = name.split(" ")
        assert f'document.getElementById("{chart_id}"); if (gd && gd.on) {{ gd.on("plotly_click"' in \
            (site / page).read_text(encoding="utf-8"), name
