"""sql/settings.yaml: the thresholds and service-line lists the rpt_ models bind as SQL
parameters, validated (a bad or unknown key is an error naming the file and key)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from warehouse.sql_files import SQL_DIR

SETTINGS = SQL_DIR / "settings.yaml"
# The canonical funding streams (docs/model.md): each is inside the MHIS base or excluded from it.
FUNDING_STREAMS = ("recurrent", "non_recurrent", "sdf", "s75_pooled", "grant")


class MhisExclusion(BaseModel):
    """A funding stream outside the MHIS base: what the board pack calls it and why."""
    model_config = ConfigDict(extra="forbid")

    funding_stream: str
    label: str
    reason: str


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
    mhis_funding_streams: list[str]
    mhis_excluded_funding_streams: list[MhisExclusion]
    mhis_cyp_categories: list[str]

    @model_validator(mode="after")
    def _mhis_streams_partition_the_funding_streams(self):
        """Every funding stream is inside the MHIS base or excluded with a reason, never both, so MHIS
        spend and the exclusions add up to mental-health spend to the penny."""
        excluded = [e.funding_stream for e in self.mhis_excluded_funding_streams]
        named = self.mhis_funding_streams + excluded
        unknown = sorted(set(named) - set(FUNDING_STREAMS))
        twice = sorted({s for s in named if named.count(s) > 1})
        missing = [s for s in FUNDING_STREAMS if s not in named]
        if unknown or twice or missing:
            raise ValueError(
                "mhis_funding_streams and mhis_excluded_funding_streams must name every funding stream "
                f"({', '.join(FUNDING_STREAMS)}) once" + (f"; unknown: {unknown}" if unknown else "")
                + (f"; named twice: {twice}" if twice else "") + (f"; missing: {missing}" if missing else ""))
        if any(not e.label.strip() or not e.reason.strip() for e in self.mhis_excluded_funding_streams):
            raise ValueError("mhis_excluded_funding_streams: every exclusion needs a label and a reason")
        return self


def report_params(path: Path = SETTINGS) -> dict:
    """sql/settings.yaml as SQL parameters; a bad key is an error naming the file and key."""
    try:
        return ReportSettings.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8"))).model_dump()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ValueError(f"{path}: invalid settings: {problems}") from None
