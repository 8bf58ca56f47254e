"""The site's filters (reports/templates/filter-tables.js) in a real headless Chromium, opened
from file:// addresses with the filter state in the fragment, as a shared link would open.

The filtered totals are added up by the page's script; the expected figures are the subtotal
rows the report itself wrote for that system (computed by SQL and formatted in Python), and
the rows shown are checked against the page as written, so neither side checks itself."""
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote_plus

import pytest

from tests.browser.test_html_in_chromium import render

pytestmark = pytest.mark.browser

SYSTEM = "North Weald ICS"


class _Tables(HTMLParser):
    """The tables of the figures (table.sortable in main): each a header of (label, data-dim) and
    rows of (class, hidden, [(text, data-v)])."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.stamp = ""
        self.nav: list[str] = []
        self.notice = ""
        self._table = self._row = self._cell = None
        self._in = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "sortable" in (a.get("class") or ""):
            self._table = {"head": [], "rows": []}
            self.tables.append(self._table)
        elif tag == "tr" and self._table is not None:
            self._row = {"class": a.get("class") or "", "hidden": "hidden" in a, "cells": []}
            self._table["rows"].append(self._row)
        elif tag == "th" and self._table is not None and a.get("scope") == "col":
            self._table["head"].append(a.get("data-dim"))
        elif tag == "td" and self._row is not None:
            self._cell = ["", a.get("data-v")]
            self._row["cells"].append(self._cell)
        elif tag == "style" and a.get("media") == "print":
            self._in = "stamp"
        elif tag == "p" and "filter-notice" in (a.get("class") or ""):
            self._in = "notice"
        elif tag == "a" and self._in == "nav":
            self.nav.append(a.get("href") or "")
        elif tag == "nav":
            self._in = "nav"

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "tr":
            self._row = None
        elif tag == "td":
            self._cell = None
        elif tag in ("style", "p", "nav"):
            self._in = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data
        elif self._in == "stamp":
            self.stamp += data
        elif self._in == "notice":
            self.notice += data


def _parse(text: str) -> _Tables:
    parser = _Tables()
    parser.feed(text)
    return parser


def _money_columns(row: dict) -> dict[int, Decimal]:
    return {i: Decimal(v) for i, (_, v) in enumerate(row["cells"]) if v not in (None, "")}


def test_a_system_filter_in_the_address_shows_that_systems_rows_and_their_exact_total(site, browser):
    """Every section page opened with #system=North+Weald+ICS: each table with a System column
    shows exactly the North Weald rows it was written with (the others hidden), its subtotals and
    total are hidden, and the total of the rows shown equals, in every summed column, the North
    Weald subtotal the report wrote (to the penny). The print stamp and the links to the other
    pages carry the filter."""
    checked_totals = 0
    filtered_tables = 0
    for page in sorted(site.glob("*.html")):
        written = _parse(page.read_text(encoding="utf-8"))
        dom, console = render(browser, page, fragment=f"system={quote_plus(SYSTEM)}")
        assert console == [], f"{page.name} logged: {console}"
        shown = _parse(dom)
        assert len(shown.tables) == len(written.tables), page.name
        has_system = [t for t in written.tables if "system" in t["head"]]
        if has_system:
            assert f"Filtered to System: {SYSTEM}" in shown.notice, page.name
            assert f"filtered to System: {SYSTEM}" in shown.stamp, page.name
            assert shown.nav and all(h.endswith("#system=North+Weald+ICS") for h in shown.nav), page.name
        for before, after in zip(written.tables, shown.tables):
            col = before["head"].index("system") if "system" in before["head"] else None
            if col is None:
                assert not any(r["hidden"] for r in after["rows"]), f"{page.name}: a table without a System column lost rows"
                continue
            filtered_tables += 1
            details = [r for r in before["rows"] if r["class"] in ("", "flagged") and r["cells"]]
            ours = [r for r in details if r["cells"][col][0].strip() == SYSTEM]
            visible = [r for r in after["rows"] if r["class"] in ("", "flagged") and r["cells"] and not r["hidden"]]
            assert [[c[0] for c in r["cells"]] for r in visible] == [[c[0] for c in r["cells"]] for r in ours], page.name
            assert all(r["hidden"] for r in after["rows"] if r["class"].startswith("subtotal") or r["class"] == "total"), page.name
            subtotal = [r for r in before["rows"] if r["class"].startswith("subtotal")
                        and r["cells"][col][0].strip() == f"{SYSTEM} total"]
            totals = [r for r in after["rows"] if "filtered-total" in r["class"]]
            if subtotal and totals:
                assert len(totals) == 1, page.name
                expected, got = _money_columns(subtotal[0]), _money_columns(totals[0])
                summed = {i: v for i, v in expected.items() if i in got}
                assert summed and summed == {i: got[i] for i in summed}, f"{page.name}: {summed} vs {got}"
                checked_totals += 1
    assert filtered_tables >= 10 and checked_totals >= 3, (filtered_tables, checked_totals)


def test_two_filters_combine_and_a_single_row_total_is_that_row(site, browser):
    page = site / "spend-by-service-line.html"
    written = _parse(page.read_text(encoding="utf-8"))
    first = written.tables[0]
    row = next(r for r in first["rows"] if r["class"] == "" and r["cells"] and r["cells"][0][0].strip() == SYSTEM)
    service_line = row["cells"][first["head"].index("service_line")][0].strip()
    dom, console = render(browser, page,
                          fragment=f"system={quote_plus(SYSTEM)}&service_line={quote_plus(service_line)}")
    assert console == []
    table = _parse(dom).tables[0]
    visible = [r for r in table["rows"] if r["class"] == "" and r["cells"] and not r["hidden"]]
    assert [[c[0] for c in r["cells"]] for r in visible] == [[c[0] for c in r["cells"]] for r in [row]]
    total = next(r for r in table["rows"] if "filtered-total" in r["class"])
    assert total["cells"][0][0] == "Total of the 1 row shown"
    got = _money_columns(total)
    expected = {i: v for i, v in _money_columns(row).items() if i in got}
    assert got and got == expected
