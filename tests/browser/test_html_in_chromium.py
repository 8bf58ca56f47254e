"""The HTML site opened in a real headless Chromium (the system package; CI installs it):
every chart renders, no page logs a console message (errors included), and every link
between pages resolves."""
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--enable-logging=stderr", "--v=0", "--virtual-time-budget=8000",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is needed for the browser tests: `apt-get install chromium` (make test does this as root)"
    return found


def render(page: Path, profile: Path) -> tuple[str, list[str]]:
    """The DOM after scripts ran, and the console messages Chromium logged."""
    run = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    return run.stdout, console


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag in ("script", "link") and (attrs.get("src") or attrs.get("href")):
            self.hrefs.append(attrs.get("src") or attrs.get("href"))


@pytest.fixture(scope="module")
def site(demo_home) -> Path:
    folders = sorted(p for p in (demo_home / "reports").iterdir() if p.is_dir() and not p.name.startswith("."))
    assert folders, "the demo run wrote no reports"
    return folders[-1] / "html"


def test_every_page_renders_its_charts_without_console_messages(site, tmp_path):
    pages = sorted(site.glob("*.html"))
    assert len(pages) >= 3
    for page in pages:
        source = page.read_text(encoding="utf-8")
        expected_charts = source.count("Plotly.newPlot(")
        dom, console = render(page, tmp_path / "profile")
        assert console == [], f"{page.name} logged: {console}"
        rendered = len(re.findall(r'class="plotly-graph-div[^"]*"[^>]*>\s*<div class="plot-container', dom))
        assert rendered == expected_charts, f"{page.name}: {rendered} of {expected_charts} charts rendered"


def test_every_link_resolves(site):
    for page in site.rglob("*.html"):
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for href in parser.hrefs:
            assert not re.match(r"^[a-z]+://", href), f"{page.name} links outside the site: {href}"
            target = href.split("#", 1)[0].split("?", 1)[0]
            if target:
                assert (page.parent / target).exists(), f"{page.name}: link {href} does not resolve"
