"""One factory for assets that are a SQL file: sql/<layer>/<name>.sql builds table <name>
and documents it (table and column comments) from the file's header; then the model's
checks (assets/model_checks.py: its keys unique, and reconciliations across layers) run
in the same step, blocking what reads it when they fail."""

from typing import Callable

import dagster as dg

from assets.model_checks import checks_for
from warehouse.sql_docs import apply_comments, parse_model_doc
from warehouse.sql_files import run_sql, sql_text
from warehouse.connection import Warehouse


def sql_model_asset(name: str, layer: str, deps: list[str], group: str,
                    params: Callable[[], dict] | None = None,
                    before: Callable | None = None) -> dg.AssetsDefinition:
    """`params`, when given, returns the parameters to bind (read at run time, not import);
    `before(con)`, when given, runs first in the same step and returns metadata to show."""
    doc = parse_model_doc(sql_text(f"{layer}/{name}"))
    if doc.table != name:
        raise ValueError(f"sql/{layer}/{name}.sql documents table {doc.table!r}, expected {name!r}")

    checks = checks_for(name, doc)

    @dg.asset(name=name, deps=deps, group_name=group, description=doc.table_comment, kinds={"duckdb", "sql"},
              check_specs=[check.spec(name) for check in checks])
    def _model(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.writer() as con:
            prepared = before(con) if before else {}
            run_sql(con, f"{layer}/{name}", params() if params else None)
            apply_comments(con, doc)
            (rows,) = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
            results = [check.result(con, name, doc) for check in checks]
        return dg.MaterializeResult(metadata={"rows": dg.MetadataValue.int(rows), "sql": f"sql/{layer}/{name}.sql",
                                              **prepared},
                                    check_results=results)

    return _model
