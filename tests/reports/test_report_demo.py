"""The board pack and the site the pipeline wrote for the demo, against the demo's planted truth
(demo_truth.json): the MHIS shortfall, the outlier place, the elimination mismatch, the slipping
scheme, the over-run contract and the inconsistently funded crisis house are all on their sheets,
flagged in words, with drill-down pages whose ledger lines reconcile to the figures."""
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from reports import sections
from reports.query import ReportContext
from reports.section_figures import section_table
from reports.excel_pack import build_board_pack
from tests.reports.formulas import computed

# each section's sheet, then the sheets of its parts that have one of their own (the alliance's trusts after Variation)
SHEETS = (["Cover", "Summary"] + [s for sec in sections.SECTIONS for s in [sec.sheet] + [p.sheet for p in sec.parts
                                                                                          if p.sheet_name]]
          + ["Submissions", "Transactions", "Explain"])


def money(text) -> float:
    return float(Decimal(str(text)))


@pytest.fixture(scope="module")
def reports_dir(demo_home) -> Path:
    folders = sorted(p for p in (demo_home / "reports").iterdir() if p.is_dir() and not p.name.startswith("."))
    assert folders, "the demo run wrote no reports"
    return folders[-1]


@pytest.fixture(scope="module")
def pack(reports_dir):
    return computed(openpyxl.load_workbook(reports_dir / f"openbook-board-pack-{reports_dir.name}-all-systems.xlsx"))


def _table(ws, header_row: int = 5) -> tuple[dict, list[list]]:
    header = {c.value: i for i, c in enumerate(ws[header_row]) if c.value is not None}
    rows, r = [], header_row + 1
    while ws.cell(row=r, column=1).value is not None:
        rows.append([c.value for c in ws[r]])
        r += 1
    return header, rows


def test_every_pack_has_the_sheets_in_order(reports_dir, pack):
    assert pack.sheetnames == SHEETS
    for ics in ("north_weald", "south_fen"):
        wb = openpyxl.load_workbook(reports_dir / f"openbook-board-pack-{reports_dir.name}-{ics}.xlsx",
                                    read_only=True)
        assert wb.sheetnames == SHEETS


def test_mhis_sheet_shows_the_shortfall_and_headroom(pack, truth):
    fact = truth["facts"]["mhis"]
    col, rows = _table(pack["MHIS"])
    by_icb = {r[col["ICB"]]: r for r in rows}
    failing = by_icb["NHS South Fen Integrated Care Board"]
    assert failing[col["Shortfall"]] == money(fact[fact["failing_icb"]]["shortfall"])       # 4,238,304.30
    assert failing[col["Required"]] == money(fact[fact["failing_icb"]]["required"])
    assert failing[col["Met"]] == "No" and failing[col["Status"]] == "Not met: £4,238,304 short"
    assert failing[col["Flag"]].endswith("£4,238,304 short, so the standard is not met.")
    meeting = by_icb["NHS North Weald Integrated Care Board"]
    assert meeting[col["Headroom"]] == money(fact[fact["meeting_icb"]]["headroom"])
    assert meeting[col["Met"]] == "Yes" and meeting[col["Flag"]] is None


def test_variation_sheet_flags_carrow_and_only_the_planted_outliers(pack, truth):
    fact = truth["facts"]["outlier_place"]
    col, rows = _table(pack["Variation"])
    carrow = next(r for r in rows if r[col["Place"]] == "Carrow" and r[col["Measure"]].startswith("Mental-health"))
    assert carrow[col["Position"]] == "Above peers (99.8%)"
    assert carrow[col["Spend"]] == money(fact["spend"])
    assert carrow[col["Flag"]].startswith(f"Carrow spends £{fact['spend_per_weighted_head']} per weighted head "
                                          "on mental health against £")
    assert "for its peers (every other place): above peers (99.8%)" in carrow[col["Flag"]]
    assert not any("avourable" in str(v) for r in rows for v in r)          # neutral wording only
    # about half of net mental-health spend is coded to a place (the rest is trust- or ICB-wide)
    assert all(0.45 < r[col["Coverage %"]] < 0.55 for r in rows if r[col["Measure"]].startswith("Mental-health"))
    flagged = {(r[col["Place"]], r[col["Measure"]]) for r in rows if r[col["Flag"]]}
    houses = truth["facts"]["crisis_house_funding"]["non_recurrent_house"].capitalize()
    # Brookfield's CYP spend: Youth Space's counselling (Brookfield and Carrow only) on top of the
    # trust's CAMHS, highest there (see test_analytics_planted_facts)
    assert flagged == {("Carrow", "Mental-health spend per weighted head"),
                       (houses, "Crisis spend per weighted head"),
                       ("Brookfield", "Children and young people's mental-health spend per weighted head")}


def test_agreement_of_balances_shows_the_mismatch_first(pack, truth):
    fact = truth["facts"]["elimination_mismatch"]
    col, rows = _table(pack["Agreement of balances"])
    first = rows[0]
    assert first[col["Status"]] == "Mismatched" and first[col["Month"]] == "Nov 2025"
    assert first[col["Difference"]] == money(fact["difference"])                                # 125,000.00
    assert (first[col["Payer booked"]], first[col["Payee booked"]]) == (money(fact["payer_amount"]),
                                                                         money(fact["payee_amount"]))
    assert "a difference of £125,000.00" in first[col["Flag"]]
    assert [r[col["Status"]] for r in rows[1:]] == ["Matched"] * (len(rows) - 1)


def test_contracts_sheet_flags_the_overrun(pack, truth):
    fact = truth["facts"]["contract_overrun"]
    col, rows = _table(pack["Contracts"])
    over = next(r for r in rows if r[col["Contract"]] == fact["contract_id"])
    assert over[col["Status"]] == "Over-run" and over[col["Over-run"]] == money(fact["overrun"])
    assert over[col["Paid to date"]] == money(fact["paid"])
    assert [r[col["Contract"]] for r in rows if r[col["Flag"]]] == [fact["contract_id"]]


def test_funding_consistency_flags_the_non_recurrent_crisis_house(pack, truth):
    fact = truth["facts"]["crisis_house_funding"]
    fenwick = next(h for h in fact["houses"] if h["house"] == fact["non_recurrent_house"])
    col, rows = _table(pack["Funding consistency"])
    assert [r[col["Contract"]] for r in rows if r[col["Flag"]]] == [fenwick["contract_id"]]
    row = next(r for r in rows if r[col["Contract"]] == fenwick["contract_id"])
    assert row[col["Value per unit"]] == money(fenwick["contract_value_per_bed"])
    assert "funding stream non-recurrent" in row[col["Flag"]]


def test_plan_sheet_shows_the_slipping_scheme_as_at_its_month(demo_db, truth, tmp_path):
    fact = truth["facts"]["slipping_scheme"]
    wb = computed(openpyxl.load_workbook(build_board_pack(demo_db, fact["as_at"], tmp_path / "p.xlsx")))
    col, rows = _table(wb["Plan against actual"])
    row = next(r for r in rows if r[col["Scheme"]] == fact["scheme_name"])
    assert (row[col["Plan to date"]], row[col["Actual to date"]], row[col["Slippage"]]) == (
        money(fact["planned_to_date"]), money(fact["actual_to_date"]), money(fact["slippage"]))
    assert row[col["Status"]] == "Slipping" and row[col["Flag"]].startswith(f"{fact['scheme_name']} is £1,058,750")
    assert [r[col["Scheme"]] for r in rows if r[col["Flag"]]] == [fact["scheme_name"]]


def test_summary_headlines_agree_with_the_open_book(pack, demo_db, reports_dir):
    period = reports_dir.name
    rows = [[c.value for c in r] for r in pack["Summary"].iter_rows()]
    net = next(i for i, r in enumerate(rows) if r[0] == "Net mental-health spend by system (the open book)")
    total = next(r for r in rows[net:] if r[0] == "Total")
    fy = ReportContext(period).fy
    expected = demo_db.execute("SELECT sum(net_spend) FILTER (WHERE period = $p), sum(net_spend) FILTER "
                               "(WHERE period <= $p) FROM rpt_open_book WHERE fy = $fy",
                               {"p": period, "fy": fy}).fetchone()
    assert total[1:3] == [float(expected[0]), float(expected[1])]
    flags = next(i for i, r in enumerate(rows) if r[0] == "Flags raised")
    end = next(i for i in range(flags + 2, len(rows)) if rows[i][0] == "Total")
    counted = {r[0]: r[2] for r in rows[flags + 2:end + 1]}
    # Variation: Carrow (mental health), Fenwick (crisis) and Brookfield (CYP: Youth Space's
    # counselling on top of the trust's CAMHS; see test_analytics_planted_facts), 2025-26; the planted
    # budget overspend; the lead provider over its delegated budget; the trust over its agency limit
    assert counted == {"Agreement of balances": 1, "Plan against actual": 1, "MH budget": 1, "MHIS": 1,
                       "Variation": 3, "Funding consistency": 1, "Contracts": 1, "Lead provider": 1,
                       "Agency spend": 1, "Total": 11}


def test_every_drill_down_page_reconciles_to_its_figure(reports_dir):
    site = reports_dir / "html"
    flagged = {h for p in site.glob("*.html") for h in re.findall(r'<a class="drill" href="(drill/[^"]+)"',
                                                                   p.read_text(encoding="utf-8"))}
    pages = sorted(site / h for h in flagged)
    assert len(pages) == 10    # one per flag with ledger lines behind it (three variation flags, the budget
                               # overspend, the agency breach; the lead provider's delegated budget is a
                               # contract total, no page)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "The lines reconcile to the figure to the penny." in text, page.name
    carrow = next(p for p in pages if "carrow" in p.name).read_text(encoding="utf-8")
    assert "The largest 500 lines, listed below" in carrow and "smaller lines not shown" in carrow


def test_page_one_leads_with_the_planted_mhis_shortfall_in_red(pack, truth):
    """Key messages on the cover: the ICB the demo plants short of the standard is Red, with its
    shortfall as the truth manifest states it; every message carries a RAG word and the tolerances."""
    fact = truth["facts"]["mhis"]
    shortfall = Decimal(str(fact[fact["failing_icb"]]["shortfall"]))
    ws = pack["Cover"]
    rows = [(r[0].value, r[1].value) for r in ws.iter_rows(max_col=2)]
    start = rows.index(("Key messages", None))
    messages = []
    for rag, text in rows[start + 1:]:
        if rag not in ("Red", "Amber", "Green"):
            break
        messages.append((rag, text))
    short = f"Not met: £{shortfall:,.0f} short."
    assert [m for m in messages if m[1].endswith(short)] == [
        ("Red", f"Mental Health Investment Standard: NHS South Fen Integrated Care Board: {short}")]
    assert ("Green", "Submissions: All 12 partners' files for March 2026 passed their checks.") in messages
    assert rows[start + 1 + len(messages)][1].startswith("RAG tolerances - MHIS: red not met")


def test_each_system_pack_counts_the_flags_its_register_lists(demo_db, reports_dir, truth):
    """A system's pack counts on its summary the flags its register lists (the agreement-of-balances
    break used to be counted in both systems' packs, so South Fen's summary said 5 and its register 4);
    every pair of partners' agreement is in exactly one system's pack, the payer's."""
    ctx = {ics: ReportContext(reports_dir.name, ics) for ics in ("north_weald", "south_fen", None)}
    pairs, counted, listed = {}, {}, {}
    for ics, c in ctx.items():
        tables = {sec.key: section_table(demo_db, sec, c) for sec in sections.SECTIONS}
        counted[ics] = sum(len(t.flagged_rows) + sum(len(p.flagged_rows) for p in t.parts) for t in tables.values())
        listed[ics] = len([r for r in tables["flag-register"].rows if r.role == "detail"])
        pairs[ics] = [(r.values["payer_name"], r.values["payee_name"], r.values["period"])
                      for r in tables["eliminations"].rows]
    assert counted == listed
    assert counted["north_weald"] + counted["south_fen"] == counted[None]
    assert sorted(pairs["north_weald"] + pairs["south_fen"]) == sorted(pairs[None])
    fact = truth["facts"]["elimination_mismatch"]
    mismatch = [p for p in pairs["north_weald"] if p[2] == fact["period"]]
    assert mismatch and not [p for p in pairs["south_fen"] if p[2] == fact["period"] and p in mismatch]


# --- sector share by who received the money, recomputed from the ledger lines -----------------------
_SECTOR_OF_CLASS = {"nhs_body": "nhs", "local_authority": "local_authority", "vcse": "vcse",
                    "independent_healthcare": "independent", "unknown": "unclassified"}
_SECTOR_OF_KIND = {"icb": "nhs", "nhs_trust": "nhs", "lead_provider": "nhs", "local_authority": "local_authority",
                   "vcse": "vcse", "independent": "independent"}
_SECTOR_LABEL = {"nhs": "Statutory NHS", "local_authority": "Local authority", "vcse": "Voluntary sector (VCSE)",
                 "independent": "Independent sector", "unclassified": "Unclassified"}


def _recipient_expected(demo_db, period: str) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """Net MH spend FY to date by (system, sector of who received the money), and the part paid to others,
    worked out in Python from fct_mh_ledger and dim_counterparty (the rule in docs/model.md), not the SQL."""
    classes = dict(demo_db.execute("SELECT counterparty, counterparty_class FROM dim_counterparty").fetchall())
    (fy,) = demo_db.execute("SELECT DISTINCT fy FROM fct_ledger WHERE period = ?", [period]).fetchone()
    lines = demo_db.execute("""
        SELECT ics_name, partner_id, partner_kind, counterparty, counterparty_partner_id, net_spend
        FROM fct_mh_ledger WHERE line_type = 'expenditure' AND NOT is_eliminated AND fy = ? AND period <= ?""",
                            [fy, period]).fetchall()
    out: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for ics, partner, kind, counterparty, counterparty_partner, amount in lines:
        paid_to = None
        if counterparty is not None and counterparty_partner != partner:
            paid_to = _SECTOR_OF_CLASS.get(classes.get(counterparty) or "unknown")   # None: in house
        sector = paid_to or _SECTOR_OF_KIND[kind]
        net, others = out.get((ics, sector), (Decimal(0), Decimal(0)))
        out[(ics, sector)] = (net + amount, others + (amount if paid_to else Decimal(0)))
    return out


def test_sector_by_recipient_sheet_recomputes_to_the_penny(pack, demo_db, reports_dir):
    expected = _recipient_expected(demo_db, reports_dir.name)
    col, rows = _table(pack["Sector by recipient"])
    shown = {(r[col["System"]], r[col["Sector (who received the money)"]]): r for r in rows
             if r[col["Sector (who received the money)"]]}
    systems = {ics for ics, _ in expected}
    assert set(shown) == {(ics, _SECTOR_LABEL[s]) for ics in systems for s in _SECTOR_LABEL}   # every sector
    for ics in systems:
        total = sum(net for (i, _), (net, _) in expected.items() if i == ics)
        band = expected.get((ics, "unclassified"), (Decimal(0), 0))[0] / total
        for sector, label in _SECTOR_LABEL.items():
            net, others = expected.get((ics, sector), (Decimal(0), Decimal(0)))
            row = shown[(ics, label)]
            assert Decimal(str(row[col["Net spend FY to date"]])) == net, (ics, sector)   # to the penny
            assert Decimal(str(row[col["Paid to others (not in house)"]])) == others, (ics, sector)
            share = (100 * net / total).quantize(Decimal("0.01"))
            high = (100 * (net / total + (band if sector != "unclassified" else 0))).quantize(Decimal("0.01"))
            assert round(Decimal(str(row[col["Share"]])) * 100, 2) == share, (ics, sector)
            assert abs(round(Decimal(str(row[col["Share if all unclassified were this sector"]])) * 100, 2)
                       - high) <= Decimal("0.01"), (ics, sector)     # the SQL rounds the sum, not each part
    # the system totals are the open book's net spend FY to date
    col_ob, ob_rows = _table(pack["Summary"], _header_row(pack["Summary"], "Net FY to date"))
    net_ytd = {r[0]: Decimal(str(r[col_ob["Net FY to date"]])) for r in ob_rows if r[0] in systems}
    assert net_ytd == {ics: sum(n for (i, _), (n, _) in expected.items() if i == ics) for ics in systems}


def _header_row(ws, text: str) -> int:
    return next(c.row for row in ws.iter_rows() for c in row if c.value == text)


def test_sector_by_recipient_page_is_linked_and_states_its_definition(reports_dir):
    html = reports_dir / "html"
    page = (html / "sector-by-recipient.html").read_text(encoding="utf-8")
    for words in ("counted by who received the money", "Net of eliminations", "In house", "Unclassified",
                  "uncertainty band", "view by delivering partner"):
        assert words in page, words
    assert 'href="sector-by-recipient.html"' in (html / "index.html").read_text(encoding="utf-8")
    assert "Sector share by delivering partner" in (html / "sector-share.html").read_text(encoding="utf-8")


# --- MH budget against actual: the planted overspend at month 12 ---------------------------------------
def test_mh_budget_sheet_shows_the_planted_overspend_as_outturn_in_red(pack, demo_db, truth):
    fact = truth["facts"]["budget_overspend"]
    names = dict(demo_db.execute("SELECT partner_id, partner_name FROM dim_partner").fetchall())
    (line_name,) = demo_db.execute("SELECT service_line_name FROM dim_service_line WHERE service_line = $s",
                                   {"s": fact["service_line"]}).fetchone()
    col, rows = _table(pack["MH budget"])
    (row,) = [r for r in rows if r[col["Partner"]] == names[fact["partner_id"]] and r[col["Service line"]] == line_name]
    assert row[col["RAG"]] == "Red"
    assert row[col["Forecast variance"]] == money(fact["variance"])
    position = row[col["Position"]]
    assert position.startswith("Outturn £") and f"£{Decimal(fact['variance']):,.0f} over" in position
    assert "rebalanc" not in position and row[col["Flag"]]
    assert [r for r in rows if r[col["RAG"]] == "Red"] == [row]     # the one budget over the red tolerance
    # the profile that phased it in words: the planted line is phased by its partner's own profile for it
    assert fact["phasing_profile"] == f"{fact['partner_id']} / {fact['service_line']}"
    assert row[col["Phased by"]] == "the partner's profile for this service line"
    phased_by = {r[col["Phased by"]] for r in rows if r[col["Phased by"]]}
    assert phased_by and not [p for p in phased_by if "/" in p or "_" in p or "*" in p], phased_by


def test_combined_totals_say_which_partners_files_list_only_larger_payments(pack, reports_dir):
    # the demo's ICBs send over-£25,000 files and its councils over-£500 files (their source configs)
    for sheet in ("Open book", "Spend by partner"):
        notes = [c.value for row in pack[sheet].iter_rows() for c in row
                 if isinstance(c.value, str) and c.value.startswith("Coverage:")]
        assert len(notes) == 1, sheet
        assert "payments of £25,000 and over: NHS North Weald Integrated Care Board, NHS South Fen Integrated" \
               in notes[0] and "payments of £500 and over: Ashby Borough Council" in notes[0]
        assert "Weald and Fen Mental Health" not in notes[0]      # the trust sends its whole ledger
    for page in ("open-book.html", "spend-by-partner.html"):
        html = (reports_dir / "html" / page).read_text(encoding="utf-8")
        assert html.count('class="note coverage-note"') == 1
        assert "payments of £25,000 and over: NHS North Weald Integrated Care Board" in html


def test_the_agency_breach_is_red_on_its_sheet_and_page(pack, reports_dir, truth):
    fact = truth["facts"]["agency_over_cap"]
    col, rows = _table(pack["Agency spend"])
    trust = next(r for r in rows if r[col["Partner"]] == "Weald and Fen Mental Health NHS Foundation Trust")
    assert trust[col["RAG"]] == "Red"
    if reports_dir.name == fact["as_at"]:
        assert trust[col["Agency spend to date"]] == money(fact["agency_ytd"])
        assert trust[col["Over (under) the limit"]] == money(fact["over_cap"])
    html = (reports_dir / "html" / "agency-spend.html").read_text(encoding="utf-8")
    assert "has paid staffing agencies" in html and "over its limit to date" in html


def test_a_transactions_row_with_wrapped_text_has_its_figures_at_the_top(pack):
    """A long file name wraps onto a second line; the row's other cells sit at the top beside its first
    line (at the foot, printed, the figures read as the next row's)."""
    wrapped = [row for row in pack["Transactions"].iter_rows(min_row=6) if any(c.alignment.wrap_text for c in row)]
    assert wrapped        # the demo's longer file names (la_brookcarrow/Spend_over_500_2026-03.csv) wrap
    for row in wrapped:
        assert all(c.alignment.vertical == "top" for c in row), [(c.coordinate, c.alignment.vertical) for c in row]
