"""A section for a new rpt table is a spec, not code: both builders pick it up."""
from decimal import Decimal

import openpyxl

from reports import sections
from reports.query import ReportContext
from reports.section_figures import section_table
from reports.spec import YTD, Chart, Derived, Dim, Measure, Section, SpecError
from reports.excel_pack import build_board_pack
from reports.html_site import build_html_site
from tests.reports.formulas import computed

# A table the pack does not have yet (a workforce plan): a new section is a spec.
WORKFORCE = Section(
    key="workforce", title="Workforce plan", source="rpt_workforce_plan",
    description="Workforce plan schemes against ledger spend.",
    dims=(Dim("ics_id", "System", "ics"), Dim("scheme_name", "Scheme")),
    values=(
        Measure("plan_ytd", "Plan FY to date", "planned", scope=YTD),
        Measure("actual_ytd", "Actual FY to date", "actual", scope=YTD),
        Derived("slippage", "Slippage", "diff", ("plan_ytd", "actual_ytd")),
    ),
    subtotals=("ics_id",),
    charts=(Chart("slip", "Actual spend by scheme", "hbar", x=Dim("scheme_name", "Scheme"),
                    value=Measure("v", "Actual FY to date", "actual", scope=YTD),
                    x_title="Scheme", y_title="Actual, FY to date (£)"),),
)


def _add_table(con):
    con.execute("""CREATE TABLE rpt_workforce_plan (ics_id VARCHAR, scheme_name VARCHAR,
                   period VARCHAR, fy VARCHAR, planned DECIMAL(38,2), actual DECIMAL(38,2))""")
    con.execute("""INSERT INTO rpt_workforce_plan VALUES
        ('north_weald', 'Crisis cafe', '2025-05', '2025-26', 1000.00, 900.00),
        ('north_weald', 'Crisis cafe', '2025-06', '2025-26', 1000.00, 700.50),
        ('north_weald', '=cmd|'' /C calc''!A0', '2025-06', '2025-26', 10.00, 0.00),
        ('south_fen', 'Peer workers', '2025-06', '2025-26', 500.00, 650.00),
        ('south_fen', 'Peer workers', '2025-07', '2025-26', 999.00, 999.00)""")


def test_new_section_appears_in_pack_and_site(con, tmp_path, monkeypatch, fx):
    _add_table(con)
    monkeypatch.setattr(sections, "SECTIONS", sections.SECTIONS + (WORKFORCE,))

    wb = computed(openpyxl.load_workbook(build_board_pack(con, fx.PERIOD, tmp_path / "p.xlsx")))
    assert wb.sheetnames[-4:] == ["Workforce plan", "Submissions", "Transactions", "Explain"]
    ws = wb["Workforce plan"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5)]
    assert rows[0] == ["System", "Scheme", "Plan FY to date", "Actual FY to date", "Slippage"]
    assert rows[-1] == ["Total", None, 2510.0, 2250.5, 259.5]           # July excluded
    inj = next(r for r in ws.iter_rows(min_row=6) if str(r[1].value).startswith("'=cmd"))
    assert inj[1].data_type == "s"
    assert ws.auto_filter.ref == "A5:E10" and ws.freeze_panes == "A6"     # the total (row 11) below the filter

    site = build_html_site(con, fx.PERIOD, tmp_path / "site").parent
    page = (site / "workforce.html").read_text(encoding="utf-8")
    assert "£2,510" in page and "Actual, FY to date (\\u00a3)" in page   # plotly JSON escapes £
    assert 'href="workforce.html"' in (site / "index.html").read_text(encoding="utf-8")


def test_new_section_figures(con, fx):
    _add_table(con)
    table = section_table(con, WORKFORCE, ReportContext(fx.PERIOD))
    sub = {r.group: r for r in table.rows if r.role == "subtotal"}
    assert sub[("south_fen",)].values["slippage"] == Decimal("-150.00")
    assert sub[("north_weald",)].values["actual_ytd"] == Decimal("1600.50")


def test_a_month_without_figures_still_builds(con, tmp_path):
    """A month before any data: both builders say so instead of failing."""
    import reports
    pack = reports.build_board_pack(con, "2024-04", tmp_path / "empty.xlsx")
    wb = computed(openpyxl.load_workbook(pack))
    assert wb.sheetnames[0] == "Cover"
    texts = [c.value for row in wb["Spend by partner"].iter_rows() for c in row if c.value]
    assert "No figures for April 2024." in texts
    cover = [c.value for row in wb["Cover"].iter_rows() for c in row if c.value]
    assert "No submission has been loaded for April 2024." in cover
    index = reports.build_html_site(con, "2024-04", tmp_path / "site")
    assert "No submission has been loaded for April 2024." in index.read_text(encoding="utf-8")


def test_a_missing_rpt_table_is_a_clear_error(con, tmp_path, monkeypatch):
    import pytest
    monkeypatch.setattr(sections, "SECTIONS", sections.SECTIONS + (WORKFORCE,))
    with pytest.raises(SpecError, match="rpt_workforce_plan does not exist"):
        build_board_pack(con, "2025-06", tmp_path / "p.xlsx")
    assert not list(tmp_path.iterdir())                     # nothing half-written
