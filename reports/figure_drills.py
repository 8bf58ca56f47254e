"""The lines of figures that are sums of ledger lines but not their row's flag's (reports/figure_lines.py,
``Lines.drills``): last year's MHIS spend and all an ICB's mental-health spend beside the standard, and the
lead provider's spend each month by category (beds, community, the rest, all of it).

The lead provider's categories are the bed-based and community service lines of sql/settings.yaml, read as
the rpt model read them (rpt_lead_provider binds the same two lists).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from reports import formatting as f
from reports.sections.mhis import MHIS_SPEND_DRILL
from reports.spec import Drill
from warehouse.report_settings import report_params


def _prior_fy(fy: str) -> str:
    return f"{int(fy[:4]) - 1}-{fy[2:4]}"


def _prior_year_mhis_lines(v: Mapping[str, Any]) -> tuple[str, dict]:
    """Last year's MHIS lines of the ICB: the standard's own definition (MHIS_SPEND_DRILL), a year earlier."""
    return (MHIS_SPEND_DRILL.where.replace("fy = $fy", "fy = $prior_fy"),
            {"icb_id": v["icb_id"], "prior_fy": _prior_fy(v["fy"]),
             "mhis_funding_streams": list(v["mhis_funding_streams"] or [])})


MHIS_PRIOR_YEAR = Drill(keys=MHIS_SPEND_DRILL.keys, source="fct_mh_ledger", where=_prior_year_mhis_lines,
                        figure="prior_year", title=lambda v: f"{v['icb_name']}: MHIS spend {_prior_fy(v['fy'])}")
# every mental-health service line, any funding stream: rpt_mhis.mh_spend
MHIS_ALL_MH = Drill(keys=("icb_id", "fy"), source="fct_mh_ledger",
                    where="partner_id = $icb_id AND fy = $fy AND line_type = 'expenditure'", figure="mh_spend",
                    title=lambda v: f"{v['icb_name']}: all mental-health spend {v.get('fy')}")


@lru_cache(maxsize=1)
def lead_provider_service_lines() -> tuple[tuple[str, ...], tuple[str, ...]]:
    params = report_params()
    return (tuple(params["lead_provider_inpatient_service_lines"]),
            tuple(params["lead_provider_community_service_lines"]))


_LEAD_PROVIDER = "partner_kind = 'lead_provider' AND line_type = 'expenditure' AND period = $period"
_ONLY = {"inpatient": " AND list_contains($inpatient, service_line)",
         "community": " AND list_contains($community, service_line)",
         "other": " AND NOT list_contains($inpatient, service_line) AND NOT list_contains($community, service_line)",
         "total_spend": ""}


def _lead_provider_drill(key: str) -> Drill:
    """The lead provider's expenditure lines of the row's month in one category (rpt_lead_provider's rule)."""
    def where(v: Mapping[str, Any]) -> tuple[str, dict]:
        inpatient, community = lead_provider_service_lines()
        return _LEAD_PROVIDER + _ONLY[key], {"period": v["period"], "inpatient": list(inpatient),
                                             "community": list(community)}
    return Drill(keys=("period",), where=where, figure=key,
                 title=lambda v: f"Lead provider: {key}, {f.month_label(v['period'])}")


LEAD_PROVIDER_SPEND = {key: _lead_provider_drill(key) for key in _ONLY}
