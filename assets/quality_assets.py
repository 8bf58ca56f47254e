"""The data-quality rpt_ tables: what each partner's finance team needs to fix."""
from assets.sql_model import sql_model_asset

QUALITY_TABLES = {
    "rpt_dq_submissions": ["dq_load_status", "ref_partners"],
    "rpt_dq_quarantine": ["stg_ledger", "ref_partners"],
    "rpt_dq_checks": ["dq_load_status", "ref_partners"],
    "rpt_dq_unclassified": ["stg_ledger", "ref_partners"],
}

quality_report_assets = [sql_model_asset(name, "reports", deps, "analytics") for name, deps in QUALITY_TABLES.items()]
