"""The cover of a pack: which systems it covers, how recent its data is, and the partners'
submissions (load_log joined to dq_load_status) its figures rest on, with the ones missing."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePath

import duckdb

from reports.query import ReportContext, _execute
from reports.tables import Column, Row, Table


@dataclass
class Submission:
    partner_id: str | None
    partner_name: str
    period: str | None
    file_name: str
    loaded_at: dt.datetime | None
    rows_read: int | None
    rows_loaded: int | None
    rows_quarantined: int | None
    load_status: str
    dq_status: str | None
    error_failures: int | None
    warnings: int | None
    ledger_to: dt.date | None = None          # the latest posting date among its lines in the figures
    coverage_threshold: int | None = None     # smallest payment its file lists (source config); None: not stated

    @property
    def coverage(self) -> str:
        """What the file lists, in words: a total of an 'over £25k' file leaves the smaller payments out."""
        if self.coverage_threshold is None:
            return "Not stated"
        if self.coverage_threshold == 0:
            return "Every payment"
        return f"Payments of £{self.coverage_threshold:,} and over"

    @property
    def in_figures(self) -> bool:
        return self.load_status == "current" and self.dq_status == "passed"

    @property
    def quality(self) -> str:
        if self.load_status == "failed":
            return "Failed to load: not in figures"
        if self.load_status == "rejected":
            return "Resubmission blocked: the previous submission stays in the figures"
        if self.dq_status == "passed":
            w = self.warnings or 0
            return "Passed" if w == 0 else f"Passed ({w} warning{'s' if w != 1 else ''})"
        if self.dq_status == "blocked":
            n = self.error_failures or 0
            return f"Blocked ({n} failed check{'s' if n != 1 else ''}): not in figures"
        return "Not yet checked: not in figures"


@dataclass
class Cover:
    ctx: ReportContext
    systems: list[str]
    data_as_at: dt.datetime | None
    submissions: list[Submission]          # report month's, then earlier, newest period first
    missing: list[str]                     # partner names with no current load this month

    @property
    def this_month(self) -> list[Submission]:
        return [s for s in self.submissions if s.period == self.ctx.period]

    @property
    def earlier(self) -> list[Submission]:
        return [s for s in self.submissions if s.period != self.ctx.period]


def submissions_table(subs: list[Submission], *, with_period: bool, with_rows_read: bool = True) -> Table:
    """The submissions a pack rests on, as the workbook and the site show them: each with when it
    was loaded, how far its ledger runs (its latest posting date) and what its file lists."""
    cols = ([Column("period", "Period", "period", False)] if with_period else []) + [
        Column("partner", "Partner", "text", False),
        Column("file", "File", "text", False),
        Column("coverage", "File lists", "text", False),
        Column("ledger_to", "Ledger to", "text", False, blank=""),
        Column("loaded_at", "Loaded at", "datetime", False),
        *([Column("rows_read", "Rows read", "int", True)] if with_rows_read else []),
        Column("rows_loaded", "Rows loaded", "int", True),
        Column("rows_quarantined", "Rows quarantined", "int", True),
        Column("quality", "Data quality", "text", False),
    ]
    rows = [Row({"period": x.period, "partner": x.partner_name, "file": x.file_name, "coverage": x.coverage,
                 "ledger_to": x.ledger_to.strftime("%d %b %Y") if x.ledger_to else None, "loaded_at": x.loaded_at, "rows_read": x.rows_read,
                 "rows_loaded": x.rows_loaded, "rows_quarantined": x.rows_quarantined, "quality": x.quality})
            for x in subs]
    return Table("submissions", "Submissions", cols, rows)


# The rpt table that tells which partners (and systems) a pack covers.
PARTNER_SOURCE = "rpt_mh_spend"


def cover(con: duckdb.DuckDBPyConnection, ctx: ReportContext) -> Cover:
    """Systems, data-as-at and the submissions (load_log + dq_load_status) the pack rests on."""
    partners_sql = (f"SELECT partner_id, any_value(partner_name) AS partner_name FROM {PARTNER_SOURCE} "
                    "WHERE ((fy = $fy AND period <= $period) OR period = $prev_period)"
                    + (" AND ics_id = $ics_id" if ctx.ics_id else "") + " GROUP BY partner_id")
    partners = dict(_execute(con, partners_sql, ctx.params()).fetchall())
    if ctx.ics_id:
        systems = [ctx.ics_id]
    else:
        systems = [r[0] for r in _execute(
            con, f"SELECT DISTINCT ics_id FROM {PARTNER_SOURCE} WHERE fy = $fy AND period <= $period "
                 "AND ics_id IS NOT NULL ORDER BY 1", ctx.params()).fetchall()]
    sql = (
        "SELECT l.partner_id, l.period, l.source_file, l.loaded_at, l.rows_read, l.rows_loaded, "
        "l.rows_quarantined, l.status, d.status, d.error_failures, d.warnings, f.ledger_to, c.coverage_threshold "
        "FROM load_log l LEFT JOIN dq_load_status d ON d.load_id = l.load_id "
        "LEFT JOIN load_configs c ON c.load_id = l.load_id "
        "LEFT JOIN (SELECT load_id, max(posting_date) AS ledger_to FROM fct_ledger GROUP BY load_id) f "
        "ON f.load_id = l.load_id "
        "WHERE l.status IN ('current', 'failed', 'rejected') "
        "AND ((l.period >= $fy_start AND l.period <= $period) OR l.period = $prev_period)"
        + (f" AND l.partner_id IN (SELECT partner_id FROM {PARTNER_SOURCE} WHERE ics_id = $ics_id)"
           if ctx.ics_id else ""))
    subs = []
    for (pid, period, src, loaded_at, r_read, r_loaded, r_q, lstatus, dq, errs, warns, ledger_to, threshold) in \
            _execute(con, sql, ctx.params()).fetchall():
        subs.append(Submission(pid, partners.get(pid) or pid or "(unknown partner)", period,
                               PurePath(src.replace("\\", "/")).name if src else "",
                               loaded_at, r_read, r_loaded, r_q, lstatus, dq, errs, warns, ledger_to, threshold))
    subs.sort(key=lambda s: (-(int((s.period or "0000-00").replace("-", ""))),
                             s.partner_name.casefold(), s.loaded_at or dt.datetime.min))
    used = [s.loaded_at for s in subs if s.load_status == "current" and s.loaded_at]
    have_now = {s.partner_id for s in subs if s.period == ctx.period and s.load_status == "current"}
    missing = sorted((name for pid, name in partners.items() if pid not in have_now), key=str.casefold)
    return Cover(ctx, systems, max(used) if used else None, subs, missing)
