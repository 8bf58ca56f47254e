"""The stg_ledger suite on submissions: the one place that says what a submission is
checked with (its period's first and last day, its partner's cost centres, the known
service lines) and how a result becomes dq_results rows. The Dagster checks
(assets/checks.py) and the tests and benchmarks all call this, so they cannot drift apart.
No Dagster import: it is plain SQL over a connection."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from assets.quality import sql_runner
from assets.quality.gx_runner import SuiteOutcome

UNCLASSIFIED = "unclassified"  # the service line of a line no mapping classifies (stg_ledger.sql)
STG_LEDGER_SUITE = Path(__file__).resolve().parents[2] / "expectations" / "stg_ledger.json"


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a YYYY-MM period."""
    year, month = int(period[:4]), int(period[5:7])
    end = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, 1), date.fromordinal(end.toordinal() - 1)


Submission = tuple[str, str, str]  # (load_id, partner_id, period)


def validate_submissions(con, loads: list[Submission],
                         suite_path: Path = STG_LEDGER_SUITE) -> dict[str, SuiteOutcome]:
    """The suite on each submission's rows of stg_ledger (SQL runner), load_id -> outcome,
    as if each were validated alone, but every expectation evaluated once over all of them
    (GROUP BY load_id); the loads may be of several periods and partners. Each submission
    has its period's dates and its partner's cost centres as suite parameters still, for
    suites that use them; the project's suite leaves dates and mapping to the staging
    checks (staging_policy.py)."""
    partners = sorted({partner_id for _, partner_id, _ in loads})
    cost_centres = {partner_id: [] for partner_id in partners}
    for partner_id, cost_centre in con.execute(
            "SELECT partner_id, cost_centre FROM ref_cost_centre_map WHERE list_contains($p, partner_id)",
            {"p": partners}).fetchall():
        cost_centres[partner_id].append(cost_centre)
    service_lines = sorted({*(r[0] for r in con.execute("SELECT service_line FROM ref_service_lines").fetchall()),
                            UNCLASSIFIED})
    parameters = {}
    for load_id, partner_id, period in loads:
        start, end = period_bounds(period)
        parameters[load_id] = {"period_start": start, "period_end": end,
                               "known_cost_centres": cost_centres[partner_id],
                               "known_service_lines": service_lines}
    return sql_runner.validate_groups(con, "stg_ledger", suite_path, "load_id", parameters)


def validate_submission(con, load_id: str, partner_id: str, period: str,
                        suite_path: Path = STG_LEDGER_SUITE) -> SuiteOutcome:
    """One submission: validate_submissions of it alone."""
    return validate_submissions(con, [(load_id, partner_id, period)], suite_path)[load_id]


def dq_result_rows(partner_id: str, period: str, load_id: str, outcome: SuiteOutcome,
                   checked_at: datetime) -> list[tuple]:
    """The outcome as rows of dq_results, in its column order."""
    return [(partner_id, period, load_id, outcome.suite, o.expectation_type, o.column, o.description,
             o.severity, o.success, o.unexpected_count, o.element_count,
             json.dumps(o.unexpected_sample[:20], default=str), checked_at) for o in outcome.outcomes]
