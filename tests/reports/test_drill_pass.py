"""Drill pages read in grouped passes (reports/drill_pass.py) show exactly what each page read
alone shows: on a hand-made ledger against figures worked out by hand, and on the demo site against
the per-page reading (drilldown.lines_page, two queries per page with its parameters bound), every
page's count, total, breakdown rows and listed lines."""
from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from reports import drill_pass, drilldown
from reports.figure_lines import Condition

_LINES = [  # partner, service line, counterparty, period, fy, amount, source row, load id
    ("a", "crisis", "S1", "2025-04", "2025/26", "100.00", 1, "L1"),
    ("a", "crisis", "S2", "2025-05", "2025/26", "-250.00", 2, "L1"),
    ("a", "eating", "S1", "2025-05", "2025/26", "250.00", 3, "L1"),    # ties with row 2 on abs(amount)
    ("a", "eating", "S3", "2025-05", "2025/26", "250.00", 7, "L0"),    # ... and comes first: load L0
    (None, "crisis", "S2", "2025-04", "2025/26", "40.50", 4, "L2"),   # no partner: a null key's line
    ("b", "crisis", "S1", "2025-04", "2024/25", "999.99", 5, "L3"),   # another year
]


@pytest.fixture
def ledger():
    con = duckdb.connect()
    con.execute("CREATE TABLE fct_ledger (partner_id VARCHAR, partner_name VARCHAR, service_line VARCHAR, "
                "counterparty VARCHAR, period VARCHAR, fy VARCHAR, amount DECIMAL(18,2), cost_centre VARCHAR, "
                "description VARCHAR, line_type VARCHAR, source_file VARCHAR, source_row INTEGER, load_id VARCHAR)")
    for p, sl, cp, period, fy, amount, row, load in _LINES:
        con.execute("INSERT INTO fct_ledger VALUES ($p, $p, $sl, $cp, $period, $fy, $amount, 'CC', 'd', "
                    "'expenditure', 'f.csv', $row, $load)",
                    {"p": p, "sl": sl, "cp": cp, "period": period, "fy": fy, "amount": amount, "row": row,
                     "load": load})
    yield con
    con.close()


def _cond(where: str, **params) -> Condition:
    return Condition("fct_ledger", "amount", where, tuple(sorted(
        (k, tuple(v) if isinstance(v, list) else v) for k, v in params.items())))


def test_a_grouped_pass_gives_each_page_its_own_lines_worked_out_by_hand(ledger):
    by_partner = "partner_id IS NOT DISTINCT FROM $k_partner AND fy = $fy"
    in_lines = "fy = $fy AND list_contains($service_lines, service_line)"
    asks = [(_cond(by_partner, k_partner="a", fy="2025/26"), 2),
            (_cond(in_lines, fy="2025/26", service_lines=["crisis"]), 5),
            (_cond(by_partner, k_partner=None, fy="2025/26"), 5),      # the line with no partner
            (_cond(by_partner, k_partner="z", fy="2025/26"), 5),       # no line at all
            (_cond(in_lines, fy="2025/26", service_lines=["eating", "crisis"]), 1),
            (_cond("partner_id = $p", p="b"), 3)]                      # a template of one page
    reads = drill_pass.read_many(ledger, asks, lambda source: "service_line")

    a, crisis, no_partner, none, both, b = reads
    assert (a.count, a.total) == (4, Decimal("350.00"))              # 100 - 250 + 250 + 250
    # largest first by size; equal sizes by load id, then row: L0 row 7, then L1 row 2; two listed
    assert [(x[6], x[9], x[8]) for x in a.lines] == [(Decimal("250.00"), "L0", 7), (Decimal("-250.00"), "L1", 2)]
    assert sorted(a.groups[1]) == [("crisis", 2, Decimal("-150.00")), ("eating", 2, Decimal("500.00"))]
    assert sorted(a.groups[3]) == [("2025-04", 1, Decimal("100.00")), ("2025-05", 3, Decimal("250.00"))]
    assert (crisis.count, crisis.total) == (3, Decimal("-109.50"))   # 100 - 250 + 40.50, this year only
    assert sorted(crisis.groups[0], key=str) == [("a", 2, Decimal("-150.00")), (None, 1, Decimal("40.50"))]
    assert (no_partner.count, no_partner.total, len(no_partner.lines)) == (1, Decimal("40.50"), 1)
    assert (none.count, none.total, none.lines, none.groups) == (0, Decimal(0), [], {i: [] for i in range(4)})
    assert (both.count, both.total) == (5, Decimal("390.50"))
    assert [(x[6], x[9]) for x in both.lines] == [(Decimal("250.00"), "L0")]        # its own limit: one
    assert (b.count, b.total, [x[8] for x in b.lines]) == (1, Decimal("999.99"), [5])
    # the loads behind each page (what a late file must reach to change it): every line's, not only those listed
    assert [r.loads for r in reads] == [["L0", "L1"], ["L1", "L2"], ["L2"], [], ["L0", "L1", "L2"], ["L3"]]
    for read, (cond, limit) in zip(reads, asks):                       # each as the page read alone
        assert read == drill_pass.read_one(ledger, cond, limit, "service_line")


def test_matching_says_which_pages_a_set_of_loads_has_lines_for(ledger):
    by_partner = "partner_id IS NOT DISTINCT FROM $k_partner AND fy = $fy"
    conds = [_cond(by_partner, k_partner="a", fy="2025/26"), _cond(by_partner, k_partner=None, fy="2025/26"),
             _cond(by_partner, k_partner="b", fy="2025/26"), _cond("partner_id = $p", p="b")]
    # by hand from _LINES: L2 holds the line with no partner only; L3 partner b's 2024/25 line; L0 one of a's
    assert drill_pass.matching(ledger, conds, ["L2"]) == [False, True, False, False]
    assert drill_pass.matching(ledger, conds, ["L3"]) == [False, False, False, True]
    assert drill_pass.matching(ledger, conds, ["L0", "L3"]) == [True, False, False, True]
    assert drill_pass.matching(ledger, conds, ["L9"]) == [False] * 4


class _Registered(Exception):
    """The site asked for its drill pages' lines: every page is registered by then."""


@pytest.mark.slow  # every drill page of the demo site read again alone
def test_every_drill_page_of_the_demo_site_is_the_page_read_alone(demo_home, tmp_path, monkeypatch):
    """The site's build is stopped where it first asks for the lines of its drill pages (every page
    registered, none rendered: the demo home's pipeline run wrote them); those pages are the site's
    drill pages, file for file, and are read in grouped passes, then each alone."""
    from reports import html_site

    built: list[drilldown.DrillSet] = []

    class Recorded(drilldown.DrillSet):
        def __init__(self, con):
            super().__init__(con)
            self.asked = False
            built.append(self)

        def in_turn(self):
            if not self.asked:
                self.asked = True
                raise _Registered
            return super().in_turn()

    grouped: list[int] = []
    read_group = drill_pass._read_group

    def counted(con, template, asks, service_line):
        grouped.append(len(asks))
        return read_group(con, template, asks, service_line)

    monkeypatch.setattr(html_site.drilldown, "DrillSet", Recorded)
    monkeypatch.setattr(drill_pass, "_read_group", counted)
    con = duckdb.connect(str(demo_home / "warehouse" / "openbook.duckdb"), read_only=True)
    try:
        period = con.execute("SELECT max(period) FROM rpt_open_book").fetchone()[0]
        with pytest.raises(_Registered):
            html_site.build_html_site(con, period, tmp_path / "html")
        assert grouped == []                                             # nothing read before the stop
        pages = built[0].pages
        written = demo_home / "reports" / period / "html" / "drill"
        assert sorted(page.slug for page in pages) == sorted(path.stem for path in written.glob("*.html"))
        # most pages came from passes over many pages at once, not one by one
        assert len(pages) > 1000 and sum(grouped) > 0.9 * len(pages) and max(grouped) > 100
        # The reference: each page read alone, two small queries a page, on one DuckDB thread. For queries this
        # small a second thread costs more CPU than it saves (300 pages: 8.0 CPU s on two threads, 4.3 on one),
        # and the parallel test workers already keep every core busy; a query's rows are the same either way.
        con.execute("SET threads = 1")
        checked = 0
        for page in pages:
            alone = drilldown.lines_page(con, page.condition, name=page.slug, title=page.title, section=page.section,
                                         figure_label=page.figure_label, figure=page.figure, fmt=page.fmt,
                                         limit=page.limit)
            assert (page.line_count, page.line_total) == (alone.line_count, alone.line_total), page.slug
            assert [(b.key, b.rows, b.rest, b.rest_lines, b.rest_total) for b in page.breakdowns] == \
                   [(b.key, b.rows, b.rest, b.rest_lines, b.rest_total) for b in alone.breakdowns], page.slug
            assert page.lines == alone.lines, page.slug
            checked += bool(page.line_count)
        assert checked > 1000                                            # pages with lines, not empty ones
    finally:
        con.close()


def test_a_page_whose_figure_moved_though_its_lines_did_not_is_built_again(ledger, tmp_path):
    """A figure that compares places (a variation against every place's median) moves when another place's late
    file comes in, though no line of the page did: the drill page of it must not be kept (reports/drill_reuse.py)."""
    from reports import drill_reuse, sections
    from reports.warehouse_reading import Reading

    cond = _cond("partner_id IS NOT DISTINCT FROM $k_partner AND fy = $fy", k_partner="a", fy="2025/26")

    def page(figure: str) -> drilldown.DrillPage:
        return drilldown.DrillPage("partner-a", "Partner a", sections.SECTIONS[0], "Above its peers", "Spend",
                                   Decimal(figure), "money", cond, 100)

    site = tmp_path / "html"
    (site / "drill").mkdir(parents=True)
    (site / "drill" / "partner-a.html").write_text("the last build's page", encoding="utf-8")
    built = drill_reuse.plan(ledger, [page("350.00")], drill_reuse.last(Reading(ledger), None, "v1"), frame="f")
    assert built.kept == set()                                  # no last build: every page built
    shown = page("350.00")
    shown.loads, shown.line_count, shown.line_total = ["L0", "L1"], 4, Decimal("350.00")   # by hand from _LINES
    built.written(shown, ["drill/partner-a.html"])
    (site / drill_reuse.RECORD).write_text(built.record(), encoding="utf-8")

    last = drill_reuse.last(Reading(ledger), site, "v1")
    assert drill_reuse.plan(ledger, [page("350.00")], last, frame="f").kept == {"partner-a"}   # nothing moved
    assert drill_reuse.plan(ledger, [page("351.00")], last, frame="f").kept == set()           # its figure moved
    assert drill_reuse.plan(ledger, [page("350.00")], drill_reuse.last(Reading(ledger), site, "v2"),
                            frame="f").kept == set()                                        # other code


def test_a_ledger_pages_service_line_breakdown_names_each_service_line(ledger):
    """fct_ledger carries the service line's code only: its pages' breakdown shows each code's name from
    dim_service_line, read alone or in a grouped pass; a code with no name, and a warehouse without the table,
    keep the code."""
    from reports import sections

    cond = _cond("partner_id IS NOT DISTINCT FROM $k_partner AND fy = $fy", k_partner="a", fy="2025/26")
    args = dict(name="partner-a", title="Partner a", section=sections.SECTIONS[0], figure_label="Spend",
                figure=Decimal("350.00"), fmt="money")
    codes = drilldown.lines_page(ledger, cond, **args)
    assert sorted(codes.breakdowns[1].rows) == [("crisis", 2, Decimal("-150.00")), ("eating", 2, Decimal("500.00"))]

    ledger.execute("CREATE TABLE dim_service_line AS SELECT * FROM (VALUES ('crisis', 'Crisis resolution'))"
                   " t(service_line, service_line_name)")          # 'eating' has no name here
    expected = [("Crisis resolution", 2, Decimal("-150.00")), ("eating", 2, Decimal("500.00"))]   # by hand, _LINES
    assert sorted(drilldown.lines_page(ledger, cond, **args).breakdowns[1].rows) == expected
    grouped = drilldown.DrillSet(ledger)
    page = grouped.point(cond, sections.SECTIONS[0], "Partner a", "Spend", Decimal("350.00"), "money",
                         ("index.html", "Summary"))
    assert [sorted(p.breakdowns[1].rows) for p in grouped.pages] == [expected] and page in grouped.pages
    # the other breakdowns are as they were: partners and months are not service lines
    assert sorted(drilldown.lines_page(ledger, cond, **args).breakdowns[0].rows) == sorted(codes.breakdowns[0].rows)


class _Counted:
    """A connection that counts the statements reading the ledger itself (not a table of lines kept from it)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con, self.ledger_scans = con, 0

    def execute(self, sql: str, *args):
        self.ledger_scans += "FROM fct_ledger " in f"{sql} "
        return self.con.execute(sql, *args)


def test_the_pages_alone_in_their_template_over_a_whole_scan_view_are_read_after_one_scan(ledger):
    """fct_ledger is a view scanned whole whatever the condition (drill_pass.WHOLE_SCANS; a table here): the
    pages alone in their template read it once between them, not once each, through DrillSet as the site reads
    them, and each still gets its own lines (by hand from _LINES), parameters of the same name kept apart."""
    from reports import sections

    section = sections.SECTIONS[0]
    conds = [_cond("partner_id = $p", p="b"),                                       # row 5
             _cond("partner_id = $p AND period = $period", p="a", period="2025-05"),  # rows 2, 3, 7
             _cond("service_line = $p AND fy = $fy", p="crisis", fy="2025/26")]       # rows 1, 2, 4
    counted = _Counted(ledger)
    pages = drilldown.DrillSet(counted)
    for n, cond in enumerate(conds):
        pages.point(cond, section, f"Page {n}", "Spend", None, "money", ("index.html", "Summary"))
    read = pages.pages
    assert counted.ledger_scans == 1
    assert [(p.line_count, p.line_total, p.loads) for p in read] == [
        (1, Decimal("999.99"), ["L3"]), (3, Decimal("250.00"), ["L0", "L1"]), (3, Decimal("-109.50"), ["L1", "L2"])]
    assert [(x.amount, x.load_id, x.source_row) for x in read[1].lines] == [
        (Decimal("250.00"), "L0", 7), (Decimal("-250.00"), "L1", 2), (Decimal("250.00"), "L1", 3)]
    for page in read:                                                   # each as the page read alone
        alone = drilldown.lines_page(ledger, page.condition, name=page.slug, title=page.title, section=section,
                                     figure_label="Spend", figure=None, fmt="money", limit=page.limit)
        assert (page.lines, page.breakdowns) == (alone.lines, alone.breakdowns)
