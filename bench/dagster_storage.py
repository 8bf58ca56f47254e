"""Dagster's instance storage, SQLite (the default) against PostgreSQL (dagster-postgres,
the production setting): the same `openbook run` on the same demo home, timed each way.

    .venv/bin/python bench/dagster_storage.py [--home PRISTINE] [--repeats 2] [--json out.json]

Without --home the built-in demo (`openbook demo-data`) is written to a temporary home.
Each run gets its own fresh copy of that home. The PostgreSQL runs use a throwaway server
(bench/throwaway_postgres.py: initdb in a temporary directory, stopped and deleted at the
end), with the copy's dagster.yaml (openbook's DAGSTER_HOME is <home>/dagster) set to the
configuration docs/scaling.md documents for production; a fresh database per run.
Variants alternate (sqlite, postgres, sqlite, ...) so a busy machine's load falls on both;
with --together each pair runs at the same time instead (on a machine others are using,
both then meet the same load; each also slows the other).

Prints wall and CPU seconds and peak RSS of each `openbook run` process tree, the
PostgreSQL server's own CPU seconds during the run (another process tree, so not in the
client's figures), and the ratios postgres / sqlite.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from run_bench import openbook, run_process  # noqa: E402
from throwaway_postgres import throwaway_postgres  # noqa: E402
from warehouse.settings import environment_restored  # noqa: E402

# What production puts in $DAGSTER_HOME/dagster.yaml: every instance store (runs, event
# log, schedules) in one PostgreSQL database, credentials from the environment.
POSTGRES_DAGSTER_YAML = """\
telemetry:
  enabled: false
storage:
  postgres:
    postgres_db:
      # SQLAlchemy 2.1 takes plain postgresql:// to mean psycopg 3; dagster-postgres
      # installs psycopg2
      scheme: postgresql+psycopg2
      hostname:
        env: DAGSTER_PG_HOST
      port:
        env: DAGSTER_PG_PORT
      db_name:
        env: DAGSTER_PG_DB
      username:
        env: DAGSTER_PG_USERNAME
      password:
        env: DAGSTER_PG_PASSWORD
"""


def pristine_home(work: Path) -> Path:
    home = work / "pristine"
    subprocess.run(openbook("--home", str(home), "demo-data"), cwd=ROOT, check=True, capture_output=True)
    return home


def one_run(pristine: Path, work: Path, variant: str, index: int, pg=None) -> dict:
    home = work / f"{variant}-{index}"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(pristine, home, copy_function=shutil.copy2)  # mtimes kept: resubmissions stay newer
    shutil.rmtree(home / "dagster", ignore_errors=True)
    shutil.rmtree(home / "warehouse", ignore_errors=True)
    env = {}
    if variant == "postgres":
        database = f"dagster_{index}"
        pg.createdb(database)
        (home / "dagster").mkdir()
        (home / "dagster" / "dagster.yaml").write_text(POSTGRES_DAGSTER_YAML)
        env = {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(pg.port), "DAGSTER_PG_DB": database,
               "DAGSTER_PG_USERNAME": pg.user, "DAGSTER_PG_PASSWORD": "throwaway"}  # trust auth: any password
    server_before = pg.server_cpu_seconds() if pg else 0.0
    load_before = os.getloadavg()[0]
    with environment_restored(*env):
        os.environ.update(env)  # run_process passes this process's environment on
        code, wall, cpu, rss, last = run_process(openbook("--home", str(home), "run"), work / f"{variant}-{index}.log")
    result = {"variant": variant, "ok": code == 0, "wall": round(wall, 2), "cpu": round(cpu, 2),
              "server_cpu": round(pg.server_cpu_seconds() - server_before, 2) if pg else 0.0,
              "peak_rss_mib": round(rss), "load_before": load_before, "load_after": os.getloadavg()[0],
              "last_line": last}
    if variant == "postgres":
        result["stored_in_postgres"] = runs_in_postgres(pg, database)
    shutil.rmtree(home, ignore_errors=True)
    return result


def runs_in_postgres(pg, database: str) -> int:
    """How many runs the PostgreSQL instance holds: proof the runs went there, not to a
    SQLite file beside the config."""
    return int(pg.scalar(database, "SELECT count(*) FROM runs"))


def summarise(results: list[dict]) -> dict:
    by = {v: [r for r in results if r["variant"] == v] for v in ("sqlite", "postgres")}
    med = {v: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "server_cpu", "peak_rss_mib")}
           for v, rs in by.items()}
    return {"median": med, "ratio_wall": med["postgres"]["wall"] / med["sqlite"]["wall"],
            "ratio_cpu": med["postgres"]["cpu"] / med["sqlite"]["cpu"],
            "ratio_cpu_with_server": (med["postgres"]["cpu"] + med["postgres"]["server_cpu"]) / med["sqlite"]["cpu"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="a pristine data home (default: the demo, freshly written)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--together", action="store_true",
                        help="run each pair at the same time, so a machine others are using loads both alike")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="openbook-dagster-storage-"))
    results = []
    try:
        pristine = args.home or pristine_home(work)
        with throwaway_postgres() as pg:
            for index in range(args.repeats):
                run = lambda variant: one_run(pristine, work, variant, index,  # noqa: E731
                                              pg if variant == "postgres" else None)
                if args.together:
                    with ThreadPoolExecutor(2) as pool:
                        pair = list(pool.map(run, ("sqlite", "postgres")))
                else:
                    pair = [run(variant) for variant in ("sqlite", "postgres")]
                for result in pair:
                    results.append(result)
                    print(f"{result['variant']:<9} {result['wall']:7.1f} s wall {result['cpu']:7.1f} s CPU "
                          f"(+{result['server_cpu']:.1f} s PostgreSQL server) {result['peak_rss_mib']:5d} MiB "
                          f"load {result['load_before']:.1f}{'' if result['ok'] else '  FAILED'}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = summarise(results)
    med = summary["median"]
    print(f"median wall: sqlite {med['sqlite']['wall']:.1f} s, postgres {med['postgres']['wall']:.1f} s; "
          f"postgres / sqlite = {summary['ratio_wall']:.2f} (CPU {summary['ratio_cpu']:.2f}, "
          f"{summary['ratio_cpu_with_server']:.2f} with the server's CPU)")
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "summary": summary, "cpus": os.cpu_count()},
                                        indent=2) + "\n")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
