"""Every expectation suite in expectations/ becomes Dagster asset checks: stg_ledger's here,
the reference tables' in their asset's own step (assets/ingest/dagster_assets.py).

Each expectation becomes its own check (so the UI shows exactly which rule failed, with
its failing values); ERROR expectations are blocking, WARN ones report only. Suites for
stg_ledger are evaluated per submission (load) of the period, with the period's dates and
the partner's cost centres as suite parameters; each expectation is one grouped pass over
all the period's submissions (check_submissions takes submissions of any periods, for a
run that covers several). Every result is kept in dq_results, which decides what reaches
fct_ledger.
"""

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from assets.dagster_internals import TargetMaterializationData
from assets.quality.gx_runner import ExpectationOutcome, SuiteOutcome, load_suite
from assets.quality.submission_suite import Submission, dq_result_rows, validate_submissions
from assets.partitions import partitioned_check_specs, periods, run_periods
from warehouse.sql_files import insert_rows, transaction
from warehouse.connection import Warehouse

EXPECTATIONS_DIR = Path(__file__).resolve().parent.parent / "expectations"


# Short, readable check names for the UI: "<column(s)>_<rule>".
RULE_NAMES = {
    "expect_column_values_to_not_be_null": "present",
    "expect_column_values_to_be_between": "in_range",
    "expect_column_values_to_be_in_set": "known",
    "expect_column_values_to_be_unique": "unique",
    "expect_compound_columns_to_be_unique": "unique",
    "expect_table_row_count_to_be_between": "row_count",
    "expect_column_pair_values_a_to_be_greater_than_b": "ordered",
}


def check_name(expectation: dict) -> str:
    """The check's name: meta.check_name when the suite gives one, else column(s) + rule."""
    given = expectation.get("meta", {}).get("check_name")
    if given:
        return given
    kwargs = expectation.get("kwargs", {})
    columns = kwargs.get("column") or "_".join(kwargs.get("column_list", [])) or "_".join(
        filter(None, [kwargs.get("column_A"), kwargs.get("column_B")])) or "table"
    rule = RULE_NAMES.get(expectation["type"], expectation["type"].removeprefix("expect_"))
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{columns}_{rule}")


def suite_check_specs(table: str, suite: dict, partitions_def) -> list[dg.AssetCheckSpec]:
    specs, seen = [], set()
    for expectation in suite["expectations"]:
        name = check_name(expectation)
        if name in seen:
            raise ValueError(f"suite {suite['name']}: two expectations would both be check {name!r}")
        seen.add(name)
        meta = expectation.get("meta", {})
        with partitioned_check_specs():
            specs.append(dg.AssetCheckSpec(
                name=name, asset=table, description=meta.get("description"),
                blocking=meta.get("severity") == "ERROR", partitions_def=partitions_def,
            ))
    return specs


def fold_result(table: str, name: str, outcomes: list[tuple[str, ExpectationOutcome]]) -> dg.AssetCheckResult:
    """Fold one expectation's outcomes over the submissions it was run on into one result."""
    failed = [(load_id, o) for load_id, o in outcomes if not o.success]
    severity = outcomes[0][1].severity if outcomes else "ERROR"
    metadata = {
        "submissions_checked": len(outcomes),
        "submissions_failed": len(failed),
        "unexpected_rows": sum(o.unexpected_count for _, o in outcomes),
    }
    if failed:
        metadata["failures"] = dg.MetadataValue.md("\n".join(
            f"- **{load_id}**: {o.unexpected_count} of {o.element_count} rows"
            + (f" — error: {o.error_message}" if o.errored else "")
            + f" — e.g. `{json.dumps(o.unexpected_sample[:5], default=str)}`"
            for load_id, o in failed))
    return dg.AssetCheckResult(
        asset_key=table, check_name=name, passed=not failed, metadata=metadata,
        severity=dg.AssetCheckSeverity.ERROR if severity == "ERROR" else dg.AssetCheckSeverity.WARN,
    )


PeriodResults = Mapping[str, Iterable[dg.AssetCheckResult]]


def period_checks(name: str, specs: list[dg.AssetCheckSpec],
                  evaluate: Callable[[Warehouse, list[str]], PeriodResults]) -> dg.AssetChecksDefinition:
    """Checks of stg_ledger per period, as one step: `evaluate(warehouse, periods)` is called
    once for every period of the run (one from the UI or the sensor, a range from `openbook
    run`) and gives each period's results, each recorded against its own partition.

    Why not return AssetCheckResults: Dagster 1.13 takes a result's partition from the
    step's single partition key, so a run over a range would record them without one and
    the UI would lose each period's check history. An AssetCheckEvaluation carries its
    partition; yielded from the step, a failed blocking one still fails the step (after
    every period is evaluated), which is how a blocked period is told."""
    by_name = {spec.name: spec for spec in specs}

    @dg.multi_asset_check(specs=specs, name=name, can_subset=False, description=evaluate.__doc__)
    def _checks(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
        run = run_periods(context.op_execution_context)
        results = evaluate(warehouse, run)
        targets = _materializations(context.instance, run)
        for period in run:
            target = targets.get(period)
            for result in results.get(period, ()):
                spec = by_name[result.check_name]
                yield dg.AssetCheckEvaluation(
                    asset_key=spec.asset_key, check_name=spec.name, partition=period, passed=result.passed,
                    metadata=result.metadata, severity=result.severity, description=result.description,
                    blocking=spec.blocking, target_materialization_data=target)
        for spec in specs:  # the check's output: the step ran (its evaluations are above)
            yield dg.Output(None, output_name=spec.get_python_identifier())

    return _checks


def _materializations(instance: dg.DagsterInstance, run: list[str]) -> dict:
    """Each period's latest stg_ledger materialisation, which its check evaluations are of (what
    Dagster looks up itself for an AssetCheckResult), so the UI can tell a current result. One
    query for the run's periods, newest first (their step has just made one each), not one
    per period and check step; read on until every period is found or none is left."""
    found: dict = {}
    cursor = None
    while True:
        page = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("stg_ledger"), asset_partitions=run),
            limit=len(run), cursor=cursor)
        for record in page.records:
            found.setdefault(record.partition_key, TargetMaterializationData(
                storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp))
        if len(found) == len(run) or not page.has_more:
            return found
        cursor = page.cursor


def ledger_suite_checks(suite_path: Path) -> dg.AssetChecksDefinition:
    """Checks on stg_ledger, run on every current submission of the period at once."""
    suite = load_suite(suite_path)
    table = "stg_ledger"
    specs = suite_check_specs(table, suite, periods)

    def evaluate(warehouse: Warehouse, run: list[str]) -> PeriodResults:
        """The suite on every current submission of the periods in one grouped pass, folded
        per period and check."""
        with warehouse.writer() as con:
            loads = current_loads(con, run)
            outcomes = check_submissions(con, loads, suite_path)
        return {period: suite_results(table, suite, [load for load in loads if load[2] == period], outcomes)
                for period in run}

    return period_checks(f"{suite_path.stem}_suite", specs, evaluate)


def current_loads(con, periods: list[str]) -> list[Submission]:
    """The current submissions (load_id, partner_id, period) of the periods, by load_id."""
    return con.execute(
        "SELECT load_id, partner_id, period FROM load_log WHERE list_contains($m, period) AND status = 'current'"
        " ORDER BY load_id", {"m": list(periods)}).fetchall()


def check_submissions(con, loads: list[Submission], suite_path: Path) -> dict[str, SuiteOutcome]:
    """The stg_ledger suite on the submissions (of any periods), evaluated and recorded in
    dq_results at once: load_id -> outcome."""
    outcomes = validate_submissions(con, loads, suite_path)
    record_results(con, [(partner_id, period, load_id, outcomes[load_id]) for load_id, partner_id, period in loads])
    return outcomes


def suite_results(table: str, suite: dict, loads: list[Submission],
                  outcomes: dict[str, SuiteOutcome]) -> list[dg.AssetCheckResult]:
    """One result per expectation, folded over the submissions in `loads` order."""
    by_check: dict[str, list] = {check_name(expectation): [] for expectation in suite["expectations"]}
    for load_id, _, _ in loads:
        for expectation, o in zip(suite["expectations"], outcomes[load_id].outcomes):
            by_check[check_name(expectation)].append((load_id, o))
    return [fold_result(table, name, found) for name, found in by_check.items()]


def record_results(con, results: list[tuple[str, str, str, SuiteOutcome]]) -> None:
    """Replace the results of the submissions (partner_id, period, load_id, outcome) of one
    suite: one DELETE, one INSERT, one transaction (not a commit per submission)."""
    if not results:
        return
    suites = {outcome.suite for *_, outcome in results}
    if len(suites) != 1:
        raise ValueError(f"record_results records one suite at a time, not {sorted(suites)}")
    checked_at = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = [row for partner_id, period, load_id, outcome in results
            for row in dq_result_rows(partner_id, period, load_id, outcome, checked_at)]
    with transaction(con):
        con.execute("DELETE FROM dq_results WHERE list_contains(?, load_id) AND suite = ?",
                    [[load_id for _, _, load_id, _ in results], suites.pop()])
        insert_rows(con, "dq_results", rows)


# The reference tables' suites run in their own asset's step (assets/ingest/dagster_assets.py).
stg_ledger_suite_checks = ledger_suite_checks(EXPECTATIONS_DIR / "stg_ledger.json")
