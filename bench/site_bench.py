"""The offline HTML site: its size and how fast its pages paint, opened from file:// in Chromium.

    .venv/bin/python bench/site_bench.py [--home DATA_HOME] [--loads 3] [--out bench-results/]

Without --home it generates the demo system in a temporary data home and runs `openbook run`.
Every page of the site (the summary, each section, the partners' index) is opened in headless
Chromium through its DevTools protocol (headless_chromium.py, which the browser tests drive
too), a fresh navigation each time, and timed by the browser's own Paint Timing and Navigation
Timing entries: first contentful paint (the reader sees the page) and the load event (charts
drawn). It prints the median of --loads loads per
page, the site's size, and the target (first paint under 1 s on every page) as met / not met.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from headless_chromium import Chromium, find_chromium  # noqa: E402

FIRST_PAINT_TARGET_MS = 1000.0
# waits for the page's first contentful paint (reported after the load event by a headless
# browser) and returns it with the navigation's timings, in milliseconds from navigation start
TIMINGS_JS = """new Promise(resolve => {
  const done = fcp => {
    const nav = performance.getEntriesByType("navigation")[0];
    resolve({fcp, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd});
  };
  const seen = performance.getEntriesByName("first-contentful-paint")[0];
  if (seen) { done(seen.startTime); return; }
  new PerformanceObserver(list => {
    const e = list.getEntriesByName("first-contentful-paint")[0];
    if (e) { done(e.startTime); }
  }).observe({type: "paint", buffered: true});
  setTimeout(() => done(null), 15000);
})"""


def load_timings(browser: Chromium, url: str) -> dict:
    """Navigate to ``url``, wait for its load event, return its timings (ms)."""
    browser.open(url)
    return browser.evaluate(TIMINGS_JS)


def demo_home(tmp: Path) -> Path:
    home = tmp / "home"
    env = {"OPENBOOK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    openbook = ROOT / ".venv" / "bin" / "openbook"
    for args in (["demo-data"], ["run"]):
        subprocess.run([str(openbook), *args], check=True, env={**os.environ, **env},
                       stdout=subprocess.DEVNULL)
    return home


def site_of(home: Path) -> Path:
    periods = sorted(p for p in (home / "reports").iterdir() if p.is_dir() and (p / "html").is_dir())
    if not periods:
        sys.exit(f"no HTML site under {home / 'reports'}: run `openbook run` first")
    return periods[-1] / "html"


def size(site: Path) -> dict:
    files = [p for p in site.rglob("*") if p.is_file()]
    return {"files": len(files), "mib": round(sum(p.stat().st_size for p in files) / 2**20, 1),
            "drill_pages": len(list((site / "drill").glob("*.html"))),
            "largest_page_kib": round(max(p.stat().st_size for p in site.glob("*.html")) / 1024)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="a data home where `openbook run` has written reports")
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args()
    chromium = find_chromium()
    if not chromium:
        sys.exit("Chromium is needed: `make chromium` (or apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="openbook-site-bench-") as tmp:
        home = args.home or demo_home(Path(tmp))
        site = site_of(home)
        pages = sorted(site.glob("*.html"))
        sizes = size(site)
        browser = Chromium(Path(tmp) / "profile", chromium)
        try:
            rows = []
            for page in pages:
                timings = [load_timings(browser, page.resolve().as_uri()) for _ in range(args.loads)]
                fcp = [t["fcp"] for t in timings if t["fcp"] is not None]
                rows.append({"page": page.name, "kib": round(page.stat().st_size / 1024),
                             "first_paint_ms": round(statistics.median(fcp)) if fcp else None,
                             "load_ms": round(statistics.median(t["load"] for t in timings))})
        finally:
            browser.close()
    worst = max((r["first_paint_ms"] or float("inf")) for r in rows)
    met = worst < FIRST_PAINT_TARGET_MS
    print(f"HTML site: {sizes['files']} files, {sizes['mib']} MiB "
          f"({sizes['drill_pages']} drill-down pages; largest page {sizes['largest_page_kib']} KiB)")
    print(f"{'page':34} {'KiB':>6} {'first paint ms':>15} {'load ms':>8}")
    for r in rows:
        print(f"{r['page']:34} {r['kib']:>6} {r['first_paint_ms'] if r['first_paint_ms'] is not None else '-':>15} "
              f"{r['load_ms']:>8}")
    print(f"target: first paint under {FIRST_PAINT_TARGET_MS:.0f} ms on every page "
          f"(median of {args.loads} loads): worst {worst:.0f} ms -> {'met' if met else 'NOT MET'}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "site.json").write_text(json.dumps(
        {"size": sizes, "pages": rows, "target_ms": FIRST_PAINT_TARGET_MS, "worst_first_paint_ms": worst,
         "met": met}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
