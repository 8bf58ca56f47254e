"""Running the jobs in this process against a persistent Dagster instance under the data
home, so `make ui` shows every run, materialisation and check result afterwards."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.settings import Paths


def dagster_home(paths: Paths) -> Path:
    home = paths.home / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return home


@dataclass
class RunSummary:
    steps: list[tuple[str, str, float, bool]] = field(default_factory=list)  # job, partition, seconds, success

    @property
    def ok(self) -> bool:
        return all(success for *_, success in self.steps)


class Runner:
    def __init__(self, paths: Paths, quiet: bool = True):
        self.paths = paths
        # Dagster logs every event at DEBUG to the console; keep warnings and errors only.
        self.run_config = {"loggers": {"console": {"config": {"log_level": "WARNING" if quiet else "INFO"}}}}
        os.environ["OPENBOOK_HOME"] = str(paths.home)
        os.environ["DAGSTER_HOME"] = str(dagster_home(paths))
        from pipelines.definitions import defs  # imported late: Dagster import is slow

        self.defs = defs
        self.instance = dg.DagsterInstance.get()
        self.summary = RunSummary()

    def run(self, job_name: str, partition_key: str | None = None) -> bool:
        job = self.defs.resolve_job_def(job_name)
        started = time.perf_counter()
        result = job.execute_in_process(
            run_config=self.run_config, instance=self.instance, partition_key=partition_key, raise_on_error=False)
        seconds = time.perf_counter() - started
        self.summary.steps.append((job_name, partition_key or "", seconds, result.success))
        return result.success

    def run_all(self, report_period: str | None = None, progress=print, everything: bool = False) -> RunSummary:
        """Reference data and the periods whose inputs changed since they last ran
        (everything when told, or when the reference data or the rules changed), then the
        open book and the reports. What succeeded is recorded, so a failed or blocked
        period is tried again next time."""
        from pipelines.changes import REFERENCE, RULES, UNDATED, Inputs, plan, record_inputs, recorded_inputs
        from pipelines.warehouse import open_writer

        inputs = Inputs.scan(self.paths)
        with open_writer(self.paths.warehouse) as con:
            todo = plan(inputs, recorded_inputs(con), everything)
        done: dict[str, str] = {}
        skipped = len(inputs.periods) - len(todo.periods)
        if skipped:
            progress(f"{skipped} of {len(inputs.periods)} periods unchanged since their last run: not re-ingested")
        reference_ok = True
        if todo.reference:
            progress("reference data ...")
            reference_ok = self.run("reference_job")
        for period in todo.periods:
            progress(f"ingest {period} ...")
            if self.run("ingest_job", period):
                done[f"period {period}"] = inputs.fingerprints[f"period {period}"]
        undated = f"period {UNDATED}"
        if done and undated in inputs.fingerprints:  # any period's raw_ledger logs the undated files
            done[undated] = inputs.fingerprints[undated]
        # Periods that failed stay unrecorded and run again next time, with these rules.
        done[RULES] = inputs.fingerprints[RULES]
        if reference_ok:
            done[REFERENCE] = inputs.fingerprints[REFERENCE]
        with open_writer(self.paths.warehouse) as con:
            record_inputs(con, done)
        progress("open book (marts and rpt_ tables) ...")
        self.run("open_book_job")
        target = report_period or (inputs.periods[-1] if inputs.periods else None)
        if target:
            progress(f"reports for {target} ...")
            self.run("report_job", target)
        return self.summary
