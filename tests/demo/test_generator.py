"""The demo generator: determinism, the file layouts of docs/model.md, and the truth manifest
checked against an independent re-reading of the files written (plain csv, Decimal and
python-calamine; nothing from demo is used to read them back)."""
from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from demo import generate_demo

MONEY = re.compile(r"^-?\d+\.\d{2}$")
MONEY_KEYS = {"expenditure", "income", "payer_amount", "payee_amount", "difference", "amount", "annual_value",
              "paid", "overrun", "planned_to_date", "actual_to_date", "slippage", "mhis_spend", "prior_year_spend",
              "required", "shortfall", "headroom", "programme_allocation", "prior_programme_allocation", "spend",
              "original_expenditure", "corrected_expenditure", "original_amount", "corrected_amount",
              "contract_value_per_bed", "expenditure_per_bed"}
SUBMITTING = ("nw_icb", "sf_icb", "wfmh", "fsc_lp", "la_ashby", "la_brookcarrow", "la_dunmere", "la_elmfen",
              "haven", "peerlink", "open_minds", "youth_space")
HEADERS = {
    "hmt25k": ["Department family", "Entity", "Date", "Expense type", "Expense area", "Supplier",
               "Transaction number", "Amount"],
    "la500": ["Body Name", "Service Area", "Service Division", "Expenditure Category", "Cost Centre Code",
              "Payment Date", "Transaction ID", "Supplier Name", "Amount (£)"],
    "lp_csv": ["TransactionRef", "PostingDate", "CostCentre", "Subcontractor", "Narrative", "NetAmount",
               "FundingStream"],
    "trust_gl": ["Cost Centre", "Cost Centre Description", "Subjective", "Subjective Description",
                 "Supplier / Customer", "Narrative", "Posting Date", "Amount"],
    "vcse_mgmt": ["Cost Centre", "Description", "Funder", "Budget", "Actual", "Variance"],
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_files) -> tuple[Path, dict]:
    home = tmp_path_factory.mktemp("demo")
    return home, demo_files(home)


def _files_under(home: Path) -> dict[str, Path]:
    return {p.relative_to(home).as_posix(): p for p in sorted(home.rglob("*")) if p.is_file()}


# --- determinism and file counts -----------------------------------------------------

def test_same_seed_gives_identical_bytes_and_times(demo, tmp_path):
    home, truth = demo
    again = generate_demo(tmp_path)
    first, second = _files_under(home), _files_under(tmp_path)
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name].read_bytes() != second[name].read_bytes()]
    assert different == []
    inbox = [name for name in first if name.startswith("inbox/")]
    assert all(first[n].stat().st_mtime == second[n].stat().st_mtime for n in inbox)
    assert again == truth


def test_a_different_seed_gives_different_ledgers(demo, tmp_path):
    home, truth = demo
    other = generate_demo(tmp_path, seed=7)
    assert other["expenditure_by_partner_period"] != truth["expenditure_by_partner_period"]
    assert other["facts"]["mhis"]["failing_icb"] == truth["facts"]["mhis"]["failing_icb"]


def test_one_submission_per_partner_and_month_plus_one_resubmission(demo):
    home, truth = demo
    inbox = [p for p in (home / "inbox").rglob("*") if p.is_file()]
    per_partner = Counter(p.parent.name for p in inbox)
    assert per_partner == {pid: 25 if pid == "la_brookcarrow" else 24 for pid in SUBMITTING}
    assert len(truth["files"]) == len(inbox) == 289
    assert sorted(f["path"] for f in truth["files"]) == sorted(p.relative_to(home).as_posix() for p in inbox)
    assert [f["path"] for f in truth["files"] if f["superseded"]] == ["inbox/la_brookcarrow/Spend_over_500_2025-06.csv"]
    assert truth["periods"][0] == "2024-04" and truth["periods"][-1] == "2026-03" and len(truth["periods"]) == 24


def test_reference_files_and_source_configs_are_written(demo):
    home, _ = demo
    names = {p.name for p in (home / "reference").iterdir()}
    assert names == {f"{n}.csv" for n in ("partners", "places", "populations", "service_lines", "cost_centre_map",
                                          "partner_aliases", "contracts", "investment_plans", "allocations",
                                          "lp_activity", "counterparties", "budgets", "budget_phasing", "agency_caps",
                                          "agency_suppliers",
                                          # the provider alliance (demo/alliance.py), written with the demo
                                          "alliance_providers", "alliance_populations", "alliance_activity",
                                          "alliance_finance")}
    shipped = sorted(p.name for p in (Path(__file__).parents[2] / "demo" / "sources").glob("*.yaml"))
    assert sorted(p.name for p in (home / "config" / "sources").glob("*.yaml")) == shipped


# --- layouts ---------------------------------------------------------------------------

def _truth_file(truth, partner_id, period, superseded=False):
    return next(f for f in truth["files"] if f["partner_id"] == partner_id and f["period"] == period
                and f["superseded"] == superseded)


def test_hmt25k_is_windows_1252_with_pound_signs_and_quoted_thousands(demo):
    home, truth = demo
    raw = (home / _truth_file(truth, "nw_icb", "2024-04")["path"]).read_bytes()
    assert b"\xa3" in raw  # £ in Windows-1252
    rows = list(csv.reader(raw.decode("cp1252").splitlines()))
    assert rows[0] == HEADERS["hmt25k"]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", r[2]) for r in rows[1:] if any(r))
    assert all(re.fullmatch(r"-?£?\d{1,3}(,\d{3})+\.\d\d", r[7]) for r in rows[1:] if any(r))
    assert b'"' + b"\xa3" in raw  # quoted because of the thousands separators


def test_la500_is_utf8_without_bom_with_day_month_year_dates(demo):
    home, truth = demo
    raw = (home / _truth_file(truth, "la_ashby", "2024-04")["path"]).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    assert rows[0] == HEADERS["la500"]
    assert all(re.fullmatch(r"\d\d-[A-Z][a-z]{2}-\d\d", r[5]) for r in rows[1:])
    assert "REDACTED" in {r[7] for r in rows[1:]}


def test_lp_csv_starts_with_a_bom_and_uses_excel_serial_dates(demo):
    home, truth = demo
    raw = (home / _truth_file(truth, "fsc_lp", "2024-04")["path"]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == HEADERS["lp_csv"]
    serials = {int(r[1]) for r in rows[1:]}
    assert {date(1899, 12, 30) + timedelta(days=s) for s in serials} <= {date(2024, 4, d) for d in range(1, 31)}
    assert {r[6] for r in rows[1:]} <= {"recurrent", "non_recurrent", "sdf", "s75_pooled", "grant"}


def test_trust_gl_has_title_rows_header_on_row_5_and_a_totals_row(demo):
    home, truth = demo
    clean = next(f for f in truth["files"] if f["partner_id"] == "wfmh" and not f["quarantined"] and
                 f["skipped"] == {"totals_row": 1})
    sheet = CalamineWorkbook.from_path(home / clean["path"]).get_sheet_by_name("GL Export") \
        .to_python(skip_empty_area=False)
    year, month = int(clean["period"][:4]), int(clean["period"][5:])
    assert sheet[2][0] == f"Period: {date(year, month, 1):%B %Y} (M{(month + 8) % 12 + 1:02d})"
    assert not any(sheet[3])
    assert sheet[4] == HEADERS["trust_gl"]
    assert sheet[-1][0] == "Total"
    data = [r for r in sheet[5:-1] if any(r)]
    assert all(isinstance(r[6], date) for r in data)
    credits = [r[7] for r in data if isinstance(r[7], str)]
    assert credits and all(re.fullmatch(r"\([\d,]+\.\d\d\)", c) for c in credits)


def test_vcse_accounts_have_the_header_on_row_4_from_column_b(demo):
    home, truth = demo
    sheet = CalamineWorkbook.from_path(home / _truth_file(truth, "haven", "2025-06")["path"]) \
        .get_sheet_by_name("Management Accounts").to_python(skip_empty_area=False)
    assert sheet[1][0] == "Month 3 2025/26"
    assert not any(sheet[2])
    assert sheet[3][0] == "" and sheet[3][1:] == HEADERS["vcse_mgmt"]
    assert sheet[-1][1] == "Total"
    assert Path(_truth_file(truth, "haven", "2025-06")["path"]).name == \
        "Haven Crisis Houses management accounts M03 2025-26.xlsx"


def test_the_resubmission_is_newer_than_the_original(demo):
    home, truth = demo
    fact = truth["facts"]["resubmission"]
    assert (home / fact["corrected_path"]).stat().st_mtime > (home / fact["original_path"]).stat().st_mtime
    assert fact["original_expenditure"] != fact["corrected_expenditure"]


# --- the manifest --------------------------------------------------------------------

def _money_values(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _money_values(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from _money_values(item, key)
    elif key in MONEY_KEYS:
        yield key, node


def test_money_in_the_manifest_is_exact_decimal_text(demo):
    _, truth = demo
    values = list(_money_values(truth))
    assert len(values) > 1000
    assert [(k, v) for k, v in values if not (isinstance(v, str) and MONEY.match(v))] == []


def test_planted_facts_are_recorded(demo):
    _, truth = demo
    facts = truth["facts"]
    mhis = facts["mhis"]
    assert mhis[mhis["failing_icb"]]["met"] is False and Decimal(mhis[mhis["failing_icb"]]["shortfall"]) > 1_000_000
    assert mhis[mhis["meeting_icb"]]["met"] is True and Decimal(mhis[mhis["meeting_icb"]]["headroom"]) > 1_000_000
    slipping = facts["slipping_scheme"]
    assert Decimal(slipping["actual_to_date"]) * 2 < Decimal(slipping["planned_to_date"])
    overrun = facts["contract_overrun"]
    assert Decimal(overrun["paid"]) > Decimal(overrun["annual_value"])
    houses = {h["house"]: h for h in facts["crisis_house_funding"]["houses"]}
    assert houses["fenwick"]["funding_stream"] == "non_recurrent"
    assert {houses[h]["funding_stream"] for h in ("ashby", "dunmere")} == {"recurrent"}
    per_bed = {house: Decimal(h["expenditure_per_bed"]) for house, h in houses.items()}
    assert per_bed["fenwick"] > Decimal("1.3") * max(per_bed["ashby"], per_bed["dunmere"])
    assert facts["bad_rows"] == {"BAD_AMOUNT": 7, "BAD_DATE": 4, "BLANK_SUPPLIER": 3, "DUPLICATE_TRANSACTION": 1,
                                 "UNKNOWN_COST_CENTRE": 5}
    assert facts["skipped_rows"] == {"blank_row": 3, "totals_row": 120}


# --- an independent re-reading of the files ----------------------------------------------

def _money(text) -> Decimal | None:
    if isinstance(text, (int, float)):
        return Decimal(repr(text)).quantize(Decimal("0.01"))
    text = text.strip().replace("£", "").replace(",", "")
    negative = text.startswith("(") and text.endswith(")")
    try:
        value = Decimal(text.strip("()"))
    except InvalidOperation:
        return None
    return -value if negative else value


def _csv_date(fmt):
    def parse(text):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            return None
    return parse


def _serial_date(text):
    return date(1899, 12, 30) + timedelta(days=int(text)) if text.isdigit() else None


# layout -> (encoding, date parser, cost centre, counterparty, transaction id, amount, supplier required)
CSV_LAYOUTS = {
    "hmt25k": ("cp1252", _csv_date("%d/%m/%Y"), "Date", "Expense area", "Supplier", "Transaction number", "Amount",
               True),
    "la500": ("utf-8", _csv_date("%d-%b-%y"), "Payment Date", "Cost Centre Code", "Supplier Name", "Transaction ID",
              "Amount (£)", True),
    "lp_csv": ("utf-8-sig", _serial_date, "PostingDate", "CostCentre", "Subcontractor", "TransactionRef", "NetAmount",
               False),
}


def _read_csv(path: Path, layout: str):
    encoding, parse_date, date_col, cc_col, party_col, txn_col, amount_col, supplier_required = CSV_LAYOUTS[layout]
    with open(path, encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle))
    header, seen = rows[0], set()
    for row in rows[1:]:
        if not any(row):
            yield "blank_row", None
            continue
        r = dict(zip(header, row))
        line = {"cost_centre": r[cc_col], "counterparty": r[party_col], "amount": _money(r[amount_col])}
        if line["amount"] is None:
            yield "BAD_AMOUNT", line
        elif parse_date(r[date_col]) is None:
            yield "BAD_DATE", line
        elif supplier_required and not r[party_col].strip():
            yield "BLANK_SUPPLIER", line
        elif r[txn_col] in seen:
            yield "DUPLICATE_TRANSACTION", line
        else:
            seen.add(r[txn_col])
            yield None, line


def _read_xlsx(path: Path, layout: str):
    sheet_name, header_row, first_col, date_ok = {
        "trust_gl": ("GL Export", 4, 0, True), "vcse_mgmt": ("Management Accounts", 3, 1, False)}[layout]
    rows = CalamineWorkbook.from_path(path).get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    header = rows[header_row][first_col:]
    for row in rows[header_row + 1:]:
        r = dict(zip(header, row[first_col:]))
        if not any(v not in ("", None) for v in r.values()):
            yield "blank_row", None
        elif r["Cost Centre"] == "Total":
            yield "totals_row", None
        else:
            amount = r["Amount"] if layout == "trust_gl" else r["Actual"]
            counterparty = r["Supplier / Customer"] if layout == "trust_gl" else r["Funder"]
            line = {"cost_centre": r["Cost Centre"], "counterparty": counterparty, "amount": _money(amount)}
            if line["amount"] is None:
                yield "BAD_AMOUNT", line
            elif date_ok and not isinstance(r["Posting Date"], date):
                yield "BAD_DATE", line
            else:
                yield None, line


def _reference(home: Path, name: str) -> list[dict]:
    with open(home / "reference" / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _reread(home: Path, truth: dict):
    """Every file read back; the final file per partner-period chosen by modification time."""
    mapping = {(r["partner_id"], r["cost_centre"]): r for r in _reference(home, "cost_centre_map")}
    per_file, lines = {}, defaultdict(list)
    newest = {}
    for f in truth["files"]:
        path = home / f["path"]
        reader = _read_csv if f["layout"] in CSV_LAYOUTS else _read_xlsx
        counts, valid = Counter(), []
        for reason, line in reader(path, f["layout"]):
            if reason is None and (f["partner_id"], line["cost_centre"]) not in mapping:
                reason = "UNKNOWN_COST_CENTRE"
            counts[reason] += 1
            if reason is None:
                valid.append({**line, **mapping[(f["partner_id"], line["cost_centre"])]})
        per_file[f["path"]] = counts
        key = (f["partner_id"], f["period"])
        if key not in newest or path.stat().st_mtime > newest[key][0]:
            newest[key] = (path.stat().st_mtime, valid)
    for key, (_, valid) in newest.items():
        lines[key] = valid
    return per_file, lines


@pytest.fixture(scope="module")
def reread(demo):
    home, truth = demo
    return _reread(home, truth)


def test_row_counts_per_file_match_an_independent_reading(demo, reread):
    _, truth = demo
    per_file, _ = reread
    for f in truth["files"]:
        counts = per_file[f["path"]]
        assert sum(counts.values()) == f["rows_read"], f["path"]
        assert counts[None] == f["rows_valid"], f["path"]
        found = {k: v for k, v in counts.items() if k is not None}
        assert found == {**f["quarantined"], **f["skipped"]}, f["path"]


def test_expenditure_and_income_match_an_independent_reading(demo, reread):
    _, truth = demo
    _, lines = reread
    for line_type, key in (("expenditure", "expenditure_by_partner_period"), ("income", "income_by_partner_period")):
        recomputed = {k: sum((l["amount"] for l in v if l["line_type"] == line_type), Decimal("0.00"))
                      for k, v in lines.items()}
        assert {(r["partner_id"], r["period"]): Decimal(r[line_type]) for r in truth[key]} == recomputed


def test_payments_between_partners_match_an_independent_reading(demo, reread):
    home, truth = demo
    _, lines = reread
    alias = {r["alias"].upper(): r["partner_id"] for r in _reference(home, "partner_aliases")}
    submits = {r["partner_id"] for r in _reference(home, "partners") if r["submits"] == "true"}
    payer, payee = defaultdict(Decimal), defaultdict(Decimal)
    for (partner_id, period), valid in lines.items():
        for line in valid:
            other = alias.get((line["counterparty"] or "").strip().upper())
            if other and line["line_type"] == "expenditure":
                payer[(partner_id, other, period)] += line["amount"]
            elif other and line["line_type"] == "income":
                payee[(other, partner_id, period)] -= line["amount"]
    expected = {key: (payer.get(key, Decimal(0)), payee.get(key, Decimal(0)))
                for key in set(payer) | set(payee) if key[1] in submits}
    recorded = {(p["payer_id"], p["payee_id"], p["period"]): (Decimal(p["payer_amount"]), Decimal(p["payee_amount"]))
                for p in truth["inter_partner"]}
    assert recorded == expected
    disagreeing = [key for key, (a, b) in expected.items() if a != b]
    mismatch = truth["facts"]["elimination_mismatch"]
    assert disagreeing == [(mismatch["payer_id"], mismatch["payee_id"], mismatch["period"])]
    assert expected[disagreeing[0]][0] - expected[disagreeing[0]][1] == Decimal(mismatch["difference"])


def _fy(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    start = year if month >= 4 else year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def test_mhis_and_place_spend_match_an_independent_reading(demo, reread):
    home, truth = demo
    _, lines = reread
    in_mhis = {r["service_line"] for r in _reference(home, "service_lines") if r["in_mhis"] == "true"}
    allocation = {(r["icb_id"], r["fy"]): Decimal(r["programme_allocation"]) for r in _reference(home, "allocations")}
    spend, place = defaultdict(Decimal), defaultdict(Decimal)
    for (partner_id, period), valid in lines.items():
        for line in valid:
            mh = line["line_type"] == "expenditure" and line["service_line"] in in_mhis
            if mh and partner_id.endswith("_icb") and line["funding_stream"] in ("recurrent", "s75_pooled"):
                spend[(partner_id, _fy(period))] += line["amount"]
            if mh and line["place_id"] and _fy(period) == "2025-26":
                place[line["place_id"]] += line["amount"]
    for icb_id in ("nw_icb", "sf_icb"):
        fact = truth["facts"]["mhis"][icb_id]
        required = (spend[(icb_id, "2024-25")] * allocation[(icb_id, "2025-26")]
                    / allocation[(icb_id, "2024-25")]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert (Decimal(fact["prior_year_spend"]), Decimal(fact["mhis_spend"]), Decimal(fact["required"])) == \
               (spend[(icb_id, "2024-25")], spend[(icb_id, "2025-26")], required)
        gap = spend[(icb_id, "2025-26")] - required
        assert Decimal(fact["headroom"] if fact["met"] else "-" + fact["shortfall"]) == gap
    recorded = {p["place_id"]: Decimal(p["spend"]) for p in truth["facts"]["outlier_place"]["by_place"]}
    assert recorded == dict(place)


# --- scale -------------------------------------------------------------------------------

def test_rows_scales_the_csv_volume_and_keeps_the_planted_facts(demo, tmp_path):
    _, truth = demo
    # how long generation takes at volume is make bench's to report (bench/run_bench.py), not a test's
    scaled = generate_demo(tmp_path, rows=200_000)
    assert scaled["rows"] == 200_000
    assert abs(scaled["ledger_lines"] - 200_000) < 2_000
    assert sum(f["rows_read"] for f in scaled["files"]) == scaled["ledger_lines"]
    physical = sum(len((tmp_path / f["path"]).read_bytes().splitlines()) - 1
                   for f in scaled["files"] if f["layout"] in CSV_LAYOUTS)
    assert physical == sum(f["rows_read"] for f in scaled["files"] if f["layout"] in CSV_LAYOUTS)
    unchanged = ("crisis_house_funding", "slipping_scheme", "mhis", "outlier_place", "elimination_mismatch",
                 "contract_overrun", "bad_rows", "skipped_rows")
    assert {k: scaled["facts"][k] for k in unchanged} == {k: truth["facts"][k] for k in unchanged}
    repeated = ("partner_id", "period", "amount", "supplier")  # its transaction number moves with the volume
    assert {k: scaled["facts"]["duplicate_payment"][k] for k in repeated} == \
           {k: truth["facts"]["duplicate_payment"][k] for k in repeated}


def test_counterparty_register_plants_rule_and_review_cases(demo):
    """The demo's register leaves the rule cases and the review cases out, names every other supplier
    with its true class, and points trading names at their organisation."""
    from demo import suppliers

    home, truth = demo
    register = {r["name"]: r for r in _reference(home, "counterparties")}
    for name in (*suppliers.LEFT_TO_NAME_RULES, *suppliers.LEFT_FOR_REVIEW):
        assert name not in register
    for alias, name in suppliers.TRADING_NAMES.items():
        assert register[alias]["canonical_name"] == name
    paid = truth["counterparty_register"]["suppliers"]
    assert {s["counterparty"] for s in paid if s["expected_class"] == "unknown"} == set(suppliers.LEFT_FOR_REVIEW)
    for s in paid:
        if s["counterparty"] in register:
            assert register[s["counterparty"]]["counterparty_class"] == s["true_class"]


# --- budgets -----------------------------------------------------------------------------

def test_budgets_cover_every_mental_health_line_and_plant_one_overspend(demo):
    """Every partner's mental-health service line spent on in a year has a budget; each is within 3% of
    what was spent except the planted one, over its budget by more than 5% in the assessed year."""
    home, truth = demo
    with open(home / "reference" / "budgets.csv", encoding="utf-8") as handle:
        budgets = {(r["partner_id"], r["fy"], r["service_line"]): Decimal(r["annual_budget"])
                   for r in csv.DictReader(handle)}
    actual = {(r["partner_id"], r["fy"], r["service_line"]): Decimal(r["actual"]) for r in truth["mh_budget"]}
    assert set(budgets) == set(actual) and len(budgets) > 40
    fact = truth["facts"]["budget_overspend"]
    planted = (fact["partner_id"], fact["fy"], fact["service_line"])
    over = {k: (actual[k] - b) / b * 100 for k, b in budgets.items()}
    assert [k for k, pct in over.items() if abs(pct) > 3] == [planted]
    assert over[planted] > 5 and Decimal(fact["variance"]) == actual[planted] - budgets[planted]


def test_budget_phasing_plants_a_winter_profile_more_specific_than_the_service_lines(demo):
    """reference/budget_phasing.csv holds the truth's profiles, twelve months each; the planted line's own
    profile peaks in December and January, every partner's for the same service line is milder."""
    home, truth = demo
    with open(home / "reference" / "budget_phasing.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    written: dict[tuple, list[Decimal]] = {}
    for r in rows:
        assert 1 <= int(r["fy_month"]) <= 12
        written.setdefault((r["partner_id"], r["service_line"], r["fy"]), []).append(Decimal(r["weight"]))
    assert written == {(p["partner_id"], p["service_line"], p["fy"]): [Decimal(w) for w in p["weights"]]
                       for p in truth["budget_phasing"]}
    fact = truth["facts"]["budget_overspend"]
    own = written[(fact["partner_id"], fact["service_line"], fact["fy"])]
    everyone = written[("*", fact["service_line"], fact["fy"])]
    assert max(own) / min(own) > max(everyone) / min(everyone) > 1          # both non-flat, the trust's more so
    assert own.index(max(own)) == 8 and own[9] == max(own)                   # December and January peak
    assert sum(Decimal(m) for m in fact["phased_budget"]) == Decimal(fact["annual_budget"])
