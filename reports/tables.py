"""The figures of a section or a chart as both writers draw them: a ``Table`` of ``Column``s
and ``Row``s (detail, subtotal and total rows; hidden drill-down keys; links for the HTML).
No SQL here: reports/section_figures.py and reports/chart_figures.py fill them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reports import formatting as f
from reports.spec import Section


@dataclass
class Column:
    key: str
    label: str
    fmt: str
    is_value: bool              # a number column (money/pct/int) rather than a label
    blank: str | None = None    # a label column's text for a null value (default: the format's)
    prose: bool = False         # sentences (a Text or the flag): given room to wrap
    raw: Any = None             # a pivot column: the pivoted dim's value (its drill-down binds it)
    series: str | None = None   # a column per value of this dim (raw is its value): a pivot's, a chart's series
    across: str | None = None   # a total of the columns of this dim (a pivot's or a chart's Total column)


@dataclass
class Row:
    values: dict[str, Any]
    role: str = "detail"        # detail | subtotal | total
    level: int = 0              # for subtotals: index of the dim it totals
    group: tuple = ()           # for subtotals: the raw values of the dims it totals over
    flagged: bool = False       # a detail row its section's Flag raises
    hidden: dict[str, Any] = field(default_factory=dict)   # drill-down keys, not shown
    links: dict[str, str] = field(default_factory=dict)    # column key -> href (HTML only)

    @property
    def facts(self) -> dict[str, Any]:
        """Every value of the row, hidden ones included (what Text, Flag and Drill functions read)."""
        return {**self.hidden, **self.values}

    def text(self, col: Column) -> str:
        """Display text of a label column (the subtotal/total wording included)."""
        v = self.values.get(col.key)
        if type(v) is str and col.fmt == "text":    # a name from the data (the commonest by far): as it is
            return v
        if isinstance(v, _Label):
            return v.text
        if v is None:
            return "" if self.role != "detail" else (col.blank if col.blank is not None
                                                      else f.label(v, col.fmt))
        return f.label(v, col.fmt)


@dataclass(frozen=True)
class _Label:
    """A fixed caption in a label column (subtotal and total rows)."""
    text: str


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[Row]
    description: str = ""
    section: Section | None = None
    parts: list["Table"] = field(default_factory=list)
    note: str = ""              # shown under the table (e.g. the coverage of the partners' files)

    @property
    def label_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.is_value]

    @property
    def value_columns(self) -> list[Column]:
        return [c for c in self.columns if c.is_value]

    @property
    def detail_rows(self) -> list[Row]:
        return [r for r in self.rows if r.role == "detail"]

    @property
    def flagged_rows(self) -> list[Row]:
        return [r for r in self.rows if r.flagged]
