"""Dagster assets of the ingest layer: reference data, raw_ledger and stg_ledger."""

from collections import Counter

import dagster as dg

from assets.checks import EXPECTATIONS_DIR, check_name, fold_result, suite_check_specs
from assets.ingest.reference_integrity import (ReferenceRefused, Violation, load_reference, unknown_partners,
                                               unknown_places)
from assets.quality import sql_runner
from assets.quality.gx_runner import load_suite
from assets.ingest.reference_sources import REFERENCE_TABLES, ReferenceSourceError
from assets.ingest.source_config import load_source_configs
from assets.ingest.last_good import submission_loads
from assets.ingest.submissions import load_period
from assets.quality.staging_policy import write_source_checks
from warehouse.plain_text import plural, pounds
from warehouse.sql_docs import parse_model_doc
from assets.partitions import file_periods, periods, run_periods
from assets.partitions import scan as inbox_scan
from warehouse import change_markers
from warehouse.sql_files import run_sql, sql_text, transaction
from warehouse.connection import Warehouse


def _reference_suite(table: str) -> dict | None:
    path = EXPECTATIONS_DIR / f"{table}.json"
    return load_suite(path) if path.is_file() else None


# Checks that span tables or folders, run once every table is loaded: (table, check, its rule).
CROSS_CHECKS = {("ref_partners", "partners_known"): (
                    "Every partner with an inbox folder or a ledger line has a row in partners",
                    lambda con, paths: unknown_partners(con, paths.inbox)),
                ("ref_populations", "places_known"): (
                    "Every place with a population is one of the places",
                    lambda con, paths: unknown_places(con))}
TABLES = [f"ref_{name}" for name in REFERENCE_TABLES]
SUITES = {table: _reference_suite(table) for table in TABLES}


def _check_specs() -> list[dg.AssetCheckSpec]:
    specs = [spec for table in TABLES if SUITES[table] for spec in suite_check_specs(table, SUITES[table], None)]
    return specs + [dg.AssetCheckSpec(name=name, asset=table, description=description, blocking=True)
                    for (table, name), (description, _) in CROSS_CHECKS.items()]


def _cross_result(table: str, name: str, violations: list[Violation]) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=table, check_name=name, passed=not violations, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"violations": dg.MetadataValue.md("\n".join(f"- {v}" for v in violations) or "none")})


@dg.multi_asset(
    name="reference_tables",
    specs=[dg.AssetSpec(table, group_name="reference", kinds={"duckdb", "csv"}, skippable=True,
                        description=parse_model_doc(sql_text(f"staging/{table}")).description) for table in TABLES],
    check_specs=_check_specs(),
    can_subset=True,
)
def reference_tables(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Every reference table from its source (reference/sources.yaml, else reference/<name>.csv),
    one step for all of them: each is swapped in only when it passes its checks (its suite in
    expectations/ and the rules across tables, assets/ingest/reference_integrity.py), so a
    refused file keeps the last good version in use; the suites' results on the tables in use
    are then shown check by check. A refused file fails the step after every other table has
    loaded, so the ingest and the open book are not run on reference data half refused."""
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    checks = {(key.asset_key.to_user_string(), key.name) for key in context.selected_asset_check_keys}
    paths = warehouse.paths
    problems: list[str] = []
    with warehouse.writer() as con:
        for table in (t for t in TABLES if t in selected):  # places before populations, as listed
            try:
                metadata = load_reference(con, paths.reference, table.removeprefix("ref_"), paths.inbox)
            except (ReferenceSourceError, ReferenceRefused) as problem:
                problems.append(str(problem))
                context.log.error(str(problem))
                continue
            results = []
            if SUITES[table]:
                outcome = sql_runner.validate_relation(con, table, EXPECTATIONS_DIR / f"{table}.json")
                results = [fold_result(table, check_name(e), [(table, o)])
                           for e, o in zip(SUITES[table]["expectations"], outcome.outcomes)
                           if (table, check_name(e)) in checks]
            yield dg.MaterializeResult(asset_key=table, metadata=metadata, check_results=results)
        for (table, name), (_, rule) in CROSS_CHECKS.items():
            if (table, name) in checks:
                yield _cross_result(table, name, rule(con, paths))
    if problems:
        raise dg.Failure(description=problems[0])


@dg.asset(partitions_def=periods, group_name="ingest", kinds={"duckdb"})
def raw_ledger(context: dg.AssetExecutionContext, warehouse: Warehouse) -> None:
    """Every partner's submission for the period, parsed by its source config: lines to
    raw_ledger, rejected rows to quarantine, totals/blank rows to skipped_rows, and one
    load_log entry per file. A file covering several months loads only this month's rows
    here; the newest file covering a partner-month wins. Files already loaded with the
    same bytes are left alone."""
    paths = warehouse.paths
    inbox = inbox_scan(paths).files
    for period in run_periods(context):
        # Files whose period cannot be told, is outside the data home's range (refused, with
        # why) or that match no config are logged by every period's run, once per distinct
        # file content, so they are never silently ignored.
        files = [f for f in inbox if period in file_periods(f) or not file_periods(f)]
        with warehouse.writer() as con:
            outcomes = load_period(con, files, period, context.run.run_id)
        for outcome in outcomes:
            if outcome.status == "failed":
                context.log.error(f"{period} {outcome.source_file.rsplit('/', 1)[-1]}: {outcome.message}")
        statuses = Counter(o.status for o in outcomes)
        context.add_asset_metadata(partition_key=period, metadata={  # Dagster's materialisation of this period
            "files": len(outcomes),
            **{f"files_{status}": n for status, n in sorted(statuses.items())},
            "rows_read": sum(o.rows_read for o in outcomes),
            "rows_quarantined_at_parse": sum(o.rows_quarantined for o in outcomes),
            "rows_skipped": sum(o.rows_skipped for o in outcomes),
            "problems": dg.MetadataValue.md("\n".join(
                f"- `{o.source_file}`: {o.message}" for o in outcomes if o.message) or "none"),
        })
    with warehouse.writer() as con:
        change_markers.settle(con)  # the loads written above, in one pass


@dg.asset(partitions_def=periods, group_name="ingest", kinds={"duckdb", "sql"},
          deps=[raw_ledger, "ref_cost_centre_map", "ref_mapping_rules", "ref_partner_aliases"],
          description=parse_model_doc(sql_text("staging/stg_ledger")).description)
def stg_ledger(context: dg.AssetExecutionContext, warehouse: Warehouse) -> None:
    configs = load_source_configs(warehouse.paths.source_configs)
    with warehouse.writer() as con:
        write_source_checks(con, configs)
        for period in run_periods(context):
            with transaction(con), change_markers.writing(con, "stg_ledger") as touched:
                run_sql(con, "staging/stg_ledger", {"period": period})
                touched.loads(submission_loads(con, period))
            (rows,) = con.execute("SELECT count(*) FROM stg_ledger WHERE period = $m", {"m": period}).fetchone()
            reasons = con.execute(
                "SELECT reason_code, count(*) FROM quarantine WHERE period = $m GROUP BY ALL ORDER BY 1", {"m": period}
            ).fetchall()
            mapped = con.execute(
                "SELECT mapped_by, count(*), sum(amount) FROM stg_ledger WHERE period = $m GROUP BY ALL ORDER BY 1",
                {"m": period}).fetchall()
            context.add_asset_metadata(partition_key=period, metadata={
                "rows": rows, **{f"quarantined_{reason}": n for reason, n in reasons},
                **{f"mapped_by_{by}": dg.MetadataValue.text(f"{plural(n, 'line')}, {pounds(total)}") for by, n, total in mapped},
            })
        change_markers.settle(con)  # the loads staged above, in one pass
