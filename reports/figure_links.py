"""Link every money figure of the site's tables that is a sum of ledger lines to its drill page.

Which figures are sums of lines, and which lines, is declared in reports/figure_lines.py; the
pages are built (and deduplicated) by reports/drilldown.DrillSet. A figure of zero is not
linked: there is nothing behind it to explain (and linking every zero month of the open book
would double the number of pages for no reader's benefit).
"""
from __future__ import annotations

from reports import drilldown, figure_lines
from reports.query import ReportContext
from reports.spec import Section
from reports.tables import Table


def link_figures(drill_set: drilldown.DrillSet, ctx: ReportContext,
                 tables: list[tuple[str, str, Section, Table]], drill_dir: str, root: str = "") -> int:
    """Set ``row.links`` of every linkable figure of ``tables`` ((page href, page name, section,
    its table) each); return how many figures were linked."""
    linked = 0
    for href, page_name, section, table in tables:
        for row in table.rows:
            for col in table.columns:
                if not col.is_value or col.fmt not in figure_lines.MONEY_FMTS or col.key in row.links:
                    continue
                value = row.values.get(col.key)
                if value is None or value == 0:
                    continue
                cond = figure_lines.condition(section, table, row, col, ctx)
                if cond is None:
                    continue
                page = drill_set.figure(cond, section, table, row, col, (href, f"{page_name}: {col.label}"))
                if page is None:
                    continue
                row.links[col.key] = f"{root}{drill_dir}/{page.slug}.html"
                linked += 1
    return linked
