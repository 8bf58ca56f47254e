"""Report builders: the Excel board pack and the static HTML site.

    from reports import build_board_pack, build_html_site

Both read only rpt_* tables (plus load_log / dq_load_status for the cover) through a
DuckDB connection they are given; the exceptions are the HTML site's drill-down pages,
which list the ledger lines behind a figure from fct_ledger / fct_mh_ledger
(reports/drilldown.py, reports/figure_lines.py; read in grouped passes by reports/drill_pass.py), the
explain pages, which show the reference rows (ref_ tables) a plan, budget, contract or limit figure rests
on and the lines a term of its working sums (reports/figure_explain.py with explain_working.py,
explain_peers.py, explain_payer.py; the workbook's Explain sheet shows the same workings,
reports/excel_explain.py), and the workbook's Transactions sheet (reports/excel_transactions.py).

What lives here: the spec vocabulary (spec.py); the sections, declared by subject
(sections/, listed in report order in sections/__init__.py); the query layer that turns
them into figures (query.py: the report's context and the SQL pieces; section_figures.py,
chart_figures.py and cover.py; tables.py: the figures as both writers draw them); and the
writers (excel_pack.py with excel_transactions.py, whose lines excel_streamed.py writes into the
saved sheet, html_site.py with its drill-down and partner pages). The vocabulary and the sections import no query code; the query layer no
writer. The package imports only warehouse/.
"""
from __future__ import annotations

__all__ = ["build_board_pack", "build_html_site"]


def __getattr__(name: str):
    # imported on first use: `import reports` stays cheap (no openpyxl/plotly import)
    if name == "build_board_pack":
        from reports.excel_pack import build_board_pack
        return build_board_pack
    if name == "build_html_site":
        from reports.html_site import build_html_site
        return build_html_site
    raise AttributeError(f"module 'reports' has no attribute {name!r}")
