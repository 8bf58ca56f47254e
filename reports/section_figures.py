"""The one engine that turns a section spec into figures (``section_table``), and the
summary's count of flags from the tables already built (``flag_counts``).

How a spec becomes figures:

* ``mode="aggregate"`` (the default): one SQL query over ``source``, grouped by the
  dims, each measure an aggregate ``FILTER``ed to its scope (the month, the previous
  month, the FY to date, the whole FY, or all rows).
* ``mode="detail"``: the source's own rows, one table row each, no aggregation: the
  rows in the measures' one scope (e.g. this FY's rows of a yearly table), each
  measure simply a column. A detail section may *flag* rows (``Flag``: an SQL
  condition, the flag in words, and where the ledger lines behind it are - ``Drill``)
  and may order its rows (``Sort``, flagged rows first).

Either way rows are restricted to the system when a single-system pack is asked for,
and by the spec's own ``where`` fragments, with parameters bound (reports/query.py).
Rows are then ordered (the spec's ``order_by``, else the model's order for partner kinds
and funding streams, else by label), subtotalled and totalled in Python with Decimal, and
derived columns (movement, percentage change, ratios) and text columns (``Text``: a
sentence made from the row) are computed on every row. A section's ``parts`` (further
small sections shown below it on the same sheet and page, e.g. the contract mix under the
contracts) become the table's parts.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb

from reports import formatting as f
from reports.query import (
    ReportContext, _check_columns, _effective_dims, _execute, _scope_sql, _single_system, _where,
)
from reports.spec import AGGREGATE, DETAIL, Derived, Measure, Section, Sort, Text
from reports.tables import Column, Row, Table, _Label


def _quantize(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _derive(op: str, a: Any, b: Any) -> Decimal | None:
    if a is None or b is None:
        return None
    if op == "diff":
        return a - b
    if op == "pct_change":
        return f.pct_change(a, b)
    if b == 0:
        return None
    if op == "ratio":
        return _quantize(Decimal(a) / Decimal(b), "0.01")
    return _quantize(Decimal(a) * 100 / Decimal(b), "0.1")      # share


def _sort_value(v: Any, srt: Sort) -> tuple:
    if v is None:
        return (1, 0)
    if isinstance(v, (int, float, Decimal)):
        x = abs(v) if srt.by_abs else v
        return (0, -x if srt.descending else x)
    return (0, str(v))


def section_table(con: duckdb.DuckDBPyConnection, section: Section, ctx: ReportContext) -> Table:
    """Run a section spec (and its parts): its figures with subtotals, total, derived and text values."""
    table = _one_table(con, section, ctx)
    table.parts = [_one_table(con, part, ctx) for part in section.parts]
    return table


def _one_table(con: duckdb.DuckDBPyConnection, section: Section, ctx: ReportContext) -> Table:
    dims = _effective_dims(section, ctx)
    measures = [v for v in section.values if isinstance(v, Measure)]
    drill = section.flag.drill if section.flag else None
    hidden = list(dict.fromkeys((drill.keys if drill else ()) + section.hidden))
    pivot = section.pivot
    if pivot is not None and _single_system(section, ctx) and pivot.on.key == section.system_col:
        pivot = None
    group = dims + ([pivot.on] if pivot else [])
    _check_columns(con, section, {d.key for d in group} | {m.column for m in measures}
                   | {section.period_col, section.fy_col}
                   | set(hidden)
                   | ({section.system_col} if _single_system(section, ctx) else set()))

    if section.mode == DETAIL:
        select = [d.key for d in dims] + [f"{m.column} AS {m.key}" for m in measures]
        select += [f"{k} AS __k_{k}" for k in hidden]
        select.append(f"coalesce(({section.flag.where}), FALSE) AS __flagged" if section.flag
                      else "FALSE AS __flagged")
        sql = (f"SELECT {', '.join(select)} FROM {section.source} "
               f"WHERE {_where(section, ctx, {section.row_scope})}")
    else:
        select = [d.key for d in group]
        for m in measures:
            agg = f"{m.agg}({m.column}) FILTER (WHERE {_scope_sql(m.scope, section.period_col, section.fy_col)})"
            if m.additive and m.agg in ("sum", "count"):
                agg = f"coalesce({agg}, 0)"
            select.append(f"{agg} AS {m.key}")
        sql = (f"SELECT {', '.join(select)} FROM {section.source} "
               f"WHERE {_where(section, ctx, {m.scope for m in measures})}"
               + (" GROUP BY ALL" if group else ""))
    cur = _execute(con, sql, ctx.params())
    names = [d[0] for d in cur.description]
    records = [dict(zip(names, r)) for r in cur.fetchall()]

    shown = [v for v in section.values if v.show]
    if pivot is None:
        columns = [Column(d.key, d.label, d.fmt, False, d.blank) for d in dims] + [
            Column(v.key, v.label, v.fmt, not isinstance(v, Text), prose=isinstance(v, Text)) for v in shown]
        value_keys = [m.key for m in measures]
        additive = {m.key for m in measures if m.additive}
    else:
        pm = next(m for m in measures if m.key == pivot.value)
        on_values = sorted({r[pivot.on.key] for r in records}, key=lambda v: f.sort_key(v, pivot.on.fmt))
        pkeys = [f"p{i}" for i in range(len(on_values))]
        columns = [Column(d.key, d.label, d.fmt, False, d.blank) for d in dims] + [
            Column(k, f.label(v, pivot.on.fmt), pm.fmt, True, raw=v, series=pivot.on.key)
            for k, v in zip(pkeys, on_values)]
        columns.append(Column("p_total", pivot.total_label, pm.fmt, True, across=pivot.on.key))
        merged: dict[tuple, dict] = {}
        for r in records:
            k = tuple(r[d.key] for d in dims)
            row = merged.setdefault(k, {**{d.key: r[d.key] for d in dims},
                                        **{p: Decimal(0) for p in pkeys}, "p_total": Decimal(0)})
            i = on_values.index(r[pivot.on.key])
            row[pkeys[i]] += r[pm.key] or 0
            row["p_total"] += r[pm.key] or 0
        records = list(merged.values())
        value_keys = pkeys + ["p_total"]
        additive = set(value_keys) if pm.additive else set()
    if section.flag:
        columns.append(Column("flag_text", section.flag.column, "text", False, prose=True))

    if section.drop_zero_rows and section.mode == AGGREGATE:
        records = [r for r in records if any(r.get(k) not in (None, 0) for k in value_keys)]

    subtotal_dims = [d for d in dims if d.key in section.subtotals]
    first = bool(section.flag and section.flag.first)

    def order(r: dict) -> tuple:
        return (tuple(f.sort_key(r[d.key], d.fmt) for d in subtotal_dims)
                + ((0 if r.get("__flagged") else 1,) if first else ())
                + tuple(_sort_value(r.get(s.key), s) for s in section.order_by)
                + tuple(f.sort_key(r[d.key], d.fmt) for d in dims))
    records.sort(key=order)

    rows: list[Row] = []
    n_sub = len(subtotal_dims)

    def total_of(group_rows: list[dict]) -> dict:
        return {k: (sum((r[k] or 0 for r in group_rows), Decimal(0)) if k in additive else None)
                for k in value_keys}

    def detail_row(r: dict) -> Row:
        hidden = {k[4:]: v for k, v in r.items() if k.startswith("__k_")}
        vals = {k: v for k, v in r.items() if not k.startswith("__")}
        return Row(vals, flagged=bool(r.get("__flagged")), hidden=hidden)

    def emit(group_rows: list[dict], level: int):
        if level == n_sub:
            rows.extend(detail_row(r) for r in group_rows)
            return
        d = subtotal_dims[level]
        start = 0
        while start < len(group_rows):
            end = start
            key = group_rows[start][d.key]
            while end < len(group_rows) and group_rows[end][d.key] == key:
                end += 1
            part = group_rows[start:end]
            emit(part, level + 1)
            vals = {dd.key: part[0][dd.key] for dd in subtotal_dims[:level]}
            vals[d.key] = _Label(f"{f.label(key, d.fmt)} total")
            vals.update(total_of(part))
            rows.append(Row(vals, "subtotal", level,
                            tuple(part[0][dd.key] for dd in subtotal_dims[:level + 1])))
            start = end

    emit(records, 0)
    if section.total and len(records) > 1 and dims:
        vals = {dims[0].key: _Label("Total")}
        vals.update(total_of(records))
        rows.append(Row(vals, "total"))
    for row in rows:
        for v in section.values:
            if isinstance(v, Derived):
                a, b = (row.values.get(k) for k in v.args)
                row.values[v.key] = _derive(v.op, a, b)
        for v in section.values:
            if isinstance(v, Text):
                row.values[v.key] = (v.make(row.facts) or "") if (row.role == "detail" or v.totals) else ""
        if section.flag:
            row.values["flag_text"] = section.flag.text(row.facts) if row.flagged else ""
    return Table(section.key, section.title, columns, rows, section.description, section)


# ---------------------------------------------------------------------------
# The count of flags (the summary's), from the section tables already built
def flag_counts(pairs: list[tuple[Section, Table]]) -> Table:
    """One row per section (or part) that flags rows: what it flags, how many rows its page flags as at
    the month, and how many of the pack's flag register rows it raises (when the pack has the register:
    that column adds up to the register's rows, the same system and month)."""
    register = next((t for sec, t in pairs if sec.source == "rpt_flag_register"), None)
    in_register: dict[Any, int] = {}
    for r in (register.rows if register else []):
        if r.role == "detail":
            src = r.hidden.get("source_table")
            in_register[src] = in_register.get(src, 0) + 1
    cols = [Column("section", "Page", "text", False), Column("what", "What is flagged", "text", False),
            Column("flags", "Flags", "int", True)]
    if register is not None:
        cols.append(Column("register", "In the flag register", "int", True))
    rows = []
    for sec, table in pairs:
        for s_, t in [(sec, table)] + list(zip(sec.parts, table.parts)):
            if s_.flag is not None:
                row = Row({"section": sec.sheet, "what": s_.flag.label, "flags": len(t.flagged_rows)})
                if register is not None:
                    row.values["register"] = in_register.pop(s_.source, 0)
                row.hidden["section_key"] = sec.key
                rows.append(row)
    if in_register:             # a flag whose source no page flags: still counted, so the total is the register's
        other = Row({"section": "Flag register", "what": "Other flags", "flags": 0, "register": sum(in_register.values())})
        other.hidden["section_key"] = register.section.key if register.section else "flag-register"
        rows.append(other)
    if len(rows) > 1:
        total = Row({"section": _Label("Total"), "what": None, "flags": sum(r.values["flags"] for r in rows)}, "total")
        if register is not None:
            total.values["register"] = sum(r.values["register"] for r in rows)
        rows.append(total)
    return Table("flags", "Flags raised", cols, rows,
                 "Rows the analytics flag for the oversight group, page by page; each is explained "
                 "in words on its page, with the ledger lines behind it in the HTML report. Flags: the rows "
                 "each page flags as at this month (contract under-runs and schemes overspending included). In "
                 "the flag register: the register's flags (assessed as at the latest month reported, first seen "
                 "by this month) that each page raises; they add up to the register's rows.")
