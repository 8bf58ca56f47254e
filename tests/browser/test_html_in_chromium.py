"""The HTML site opened in a real headless Chromium (the system package; CI installs it):
every chart renders, no page logs a console message (errors included), and every link
between pages resolves."""
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from headless_chromium import FLAGS, Chromium, find_chromium
from tests.html_links import page_links

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # every page of the demo site

CHROMIUM_FLAGS = [*FLAGS, "--disable-quic", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=8000"]


def chromium() -> str:
    found = find_chromium()
    assert found, "Chromium is needed for the browser tests: `apt-get install chromium` (make test does this as root)"
    return found


@dataclass(frozen=True)
class Visit:
    dom: str              # the DOM after scripts ran
    console: list[str]    # the console messages the page logged
    measured: object      # the value of the visit's `measure` script


def visit(browser: Chromium, page: Path, fragment: str = "", measure: str = "null") -> Visit:
    """One load of a page in the worker's one Chromium (a browser started per page cost more than the
    pages); ``fragment`` is added to the page's address after "#" (where the site's filters keep their
    state) and ``measure``, a script, is evaluated once the page loaded. The page is left for
    a blank one before returning, so what it logs until then is its own, and the next address, even the
    same page with another fragment, is a new load."""
    browser.console.clear()
    browser.open(page.resolve().as_uri() + (f"#{fragment}" if fragment else ""))
    measured = browser.evaluate(measure)
    dom = browser.evaluate("document.documentElement.outerHTML")
    browser.open("about:blank")
    return Visit(dom, list(browser.console), measured)


def render(browser: Chromium, page: Path, fragment: str = "") -> tuple[str, list[str]]:
    """The DOM after scripts ran, and the console messages the page logged (`visit`)."""
    seen = visit(browser, page, fragment)
    return seen.dom, seen.console


def chart_pages(site: Path) -> list[Path]:
    """Every page, partner pages included, and the drill-down pages of the flags and of one figure of
    each section: the hundreds of other drill-down pages are the same template (no charts) over other
    lines, which tests/reports/test_figure_drill.py reads every one of."""
    flagged = {h for p in site.glob("*.html") for h in re.findall(r'<a class="drill" href="(drill/[^"]+)"',
                                                                   p.read_text(encoding="utf-8"))}
    drill = sorted({site / h for h in flagged} | set(one_per_section(site.glob("drill/*.html"))))
    return sorted(site.glob("*.html")) + drill + sorted(site.glob("partners/*.html"))


def one_per_section(pages) -> list[Path]:
    """The first page of each section's explain or drill pages (named <kind>-<section>-<hash>.html)."""
    first = {}
    for p in sorted(pages):
        first.setdefault(p.name.rsplit("-", 1)[0], p)
    return list(first.values())


def test_every_page_renders_its_charts_without_console_messages(site, visits):
    """Each page of chart_pages, as the run's one visit of it found it (tests/browser/conftest.py)."""
    pages = chart_pages(site)
    names = {p.name for p in pages}
    assert {"index.html", "open-book.html", "eliminations.html", "plan-vs-actual.html", "system-position.html",
            "mhis.html", "variation.html", "funding-consistency.html", "sector-share.html", "contracts.html",
            "lead-provider.html", "sector-by-recipient.html", "system-by-payer.html"} <= names
    assert len(list(site.glob("drill/*.html"))) >= 6
    for page in pages:
        source = page.read_text(encoding="utf-8")
        expected_charts = source.count("Plotly.newPlot(")
        seen = visits[page]
        assert seen.console == [], f"{page.name} logged: {seen.console}"
        rendered = len(re.findall(r'class="plotly-graph-div[^"]*"[^>]*>\s*<div class="plot-container', seen.dom))
        assert rendered == expected_charts, f"{page.name}: {rendered} of {expected_charts} charts rendered"


def test_every_link_resolves(site):
    resolves = {}                 # (folder, target): is it there; thousands of drill pages link the same few files
    for page in site.rglob("*.html"):
        for href in page_links(page):
            assert not re.match(r"^[a-z]+://", href), f"{page.name} links outside the site: {href}"
            target = href.split("#", 1)[0].split("?", 1)[0]
            if target:
                if (page.parent, target) not in resolves:
                    resolves[page.parent, target] = (page.parent / target).exists()
                assert resolves[page.parent, target], f"{page.name}: link {href} does not resolve"


def test_every_flagged_figure_links_to_its_drill_down_page(site):
    """Variation outliers, the elimination mismatch, the over-run, the slipping scheme, the funding
    inconsistency and the MHIS shortfall each link to the ledger lines behind them (the flag in
    words links to them; other figures' pages are checked in tests/reports/test_figure_drill.py)."""
    linked = {}
    for page in site.glob("*.html"):
        for href in re.findall(r'<a class="drill" href="(drill/[^"]+)"', page.read_text(encoding="utf-8")):
            linked.setdefault(page.name, set()).add(href)
            assert (site / href).is_file(), f"{page.name}: {href} does not resolve"
    assert {k: len(v) for k, v in linked.items()} == {
        "eliminations.html": 1, "plan-vs-actual.html": 1, "mhis.html": 1, "variation.html": 3,
        "funding-consistency.html": 1, "contracts.html": 1, "mh-budget.html": 1, "agency-spend.html": 1}
    drill = {p.name for p in site.glob("drill/*.html")}
    every = {h.split("/", 1)[1] for p in site.glob("*.html") for h in page_links(p) if h.startswith("drill/")}
    every |= {h.split("/", 2)[2] for p in list(site.glob("partners/*.html")) + list(site.glob("explain/*.html"))
              for h in page_links(p) if h.startswith("../drill/")}
    assert every == drill                    # every drill-down page is linked from the site (or a working)
    for name in drill:                       # and each drill-down page links back to the site
        hrefs = page_links(site / "drill" / name)
        assert "../index.html" in hrefs and "../assets/plotly.min.js" in hrefs


def test_a_page_prints_on_a4_landscape_with_its_scope_and_page_numbers_on_every_page(site, tmp_path):
    """Printed (or saved as PDF) from Chromium: A4 landscape, each page's bottom margin says what the
    figures are and as at when, and numbers the pages; the screen-only parts are left out."""
    from pypdf import PdfReader

    pdf = tmp_path / "open-book.pdf"
    run = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", (site / "open-book.html").resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    assert pdf.is_file(), run.stderr[-2000:]
    pages = PdfReader(pdf).pages
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (842, 595), "A4 landscape is 842 x 595 points"
        text = " ".join(page.extract_text().split())
        assert "Open book · North Weald ICS and South Fen ICS · " in text and "data as at " in text, number
        assert f"Page {number} of {len(pages)}" in text
        assert "Download this table" not in text and "Skip to the figures" not in text
