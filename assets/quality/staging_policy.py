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
from assets.quality.sql_runner import values_list
from assets.quality.submission_suite import period_bounds
from warehouse.plain_text import plural, pounds
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


# Every check below is one grouped query over all the submissions it is given (GROUP BY
# load_id, samples the first lines of each submission by a window), never one per
# submission: a run checks a few hundred submissions at once.
StagingLoad = tuple[str, str, "StagingChecks | None"]  # (load_id, period, the partner's checks)


def _windows(loads: list[StagingLoad]) -> tuple[str, list]:
    """The submissions' date windows as a VALUES list w(load_id, s, e), bound."""
    rows = [(load_id, *date_window(period, checks or StagingChecks())) for load_id, period, checks in loads]
    return values_list(rows, ["load_id", "s", "e"], "w")


def dates_outside_outcomes(con, loads: list[StagingLoad]) -> dict[str, ExpectationOutcome]:
    """Lines dated outside each submission's window: kept, and counted with their pounds."""
    windows, params = _windows(loads)
    outside = "posting_date < w.s OR posting_date > w.e"
    counts = {row[0]: row[1:] for row in con.execute(
        f"SELECT w.load_id, count(l.load_id), count(*) FILTER (WHERE {outside}),"
        " count(*) FILTER (WHERE posting_date < w.s), count(*) FILTER (WHERE posting_date > w.e),"
        f" sum(amount) FILTER (WHERE {outside})"
        f" FROM {windows} LEFT JOIN stg_ledger l ON l.load_id = w.load_id GROUP BY w.load_id", params).fetchall()}
    lines_outside: dict[str, list] = {load_id: [] for load_id, *_ in loads}
    if any(c[1] for c in counts.values()):
        for load_id, row, day, value, who in con.execute(
                f"SELECT l.load_id, source_row, posting_date, amount, counterparty"
                f" FROM stg_ledger l JOIN {windows} ON l.load_id = w.load_id WHERE {outside}"
                f" QUALIFY row_number() OVER (PARTITION BY l.load_id ORDER BY abs(amount) DESC, source_row) <= ?"
                " ORDER BY l.load_id, abs(amount) DESC, source_row", params + [SAMPLE_LINES]).fetchall():
            lines_outside[load_id].append({"row": row, "posting_date": str(day), "amount": str(value),
                                           "counterparty": who})
    return {load_id: _dates_outcome(period, checks or StagingChecks(), *counts[load_id], lines_outside[load_id])
            for load_id, period, checks in loads}


def _dates_outcome(period: str, checks: StagingChecks, lines: int, outside: int, before: int, after: int,
                   amount, lines_outside: list[dict]) -> ExpectationOutcome:
    start, end = date_window(period, checks)
    window = f"{start} to {end}" + (f" (the month ± {checks.date_tolerance_days} days)"
                                    if checks.date_tolerance_days else "")
    severity = "ERROR" if checks.dates_outside_period == "error" else "WARN"
    consequence = "the month is blocked until they are corrected" if severity == "ERROR" else "kept and counted"
    description = f"Every posting date falls inside the submitted period, {window}"
    sample: list = []
    if outside:
        description += f": {plural(outside, 'line')}, {pounds(amount)}, are outside ({before} before, {after} after; {consequence})"
        sample = [{"lines_outside": outside, "amount_outside": str(amount), "before": before, "after": after,
                   "window": [str(start), str(end)]}] + lines_outside
    return _outcome(DATES, "posting_date", description, severity, lines, outside, sample)


# Same partner (one submission), supplier, amount, date and reference: the transaction number,
# or for a line without one its cost centre, expense type and description together (a payroll
# run split into equal amounts over staff groups is not a duplicate; a line exported twice is).
# Lines without a supplier are not compared. Each submission's groups, largest repeated pounds first.
_DUPLICATE_GROUPS = """
SELECT load_id, counterparty, amount, posting_date,
       coalesce(transaction_id, concat_ws(' | ', cost_centre, expense_type, description)) AS reference,
       count(*) AS lines, list(source_row ORDER BY source_row) AS rows, amount * (count(*) - 1) AS repeated_amount
FROM stg_ledger
WHERE list_contains($l, load_id) AND counterparty IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
HAVING count(*) > 1
ORDER BY load_id, abs(amount * (count(*) - 1)) DESC, min(source_row)
"""


def duplicate_groups(con, load_ids: list[str]) -> dict[str, list[tuple]]:
    """load_id -> (supplier, amount, date, reference, lines, rows, repeated amount) of each
    group of lines that look like one payment made more than once, largest repeated pounds first."""
    groups: dict[str, list[tuple]] = {load_id: [] for load_id in load_ids}
    for load_id, *group in con.execute(_DUPLICATE_GROUPS, {"l": list(load_ids)}).fetchall():
        groups[load_id].append(tuple(group))
    return groups


def duplicates_outcomes(con, load_ids: list[str]) -> dict[str, ExpectationOutcome]:
    """Possible duplicate payments, listed with pounds for review; every line stays loaded."""
    lines = _line_counts(con, load_ids)
    return {load_id: _duplicates_outcome(lines[load_id], groups)
            for load_id, groups in duplicate_groups(con, load_ids).items()}


def duplicates_outcome(con, load_id: str) -> ExpectationOutcome:
    """duplicates_outcomes of one submission."""
    return duplicates_outcomes(con, [load_id])[load_id]


def _line_counts(con, load_ids: list[str]) -> dict[str, int]:
    counts = dict(con.execute("SELECT load_id, count(*) FROM stg_ledger WHERE list_contains($l, load_id)"
                              " GROUP BY load_id", {"l": list(load_ids)}).fetchall())
    return {load_id: counts.get(load_id, 0) for load_id in load_ids}


def _duplicates_outcome(lines: int, groups: list[tuple]) -> ExpectationOutcome:
    in_groups = sum(g[4] for g in groups)
    repeated = sum((g[6] for g in groups), Decimal(0))
    description = ("No payment appears twice: the same supplier, amount, date and reference (the transaction number,"
                   " or else cost centre, expense type and description) on more than one line")
    if groups:
        description += (f": {len(groups)} possible duplicates, {plural(in_groups, 'line')}, {pounds(repeated)} in the repeats"
                        " (all kept and counted; please check them)")
    sample = [{"supplier": who, "amount": str(amount), "posting_date": str(day), "reference": ref,
               "lines": n, "rows": rows[:10], "repeated_amount": str(extra)}
              for who, amount, day, ref, n, rows, extra in groups[:SAMPLE_LINES]]
    return _outcome(DUPLICATES, "counterparty,amount,posting_date,transaction_id", description, "WARN",
                    lines, in_groups, sample)


def unmapped_outcomes(con, load_ids: list[str]) -> dict[str, ExpectationOutcome]:
    """Lines no cost-centre map row or mapping rule classifies (service line 'unclassified')."""
    counts = {row[0]: row[1:] for row in con.execute(
        "SELECT load_id, count(*), count(*) FILTER (WHERE mapped_by = 'unmapped'),"
        " sum(amount) FILTER (WHERE mapped_by = 'unmapped') FROM stg_ledger WHERE list_contains($l, load_id)"
        " GROUP BY load_id", {"l": list(load_ids)}).fetchall()}
    unmapped = [load_id for load_id in load_ids if counts.get(load_id, (0, 0))[1]]
    groups: dict[str, list[dict]] = {load_id: [] for load_id in load_ids}
    if unmapped:
        # the largest unclassified pounds of each submission first (ties: by more lines, then
        # cost centre, expense type and supplier, so the list is the same on every run)
        for load_id, cc, et, who, n, total in con.execute(
                "SELECT load_id, cost_centre, expense_type, counterparty, count(*), sum(amount) FROM stg_ledger"
                " WHERE list_contains($l, load_id) AND mapped_by = 'unmapped' GROUP BY 1, 2, 3, 4"
                " QUALIFY row_number() OVER (PARTITION BY load_id ORDER BY abs(sum(amount)) DESC, count(*) DESC,"
                " cost_centre, expense_type, counterparty) <= $n"
                " ORDER BY load_id, abs(sum(amount)) DESC, count(*) DESC, cost_centre, expense_type, counterparty",
                {"l": unmapped, "n": SAMPLE_LINES}).fetchall():
            groups[load_id].append({"cost_centre": cc, "expense_type": et, "counterparty": who, "lines": n,
                                    "amount": str(total)})
    return {load_id: _unmapped_outcome(*counts.get(load_id, (0, 0, None)), groups[load_id]) for load_id in load_ids}


def _unmapped_outcome(lines: int, unmapped: int, amount, sample: list[dict]) -> ExpectationOutcome:
    description = ("Every line is mapped to a service line (by the cost-centre map, a mapping rule or the"
                   " partner's default rule)")
    if unmapped:
        description += (f": {plural(unmapped, 'line')}, {pounds(amount)}, are unclassified (kept and counted; not"
                         " mental-health spend until mapped; `openbook mapping unmapped` lists them)")
    return _outcome(UNMAPPED, "service_line", description, "WARN", lines, unmapped, sample)


def validate_stagings(con, loads: list[StagingLoad]) -> dict[str, SuiteOutcome]:
    """The three staging checks of each submission (load_id, period, the partner's checks;
    any periods), in a fixed order (dates, duplicates, mapping): load_id -> outcome."""
    load_ids = [load_id for load_id, _, _ in loads]
    dates = dates_outside_outcomes(con, loads)
    duplicates = duplicates_outcomes(con, load_ids)
    unmapped = unmapped_outcomes(con, load_ids)
    return {load_id: SuiteOutcome(SUITE, [dates[load_id], duplicates[load_id], unmapped[load_id]])
            for load_id in load_ids}


def validate_staging(con, load_id: str, period: str, checks: StagingChecks | None = None) -> SuiteOutcome:
    """The three staging checks of one submission (validate_stagings of it alone)."""
    return validate_stagings(con, [(load_id, period, checks)])[load_id]
