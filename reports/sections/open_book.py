"""The open book: net spend, each pound counted once; each system's spend by who pays; and the
eliminations between partners, with the balances that do not agree."""
from __future__ import annotations

from typing import Any, Mapping

from reports.sections.shared import (
    FUNDING_STREAM, ICS, KIND, MONTH_OF_FY, PARTNER, SERVICE_LINE, SERVICE_LINE_NAME, _m, _month, _p, _partner_in_system,
)
from reports.spec import DETAIL, YTD, Chart, Derived, Dim, Drill, Flag, Measure, Section


# --- the open book ----------------------------------------------------------
OPEN_BOOK = Section(
    key="open-book",
    title="Open book",
    source="rpt_open_book",
    description=("The consolidated open book: each partner's mental-health expenditure by service line "
                 "and funding stream. Gross is what the partner booked; eliminated is the part it paid "
                 "to another partner that sends its own ledger (that partner's spend of the money is "
                 "counted instead); net counts each pound once, where it is finally spent. Forecast "
                 "outturn is the net run rate: spend to date / months elapsed × 12."),
    coverage_note=True,
    dims=(ICS, KIND, PARTNER, SERVICE_LINE_NAME, FUNDING_STREAM),
    values=(Measure("gross_month", "Gross, month", "gross_spend"),
            Measure("net_month", "Net, month", "net_spend"),
            Measure("gross_ytd", "Gross FY to date", "gross_spend", scope=YTD),
            Measure("eliminated_ytd", "Eliminated FY to date", "eliminated_spend", scope=YTD),
            Measure("net_ytd", "Net FY to date", "net_spend", scope=YTD),
            Measure("forecast", "Forecast outturn (net)", "forecast_outturn_net_spend")),
    subtotals=("ics_id", "partner_kind"),
    basis="£ mental-health expenditure: gross, eliminated and net",
    charts=(
        Chart("gross_to_net", "From gross to net spend, FY to date", "waterfall", x=KIND,
              value=Measure("v", "£ FY to date", "eliminated_spend", scope=YTD),
              start=Measure("g", "Gross", "gross_spend", scope=YTD), facet=ICS,
              end=Measure("n", "Net", "net_spend", scope=YTD),
              start_label="Gross spend", end_label="Net spend",
              step_label="{} eliminations",
              x_title="Step", y_title="£, FY to date"),
    ),
)


# --- the open book by who pays --------------------------------------------------
SYSTEM_BY_PAYER = Section(
    key="system-by-payer",
    title="Each system's spend by who pays (commissioner view)",
    sheet_name="System by payer",            # Excel sheet names are at most 31 characters
    source="rpt_system_by_payer",
    description=("Net mental-health spend, financial year to date, in two views. Commissioner view (who pays): "
                 "spend coded to a place belongs to the place's system; a partner's other spend is shared "
                 "between the systems whose ICBs pay it, in proportion to what each ICB paid it this year to "
                 "date - an NHS trust's by each ICB's contract income, the lead provider's by each ICB's "
                 "delegated budget (the ICB-to-partner payments themselves are eliminated from the open book). "
                 "A partner no ICB pays stays with its host system. Host view (second): as the open book files "
                 "it, under the system that hosts the partner. Both views count every pound once; summed over "
                 "the systems they agree."),
    dims=(ICS, KIND, PARTNER),
    values=(Measure("payer", "Commissioner view", "payer_net_spend"),
            Measure("host", "Host view", "host_net_spend"),
            Derived("moved", "Commissioner less host", "diff", ("payer", "host")),
            Measure("apportioned", "Shared by ICB payments", "apportioned_net_spend"),
            Measure("share", "System's share of ICB payments", "payment_share_pct", fmt="pct", additive=False)),
    subtotals=("ics_id",),
    basis="£ net of eliminations, FY to date: commissioner view, then host view",
    charts=(
        Chart("system_by_payer", "Each system's net spend, FY to date: commissioner view and host view", "bar",
              x=ICS, value=Measure("a", "Commissioner view (who pays)", "payer_net_spend"),
              also=(Measure("b", "Host view", "host_net_spend"),),
              x_title="System", y_title="£ net, FY to date", excel=True, total_row=False),
    ),
)


# --- eliminations: agreement of balances --------------------------------------
# each side of a payer and payee's agreement: the payer's payments naming the payee, the payee's income naming
# the payer (booked as money in: negative)
PAYER_SIDE = "(partner_id = $payer_id AND counterparty_partner_id = $payee_id AND line_type = 'expenditure')"
PAYEE_SIDE = "(partner_id = $payee_id AND counterparty_partner_id = $payer_id AND line_type = 'income')"
def _aob_text(v: Mapping[str, Any]) -> str:
    return (f"In {_month(v['period'])} {v['payer_name']} booked {_p(v['payer_amount'])} paid to "
            f"{v['payee_name']}, which booked {_p(v['payee_amount'])} received: a difference of "
            f"{_p(v['difference'])}, above the {_m(v['threshold'])} threshold. To be agreed between "
            "the two finance teams.")


ELIMINATIONS = Section(
    key="eliminations",
    title="Eliminations: agreement of balances",
    sheet_name="Agreement of balances",
    source="rpt_eliminations",
    mode=DETAIL,
    description=("Money paid by one partner to another that sends its own ledger is in both ledgers and "
                 "is eliminated from the open book. Both sides should agree: the payer's payments against "
                 "the payee's income, month by month. This month's agreement for every pair of partners, "
                 "and every month of the year that did not agree (a difference above the statement "
                 "threshold), mismatches first."),
    dims=(Dim("payer_name", "Payer"), Dim("payee_name", "Payee"), MONTH_OF_FY,
          Dim("status", "Status", "code")),
    values=(Measure("payer_amount", "Payer booked", "payer_amount", scope=YTD),
            Measure("payee_amount", "Payee booked", "payee_amount", scope=YTD),
            Measure("difference", "Difference", "difference", scope=YTD),
            Measure("ytd_difference", "Difference FY to date", "ytd_difference", scope=YTD),
            Measure("threshold", "Threshold", "statement_threshold", scope=YTD, show=False, additive=False)),
    # A pair belongs to the payer's system (the payee's when the payer has none): the money is the
    # payer's, and it is the rule the flag register files the break under (rpt_flags), so a system's
    # pack counts the same breaks on this page, on its summary and in its register.
    # Partners with no system in dim_partner fall back to where rpt_mh_spend files their spend.
    where=("period = $period OR status = 'mismatched'",
           "$ics_id IS NULL OR coalesce((SELECT ics_id FROM dim_partner WHERE partner_id = payer_id), "
           "(SELECT ics_id FROM dim_partner WHERE partner_id = payee_id), "
           f"CASE WHEN {_partner_in_system('payer_id', 'payee_id')} THEN $ics_id END) = $ics_id"),
    system_col=None,
    total=False,
    basis="£ as each side booked it",
    flag=Flag(where="status = 'mismatched'", label="Balances that do not agree", text=_aob_text, first=True,
              drill=Drill(keys=("payer_id", "payee_id", "period"),
                          where=f"period = $period AND ({PAYER_SIDE} OR {PAYEE_SIDE})",
                          figure="difference",
                          title=lambda v: f"{v['payer_name']} and {v['payee_name']}, {_month(v['period'])}")),
)


# --- the commissioner view by service line ----------------------------------
SYSTEM_BY_PAYER_SERVICE_LINE = Section(
    key="system-by-payer-service-line",
    title="Each system's spend by who pays, by service line (commissioner view)",
    sheet_name="Payer view by service line",  # Excel sheet names are at most 31 characters
    source="rpt_system_by_payer_service_line",
    description=("Net mental-health spend, financial year to date, by service line, in the two views of 'Each "
                 "system's spend by who pays'. Commissioner view (who pays): spend coded to a place belongs to "
                 "the place's system; a partner's other spend on a service line is shared between the systems "
                 "whose ICBs pay the partner, in the same proportions as there (what each ICB paid it this year "
                 "to date). A partner no ICB pays stays with its host system. Host view (second): as the open "
                 "book files it. Every pound of each partner's service line is counted once, and each system's "
                 "total is the same as on the by-partner view to the penny (the pennies of rounding are placed "
                 "so both add up)."),
    dims=(ICS, SERVICE_LINE),
    values=(Measure("payer", "Commissioner view", "payer_net_spend"),
            Measure("host", "Host view", "host_net_spend"),
            Derived("moved", "Commissioner less host", "diff", ("payer", "host")),
            Measure("apportioned", "Shared by ICB payments", "apportioned_net_spend")),
    subtotals=("ics_id",),
    basis="£ net of eliminations, FY to date: commissioner view, then host view",
)
