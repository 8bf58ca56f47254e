"""A page per partner in the HTML site (partners/<partner_id>.html) and a page listing them
(partners.html): what a partner's own figures are - its mental-health spend by service line and
funding stream (gross as it booked it, eliminated, net), month by month this financial year, and
the submissions they rest on, with what each file lists and how far its ledger runs.

The tables are ordinary Sections filtered by the bound parameter $partner_id, so they are
computed by the same engine as every other page and add up to the open book."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import duckdb

from reports import formatting as f
from reports.query import ReportContext
from reports.sections.shared import FUNDING_STREAM, MONTH_OF_FY, SERVICE_LINE_NAME
from reports.spec import YTD, Measure, Section
from reports.tables import Column, Row, Table, _Label

FOLDER = "partners"
INDEX = "partners.html"

_NET_VALUES = (Measure("net_month", "Net, month", "net_spend"),
               Measure("gross_ytd", "Gross FY to date", "gross_spend", scope=YTD),
               Measure("eliminated_ytd", "Eliminated FY to date", "eliminated_spend", scope=YTD),
               Measure("net_ytd", "Net FY to date", "net_spend", scope=YTD))
_BASIS = "£ mental-health expenditure: gross, eliminated and net"

SPEND = Section(
    key="partner-spend", title="Spend by service line and funding stream", source="rpt_open_book",
    description=("The partner's mental-health expenditure: gross as it booked it, eliminated (paid to a partner "
                 "that sends its own ledger, whose spend of the money is counted instead) and net."),
    dims=(SERVICE_LINE_NAME, FUNDING_STREAM), values=_NET_VALUES, where=("partner_id = $partner_id",),
    basis=_BASIS)
MONTHS = Section(
    key="partner-months", title="Month by month, this financial year", source="rpt_open_book",
    description="The partner's gross, eliminated and net mental-health expenditure in each month of the year so far.",
    dims=(MONTH_OF_FY,),
    values=(Measure("gross", "Gross", "gross_spend", scope=YTD),
            Measure("eliminated", "Eliminated", "eliminated_spend", scope=YTD),
            Measure("net", "Net", "net_spend", scope=YTD)),
    where=("partner_id = $partner_id",), basis=_BASIS)
SECTIONS = (SPEND, MONTHS)


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    kind: str
    ics_id: str | None                  # its system in reference/partners.csv (None: serves more than one)
    spend_in: tuple[str, ...] = ()      # the systems its spend this year falls in

    @property
    def href(self) -> str:
        return f"{FOLDER}/{self.partner_id}.html"

    def where(self) -> str:
        """Its system in words, and the systems its spend falls in when that is more than its own."""
        home = f"in {f.ics_label(self.ics_id)}" if self.ics_id else "not assigned to a system"
        if set(self.spend_in) <= {self.ics_id}:
            return home
        return f"{home} (its spend this year falls in {f.systems_label(list(self.spend_in))})"


def partners(con: duckdb.DuckDBPyConnection, ctx: ReportContext) -> list[Partner]:
    """The partners with mental-health spend this financial year, by system, kind and name.

    A partner's system is the one reference/partners.csv gives it, as Data quality shows it (its
    submissions), not the system of any one of its lines: a partner whose spend falls in both systems
    (Haven Crisis Houses) is not assigned to a system, and a trust of one system serving the other
    stays in its own. Each system's share of a partner's spend is on Spend by partner and System by payer.
    A partner with no submission listed (a cut-down warehouse) takes the one system its spend falls in."""
    rows = con.execute(
        "SELECT o.partner_id, any_value(o.partner_name), any_value(o.partner_kind), "
        "CASE WHEN bool_or(h.partner_id IS NOT NULL) THEN any_value(h.ics_id) "
        "     WHEN count(DISTINCT o.ics_id) = 1 THEN any_value(o.ics_id) END, "
        "list(DISTINCT o.ics_id ORDER BY o.ics_id) FILTER (WHERE o.ics_id IS NOT NULL AND o.ics_id <> 'both_systems') "
        "FROM rpt_open_book o LEFT JOIN (SELECT DISTINCT partner_id, ics_id FROM rpt_dq_submissions) h "
        "ON h.partner_id = o.partner_id "
        "WHERE o.fy = $fy AND o.period <= $period GROUP BY o.partner_id",
        {"fy": ctx.fy, "period": ctx.period}).fetchall()
    found = [Partner(pid, name, kind, ics, tuple(spend_in or ())) for pid, name, kind, ics, spend_in in rows]
    return sorted(found, key=lambda p: (p.ics_id or "~", p.kind, p.name.casefold()))


def partner_list(con: duckdb.DuckDBPyConnection, ctx: ReportContext, found: list[Partner],
                 net_links: Mapping[str, str | None] | None = None, total_link: str | None = None) -> Table:
    """The partners page's table: each partner with its net spend FY to date, linked to its page; the net spend
    linked to its lines (``net_links``: partner id -> the page; ``total_link``: every partner's)."""
    net = dict(con.execute(
        "SELECT partner_id, sum(net_spend) FROM rpt_open_book WHERE fy = $fy AND period <= $period GROUP BY ALL",
        {"fy": ctx.fy, "period": ctx.period}).fetchall())
    cols = [Column("ics_id", "System", "ics", False), Column("kind", "Partner kind", "partner_kind", False),
            Column("partner", "Partner", "text", False), Column("net_ytd", "Net FY to date", "money", True)]
    rows = []
    for p in found:
        row = Row({"ics_id": p.ics_id, "kind": p.kind, "partner": p.name, "net_ytd": net.get(p.partner_id)})
        row.links["partner"] = p.href
        if net_links and net_links.get(p.partner_id):
            row.links["net_ytd"] = net_links[p.partner_id]
        rows.append(row)
    if rows:
        rows.append(Row({"ics_id": _Label("Total"), "net_ytd": sum(r.values["net_ytd"] or 0 for r in rows)},
                          "total", links={"net_ytd": total_link} if total_link else {}))
    return Table("partners", "Partners", cols, rows)
