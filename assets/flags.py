"""The flag register's assets with builders of their own: rpt_flag_decisions (the oversight
group's decisions, from <home>/config/flag_decisions.yaml) and rpt_flag_register (the flags with
their decisions, status and history), in the `analytics` group so the open-book job rebuilds
them after the rpt tables they read. rpt_flags (every flag the analytics raise) is a plain SQL
model (assets/warehouse_assets.py); each asset's dependencies are read from its SQL
(warehouse/model_graph.py).
"""
from __future__ import annotations

import datetime as dt

import dagster as dg

from workbench.flags import FlagError, decision_columns, decisions_path, load_decisions
from warehouse.model_graph import model_graph
from warehouse.sql_docs import apply_comments, parse_model_doc
from warehouse.sql_files import run_sql, sql_text
from warehouse.connection import Warehouse

_DECISIONS = parse_model_doc(sql_text("reports/rpt_flag_decisions"))
_REGISTER = parse_model_doc(sql_text("reports/rpt_flag_register"))


@dg.asset(name="rpt_flag_decisions", group_name="analytics", kinds={"duckdb", "yaml"},
          deps=model_graph().deps("rpt_flag_decisions"),
          description=_DECISIONS.table_comment)
def rpt_flag_decisions(warehouse: Warehouse) -> dg.MaterializeResult:
    path = decisions_path(warehouse.paths)
    try:
        doc = load_decisions(path)
    except FlagError as error:
        raise dg.Failure(str(error)) from None
    with warehouse.writer() as con:
        run_sql(con, "reports/rpt_flag_decisions", decision_columns(doc))
        apply_comments(con, _DECISIONS)
        (rows,) = con.execute("SELECT count(*) FROM rpt_flag_decisions").fetchone()
    return dg.MaterializeResult(metadata={"rows": dg.MetadataValue.int(rows), "source": str(path),
                                          "flags_decided": dg.MetadataValue.int(len(doc.flags))})


@dg.asset(name="rpt_flag_register", group_name="analytics", kinds={"duckdb", "sql"},
          deps=model_graph().deps("rpt_flag_register"), description=_REGISTER.table_comment)
def rpt_flag_register(warehouse: Warehouse) -> dg.MaterializeResult:
    today = dt.date.today()
    with warehouse.writer() as con:
        run_sql(con, "reports/rpt_flag_register", {"today": today})
        apply_comments(con, _REGISTER)
        counts = dict(con.execute("SELECT status, count(*) FROM rpt_flag_register GROUP BY ALL").fetchall())
    return dg.MaterializeResult(metadata={
        "rows": dg.MetadataValue.int(sum(counts.values())), "as_of": today.isoformat(),
        **{f"status_{status}": dg.MetadataValue.int(n) for status, n in sorted(counts.items())},
        "sql": "sql/reports/rpt_flag_register.sql"})


flag_assets = [rpt_flag_decisions, rpt_flag_register]
