"""The flag register's Dagster assets write rpt_flags, rpt_flag_decisions and rpt_flag_register into the
warehouse, and the register's report section shows a decision in the next month's board pack."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import pytest

from assets.warehouse_assets import open_book_models
from workbench import flags
from warehouse.settings import Paths
from warehouse.connection import Warehouse
from reports import sections
from reports.excel_pack import build_board_pack
from reports.html_site import build_html_site


@pytest.fixture
def own_warehouse(demo_home, tmp_path):
    """A data home with a copy of the demo warehouse (the assets write to it)."""
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    shutil.copyfile(Paths(demo_home).warehouse, Paths(home).warehouse)
    return home


# rpt_flags is a plain SQL model; the decisions and the register have builders of their own
# (assets/model_builders.py); all three are assets of the open book's one step, materialised here alone.
FLAG_ASSETS = ["rpt_flags", "rpt_flag_decisions", "rpt_flag_register"]


def materialize(home) -> dg.ExecuteInProcessResult:
    return dg.materialize([open_book_models], selection=FLAG_ASSETS,
                          resources={"warehouse": Warehouse(home=str(home))}, raise_on_error=False)


def test_assets_build_the_register_in_the_warehouse(own_warehouse):
    today = dt.date.today()
    flags.save_decisions(flags.decisions_path(Paths(own_warehouse)), flags.DecisionsFile(flags={
        "VAR-mh_spend_per_head-carrow": [flags.Explained(decision="explained", reason="Carrow Lodge is system-wide",
                                                         date=today, by="Jane Doe", as_at="2026-03")],
        "OVER-NW-PL-2025-26": [flags.Action(decision="action", owner="NW contracts", due=today - dt.timedelta(days=1),
                                            date=today - dt.timedelta(days=30), by="Jane Doe", as_at="2026-03")]}))
    result = materialize(own_warehouse)
    assert result.success
    con = duckdb.connect(str(Paths(own_warehouse).warehouse), read_only=True)
    status = dict(con.execute("SELECT flag_id, status FROM rpt_flag_register").fetchall())
    assert status["VAR-mh_spend_per_head-carrow"] == "open"
    assert status["OVER-NW-PL-2025-26"] == "overdue"
    assert status["ELIM-nw_icb-wfmh-2025-11"] == "new"
    assert con.execute("SELECT count(*) FROM rpt_flag_decisions").fetchone()[0] == 2
    comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'rpt_flag_register'").fetchone()[0]
    assert comment.startswith("the flag register")
    columns = dict(con.execute("SELECT column_name, comment FROM duckdb_columns() "
                               "WHERE table_name = 'rpt_flags'").fetchall())
    assert columns["flag_id"].startswith("stable id")
    for table in ("rpt_flags", "rpt_flag_decisions", "rpt_flag_register"):   # every column documented
        undocumented = con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = $t "
                                   "AND (comment IS NULL OR comment = '')", {"t": table}).fetchall()
        assert undocumented == [], (table, undocumented)
    con.close()


def test_a_bad_decisions_file_fails_the_asset_with_its_message(own_warehouse):
    path = flags.decisions_path(Paths(own_warehouse))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("flags:\n  VAR-x-y:\n    - decision: explained\n      reasn: typo\n")
    result = materialize(own_warehouse)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "reasn: unknown key" in failure.event_specific_data.error.message


def test_the_register_section_shows_the_decision_in_the_pack(own_warehouse, tmp_path, monkeypatch):
    today = dt.date.today()
    flags.save_decisions(flags.decisions_path(Paths(own_warehouse)), flags.DecisionsFile(flags={
        "ELIM-nw_icb-wfmh-2025-11": [flags.Explained(decision="explained", reason="WFMH accrued the £125,000 in "
                                                     "December", date=today, by="Jane Doe", as_at="2025-11")]}))
    assert materialize(own_warehouse).success
    section = sections.FLAG_REGISTER
    assert section in sections.SECTIONS
    con = duckdb.connect(str(Paths(own_warehouse).warehouse))
    try:
        december = openpyxl.load_workbook(build_board_pack(con, "2025-12", tmp_path / "dec.xlsx"))
        south_fen = openpyxl.load_workbook(build_board_pack(con, "2026-03", tmp_path / "sf.xlsx", ics_id="south_fen"))
        monkeypatch.setattr(sections, "SECTIONS", (section,))      # the site's page of this section alone
        site = build_html_site(con, "2025-12", tmp_path / "site")
    finally:
        con.close()
    assert "Flag register" in december.sheetnames
    text = " ".join(str(c.value) for row in december["Flag register"].iter_rows() for c in row if c.value)
    assert "ELIM-nw_icb-wfmh-2025-11" in text and "Explained: WFMH accrued the £125,000 in December" in text
    assert "OVER-NW-PL-2025-26" not in text            # first seen in 2026-03: not in December's pack
    page = (Path(site).parent if Path(site).is_file() else Path(site)) / "flag-register.html"
    html = page.read_text(encoding="utf-8")
    assert "ELIM-nw_icb-wfmh-2025-11" in html and "WFMH accrued the £125,000 in December" in html
    sf_text = " ".join(str(c.value) for row in south_fen["Flag register"].iter_rows() for c in row if c.value)
    assert "MHIS-sf_icb-2025-26" in sf_text and "ELIM-nw_icb-wfmh-2025-11" not in sf_text
