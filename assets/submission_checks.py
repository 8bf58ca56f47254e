"""Checks of a whole submission that are not column rules: the partner's own control
total against what was loaded, month-on-month movement, and the staging checks a partner's
source config tunes (dates outside the period, possible duplicate payments, unclassified
lines; assets/quality/staging_policy.py). All report (WARN) but the date window where a
partner's config makes it an ERROR; every result is kept in dq_results beside the suite
results, so the data-quality report shows them and dq_load_status blocks on ERRORs."""
import json
from decimal import Decimal

import dagster as dg

from assets.checks import current_loads, fold_result, period_checks, record_results
from assets.ingest.money import parse_money
from assets.ingest.source_config import load_source_configs
from assets.quality import staging_policy
from assets.quality.gx_runner import ExpectationOutcome, SuiteOutcome
from assets.quality.submission_suite import Submission
from assets.partitions import partitioned_check_specs, periods
from warehouse.quality_settings import load_quality_settings
from warehouse.periods import previous_period
from warehouse.sql_files import run_sql
from warehouse.connection import Warehouse

SUITE = "submission_rules"
CONTROL_TOTAL = "control_total_agrees"
MOVEMENT = "month_on_month_movement"


def _outcome(check: str, description: str, failed: bool, sample: list) -> ExpectationOutcome:
    return ExpectationOutcome(
        suite=SUITE, expectation_type=check, column="amount", description=description, severity="WARN",
        success=not failed, errored=False, error_message=None, element_count=1,
        unexpected_count=int(failed), unexpected_sample=sample)


# (load_id, the partner's amount column(s), its amount rules): a submission whose file may
# carry a totals row
ControlLoad = tuple[str, list[str], object]


def control_total_outcomes(con, loads: list[ControlLoad], tolerance: Decimal) -> dict[str, ExpectationOutcome]:
    """Of the submissions whose file has a totals row (the others are left out): whether its
    total agrees with the loaded lines. Three grouped queries for all the submissions."""
    ids = [load_id for load_id, _, _ in loads]
    totals: dict[str, list[str]] = {}
    for load_id, raw in con.execute(
            "SELECT load_id, raw_record(load_id, raw_cells) FROM skipped_rows"
            " WHERE list_contains($l, load_id) AND reason = 'totals_row'"
            " ORDER BY load_id, rowid", {"l": ids}).fetchall():
        totals.setdefault(load_id, []).append(raw)
    if not totals:
        return {}
    found = {load_id: (loaded, quarantined) for load_id, loaded, quarantined in con.execute(
        "SELECT l.load_id, (SELECT coalesce(sum(amount), 0) FROM raw_ledger r WHERE r.load_id = l.load_id),"
        " (SELECT count(*) FROM quarantine q WHERE q.load_id = l.load_id AND stage = 'parse')"
        " FROM unnest($l) l(load_id)", {"l": sorted(totals)}).fetchall()}
    return {load_id: _control_total(totals[load_id], columns, rules, tolerance, *found[load_id])
            for load_id, columns, rules in loads if load_id in totals}


def control_total_outcome(con, load_id: str, amount_columns: list[str], rules, tolerance: Decimal):
    """None when the file has no totals row; else whether its total agrees with the loaded lines."""
    return control_total_outcomes(con, [(load_id, amount_columns, rules)], tolerance).get(load_id)


def _control_total(totals: list[str], amount_columns: list[str], rules, tolerance: Decimal,
                   loaded, quarantined) -> ExpectationOutcome:
    stated = Decimal(0)
    for raw in totals:
        record = json.loads(raw)
        text = next((record[c] for c in amount_columns if record.get(c) not in (None, "")), None)
        try:
            stated += parse_money(text, rules) if text is not None else Decimal(0)
        except ValueError as problem:  # a totals row that is not a number ("TBC"): report it, do not crash
            return _outcome(CONTROL_TOTAL, "The file's own total row agrees with the lines we loaded", True,
                            [{"control_total": text, "problem": str(problem)}])
    failed = abs(stated - loaded) > tolerance
    sample = [{"control_total": str(stated), "loaded_total": str(loaded), "difference": str(stated - loaded),
               "rows_quarantined": quarantined}] if failed else []
    return _outcome(CONTROL_TOTAL, "The file's own total row agrees with the lines we loaded", failed, sample)


def control_totals(warehouse: Warehouse, run: list[str]):
    """The partner's own control (totals) row against the lines loaded, per current submission."""
    settings = load_quality_settings(warehouse.paths.quality_settings)
    configs = load_source_configs(warehouse.paths.source_configs)
    with warehouse.writer() as con:
        loads = current_loads(con, run)
        outcomes = check_control_totals(con, loads, configs, settings.control_total_tolerance)
    period_of = {load_id: period for load_id, _, period in loads}
    return {period: [fold_result("stg_ledger", CONTROL_TOTAL, [(load_id, o) for load_id, o in outcomes
                                                               if period_of[load_id] == period])]
            for period in run}


def check_control_totals(con, loads: list[Submission], configs: dict, tolerance: Decimal) -> list[tuple]:
    """The control totals of the submissions (any periods) whose partner's config names an
    amount column, recorded in one write: [(load_id, outcome)] of those with a totals row."""
    amounts = {}
    for load_id, partner_id, _ in loads:
        config = configs.get(partner_id)
        if config is not None and config.columns.amount is not None:
            names = config.columns.amount
            amounts[load_id] = (load_id, names if isinstance(names, list) else [names], config.amounts)
    outcomes = control_total_outcomes(con, list(amounts.values()), tolerance)
    checked = [load for load in loads if load[0] in outcomes]
    record_results(con, [(partner_id, period, load_id, SuiteOutcome(SUITE + "_control", [outcomes[load_id]]))
                         for load_id, partner_id, period in checked])
    return [(load_id, outcomes[load_id]) for load_id, _, _ in checked]


with partitioned_check_specs():
    control_total_check = period_checks(CONTROL_TOTAL, [dg.AssetCheckSpec(
        name=CONTROL_TOTAL, asset="stg_ledger", partitions_def=periods, blocking=False,
        description="The partner's own control (totals) row agrees with the total of the lines loaded",
    )], control_totals)


def movements(warehouse: Warehouse, run: list[str]):
    """Each current submission's expenditure against the partner's previous month."""
    factor = load_quality_settings(warehouse.paths.quality_settings).movement_factor
    with warehouse.writer() as con:
        results = check_movements(con, run, factor)
    return {period: [fold_result("stg_ledger", MOVEMENT, [(load_id, o) for _, _, load_id, o in outcomes])]
            for period, outcomes in results.items()}


def check_movements(con, run: list[str], factor: Decimal) -> dict[str, list[tuple]]:
    """The movement check of every current submission of the periods, recorded in one write:
    period -> [(partner_id, period, load_id, outcome)]."""
    results = {}
    for period in run:
        rows = run_sql(con, "staging/submission_movement",
                       {"period": period, "previous_period": previous_period(period)}).fetchall()
        outcomes = []
        for load_id, partner_id, spend, previous, movement, pct in rows:
            failed = moved_too_far(spend, previous, factor)
            sample = [{"expenditure": str(spend), "previous_month": str(previous), "movement": str(movement),
                       "movement_pct": str(pct), "factor": str(factor)}] if failed else []
            outcome = _outcome(MOVEMENT, f"Expenditure is within {factor}x of the previous month's", failed, sample)
            outcomes.append((partner_id, period, load_id, outcome))
        results[period] = outcomes
    record_results(con, [(partner_id, period, load_id, SuiteOutcome(SUITE + "_movement", [outcome]))
                         for outcomes in results.values() for partner_id, period, load_id, outcome in outcomes])
    return results


with partitioned_check_specs():
    movement_check = period_checks(MOVEMENT, [dg.AssetCheckSpec(
        name=MOVEMENT, asset="stg_ledger", partitions_def=periods, blocking=False,
        description="A partner's expenditure more than doubling or halving on last month (factor configurable) "
                    "is flagged",
    )], movements)


def moved_too_far(spend, previous, factor: Decimal) -> bool:
    """More than `factor` times last month's expenditure, or less than it divided by `factor`."""
    if spend is None or previous is None or previous <= 0:
        return False
    return spend > previous * factor or spend < previous / factor


with partitioned_check_specs():
    STAGING_SPECS = [
        dg.AssetCheckSpec(
            name=staging_policy.DATES, asset="stg_ledger", partitions_def=periods, blocking=True,
            description="Posting dates fall inside the file's month (widened by the partner's checks.date_tolerance_days). "
                        "Lines outside are kept and reported with counts and pounds (WARN); the month is blocked only "
                        "where the partner's config says checks.dates_outside_period: error"),
        dg.AssetCheckSpec(
            name=staging_policy.DUPLICATES, asset="stg_ledger", partitions_def=periods,
            description="Possible duplicate payments: the same supplier, amount, date and reference on more than one "
                        "line of a submission, listed with pounds for review. Every line stays loaded"),
        dg.AssetCheckSpec(
            name=staging_policy.UNMAPPED, asset="stg_ledger", partitions_def=periods,
            description="Lines no cost-centre map row or mapping rule classifies stay loaded as service line "
                        "'unclassified' (never mental-health spend); listed with pounds so the mapping owner can add "
                        "rules (openbook mapping unmapped)"),
    ]


def staging(warehouse: Warehouse, run: list[str]):
    """The staging checks of every current submission of the periods, with its partner's `checks:`."""
    configs = load_source_configs(warehouse.paths.source_configs)
    with warehouse.writer() as con:
        loads = current_loads(con, run)
        outcomes = check_staging(con, loads, configs)
    by_period = {period: {spec.name: [] for spec in STAGING_SPECS} for period in run}
    for load_id, partner_id, period in loads:
        for o in outcomes[load_id].outcomes:
            by_period[period][o.expectation_type].append((f"{partner_id} {period}", o))
    return {period: [staging_result(name, found) for name, found in by_check.items()]
            for period, by_check in by_period.items()}


def check_staging(con, loads: list[Submission], configs: dict) -> dict[str, SuiteOutcome]:
    """The staging checks of the submissions (any periods), each with its partner's
    `checks:`, recorded in one write: load_id -> outcome."""
    def checks(partner_id):
        config = configs.get(partner_id)
        return config.checks if config else None

    outcomes = staging_policy.validate_stagings(
        con, [(load_id, period, checks(partner_id)) for load_id, partner_id, period in loads])
    record_results(con, [(partner_id, period, load_id, outcomes[load_id]) for load_id, partner_id, period in loads])
    return outcomes


staging_checks = period_checks("staging_checks", STAGING_SPECS, staging)


def staging_result(name: str, outcomes: list[tuple[str, ExpectationOutcome]]) -> dg.AssetCheckResult:
    """One staging check folded over the period's submissions: the figures per submission
    in plain words (the outcome's description carries the lines and pounds)."""
    failed = [(who, o) for who, o in outcomes if not o.success]
    blocking = [who for who, o in failed if o.severity == "ERROR"]
    metadata = {
        "submissions_checked": len(outcomes),
        "submissions_failed": len(failed),
        "lines": sum(o.unexpected_count for _, o in outcomes),
        "unexpected_rows": sum(o.unexpected_count for _, o in outcomes),  # the name the run summary reads
    }
    if blocking:
        metadata["blocked"] = dg.MetadataValue.text(", ".join(blocking))
    if failed:
        metadata["findings"] = dg.MetadataValue.md("\n".join(
            f"- **{who}** ({o.severity}): {o.description}" for who, o in failed))
        metadata["examples"] = dg.MetadataValue.json({who: o.unexpected_sample[:6] for who, o in failed})
    return dg.AssetCheckResult(
        asset_key="stg_ledger", check_name=name, passed=not failed, metadata=metadata,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN)


submission_checks = [control_total_check, movement_check, staging_checks]
