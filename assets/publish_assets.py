"""The analysts' warehouse: after the open book is rebuilt, publish a read-only copy of the
warehouse and write its data dictionary (analyst/publish.py).

`build_publish_assets(all_assets)` makes both assets depend on every public model
(rpt_*, fct_*, dim_*) among the assets given, so Dagster runs them only when all of those
that are in the run materialised: a failed run never publishes, and the last good copy
stays in place. Built from the asset list, the dependencies follow any rpt_ table added
later without editing this file.
"""

from typing import Iterable

import dagster as dg

from analyst import access as analyst
from analyst.publish import publish, write_dictionary
from warehouse.connection import Warehouse
from warehouse.lake import lake_setting

GROUP = "publish"


def public_models(assets: Iterable[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    keys = {key for a in assets for key in getattr(a, "keys", [])}
    return sorted((k for k in keys if analyst.is_public(k.to_user_string())), key=lambda k: k.to_user_string())


def rows_built_in_this_run(context: dg.AssetExecutionContext, models: list[dg.AssetKey],
                           warehouse: Warehouse) -> dict[str, int]:
    """Each model's row count as its build took it in this run (its materialisation's `rows`), so
    the dictionary need not count a view again (counting a view computes it over the ledger). The
    published copy holds the same rows: the run keeps the warehouse and its writer lock from the
    build to the publish (warehouse/connection.py), so nothing writes between them. A lake takes no
    lock (its partitions are written by several processes at once): there every view is counted."""
    if lake_setting(warehouse.paths.home):
        return {}
    events = context.instance.get_latest_materialization_events(models)
    return {key.to_user_string(): event.asset_materialization.metadata["rows"].value
            for key, event in events.items()
            if event and event.run_id == context.run.run_id and "rows" in event.asset_materialization.metadata}


def build_publish_assets(assets: Iterable[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """`published_warehouse` and `data_dictionary`, downstream of every public model in `assets`."""
    upstream = public_models(assets)

    @dg.asset(name="published_warehouse", group_name=GROUP, deps=upstream, kinds={"duckdb"})
    def published_warehouse(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        """The analysts' read-only copy of the warehouse (<home>/published/openbook.duckdb),
        replaced atomically under the writer lock after every successful open-book run."""
        info = publish(warehouse.paths, run_id=context.run.run_id)
        return dg.MaterializeResult(metadata={
            "path": dg.MetadataValue.path(info.path),
            "published_at": info.published_at,
            "bytes": dg.MetadataValue.int(info.bytes),
            "tables": dg.MetadataValue.int(info.tables),
            "copied": dg.MetadataValue.text(
                "the whole warehouse" if info.replaced is None else
                f"{'the copy before the last, brought up to date in place' if info.from_spare else 'the last copy'}"
                f", with changes since the last in: {', '.join(info.replaced) or 'none'}"),
        })

    @dg.asset(name="data_dictionary", group_name=GROUP, deps=[*upstream, published_warehouse],
              kinds={"markdown", "html"})
    def data_dictionary(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        """The data dictionary of the published warehouse (<home>/reports/dictionary.md and .html):
        every table and column with its description, grain, keys, row count and an example query."""
        view_rows = rows_built_in_this_run(context, upstream, warehouse)
        con = analyst.connect(warehouse.paths.home)
        try:
            missing = analyst.missing_descriptions(con)
            md, page = write_dictionary(con, warehouse.paths.reports, view_rows)
        finally:
            con.close()
        return dg.MaterializeResult(metadata={
            "markdown": dg.MetadataValue.path(str(md)),
            "html": dg.MetadataValue.path(str(page)),
            "public columns without a description": dg.MetadataValue.int(len(missing)),
        })

    return [published_warehouse, data_dictionary]
