"""Where `openbook run` holds its memory: peak RSS per Dagster step, and DuckDB's share.

    .venv/bin/python bench/memory_bench.py --home H [--no-reports] [--json out.json] [--trace out.tsv]

Runs `openbook --home H run` in this process (as the CLI does: every Dagster run is
executed in-process) with a sampler thread that reads, every 0.1 s, the process's resident
set (/proc/self/status VmRSS) and DuckDB's own memory (`duckdb_memory()` on a cursor of the
run's warehouse instance). Afterwards each sample is put in the Dagster step that was
running then (STEP_START / STEP_SUCCESS / STEP_FAILURE of the run's event log) and it prints,
per step, its peak RSS and DuckDB's memory at that peak; the process's own peak (VmHWM) is
printed last. A measurement, not a test: nothing here judges the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """(time, RSS bytes, DuckDB bytes) every `every` seconds until stopped."""

    def __init__(self, every: float = 0.1):
        super().__init__(daemon=True)
        self.every = every
        self.samples: list[tuple[float, int, int]] = []
        self.cursors: list = []  # cursors on the run's DuckDB instance, one per writer open now
        self._halt = threading.Event()

    def duckdb_bytes(self) -> int:
        if not self.cursors:
            return 0
        cursor = self.cursors[0]  # the outermost writer's: it stays open the longest
        try:
            return int(cursor.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()[0])
        except Exception:  # the instance closed under us
            return 0

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append((time.time(), _status_kib("VmRSS") * 1024, self.duckdb_bytes()))
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _watch_writer(sampler: Sampler) -> None:
    """Give the sampler a cursor on every warehouse instance the run opens."""
    from warehouse import connection

    opened = connection.open_writer

    @contextmanager
    def watched(path):
        with opened(path) as con:
            cursor = con.cursor()
            sampler.cursors.append(cursor)
            try:
                yield con
            finally:
                sampler.cursors.remove(cursor)
                cursor.close()

    connection.open_writer = watched


def _steps(home: Path, since: float) -> list[tuple[str, float, float]]:
    """(job/step, start, end) of every step of the runs started after `since`."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    instance = dg.DagsterInstance.get()
    steps = []
    for record in instance.get_run_records():
        if record.start_time is None or record.start_time < since:
            continue
        started = {}
        for entry in instance.all_logs(record.dagster_run.run_id, of_type={
                dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}):
            if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START:
                started[entry.step_key] = entry.timestamp
            elif entry.step_key in started:
                steps.append((entry.step_key, started.pop(entry.step_key), entry.timestamp))
    return sorted(steps, key=lambda s: s[1])


def per_step(samples: list[tuple[float, int, int]], steps: list[tuple[str, float, float]]) -> dict[str, dict]:
    """Each step's peak RSS (MiB), DuckDB's bytes at that peak, DuckDB's own peak, seconds;
    samples in no step go to "(between steps)"."""
    out: dict[str, dict] = defaultdict(lambda: {"peak_rss_mib": 0.0, "duckdb_at_peak_mib": 0.0,
                                                "peak_duckdb_mib": 0.0, "seconds": 0.0})
    for name, start, end in steps:
        out[name]["seconds"] += end - start
    for at, rss, duck in samples:
        name = next((n for n, start, end in steps if start <= at <= end), "(between steps)")
        row = out[name]
        if rss / MIB > row["peak_rss_mib"]:
            row["peak_rss_mib"], row["duckdb_at_peak_mib"] = rss / MIB, duck / MIB
        row["peak_duckdb_mib"] = max(row["peak_duckdb_mib"], duck / MIB)
    return {k: {f: round(v, 1) for f, v in row.items()} for k, row in out.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--no-reports", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--trace", type=Path, help="write every sample here (seconds, RSS MiB, DuckDB MiB)")
    args = parser.parse_args(argv)
    home = args.home.resolve()
    os.environ["OPENBOOK_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")

    from pipelines.cli import main as openbook

    sampler = Sampler()
    _watch_writer(sampler)
    since = time.time()
    sampler.start()
    code = openbook(["--home", str(home), "run", *(["--no-reports"] if args.no_reports else [])])
    sampler.stop()
    steps = _steps(home, since)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures = {"exit": code, "wall_s": round(time.time() - since, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
               "peak_rss_mib": round(_status_kib("VmHWM") / 1024, 1),
               "peak_duckdb_mib": round(max((d for _, _, d in sampler.samples), default=0) / MIB, 1),
               "steps": per_step(sampler.samples, steps)}
    width = max(len(name) for name in figures["steps"])
    print(f"{'step':<{width}} | {'s':>7} | {'peak RSS MiB':>12} | {'DuckDB then':>11} | {'DuckDB peak':>11}")
    for name, row in sorted(figures["steps"].items(), key=lambda kv: -kv[1]["peak_rss_mib"]):
        print(f"{name:<{width}} | {row['seconds']:>7.1f} | {row['peak_rss_mib']:>12.0f} | "
              f"{row['duckdb_at_peak_mib']:>11.0f} | {row['peak_duckdb_mib']:>11.0f}")
    print(f"process peak RSS (VmHWM) {figures['peak_rss_mib']:.0f} MiB; DuckDB's peak {figures['peak_duckdb_mib']:.0f} MiB; "
          f"{figures['wall_s']:.0f} s wall, {figures['cpu_s']:.0f} s CPU")
    if args.trace:
        with open(args.trace, "w") as out:
            for at, rss, duck in sampler.samples:
                out.write(f"{at - since:.2f}\t{rss / MIB:.0f}\t{duck / MIB:.0f}\n")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    print(json.dumps({"peak_rss_mib": figures["peak_rss_mib"], "exit": code}))
    return 0 if code in (0, 1) else code


if __name__ == "__main__":
    sys.exit(main())
