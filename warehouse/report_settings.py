"""sql/settings.yaml: the thresholds and service-line lists the rpt_ models bind as SQL
parameters, validated (a bad or unknown key is an error naming the file and key)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from warehouse.sql_files import SQL_DIR

SETTINGS = SQL_DIR / "settings.yaml"


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aob_statement_threshold: Decimal
    aob_month12_threshold: Decimal
    slippage_threshold_pct: Decimal
    unit_cost_threshold_pct: Decimal
    contract_underrun_tolerance_pct: Decimal
    agency_amber_pct: Decimal
    lead_provider_inpatient_service_lines: list[str]
    lead_provider_community_service_lines: list[str]
    mh_budget_amber_tolerance_pct: Decimal
    mh_budget_red_tolerance_pct: Decimal


def report_params(path: Path = SETTINGS) -> dict:
    """sql/settings.yaml as SQL parameters; a bad key is an error naming the file and key."""
    try:
        return ReportSettings.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8"))).model_dump()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ValueError(f"{path}: invalid settings: {problems}") from None
