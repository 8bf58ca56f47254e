"""Gross spend: each partner's mental-health spend as it booked it, by partner and by service
line (with the net spend by service line and by funding stream below it)."""
from __future__ import annotations

from reports.sections.shared import (
    FUNDING_STREAM, ICS, KIND, MOVEMENT, MOVEMENT_PCT, PARTNER, SERVICE_LINE, SERVICE_LINE_NAME,
    SPEND_MONTH, SPEND_PREV, SPEND_YTD,
)
from reports.spec import YTD, Chart, Measure, Section


SPEND_BY_PARTNER = Section(
    key="spend-by-partner",
    title="Spend by partner",
    source="rpt_mh_spend",
    description=("Gross mental-health expenditure by partner and service line, for the month "
                 "and the financial year to date, before eliminating payments between partners."),
    dims=(ICS, KIND, PARTNER, SERVICE_LINE),
    values=(SPEND_MONTH, SPEND_YTD),
    subtotals=("ics_id", "partner_kind"),
    basis="£ gross expenditure",
    coverage_note=True,
    charts=(
        Chart("ytd_by_partner", "FY to date spend by partner", "stacked_hbar",
              x=PARTNER, series=KIND, value=Measure("v", "FY to date", "spend", scope=YTD),
              x_title="Partner", y_title="Spend, FY to date (£)", sort_by_value=True),
    ),
)

SPEND_BY_SERVICE_LINE = Section(
    key="spend-by-service-line",
    title="Spend by service line",
    source="rpt_mh_spend",
    description=("Gross mental-health expenditure by service line across all partners (each partner's spend "
                 "as it booked it, so a pound paid on by one partner to another is counted by both), with "
                 "the movement from last month. Net spend, each pound counted once, is in the two tables "
                 "below: by service line and by funding stream."),
    dims=(ICS, SERVICE_LINE),
    values=(SPEND_MONTH, SPEND_PREV, MOVEMENT, MOVEMENT_PCT, SPEND_YTD),
    subtotals=("ics_id",),
    basis="£ gross expenditure",
    parts=tuple(
        Section(key=key, title=title, source="rpt_open_book", dims=(ICS, dim),
                description=(f"Net mental-health expenditure {what}: gross as the partners booked it, less "
                             "the payments to partners that send their own ledgers (eliminated: that "
                             "partner's spend of the money is counted instead), so each pound counts once. "
                             "The totals are the open book's."),
                values=(Measure("net_month", "Net, month", "net_spend"),
                        Measure("gross_ytd", "Gross FY to date", "gross_spend", scope=YTD),
                        Measure("eliminated_ytd", "Eliminated FY to date", "eliminated_spend", scope=YTD),
                        Measure("net_ytd", "Net FY to date", "net_spend", scope=YTD)),
                subtotals=("ics_id",), basis="£ mental-health expenditure: gross, eliminated and net")
        for key, title, dim, what in (
            ("net-by-service-line", "Net spend by service line", SERVICE_LINE_NAME, "by service line"),
            ("net-by-funding-stream", "Net spend by funding stream", FUNDING_STREAM,
             "by funding stream (recurrent, non-recurrent, SDF, section 75 pooled, grant)"))),
    charts=(
        Chart("ytd_by_service_line", "FY to date spend by service line", "stacked_hbar",
              x=SERVICE_LINE, series=ICS, value=Measure("v", "FY to date", "spend", scope=YTD),
              x_title="Service line", y_title="Spend, FY to date (£)", sort_by_value=True),
    ),
)
