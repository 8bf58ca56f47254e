"""Agency staffing spend of each NHS provider against its agency spending limit."""
from __future__ import annotations

from typing import Any, Mapping

from reports import formatting as f
from reports.sections.shared import ICS, MONTH_OF_FY, PARTNER, _m, _month
from reports.spec import DETAIL, YTD, Chart, Derived, Dim, Drill, Flag, Measure, Section, Text


# --- agency staffing spend against its limit ----------------------------------------
# a provider's lines paid to a listed staffing agency (the name as rpt_agency_spend keys it)
AGENCY_LINES = ("line_type = 'expenditure' AND lower(trim(regexp_replace(counterparty, '\\s+', ' ', 'g'))) "
                "IN (SELECT name_key FROM ref_agency_suppliers)")


def _agency_text(v: Mapping[str, Any]) -> str:
    return (f"{v['partner_name']} has paid staffing agencies {_m(v['agency_ytd'])} this financial year to "
            f"{_month(v.get('period'))}, {_m(v['variance'])} ({f.pct_text(v['variance_pct'] or 0)}) over its "
            f"limit to date of {_m(v['cap_ytd'])} ({_m(v['annual_cap'])} for the year: {v.get('cap_basis')}).")


AGENCY = Section(
    key="agency-spend",
    title="Agency staff spend against the limit",
    sheet_name="Agency spend",
    source="rpt_agency_spend",
    mode=DETAIL,
    description=("Agency staffing spend of each NHS provider against its agency spending limit, financial year "
                 "to date. Agency spend is what the provider's ledger paid (credits netted) to the staffing "
                 "agencies listed in reference/agency_suppliers.csv; a line paid to any other supplier is not "
                 "counted, whatever its description, so a new agency counts once it is listed. The limit is "
                 "reference/agency_caps.csv (a whole-year figure per provider, with what it rests on), phased "
                 "evenly: to date = limit × months elapsed / 12. Red: over the limit to date; amber: at or "
                 "above 95% of it (sql/settings.yaml, agency_amber_pct); green: below."),
    dims=(ICS, PARTNER, Dim("rag", "RAG", "code")),
    values=(Measure("annual_cap", "Limit for the year", "annual_cap"),
            Measure("cap_ytd", "Limit to date", "cap_ytd"),
            Measure("agency_ytd", "Agency spend to date", "agency_ytd"),
            Measure("variance", "Over (under) the limit", "variance_ytd"),
            Derived("variance_pct", "Over (under) %", "share", ("variance", "cap_ytd")),
            Measure("agency_month", "Agency spend, month", "agency_spend"),
            Text("basis", "Limit rests on", lambda v: v.get("cap_basis"))),
    hidden=("cap_basis",),
    basis="£ paid to staffing agencies, against each provider's limit",
    total=False,
    drop_zero_rows=False,
    flag=Flag(where="rag = 'red'", label="Providers over their agency spending limit", text=_agency_text,
              drill=Drill(keys=("partner_id", "fy", "period"),
                          where=f"partner_id = $partner_id AND fy = $fy AND period <= $period AND {AGENCY_LINES}",
                          figure="agency_ytd",
                          title=lambda v: f"{v['partner_name']}: agency spend to {_month(v.get('period'))}")),
    charts=(
        Chart("agency_against_limit", "Agency spend against the limit over the year (running totals)", "line",
              x=MONTH_OF_FY, value=Measure("agency_line", "Agency spend to date", "agency_ytd", scope=YTD),
              also=(Measure("cap_line", "Limit to date", "cap_ytd", scope=YTD),), facet=PARTNER,
              x_title="Month", y_title="£, FY to date", excel=True, total_row=False),
    ),
)
