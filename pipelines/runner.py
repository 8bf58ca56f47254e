"""Running the jobs in this process against a persistent Dagster instance under the data
home, so `make ui` shows every run, materialisation and check result afterwards.

One `openbook run` is one run group: every Dagster run it launches carries the tags
openbook/run_group=<id>, openbook/trigger=<cli|...> and openbook/step=<job [period or
first...last]>, so the UI can filter the group. Changed periods that follow one another are
ingested in one run (Dagster's per-run cost, not the data, was a third of a full run), and
each period ends in one outcome line as each other run does (loaded, blocked: which check
and how many rows, failed: why); Dagster's own log and any traceback go to the run's
event log (`make ui`) and to <home>/logs/<run group>.log, never to the terminal.
"""
from __future__ import annotations

import os
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from warehouse.plain_text import plural
from warehouse.settings import Paths

# What a run came to. A blocked ingest is a partner's data problem (that partner-month stays
# out of the open book until corrected); a failed run is openbook's or the machine's.
LOADED, BLOCKED, FAILED, DONE, SKIPPED = "loaded", "blocked", "failed", "done", "skipped"


def dagster_home(paths: Paths) -> Path:
    home = paths.home / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return home


@dataclass(frozen=True)
class Outcome:
    job: str
    partition: str
    status: str          # LOADED, BLOCKED, FAILED, DONE or SKIPPED
    detail: str
    run_id: str = ""

    @property
    def line(self) -> str:
        what = f"{self.job.removesuffix('_job').replace('_', ' ')}{' ' + self.partition if self.partition else ''}"
        return f"{what}: {self.status}{': ' + self.detail if self.detail else ''}"


@dataclass
class RunSummary:
    steps: list[tuple[str, str, float, bool]] = field(default_factory=list)  # job, partition, seconds, success
    outcomes: list[Outcome] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # files refused for their period, one line each

    @property
    def ok(self) -> bool:
        return all(success for *_, success in self.steps)

    @property
    def blocked(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == BLOCKED]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]


class Runner:
    def __init__(self, paths: Paths, quiet: bool = True, trigger: str = "cli"):
        self.paths = paths
        # Dagster logs every event to the console; in quiet mode (the CLI) nothing reaches the
        # terminal from Dagster: the outcome lines say what happened, the run's log says how.
        self.run_config = {"loggers": {"console": {"config": {"log_level": "CRITICAL" if quiet else "INFO"}}}}
        os.environ["OPENBOOK_HOME"] = str(paths.home)
        instance_home = dagster_home(paths)
        os.environ["DAGSTER_HOME"] = str(instance_home)
        from pipelines.definitions import defs  # imported late: Dagster import is slow
        from pipelines.instance import home_instance

        self.defs = defs
        self.instance = home_instance(instance_home)
        self.summary = RunSummary()
        self.run_group = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        self.tags = {"openbook/run_group": self.run_group, "openbook/trigger": trigger}
        self.log_path = paths.home / "logs" / f"run-{self.run_group}.log"

    # ------------------------------------------------------------------ periods
    def known_periods(self) -> list[str]:
        """Months a report can be made for: those with data in the inbox, and partitions
        already made by earlier runs."""
        from assets.partitions import inbox_periods, periods

        return sorted(set(inbox_periods(self.paths)) | set(self.instance.get_dynamic_partitions(periods.name)))

    def check_report_period(self, period: str) -> None:
        """PeriodError unless `period` is a month in range with data (before any work)."""
        from assets.partitions import PeriodError, check_period, period_range

        check_period(period, "--period")
        problem = period_range(self.paths).problem(period)
        if problem:
            raise PeriodError(f"--period: {problem}")
        known = self.known_periods()
        if period not in known:
            held = f"{known[0]} to {known[-1]}" if known else "none yet"
            raise PeriodError(f"--period: no data for {period} in this data home (periods with data: {held})")

    # ------------------------------------------------------------------ runs
    def run(self, job_name: str, partition_key: str | None = None, ops: dict | None = None) -> bool:
        """One run of the job (over one partition, if given); `ops`: the run config of its ops, e.g.
        {"board_reports": {"config": {"rebuild": True}}}."""
        result = self._execute(job_name, [partition_key] if partition_key else [], ops)
        self.summary.outcomes.append(self._outcome(job_name, partition_key or "", result))
        return result.success

    def ingest(self, periods: list[str]) -> list[Outcome]:
        """One ingest run for `periods`, a range of partitions (assets/partitions.py
        period_ranges), and each period's outcome. If a step fails for another reason than a
        blocking check, the run cannot tell which period it was: each period is then run on
        its own, as if the range had never been tried, so one period's crash costs no other."""
        if len(periods) == 1:
            self.run("ingest_job", periods[0])
            return self.summary.outcomes[-1:]
        result = self._execute("ingest_job", periods)
        if any(not _is_check_failure(e) for e in result.get_step_failure_events()) or (
                not result.success and not _blocking(result)):
            for period in sorted(periods):
                self.run("ingest_job", period)
            return self.summary.outcomes[-len(periods):]
        outcomes = [self._outcome("ingest_job", period, result) for period in sorted(periods)]
        self.summary.outcomes.extend(outcomes)
        return outcomes

    def _execute(self, job_name: str, partitions: list[str], ops: dict | None = None):
        """One Dagster run of the job: unpartitioned, one partition, or the range from the
        first of `partitions` to the last (in the partitions' order)."""
        from assets.dagster_internals import partition_range_tags
        from assets.partitions import add_periods

        job = self.defs.resolve_job_def(job_name)
        add_periods(self.instance, partitions)
        label = f"{partitions[0]}...{partitions[-1]}" if len(partitions) > 1 else "".join(partitions)
        tags = {**self.tags, "openbook/step": f"{job_name} {label}".strip()}
        if len(partitions) > 1:
            tags |= partition_range_tags(partitions[0], partitions[-1])
        started = time.perf_counter()
        run_config = {**self.run_config, "ops": ops} if ops else self.run_config
        result = job.execute_in_process(run_config=run_config, instance=self.instance,
                                        partition_key=partitions[0] if len(partitions) == 1 else None,
                                        raise_on_error=False, tags=tags)
        self.summary.steps.append((job_name, label, time.perf_counter() - started, result.success))
        return result

    def _outcome(self, job_name: str, partition: str, result) -> Outcome:
        """What the run came to for `partition` (of a run over one partition or a range)."""
        run_id = result.run_id
        blocking = [e for e in _blocking(result) if e.partition in (None, partition)]
        failures = [e for e in result.get_step_failure_events() if not _is_check_failure(e)]
        if failures:
            self._log_failures(job_name, partition, run_id, failures)
            return Outcome(job_name, partition, FAILED, f"{_first_line(failures[0])} (log: {self._log_name()})", run_id)
        if blocking and job_name == "ingest_job":
            return Outcome(job_name, partition, BLOCKED, _blocked_detail(blocking), run_id)
        if blocking:  # a model's own check (keys, reconciliation) failed: openbook's fault, not a partner's
            return Outcome(job_name, partition, FAILED, "check " + _blocked_detail(blocking, keeps=False), run_id)
        if not result.success and not _blocking(result):  # no step failed, yet the run did not succeed: say so
            return Outcome(job_name, partition, FAILED, f"the run did not succeed (run {run_id})", run_id)
        if job_name == "ingest_job":
            return Outcome(job_name, partition, LOADED, _loaded_detail(result, partition), run_id)
        if job_name == "report_job":
            return Outcome(job_name, partition, DONE, _report_detail(result), run_id)
        return Outcome(job_name, partition, DONE, "", run_id)

    def _log_name(self) -> str:
        try:
            return str(self.log_path.relative_to(self.paths.home))
        except ValueError:
            return str(self.log_path)

    def _log_failures(self, job_name: str, partition: str, run_id: str, failures) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a", encoding="utf-8") as log:
            for event in failures:
                error = event.step_failure_data.error if event.step_failure_data else None
                log.write(f"== {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} {job_name} {partition} "
                          f"run {run_id} step {event.step_key}\n")
                log.write((error.to_string() if error else str(event.message)) + "\n")

    def run_all(self, report_period: str | None = None, progress=print, everything: bool = False,
                reports: bool = True) -> RunSummary:
        """Reference data and the periods whose inputs changed since they last ran
        (everything when told, or when the reference data or the rules changed), then the
        open book and (unless `reports` is False: the warehouse loaded and published, for
        whoever only wants to query it) the reports. What succeeded is recorded, so a failed or blocked
        period is tried again next time. A failed reference or open-book run stops the
        group there: nothing is published and no report is swapped in from a warehouse a
        failed run left half rebuilt."""
        from pipelines.changes import REFERENCE, RULES, UNDATED, Inputs, plan, record_inputs, recorded_inputs
        from assets.partitions import add_periods, period_ranges
        from warehouse.connection import home_writer

        if report_period is not None:
            self.check_report_period(report_period)
        inputs = Inputs.scan(self.paths)
        self.summary.refused.extend(inputs.refused)
        for line in inputs.refused:
            progress(line)
        with home_writer(self.paths) as con:
            todo = plan(inputs, recorded_inputs(con), everything)
        add_periods(self.instance, inputs.periods)
        done: dict[str, str] = {}
        skipped = len(inputs.periods) - len(todo.periods)
        if skipped:
            progress(f"{skipped} of {len(inputs.periods)} periods unchanged since their last run: not re-ingested")
        reference_ok = True
        if todo.reference:
            reference_ok = self._step(progress, "reference_job")
        if not reference_ok:
            progress("stopped: the reference data did not load, so nothing is rebuilt or published")
            return self.summary
        for periods in period_ranges(self.instance, todo.periods):  # one run for every changed period in a row
            for outcome in self.ingest(periods):
                progress(outcome.line)
                if outcome.status == LOADED:
                    done[f"period {outcome.partition}"] = inputs.fingerprints[f"period {outcome.partition}"]
        undated = f"period {UNDATED}"
        if done and undated in inputs.fingerprints:  # any period's raw_ledger logs the undated files
            done[undated] = inputs.fingerprints[undated]
        # Periods that failed stay unrecorded and run again next time, with these rules.
        done[RULES] = inputs.fingerprints[RULES]
        if todo.reference:
            done[REFERENCE] = inputs.fingerprints[REFERENCE]
        with home_writer(self.paths) as con:
            record_inputs(con, done)
        if not self._step(progress, "open_book_job"):
            progress("stopped: the open book did not rebuild, so nothing is published and no report is replaced")
            return self.summary
        target = report_period or (inputs.periods[-1] if inputs.periods else None)
        if target and reports:
            self._step(progress, "report_job", target)
        return self.summary

    def _step(self, progress, job_name: str, partition: str | None = None) -> bool:
        ok = self.run(job_name, partition)
        progress(self.summary.outcomes[-1].line)
        return ok


def _blocking(result) -> list:
    """The run's failed blocking check evaluations."""
    return [e for e in result.get_asset_check_evaluations()
            if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]


def _is_check_failure(event) -> bool:
    """A blocking check that failed fails its step too; that is a block, not a crash."""
    error = event.step_failure_data.error if event.step_failure_data else None
    while error is not None:
        if error.cls_name == "DagsterAssetCheckFailedError":
            return True
        error = error.cause
    return False


def _first_line(event) -> str:
    error = event.step_failure_data.error if event.step_failure_data else None
    if error is None:
        return str(event.message or "a step failed").splitlines()[0]
    # Dagster wraps the asset's own error ("Error occurred while executing op ..."): say the cause.
    while error.cause is not None and error.cls_name in ("DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"):
        error = error.cause
    message = (error.message or error.cls_name).strip().splitlines()[0]
    # Dagster prefixes the message with the exception's qualified class name; a user needs the text.
    message = re.sub(r"^[\w.]*\.(Failure|[A-Za-z]*Error|[A-Za-z]*Exception): ", "", message)
    return f"{event.step_key}: {message}"


def _blocked_detail(evaluations, keeps: bool = True) -> str:
    parts = []
    for e in sorted(evaluations, key=lambda e: e.check_name):
        meta = {k: getattr(v, "value", v) for k, v in (e.metadata or {}).items()}
        rows, subs = meta.get("unexpected_rows"), meta.get("submissions_failed")
        counts = []
        if rows is not None:
            counts.append(f"{rows} row{'s' if rows != 1 else ''}")
        if subs is not None:
            counts.append(f"{subs} submission{'s' if subs != 1 else ''}")
        parts.append(f"{e.asset_key.to_user_string()} {e.check_name}" + (f" ({', '.join(counts)})" if counts else ""))
    return "; ".join(parts) + (" — a resubmission is rejected and the month keeps its last good submission; a first submission stays"
                                " out of the open book until a corrected file passes" if keeps else "")


def _report_detail(result) -> str:
    """Whether the reports were written or the current ones kept (assets/report_assets.py): a reader
    seeing "done" after a run that changed nothing would otherwise look for new files."""
    events = result.asset_materializations_for_node("board_reports")
    kept = events and str(getattr(events[-1].metadata.get("kept"), "value", "")).startswith("yes")
    return "kept the current reports: nothing they are made from changed" if kept else ""


def _loaded_detail(result, partition: str) -> str:
    events = [e for e in result.asset_materializations_for_node("raw_ledger") if e.partition == partition]
    if not events:
        return ""
    meta = {k: getattr(v, "value", v) for k, v in (events[-1].metadata or {}).items()}
    statuses = ", ".join(f"{meta[k]} {k.removeprefix('files_')}" for k in sorted(meta) if k.startswith("files_"))
    rows = meta.get("rows_read", 0)
    return f"{plural(meta.get('files', 0), 'file')} ({statuses or 'none'}), {plural(rows, 'row')} read"
