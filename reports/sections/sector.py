"""Sector share: net spend by the sector of who received the money (the headline), then by the
sector of the delivering partner."""
from __future__ import annotations

from typing import Any, Mapping

from reports import formatting as f
from reports.sections.shared import ICS, MONTH_OF_FY
from reports.spec import YTD, Chart, Dim, Measure, Pivot, Section, Sort, Text


# --- sector share -----------------------------------------------------------------
# The headline is by who received the money (rpt_sector_share_by_recipient): a finance director asking
# "how much goes to the voluntary sector" means money paid to charities, wherever the payer sits. The
# older view by delivering partner (rpt_sector_share) follows, labelled as such.
_RECIPIENT = Dim("sector", "Sector (who received the money)", "sector")
_RECIPIENT_SHARE = Measure("share", "Share", "share_pct", fmt="pct", additive=False)
_RECIPIENT_HIGH = Measure("share_high", "Share if all unclassified were this sector", "share_high_pct",
                          fmt="pct", additive=False)


def _band_text(v: Mapping[str, Any]) -> str:
    share, high = v.get("share"), v.get("share_high")
    if share is None:
        return ""
    if v.get("sector") == "unclassified":
        return f"The band: up to {f.pct_text(share)} more on any sector"
    if high is None or high == share:
        return f"{f.pct_text(share)}"
    return f"{f.pct_text(share)} to {f.pct_text(high)}"


SECTOR_BY_RECIPIENT = Section(
    key="sector-by-recipient",
    title="Sector share by who received the money",
    sheet_name="Sector by recipient",        # Excel sheet names are at most 31 characters
    source="rpt_sector_share_by_recipient",
    description=("Net mental-health spend, financial year to date, counted by who received the money: the "
                 "sector of the organisation paid (statutory NHS, local authority, voluntary sector (VCSE), "
                 "independent sector). Net of eliminations: a payment to a partner that sends its own ledger is "
                 "left out and that partner's own spend counted instead, so no pound is counted twice. In house: "
                 "money a partner pays its own staff, individuals or ordinary private suppliers (agency staff, "
                 "utilities, goods), or a line naming no one, counts to the paying partner's own sector - the "
                 "partner delivers the service itself. Unclassified: money paid to suppliers the counterparty "
                 "register cannot yet place in a sector (awaiting review); it makes an uncertainty band - each "
                 "sector's true share lies between its share and its share plus the unclassified share. Paid "
                 "to others is the part paid to organisations of the sector outside the paying partner. The "
                 "view by delivering partner (the partner's kind) is on the next page."),
    dims=(ICS, _RECIPIENT),
    values=(Measure("net", "Net spend FY to date", "net_spend"),
            _RECIPIENT_SHARE, _RECIPIENT_HIGH,
            Text("band", "Share band", _band_text),
            Measure("paid_to_others", "Paid to others (not in house)", "paid_to_others")),
    subtotals=("ics_id",),
    drop_zero_rows=False,         # every sector, even at £0: its band still says what it could be
    basis="£ net of eliminations, FY to date, by who received the money",
    charts=(
        Chart("recipient_shares", "Share of net spend by who received the money, FY to date", "stacked_hbar",
              x=ICS, series=_RECIPIENT, value=Measure("v", "Share, FY to date", "share_pct", fmt="pct",
                                                      additive=False),
              x_title="System", y_title="Share of net spend (%)", excel=True, total_row=False),
        # NHS left out: at 60-85% it would flatten the bands of the sectors the question is about.
        Chart("recipient_band", "Non-NHS sectors: share, and the most it could be if all unclassified money "
              "were theirs", "bar", x=_RECIPIENT,
              value=Measure("lo", "Share", "share_pct", fmt="pct", additive=False),
              also=(Measure("hi", "Share if all unclassified were this sector", "share_high_pct", fmt="pct",
                            additive=False),),
              where=("sector NOT IN ('nhs', 'unclassified')",), facet=ICS,
              x_title="Sector (who received the money)", y_title="Share of net spend (%)", excel=True,
              total_row=False),
    ),
)

_AREA = (ICS, Dim("geography_level", "Level", "code"), Dim("place_name", "Area"))
_AREA_ORDER = (Sort("ics_id"), Sort("geography_level"), Sort("place_name"))   # each system, then its places
SECTOR_SHARE = Section(
    key="sector-share",
    title="Sector share by delivering partner",
    sheet_name="Sector by partner",
    source="rpt_sector_share",
    description=("Net mental-health spend by delivering partner: the sector of the partner that delivers the "
                 "service - statutory NHS, local authority, voluntary (VCSE) and independent - for each system "
                 "(all its spend, system-wide services included) and each place (spend coded to the place), "
                 "financial year to date. Payments to suppliers outside the partnership count to the paying "
                 "partner's sector, so money an NHS body pays a charity counts as NHS here; the previous page "
                 "counts it by who received the money."),
    dims=_AREA,
    values=(Measure("ytd", "FY to date", "ytd_net_spend"),),
    pivot=Pivot(on=Dim("sector", "Sector", "sector"), value="ytd"),
    total=False,
    order_by=_AREA_ORDER,
    basis="£ net of eliminations, by delivering partner",
    charts=(
        Chart("sector_shares", "Share of net spend by delivering partner's sector, FY to date", "stacked_hbar",
              x=Dim("place_name", "Area"), series=Dim("sector", "Sector", "sector"),
              value=Measure("v", "Share, FY to date", "ytd_share_pct", fmt="pct", additive=False),
              facet=ICS, x_title="Area", y_title="Share of net spend (%)", excel=True, total_row=False),
        Chart("sector_trend", "Share of net spend by delivering partner's sector, month by month", "line",
              x=MONTH_OF_FY, series=Dim("sector", "Sector", "sector"),
              value=Measure("v", "Share in the month", "share_pct", scope=YTD, fmt="pct", additive=False),
              where=("geography_level = 'ics'",), facet=ICS, x_title="Month",
              y_title="Share of the month's net spend (%)", excel=True, total_row=False),
    ),
)
