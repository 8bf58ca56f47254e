"""Drill from any figure: every money figure of the site that is a sum of ledger lines links to a
page whose every level adds up to it, to the penny.

The check reads the pages only, as a reader would: the figure as the linking page renders it
(its cell's value and text), and the drill page's own numbers (its stated figure, each breakdown's
rows, the lines listed and the sum of the lines not shown). It never asks the SQL or the code that
built the pages, so it checks the link, not the query: a wrong condition shows up as a page that
does not add up to the figure that links to it. Every linked figure of every page, not a sample.
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports import figure_lines as fl
from reports import formatting as f
from reports import sections
from reports.query import ReportContext
from reports.tables import Column, Row, Table


# ---------------------------------------------------------------------------
# The registry: every money figure is declared linkable or not, with a reason
def _all_sections():
    for sec in sections.SECTIONS:
        yield sec
        yield from sec.parts
    yield from sections.SUMMARY.blocks


def test_every_money_figure_is_declared_a_sum_of_lines_or_says_why_not():
    undeclared = []
    for sec in _all_sections():
        spec = fl.spec_of(sec)
        if isinstance(spec, fl.NotLines):
            assert spec.reason.strip(), sec.key
            continue
        assert spec is not None, f"section {sec.key}: not in reports/figure_lines.FIGURE_LINES"
        for key in fl.money_values(sec):
            linked = key in spec.amounts or key in spec.flag_drill or key in spec.drills or (
                sec.pivot is not None and key == sec.pivot.value and "p_total" in spec.amounts)
            if linked == (key in spec.not_lines):
                undeclared.append((sec.key, key))
            if key in spec.flag_drill:
                drill = sec.flag.drill if sec.flag and sec.flag.drill else spec.drill
                assert drill is not None and drill.figure == key, (sec.key, key)
                if drill is spec.drill:      # a flag's drill keys are read anyway; the registry's must be hidden
                    assert set(drill.keys) <= {d.key for d in sec.dims} | set(sec.hidden), (sec.key, drill.keys)
            if key in spec.drills:           # a figure's own lines: bound from the row's dims and hidden keys
                drill, flag = spec.drills[key], sec.flag.drill if sec.flag and sec.flag.drill else spec.drill
                assert drill.figure == key and key not in spec.flag_drill, (sec.key, key)
                assert set(drill.keys) <= ({d.key for d in sec.dims} | set(sec.hidden)
                                           | set(flag.keys if flag else ())), (sec.key, key, drill.keys)
        assert set(spec.not_lines) <= {v.key for v in sec.values}, sec.key
        assert all(reason.strip() for reason in spec.not_lines.values()), sec.key
        if sec.pivot is not None and spec.amounts:
            assert set(spec.amounts) == {"p_total"} and spec.pivot, sec.key
    assert undeclared == [], "each money figure is either linked or given a reason, not both nor neither"


def test_a_figure_condition_binds_its_keys_never_formats_them():
    """A hostile partner name is bound as a parameter: it never appears in the SQL text."""
    sec = sections.OPEN_BOOK
    ctx = ReportContext("2025-06")
    hostile = "x' OR 1=1 --"
    cols = [Column(d.key, d.label, d.fmt, False) for d in sec.dims] + [Column("net_ytd", "Net", "money", True)]
    row = Row({"ics_id": "a", "partner_kind": "vcse", "partner_name": hostile, "service_line_name": None,
                 "funding_stream": "grant", "net_ytd": Decimal("1.00")})
    table = Table(sec.key, sec.title, cols, [row])
    cond = fl.condition(sec, table, row, cols[-1], ctx)
    assert hostile not in cond.where and ("k_partner_name", hostile) in cond.params
    assert cond.amount == "net_spend" and "fy = $fy AND period <= $period" in cond.where


# ---------------------------------------------------------------------------
# The demo site, read as pages
class _Cells(HTMLParser):
    """Tables as rows of cells: (cell attributes, text, link) with the row's class and the
    nearest enclosing element carrying data-by or an id (which table of a drill page it is)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._stack: list[dict] = []
        self._cell: dict | None = None
        self._row: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("div", "section"):
            self._stack.append(a)
        elif tag == "table":
            where = next((x.get("data-by") or x.get("id") for x in reversed(self._stack)
                          if x.get("data-by") or x.get("id")), None)
            self.tables.append({"where": where, "class": a.get("class"), "head": [], "rows": []})
        elif tag == "tr" and self.tables:
            self._row = {"class": a.get("class") or "", "cells": []}
        elif tag in ("td", "th") and self._row is not None:
            self._cell = {"attrs": a, "text": "", "href": None, "tag": tag}
        elif tag == "a" and self._cell is not None:
            self._cell["href"] = a.get("href")

    def handle_endtag(self, tag):
        if tag in ("div", "section") and self._stack:
            self._stack.pop()
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._cell["text"] = self._cell["text"].strip()
            self._row["cells"].append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            t = self.tables[-1]
            if all(c["tag"] == "th" for c in self._row["cells"]) and not t["rows"] and not t["head"]:
                t["head"] = [c["text"] for c in self._row["cells"]]
            else:
                t["rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def _tables(path: Path) -> list[dict]:
    return _tables_of(path.read_text(encoding="utf-8"))


def _tables_of(html: str) -> list[dict]:
    p = _Cells()
    p.feed(html)
    return p.tables


def _money(cell: dict) -> Decimal:
    return Decimal(cell["attrs"]["data-v"])


def _drill_sums(page: Path) -> dict:
    return drill_sums(page.read_text(encoding="utf-8"))


def drill_sums(html: str) -> dict:
    """A drill page's own numbers: the figure it states, the sum it says the lines make, each
    breakdown's rows and total, and the lines listed plus those not shown (also read by the browser test
    that clicks a figure of each page, from the page as Chromium drew it)."""
    tables = _tables_of(html)
    recon = next(t for t in tables if t["class"] == "reconcile")
    role = {c["attrs"].get("data-role"): _money(c) for r in recon["rows"] for c in r["cells"]
            if c["attrs"].get("data-role")}
    out = {"figure": role["figure"], "lines_total": role["lines-total"],
           "not_shown": role.get("not-shown", Decimal(0)), "breakdowns": {}}
    for t in tables:
        if t["where"] in ("partner", "service_line", "counterparty", "period"):
            amount = t["head"].index("Amount")
            rows = [r for r in t["rows"] if "total" not in r["class"]]
            (total,) = [r for r in t["rows"] if "total" in r["class"]]
            out["breakdowns"][t["where"]] = (sum(_money(r["cells"][amount]) for r in rows),
                                            _money(total["cells"][amount]))
    lines = [t for t in tables if t["where"] == "lines"]
    listed = Decimal(0)
    if lines:
        amount = lines[0]["head"].index("Amount")
        listed = sum(_money(r["cells"][amount]) for r in lines[0]["rows"] if "total" not in r["class"])
    out["listed"] = listed
    return out


def assert_adds_up(d: dict, figure: Decimal, where: str) -> None:
    """Every level of a drill page (drill_sums) equals the figure that links to it, to the penny."""
    assert d["figure"] == figure, f"{where}: page states {d['figure']}, the link's figure is {figure}"
    assert d["lines_total"] == figure, f"{where}: lines add up to {d['lines_total']}, not {figure}"
    assert d["listed"] + d["not_shown"] == figure, f"{where}: lines listed + not shown != {figure}"
    assert set(d["breakdowns"]) == {"partner", "service_line", "counterparty", "period"}, where
    for by, (rows, total) in d["breakdowns"].items():
        assert rows == total == figure, f"{where}: by {by} adds up to {rows} (total row {total})"


@pytest.fixture(scope="module")
def site(demo_home) -> Path:
    folders = sorted(p for p in (demo_home / "reports").iterdir() if p.is_dir() and not p.name.startswith("."))
    return folders[-1] / "html"


def _linked_figures(site: Path):
    """Every number cell of every page that links to a drill page: (page, href, value, text); an explain page's
    terms that are sums of ledger lines (a partner's spend shared out, an ICB's payments) link to them too."""
    for page in sorted(site.glob("*.html")) + sorted(site.glob("partners/*.html")) + sorted(site.glob("explain/*.html")):
        for t in _tables(page):
            for r in t["rows"]:
                for c in r["cells"]:
                    href = c["href"] or ""
                    if "num" in (c["attrs"].get("class") or "") and re.search(r"(^|/)drill/[^/]+\.html$", href):
                        yield page, href, c


# The MHIS figures' tables, by their headers: the standard's (MHIS spend beside Met), the summary's block
# (beside Status) and the categories (£ in the year); a chart's figures table is not a section's.
_MHIS_TABLES = {"mhis.html": (("Met", "MHIS spend"), ("MHIS category or exclusion", "£ in the year")),
                "index.html": (("Status", "MHIS spend"),)}


def _mhis_figures(site: Path):
    for name, tables in _MHIS_TABLES.items():
        for t in _tables(site / name):
            for marker, column in tables:
                if marker in t["head"] and column in t["head"]:
                    i = t["head"].index(column)
                    yield from ((site / name, r["cells"][i]) for r in t["rows"])


def test_every_linked_figure_equals_its_breakdowns_and_its_lines_to_the_penny(site):
    checked, per_page, sums = 0, defaultdict(int), {}
    for page, href, cell in _linked_figures(site):
        figure = _money(cell)
        # the value the cell holds is the one it shows (whole pounds, or pence for money2)
        assert cell["text"] in (f.number_text(figure, "money"), f.number_text(figure, "money2")), \
            (page.name, href, cell["text"], figure)
        target = (page.parent / href).resolve()
        assert target.is_file(), (page.name, href)
        if target not in sums:
            sums[target] = _drill_sums(target)
        d = sums[target]
        where = f"{page.relative_to(site)} -> {href}"
        assert_adds_up(d, figure, where)
        checked += 1
        per_page[str(page.relative_to(site))] += 1
    # every MHIS figure (the standard's table, its categories, the summary's block) is linked, so the loop
    # above has checked each one adds up
    mhis = list(_mhis_figures(site))
    assert len(mhis) > 20 and all(c["href"] for _, c in mhis if _money(c)), \
        [(p.name, c["text"]) for p, c in mhis if _money(c) and not c["href"]]
    # the pages whose tables are sums of lines are linked (the registry says which are not, and why)
    for name in ("index.html", "open-book.html", "spend-by-partner.html", "spend-by-service-line.html",
                 "mhis.html", "contracts.html", "plan-vs-actual.html", "variation.html",
                 "eliminations.html", "funding-consistency.html", "sector-by-recipient.html",
                 "sector-share.html", "lead-provider.html"):
        assert per_page[name] > 0, f"{name}: no figure links to its lines"
    # the contract mix's paid to date (by type, each system, every system) links too, beside its unlinked values
    (mix,) = [t for t in _tables(site / "contracts.html")
              if "Share of value %" in t["head"] and "Paid to date" in t["head"]]
    paid = [r["cells"][mix["head"].index("Paid to date")] for r in mix["rows"]]
    assert len(paid) > 4 and all(c["href"] for c in paid if _money(c)), [c["text"] for c in paid if not c["href"]]
    assert checked == sum(per_page.values()) and checked > 500
    print(f"\nchecked {checked} linked figures on {len(per_page)} pages against {len(sums)} drill pages:")
    for name, n in sorted(per_page.items()):
        print(f"  {name}: {n}")


# The delivering partner's sector by partner kind, and the page's sector columns, as docs/model.md states them
_SECTOR_OF_KIND = {"icb": "nhs", "nhs_trust": "nhs", "lead_provider": "nhs", "local_authority": "local_authority",
                   "vcse": "vcse", "independent": "independent"}
_SECTOR_COLUMNS = {"Statutory NHS": "nhs", "Local authority": "local_authority", "Voluntary sector (VCSE)": "vcse",
                   "Independent sector": "independent"}


def _reference(home: Path, name: str) -> list[dict]:
    with open(home / "reference" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _place_sector_spend(demo_home: Path, demo_db, period: str) -> dict[tuple[str, str], Decimal]:
    """Each place's net mental-health spend by delivering partner's sector, April to ``period``, recomputed
    from the staged lines of the submissions that passed and the reference files alone: a line paying a
    partner (its alias) is delivered by that partner, and eliminated when that partner sends its own ledger."""
    partners = {r["partner_id"]: r for r in _reference(demo_home, "partners.csv")}
    alias = {r["alias"].strip().upper(): r["partner_id"] for r in _reference(demo_home, "partner_aliases.csv")}
    mental_health = {r["service_line"] for r in _reference(demo_home, "service_lines.csv")
                     if r["mental_health"].strip().lower() == "true"}
    place_name = {r["place_id"]: r["place_name"] for r in _reference(demo_home, "places.csv")}
    year, month = int(period[:4]), int(period[5:])
    april = f"{year if month >= 4 else year - 1}-04"
    lines = demo_db.execute(
        "SELECT s.partner_id, s.place_id, s.service_line, s.counterparty, s.amount FROM stg_ledger s "
        "JOIN dq_load_status d ON d.load_id = s.load_id AND d.status = 'passed' "
        "WHERE s.line_type = 'expenditure' AND s.place_id IS NOT NULL AND s.period BETWEEN ? AND ?",
        [april, period]).fetchall()
    spend: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for partner_id, place_id, service_line, counterparty, amount in lines:
        if service_line not in mental_health:
            continue
        paid = alias.get((counterparty or "").strip().upper())
        if paid is not None and paid != partner_id and partners[paid]["submits"].strip().lower() == "true":
            continue                                   # eliminated: the partner paid counts its own spend
        delivered_by = paid if paid is not None else partner_id
        spend[(place_name[place_id], _SECTOR_OF_KIND[partners[delivered_by]["kind"]])] += amount
    return spend


def test_each_places_sector_figure_is_its_staged_lines_recomputed_and_links_to_them(site, demo_home, demo_db):
    expected = _place_sector_spend(demo_home, demo_db, site.parent.name)
    (table,) = [t for t in _tables(site / "sector-share.html") if "Area" in t["head"] and "Level" in t["head"]]
    head = table["head"]
    checked = 0
    for row in table["rows"]:
        cells = row["cells"]
        if cells[head.index("Level")]["text"] != "Place":
            continue
        area = cells[head.index("Area")]["text"]
        for label, sector in _SECTOR_COLUMNS.items():
            cell = cells[head.index(label)]
            assert _money(cell) == expected.get((area, sector), Decimal(0)), (area, label)
            # every figure with money in it opens its lines (the drill pages' sums are checked above)
            assert _money(cell) == 0 or re.search(r"(^|/)drill/[^/]+\.html$", cell["href"] or ""), (area, label)
            checked += 1
    assert checked == 6 * len(_SECTOR_COLUMNS)           # three places in each of the demo's two systems
    assert sum(v for (_, sector), v in expected.items() if sector == "vcse") > 0


def test_every_drill_page_is_linked_and_links_back(site):
    linked = {(page.parent / href).resolve() for page, href, _ in _linked_figures(site)}
    pages = {p.resolve() for p in (site / "drill").glob("*.html")}
    assert pages == linked
    for p in list(pages)[:50]:
        text = p.read_text(encoding="utf-8")
        assert 'href="../index.html"' in text and "This figure is linked from:" in text


def test_the_mhis_drill_follows_a_changed_definition(demo_home, tmp_path):
    """A deployment that counts only recurrent money towards the MHIS (section 75 pooled funds moved to
    the exclusions of its settings), its MHIS models rebuilt on a copy of the demo warehouse: every MHIS
    figure of the standard's table and the summary's block is the ICB's recurrent spend on MHIS service
    lines, recomputed here from the ledger lines and reference/service_lines.csv, and opens lines that
    add up to it to the penny (the drill reads the definition the model applied, not its own copy)."""
    import csv
    import shutil

    import duckdb
    import yaml

    from reports.drilldown import DrillSet
    from reports.figure_links import link_figures
    from reports.section_figures import section_table
    from warehouse.report_settings import SETTINGS, report_params
    from warehouse.sql_files import run_sql

    settings = yaml.safe_load(SETTINGS.read_text(encoding="utf-8"))
    assert settings["mhis_funding_streams"] == ["recurrent", "s75_pooled"]     # the demo's definition
    settings["mhis_funding_streams"] = ["recurrent"]
    settings["mhis_excluded_funding_streams"].append(
        {"funding_stream": "s75_pooled", "label": "Section 75 pooled", "reason": "counted by the council"})
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    shutil.copy(demo_home / "warehouse" / "openbook.duckdb", tmp_path / "openbook.duckdb")
    con = duckdb.connect(str(tmp_path / "openbook.duckdb"))
    params = report_params(tmp_path / "settings.yaml")
    for model in ("reports/rpt_mhis", "reports/rpt_mhis_categories"):
        run_sql(con, model, params)

    with open(demo_home / "reference" / "service_lines.csv", newline="", encoding="utf-8") as fh:
        mhis_lines = {r["service_line"] for r in csv.DictReader(fh) if r["in_mhis"] == "true"}
    recurrent, both = defaultdict(Decimal), defaultdict(Decimal)
    for icb, fy, line, stream, amount in con.execute(
            "SELECT partner_id, fy, service_line, funding_stream, amount FROM fct_ledger "
            "WHERE partner_kind = 'icb' AND line_type = 'expenditure'").fetchall():
        if line in mhis_lines:
            recurrent[icb, fy] += amount if stream == "recurrent" else 0
            both[icb, fy] += amount if stream in ("recurrent", "s75_pooled") else 0

    ctx = ReportContext(con.execute("SELECT max(period) FROM fct_ledger").fetchone()[0])
    headline = next(b for b in sections.SUMMARY.blocks if b.key == "mhis-headline")
    shown = [("mhis.html", "MHIS", sections.MHIS), ("index.html", "Summary", headline)]
    tables = [(href, name, sec, section_table(con, sec, ctx)) for href, name, sec in shown]
    drills = DrillSet(con)
    link_figures(drills, ctx, tables, "drill")
    pages = {f"drill/{p.slug}.html": p for p in drills.pages}
    checked = 0
    for _, _, _, table in tables:
        for row in table.rows:
            if row.role != "detail":
                continue
            figure, key = row.values["mhis_spend"], (row.hidden["icb_id"], row.hidden["fy"])
            assert figure == recurrent[key] != both[key], (key, figure)
            page = pages[row.links["mhis_spend"]]
            assert page.figure == page.line_total == figure, (key, page.line_total, figure)
            assert all(b.total == figure for b in page.breakdowns) and len(page.breakdowns) == 4, key
            checked += 1
    assert checked == 4                                 # the two ICBs' year, in both tables


# ---------------------------------------------------------------------------
# The workbook: a Transactions sheet with the month's lines, the summary linked to it
def test_the_pack_lists_the_months_lines_under_a_filter_and_the_summary_links_to_them(con, tmp_path, fx):
    import openpyxl

    from reports.excel_pack import build_board_pack

    wb = openpyxl.load_workbook(build_board_pack(con, fx.PERIOD, tmp_path / "p.xlsx"))
    ws = wb["Transactions"]
    header = [c.value for c in ws[5]]
    assert header[:2] == ["System", "Partner"] and {"Amount", "Source file", "Row", "Counterparty"} <= set(header)
    # the fixture's mental-health lines of the month, counted from its own table (conftest.MH_LEDGER)
    expected = sorted(Decimal(x[7]) for x in fx.MH_LEDGER if x[1] == fx.PERIOD)
    amount = header.index("Amount") + 1
    got = [ws.cell(row=r, column=amount) for r in range(6, ws.max_row + 1)]
    assert sorted(Decimal(str(c.value)) for c in got) == expected
    assert all(isinstance(c.value, (int, float)) and "£" in c.number_format for c in got)   # numbers, £ format
    assert ws.auto_filter.ref == f"A5:{openpyxl.utils.get_column_letter(len(header))}{ws.max_row}"
    letter = openpyxl.utils.get_column_letter(amount)
    assert ws.cell(row=4, column=amount).value == f"=SUBTOTAL(109,{letter}6:{letter}{ws.max_row})"  # outside the filter
    files = {ws.cell(row=r, column=header.index("Source file") + 1).value for r in range(6, ws.max_row + 1)}
    assert "sf_icb/SF spend Jun 2025.csv" in files                   # the path from the inbox on
    # the month's sums link to the lines; the figures made by arithmetic to their working (test_excel_explain.py)
    links = [c.hyperlink.location for row in wb["Summary"].iter_rows() for c in row if c.hyperlink]
    assert any(loc.startswith("'Transactions'!A") for loc in links)
    assert all(loc.startswith(("'Transactions'!A", "'Explain'!A")) for loc in links), links
