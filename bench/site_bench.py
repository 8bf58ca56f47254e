"""The offline HTML site: its size and how fast its pages paint, opened from file:// in Chromium.

    .venv/bin/python bench/site_bench.py [--home DATA_HOME] [--loads 3] [--out bench-results/]

Without --home it generates the demo system in a temporary data home and runs `openbook run`.
Every page of the site (the summary, each section, the partners' index) is opened in headless
Chromium through its DevTools protocol, a fresh navigation each time, and timed by the
browser's own Paint Timing and Navigation Timing entries: first contentful paint (the reader
sees the page) and the load event (charts drawn). It prints the median of --loads loads per
page, the site's size, and the target (first paint under 1 s on every page) as met / not met.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]
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


class Browser:
    """Headless Chromium driven over its DevTools protocol (one page, one websocket)."""

    def __init__(self, profile: Path):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            sys.exit("Chromium is needed: `make chromium` (or apt-get install chromium)")
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1400,1000",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.is_file() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            target = next(t for t in json.load(resp) if t["type"] == "page")
        self.stack = ExitStack()
        self.ws = self.stack.enter_context(connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=30))
        self.next_id = 0
        self.call("Page.enable")

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def open(self, url: str) -> dict:
        """Navigate to ``url``, wait for its load event, return its timings (ms)."""
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("method") == "Page.loadEventFired":
                break
        result = self.call("Runtime.evaluate", expression=TIMINGS_JS, awaitPromise=True, returnByValue=True)
        return result["result"]["value"]

    def close(self) -> None:
        self.stack.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


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
    with tempfile.TemporaryDirectory(prefix="openbook-site-bench-") as tmp:
        home = args.home or demo_home(Path(tmp))
        site = site_of(home)
        pages = sorted(site.glob("*.html"))
        sizes = size(site)
        browser = Browser(Path(tmp) / "profile")
        try:
            rows = []
            for page in pages:
                timings = [browser.open(page.resolve().as_uri()) for _ in range(args.loads)]
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
