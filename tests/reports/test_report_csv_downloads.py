"""Every table of the HTML site can be downloaded as CSV: the file is there, holds the rows
the page shows, and its figures are exact (recomputed here from the published warehouse,
not from the report code)."""
import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.html_links import page_links


@pytest.fixture(scope="module")
def site(demo_home) -> Path:
    folders = sorted(p for p in (demo_home / "reports").iterdir() if p.is_dir() and not p.name.startswith("."))
    return folders[-1] / "html"


def _csv(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeff"), f"{path.name}: no byte-order mark, so Excel would misread £"
    return list(csv.DictReader(io.StringIO(text[1:])))


def _tables(page: Path) -> list[str]:
    """The page's tables of figures, the figures behind each chart included."""
    return re.findall(r"<table class=\"sortable\">.*?</table>", page.read_text(encoding="utf-8"), re.S)


def test_every_sortable_table_has_its_csv_and_the_csv_has_its_rows(site):
    pages = sorted(site.glob("*.html")) + sorted(site.glob("drill/*.html"))
    downloads = charts = 0
    for page in pages:
        charts += page.read_text(encoding="utf-8").count("<caption>The figures behind this chart</caption>")
        links = [h for h in page_links(page) if h.endswith(".csv")]
        tables = _tables(page)
        assert len(links) == len(tables), f"{page.name}: {len(tables)} tables, {len(links)} CSV downloads"
        for href, table in zip(links, tables):
            rows = _csv(page.parent / href)
            shown = len(re.findall(r"<tr[ >]", table)) - 1          # less the heading row
            assert len(rows) == shown, f"{href}: {len(rows)} rows, the page shows {shown}"
            downloads += 1
    assert downloads >= 30 and charts >= 20, (downloads, charts)


def test_the_open_book_csv_adds_up_to_the_warehouse_to_the_penny(site, demo_home):
    rows = _csv(site / "csv" / "open-book.csv")
    detail = [r for r in rows if r["Row type"] == "detail"]
    (total,) = [r for r in rows if r["Row type"] == "total"]
    con = duckdb.connect(str(demo_home / "published" / "openbook.duckdb"), read_only=True)
    try:
        period = con.execute("SELECT max(period) FROM rpt_open_book").fetchone()[0]
        expected = con.execute(
            "SELECT sum(ytd_net_spend), sum(ytd_gross_spend) FROM rpt_open_book WHERE period = $p",
            {"p": period}).fetchone()
    finally:
        con.close()
    net = sum(Decimal(r["Net FY to date"]) for r in detail)
    gross = sum(Decimal(r["Gross FY to date"]) for r in detail)
    assert (net, gross) == (Decimal(total["Net FY to date"]), Decimal(total["Gross FY to date"])) == expected
    assert all(re.fullmatch(r"-?\d+\.\d{2}", r["Net FY to date"]) for r in detail)   # exact pence, no floats


def test_drill_down_csv_lists_every_line_with_its_source(site):
    # the flag's page (named from its keys), not the MHIS figures' own pages (named by a hash)
    (drill,) = [p for p in (site / "csv").glob("drill-mhis-*.csv") if not re.search(r"-[0-9a-f]{10}\.csv$", p.name)]
    rows = _csv(drill)
    assert {"Source file", "Row", "Load id", "Amount"} <= set(rows[0])
    assert all(r["Source file"] and r["Row"].isdigit() for r in rows if r["Row type"] == "detail")


@pytest.mark.parametrize("part", ["net-by-service-line", "net-by-funding-stream"])
def test_net_spend_by_service_line_and_by_funding_stream_add_up_to_the_open_book(site, demo_home, part):
    """The net views (issue: gross was labelled spend) total, per system and overall, to the open book's
    net and gross, recomputed here from rpt_open_book."""
    rows = _csv(site / "csv" / f"spend-by-service-line-{part}.csv")
    con = duckdb.connect(str(demo_home / "published" / "openbook.duckdb"), read_only=True)
    try:
        period = con.execute("SELECT max(period) FROM rpt_open_book").fetchone()[0]
        by_system = dict(con.execute(
            "SELECT ics_name, sum(ytd_net_spend) FROM rpt_open_book WHERE period = $p GROUP BY ALL",
            {"p": period}).fetchall())
    finally:
        con.close()
    subtotals = {r["System"].removesuffix(" total"): Decimal(r["Net FY to date"])
                 for r in rows if r["Row type"] == "subtotal"}
    assert subtotals == by_system
    (total,) = [r for r in rows if r["Row type"] == "total"]
    assert Decimal(total["Net FY to date"]) == sum(by_system.values())
    detail = [r for r in rows if r["Row type"] == "detail"]
    assert sum(Decimal(r["Net FY to date"]) for r in detail) == sum(by_system.values())
    assert all(Decimal(r["Gross FY to date"]) - Decimal(r["Eliminated FY to date"]) == Decimal(r["Net FY to date"])
               for r in detail)


def test_each_partner_page_adds_up_to_the_partners_open_book(site, demo_home):
    """A page per partner: its spend table and its month-by-month table both total the partner's net
    spend in rpt_open_book (recomputed here), and the partners page lists every one, linked."""
    con = duckdb.connect(str(demo_home / "published" / "openbook.duckdb"), read_only=True)
    try:
        period, fy = con.execute("SELECT max(period), max(fy) FROM rpt_open_book").fetchone()
        net = dict(con.execute("SELECT partner_id, sum(net_spend) FROM rpt_open_book WHERE fy = $fy"
                               " AND period <= $p GROUP BY ALL", {"fy": fy, "p": period}).fetchall())
    finally:
        con.close()
    assert len(net) >= 10
    listed = [h for h in page_links(site / "partners.html") if h.startswith("partners/")]
    assert sorted(listed) == sorted(f"partners/{pid}.html" for pid in net)
    # every partner's name in the open book opens its page
    assert {h for h in page_links(site / "open-book.html") if h.startswith("partners/")} == set(listed)
    for pid, expected in net.items():
        for table in ("partner-spend", "partner-months"):
            rows = _csv(site / "csv" / f"{pid}-{table}.csv")
            column = "Net FY to date" if table == "partner-spend" else "Net"
            assert sum(Decimal(r[column]) for r in rows if r["Row type"] == "detail") == expected, (pid, table)
            totals = [Decimal(r[column]) for r in rows if r["Row type"] == "total"]
            assert totals in ([], [expected]), (pid, table)     # a one-line table has no total row
    (total,) = [r for r in _csv(site / "csv" / "partners.csv") if r["Row type"] == "total"]
    assert Decimal(total["Net FY to date"]) == sum(net.values())


def test_partners_are_listed_under_their_system_in_reference_partners(site, demo_home):
    """The partners page names each partner's system as reference/partners.csv gives it (as Data quality
    does), whatever system its lines fall in: a partner of no system (the crisis houses, spend in both)
    is not assigned to one, and its own page says its spend falls in both."""
    with open(demo_home / "reference" / "partners.csv", newline="", encoding="utf-8") as fh:
        reference = {r["name"]: r["ics_id"] for r in csv.DictReader(fh)}
    systems = {"north_weald": "North Weald ICS", "south_fen": "South Fen ICS", "": "Not assigned to a system"}
    listed = {r["Partner"]: r["System"] for r in _csv(site / "csv" / "partners.csv") if r["Row type"] == "detail"}
    assert len(listed) >= 10
    assert listed == {name: systems[reference[name]] for name in listed}
    unassigned = [name for name, ics in reference.items() if not ics and name in listed]
    assert unassigned == ["Haven Crisis Houses"]
    (page,) = [p for p in site.glob("partners/*.html") if "<h2>Haven Crisis Houses</h2>" in p.read_text("utf-8")]
    lede = re.search(r'<p class="lede">(.*?)</p>', page.read_text("utf-8"), re.S).group(1)
    assert lede.startswith("VCSE not assigned to a system (its spend this year falls in North Weald ICS and "
                           "South Fen ICS)"), lede
