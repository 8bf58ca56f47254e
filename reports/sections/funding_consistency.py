"""Funding consistency: like services funded unlike (contracts for the same service compared
on funding stream, contract type and value per unit of capacity)."""
from __future__ import annotations

from typing import Any, Mapping

from reports.sections.shared import FUNDING_STREAM, SERVICE_LINE_NAME, _m, _partner_in_system, _words
from reports.spec import DETAIL, FY, Dim, Drill, Flag, Measure, Section


# --- funding consistency ------------------------------------------------------------
def _funding_text(v: Mapping[str, Any]) -> str:
    return (f"{v['provider_name']}, {v['place_name']} ({v['contract_id']}, {_m(v['value_per_unit'])} per "
            f"{(v.get('capacity_unit') or 'unit').rstrip('s')} against a median of {_m(v['median'])}): "
            f"{_words(v.get('flag_reasons'))}.")


FUNDING_CONSISTENCY = Section(
    key="funding-consistency",
    title="Funding consistency",
    source="rpt_funding_consistency",
    mode=DETAIL,
    description=("Like services funded unlike: contracts for the same service, with the same unit of capacity "
                 "and the same kind of provider, side by side. A contract is flagged when its funding stream "
                 "or contract type differs from its like contracts', or its value per unit of capacity is "
                 "more than the threshold from their median. The provider's own spend on the service (its "
                 "ledger) is shown beside the contract's value."),
    dims=(SERVICE_LINE_NAME, Dim("contract_id", "Contract"), Dim("commissioner_name", "Commissioner"),
          Dim("provider_name", "Provider"), Dim("place_name", "Place"), Dim("contract_type", "Type", "code"),
          FUNDING_STREAM, Dim("capacity_unit", "Unit")),
    values=(Measure("annual_value", "Annual value", "annual_value", scope=FY),
            Measure("capacity", "Capacity", "capacity", scope=FY, fmt="dec1", additive=False),
            Measure("value_per_unit", "Value per unit", "value_per_unit", scope=FY, additive=False),
            Measure("median", "Median of like contracts", "median_value_per_unit", scope=FY, additive=False),
            Measure("vs_median", "Against median %", "value_vs_median_pct", scope=FY, fmt="pct", additive=False),
            Measure("provider_spend", "Provider's spend", "provider_spend", scope=FY),
            Measure("provider_per_unit", "Provider's spend per unit", "provider_spend_per_unit", scope=FY,
                    additive=False)),
    period_col=None,
    system_col=None,
    where=(_partner_in_system("commissioner_id"),),
    total=False,
    hidden=("flag_reasons",),
    basis="£, contracts with a capacity",
    flag=Flag(where="flagged", label="Like services funded unlike", text=_funding_text,
              drill=Drill(keys=("provider_id", "fy", "service_line", "place_id"),
                          where=("partner_id = $provider_id AND fy = $fy AND line_type = 'expenditure' AND "
                                 "service_line = $service_line AND ($place_id IS NULL OR place_id = $place_id)"),
                          figure="provider_spend",
                          title=lambda v: f"{v['provider_name']}, {v['place_name']}: its own spend "
                                          f"on {v.get('service_line_name') or 'the service'}, {v.get('fy')}")),
)
