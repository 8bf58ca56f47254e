"""Every table of the site fits a 1400-pixel window (the one Chromium of tests/browser/conftest.py opens at
1400 × 1000): no table's scroll container (.table-wrap) is wider inside than it shows, so a finance director
never reads a table cut off at the right. Every top-level page and partner page, and one explain and one drill
page of each section (the others are the same templates over other figures)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.test_html_in_chromium import one_per_section

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def width_pages(site: Path) -> list[Path]:
    """Every top-level page and partner page, and one explain and one drill page of each section (the others
    are the same templates over other figures)."""
    return (sorted(site.glob("*.html")) + sorted(site.glob("partners/*.html"))
            + one_per_section(site.glob("explain/*.html")) + one_per_section(site.glob("drill/*.html")))


# Each table's scroll container (.table-wrap) that is wider inside than it shows, with the window's width.
TABLE_WIDTHS = """JSON.stringify([window.innerWidth, document.querySelectorAll('.table-wrap').length,
  Array.from(document.querySelectorAll('.table-wrap')).filter(function (w) { return w.scrollWidth > w.clientWidth; })
    .map(function (w) { var c = w.querySelector('caption');
                        return [c ? c.textContent : '', w.scrollWidth, w.clientWidth]; })])"""


def test_no_table_of_any_page_is_wider_than_its_container_at_1400_pixels(site, visits):
    """Each page of width_pages, as the run's one visit of it measured it (tests/browser/conftest.py)."""
    pages = width_pages(site)
    assert len(pages) > 40
    wide, tables = [], 0
    for page in pages:
        width, count, over = json.loads(visits[page].measured)
        assert width == 1400, f"{page.name}: the window is {width} pixels wide, not 1400"
        tables += count
        wide += [(str(page.relative_to(site)), caption, f"{inner} px in {shown} px") for caption, inner, shown in over]
    assert tables > 100
    assert wide == [], f"tables that scroll sideways at 1400 pixels: {wide}"


_COLUMN_WIDTHS = """JSON.stringify(Array.from(document.querySelector('.table-wrap table').querySelectorAll('thead th'))
  .map(function (th) { return [th.textContent, th.getBoundingClientRect().width]; }))"""


def test_a_column_of_sentences_has_room_in_a_compact_table(site, browser):
    """MH budget's Position (a sentence a row, in a table of fourteen columns, set compact) is given room to read
    on a few lines: at least 160 pixels, half as wide again as its Phased by column of a few words, not squeezed
    to the same 7rem, its sentences six lines tall."""
    browser.open((site / "mh-budget.html").resolve().as_uri())
    widths = dict(json.loads(browser.evaluate(_COLUMN_WIDTHS)))
    assert len(widths) >= 12
    assert widths["Position"] >= 160, widths
    assert widths["Position"] >= 1.5 * widths["Phased by"], widths
