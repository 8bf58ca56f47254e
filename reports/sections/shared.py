"""The columns and words several sections share: the system, partner kind, partner, service
line, funding stream and month dims, this month's, last month's and the year's spend with
the movement, the single-system condition for tables without a system column, and the
money and month wording the sections' sentences use."""
from __future__ import annotations

from typing import Any

from reports import formatting as f
from reports.spec import MONTH, PREV_MONTH, YTD, Derived, Dim, Measure


ICS = Dim("ics_id", "System", "ics")
KIND = Dim("partner_kind", "Partner kind", "partner_kind")
PARTNER = Dim("partner_name", "Partner")
# One display name per service line everywhere: the reference's service_line_name (dim_service_line),
# never the code humanised ('camhs' would read 'CAMHS' here and "Children and young people's mental
# health" on the next sheet).
SERVICE_LINE = Dim("service_line_name", "Service line")
SERVICE_LINE_NAME = Dim("service_line_name", "Service line", blank="Several service lines")
FUNDING_STREAM = Dim("funding_stream", "Funding stream", "funding_stream")
MONTH_OF_FY = Dim("period", "Month", "period")

SPEND_MONTH = Measure("month", "This month", "spend", scope=MONTH)
SPEND_PREV = Measure("prev", "Last month", "spend", scope=PREV_MONTH)
SPEND_YTD = Measure("ytd", "FY to date", "spend", scope=YTD)
MOVEMENT = Derived("movement", "Movement", "diff", ("month", "prev"))
MOVEMENT_PCT = Derived("movement_pct", "Movement %", "pct_change", ("month", "prev"))

# Only partners of the system a single-system pack is for (tables without an ics_id column:
# a partner's system is the one rpt_mh_spend files its spend under).
def _partner_in_system(*columns: str) -> str:
    return "$ics_id IS NULL OR " + " OR ".join(
        f"{c} IN (SELECT partner_id FROM rpt_mh_spend WHERE ics_id = $ics_id)" for c in columns)


def _m(v: Any) -> str:
    return f.money_text(v)


def _p(v: Any) -> str:
    return f.money2_text(v)


def _month(v: Any) -> str:
    return f.month_label(v) if v else ""


def _words(code_text: str | None) -> str:
    """Model codes inside a sentence from the warehouse, in words ('non_recurrent' -> 'non-recurrent')."""
    text = code_text or ""
    for code in ("non_recurrent", "cost_and_volume", "s75_pooled"):
        text = text.replace(code, f.CODE_LABELS.get(code, f.FUNDING_STREAMS.get(code, code)).lower())
    return text.replace("_", " ")
