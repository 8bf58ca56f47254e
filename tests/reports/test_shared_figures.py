"""What the site and the packs read alike is read once a build (reports/shared_figures.py): each writer gets
the figures the engine gives, as a copy of its own, and a second writer asking the same asks no query."""
from __future__ import annotations

import dataclasses

from assets import report_assets
from reports import sections
from reports.chart_figures import charts_data
from reports.cover import cover as read_cover
from reports.query import ReportContext
from reports.section_figures import section_table
from reports.shared_figures import SharedFigures


class _Counting:
    """The connection, counting the statements run on it."""

    def __init__(self, con):
        self.con, self.statements = con, 0

    def execute(self, *args, **kwargs):
        self.statements += 1
        return self.con.execute(*args, **kwargs)


def _figures(table) -> tuple:
    """Everything a writer reads from a table: its columns, rows (values, hidden keys, links), note and parts."""
    return (table.key, table.title, table.description, table.note, [dataclasses.astuple(c) for c in table.columns],
            [(r.values, r.role, r.level, r.group, r.flagged, r.hidden, r.links) for r in table.rows],
            [_figures(p) for p in table.parts])


def test_each_table_is_the_engines_read_once_and_each_writer_gets_its_own_copy(con, fx):
    counting = _Counting(con)
    shared = SharedFigures(counting)
    ctx = ReportContext(fx.PERIOD, None, "run-1")
    specs = list(sections.SECTIONS) + list(sections.SUMMARY.blocks)
    first = [shared.table(sec, ctx) for sec in specs]
    asked = counting.statements
    second = [shared.table(sec, ctx) for sec in specs]
    assert counting.statements == asked > 0                 # the second writer asks nothing
    for sec, a, b in zip(specs, first, second):
        assert _figures(a) == _figures(b) == _figures(section_table(con, sec, ctx)), sec.key
        assert a.section is sec and b.section is sec        # the spec shared, not copied
        assert [p.section for p in a.parts] == list(sec.parts)
    rows = next(t for t in first if t.rows).rows
    mine = next(t for t in second if t.rows).rows
    rows[0].links["net"] = "drill/x.html"
    rows[0].values["net"] = "changed"
    assert "net" not in mine[0].links and mine[0].values.get("net") != "changed"
    # another system's pack is another question
    shared.table(sections.SECTIONS[0], ReportContext(fx.PERIOD, "north_weald", "run-1"))
    assert counting.statements > asked


def test_charts_and_cover_are_the_engines_read_once(con, fx):
    counting = _Counting(con)
    shared = SharedFigures(counting)
    ctx = ReportContext(fx.PERIOD)
    charted = [(part, ch) for sec in sections.SECTIONS for part in (sec,) + sec.parts for ch in part.charts]
    first = [shared.charts(part, ch, ctx) for part, ch in charted]
    cover = shared.cover(ctx)
    asked = counting.statements
    second = [shared.charts(part, ch, ctx) for part, ch in charted]
    assert shared.cover(ctx) == cover == read_cover(con, ctx)
    assert counting.statements == asked
    for (part, ch), a, b in zip(charted, first, second):
        assert a == b == charts_data(con, part, ch, ctx), ch.key
        assert all(d.chart is ch for d in a + b)
    i = next(i for i, datas in enumerate(first) if datas)
    first[i][0].links[(0, 0)] = "drill/x.html"          # the site links a point
    assert second[i][0].links.get((0, 0)) != "drill/x.html"
    assert shared.charts(*charted[i], ctx) == charts_data(con, *charted[i], ctx)


def test_a_build_hands_every_writer_the_same_figures(con, fx, tmp_path, monkeypatch):
    """write_reports gives the site and every pack one SharedFigures; a writer called alone reads its own."""
    given = []

    def board_pack(con, period, path, *, ics_id=None, run_id="", shared=None):
        given.append(shared)
        path.write_text("pack")

    def html_site(con, period, out_dir, *, run_id="", last=None, shared=None):
        given.append(shared)
        out_dir.mkdir()
        (out_dir / "index.html").write_text("site")

    monkeypatch.setattr(report_assets, "build_board_pack", board_pack)
    monkeypatch.setattr(report_assets, "build_html_site", html_site)
    report_assets.write_reports(con, fx.PERIOD, tmp_path / "reports", "r")
    systems = con.execute("SELECT count(DISTINCT ics_id) FROM rpt_mh_spend WHERE ics_id IS NOT NULL").fetchone()[0]
    assert len(given) == systems + 2                        # the all-systems pack, one a system, the site
    assert isinstance(given[0], SharedFigures) and all(g is given[0] for g in given)
