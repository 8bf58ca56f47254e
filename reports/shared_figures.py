"""What the board packs and the site read alike, read once a build.

The pack of every system and the site ask the same questions of the same warehouse: each section's and
summary block's table, each chart's figures and the cover, for the month and every system. A build
(assets/report_assets.write_reports) hands one ``SharedFigures`` to every writer, so each of those is
computed once (for each month, system and partner asked for) and each writer gets a copy of its own:
the writers add to what they are given (the site its links, the packs their notes), so neither may see
the other's. The explain workings of the site and of every pack's Explain sheet ask their questions through
``reads`` (reports/read_once.py): each answered once a build. The specs a copy
refers to (its section, its chart) are shared, not copied: they are read-only, and the writers tell
sections apart by identity. A writer called on its own reads its own.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

import duckdb

from reports.chart_figures import ChartData, FunnelData, charts_data
from reports.cover import Cover, cover as read_cover
from reports.query import ReportContext
from reports.read_once import ReadOnce
from reports.section_figures import section_table
from reports.spec import Chart, Section
from reports.tables import Table


class SharedFigures:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self._made: dict[tuple, Any] = {}
        # the explain workings' questions, asked alike by the site's pages and every pack's Explain sheet
        self.reads = ReadOnce(con)

    def table(self, section: Section, ctx: ReportContext) -> Table:
        """reports/section_figures.section_table's table of ``section`` for ``ctx``."""
        made = self._once(("table", id(section), ctx), lambda: section_table(self.con, section, ctx))
        return copy.deepcopy(made, {id(s): s for s in _sections_of(made)})

    def charts(self, section: Section, chart: Chart, ctx: ReportContext) -> list[ChartData | FunnelData]:
        """reports/chart_figures.charts_data's figures of ``chart`` of ``section`` for ``ctx``."""
        made = self._once(("charts", id(section), id(chart), ctx), lambda: charts_data(self.con, section, chart, ctx))
        # a series may be one of the chart's measures
        return copy.deepcopy(made, {id(s): s for s in (section, chart) + chart.measures})

    def cover(self, ctx: ReportContext) -> Cover:
        """reports/cover.cover's cover for ``ctx``."""
        return copy.deepcopy(self._once(("cover", ctx), lambda: read_cover(self.con, ctx)))

    def _once(self, key: tuple, make: Callable[[], Any]) -> Any:
        # the specs are module constants, alive all the build: their ids name them
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]


def _sections_of(table: Table) -> list[Section]:
    found = [table.section] if table.section is not None else []
    for part in table.parts:
        found += _sections_of(part)
    return found

