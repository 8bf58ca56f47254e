"""What a report is about (``ReportContext``: the month, the system, the partner) and the SQL
pieces every section and chart query is built from: the bound parameters, a measure's
period scope as a condition, a section's row filter and the check of its columns.

Parameters ($period, $prev_period, $fy, $fy_start, $ics_id, $partner_id) are always bound,
never formatted in; a query naming any other parameter is refused (``_execute``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

from reports import formatting as f
from reports.spec import _PARAMS, FY, MONTH, PREV_MONTH, YTD, Dim, Section, SpecError
from warehouse import periods
from warehouse.sql_files import quote_ident


@dataclass(frozen=True)
class ReportContext:
    period: str
    ics_id: str | None = None
    run_id: str = ""
    partner_id: str | None = None      # a partner's own page (reports/partner_pages.py)

    def __post_init__(self):
        periods.year_month(self.period)

    @property
    def fy(self) -> str:
        return periods.fy_of(self.period)

    @property
    def fy_month(self) -> int:
        return periods.fy_month_of(self.period)

    @property
    def prev_period(self) -> str:
        return periods.previous_period(self.period)

    @property
    def fy_start(self) -> str:
        return periods.fy_start(self.period)

    @property
    def month(self) -> str:
        return f.month_label(self.period)

    @property
    def title(self) -> str:
        return f"Mental health open book — {self.month}"

    def params(self) -> dict[str, Any]:
        return {"period": self.period, "prev_period": self.prev_period, "fy": self.fy,
                "fy_start": self.fy_start, "ics_id": self.ics_id, "partner_id": self.partner_id}


def _execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]):
    wanted = set(re.findall(r"\$([a-z_]+)", sql))
    unknown = wanted - set(_PARAMS)
    if unknown:
        raise SpecError(f"unknown SQL parameter(s) {sorted(unknown)}; allowed: {_PARAMS}")
    return con.execute(sql, {k: v for k, v in params.items() if k in wanted})


def _columns_of(con, table: str) -> set[str]:
    # the columns of the table's own binding (a query of no rows): information_schema.columns lists every
    # column of the catalog to find them, about 10 ms a call, and a build asks about 230 times
    try:
        described = con.execute(f"SELECT * FROM {quote_ident(table)} LIMIT 0").description
    except duckdb.CatalogException:
        raise SpecError(f"table {table} does not exist in the warehouse") from None
    return {column[0] for column in described}


def _scope_sql(scope: str, period_col: str | None, fy_col: str | None) -> str:
    if scope == MONTH:
        return f"{period_col} = $period"
    if scope == PREV_MONTH:
        return f"{period_col} = $prev_period"
    if scope == YTD:
        return f"({fy_col} = $fy AND {period_col} <= $period)" if period_col else f"{fy_col} = $fy"
    if scope == FY:
        return f"{fy_col} = $fy"
    return "TRUE"


def _single_system(section: Section, ctx: ReportContext) -> bool:
    return ctx.ics_id is not None and section.system_col is not None


def _effective_dims(section: Section, ctx: ReportContext) -> list[Dim]:
    dims = list(section.dims)
    if _single_system(section, ctx):
        rest = [d for d in dims if d.key != section.system_col]
        if rest:                 # keep it only when it is the block's one dim
            dims = rest
    return dims


def _where(section: Section, ctx: ReportContext, scopes: set[str], extra: tuple[str, ...] = ()) -> str:
    parts = []
    scoped = [_scope_sql(s, section.period_col, section.fy_col) for s in sorted(scopes)]
    if scoped and "TRUE" not in scoped:
        parts.append("(" + " OR ".join(scoped) + ")")
    if _single_system(section, ctx):
        parts.append(f"{section.system_col} = $ics_id")
    parts += [f"({w})" for w in section.where + extra]
    return " AND ".join(parts) or "TRUE"


def _check_columns(con, section: Section, needed: set[str]) -> None:
    have = _columns_of(con, section.source)
    missing = sorted(c for c in needed if c is not None and c not in have)
    if missing:
        raise SpecError(f"section {section.key}: {section.source} has no column(s) {missing}")
