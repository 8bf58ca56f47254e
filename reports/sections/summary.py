"""The summary sheet and page: headline blocks (each a small Section), the count of flags and
its charts."""
from __future__ import annotations

from reports.sections.mhis import _mhis_status
from reports.sections.shared import ICS, KIND, MONTH_OF_FY, MOVEMENT, MOVEMENT_PCT, SPEND_MONTH, SPEND_PREV, SPEND_YTD
from reports.spec import DETAIL, FY, YTD, Chart, Dim, ExcelChart, Measure, Pivot, Section, Summary, Text


# The summary: headline blocks (each a small Section), the count of flags, and its charts.
_HEADLINE = (SPEND_MONTH, SPEND_PREV, MOVEMENT, MOVEMENT_PCT, SPEND_YTD)
SUMMARY = Summary(
    title="Summary",
    description=("Net spend counts each pound once, where it is finally spent (payments between partners "
                 "that send their own ledgers eliminated); gross is as each partner booked it."),
    blocks=(
        Section(key="net-by-system", title="Net mental-health spend by system (the open book)",
                source="rpt_open_book", dims=(ICS,),
                values=(Measure("net_month", "Net, month", "net_spend"),
                        Measure("net_ytd", "Net FY to date", "net_spend", scope=YTD),
                        Measure("gross_ytd", "Gross FY to date", "gross_spend", scope=YTD),
                        Measure("eliminated_ytd", "Eliminated FY to date", "eliminated_spend", scope=YTD),
                        Measure("forecast", "Forecast outturn (net)", "forecast_outturn_net_spend"))),
        Section(key="mhis-headline", title="Mental Health Investment Standard", source="rpt_mhis",
                mode=DETAIL, dims=(Dim("icb_name", "ICB"),),
                values=(Measure("mhis_spend", "MHIS spend", "mhis_spend", scope=FY),
                        Measure("required", "Required", "required_spend", scope=FY),
                        Measure("shortfall", "Shortfall", "shortfall", scope=FY),
                        Measure("headroom", "Headroom", "headroom", scope=FY),
                        Measure("forecast", "Forecast", "forecast_mhis_spend", scope=FY, show=False),
                        Text("status", "Status", _mhis_status)),
                period_col=None, total=False, hidden=("met", "icb_id", "fy", "mhis_funding_streams")),
        Section(key="by-system", title="Gross spend by system", source="rpt_mh_spend",
                description="Total mental-health spend", dims=(ICS,), values=_HEADLINE),
        Section(key="by-partner-kind", title="Gross spend by partner kind", source="rpt_mh_spend",
                dims=(KIND,), values=_HEADLINE),
        Section(key="ytd-kind-system", title="Gross FY to date by partner kind and system",
                source="rpt_mh_spend", dims=(KIND,), values=(SPEND_YTD,),
                pivot=Pivot(on=ICS, value="ytd")),
    ),
    flags_after="mhis-headline",
    excel_chart=ExcelChart(block="ytd-kind-system", title="FY to date spend by partner kind",
                           x_title="Partner kind", y_title="Spend, FY to date (£)"),
    charts=(
        ("by-partner-kind",
         Chart("month_by_kind", "Spend by partner kind, month by month this financial year",
               "stacked_bar", x=MONTH_OF_FY, series=KIND,
               value=Measure("v", "Spend", "spend", scope=YTD),
               x_title="Month", y_title="Spend (£)")),
    ),
)
