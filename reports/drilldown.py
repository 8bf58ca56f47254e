"""Drill-down: the ledger lines behind a flagged figure.

Drill-down pages are the one place reports read fct_ tables (fct_ledger and fct_mh_ledger,
see ``sections.DRILL_SOURCES``); every other figure in the packs and the site comes from an
rpt_ table. A flagged row of a detail section names its lines with its ``Drill`` spec: an SQL
condition over the source bound with the row's own keys. A page is bounded: it lists at
most ``sections.DRILL_LIMIT`` lines, the largest first, and states the figure, the sum of
every line behind it, and the number and sum of the lines not shown, so the page reconciles
to the figure whatever its size.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

import duckdb

from reports import sections as s

LINE_COLUMNS = ("partner_name", "period", "cost_centre", "counterparty", "description", "line_type",
                "amount", "source_file", "source_row", "load_id")
_PARAM_REF = re.compile(r"\$([a-z_][a-z0-9_]*)")


@dataclass
class DrillLine:
    partner_name: str | None
    period: str | None
    cost_centre: str | None
    counterparty: str | None
    description: str | None
    line_type: str | None
    amount: Decimal
    source_file: str | None
    source_row: int | None
    load_id: str | None

    @property
    def file_name(self) -> str:
        """The file as the partner sent it: its path from the inbox (partner folder and name)."""
        if not self.source_file:
            return ""
        path = self.source_file.replace("\\", "/")
        if "/inbox/" in f"/{path}":
            return f"/{path}".split("/inbox/", 1)[1]
        return PurePosixPath(path).name


@dataclass
class DrillPage:
    slug: str                   # file name under drill/, without .html
    title: str
    section: s.Section
    flag_text: str
    figure_label: str
    figure: Decimal | None
    fmt: str                    # the figure's format (money, money2)
    lines: list[DrillLine]      # the lines shown, largest first
    line_count: int             # every line behind the figure
    line_total: Decimal         # their sum
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def shown_total(self) -> Decimal:
        return sum((x.amount for x in self.lines), Decimal(0))

    @property
    def not_shown(self) -> int:
        return self.line_count - len(self.lines)

    @property
    def not_shown_total(self) -> Decimal:
        return self.line_total - self.shown_total

    @property
    def reconciles(self) -> bool:
        return self.figure is not None and self.figure == self.line_total


def slug(section: s.Section, row: s.Row, used: set[str]) -> str:
    """A readable, unique file name for a row's drill-down page, from its keys."""
    drill = section.flag.drill
    parts = [section.key] + [str(row.hidden.get(k)) for k in drill.keys if row.hidden.get(k) is not None]
    text = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")[:90].strip("-") or section.key
    name, n = text, 2
    while name in used:
        name, n = f"{text}-{n}", n + 1
    used.add(name)
    return name


def drill_page(con: duckdb.DuckDBPyConnection, section: s.Section, row: s.Row, name: str,
               limit: int = s.DRILL_LIMIT) -> DrillPage:
    """The ledger lines behind one flagged row of a detail section (largest first, at most ``limit``)."""
    drill = section.flag.drill
    facts = row.facts
    if callable(drill.where):
        where, params = drill.where(facts)
    else:
        where, params = drill.where, {k: row.hidden.get(k) for k in drill.keys}
    wanted = set(_PARAM_REF.findall(where))
    missing = wanted - set(params)
    if missing:
        raise s.SpecError(f"section {section.key}: drill-down condition needs {sorted(missing)}")
    bound = {k: v for k, v in params.items() if k in wanted}
    amount = drill.amount
    count, total = con.execute(
        f"SELECT count(*), coalesce(sum({amount}), 0) FROM {drill.source} WHERE {where}", bound).fetchone()
    cols = ", ".join(f"{amount} AS amount" if c == "amount" else c for c in LINE_COLUMNS)
    recs = con.execute(
        f"SELECT {cols} FROM {drill.source} WHERE {where} "
        f"ORDER BY abs({amount}) DESC, load_id, source_row LIMIT {int(limit)}", bound).fetchall()
    value = next(v for v in section.values if v.key == drill.figure)
    return DrillPage(slug=name, title=drill.title(facts), section=section,
                     flag_text=row.values.get("flag_text") or "", figure_label=value.label,
                     figure=row.values.get(drill.figure), fmt=value.fmt,
                     lines=[DrillLine(*r) for r in recs], line_count=count, line_total=Decimal(total),
                     facts=facts)
