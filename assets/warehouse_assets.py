"""Marts (fct_/dim_) and the rpt_ tables every report reads: each is one SQL file, except
rpt_variation, which runs every measure in sql/measures/ through one template (assets/measures.py).

The rpt_ models bind their thresholds from sql/settings.yaml (`report_params`); run_sql gives
each statement only the parameters it names, so every model is given the same settings.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
import dagster as dg
from pydantic import BaseModel, ConfigDict, ValidationError

from assets.measures import rpt_variation
from assets.sql_model import sql_model_asset
from pipelines.counterparties import CounterpartyError, build_dim_counterparty
from pipelines.sql_docs import apply_comments, parse_model_doc
from pipelines.sql_files import SQL_DIR, sql_text
from pipelines.warehouse import Warehouse

SETTINGS = SQL_DIR / "settings.yaml"

MARTS = {
    "dq_load_status": ["stg_ledger"],
    "fct_ledger": ["dq_load_status", "ref_partners", "ref_places"],
    "dim_partner": ["ref_partners"],
    "dim_place": ["ref_places", "ref_populations"],
    "dim_service_line": ["ref_service_lines"],
    "fct_mh_ledger": ["fct_ledger", "dim_service_line", "dim_partner", "ref_places"],
    "fct_inter_partner": ["fct_ledger", "dim_partner"],
    "fct_drilldown": ["fct_mh_ledger"],
}

REPORT_TABLES = {
    "rpt_mh_spend": ["fct_mh_ledger"],
    "rpt_open_book": ["fct_mh_ledger", "fct_ledger"],
    "rpt_eliminations": ["fct_inter_partner"],
    "rpt_plan_vs_actual": ["fct_ledger", "ref_investment_plans", "dim_partner", "dim_service_line", "ref_places"],
    "rpt_system_position": ["rpt_plan_vs_actual"],
    "rpt_mhis": ["fct_ledger", "dim_service_line", "ref_allocations", "dim_partner", "ref_places"],
    "rpt_contracts": ["fct_ledger", "ref_contracts", "dim_partner", "dim_service_line", "ref_places"],
    "rpt_contract_mix": ["rpt_contracts"],
    "rpt_funding_consistency": ["rpt_contracts", "ref_contracts", "fct_ledger", "dim_partner", "ref_places"],
    "rpt_sector_share": ["fct_mh_ledger", "fct_ledger"],
    "rpt_sector_share_by_recipient": ["fct_mh_ledger", "dim_counterparty"],
    "rpt_lead_provider": ["fct_ledger", "dim_partner", "ref_contracts", "ref_lp_activity"],
    "rpt_lead_provider_subcontractors": ["fct_ledger", "dim_partner", "dim_service_line", "ref_lp_activity"],
}


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aob_statement_threshold: Decimal
    aob_month12_threshold: Decimal
    slippage_threshold_pct: Decimal
    unit_cost_threshold_pct: Decimal
    contract_underrun_tolerance_pct: Decimal
    lead_provider_inpatient_service_lines: list[str]
    lead_provider_community_service_lines: list[str]


def report_params(path: Path = SETTINGS) -> dict:
    """sql/settings.yaml as SQL parameters; a bad key is an error naming the file and key."""
    try:
        return ReportSettings.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8"))).model_dump()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ValueError(f"{path}: invalid settings: {problems}") from None


COUNTERPARTY_DECISIONS = "counterparty_decisions.csv"  # in <home>/config, written by `openbook counterparties decide`


@dg.asset(name="dim_counterparty", deps=["fct_ledger", "dim_partner"], group_name="marts", kinds={"duckdb", "python"},
          description=parse_model_doc(sql_text("marts/dim_counterparty")).table_comment)
def dim_counterparty(warehouse: Warehouse) -> dg.MaterializeResult:
    """The counterparty register (pipelines/counterparties.py): a table built in Python because the
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


mart_assets = [sql_model_asset(name, "marts", deps, "marts") for name, deps in MARTS.items()] + [dim_counterparty]
report_table_assets = [
    sql_model_asset(name, "reports", deps, "analytics", params=report_params) for name, deps in REPORT_TABLES.items()
] + [rpt_variation]
