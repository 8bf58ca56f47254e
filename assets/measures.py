"""The rpt_variation asset: every measure in sql/measures/ through one template (the measures
themselves, their validation and the build are in warehouse/measures.py, shared with the
scenarios)."""
from __future__ import annotations

import dagster as dg

from warehouse.connection import Warehouse
from warehouse.measures import TABLE, TEMPLATE, build_variation
from warehouse.model_graph import model_graph
from warehouse.sql_docs import parse_model_doc
from warehouse.sql_files import sql_text


# What the template's SQL reads, and dim_service_line, which check_service_lines reads first.
@dg.asset(name=TABLE, deps=sorted({*model_graph().deps(TABLE), "dim_service_line"}), group_name="analytics",
          kinds={"duckdb", "sql"}, description=parse_model_doc(sql_text(TEMPLATE)).table_comment)
def rpt_variation(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.writer() as con:
        rows = build_variation(con)
    return dg.MaterializeResult(metadata={"rows": dg.MetadataValue.int(rows), "sql": f"sql/{TEMPLATE}.sql"})
