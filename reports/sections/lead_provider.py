"""The lead provider: its delegated budget month by month, against that budget to date
(flagged when over), the reconciliation to Spend by partner, and who it paid."""
from __future__ import annotations

from typing import Any, Mapping

from reports.sections.shared import MONTH_OF_FY, _m, _month
from reports.spec import DETAIL, YTD, Chart, Derived, Dim, Flag, Measure, Section


# --- the lead provider ------------------------------------------------------------------
def _lp_over_text(v: Mapping[str, Any]) -> str:
    return (f"{v['lead_provider_name']} spent {_m(v['spend'])} from April to {_month(v.get('period'))} against "
            f"{_m(v['delegated'])} delegated for those months: {_m(v['over'])} over its delegated budget.")


LEAD_PROVIDER = Section(
    key="lead-provider",
    title="Lead provider",
    source="rpt_lead_provider",
    description=("The lead provider's delegated secure-care budget month by month: what the ICBs delegated, "
                 "what it spent on beds and on community services, its occupied bed days and out-of-area "
                 "placements, and the saving on beds and the reinvestment in the community against its "
                 "first year's monthly average."),
    dims=(MONTH_OF_FY,),      # one lead provider (ref_lp_activity holds one's activity)
    values=(Measure("delegated", "Delegated budget", "delegated_budget", scope=YTD),
            Measure("income", "Income received", "delegated_income", scope=YTD),
            Measure("inpatient", "Beds (inpatient)", "inpatient_spend", scope=YTD),
            Measure("community", "Community", "community_spend", scope=YTD),
            Measure("other", "Other", "other_spend", scope=YTD),
            Measure("total_spend", "Total spend", "total_spend", scope=YTD),
            Measure("bed_days", "Occupied bed days", "occupied_bed_days", scope=YTD, fmt="int"),
            Measure("oaps", "Out-of-area placements", "out_of_area_placements", scope=YTD, fmt="int"),
            Measure("saving", "Saving on beds", "inpatient_saving", scope=YTD),
            Measure("reinvestment", "Community reinvestment", "community_reinvestment", scope=YTD)),
    system_col=None,
    basis="£, the lead provider's own ledger",
    charts=(
        Chart("lp_beds_community", "Beds and community spend against the first year's average", "line",
              x=MONTH_OF_FY, value=Measure("a", "Beds (inpatient)", "inpatient_spend", scope=YTD),
              also=(Measure("b", "Beds: first-year average", "baseline_inpatient_spend", scope=YTD),
                    Measure("c", "Community", "community_spend", scope=YTD),
                    Measure("d", "Community: first-year average", "baseline_community_spend", scope=YTD)),
              x_title="Month", y_title="£ in the month", excel=True, total_row=False),
    ),
    parts=(
        Section(key="lead-provider-delegated-budget", title="Against the delegated budget, FY to date",
                source="rpt_lead_provider", mode=DETAIL,
                description=("All the lead provider's expenditure (beds, community, hub and corporate costs) "
                             "from April to the month against the budget the ICBs delegated to it for those "
                             "months (a twelfth of each delegating contract's annual value a month). Spending "
                             "more than was delegated is flagged; the flag belongs to the lead provider's own "
                             "system's pack."),
                dims=(Dim("lead_provider_name", "Lead provider"),),
                values=(Measure("delegated", "Delegated budget to date", "ytd_delegated_budget"),
                        Measure("spend", "Spend to date", "ytd_total_spend"),
                        Measure("over", "Over (+) or under (-) the delegated budget", "ytd_over_delegated_budget"),
                        Derived("over_pct", "Over %", "share", ("over", "delegated"))),
                # the lead provider's id: the key its flag is raised under (rpt_flags.source_keys)
                basis="£, the lead provider's own ledger", hidden=("period", "lead_provider_id"),
                total=False, drop_zero_rows=False,
                flag=Flag(where="ytd_over_delegated_budget > 0", label="Lead provider over its delegated budget",
                          text=_lp_over_text, first=True)),
        # The reconciling line between this sheet's total spend and the lead provider's spend on Spend by partner.
        Section(key="lead-provider-reconciliation", title="Reconciliation to Spend by partner, FY to date",
                source="rpt_lead_provider", system_col=None,
                description=("Total spend above is all the lead provider's expenditure. Spend by partner, the open "
                             "book and every other mental-health figure count mental-health service lines only, so "
                             "they leave out its hub and corporate costs (service lines that are not mental "
                             "health, and any unclassified lines): total spend less that cost is its spend on "
                             "Spend by partner."),
                dims=(Dim("lead_provider_name", "Lead provider"),),
                values=(Measure("total_spend", "Total spend (this sheet)", "total_spend", scope=YTD, fmt="money2"),
                        Measure("non_mh_spend", "Corporate and hub cost excluded from the mental-health view",
                                "non_mh_spend", scope=YTD, fmt="money2"),
                        Measure("mh_spend", "Mental-health spend (as on Spend by partner)", "mh_spend",
                                scope=YTD, fmt="money2")),
                basis="£, the lead provider's own ledger", total=False),
        Section(key="lead-provider-subcontractors", title="Spend by subcontractor, FY to date",
                source="rpt_lead_provider_subcontractors", system_col=None,
                description=("Who the lead provider paid: each subcontractor in the partnership, and "
                             "everything else (other providers, suppliers and its own staff) together, with "
                             "the subcontractor's occupied bed days and the cost per occupied bed day."),
                dims=(Dim("subcontractor_name", "Paid to"),
                      Dim("subcontractor_kind", "Kind", "partner_kind", blank="—"),
                      Dim("service_line_name", "Service line")),
                values=(Measure("spend", "Spend FY to date", "spend", scope=YTD),
                        Measure("bed_days", "Occupied bed days", "occupied_bed_days", scope=YTD, fmt="int",
                                additive=False),
                        Measure("oaps", "Out-of-area placements", "out_of_area_placements", scope=YTD,
                                fmt="int", additive=False),
                        Derived("per_bed_day", "Cost per occupied bed day", "ratio", ("spend", "bed_days"))),
                basis="£, the lead provider's own ledger",
                charts=(Chart("lp_subcontractors", "Lead provider spend by who it paid, FY to date",
                              "stacked_hbar", x=Dim("subcontractor_name", "Paid to"),
                              series=Dim("service_line_name", "Service line"),
                              value=Measure("v", "Spend FY to date", "spend", scope=YTD),
                              x_title="Paid to", y_title="£, FY to date", sort_by_value=True),)),
    ),
)
