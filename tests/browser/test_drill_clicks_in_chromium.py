"""From a figure on each page to its transactions, clicked in a real headless Chromium: on every page of the site
that shows a figure made of ledger lines (partner pages too), a real mouse click on the first such figure a reader
sees opens its drill page, and that page, as Chromium drew it, states the figure clicked and adds up to it at every
level (by partner, service line, counterparty and month, and the lines listed plus the lines not shown) to the
penny. tests/reports/test_figure_drill.py reads every linked figure's page from the files; this follows the link
as a reader does."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.reports.test_figure_drill import _tables, assert_adds_up, drill_sums

pytestmark = pytest.mark.browser

# the first figure made of ledger lines a reader sees (a cell linking to a drill page, not £0), brought into view and
# drawn there (two animation frames) before the pointer goes to it
_FIRST_FIGURE = """(async () => {
  const a = Array.from(document.querySelectorAll('td.num a[href*="drill/"]')).find(a => {
      const td = a.closest('td'); return a.getClientRects().length > 0 && td.dataset.v && Number(td.dataset.v) !== 0; });
  if (!a) return null;
  a.scrollIntoView({block: 'center'});
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const r = a.getBoundingClientRect(), td = a.closest('td');
  return JSON.stringify({x: r.left + r.width / 2, y: r.top + r.height / 2, v: td.dataset.v,
                         href: a.getAttribute('href'), text: td.textContent.trim()}); })()"""


def _pages_with_line_figures(site: Path) -> list[Path]:
    """The pages whose tables hold a figure linking to a drill page, read from the files."""
    pages = sorted(site.glob("*.html")) + sorted(site.glob("partners/*.html"))
    return [p for p in pages if any("num" in (c["attrs"].get("class") or "") and "drill/" in (c["href"] or "")
                                    for t in _tables(p) for r in t["rows"] for c in r["cells"])]


def test_a_click_on_a_figure_of_each_page_opens_lines_that_add_up_to_it(site, browser):
    pages = _pages_with_line_figures(site)
    names = {p.name for p in pages}
    assert {"index.html", "open-book.html", "spend-by-partner.html", "spend-by-service-line.html", "mhis.html",
            "contracts.html", "plan-vs-actual.html", "variation.html", "sector-by-recipient.html",
            "sector-share.html", "lead-provider.html"} <= names, sorted(names)
    assert any(p.parent.name == "partners" for p in pages)
    for page in pages:
        where = str(page.relative_to(site))
        browser.open(page.resolve().as_uri())
        found = browser.evaluate(_FIRST_FIGURE)
        assert found, f"{where}: no figure linking to its lines is visible"
        figure = json.loads(found)
        browser.expect_page()
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            browser.call("Input.dispatchMouseEvent", type=kind, x=figure["x"], y=figure["y"], button="left",
                         clickCount=1)
        landed = urlsplit(browser.opened_page()).path     # once its load event fired
        assert landed.endswith("/" + figure["href"].rsplit("/", 1)[-1]), (where, figure["href"], landed)
        drawn = browser.evaluate("document.documentElement.outerHTML")
        assert_adds_up(drill_sums(drawn), Decimal(figure["v"]), f"{where} ({figure['text']}) -> {landed}")
    print(f"\nclicked a figure on each of {len(pages)} pages; each drill page added up to it")
