"""The MHIS sheet's and page's "MHIS by category" table against the hand-made fixture
(tests/reports/conftest.py MHIS_CATEGORIES, whose rows add up to the fixture's rpt_mhis by hand):
categories then exclusions per ICB, subtotals equal to the MHIS table's MHIS spend and all
mental-health spend, the definition beside every figure, and each figure linked to its lines."""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from reports.excel_pack import build_board_pack
from reports.html_site import build_html_site
from tests.reports.formulas import computed

HEADER = ["ICB", "Part", "MHIS category or exclusion", "£ in the year", "Of which children and young people",
          "Definition"]


@pytest.fixture
def wb(con, tmp_path, fx):
    return computed(openpyxl.load_workbook(build_board_pack(con, fx.PERIOD, tmp_path / "pack.xlsx", run_id="r")))


def _part(ws) -> list[list]:
    """The rows of the table under the "MHIS by category" heading of the MHIS sheet."""
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r[0] == "MHIS by category, and what is outside it")
    head = next(i for i in range(start, len(rows)) if rows[i][:len(HEADER)] == HEADER)
    out = []
    for r in rows[head + 1:]:
        if r[0] is None:
            break
        out.append(r[:len(HEADER)])
    return out


def test_the_mhis_sheet_shows_each_icbs_categories_then_exclusions_adding_up_to_its_mh_spend(wb):
    rows = _part(wb["MHIS"])
    nw = [r for r in rows if str(r[0]).startswith("NHS North Weald")]
    assert [(r[1], r[2], r[3], r[4]) for r in nw] == [
        ("MHIS spend", "Children and young people's mental health", 100000, 100000),
        ("MHIS spend", "Adult crisis", 200000, None),
        ("MHIS spend total", None, 300000, 100000),
        ("Outside the MHIS", "ld_autism", 20000, None),
        ("Outside the MHIS", "sdf", 10000, None),
        ("Outside the MHIS total", None, 30000, 0),
        (None, None, 330000, 100000),
    ]
    assert nw[-1][0] == "NHS North Weald Integrated Care Board total"
    # the subtotals are the MHIS table's own figures above it: MHIS spend and all mental-health spend
    mhis = {r[1]: r for r in ([c.value for c in row] for row in wb["MHIS"].iter_rows(min_row=6, max_row=7))}
    header = [c.value for c in wb["MHIS"][5]]
    nw_mhis = mhis["NHS North Weald Integrated Care Board"]
    assert nw[2][3] == nw_mhis[header.index("MHIS spend")] and nw[-1][3] == nw_mhis[header.index("All MH spend")]
    # every figure has its definition beside it
    assert all(r[5] for r in rows)
    assert nw[3][5] == "Gross expenditure on ld_autism"
    assert nw[-1][5].startswith("All mental-health spend (MHIS spend + each exclusion)")


def test_the_mhis_page_links_each_category_and_exclusion_to_its_ledger_lines(con, tmp_path, fx):
    site = build_html_site(con, fx.PERIOD, tmp_path / "site", run_id="r").parent
    html = (site / "mhis.html").read_text(encoding="utf-8")
    part = html[html.index("MHIS by category, and what is outside it"):]
    assert "Outside the MHIS total" in part and "Of which children and young people" in part
    links = re.findall(r'href="(drill/mhis-categories-[0-9a-f]+\.html)"', part)
    assert len(set(links)) >= 8
    for href in set(links):
        page = (site / href).read_text(encoding="utf-8")
        assert "Ledger lines" in page and Path(site / href).is_file()
