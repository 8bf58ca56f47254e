"""From any figure to its working: every money figure and percentage of every table of every page of the
site (partner pages too) links to its ledger lines (drill/) or to how it is made (explain/).

The check walks the pages as a reader would: each table's number cells under a money column (data-sum money or
money2) or showing a percentage, with a figure other than zero (a £0 has nothing behind it). The figures under a
chart ("The figures behind this chart") restate the chart, whose points link where they are sums of lines, and are
left to tests/reports/test_chart_drill.py. The columns that still have no working are listed below, each with why:
a figure column outside the list without a link fails, and so does a listed column that has come to link every
figure (the list is kept true).
"""
from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

_LINK = re.compile(r"(^|/)(drill|explain)/[^/]+\.html$")
_CHART_FIGURES = "The figures behind this chart"

# (page, column) -> why it has no working yet
STILL_WITHOUT_WORKING = {
    ("agency-spend.html", "Agency spend, month"): "the month's part of the year to date, whose lines are linked",
    ("contracts.html", "Annual value"): "contract values by type (contract mix): a sum of reference rows, not shown",
    ("contracts.html", "Share of value %"): "a type's share of the contract values, not shown",
    ("eliminations.html", "Payer booked"): "one side of the agreement; the difference links to both sides' lines",
    ("eliminations.html", "Payee booked"): "one side of the agreement; the difference links to both sides' lines",
    ("eliminations.html", "Difference FY to date"): "a running total of the monthly differences, each linked",
    ("flag-register.html", "Amount at stake"): "the flag's finding, linked from the flag's own page",
    ("partners.html", "Net FY to date"): "the index of partners' pages: each page links the partner's figures",
    ("sector-by-recipient.html", "Share if all unclassified were this sector"): "the share plus the unclassified "
                                                                                "share: not yet shown",
    ("system-by-payer.html", "Commissioner view"): "the placed, apportioned and kept parts: not yet shown whole",
    ("system-by-payer.html", "Host view"): "the open book's net spend by system: not yet linked here",
    ("system-by-payer-service-line.html", "Commissioner view"): "the placed, apportioned and kept parts: not yet "
                                                                "shown whole",
    ("system-by-payer-service-line.html", "Host view"): "the open book's net spend by system: not yet linked here",
    ("variation.html", "Coverage %"): "the share of the measure's spend coded to a place: not yet shown",
    ("variation.html", "Median rate"): "the alliance's trusts: their own cost returns, not yet shown",
    ("variation.html", "From median"): "the alliance's trusts: their own cost returns, not yet shown",
}


class _Figures(HTMLParser):
    """Each table's number cells: (caption, column heading, money column?, cell text, data-v, link)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells: list[tuple[str, str, bool, str, str | None, str | None]] = []
        self._caption, self._heads, self._sums, self._col, self._in_head = "", [], [], 0, False
        self._in: str | None = None           # "caption", "th" (a heading) or "td" (a cell)
        self._text, self._v, self._href, self._num = "", None, None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._caption, self._heads, self._sums = "", [], []
        elif tag == "thead":
            self._in_head = True
        elif tag == "caption":
            self._in, self._text = "caption", ""
        elif tag == "tr":
            self._col = 0
        elif tag == "th" and self._in_head:
            self._in, self._text = "th", ""
            self._sums.append(a.get("data-sum") in ("money", "money2"))
        elif tag in ("td", "th"):
            self._in, self._text, self._v, self._href = "td", "", a.get("data-v"), None
            self._num = tag == "td" and "num" in (a.get("class") or "")
        elif tag == "a" and self._in == "td":
            self._href = a.get("href")

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_head = False
        elif tag == "caption" and self._in == "caption":
            self._caption, self._in = self._text.strip(), None
        elif tag == "th" and self._in == "th":
            self._heads.append(self._text.strip())
            self._in = None
        elif tag in ("td", "th") and self._in == "td":
            if self._num and self._col < len(self._heads):
                self.cells.append((self._caption, self._heads[self._col], self._sums[self._col], self._text.strip(),
                                   self._v, self._href))
            self._col += 1
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text += data


def _figure_cells(page: Path):
    """The page's figure cells: (column heading, link) of each money figure or percentage other than zero."""
    parser = _Figures()
    parser.feed(page.read_text(encoding="utf-8"))
    for caption, head, money, text, v, href in parser.cells:
        if caption == _CHART_FIGURES or v is None or not re.fullmatch(r"-?[0-9.]+", v) or Decimal(v) == 0:
            continue                          # a chart's figures, a month, a date, or £0
        if money or text.endswith("%"):
            yield head, href


@pytest.fixture(scope="module")
def site(demo_home) -> Path:
    folders = sorted(p for p in (demo_home / "reports").iterdir() if p.is_dir() and not p.name.startswith("."))
    return folders[-1] / "html"


def test_every_figure_of_every_page_links_to_its_lines_or_its_working(site):
    unlinked, linked_in_listed, seen = [], defaultdict(int), defaultdict(int)
    pages = sorted(site.glob("*.html")) + sorted(site.glob("partners/*.html"))
    for page in pages:
        for head, href in _figure_cells(page):
            name = page.name if page.parent == site else "partners/"
            key = (name, head)
            seen[key] += 1
            if href and _LINK.search(href):
                linked_in_listed[key] += key in STILL_WITHOUT_WORKING
                assert (page.parent / href).is_file(), (page.name, head, href)
            elif key not in STILL_WITHOUT_WORKING:
                unlinked.append(key)
    assert sum(seen.values()) > 1000, "the walk found too few figures: the pages' markup changed?"
    assert not unlinked, f"figures with no link to their lines or working: {sorted(set(unlinked))}"
    listed_seen = {k for k in STILL_WITHOUT_WORKING if seen[k]}
    done = sorted(k for k in listed_seen if linked_in_listed[k] == seen[k])
    assert not done, f"these now link every figure: take them off STILL_WITHOUT_WORKING: {done}"
    gone = sorted(set(STILL_WITHOUT_WORKING) - set(seen))
    assert not gone, f"no such figure column on the site: take it off STILL_WITHOUT_WORKING: {gone}"
