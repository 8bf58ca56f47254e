"""A national deployment sized from measured figures: 42 ICSs, about 1,500 partners, ten
years of monthly files, on the single-file path (Dagster + one DuckDB file) and on the
DuckLake path (measured in 2026-11 by the separate lake loader since replaced by the same
pipeline on DuckLake, warehouse/lake.py).

    .venv/bin/python bench/national_sizing.py \
        [--results docs/bench/results-2026-11-23-after.md] [--storage storage.json]

Inputs, written by the bench:
  --results  a `make bench` results.md at two sizes (kept in docs/bench): wall and CPU
             seconds and peak RSS per stage, and each Dagster run's seconds by job
  --storage  optional: bench/storage_sizes.py's bytes on disk at two sizes

Every cost is fitted from two measured sizes of the demo (same 24 months x 12 partners,
10x the lines): what grows between them is charged per line, what does not is split into
per process, per Dagster run and per partition (partner-month) as set out in `fit`. The
national load is then these unit costs times national counts (`national_load`). The
partner mix and lines per partner-month are in PARTNER_KINDS with where each figure comes
from. Linear in lines and partitions: nothing here models contention, spilling or a
catalog that saturates, so treat the results as the order of magnitude the measured
costs imply, not a promise.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The demo run_bench.py measures: 24 monthly periods x 12 partners, one file per
# partner-month (and one resubmission); two partner-months are held back from the full run
# to arrive late (run_bench.late_files), so the full run loads 286 partitions, the lake 288.
DEMO_PERIODS = 24
DEMO_PARTNERS = 12
HELD_BACK = 2
FULL_RUN_DAGSTER_RUNS = DEMO_PERIODS + 3  # reference, an ingest run per period, open book, reports
INCREMENTAL_DAGSTER_RUNS = 3  # the late file's period, open book, reports

ICSS = 42
MONTHS = 120  # ten years of monthly files


@dataclass(frozen=True)
class PartnerKind:
    kind: str
    count: int
    file: str  # what this kind of partner submits
    lines_extract: float  # lines a month in a transparency extract (scenario A)
    lines_ledger: float  # lines a month in an over-£500 ledger (scenario B)
    source: str


# Lines a month per partner, from tests/realworld/ (README table: lines per file; months per
# file from the file's own span). Counts: one ICB per ICS; about five NHS trusts per ICS
# (some 210 in England); the 153 upper-tier councils (social care and public health); the
# rest of the 1,500 voluntary-sector (VCSE) partners.
PARTNER_KINDS = (
    PartnerKind("ICB", ICSS, "expenditure over £25,000", 268, 1523,
                "median of the corpus's eleven CCG April files (92-1,523 lines); B: its largest, NHS North Central "
                "London (no over-£500 ICB file in the corpus)"),
    PartnerKind("NHS trust", 210, "expenditure over £25,000 (A), payments over £500 (B)", 150, 10187,
                "median of the corpus's ten trust over-£25k files (42-473 lines a month; Hillingdon's workbook "
                "of 7 months = 68/month); B: Guy's and St Thomas' over £500, August 2020, a large trust"),
    PartnerKind("local authority", 153, "payments over £500", 965, 2516,
                "median of the corpus's five council months (Craven 171, Oxford 404 and 1,154 a month of two "
                "quarterly files, Lambeth 965 and 2,516); B: the largest month, Lambeth June 2012"),
    PartnerKind("VCSE", 1500 - ICSS - 210 - 153, "grants or contract ledger", 61, 61,
                "Lloyds Bank Foundation's 360Giving file: 4,116 grants over 68 months; no VCSE ledger in the "
                "corpus, so the same in A and B"),
)

SCENARIOS = {"A: transparency extracts": "lines_extract", "B: over-£500 ledgers": "lines_ledger"}


# --------------------------------------------------------------------------- reading the measured figures


@dataclass(frozen=True)
class StageFigures:
    rows: int
    wall: float
    cpu: float
    peak_rss_mib: float
    jobs: dict  # Dagster job -> seconds summed over its runs (empty when no breakdown)


def parse_results(text: str) -> dict[int, dict[str, StageFigures]]:
    """{ledger lines: {stage name: figures}} from a run_bench.py results.md."""
    sizes: dict[int, dict[str, StageFigures]] = {}
    jobs: dict[int, dict[str, dict]] = {}
    size = None
    for line in text.splitlines():
        heading = re.match(r"## ([\d,]+) ledger lines", line)
        if heading:
            size = int(heading.group(1).replace(",", ""))
            sizes[size], jobs[size] = {}, {}
            continue
        if size is None:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) == 8 and cells[1].replace(",", "").isdigit():
            name, rows, wall, _, _, cpu, _, rss = cells
            sizes[size][name] = StageFigures(int(rows.replace(",", "")), float(wall), float(cpu), float(rss), {})
        bullet = re.match(r"- (.+?): \d+ Dagster runs; by job: (.+?); top steps", line)
        if bullet:
            jobs[size][bullet.group(1)] = {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+) s", bullet.group(2))}
    return {s: {name: StageFigures(f.rows, f.wall, f.cpu, f.peak_rss_mib, jobs[s].get(name, {}))
                for name, f in stages.items()} for s, stages in sizes.items()}


def stage(figures: dict[str, StageFigures], prefix: str) -> StageFigures:
    return next(f for name, f in figures.items() if name.startswith(prefix))


# --------------------------------------------------------------------------- unit costs


@dataclass(frozen=True)
class Line:
    """cost = fixed + per_line * lines, through two measured points."""
    fixed: float
    per_line: float

    @classmethod
    def through(cls, lines_small: float, cost_small: float, lines_large: float, cost_large: float) -> "Line":
        per_line = (cost_large - cost_small) / (lines_large - lines_small)
        return cls(cost_small - per_line * lines_small, per_line)


@dataclass(frozen=True)
class UnitCosts:
    process_start: float  # s: a new `openbook run` process before its first run
    per_run: float  # s: creating one Dagster run and its events, beyond the work
    ingest_run: float  # s: one period's ingest run, beyond its partitions and lines
    ingest_partition: float  # s: one partner-month, beyond its lines
    ingest_line: float  # s per line: parse, load, stage, check
    open_book: Line  # the open book job over all lines
    reports: Line  # one partnership's reports over all lines
    reference: float  # s: the reference job
    rss_mib: Line  # peak RSS of the full run against log10(lines)
    lake_partition_cpu: float  # CPU s per partner-month on a lake worker, beyond its lines
    lake_line_cpu: float  # CPU s per line on a lake worker
    lake_efficiency: float  # CPU over (wall x workers) of the measured lake load, the larger size
    lake_worker_rss_mib: float  # peak RSS of one lake process, the larger size
    bytes_per_line: dict  # storage item -> bytes per line


def fit(results: dict[int, dict[str, StageFigures]], storage: dict | None, lake_workers: int = 2) -> UnitCosts:
    small, large = sorted(results)[:2]
    at_small, at_large = results[small], results[large]
    full_s, full_l = stage(at_small, "openbook full run"), stage(at_large, "openbook full run")
    inc_s, inc_l = stage(at_small, "incremental: openbook run"), stage(at_large, "incremental: openbook run")
    lake_s, lake_l = stage(at_small, "DuckLake load"), stage(at_large, "DuckLake load")

    # What is outside every job (process start, imports, creating runs) against the number of
    # runs: the full run makes 27 runs, the incremental run 3; mean of the two sizes.
    other_full = (full_s.wall - sum(full_s.jobs.values()) + full_l.wall - sum(full_l.jobs.values())) / 2
    other_inc = (inc_s.wall - sum(inc_s.jobs.values()) + inc_l.wall - sum(inc_l.jobs.values())) / 2
    per_run = (other_full - other_inc) / (FULL_RUN_DAGSTER_RUNS - INCREMENTAL_DAGSTER_RUNS)
    process_start = other_inc - INCREMENTAL_DAGSTER_RUNS * per_run

    ingest = Line.through(full_s.rows, full_s.jobs["ingest_job"], full_l.rows, full_l.jobs["ingest_job"])
    # One period's ingest run with one new file, at the smaller size (its period's other
    # lines are few): what is not that file's lines is the run's own cost.
    ingest_run = inc_s.jobs["ingest_job"] - ingest.per_line * inc_s.rows
    partitions = DEMO_PERIODS * DEMO_PARTNERS - HELD_BACK
    ingest_partition = (ingest.fixed - DEMO_PERIODS * ingest_run) / partitions

    lake = Line.through(lake_s.rows, lake_s.cpu, lake_l.rows, lake_l.cpu)
    # The lake stage also builds the open book (one process): its share, as the open book
    # job measured it, comes off the workers' CPU.
    open_book = Line.through(full_s.rows, full_s.jobs["open_book_job"], full_l.rows, full_l.jobs["open_book_job"])
    lake_partitions = DEMO_PERIODS * DEMO_PARTNERS
    return UnitCosts(
        process_start=process_start, per_run=per_run, ingest_run=ingest_run, ingest_partition=ingest_partition,
        ingest_line=ingest.per_line, open_book=open_book,
        reports=Line.through(full_s.rows, full_s.jobs["report_job"], full_l.rows, full_l.jobs["report_job"]),
        reference=(full_s.jobs.get("reference_job", 0.0) + full_l.jobs.get("reference_job", 0.0)) / 2,
        rss_mib=Line.through(math.log10(full_s.rows), full_s.peak_rss_mib, math.log10(full_l.rows),
                             full_l.peak_rss_mib),
        lake_partition_cpu=(lake.fixed - open_book.fixed) / lake_partitions,
        lake_line_cpu=lake.per_line - open_book.per_line,
        lake_efficiency=lake_l.cpu / (lake_l.wall * lake_workers),
        lake_worker_rss_mib=lake_l.peak_rss_mib,
        bytes_per_line=storage_per_line(storage) if storage else {})


def storage_per_line(storage: dict) -> dict:
    small, large = sorted(storage["sizes"], key=lambda r: r["rows"])[:2]
    items = {"inbox files": ("inbox_bytes",), "warehouse + published copy": ("warehouse_bytes", "published_bytes"),
             "lake Parquet + catalog": ("lake_parquet_bytes", "lake_catalog_bytes")}
    return {name: Line.through(small["rows"], sum(small[k] for k in keys), large["rows"],
                               sum(large[k] for k in keys)).per_line for name, keys in items.items()}


# --------------------------------------------------------------------------- the national load


@dataclass(frozen=True)
class Load:
    partners: int
    months: int
    lines_per_month: float

    @property
    def lines(self) -> float:
        return self.lines_per_month * self.months

    @property
    def partitions(self) -> int:
        return self.partners * self.months


def national_load(attribute: str, kinds=PARTNER_KINDS, months: int = MONTHS, scale: float = 1.0) -> Load:
    return Load(sum(k.count for k in kinds), months, scale * sum(k.count * getattr(k, attribute) for k in kinds))


def single_file_full(c: UnitCosts, load: Load, partnerships: int) -> float:
    """`openbook run --all` on one warehouse holding `load`: a run per month, the open book
    over every line, each partnership's reports."""
    runs = 1 + load.months + 1 + partnerships
    return (c.process_start + runs * c.per_run + c.reference
            + load.months * c.ingest_run + load.partitions * c.ingest_partition + load.lines * c.ingest_line
            + c.open_book.fixed + c.open_book.per_line * load.lines
            + partnerships * c.reports.fixed + c.reports.per_line * load.lines)


def single_file_month(c: UnitCosts, load: Load, partnerships: int) -> float:
    """A new month arrives: its ingest run, then the open book rebuilt over every line
    (as today) and each partnership's reports."""
    runs = 1 + 1 + partnerships
    return (c.process_start + runs * c.per_run + c.ingest_run + load.partners * c.ingest_partition
            + load.lines_per_month * c.ingest_line
            + c.open_book.fixed + c.open_book.per_line * load.lines
            + partnerships * c.reports.fixed + c.reports.per_line * load.lines)


def lake_full(c: UnitCosts, load: Load, workers: int, partnerships: int) -> float:
    """Every partition by `workers` lake workers (at the measured efficiency), then one open
    book over every line, then the partnerships' reports shared out over the workers."""
    load_cpu = load.partitions * c.lake_partition_cpu + load.lines * c.lake_line_cpu
    return (load_cpu / (workers * c.lake_efficiency) + c.open_book.fixed + c.open_book.per_line * load.lines
            + math.ceil(partnerships / workers) * c.reports.fixed + c.reports.per_line * load.lines)


def lake_month(c: UnitCosts, load: Load, workers: int, partnerships: int) -> float:
    month = Load(load.partners, 1, load.lines_per_month)
    load_cpu = month.partitions * c.lake_partition_cpu + month.lines * c.lake_line_cpu
    return (load_cpu / (workers * c.lake_efficiency) + c.open_book.fixed + c.open_book.per_line * load.lines
            + math.ceil(partnerships / workers) * c.reports.fixed + c.reports.per_line * load.lines)


def workers_for(c: UnitCosts, load: Load, seconds: float, partnerships: int, most: int = 1024) -> int | None:
    """The fewest lake workers that reload everything within `seconds` (None: not with `most`)."""
    return next((w for w in range(1, most + 1) if lake_full(c, load, w, partnerships) <= seconds), None)


# --------------------------------------------------------------------------- output


def hours(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def table(c: UnitCosts, scale: float = 1.0, lake_workers=(4, 16), within: float = 3600) -> list[str]:
    out = ["| | " + " | ".join(SCENARIOS) + " |", "|---|" + "---:|" * len(SCENARIOS)]
    loads = [national_load(attr, scale=scale) for attr in SCENARIOS.values()]
    shard = [Load(load.partners // ICSS, load.months, load.lines_per_month / ICSS) for load in loads]
    gib = 1024 ** 3

    def row(label, values):
        out.append(f"| {label} | " + " | ".join(values) + " |")

    row("partners / partitions (partner-months)", [f"{x.partners:,} / {x.partitions:,}" for x in loads])
    row("lines a month / in ten years", [f"{x.lines_per_month / 1e3:,.0f}k / {x.lines / 1e6:,.1f}M" for x in loads])
    row("single file, one national warehouse: full reload", [hours(single_file_full(c, x, ICSS)) for x in loads])
    row("single file, one national warehouse: monthly cycle", [hours(single_file_month(c, x, ICSS)) for x in loads])
    row("single file, a warehouse per ICS (42 workers): full reload",
        [hours(single_file_full(c, x, 1)) for x in shard])
    row("single file, a warehouse per ICS: monthly cycle", [hours(single_file_month(c, x, 1)) for x in shard])
    row("single file: peak RSS, national / per ICS (extrapolated)",
        [f"{c.rss_mib.fixed + c.rss_mib.per_line * math.log10(x.lines):,.0f} / "
         f"{c.rss_mib.fixed + c.rss_mib.per_line * math.log10(y.lines):,.0f} MiB" for x, y in zip(loads, shard)])
    for w in lake_workers:
        row(f"DuckLake, {w} workers: full reload", [hours(lake_full(c, x, w, ICSS)) for x in loads])
        row(f"DuckLake, {w} workers: monthly cycle", [hours(lake_month(c, x, w, ICSS)) for x in loads])
    row(f"DuckLake: workers for a full reload within {within / 3600:g} h",
        [str(workers_for(c, x, within, ICSS) or "more than 1024") for x in loads])
    row("DuckLake: worker CPU of a full reload (load only)",
        [hours(x.partitions * c.lake_partition_cpu + x.lines * c.lake_line_cpu) for x in loads])
    row("DuckLake: peak RSS of one process (measured at the larger size)",
        [f"{c.lake_worker_rss_mib:,.0f} MiB"] * len(loads))
    for name, per_line in c.bytes_per_line.items():
        row(f"storage: {name}", [f"{per_line * x.lines / gib:,.1f} GiB" for x in loads])
    return out


def costs_lines(c: UnitCosts) -> list[str]:
    return [f"process start {c.process_start:.2f} s; per Dagster run {c.per_run:.2f} s; per ingest run "
            f"{c.ingest_run:.2f} s; per partition {c.ingest_partition * 1e3:.0f} ms; per line "
            f"{c.ingest_line * 1e6:.2f} us (ingest)",
            f"open book {c.open_book.fixed:.2f} s + {c.open_book.per_line * 1e6:.2f} us a line; a partnership's "
            f"reports {c.reports.fixed:.2f} s + {c.reports.per_line * 1e6:.3f} us a line; reference {c.reference:.2f} s",
            f"lake worker: {c.lake_partition_cpu * 1e3:.0f} CPU-ms a partition + {c.lake_line_cpu * 1e6:.2f} CPU-us "
            f"a line, efficiency {c.lake_efficiency:.2f}",
            "bytes a line: " + (", ".join(f"{k} {v:.0f}" for k, v in c.bytes_per_line.items()) or "not measured")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "docs" / "bench" / "results-2026-11-23-after.md")
    parser.add_argument("--storage", type=Path, help="bench/storage_sizes.py's JSON (storage rows only with it)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every partner's lines (full ledgers are larger than these files)")
    args = parser.parse_args(argv)
    storage = json.loads(args.storage.read_text()) if args.storage else None
    costs = fit(parse_results(args.results.read_text()), storage)
    print(f"unit costs from {args.results.name}" + (f" and {args.storage.name}:" if storage else ":"))
    print("\n".join(f"  {line}" for line in costs_lines(costs)))
    print()
    print("\n".join(table(costs, scale=args.scale)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
