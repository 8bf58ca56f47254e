"""Contracts: each contract's value against what its commissioner has paid, over- and
under-runs flagged, and how contracts are let (the contract mix)."""
from __future__ import annotations

from typing import Any, Mapping

from reports import formatting as f
from reports.sections.shared import ICS, SERVICE_LINE_NAME, _m
from reports.spec import DETAIL, FY, Chart, Derived, Dim, Drill, Flag, Measure, Section


# --- contracts ------------------------------------------------------------------------
def _contract_text(v: Mapping[str, Any]) -> str:
    if v["status"] == "overrun":
        return (f"Over-run: {v['commissioner_name']} has paid {v['provider_name']} {_m(v['paid_to_date'])} "
                f"this year against an annual value of {_m(v['annual_value'])}: {_m(v['overrun'])} over.")
    return (f"Under-run: {v['commissioner_name']} has paid {v['provider_name']} {_m(v['paid_to_date'])} "
            f"against {_m(v['expected_to_date'])} expected by now on a {f.label(v['contract_type'], 'code').lower()} "
            f"contract: {_m(-(v['variance'] or 0))} under.")


CONTRACTS = Section(
    key="contracts",
    title="Contracts",
    source="rpt_contracts",
    mode=DETAIL,
    description=("Each contract's value against what its commissioner has paid the provider this year (the "
                 "commissioner's payments naming the provider, on the contract's funding stream, service line "
                 "and place). Expected to date is the value pro rata to the months elapsed. Over-runs are "
                 "payments above the annual value; block and grant contracts paid less than expected by more "
                 "than the tolerance under-run."),
    dims=(ICS, Dim("commissioner_name", "Commissioner"), Dim("provider_name", "Provider"),
          Dim("contract_id", "Contract"), Dim("contract_level", "Level", "code"),
          Dim("contract_type", "Type", "code"), SERVICE_LINE_NAME, Dim("status", "Status", "code")),
    values=(Measure("annual_value", "Annual value", "annual_value", scope=FY),
            Measure("expected_to_date", "Expected to date", "expected_to_date", scope=FY),
            Measure("paid_to_date", "Paid to date", "paid_to_date", scope=FY),
            Measure("variance", "Paid less expected", "variance_to_expected", scope=FY),
            Measure("overrun", "Over-run", "overrun", scope=FY),
            Derived("utilisation", "Paid % of value", "share", ("paid_to_date", "annual_value"))),
    period_col=None,
    subtotals=("ics_id",),
    basis="£, contracts in force this year",
    flag=Flag(where="status IN ('overrun', 'underrun')", label="Contract over- and under-runs",
              text=_contract_text, first=True,
              drill=Drill(keys=("commissioner_id", "provider_id", "fy", "funding_stream", "service_line",
                                "place_id"),
                          where=("partner_id = $commissioner_id AND counterparty_partner_id = $provider_id AND "
                                 "fy = $fy AND line_type = 'expenditure' AND funding_stream = $funding_stream "
                                 "AND ($service_line IS NULL OR service_line = $service_line) "
                                 "AND ($place_id IS NULL OR place_id = $place_id)"),
                          figure="paid_to_date",
                          title=lambda v: f"{v['contract_id']}: {v['commissioner_name']} paying "
                                          f"{v['provider_name']}, {v.get('fy')}")),
    parts=(
        Section(key="contract-mix", title="How contracts are let", source="rpt_contract_mix",
                description=("Block, cost and volume, grant and spot contracts by number and value, per "
                             "system. Budgets delegated to the lead provider are left out: it lets that money "
                             "again as its own subcontracts, which are counted."),
                dims=(ICS, Dim("contract_type", "Type", "code")),
                values=(Measure("contracts", "Contracts", "contracts", scope=FY, fmt="int"),
                        Measure("annual_value", "Annual value", "annual_value", scope=FY),
                        Measure("share", "Share of value %", "share_of_value_pct", scope=FY, fmt="pct",
                                additive=False),
                        Measure("paid", "Paid to date", "paid_to_date", scope=FY)),
                period_col=None, subtotals=("ics_id",), basis="£, provider-facing contracts",
                charts=(Chart("contract_mix", "Share of contract value by type", "stacked_hbar", x=ICS,
                              series=Dim("contract_type", "Type", "code"),
                              value=Measure("v", "Share of value", "share_of_value_pct", scope=FY, fmt="pct",
                                            additive=False),
                              x_title="System", y_title="Share of contract value (%)", excel=True,
                              total_row=False),)),
    ),
)
