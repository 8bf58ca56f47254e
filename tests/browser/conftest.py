"""The site the browser tests open (the demo home's latest reports), for the tests that drive Chromium
over its DevTools protocol one headless Chromium per parallel worker (each test opens the page it reads),
and the run's one visit of each page the charts test and the table-width test read."""
from __future__ import annotations

from pathlib import Path

import pytest

from headless_chromium import Chromium
from tests.browser.test_html_in_chromium import Visit, chart_pages, chromium, visit
from tests.browser.test_table_widths_in_chromium import TABLE_WIDTHS, width_pages


def latest_site(demo_home: Path) -> Path:
    folders = sorted(p for p in (demo_home / "reports").iterdir() if p.is_dir() and not p.name.startswith("."))
    assert folders, "the demo run wrote no reports"
    return folders[-1] / "html"


@pytest.fixture(scope="module")
def site(demo_home) -> Path:
    return latest_site(demo_home)


# Every page loads plotly.min.js (3.5 MB). Streamed (Chromium's way with a large script) it is compiled off the
# main thread on each load, which V8's in-memory cache of compiled scripts does not serve (and a file:// page
# has no code cache); not streamed, it is compiled once a renderer and each later page takes the compiled
# code. What a page runs, logs and draws is the same; the site bench keeps the default, as a reader has it.
COMPILE_ONCE = ("--disable-features=ScriptStreaming",)


@pytest.fixture(scope="session")
def worker_chromium(tmp_path_factory):
    """One Chromium for the worker's browser tests (a start, and plotly's first compile, once a worker)."""
    b = Chromium(tmp_path_factory.mktemp("chromium"), chromium(), flags=COMPILE_ONCE)
    yield b
    b.close()


@pytest.fixture(scope="module")
def browser(worker_chromium):
    """The worker's Chromium on a blank page, its console cleared, for each test file: as a Chromium of the file's
    own would start (a file's first address is a new load even when the file before ended on that page)."""
    worker_chromium.open("about:blank")
    worker_chromium.console.clear()
    return worker_chromium


@pytest.fixture(scope="session")
def visits(demo_home, worker_chromium) -> dict[Path, Visit]:
    """Each page of chart_pages and width_pages loaded once in one Chromium (1400 × 1000 pixels): its DOM,
    its console messages and its tables' widths (TABLE_WIDTHS). Loading a page is nearly all of both tests'
    time and most pages are in both sets; test_html_in_chromium.py and test_table_widths_in_chromium.py go
    to one parallel worker (tests/worker_units.py), so each page is loaded once a run, not once per test."""
    site = latest_site(demo_home)
    return {page: visit(worker_chromium, page, measure=TABLE_WIDTHS)
            for page in dict.fromkeys(chart_pages(site) + width_pages(site))}
