"""Linked flags (rpt_flag_links) on the demo.

The planted contract over-run (OVER-NW-PL-2025-26, £60,000) is two extra £30,000 payments to PeerLink,
each made on the day of the month's regular payment, from the same cost centre, under a transaction number
of its own. The link from the over-run to those repeat payments is checked against the ICB's own published
files (csv and Decimal, nothing of openbook's parsing) and the over-run the demo's truth manifest plants.
A link between two flags is recomputed in Python from the ledger lines behind each flag. Flags that are not
on the same money are not linked."""
from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

OVERRUN = "OVER-NW-PL-2025-26"


def _links(demo_db) -> dict[tuple[str, str], dict]:
    cur = demo_db.execute("SELECT * FROM rpt_flag_links")
    names = [d[0] for d in cur.description]
    return {(r[0], r[1]): dict(zip(names, r)) for r in cur.fetchall()}


def _money(text: str) -> Decimal:
    text = text.replace("£", "").replace("\u00a3", "").replace(",", "").strip()
    return -Decimal(text[1:-1]) if text.startswith("(") else Decimal(text)


def _repeats_in_published_files(home: Path, payer: str, payee: str, fy: str) -> dict[str, Decimal]:
    """Per month: the money paid more than once to `payee` by `payer` in financial year `fy` - the same
    amount on the same day from the same expense area more than once - read from the payer's over-£25k
    CSV files as published (Windows-1252), the payee recognised by the reference aliases."""
    aliases = {r["alias"].strip().lower() for r in csv.DictReader(
        (home / "reference" / "partner_aliases.csv").open(encoding="utf-8")) if r["partner_id"] == payee}
    start = dt.date(int(fy[:4]), 4, 1)
    end = dt.date(int(fy[:4]) + 1, 3, 31)
    groups: dict[tuple, list[str]] = defaultdict(list)
    for path in sorted((home / "inbox" / payer).glob("*.csv")):
        for row in csv.DictReader(path.open(encoding="cp1252", newline="")):
            if (row.get("Supplier") or "").strip().lower() not in aliases:
                continue
            day = dt.datetime.strptime(row["Date"].strip(), "%d/%m/%Y").date()
            if start <= day <= end:
                groups[(day, row["Expense area"].strip(), _money(row["Amount"]))].append(row["Transaction number"])
    repeated: dict[str, Decimal] = defaultdict(Decimal)
    for (day, _area, amount), refs in groups.items():
        if len(refs) > 1 and len(set(refs)) > 1:
            repeated[day.strftime("%Y-%m")] += amount * (len(refs) - 1)
    return dict(repeated)


def test_the_planted_overrun_is_linked_to_the_repeat_payments_that_make_it(demo_db, demo_home, truth):
    fact = truth["facts"]["contract_overrun"]
    assert f"OVER-{fact['contract_id']}-{fact['fy']}" == OVERRUN
    repeats = _repeats_in_published_files(demo_home, fact["commissioner_id"], fact["provider_id"], fact["fy"])
    assert sum(repeats.values()) == Decimal(fact["overrun"]) == Decimal("60000.00")   # the whole over-run
    links = {k[1]: v for k, v in _links(demo_db).items() if k[0] == OVERRUN}
    assert {rid: (v["related_kind"], v["shared_amount"]) for rid, v in links.items()} == {
        f"REPEAT-{fact['commissioner_id']}-{month}": ("repeat_payment", amount) for month, amount in repeats.items()}
    assert all(v["shared_lines"] == 2 for v in links.values())


def test_flags_not_on_the_same_money_are_not_linked(demo_db):
    links = _links(demo_db)
    flags = {r[0] for r in demo_db.execute("SELECT flag_id FROM rpt_flags").fetchall()}
    # same ICB and system, different money: the agreement-of-balances break is the ICB paying the trust
    assert {"ELIM-nw_icb-wfmh-2025-11", "LPOVER-fsc_lp", OVERRUN} <= flags
    assert not {k for k in links if OVERRUN in k and ({k[0], k[1]} - {OVERRUN}) & flags}
    assert ("ELIM-nw_icb-wfmh-2025-11", OVERRUN) not in links and ("LPOVER-fsc_lp", OVERRUN) not in links
    # variation flags are not linked by lines (see the model's header); every link starts at a raised flag
    assert not [k for k in links if k[0].startswith("VAR-") or k[1].startswith("VAR-")]
    assert {k[0] for k in links} <= flags
    # a link between two flags is listed both ways, with the same lines and money
    for (a, b), v in links.items():
        if v["related_kind"] == "flag":
            back = links[(b, a)]
            assert (back["shared_lines"], back["shared_amount"]) == (v["shared_lines"], v["shared_amount"])


def test_a_link_between_two_flags_is_the_lines_behind_both(demo_db, demo_home):
    """The agency breach and the budget overspend of the same trust: recomputed from ledger lines in Python."""
    agencies = {re.sub(r"\s+", " ", r["name"].strip().lower()) for r in csv.DictReader(
        (demo_home / "reference" / "agency_suppliers.csv").open(encoding="utf-8"))}
    (budget_as_at,) = demo_db.execute(
        "SELECT last_seen_period FROM rpt_flags WHERE flag_id = 'BUDGET-wfmh-crisis_home_treatment'").fetchone()
    (agency_as_at,) = demo_db.execute("SELECT last_seen_period FROM rpt_flags WHERE flag_id = 'AGENCY-wfmh'").fetchone()
    rows = demo_db.execute(
        "SELECT load_id, source_row, service_line, counterparty, amount, period FROM fct_ledger "
        "WHERE partner_id = 'wfmh' AND fy = '2025-26' AND line_type = 'expenditure'").fetchall()
    budget = {(l, r): a for l, r, sl, _, a, p in rows if sl == "crisis_home_treatment" and p <= budget_as_at}
    agency = {(l, r): a for l, r, _, cp, a, p in rows
              if cp and re.sub(r"\s+", " ", cp.strip().lower()) in agencies and p <= agency_as_at}
    shared = budget.keys() & agency.keys()
    assert shared and len(shared) < min(len(budget), len(agency))        # overlapping, not the same money
    link = _links(demo_db)[("BUDGET-wfmh-crisis_home_treatment", "AGENCY-wfmh")]
    assert link["related_kind"] == "flag"
    assert (link["shared_lines"], link["shared_amount"]) == (len(shared), sum(budget[k] for k in shared))


def test_the_register_says_see_also_with_the_shared_money(demo_db):
    rows = {r[0]: r[1:] for r in demo_db.execute(
        "SELECT flag_id, links, see_also FROM rpt_flag_register").fetchall()}
    links, see_also = rows[OVERRUN]
    assert links == 2
    assert see_also.startswith("REPEAT-nw_icb-") and see_also.count("£30,000.00 paid more than once") == 2
    assert "REPEAT-nw_icb-2025-12" in see_also and "REPEAT-nw_icb-2026-01" in see_also
    assert rows["ELIM-nw_icb-wfmh-2025-11"] == (0, None)


def _links_over_restated(demo_home, warned: bool) -> dict[tuple[str, str], dict]:
    """rpt_flag_links (and the repeat payments it reads) rebuilt in a scratch database over the demo, with December's second payment to PeerLink
    exported under the first one's transaction number (a payment exported twice), and the load check's
    likely_duplicate_payment warning recorded on that submission or not."""
    from warehouse.sql_files import run_sql
    from workbench.flags import attach_read_only

    con = attach_read_only(demo_home / "warehouse" / "openbook.duckdb")
    first, second, load_id = con.execute(
        "SELECT min(transaction_id), max(transaction_id), any_value(load_id) FROM fct_ledger "
        "WHERE partner_id = 'nw_icb' AND counterparty_partner_id = 'peerlink' AND period = '2025-12'").fetchone()
    assert first != second
    con.execute("CREATE TABLE fct_ledger AS SELECT * REPLACE (CASE WHEN load_id = $l AND transaction_id = $t2 "
                "THEN $t1 ELSE transaction_id END AS transaction_id) FROM base.main.fct_ledger",
                {"l": load_id, "t1": first, "t2": second})
    con.execute("CREATE TABLE dq_results AS SELECT * FROM base.main.dq_results")
    if warned:
        con.execute("INSERT INTO dq_results SELECT partner_id, period, load_id, suite, 'likely_duplicate_payment', "
                    "NULL, 'possible duplicates', 'WARN', false, 2, element_count, '[]', checked_at "
                    "FROM base.main.dq_results WHERE load_id = $l LIMIT 1", {"l": load_id})
    run_sql(con, "marts/dq_repeat_payments")  # the repeat payments rpt_flag_links reads, found on the restated lines
    run_sql(con, "reports/rpt_flag_links")
    return _links(con)


def test_a_duplicate_the_load_check_warned_on_is_linked_as_a_warning(demo_home):
    links = _links_over_restated(demo_home, warned=True)
    over = {k[1]: v for k, v in links.items() if k[0] == OVERRUN}
    assert over["DQ-DUP-nw_icb-2025-12"]["related_kind"] == "dq_warning"
    assert over["DQ-DUP-nw_icb-2025-12"]["shared_amount"] == Decimal("30000.00")
    assert "REPEAT-nw_icb-2025-12" not in over            # same reference now: a duplicate, not a repeat
    assert over["REPEAT-nw_icb-2026-01"]["shared_amount"] == Decimal("30000.00")
    # not warned at load: no warning to link to (and, the references being equal, no repeat either)
    quiet = {k[1] for k in _links_over_restated(demo_home, warned=False) if k[0] == OVERRUN}
    assert quiet == {"REPEAT-nw_icb-2026-01"}


def test_the_drill_down_pages_say_see_also(demo_home):
    pages = {p: p.read_text(encoding="utf-8") for p in sorted((demo_home / "reports").glob("*/html/drill/*.html"))}
    with_links = {p.name: t for p, t in pages.items() if 'id="see-also"' in t}
    overrun = [t for t in with_links.values() if f"same ledger lines as {OVERRUN}" in t]
    assert len(overrun) == 1
    related = set(re.findall(r'data-related="([^"]+)"', overrun[0]))
    assert related == {"REPEAT-nw_icb-2025-12", "REPEAT-nw_icb-2026-01"}
    # the agreement-of-balances break has a page of its own, and nothing on the same lines
    assert any(p.name == "eliminations-nw-icb-wfmh-2025-11.html" for p in pages)
    assert not [n for n in with_links if n.startswith("eliminations-")]
