"""One factory for assets that are a SQL file: sql/<layer>/<name>.sql builds table <name>."""
from __future__ import annotations

import dagster as dg

from pipelines.sql_files import run_sql, sql_text
from pipelines.warehouse import Warehouse


def sql_model_asset(name: str, layer: str, deps: list[str], group: str) -> dg.AssetsDefinition:
    description = _header_comment(sql_text(f"{layer}/{name}"))

    @dg.asset(name=name, deps=deps, group_name=group, description=description, kinds={"duckdb", "sql"})
    def _model(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.writer() as con:
            run_sql(con, f"{layer}/{name}")
            (rows,) = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        return dg.MaterializeResult(metadata={"rows": dg.MetadataValue.int(rows), "sql": f"sql/{layer}/{name}.sql"})

    return _model


def _header_comment(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.lstrip("- ").rstrip())
    return " ".join(lines)
