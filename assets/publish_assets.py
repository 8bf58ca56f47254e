"""The analysts' warehouse: after the open book is rebuilt, publish a read-only copy of the
warehouse and write its data dictionary (pipelines/publish.py).

Both assets depend on every public model (rpt_*, fct_*, dim_*), so Dagster runs them only
when all of those materialised in the run: a failed run never publishes, and the last good
copy stays in place.
"""
import dagster as dg

from assets.warehouse_assets import MARTS, REPORT_TABLES
from pipelines import analyst
from pipelines.publish import publish, write_dictionary
from pipelines.warehouse import Warehouse

PUBLIC_MODELS = sorted(name for name in [*MARTS, *REPORT_TABLES] if analyst.is_public(name))


@dg.asset(group_name="publish", deps=PUBLIC_MODELS, kinds={"duckdb"})
def published_warehouse(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The analysts' read-only copy of the warehouse (<home>/published/openbook.duckdb),
    replaced atomically under the writer lock after every successful open-book run."""
    info = publish(warehouse.paths, run_id=context.run.run_id)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(info.path),
        "published_at": info.published_at,
        "bytes": dg.MetadataValue.int(info.bytes),
        "tables": dg.MetadataValue.int(info.tables),
    })


@dg.asset(group_name="publish", deps=[*PUBLIC_MODELS, published_warehouse], kinds={"markdown", "html"})
def data_dictionary(warehouse: Warehouse) -> dg.MaterializeResult:
    """The data dictionary of the published warehouse (<home>/reports/dictionary.md and .html):
    every public table and column with its description, grain, keys, row count and an example."""
    con = analyst.connect(warehouse.paths.home)
    try:
        missing = analyst.missing_descriptions(con)
        md, page = write_dictionary(con, warehouse.paths.reports)
    finally:
        con.close()
    return dg.MaterializeResult(metadata={
        "markdown": dg.MetadataValue.path(str(md)),
        "html": dg.MetadataValue.path(str(page)),
        "undocumented public columns": dg.MetadataValue.int(len(missing)),
    })


publish_assets = [published_warehouse, data_dictionary]
