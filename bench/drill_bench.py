"""The HTML site's build with its drill pages read page by page or in grouped passes, side by side.

    .venv/bin/python bench/drill_bench.py --home H [--repeat 3] [--period YYYY-MM]

Each build runs in a fresh process (a cold DuckDB buffer pool each time, as a report run finds it)
on the home's warehouse opened read-only, the site written to a temporary folder. ``per_page``
reads every page's lines with its own two queries (reports/drill_pass.read_one, as the site did
before the grouped passes); ``grouped`` is the site as it is. Both modes alternate, so load on a
shared machine falls on both alike. It prints, per mode, the median CPU seconds (user + sys of the
process, DuckDB's threads included) and wall seconds of the whole site and of reading the drill
pages' lines alone, the number of pages, and the number of passes over a source that read them
(one a page, or one a template).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build(home: Path, period: str | None, mode: str) -> dict:
    """One site build in this process; the drill pages' reading timed on its own."""
    import duckdb

    from reports import drill_pass, html_site

    read_many, spent = drill_pass.read_many, {"cpu": 0.0, "wall": 0.0, "pages": 0, "passes": 0}

    def per_page(con, asks, service_line_of):
        return [drill_pass.read_one(con, cond, limit, service_line_of(cond.source)) for cond, limit in asks]

    def timed(con, asks, service_line_of):
        cpu, wall = _cpu(), time.perf_counter()
        reads = (per_page if mode == "per_page" else read_many)(con, asks, service_line_of)
        templates = {drill_pass._template(cond) for cond, _ in asks}
        spent.update(cpu=spent["cpu"] + _cpu() - cpu, wall=spent["wall"] + time.perf_counter() - wall,
                     pages=spent["pages"] + len(asks),
                     passes=spent["passes"] + (len(asks) if mode == "per_page" else len(templates)))
        return reads

    drill_pass.read_many = timed
    con = duckdb.connect(str(home / "warehouse" / "openbook.duckdb"), read_only=True)
    period = period or con.execute("SELECT max(period) FROM rpt_open_book").fetchone()[0]
    cpu, wall = _cpu(), time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        html_site.build_html_site(con, period, Path(out) / "html")
    return {"mode": mode, "site_cpu": _cpu() - cpu, "site_wall": time.perf_counter() - wall,
            "drill_cpu": spent["cpu"], "drill_wall": spent["wall"], "pages": spent["pages"],
            "passes": spent["passes"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--period")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", choices=("per_page", "grouped"), help=argparse.SUPPRESS)  # a child's build
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(build(args.home, args.period, args.one)))
        return 0
    runs: dict[str, list[dict]] = {"per_page": [], "grouped": []}
    for _ in range(args.repeat):
        for mode in runs:
            cmd = [sys.executable, __file__, "--home", str(args.home), "--one", mode]
            cmd += ["--period", args.period] if args.period else []
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            runs[mode].append(json.loads(out.strip().splitlines()[-1]))
    print(f"{'mode':10s} {'site CPU s':>11s} {'site wall s':>12s} {'drill CPU s':>12s} {'drill wall s':>13s}"
          f" {'pages':>6s} {'passes':>7s}   (medians of {args.repeat} fresh processes)")
    medians = {}
    for mode, results in runs.items():
        m = {k: statistics.median(r[k] for r in results) for k in ("site_cpu", "site_wall", "drill_cpu", "drill_wall")}
        medians[mode] = m
        print(f"{mode:10s} {m['site_cpu']:11.2f} {m['site_wall']:12.2f} {m['drill_cpu']:12.2f} {m['drill_wall']:13.2f}"
              f" {results[0]['pages']:6d} {results[0]['passes']:7d}")
    before, after = medians["per_page"], medians["grouped"]
    print(f"grouped / per_page: site CPU {after['site_cpu'] / before['site_cpu']:.2f}, "
          f"drill CPU {after['drill_cpu'] / before['drill_cpu']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
