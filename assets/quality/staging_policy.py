"""The staging checks a partner's source config tunes (`checks:`): lines dated outside the
file's month, possible duplicate payments, and lines no mapping rule classifies. Each is a
check of one submission (load) in stg_ledger that reports counts and pounds; only the date
window can block, and only where the partner's config says `dates_outside_period: error`.

The Dagster checks (assets/submission_checks.py), the onboarding preview and the tests all
call these functions, so they cannot drift apart. No Dagster import.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from assets.ingest.source_config import SourceConfig, StagingChecks
from assets.quality.gx_runner import ExpectationOutcome, SuiteOutcome
from assets.quality.submission_suite import period_bounds
from warehouse.sql_files import insert_rows, transaction

SUITE = "staging_checks"
DATES = "posting_date_in_range"
DUPLICATES = "likely_duplicate_payment"
UNMAPPED = "lines_mapped"
SAMPLE_LINES = 20


def write_source_checks(con, configs: dict[str, SourceConfig]) -> None:
    """Replace source_checks with every configured partner's `checks:` (read by stg_ledger.sql)."""
    rows = [(p, c.checks.transaction_ids_unique, c.checks.dates_outside_period, c.checks.date_tolerance_days)
            for p, c in sorted(configs.items())]
    with transaction(con):
        con.execute("DELETE FROM source_checks")
        insert_rows(con, "source_checks", rows)


def pounds(amount) -> str:
    return f"£{Decimal(amount or 0):,.2f}"


def date_window(period: str, checks: StagingChecks) -> tuple[date, date]:
    """The file's month widened by the partner's date tolerance, either side."""
    start, end = period_bounds(period)
    slack = timedelta(days=checks.date_tolerance_days)
    return start - slack, end + slack


def _outcome(name: str, column: str, description: str, severity: str, element_count: int,
             unexpected: int, sample: list) -> ExpectationOutcome:
    return ExpectationOutcome(
        suite=SUITE, expectation_type=name, column=column, description=description, severity=severity,
        success=unexpected == 0, errored=False, error_message=None, element_count=element_count,
        unexpected_count=unexpected, unexpected_sample=sample)


def dates_outside_outcome(con, load_id: str, period: str, checks: StagingChecks) -> ExpectationOutcome:
    """Lines dated outside the window: kept, and counted with their pounds."""
    start, end = date_window(period, checks)
    lines, outside, before, after, amount = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE posting_date < $s OR posting_date > $e),"
        " count(*) FILTER (WHERE posting_date < $s), count(*) FILTER (WHERE posting_date > $e),"
        " sum(amount) FILTER (WHERE posting_date < $s OR posting_date > $e)"
        " FROM stg_ledger WHERE load_id = $l", {"l": load_id, "s": start, "e": end}).fetchone()
    window = f"{start} to {end}" + (f" (the month ± {checks.date_tolerance_days} days)"
                                    if checks.date_tolerance_days else "")
    severity = "ERROR" if checks.dates_outside_period == "error" else "WARN"
    consequence = "the month is blocked until they are corrected" if severity == "ERROR" else "kept and counted"
    description = f"Every posting date falls inside the submitted period, {window}"
    sample: list = []
    if outside:
        description += f": {outside} lines, {pounds(amount)}, are outside ({before} before, {after} after; {consequence})"
        sample = [{"lines_outside": outside, "amount_outside": str(amount), "before": before, "after": after,
                   "window": [str(start), str(end)]}]
        sample += [{"row": row, "posting_date": str(day), "amount": str(value), "counterparty": who}
                   for row, day, value, who in con.execute(
                       "SELECT source_row, posting_date, amount, counterparty FROM stg_ledger"
                       " WHERE load_id = $l AND (posting_date < $s OR posting_date > $e)"
                       " ORDER BY abs(amount) DESC, source_row LIMIT $n",
                       {"l": load_id, "s": start, "e": end, "n": SAMPLE_LINES}).fetchall()]
    return _outcome(DATES, "posting_date", description, severity, lines, outside, sample)


# Same partner (one submission), supplier, amount, date and reference: the transaction number,
# or for a line without one its cost centre, expense type and description together (a payroll
# run split into equal amounts over staff groups is not a duplicate; a line exported twice is).
# Lines without a supplier are not compared.
_DUPLICATE_GROUPS = """
SELECT counterparty, amount, posting_date,
       coalesce(transaction_id, concat_ws(' | ', cost_centre, expense_type, description)) AS reference,
       count(*) AS lines, list(source_row ORDER BY source_row) AS rows, amount * (count(*) - 1) AS repeated_amount
FROM stg_ledger
WHERE load_id = $l AND counterparty IS NOT NULL
GROUP BY 1, 2, 3, 4
HAVING count(*) > 1
ORDER BY abs(amount * (count(*) - 1)) DESC, min(source_row)
"""


def duplicate_groups(con, load_id: str) -> list[tuple]:
    """(supplier, amount, date, reference, lines, rows, repeated amount) of each group of
    lines that look like one payment made more than once, largest repeated pounds first."""
    return con.execute(_DUPLICATE_GROUPS, {"l": load_id}).fetchall()


def duplicates_outcome(con, load_id: str) -> ExpectationOutcome:
    """Possible duplicate payments, listed with pounds for review; every line stays loaded."""
    (lines,) = con.execute("SELECT count(*) FROM stg_ledger WHERE load_id = $l", {"l": load_id}).fetchone()
    groups = duplicate_groups(con, load_id)
    in_groups = sum(g[4] for g in groups)
    repeated = sum((g[6] for g in groups), Decimal(0))
    description = ("No payment appears twice: the same supplier, amount, date and reference (the transaction number,"
                   " or else cost centre, expense type and description) on more than one line")
    if groups:
        description += (f": {len(groups)} possible duplicates, {in_groups} lines, {pounds(repeated)} in the repeats"
                        " (all kept and counted; please check them)")
    sample = [{"supplier": who, "amount": str(amount), "posting_date": str(day), "reference": ref,
               "lines": n, "rows": rows[:10], "repeated_amount": str(extra)}
              for who, amount, day, ref, n, rows, extra in groups[:SAMPLE_LINES]]
    return _outcome(DUPLICATES, "counterparty,amount,posting_date,transaction_id", description, "WARN",
                    lines, in_groups, sample)


def unmapped_outcome(con, load_id: str) -> ExpectationOutcome:
    """Lines no cost-centre map row or mapping rule classifies (service line 'unclassified')."""
    lines, unmapped, amount = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE mapped_by = 'unmapped'),"
        " sum(amount) FILTER (WHERE mapped_by = 'unmapped') FROM stg_ledger WHERE load_id = $l",
        {"l": load_id}).fetchone()
    description = ("Every line is mapped to a service line (by the cost-centre map, a mapping rule or the"
                   " partner's default rule)")
    sample: list = []
    if unmapped:
        description += (f": {unmapped} lines, {pounds(amount)}, are unclassified (kept and counted; not"
                         " mental-health spend until mapped; `openbook mapping unmapped` lists them)")
        sample = [{"cost_centre": cc, "expense_type": et, "counterparty": who, "lines": n, "amount": str(total)}
                  for cc, et, who, n, total in con.execute(
                      "SELECT cost_centre, expense_type, counterparty, count(*), sum(amount) FROM stg_ledger"
                      " WHERE load_id = $l AND mapped_by = 'unmapped' GROUP BY ALL"
                      " ORDER BY abs(sum(amount)) DESC, count(*) DESC LIMIT $n",
                      {"l": load_id, "n": SAMPLE_LINES}).fetchall()]
    return _outcome(UNMAPPED, "service_line", description, "WARN", lines, unmapped, sample)


def validate_staging(con, load_id: str, period: str, checks: StagingChecks | None = None) -> SuiteOutcome:
    """The three staging checks of one submission, in a fixed order (dates, duplicates, mapping)."""
    checks = checks or StagingChecks()
    return SuiteOutcome(SUITE, [dates_outside_outcome(con, load_id, period, checks),
                                duplicates_outcome(con, load_id), unmapped_outcome(con, load_id)])
