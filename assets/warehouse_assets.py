"""Marts (fct_/dim_/dq_) and the rpt_ tables every report reads: one asset per SQL model that
warehouse/model_graph.py finds in sql/marts and sql/reports, with the dependencies DuckDB's
parser reads from its SQL. Adding a model is adding its SQL file. Models that need a Python
builder of their own have it elsewhere: rpt_variation (every measure in sql/measures/ through
one template, assets/measures.py), rpt_flag_decisions and rpt_flag_register (assets/flags.py).

The rpt_ models bind their thresholds from sql/settings.yaml (`report_params`); run_sql gives
each statement only the parameters it names, so every model is given the same settings.
"""
from __future__ import annotations


import dagster as dg

from assets.flags import flag_assets
from assets.measures import rpt_variation
from assets.model_checks import standalone_checks
from assets.sql_model import sql_model_asset
from assets.ingest.last_good import settle
from workbench.counterparties import CounterpartyError, build_dim_counterparty
from warehouse.model_graph import model_graph
from warehouse.sql_docs import apply_comments, parse_model_doc
from warehouse.report_settings import report_params
from warehouse.sql_files import sql_text
from warehouse.connection import Warehouse

COUNTERPARTY_DECISIONS = "counterparty_decisions.csv"  # in <home>/config, written by `openbook counterparties decide`


@dg.asset(name="dim_counterparty", deps=["fct_ledger", "dim_partner"], group_name="marts", kinds={"duckdb", "python"},
          description=parse_model_doc(sql_text("marts/dim_counterparty")).table_comment)
def dim_counterparty(warehouse: Warehouse) -> dg.MaterializeResult:
    """The counterparty register (workbench/counterparties.py): a table built in Python because the
    review command classifies with the very same functions, live, before the next run."""
    paths = warehouse.paths
    with warehouse.writer() as con:
        try:
            rows = build_dim_counterparty(con, paths.reference / "counterparties.csv",
                                          paths.home / "config" / COUNTERPARTY_DECISIONS)
        except CounterpartyError as error:
            raise dg.Failure(str(error)) from None
        apply_comments(con, parse_model_doc(sql_text("marts/dim_counterparty")))
    return dg.MaterializeResult(metadata={"rows": dg.MetadataValue.int(rows), "sql": "sql/marts/dim_counterparty.sql"})



GROUPS = {"marts": "marts", "reports": "analytics"}
# Models built by their own asset (not by running their file with the settings alone).
BUILT_ELSEWHERE = [rpt_variation, dim_counterparty, *flag_assets]


def _settle_submissions(con) -> dict:
    """Before dq_load_status: resubmissions that failed their checks give the month back to
    the last good submission (assets/ingest/last_good.py)."""
    decided = settle(con)
    return {f"partner_months_{what}": dg.MetadataValue.text(", ".join(items) or "none")
            for what, items in decided.items()}


# Steps a SQL model's asset runs first, in the same step (the one hand-written exception to
# "a model is its SQL file": which submissions are in use is decided in Python).
BEFORE = {"dq_load_status": _settle_submissions}


def _sql_models() -> list[dg.AssetsDefinition]:
    graph = model_graph()
    elsewhere = {key.to_user_string() for a in BUILT_ELSEWHERE for key in a.keys}
    assets = []
    for model in graph.build_order():
        if model.name in elsewhere:
            continue
        if not model.plain:
            raise ValueError(f"{model.path}: binds parameters sql/settings.yaml does not set "
                             f"({', '.join(sorted(model.params))}) and has no builder of its own")
        assets.append(sql_model_asset(model.name, model.layer, graph.deps(model.name), GROUPS[model.layer],
                                      params=report_params if model.params else None,
                                      before=BEFORE.get(model.name)))
    return assets


def _checks_of_models_built_elsewhere() -> list[dg.AssetChecksDefinition]:
    graph = model_graph()
    return [check for asset in BUILT_ELSEWHERE for key in asset.keys
            for check in standalone_checks(key.to_user_string(),
                                           parse_model_doc(graph.models[key.to_user_string()].path.read_text("utf-8")))]


model_assets = [*_sql_models(), *BUILT_ELSEWHERE]
model_checks = _checks_of_models_built_elsewhere()
