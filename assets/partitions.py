"""Ledgers are loaded by period (calendar month, `YYYY-MM`), and the periods are what the
data home holds.

Each month partition loads every partner's submission for that month; inside it a
partner-period is the unit of replacement, so one late or corrected file reloads only its
own rows (files already loaded with the same bytes are left alone).

The partitions are Dagster *dynamic* partitions named "periods": the months of the files in
the inbox, added by `openbook run` and by the inbox sensor before they ask for a period's
run. So the partitions begin at the first month with data and end at the latest one (not
today), and a deployment can hold any months from 2010-01 on. <home>/config/periods.yaml
may narrow the range a deployment accepts:

    first: 2019-04     # optional, default 2010-01 (nothing earlier is accepted)
    last: 2026-03      # optional, default: no limit

A file whose period falls outside the range is refused, on one line naming the file, and
every other file still loads. Code that needs the periods of the inbox calls
`inbox_periods(paths)`; the one place that reads a file's period(s) is `file_periods`.
"""
from __future__ import annotations

import dataclasses
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from warehouse.settings import Paths
from warehouse.yaml_files import read_yaml, validation_problems

EARLIEST = "2010-01"
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PERIODS_FILE = "periods.yaml"

periods = dg.DynamicPartitionsDefinition(name="periods")


@contextmanager
def partitioned_check_specs():
    """Where asset checks per period are declared. A check outside its asset's function gets
    the period only through `partitions_def` on its spec, which Dagster 1.13 marks as a
    preview and warns about at every import (on every command). That one warning is silenced
    here, around the declaration of those checks only; any other warning still shows."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.PreviewWarning, message=".*partitions_def on an AssetCheckSpec")
        yield


class PeriodError(ValueError):
    """A period that is not a month, or outside the deployment's range; one line, for the user."""


def check_period(text: str, where: str = "period") -> str:
    """`text` if it is a month YYYY-MM (01..12) from 2010-01 on, else PeriodError."""
    if not isinstance(text, str) or not PERIOD.match(text):
        raise PeriodError(f"{where}: {text!r} is not a month YYYY-MM (month 01 to 12)")
    if text < EARLIEST:
        raise PeriodError(f"{where}: {text} is before {EARLIEST}, the first period openbook accepts")
    return text


class PeriodRange(BaseModel):
    """<home>/config/periods.yaml: the months this deployment accepts."""

    model_config = ConfigDict(extra="forbid")

    first: str = EARLIEST
    last: str | None = None

    @field_validator("first", "last", mode="before")
    @classmethod
    def _month(cls, value):
        if value is None:
            return value
        try:
            return check_period(str(value), "month")
        except PeriodError as error:
            raise ValueError(str(error).removeprefix("month: ")) from None

    def problem(self, period: str) -> str | None:
        """Why `period` is outside the range, or None."""
        if period < self.first:
            return f"{period} is before the first period this data home accepts ({self.first})"
        if self.last is not None and period > self.last:
            return f"{period} is after the last period this data home accepts ({self.last})"
        return None


def period_range(paths: Paths) -> PeriodRange:
    path = paths.home / "config" / PERIODS_FILE
    if not path.is_file():
        return PeriodRange()
    document = read_yaml(path, PeriodError) or {}
    try:
        result = PeriodRange.model_validate(document)
    except ValidationError as error:
        raise PeriodError(f"{path}: {validation_problems(error)}") from None
    if result.last is not None and result.last < result.first:
        raise PeriodError(f"{path}: last ({result.last}) is before first ({result.first})")
    return result


def file_periods(item) -> tuple[str, ...]:
    """The periods one inbox file covers (empty when unknown; several for a file spanning
    months). The one place that reads an InboxFile's periods."""
    return tuple(item.periods)


@dataclass(frozen=True)
class Inbox:
    files: list          # every InboxFile; files with an out-of-range period carry the refusal as error
    periods: list[str]   # the months with at least one accepted file, in order
    refused: list[str]   # one line per file refused for its period


def scan(paths: Paths) -> Inbox:
    """The inbox, each file's period checked against the deployment's range."""
    from assets.ingest.source_config import load_source_configs
    from assets.ingest.submissions import scan_inbox

    accepted = period_range(paths)
    files, found, refused = [], set(), []
    for item in scan_inbox(paths.inbox, load_source_configs(paths.source_configs)):
        covered = file_periods(item)
        problems = [p for p in (accepted.problem(period) for period in covered) if p]
        if problems:
            message = f"{_name(item.path, paths.inbox)}: refused: {problems[0]}"
            refused.append(message)
            item = dataclasses.replace(item, error=message, **_no_period(item))
        else:
            found.update(covered)
        files.append(item)
    return Inbox(files, sorted(found), refused)


def _no_period(item) -> dict:
    return {f.name: (None if f.name == "period" else ()) for f in dataclasses.fields(item)
            if f.name in ("period", "periods")}


def _name(path: Path, inbox: Path) -> str:
    try:
        return str(Path("inbox") / path.relative_to(inbox))
    except ValueError:
        return str(path)


def inbox_periods(paths: Paths) -> list[str]:
    """The months the inbox holds accepted files for, in order: the partitions."""
    return scan(paths).periods


def add_periods(instance: dg.DagsterInstance, wanted: list[str]) -> None:
    """Make every period in `wanted` a partition (those already there are left alone)."""
    new = [p for p in wanted if not instance.has_dynamic_partition(periods.name, p)]
    if new:
        instance.add_dynamic_partitions(periods.name, new)


def run_periods(context) -> list[str]:
    """The periods of this run, in order. An asset or check by period loops over them: a run
    from the UI, the inbox sensor or a backfill has one (no backfill policy is set, so a
    backfill is still one run per period and can run them in parallel on a lake), a run of
    `openbook run` a range of them, every changed period at once, so a first load is one
    run, not one per month. Checks record each period's result against its own partition
    (assets/checks.py period_checks), so the per-period history is kept."""
    return sorted(context.partition_keys)


def period_ranges(instance: dg.DagsterInstance, wanted: list[str], adding: list[str] = ()) -> list[list[str]]:
    """`wanted` as ranges of partitions that follow one another, one ingest run each.

    A run covers a range from its first to its last partition in the order the partitions
    were added (not month order: a late old month is added last), so a changed period with
    an unchanged one between it and the next is a range of its own. Each range is in that
    order (its first and last are the run's range), the ranges by their first month.
    `adding`: periods about to be added as partitions, in that order (a sensor's request)."""
    keep, ranges, current = set(wanted), [], []
    for key in [*instance.get_dynamic_partitions(periods.name), *adding]:
        if key in keep:
            current.append(key)
        elif current:
            ranges.append(current)
            current = []
    ranges += [current] if current else []
    return sorted(ranges, key=min)
