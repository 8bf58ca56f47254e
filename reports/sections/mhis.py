"""The Mental Health Investment Standard: each ICB against the standard, and its spend by MHIS
category with what is left out of it."""
from __future__ import annotations

from typing import Any, Mapping

from reports import formatting as f
from reports.sections.shared import ICS, _m
from reports.spec import DETAIL, FY, Chart, Dim, Drill, Flag, Measure, Section, Sort, Text
from reports.tables import _Label


# --- MHIS ---------------------------------------------------------------------------
def _mhis_status(v: Mapping[str, Any]) -> str:
    met, required = v.get("met"), v.get("required")
    if met is True:
        return f"Met: {_m(v.get('headroom'))} headroom"
    if met is False:
        return f"Not met: {_m(v.get('shortfall'))} short"
    if required is None:
        return "Not assessed: no prior year loaded"
    forecast = v.get("forecast")
    if forecast is not None and forecast >= required:
        return "Part year: forecast to meet it"
    return f"Part year: forecast {_m(required - (forecast or 0))} short"


def _mhis_text(v: Mapping[str, Any]) -> str:
    said = (f"{v['icb_name']} spent {_m(v['mhis_spend'])} on the MHIS base in {v.get('fy')} against "
            f"{_m(v['required'])} required (last year's {_m(v['prior_year'])} grown by the allocation's "
            f"{f.pct_text(v['allocation_growth'])})")
    if v.get("met") is False:
        return f"{said}: {_m(v['shortfall'])} short, so the standard is not met."
    return f"{said}: at the run rate it will spend {_m(v['forecast'])}, short of the standard."


def _mhis_category_definition(v: Mapping[str, Any]) -> str:
    """A row's definition (the SQL states it); a part's subtotal and an ICB's total say what they add up."""
    if v.get("definition"):
        return v["definition"]
    if isinstance(v.get("part"), _Label):
        return ("MHIS spend: the categories above, the MHIS sheet's MHIS spend" if "MHIS spend" in v["part"].text
                else "Mental-health spend left out of the MHIS: the exclusions above")
    return "All mental-health spend (MHIS spend + each exclusion): the MHIS sheet's All MH spend"


MHIS_CATEGORIES = Section(
    key="mhis-categories",
    title="MHIS by category, and what is outside it",
    source="rpt_mhis_categories",
    mode=DETAIL,
    description=("Each ICB's spend as NHS England's MHIS return reports it: MHIS spend by MHIS category, "
                 "children and young people's categories shown separately (of which CYP), then every "
                 "exclusion with its reason, so MHIS spend + the exclusions = all its mental-health spend "
                 "to the penny. Gross, as the ICB's own ledger books it (credits netted; payments to "
                 "partners not eliminated). The category of each service line is reference/service_lines.csv; "
                 "the funding streams in and out of the MHIS are sql/settings.yaml (docs/model.md, "
                 "'MHIS by category')."),
    dims=(Dim("icb_name", "ICB"), Dim("part", "Part"), Dim("line_name", "MHIS category or exclusion")),
    values=(Measure("amount", "£ in the year", "amount", scope=FY),
            Measure("cyp_amount", "Of which children and young people", "cyp_amount", scope=FY),
            Measure("line_order", "Order", "line_order", scope=FY, fmt="int", additive=False, show=False),
            Text("definition", "Definition", _mhis_category_definition, totals=True)),
    subtotals=("icb_name", "part"),
    order_by=(Sort("line_order"),),
    period_col=None,
    total=False,
    drop_zero_rows=False,
    basis="£ gross, the ICBs' own ledgers, financial year (to date)",
    hidden=("icb_id", "fy", "service_lines", "funding_streams", "definition"),
)


# The lines behind an ICB's MHIS spend, by the definition rpt_mhis applied: its MHIS service lines (in_mhis,
# from reference/service_lines.csv) from the funding streams the row names (sql/settings.yaml as the model
# was built), so a deployment that changes what counts gets drill-downs that still add up.
MHIS_SPEND_DRILL = Drill(keys=("icb_id", "fy", "mhis_funding_streams"), source="fct_mh_ledger",
                         where=("partner_id = $icb_id AND fy = $fy AND line_type = 'expenditure' AND in_mhis "
                                "AND list_contains($mhis_funding_streams, funding_stream)"),
                         figure="mhis_spend", title=lambda v: f"{v['icb_name']}: MHIS spend {v.get('fy')}")


_MHIS_VALUES = (
    Measure("mhis_spend", "MHIS spend", "mhis_spend", scope=FY),
    Measure("prior_year", "Prior year", "prior_year_spend", scope=FY),
    Measure("allocation_growth", "Allocation growth %", "allocation_growth_pct", scope=FY, fmt="pct",
            additive=False),
    Measure("required", "Required", "required_spend", scope=FY),
    Measure("shortfall", "Shortfall", "shortfall", scope=FY),
    Measure("headroom", "Headroom", "headroom", scope=FY),
    Measure("forecast", "Forecast (run rate)", "forecast_mhis_spend", scope=FY),
)
MHIS = Section(
    key="mhis",
    title="Mental Health Investment Standard",
    sheet_name="MHIS",
    source="rpt_mhis",
    mode=DETAIL,
    description=("Each ICB's spend on the Mental Health Investment Standard base (its own ledger, MHIS "
                 "service lines, recurrent and section 75 pooled funds) against the standard: last year's "
                 "spend grown by the growth in its programme allocation. The standard is assessed on a "
                 "complete year; a part year shows the run-rate forecast. Mental-health share is all its "
                 "mental-health spend, any fund, as a share of its programme allocation."),
    dims=(ICS, Dim("icb_name", "ICB"), Dim("met", "Met", "bool")),
    values=_MHIS_VALUES + (
        Measure("months", "Months", "months_reported", scope=FY, fmt="int", additive=False, show=False),
        Measure("mhis_share", "MHIS share of allocation %", "mhis_share_of_allocation_pct", scope=FY,
                fmt="pct", additive=False),
        Measure("mh_spend", "All MH spend", "mh_spend", scope=FY),
        Measure("mh_share", "MH share of allocation %", "mh_share_of_allocation_pct", scope=FY, fmt="pct",
                additive=False),
        Text("status", "Status", _mhis_status)),
    period_col=None,
    basis="£, the ICBs' own ledgers",
    flag=Flag(where="NOT coalesce(met, forecast_met, TRUE)", label="ICBs not meeting the standard",
              text=_mhis_text,
              drill=MHIS_SPEND_DRILL),
    charts=(
        Chart("mhis_against_required", "MHIS spend against the standard", "bar",
              x=Dim("icb_name", "ICB"), value=Measure("spend", "MHIS spend", "mhis_spend", scope=FY),
              also=(Measure("req", "Required", "required_spend", scope=FY),),
              x_title="ICB", y_title="£ in the year", excel=True, total_row=False),
    ),
    parts=(MHIS_CATEGORIES,),
)
