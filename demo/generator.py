"""The demo system generator: writes a complete, deterministic data home.

    generate_demo(home, seed=20261123, rows=None) -> truth manifest

It writes <home>/inbox/<partner>/... (one submission per submitting partner and month,
plus one corrected resubmission), <home>/reference/*.csv, <home>/config/sources/*.yaml
(copied from demo/sources/) and <home>/demo_truth.json. The same seed gives
byte-identical files. `rows` scales the system to about that many ledger lines, adding
volume to the CSV layouts only; every planted fact holds at any scale.
"""
from __future__ import annotations

import calendar
import json
import os
import random
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from demo import suppliers
from demo.activity import build_activity
from demo.bulk import BULK_LAYOUTS, DEFAULT_COUNTS, bulk_lines
from demo.cost_centres import CostCentre, build_cost_centres, la_mental_health_code
from demo.defects import DUPLICATE_TRANSACTION, DefectPlan, plan_defects
from demo.agency import agency_caps
from demo.alliance import generate_alliance
from demo.flows import PLANTS
from demo.frames import assemble, conform, lines_frame
from demo.layouts import LAYOUTS, Layout
from demo.ledgers import LA_MH_CATEGORIES, Ledger, build_ledger, random_weekday
from demo.money import money_text, pounds
from demo.periods import PERIODS, year_month
from demo.reference import write_budget_phasing, write_budgets, write_reference
from demo.system import SUBMITTING, Partner
from demo.truth import build_manifest, expenditure_of, file_record, unclassified_summary, valid_summary

SOURCES = Path(__file__).parent / "sources"


def generate_demo(home: Path, seed: int = 20261123, rows: int | None = None) -> dict:
    """Write the demo system under `home` (inbox/, reference/, config/sources/, demo_truth.json)
    and return the truth manifest dict."""
    home = Path(home)
    plan = plan_demo(seed, rows)
    caps = agency_caps(plan.ledger)
    write_reference(home / "reference", plan.centres, plan.activity, caps)
    copy_source_configs(home / "config" / "sources")

    files, summaries, unclassified, facts = [], [], [], {}
    for index, (partner, period) in enumerate(plan.submissions):
        key = (partner.partner_id, period)
        frame = plan.file_frame(partner, period, np.random.default_rng([seed, index]))
        records = [write_submission(home, partner, period, frame, version=1)]
        if key == plan.defects.duplicate[:2]:
            facts["duplicate"] = _duplicate_fact(frame, records[0])
        if key == PLANTS.resubmission:
            frame, records, facts["resubmission"] = resubmit(home, partner, period, frame, records[0], plan)
        files += records
        summaries.append(valid_summary(frame, partner.partner_id, period))
        unclassified.append(unclassified_summary(frame))

    manifest = build_manifest(seed, rows, files, pl.concat(summaries), plan.centres, facts["duplicate"],
                              facts["resubmission"], pl.concat(unclassified), caps)
    # Budgets are set from the year each partner had (demo/budgets.py), so written once it is known.
    write_budgets(home / "reference", manifest["mh_budget"])
    write_budget_phasing(home / "reference", manifest["budget_phasing"])
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (home / "demo_truth.json").write_text(text, encoding="utf-8")
    # The provider alliance (four trusts' activity beside money, for the provider measures): its
    # reference files, and its planted facts added to the truth under "alliance".
    manifest["alliance"] = generate_alliance(home, seed=seed)
    return manifest


@dataclass
class DemoPlan:
    """Everything decided before a file is written: the structural ledger, the defects and
    how many bulk lines each file gets. `rng` carries on into the resubmission's corrections."""

    rng: random.Random
    centres: list[CostCentre]
    activity: list[dict]
    ledger: Ledger
    defects: DefectPlan
    bulk_counts: dict[tuple[str, str], int]

    @property
    def submissions(self) -> list[tuple[Partner, str]]:
        return [(partner, period) for partner in SUBMITTING for period in PERIODS]

    def centres_of(self, partner_id: str) -> list[CostCentre]:
        return [c for c in self.centres if c.partner_id == partner_id]

    def file_frame(self, partner: Partner, period: str, bulk_rng: np.random.Generator) -> pl.DataFrame:
        key = (partner.partner_id, period)
        centres = self.centres_of(partner.partner_id)
        bulk = bulk_lines(centres, period, self.bulk_counts[key], bulk_rng)
        repeated = self.defects.duplicate[2] if key == self.defects.duplicate[:2] else None
        return assemble(LAYOUTS[partner.layout], partner, period,
                        self.ledger.lines[key] + self.defects.bad_lines.get(key, []), bulk, centres, repeated,
                        self.defects.blank_rows.get(key, 0))


def plan_demo(seed: int, rows: int | None) -> DemoPlan:
    rng = random.Random(seed)
    centres = build_cost_centres()
    activity = build_activity(rng)
    ledger = build_ledger(rng, activity)
    defects = plan_defects(rng, {(c.partner_id, c.code): c for c in centres})
    plan = DemoPlan(rng, centres, activity, ledger, defects, {})
    totals_rows = sum(LAYOUTS[partner.layout].totals_row for partner, _ in plan.submissions)
    resubmitted = len(ledger.lines[PLANTS.resubmission]) + 1
    fixed_rows = ledger.count() + defects.count() + totals_rows + resubmitted
    plan.bulk_counts = plan_bulk_counts(rng, plan.submissions, rows, fixed_rows)
    return plan


def plan_bulk_counts(rng: random.Random, submissions: list[tuple[Partner, str]], rows: int | None,
                     fixed_rows: int) -> dict[tuple[str, str], int]:
    """Bulk lines per file: a realistic random number each by default; with `rows`, the
    volume left after the structural lines, shared out in the same proportions."""
    default = {(p.partner_id, period): rng.randint(*DEFAULT_COUNTS[p.layout]) if p.layout in BULK_LAYOUTS else 0
               for p, period in submissions}
    if rows is None:
        return default
    # The resubmitted month is written twice, so its volume counts twice.
    weight = sum(default.values()) + default[PLANTS.resubmission]
    volume = max(0, rows - fixed_rows)
    return {key: volume * count // weight for key, count in default.items()}


def copy_source_configs(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for config in sorted(SOURCES.glob("*.yaml")) if SOURCES.is_dir() else []:
        shutil.copyfile(config, target / config.name)


def submitted_at(period: str, version: int) -> datetime:
    """Submissions arrive on the 10th of the following month; a resubmission two weeks later."""
    year, month = year_month(period)
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 10, 9, 30) if version == 1 else datetime(year, month, 24, 14, 45)


def write_submission(home: Path, partner: Partner, period: str, frame: pl.DataFrame, version: int) -> dict:
    layout = LAYOUTS[partner.layout]
    path = home / "inbox" / partner.partner_id / layout.file_name(partner, period, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    when = submitted_at(period, version)
    rows_read = layout.write(path, frame, partner, period, when)
    stamp = calendar.timegm(when.timetuple())  # the file's modification time: a resubmission is newer
    os.utime(path, (stamp, stamp))
    return file_record(partner.partner_id, period, path.relative_to(home).as_posix(), layout.name, frame, rows_read,
                       layout.totals_row)


# --- planted facts 7 and 8: the repeated payment and the resubmission ------------------------

CORRECTED_ROWS = 3


def resubmit(home: Path, partner: Partner, period: str, frame: pl.DataFrame, original: dict,
             plan: DemoPlan) -> tuple[pl.DataFrame, list[dict], dict]:
    """Write the corrected file (_v2, newer) beside the original, which it supersedes."""
    corrected, changes = correct(frame, LAYOUTS[partner.layout], partner, period, plan.rng)
    replacement = write_submission(home, partner, period, corrected, version=2)
    original = {**original, "superseded": True}
    fact = {
        "partner_id": partner.partner_id, "period": period, "original_path": original["path"],
        "corrected_path": replacement["path"],
        "original_expenditure": money_text(_expenditure(frame, partner, period, plan)),
        "corrected_expenditure": money_text(_expenditure(corrected, partner, period, plan)),
        **changes,
    }
    return corrected, [original, replacement], fact


def _expenditure(frame: pl.DataFrame, partner: Partner, period: str, plan: DemoPlan) -> int:
    return expenditure_of(valid_summary(frame, partner.partner_id, period), plan.centres)


def correct(frame: pl.DataFrame, layout: Layout, partner: Partner, period: str,
            rng: random.Random) -> tuple[pl.DataFrame, dict]:
    """The resubmission: a few care-provider payments re-keyed with the right amounts, and one
    payment that was missed added at the end."""
    codes = [la_mental_health_code(partner.partner_id, place_id) for place_id in partner.places]
    candidates = (frame.with_row_index("_i")
                  .filter(pl.col("cost_centre").is_in(codes), pl.col("defect").is_null(),
                          pl.col("amount") > pounds(3_000), pl.col("counterparty") != suppliers.REDACTED)["_i"])
    amounts = frame["amount"].to_list()
    changed = []
    for index in sorted(rng.sample(candidates.to_list(), CORRECTED_ROWS)):
        corrected = amounts[index] + rng.choice((-1, 1)) * rng.randint(pounds(50), pounds(2_500))
        changed.append({"transaction_id": frame["transaction_id"][index],
                        "original_amount": money_text(amounts[index]), "corrected_amount": money_text(corrected)})
        amounts[index] = corrected
    added = _missed_payment(frame, layout, partner, period, codes[0], rng)
    corrected_frame = pl.concat([frame.with_columns(amount=pl.Series(amounts, dtype=pl.Int64)),
                                 conform(lines_frame([added]))])
    return corrected_frame, {"rows_changed": changed, "row_added": {"transaction_id": added["transaction_id"],
                                                                    "amount": money_text(added["amount"])}}


def _missed_payment(frame: pl.DataFrame, layout: Layout, partner: Partner, period: str, cost_centre: str,
                    rng: random.Random) -> dict:
    like = frame.filter(pl.col("cost_centre") == cost_centre).row(0, named=True)
    return {
        **{column: like[column] for column in ("cost_centre", "cc_name", "area", "division", "funding_stream")},
        "expense_type": rng.choice(LA_MH_CATEGORIES), "posting_date": random_weekday(rng, period),
        "counterparty": rng.choice(suppliers.POOLS["la_mental_health"]),
        "amount": rng.randint(pounds(800), pounds(6_000)),
        "transaction_id": layout.transaction_prefix(partner, period) + str(frame.height + 1).zfill(6),
    }


def _duplicate_fact(frame: pl.DataFrame, record: dict) -> dict:
    repeated = frame.filter(pl.col("defect") == DUPLICATE_TRANSACTION).row(0, named=True)
    return {"partner_id": record["partner_id"], "period": record["period"], "path": record["path"],
            "transaction_id": repeated["transaction_id"], "amount": money_text(repeated["amount"]),
            "supplier": repeated["counterparty"]}
