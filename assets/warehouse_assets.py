"""Marts (fct_/dim_) and the rpt_ tables every report reads: each is one SQL file."""
from assets.sql_model import sql_model_asset

MARTS = {
    "dq_load_status": ["stg_ledger"],
    "fct_ledger": ["dq_load_status", "ref_partners", "ref_places"],
    "dim_partner": ["ref_partners"],
    "dim_place": ["ref_places", "ref_populations"],
    "dim_service_line": ["ref_service_lines"],
}

REPORT_TABLES = {
    "rpt_mh_spend": ["fct_ledger"],
}

mart_assets = [sql_model_asset(name, "marts", deps, "marts") for name, deps in MARTS.items()]
report_table_assets = [sql_model_asset(name, "reports", deps, "analytics") for name, deps in REPORT_TABLES.items()]
