"""The section engine: figures from a spec, checked against hand-computed sums."""
from decimal import Decimal

import pytest

from reports import sections
from reports.sections.shared import ICS, KIND, SPEND_MONTH
from reports.chart_figures import chart_data
from reports.cover import cover as read_cover
from reports.query import ReportContext
from reports.section_figures import section_table
from reports.spec import Dim, Measure, Section, SpecError, check_sections



def _by(table, key):
    return {r.values[key]: r for r in table.detail_rows}


def test_headline_by_system_matches_hand_sums(con, fx):
    block = next(b for b in sections.SUMMARY.blocks if b.key == "by-system")
    table = section_table(con, block, ReportContext(fx.PERIOD))
    rows = _by(table, "ics_id")
    for ics in ("north_weald", "south_fen"):
        for k in ("month", "prev", "ytd"):
            assert rows[ics].values[k] == fx.EXPECTED[ics][k], (ics, k)
    total = [r for r in table.rows if r.role == "total"]
    assert len(total) == 1
    for k in ("month", "prev", "ytd"):
        assert total[0].values[k] == fx.EXPECTED["total"][k]
    assert total[0].values["movement"] == fx.EXPECTED["total"]["month"] - fx.EXPECTED["total"]["prev"]
    assert total[0].values["movement_pct"] == Decimal("16.5")   # 63500 / 385000


def test_money_stays_decimal(con, fx):
    table = section_table(con, sections.SPEND_BY_PARTNER, ReportContext(fx.PERIOD))
    for row in table.rows:
        for col in table.value_columns:
            assert isinstance(row.values[col.key], Decimal), (col.key, row.values[col.key])


def test_subtotals_per_partner_kind_within_system(con, fx):
    table = section_table(con, sections.SPEND_BY_PARTNER, ReportContext(fx.PERIOD))
    subs = {(r.values["ics_id"], r.text(table.columns[1])): r
            for r in table.rows if r.role == "subtotal" and r.level == 1}
    assert subs[("north_weald", "NHS trust total")].values["month"] == Decimal("244999.50")
    assert subs[("north_weald", "VCSE total")].values["ytd"] == Decimal("3000.00")
    # every subtotal row follows the detail rows it adds up
    last_sub = max(i for i, r in enumerate(table.rows) if r.role == "subtotal")
    assert table.rows[-1].role == "total" and last_sub == len(table.rows) - 2


def test_single_system_drops_the_system_column_and_filters(con, fx):
    table = section_table(con, sections.SPEND_BY_PARTNER, ReportContext(fx.PERIOD, "south_fen"))
    assert "ics_id" not in [c.key for c in table.columns]
    total = table.rows[-1]
    assert total.role == "total" and total.values["month"] == fx.EXPECTED["south_fen"]["month"]


def test_chart_data_months_of_the_year_to_date(con, fx):
    key, chart = sections.SUMMARY.charts[0]
    block = next(b for b in sections.SUMMARY.blocks if b.key == key)
    data = chart_data(con, block, chart, ReportContext(fx.PERIOD))
    assert data.x_values == ["2025-04", "2025-05", "2025-06"]      # no March, no July
    table = data.as_table()
    assert table.rows[-1].values["v"] == fx.EXPECTED["total"]["ytd"]


def test_spec_errors_are_clear():
    with pytest.raises(SpecError, match="rpt_"):
        Section(key="x", title="X", source="fct_ledger", dims=(), values=())
    with pytest.raises(SpecError, match="scope"):
        Measure("m", "M", "spend", scope="quarter")
    with pytest.raises(SpecError, match="prefix"):
        Section(key="x", title="X", source="rpt_x", dims=(ICS, KIND),
                  values=(SPEND_MONTH,), subtotals=("partner_kind",))
    with pytest.raises(SpecError, match="identifier"):
        Dim("spend; DROP TABLE x", "Bad")
    with pytest.raises(SpecError, match="sheet name"):
        check_sections((Section(key="x", title="A title far too long for any Excel sheet",
                                    source="rpt_x", dims=(ICS,), values=(SPEND_MONTH,)),))
    with pytest.raises(SpecError, match="already used"):
        check_sections((sections.SPEND_BY_PARTNER, sections.SPEND_BY_PARTNER.__class__(
            **{**sections.SPEND_BY_PARTNER.__dict__, "key": "other"})))


def test_missing_column_is_reported_with_the_table(con, fx):
    bad = Section(key="bad", title="Bad", source="rpt_mh_spend",
                    dims=(Dim("place_id", "Place"),), values=(SPEND_MONTH,))
    with pytest.raises(SpecError, match=r"rpt_mh_spend has no column\(s\) \['place_id'\]"):
        section_table(con, bad, ReportContext(fx.PERIOD))


def test_cover_lists_what_the_figures_rest_on(con, fx):
    cover = read_cover(con, ReportContext(fx.PERIOD))
    assert cover.systems == ["north_weald", "south_fen"]
    assert {x.partner_id for x in cover.this_month} == {"nw_icb", "wfmh", "evil", "inj", "at"}
    assert "L6" not in [x.file_name for x in cover.submissions]          # superseded
    assert all(x.period != "2025-07" for x in cover.submissions)         # after the month
    assert sorted(cover.missing) == sorted(["NHS South Fen Integrated Care Board",
                                            "Young People's Space & Co"])
    blocked = next(x for x in cover.this_month if x.partner_id == "at")
    assert not blocked.in_figures and blocked.quality.startswith("Blocked")
