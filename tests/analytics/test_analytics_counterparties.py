"""The counterparty register (dim_counterparty) against the demo's planted truth.

Expected classes and pounds come from the demo generator's truth manifest (suppliers.TRUE_CLASS,
the suppliers left to the name rules or for review, and what the frames paid each one), never
from workbench/counterparties.py. The normalisation cases are written out by hand.
"""
from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import polars as pl
import pytest

from workbench.counterparties import normalise


@pytest.mark.parametrize("a, b", [
    ("Cygnet Health Care Limited", "CYGNET HEALTH CARE LTD."),
    ("St\u00a0Luke's Hospice", "Saint Lukes Hospice"),
    ("Café Court Surgery", "CAFE COURT SURGERY"),
    ("The Brookfield Surgery", "Brookfield Surgery"),
    ("Look Ahead Care & Support", "Look Ahead Care and Support"),
    ("Fenland Community Health Services Community Interest Company", "Fenland Community Health Services C.I.C"),
])
def test_spellings_of_one_organisation_normalise_alike(a, b):
    assert normalise(a) == normalise(b)


def test_different_organisations_stay_apart():
    assert normalise("Mind in the Fens") != normalise("Mind")
    assert normalise("Capita plc") != normalise("Capita Business Services Ltd")


def test_every_supplier_has_its_true_class_or_waits_for_review(demo_db, truth):
    register = truth["counterparty_register"]
    expected = pl.DataFrame(register["suppliers"]).select("counterparty", "expected_class", "register_id",
                                                          "left_to_name_rules", "gross_paid")
    actual = demo_db.execute(
        "SELECT counterparty, counterparty_class, register_id, basis, CAST(gross_paid AS VARCHAR) AS paid "
        "FROM dim_counterparty").pl()
    joined = expected.join(actual, on="counterparty", how="left")
    missing = joined.filter(pl.col("counterparty_class").is_null())["counterparty"].to_list()
    assert not missing, f"suppliers missing from dim_counterparty: {missing}"
    wrong = joined.filter(pl.col("counterparty_class") != pl.col("expected_class"))
    assert wrong.is_empty(), wrong.select("counterparty", "expected_class", "counterparty_class", "basis").to_dicts()
    # What the warehouse says was paid to each supplier is what the demo paid it, to the penny.
    off = [(name, want, got) for name, want, got in joined.select("counterparty", "gross_paid", "paid").iter_rows()
           if Decimal(want) != Decimal(got)]
    assert not off, off
    # The ones left out of the register were classified by a name rule, not silently by something else.
    rules = joined.filter(pl.col("left_to_name_rules"))
    assert set(rules["basis"]) == {"name_rule"}
    registered = joined.filter(~pl.col("left_to_name_rules") & (pl.col("expected_class") != "unknown"))
    assert set(registered["basis"]) == {"register"}
    with_id = registered.filter(pl.col("register_id") != "")
    assert (with_id["register_id"] == with_id["register_id_right"]).all()


def test_partners_are_classified_by_their_kind(demo_db):
    rows = demo_db.execute("""
        SELECT DISTINCT l.counterparty, p.partner_kind, d.counterparty_class, d.basis
        FROM fct_ledger l JOIN dim_partner p ON p.partner_id = l.counterparty_partner_id
        JOIN dim_counterparty d USING (counterparty)""").fetchall()
    assert rows
    kind_to_class = {"icb": "nhs_body", "nhs_trust": "nhs_body", "lead_provider": "nhs_body",
                     "local_authority": "local_authority", "vcse": "vcse", "independent": "independent_healthcare"}
    for name, kind, klass, basis in rows:
        assert (klass, basis) == (kind_to_class[kind], "partner"), name


def test_unclassified_money_is_the_planted_review_set(demo_db, truth):
    (unknown,) = demo_db.execute(
        "SELECT sum(gross_paid) FROM dim_counterparty WHERE counterparty_class = 'unknown'").fetchone()
    assert unknown == Decimal(truth["counterparty_register"]["unknown_paid"])


def test_review_lists_unknown_by_pounds_and_decide_classifies(demo_home, truth, tmp_path):
    import shutil

    home = tmp_path / "home"
    shutil.copytree(demo_home / "reference", home / "reference")
    (home / "warehouse").mkdir(parents=True)
    shutil.copy(demo_home / "warehouse" / "openbook.duckdb", home / "warehouse" / "openbook.duckdb")
    review = [s for s in truth["counterparty_register"]["suppliers"] if s["expected_class"] == "unknown"]
    by_pounds = [s["counterparty"] for s in sorted(review, key=lambda s: -Decimal(s["gross_paid"]))]

    def openbook(*args):
        return subprocess.run([sys.executable, "-m", "pipelines.cli", "--home", str(home), *args],
                              capture_output=True, text=True, timeout=120)

    listed = openbook("counterparties", "review")
    assert listed.returncode == 0, listed.stderr
    body = listed.stdout.splitlines()
    assert body[0].startswith(f"{len(review)} counterparties to review")
    assert [next(n for n in by_pounds if f"  {n}  [" in line) for line in body[1:]] == by_pounds

    decided = openbook("counterparties", "decide", by_pounds[0], "--class", "vcse", "--register-id",
                       "GB-CHC-1181185", "--reason", "Charity Commission register", "--by", "JS", "--on", "2026-04-30")
    assert decided.returncode == 0, decided.stderr
    after = openbook("counterparties", "review").stdout.splitlines()
    assert after[0].startswith(f"{len(review) - 1} counterparties to review")
    assert by_pounds[0] not in "\n".join(after)

    bad = openbook("counterparties", "decide", "No Such Supplier", "--class", "vcse", "--reason", "x")
    assert bad.returncode == 2 and "no counterparty" in bad.stderr and "Traceback" not in bad.stderr


def _recipient_sector(truth) -> pl.Expr:
    """The sector of who received each line's money, from the demo's own knowledge: partners' kinds
    (demo.system.PARTNERS) and suppliers' expected classes (truth manifest)."""
    from demo.system import PARTNERS

    of_class = {"nhs_body": "nhs", "local_authority": "local_authority", "vcse": "vcse",
                "independent_healthcare": "independent", "unknown": "unclassified"}
    of_kind = {"icb": "nhs", "nhs_trust": "nhs", "lead_provider": "nhs", "local_authority": "local_authority",
               "vcse": "vcse", "independent": "independent"}
    supplier = {s["counterparty"]: of_class.get(s["expected_class"]) for s in truth["counterparty_register"]["suppliers"]}
    partner = {p.partner_id: of_kind[p.kind] for p in PARTNERS}
    return supplier, partner


def test_sector_share_by_recipient_recomputes_from_lines(demo_db, truth):
    supplier, partner = _recipient_sector(truth)
    lines = demo_db.execute("""
        SELECT ics_id, fy, partner_id, counterparty, counterparty_partner_id, net_spend
        FROM fct_mh_ledger WHERE line_type = 'expenditure' AND NOT is_eliminated""").pl()
    own = pl.col("partner_id").replace_strict(partner)
    paid_to = (pl.when(pl.col("counterparty").is_null() | (pl.col("counterparty_partner_id") == pl.col("partner_id")))
               .then(None)
               .when(pl.col("counterparty_partner_id").is_not_null())
               .then(pl.col("counterparty_partner_id").replace_strict(partner, default=None))
               .otherwise(pl.col("counterparty").replace_strict(supplier, default=None)))
    expected = (lines.with_columns(sector=pl.coalesce(paid_to, own))
                .group_by("ics_id", "fy", "sector").agg(pl.col("net_spend").sum())
                .filter(pl.col("net_spend") != 0))
    # The year to date as at the year's last month is the whole year's lines.
    actual = demo_db.execute("""
        SELECT ics_id, fy, sector, net_spend FROM rpt_sector_share_by_recipient r
        WHERE net_spend <> 0 AND period = (SELECT max(l.period) FROM fct_ledger l WHERE l.fy = r.fy)""").pl()
    assert sorted(expected.rows()) == sorted(actual.rows())
    # Every pound of net MH spend is in exactly one sector, in exactly one month.
    assert actual["net_spend"].sum() == lines["net_spend"].sum()
    (months,) = demo_db.execute("SELECT sum(month_net_spend) FROM rpt_sector_share_by_recipient").fetchone()
    assert months == lines["net_spend"].sum()


def test_sector_share_by_recipient_band(demo_db):
    rows = demo_db.execute("""
        SELECT ics_id, period, sum(share_pct), max(unclassified_share_pct),
               max(CASE WHEN sector = 'unclassified' THEN share_pct END)
        FROM rpt_sector_share_by_recipient GROUP BY ALL""").fetchall()
    assert rows
    for ics_id, period, total, band, unclassified in rows:
        assert abs(total - 100) <= Decimal("0.05"), (ics_id, period, total)
        assert band == unclassified
