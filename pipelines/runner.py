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

    def periods_in_inbox(self) -> list[str]:
        from assets.ingest.source_config import load_source_configs
        from assets.ingest.submissions import scan_inbox

        configs = load_source_configs(self.paths.source_configs)
        return sorted({f.period for f in scan_inbox(self.paths.inbox, configs) if f.period})

    def run_all(self, report_period: str | None = None, progress=print) -> RunSummary:
        """Reference data, every period in the inbox, the open book, then the reports."""
        progress("reference data ...")
        self.run("reference_job")
        periods = self.periods_in_inbox()
        for period in periods:
            progress(f"ingest {period} ...")
            self.run("ingest_job", period)
        progress("open book (marts and rpt_ tables) ...")
        self.run("open_book_job")
        target = report_period or (periods[-1] if periods else None)
        if target:
            progress(f"reports for {target} ...")
            self.run("report_job", target)
        return self.summary
