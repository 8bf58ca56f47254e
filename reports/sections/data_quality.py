"""Data quality: each partner's submission for the month, the rows set aside and the checks
that failed."""
from __future__ import annotations

from reports.sections.shared import ICS, MONTH_OF_FY, PARTNER
from reports.spec import MONTH, YTD, Chart, Dim, Measure, Section


# --- data quality ------------------------------------------------------------------------
def _count(key: str, label: str, column: str, scope: str = MONTH) -> Measure:
    return Measure(key, label, column, scope=scope, fmt="int")


DATA_QUALITY = Section(
    key="data-quality",
    title="Data quality",
    source="rpt_dq_submissions",
    description=("Each partner's submission for the month: rows received, loaded, set aside "
                 "(quarantined, with the reasons on the next page) and skipped (totals and blank "
                 "rows), and whether it passed its checks. A blocked month is left out of every figure."),
    dims=(ICS, PARTNER, Dim("source_file", "File"), Dim("status", "Status")),
    values=(_count("read", "Rows read", "rows_read"), _count("loaded", "Loaded", "rows_loaded"),
            _count("quarantined", "Set aside", "rows_quarantined"), _count("skipped", "Skipped", "rows_skipped"),
            _count("failed", "Checks failed", "checks_failed"), _count("warnings", "Warnings", "warnings")),
    subtotals=("ics_id",),
    drop_zero_rows=False,
    basis="rows of the partners' files",
    charts=(
        Chart("set_aside_by_month", "Rows set aside, month by month this financial year", "stacked_bar",
              x=MONTH_OF_FY, series=PARTNER, value=_count("v", "Rows set aside", "rows_quarantined", YTD),
              x_title="Month", y_title="Rows set aside"),
    ),
)

QUARANTINE = Section(
    key="rows-set-aside",
    title="Rows set aside",
    source="rpt_dq_quarantine",
    description=("Rows of this financial year's submissions that were not loaded, by partner, month "
                 "and reason, with the first example: what the partner's finance team should correct."),
    dims=(PARTNER, Dim("period", "Month", "period"), Dim("reason", "Reason"), Dim("example", "Example")),
    values=(_count("rows", "Rows", "rows", YTD),),
    total=True,
    basis="rows of the partners' files",
)

FAILED_CHECKS = Section(
    key="failed-checks",
    title="Failed checks",
    source="rpt_dq_checks",
    description=("Checks that failed on this financial year's submissions. ERROR checks keep the month "
                 "out of the figures until the partner resubmits; WARN checks are for the partner to confirm."),
    dims=(PARTNER, Dim("period", "Month", "period"), Dim("severity", "Severity"),
          Dim("check_description", "Check"), Dim("sample", "Failing values", "sample")),
    values=(_count("rows", "Failing rows", "failing_rows", YTD),),
    basis="rows of the partners' files",
)
