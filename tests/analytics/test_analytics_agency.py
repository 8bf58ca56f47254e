"""Agency staffing spend against its limit (rpt_agency_spend): the rule and the RAG on tiny
hand-made ledgers, then the demo's planted breach recomputed from the generated ledger files
themselves (python-calamine and Decimal, nothing of openbook's parsing)."""
from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import python_calamine

from warehouse.report_settings import report_params
from warehouse.sql_files import run_sql

PENNY = Decimal("0.01")


def _reference(con, tmp_path: Path, caps: list[tuple], suppliers: list[str]) -> None:
    (tmp_path / "caps.csv").write_text("partner_id,fy,annual_cap,basis\n"
                                       + "".join(f"{p},{fy},{cap},test limit\n" for p, fy, cap in caps))
    (tmp_path / "agencies.csv").write_text("name,note\n" + "".join(f'"{n}",test\n' for n in suppliers))
    run_sql(con, "staging/ref_agency_caps", {"path": str(tmp_path / "caps.csv")})
    run_sql(con, "staging/ref_agency_suppliers", {"path": str(tmp_path / "agencies.csv")})


def _build(con, tmp_path, lines, caps, suppliers=("NHS Professionals Ltd",), amber_pct=None):
    con.execute("""CREATE TABLE dim_partner AS SELECT * FROM (VALUES
                   ('trust_a', 'Trust A', 'nhs_trust', 'north_weald', true),
                   ('trust_b', 'Trust B', 'nhs_trust', 'south_fen', true),
                   ('lp', 'Lead provider', 'lead_provider', 'south_fen', true),
                   ('icb', 'An ICB', 'icb', 'north_weald', true))
                   t(partner_id, partner_name, partner_kind, ics_id, submits)""")
    con.execute("CREATE TABLE fct_ledger (partner_id VARCHAR, period VARCHAR, line_type VARCHAR, "
                "counterparty VARCHAR, amount DECIMAL(18, 2))")
    con.executemany("INSERT INTO fct_ledger VALUES (?, ?, ?, ?, ?)", lines)
    _reference(con, tmp_path, caps, list(suppliers))
    params = report_params()
    if amber_pct is not None:
        params["agency_amber_pct"] = Decimal(amber_pct)
    run_sql(con, "reports/rpt_agency_spend", params)


def _row(con, partner, period):
    return con.execute("SELECT agency_spend, agency_ytd, cap_month, cap_ytd, variance_ytd, rag FROM rpt_agency_spend "
                       "WHERE partner_id = $p AND period = $m", {"p": partner, "m": period}).fetchone()


def test_agency_spend_is_what_providers_paid_listed_agencies_names_normalised_credits_netted(con, tmp_path):
    _build(con, tmp_path, [
        ("trust_a", "2025-04", "expenditure", "NHS Professionals Ltd", Decimal("1000.00")),
        ("trust_a", "2025-04", "expenditure", "  nhs   PROFESSIONALS ltd ", Decimal("500.00")),  # as written elsewhere
        ("trust_a", "2025-04", "expenditure", "NHS Professionals Ltd", Decimal("-200.00")),       # a credit note
        ("trust_a", "2025-04", "expenditure", "ESR Payroll", Decimal("9000.00")),  # described as agency? not listed
        ("trust_a", "2025-04", "income", "NHS Professionals Ltd", Decimal("-50.00")),  # income is not spend
        ("icb", "2025-04", "expenditure", "NHS Professionals Ltd", Decimal("7000.00")),  # not a provider
        ("trust_a", "2025-05", "expenditure", "NHS Professionals Ltd", Decimal("100.00")),
    ], caps=[("trust_a", "2025-26", "12000.00")])
    assert _row(con, "trust_a", "2025-04") == (Decimal("1300.00"), Decimal("1300.00"), Decimal("1000.00"),
                                               Decimal("1000.00"), Decimal("300.00"), "red")
    assert _row(con, "trust_a", "2025-05") == (Decimal("100.00"), Decimal("1400.00"), Decimal("1000.00"),
                                               Decimal("2000.00"), Decimal("-600.00"), "green")
    assert con.execute("SELECT count(*) FROM rpt_agency_spend WHERE partner_id = 'icb'").fetchone() == (0,)
    # months run to the latest month in the ledger, not to March
    assert con.execute("SELECT max(period) FROM rpt_agency_spend").fetchone() == ("2025-05",)


def test_the_limit_is_phased_to_the_penny_and_rated_red_amber_green_or_no_limit(con, tmp_path):
    cap = Decimal("100000.01")
    monthly = {f"2025-{m:02d}": Decimal("8000.00") for m in range(4, 10)} | {"2025-10": Decimal("20000.00")}
    _build(con, tmp_path, [("trust_a", period, "expenditure", "NHS Professionals Ltd", amount)
                           for period, amount in monthly.items()]
           + [("trust_b", "2025-10", "expenditure", "NHS Professionals Ltd", Decimal("5.00")),   # no limit set
              ("lp", "2025-10", "expenditure", "ESR Payroll", Decimal("1.00"))],                 # no agency spend
           caps=[("trust_a", "2025-26", str(cap)), ("lp", "2025-26", "1.00")], amber_pct=95)
    rows = con.execute("SELECT fy_month, cap_month, cap_ytd, agency_ytd, rag FROM rpt_agency_spend "
                       "WHERE partner_id = 'trust_a' ORDER BY period").fetchall()
    spent = Decimal(0)
    for (fy_month, _, cap_ytd, agency_ytd, rag), amount in zip(rows, monthly.values()):
        expected = (cap * fy_month / 12).quantize(PENNY, ROUND_HALF_UP)
        spent += amount
        assert (cap_ytd, agency_ytd) == (expected, spent)
        assert sum(r[1] for r in rows[:fy_month]) == expected  # the months add up to the year to date
    # 8,000 a month against 8,333.33 is 96% (amber from 95%); October's 20,000 takes it over
    assert [r[4] for r in rows] == ["amber"] * 6 + ["red"]
    assert _row(con, "trust_b", "2025-10")[3:] == (None, None, "no_cap")  # spend shown, no limit
    # £1.00 a year: 0.58 to October (7/12), of which 0.08 is October's step (0.50 to September)
    assert _row(con, "lp", "2025-10") == (Decimal("0.00"), Decimal("0.00"), Decimal("0.08"), Decimal("0.58"),
                                          Decimal("-0.58"), "green")


# --- the demo's planted breach, from the generated files ------------------------------------

def _money(cell) -> Decimal | None:
    """A workbook amount as written: a number cell, or text such as '(12,345.00)'; None if neither."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return Decimal(repr(cell)).quantize(PENNY, ROUND_HALF_UP)
    text = str(cell or "").strip().replace(",", "").replace("£", "")
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return None
    return -Decimal(text) if negative else Decimal(text)


def _is_date(cell) -> bool:
    if isinstance(cell, (dt.date, dt.datetime)):
        return True
    try:
        dt.datetime.strptime(str(cell).strip(), "%d/%m/%Y")
        return True
    except ValueError:
        return False


def _agency_by_month(inbox: Path, agencies: set[str]) -> dict[str, Decimal]:
    """The trust's payments to listed agencies per month, read from its GL export workbooks: the
    header row is the one naming 'Supplier / Customer'; a line counts when its supplier is an agency,
    its amount is money and its posting date a date (anything else the trust must correct)."""
    by_month: dict[str, Decimal] = defaultdict(Decimal)
    for path in sorted(inbox.glob("WFMH GL export *.xlsx")):
        period = re.search(r"(\d{4}-\d{2})", path.name).group(1)
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        grid = book.get_sheet_by_name("GL Export").to_python()
        top = next(i for i, row in enumerate(grid) if "Supplier / Customer" in row)
        header = grid[top]
        supplier, amount, posted = (header.index(n) for n in ("Supplier / Customer", "Amount", "Posting Date"))
        for row in grid[top + 1:]:
            name = " ".join(str(row[supplier] or "").split()).lower()
            value = _money(row[amount])
            if name in agencies and value is not None and _is_date(row[posted]):
                by_month[period] += value
    return by_month


def test_the_planted_agency_breach_recomputed_from_the_trusts_ledger_files(demo_home, demo_db, truth):
    fact = truth["facts"]["agency_over_cap"]
    with open(demo_home / "reference" / "agency_suppliers.csv", newline="", encoding="utf-8") as handle:
        agencies = {" ".join(r["name"].split()).lower() for r in csv.DictReader(handle)}
    with open(demo_home / "reference" / "agency_caps.csv", newline="", encoding="utf-8") as handle:
        caps = {(r["partner_id"], r["fy"]): Decimal(r["annual_cap"]) for r in csv.DictReader(handle)}
    assert not any(f["superseded"] for f in truth["files"] if f["partner_id"] == "wfmh")  # one file a month
    by_month = _agency_by_month(demo_home / "inbox" / "wfmh", agencies)

    reported = dict(demo_db.execute("SELECT period, agency_spend FROM rpt_agency_spend WHERE partner_id = 'wfmh'"
                                    ).fetchall())
    assert reported == {period: by_month.get(period, Decimal("0.00")) for period in reported}
    assert set(by_month) <= set(reported)

    year = [p for p in by_month if "2025-04" <= p <= "2026-03"]
    spent = sum((by_month[p] for p in year), Decimal(0))
    cap = caps[("wfmh", "2025-26")]
    assert spent > cap  # the breach, from the files and the reference data alone
    row = demo_db.execute("SELECT agency_ytd, cap_ytd, variance_ytd, rag FROM rpt_agency_spend "
                          "WHERE partner_id = 'wfmh' AND period = '2026-03'").fetchone()
    assert row == (spent, cap, spent - cap, "red")
    assert (Decimal(fact["agency_ytd"]), Decimal(fact["annual_cap"])) == (spent, cap)
    # the lead provider pays no agency and is within its limit; nobody else is red
    assert demo_db.execute("SELECT DISTINCT partner_id FROM rpt_agency_spend WHERE rag = 'red'").fetchall() == [("wfmh",)]
    assert demo_db.execute("SELECT rag, agency_ytd FROM rpt_agency_spend WHERE partner_id = 'fsc_lp' "
                           "AND period = '2026-03'").fetchone() == ("green", Decimal("0.00"))
