"""Dagster assets of the ingest layer: reference data, raw_ledger and stg_ledger."""

from collections import Counter

import dagster as dg

from assets.ingest.reference_integrity import ReferenceRefused, load_reference
from assets.ingest.reference_sources import REFERENCE_TABLES, ReferenceSourceError
from assets.ingest.source_config import load_source_configs
from assets.ingest.submissions import load_period
from assets.quality.staging_policy import write_source_checks
from warehouse.sql_docs import parse_model_doc
from assets.partitions import file_periods, periods
from assets.partitions import scan as inbox_scan
from warehouse.sql_files import run_sql, sql_text
from warehouse.connection import Warehouse


def reference_asset(name: str) -> dg.AssetsDefinition:
    """ref_<name> from its source (reference/sources.yaml, else reference/<name>.csv), swapped in
    only when it passes its checks; a refused file keeps the last good version in use."""
    table = f"ref_{name}"

    @dg.asset(name=table, group_name="reference", kinds={"duckdb", "csv"},
              description=parse_model_doc(sql_text(f"staging/{table}")).description)
    def _reference(warehouse: Warehouse) -> dg.MaterializeResult:
        paths = warehouse.paths
        try:
            with warehouse.writer() as con:
                metadata = load_reference(con, paths.reference, name, paths.inbox)
        except (ReferenceSourceError, ReferenceRefused) as problem:
            raise dg.Failure(description=str(problem)) from None
        return dg.MaterializeResult(metadata=metadata)

    return _reference


reference_assets = [reference_asset(name) for name in REFERENCE_TABLES]


@dg.asset(partitions_def=periods, group_name="ingest", kinds={"duckdb"})
def raw_ledger(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Every partner's submission for the period, parsed by its source config: lines to
    raw_ledger, rejected rows to quarantine, totals/blank rows to skipped_rows, and one
    load_log entry per file. A file covering several months loads only this month's rows
    here; the newest file covering a partner-month wins. Files already loaded with the
    same bytes are left alone."""
    period = context.partition_key
    paths = warehouse.paths
    # Files whose period cannot be told, is outside the data home's range (refused, with
    # why) or that match no config are logged by every period's run, once per distinct
    # file content, so they are never silently ignored.
    files = [f for f in inbox_scan(paths).files if period in file_periods(f) or not file_periods(f)]
    with warehouse.writer() as con:
        outcomes = load_period(con, files, period, context.run.run_id)
    for outcome in outcomes:
        if outcome.status == "failed":
            context.log.error(f"{outcome.source_file.rsplit('/', 1)[-1]}: {outcome.message}")
    statuses = Counter(o.status for o in outcomes)
    return dg.MaterializeResult(metadata={
        "files": len(outcomes),
        **{f"files_{status}": n for status, n in sorted(statuses.items())},
        "rows_read": sum(o.rows_read for o in outcomes),
        "rows_quarantined_at_parse": sum(o.rows_quarantined for o in outcomes),
        "rows_skipped": sum(o.rows_skipped for o in outcomes),
        "problems": dg.MetadataValue.md("\n".join(
            f"- `{o.source_file}`: {o.message}" for o in outcomes if o.message) or "none"),
    })


@dg.asset(partitions_def=periods, group_name="ingest", kinds={"duckdb", "sql"},
          deps=[raw_ledger, "ref_cost_centre_map", "ref_mapping_rules", "ref_partner_aliases"],
          description=parse_model_doc(sql_text("staging/stg_ledger")).description)
def stg_ledger(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    period = context.partition_key
    configs = load_source_configs(warehouse.paths.source_configs)
    with warehouse.writer() as con:
        write_source_checks(con, configs)
        run_sql(con, "staging/stg_ledger", {"period": period})
        (rows,) = con.execute("SELECT count(*) FROM stg_ledger WHERE period = $m", {"m": period}).fetchone()
        reasons = con.execute(
            "SELECT reason_code, count(*) FROM quarantine WHERE period = $m GROUP BY ALL ORDER BY 1", {"m": period}
        ).fetchall()
        mapped = con.execute(
            "SELECT mapped_by, count(*), sum(amount) FROM stg_ledger WHERE period = $m GROUP BY ALL ORDER BY 1",
            {"m": period}).fetchall()
    return dg.MaterializeResult(metadata={
        "rows": rows, **{f"quarantined_{reason}": n for reason, n in reasons},
        **{f"mapped_by_{by}": dg.MetadataValue.text(f"{n} lines, £{total:,.2f}") for by, n, total in mapped},
    })
