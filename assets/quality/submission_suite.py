"""The stg_ledger suite on one submission: the one place that says what a submission is
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


def validate_submission(con, load_id: str, partner_id: str, period: str,
                        suite_path: Path = STG_LEDGER_SUITE) -> SuiteOutcome:
    """The suite on the submission's rows of stg_ledger (SQL runner). The period's dates
    and the partner's cost centres are parameters still, for suites that use them; the
    project's suite leaves dates and mapping to the staging checks (staging_policy.py)."""
    start, end = period_bounds(period)
    cost_centres = [r[0] for r in con.execute(
        "SELECT cost_centre FROM ref_cost_centre_map WHERE partner_id = $p", {"p": partner_id}).fetchall()]
    service_lines = [r[0] for r in con.execute("SELECT service_line FROM ref_service_lines").fetchall()]
    return sql_runner.validate_relation(
        con, "stg_ledger", suite_path,
        parameters={"period_start": start, "period_end": end, "known_cost_centres": cost_centres,
                    "known_service_lines": sorted({*service_lines, UNCLASSIFIED})},
        where="load_id = ?", where_params=[load_id])


def dq_result_rows(partner_id: str, period: str, load_id: str, outcome: SuiteOutcome,
                   checked_at: datetime) -> list[tuple]:
    """The outcome as rows of dq_results, in its column order."""
    return [(partner_id, period, load_id, outcome.suite, o.expectation_type, o.column, o.description,
             o.severity, o.success, o.unexpected_count, o.element_count,
             json.dumps(o.unexpected_sample[:20], default=str), checked_at) for o in outcome.outcomes]
