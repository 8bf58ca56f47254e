"""Run expectation suites (expectations/*.json) as plain DuckDB SQL.

The same suite files and the same semantics as ``assets.quality.gx_runner`` (Great
Expectations 1.24 on pandas), at DuckDB speed; no Great Expectations import.  See the
gx_runner module docstring for the shared semantics (null handling, what counts as an
unexpected row, errored expectations).

Identifiers (table and column names) are checked (letters, digits, _ only) and quoted;
values -- bounds, value sets, the caller's where-clause values -- are always bound as
parameters, never formatted into the SQL text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from assets.quality.gx_runner import (
    SAMPLE_SIZE,
    SUPPORTED_EXPECTATIONS,
    ExpectationOutcome,
    SuiteOutcome,
    jsonable,
    load_suite,
    outcome_identity,
    resolve_parameters,
    substitute,
)

__all__ = ["validate_relation", "validate_groups", "values_list", "quote_ident", "quote_table", "UnsupportedExpectation"]

_IDENT = re.compile(r"[A-Za-z0-9_]+")
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8")
_INT_TYPES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
)
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


class UnsupportedExpectation(ValueError):
    """The suite uses an expectation type this runner does not implement."""


class _Errored(Exception):
    """The expectation could not be evaluated (reported as errored, never as a pass)."""


def quote_ident(name: str) -> str:
    """Quote one SQL identifier; only letters, digits and _ are accepted."""
    if not isinstance(name, str) or not _IDENT.fullmatch(name):
        raise ValueError(f"not a safe SQL identifier: {name!r} (letters, digits and _ only)")
    return f'"{name}"'


def quote_table(name: str) -> str:
    """Quote a table/view name, optionally qualified (catalog.schema.table)."""
    parts = name.split(".") if isinstance(name, str) else [name]
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"not a safe table name: {name!r}")
    return ".".join(quote_ident(p) for p in parts)


def _kind(coltype: str) -> str:
    t = coltype.upper()
    if t in _FLOAT_TYPES:
        return "float"
    if t in _INT_TYPES:
        return "int"
    if t.startswith("DECIMAL"):
        return "decimal"
    if t == "DATE" or t.startswith("TIMESTAMP"):
        return "temporal"
    if t == "VARCHAR" or t.startswith("VARCHAR"):
        return "text"
    return "other"


def values_list(rows: list[tuple], names: list[str], alias: str) -> tuple[str, list]:
    """A small table of values for a query, `(VALUES (?, ...), ...) alias(names)`, and its
    bound parameters: values are never formatted into the SQL."""
    row = "(" + ", ".join("?" * len(names)) + ")"
    columns = ", ".join(quote_ident(n) for n in names)
    return (f"(VALUES {', '.join([row] * len(rows))}) {quote_ident(alias)}({columns})",
            [value for r in rows for value in r])


_GROUP = "__openbook_group"  # the group key of each row, in every query over src
_ROW = "__openbook_row"  # the row's rowid: "first rows" of a group, in table order


class _Relation:
    """The rows to validate: a table/view, optionally filtered by a where clause, in groups
    (``bind``): every query is over ``src``, the rows with their group key as a column."""

    def __init__(self, con, table: str, where: str | None, where_params: list | None):
        if where_params and not where:
            raise ValueError("where_params given without a where clause")
        if where is not None and ";" in where:
            raise ValueError("the where clause must be a single expression (no ';')")
        self.con = con
        self.table = table
        self.qtable = quote_table(table)
        self.where = where
        self.where_params = list(where_params or [])
        self.types = {
            row[0]: str(row[1])
            for row in con.execute(f"DESCRIBE SELECT * FROM {self.qtable}").fetchall()
        }
        self.src, self.base_params = "", []

    def bind(self, group_column: str | None, keys: list, columns: list[str], values: dict) -> None:
        """Set src. One group: the rows (of `group_column` = its key), as a plain filter,
        the plans' values bound in each query. Several: the rows of every key joined to
        a VALUES list of (key, the groups' plan values as columns `columns`), in table
        order (rowid), so that each group's first failing rows are the ones it would
        show alone."""
        where = [f"({self.where})"] if self.where else []
        self.keys, self.single = list(keys), len(keys) == 1
        if len(keys) == 1:
            key = keys[0]
            if group_column is not None:
                where.insert(0, f"{quote_ident(group_column)} = ?")
            self.src = (f"SELECT *, NULL AS {_GROUP} FROM {self.qtable}"
                        + (f" WHERE {' AND '.join(where)}" if where else ""))
            self.base_params = ([key] if group_column is not None else []) + self.where_params
            return
        if group_column is None:
            raise ValueError("several groups need a group column")
        qcol = quote_ident(group_column)
        try:
            self.con.execute(f"SELECT rowid FROM {self.qtable} LIMIT 0")
        except duckdb.Error as exc:
            raise ValueError(f"several groups need a table (with a rowid), not {self.table}") from exc
        # the IN list lets the scan skip other groups' row groups (zone maps)
        where.insert(0, f"t.{qcol} IN ({', '.join('?' * len(keys))})")
        if not columns:  # no values differ between the groups: no join needed
            self.src = (f"SELECT t.*, t.rowid AS {_ROW}, t.{qcol} AS {_GROUP} FROM {self.qtable} t"
                        f" WHERE {' AND '.join(where)}")
            self.base_params = list(keys) + self.where_params
            return
        table, params = values_list([(key, *values[key]) for key in keys], [_GROUP] + columns, "g")
        self.src = (f"SELECT t.*, t.rowid AS {_ROW}, g.* FROM {self.qtable} t"
                    f" JOIN {table} ON t.{qcol} = g.{_GROUP} WHERE {' AND '.join(where)}")
        self.base_params = params + list(keys) + self.where_params

    def key(self, group: Any) -> Any:
        """The caller's key of a group value read from src (one group: NULL)."""
        return self.keys[0] if self.single else group

    def group(self, key: Any) -> Any:
        return None if self.single else key

    def query(self, body: str, params: list | None = None) -> list[tuple]:
        sql = f"WITH src AS ({self.src}) {body}"
        return self.con.execute(sql, self.base_params + list(params or [])).fetchall()

    def column(self, name: str) -> tuple[str, str]:
        """(quoted name, type); a missing column is an errored expectation."""
        if name not in self.types:
            raise _Errored(f'column "{name}" does not exist in {self.table}')
        return quote_ident(name), self.types[name]

    def is_null(self, name: str) -> str:
        """Null as GE on pandas sees it: NULL, and NaN in float columns."""
        q, t = self.column(name)
        if _kind(t) == "float":
            return f"({q} IS NULL OR isnan({q}))"
        return f"({q} IS NULL)"

    def group_key(self, name: str) -> str:
        """A grouping key in which NaN and NULL are the same (pandas duplicated())."""
        q, t = self.column(name)
        if _kind(t) == "float":
            return f"(CASE WHEN isnan({q}) THEN NULL ELSE {q} END)"
        return q


def _mostly_ok(considered: int, unexpected: int, mostly: float) -> bool:
    """GE's rule: vacuously true when nothing is considered, else the share of considered
    rows that pass must reach `mostly`."""
    if considered == 0:
        return True
    return (considered - unexpected) / considered >= mostly


# --------------------------------------------------------------------------- expectation types
# Each expectation becomes a _Plan: SQL conditions counted for all expectations together in
# one pass over the rows (one aggregate query, GROUP BY the group: a submission), then
# per-expectation queries only where needed: duplicate groups for the uniqueness checks,
# samples for failures -- each once for all groups, never once per group.


@dataclass
class _Plan:
    considered: str  # rows the expectation looks at (GE: non-null / not ignored rows)
    unexpected: str | None  # failing rows; None: counted from duplicate groups
    params: list  # bound values of `unexpected`, in order
    sample: str | None  # select list of a sampled failing row; None: all-null sample
    pair: bool = False  # sample rows are [a, b] lists
    dup_names: list | None = None  # uniqueness: the key columns
    dup_keys: list | None = None  # their grouping expressions


def _plan_not_null(rel: _Relation, kw: dict) -> _Plan:
    # GE: not_null considers every row (an all-null column fails)
    return _Plan("TRUE", rel.is_null(kw["column"]), [], None)


def _plan_in_set(rel: _Relation, kw: dict) -> _Plan:
    q, coltype = rel.column(kw["column"])
    null = rel.is_null(kw["column"])
    value_set = kw["value_set"]
    if value_set is None:  # GE: vacuously true
        return _Plan(f"NOT {null}", "FALSE", [], q)
    if not isinstance(value_set, (list, tuple, set, frozenset)):
        raise _Errored(f"value_set must be a list, not {type(value_set).__name__}")
    values = list(value_set)
    # pandas isin() never matches across kinds ("1" is not 1): drop values of another
    # kind rather than let DuckDB cast the column to the set's type
    kind = _kind(coltype)
    if kind == "text":
        values = [v for v in values if isinstance(v, str)]
    elif kind in ("int", "float", "decimal"):
        values = [v for v in values if _bound_kind(v) == "number"]
    if not values:  # nothing is in an empty set (and an empty list has no SQL type)
        return _Plan(f"NOT {null}", f"NOT {null}", [], q)
    return _Plan(f"NOT {null}", f"NOT {null} AND NOT list_contains(?, {q})", [values], q)


def _bound_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, (dt.date, dt.datetime)):
        return "temporal"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _decimal_bound(value, coltype: str, is_min: bool, strict: bool):
    """A numeric bound for a DECIMAL(p,s) column, compared exactly as Python compares a
    Decimal with an int/float (what GE does on pandas, where money is kept as Decimal):
    the bound's exact value is used; when it has more decimal places than the column, it
    is rounded towards the allowed range and the comparison made inclusive (no column value
    can equal it)."""
    match = _DECIMAL.match(coltype.upper())
    try:
        exact = Decimal(value)  # exact for floats too: Decimal(0.1) is 0.1000000000000000055...
    except (InvalidOperation, ValueError, TypeError):
        return value, strict
    if not match or not exact.is_finite():
        return value, strict
    scale = int(match.group(2))
    quantum = Decimal(1).scaleb(-scale)
    rounded = exact.quantize(quantum, rounding=ROUND_CEILING if is_min else ROUND_FLOOR)
    if rounded != exact:
        strict = False
    if len(rounded.as_tuple().digits) > 38:  # beyond any DECIMAL; compare as a double
        return float(value), strict
    return rounded, strict


def _plan_between(rel: _Relation, kw: dict) -> _Plan:
    column = kw["column"]
    q, coltype = rel.column(column)
    null = rel.is_null(column)
    lo, hi = kw.get("min_value"), kw.get("max_value")
    if lo is None and hi is None:
        raise _Errored("min_value and max_value cannot both be None")
    kind = _kind(coltype)
    wanted = {"int": "number", "float": "number", "decimal": "number",
              "temporal": "temporal", "text": "text"}.get(kind)
    for bound in (lo, hi):
        if bound is not None and wanted is not None and _bound_kind(bound) != wanted:
            raise _Errored(
                f"cannot compare {coltype} column {column!r} with bound {bound!r} "
                f"({type(bound).__name__}); dates must be given as datetime.date"
            )
    if lo is not None and hi is not None:
        try:
            if lo > hi:
                raise _Errored("min_value cannot be greater than max_value")
        except TypeError as exc:
            raise _Errored(f"min_value and max_value are not comparable: {exc}") from exc
    strict_min, strict_max = bool(kw.get("strict_min")), bool(kw.get("strict_max"))
    parts, params = [], []
    if lo is not None:
        if kind == "decimal":
            lo, strict_min = _decimal_bound(lo, coltype, True, strict_min)
        parts.append(f"{q} {'>' if strict_min else '>='} ?")
        params.append(lo)
    if hi is not None:
        if kind == "decimal":
            hi, strict_max = _decimal_bound(hi, coltype, False, strict_max)
        parts.append(f"{q} {'<' if strict_max else '<='} ?")
        params.append(hi)
    return _Plan(f"NOT {null}", f"NOT {null} AND NOT ({' AND '.join(parts)})", params, q)


def _plan_unique(rel: _Relation, kw: dict) -> _Plan:
    column = kw["column"]
    return _Plan(f"NOT {rel.is_null(column)}", None, [], None,
                 dup_names=[column], dup_keys=[rel.group_key(column)])


def _plan_compound_unique(rel: _Relation, kw: dict) -> _Plan:
    names = list(kw["column_list"])
    nulls = [rel.is_null(c) for c in names]
    mode = kw.get("ignore_row_if", "all_values_are_missing")
    keep = {
        "all_values_are_missing": f"NOT ({' AND '.join(nulls)})",
        "any_value_is_missing": f"NOT ({' OR '.join(nulls)})",
        "never": "TRUE",
    }.get(mode)
    if keep is None:
        raise _Errored(f"unknown ignore_row_if {mode!r}")
    return _Plan(keep, None, [], None, dup_names=names, dup_keys=[rel.group_key(c) for c in names])


def _plan_pair_a_greater_than_b(rel: _Relation, kw: dict) -> _Plan:
    qa, _ = rel.column(kw["column_A"])
    qb, _ = rel.column(kw["column_B"])
    na, nb = rel.is_null(kw["column_A"]), rel.is_null(kw["column_B"])
    mode = kw.get("ignore_row_if", "both_values_are_missing")
    keep = {
        "both_values_are_missing": f"NOT ({na} AND {nb})",
        "either_value_is_missing": f"NOT ({na} OR {nb})",
        "neither": "TRUE",
    }.get(mode)
    if keep is None:
        raise _Errored(f"unknown ignore_row_if {mode!r}")
    op = ">=" if kw.get("or_equal") else ">"
    # a missing side is never "greater": the row fails unless ignored (as on pandas)
    bad = f"{keep} AND (CASE WHEN {na} OR {nb} THEN TRUE ELSE NOT ({qa} {op} {qb}) END)"
    return _Plan(keep, bad, [], f"{qa}, {qb}", pair=True)


_PLANNERS = {
    "expect_column_values_to_not_be_null": _plan_not_null,
    "expect_column_values_to_be_in_set": _plan_in_set,
    "expect_column_values_to_be_between": _plan_between,
    "expect_column_values_to_be_unique": _plan_unique,
    "expect_compound_columns_to_be_unique": _plan_compound_unique,
    "expect_column_pair_values_a_to_be_greater_than_b": _plan_pair_a_greater_than_b,
}
_TABLE_LEVEL = {"expect_table_row_count_to_be_between"}
assert set(_PLANNERS) | _TABLE_LEVEL == set(SUPPORTED_EXPECTATIONS)


def _row_count_ok(n: int, kw: dict) -> bool:
    lo, hi = kw.get("min_value"), kw.get("max_value")
    for bound in (lo, hi):
        if bound is not None and _bound_kind(bound) != "number":
            raise _Errored(f"row count bounds must be numbers, not {bound!r}")
    ok = True
    if lo is not None:
        ok &= n > lo if kw.get("strict_min") else n >= lo
    if hi is not None:
        ok &= n < hi if kw.get("strict_max") else n <= hi
    return ok


@dataclass
class _Batch:
    """One expectation over the groups whose plans are the same SQL (normally all of them:
    only the bound values differ). With several groups those values are columns of src."""
    index: int
    plan: _Plan
    keys: list


def _batches(plans: dict, rel: _Relation, keys: list) -> tuple[list[_Batch], list[str], dict]:
    """Each expectation's plans over the groups, batched by their SQL, and the columns of
    the groups' values (key -> values in column order) when there are several groups and
    a batch's groups bind different values (e.g. each its own period's dates)."""
    by_sql: dict[tuple, _Batch] = {}
    for key in keys:
        for index, plan in plans[key].items():
            sql = (index, plan.considered, plan.unexpected, plan.sample, plan.pair,
                   tuple(plan.dup_keys or ()), tuple(type(v) for v in plan.params))
            if sql not in by_sql:
                by_sql[sql] = _Batch(index, plan, [])
            by_sql[sql].keys.append(key)
    batches = list(by_sql.values())
    if len(keys) == 1:
        return batches, [], {}
    columns, values = [], {key: [] for key in keys}
    for number, batch in enumerate(batches):
        if all(plans[key][batch.index].params == batch.plan.params for key in batch.keys):
            continue  # the same values for every group: bound once, as for one group
        names = [f"__openbook_p{number}_{k}" for k in range(len(batch.plan.params))]
        for key in keys:
            mine = key in batch.keys
            values[key].extend(plans[key][batch.index].params if mine else [None] * len(names))
        columns += names
        # the plan's placeholders become the group's column (identifiers never hold a '?')
        parts = batch.plan.unexpected.split("?") if batch.plan.unexpected else []
        if names:
            unexpected = parts[0] + "".join(f"{n}{p}" for n, p in zip(names, parts[1:]))
            batch.plan = _Plan(**{**batch.plan.__dict__, "unexpected": unexpected, "params": []})
    return batches, columns, values


def _aggregate(rel: _Relation, batches: list[_Batch], only: Any = None) -> dict[Any, tuple[int, list]]:
    """Per group value: row count, and (considered, unexpected-or-None) per batch, in one
    pass (GROUP BY the group); `only`: that group's rows alone."""
    select, params = [f"{_GROUP}", "count(*)"], []
    for batch in batches:
        select.append(f"count(*) FILTER (WHERE {batch.plan.considered})")
        if batch.plan.unexpected is not None:
            select.append(f"count(*) FILTER (WHERE {batch.plan.unexpected})")
            params.extend(batch.plan.params)
    where = f" WHERE {_GROUP} = ?" if only is not None else ""
    result = {}
    for group, n, *values in rel.query(
            f"SELECT {', '.join(select)} FROM src{where} GROUP BY {_GROUP}",
            params + ([only] if only is not None else [])):
        values = iter(values)
        result[group] = (n, [(next(values), next(values) if b.plan.unexpected is not None else None)
                             for b in batches])
    return result


def _duplicates(rel: _Relation, plan: _Plan, as_dict: bool) -> dict[Any, tuple[int, list]]:
    """Per group value: rows (among the considered) whose key occurs more than once in the
    group, nulls equal to each other as in pandas duplicated(); (count, sample)."""
    names = plan.dup_names
    key_sql = ", ".join(f"{k} AS {quote_ident(c)}" for k, c in zip(plan.dup_keys, names))
    groups = (
        f"SELECT {_GROUP}, {key_sql}, count(*) AS n FROM src WHERE {plan.considered} "
        f"GROUP BY ALL HAVING count(*) > 1"
    )
    order = ", ".join(f"{quote_ident(c)} NULLS FIRST" for c in names)
    # one aggregation gives both the count (a window over the group's duplicate keys) and
    # its first keys in key order
    rows = rel.query(
        f"SELECT *, sum(n) OVER (PARTITION BY {_GROUP}) AS total FROM ({groups}) "
        f"QUALIFY row_number() OVER (PARTITION BY {_GROUP} ORDER BY {order}) <= {SAMPLE_SIZE} "
        f"ORDER BY {_GROUP}, {order}"
    )
    result: dict[Any, tuple[int, list]] = {}
    for group, *values, count, total in rows:
        bad, sample = result.setdefault(group, (int(total), []))
        item = dict(zip(names, values)) if as_dict else values[0]
        sample.extend([jsonable(item)] * min(count, SAMPLE_SIZE - len(sample)))
    return result


def _samples(rel: _Relation, plan: _Plan, bad: dict) -> dict[Any, list]:
    """Per group value with failing rows (`bad`: group value -> count): its first
    SAMPLE_SIZE failing values in table order."""
    if plan.sample is None:  # not_null: the failing values are the nulls
        return {group: [None] * min(n, SAMPLE_SIZE) for group, n in bad.items()}
    if len(bad) == 1 and rel.single:
        body, params = f"SELECT {_GROUP}, {plan.sample} FROM src WHERE {plan.unexpected} LIMIT {SAMPLE_SIZE}", []
    else:
        body = (f"SELECT {_GROUP}, {plan.sample} FROM src WHERE ({plan.unexpected}) AND list_contains(?, {_GROUP})"
                f" QUALIFY row_number() OVER (PARTITION BY {_GROUP} ORDER BY {_ROW}) <= {SAMPLE_SIZE}"
                f" ORDER BY {_GROUP}, {_ROW}")
        params = [list(bad)]
    result: dict[Any, list] = {group: [] for group in bad}
    for group, *values in rel.query(body, plan.params + params):
        result[group].append(jsonable(list(values) if plan.pair else values[0]))
    return result


def validate_relation(
    con: duckdb.DuckDBPyConnection,
    table: str,
    suite_path: Path,
    parameters: dict | None = None,
    where: str | None = None,
    where_params: list | None = None,
) -> SuiteOutcome:
    """Validate a DuckDB table, view or registered relation against a suite file.

    `where` is an optional SQL filter written by the calling code (e.g. "load_id = ?"),
    with `?` placeholders whose values are `where_params`; it is applied to every query.
    Outcomes are in the suite file's order.  An expectation that cannot be evaluated
    (missing column, incomparable bound, SQL error) is errored: success=False.
    """
    return validate_groups(con, table, suite_path, None, {None: parameters or {}}, where, where_params)[None]


def validate_groups(
    con: duckdb.DuckDBPyConnection,
    table: str,
    suite_path: Path,
    group_column: str | None,
    parameters: dict[Any, dict],
    where: str | None = None,
    where_params: list | None = None,
) -> dict[Any, SuiteOutcome]:
    """Validate each group of a table's rows -- the rows whose `group_column` is the key
    (e.g. one submission's load_id) -- against a suite file, each with its own suite
    parameters (`parameters`: key -> parameters), as if each group were validated alone.

    Every expectation is evaluated once over all groups (GROUP BY the key; the groups'
    bound values are a VALUES list joined on the key), not once per group. Several groups
    need a table (its rowid orders each group's failing rows as a scan of the group
    alone would). `group_column` None: one group, all rows (validate_relation).
    """
    suite_path = Path(suite_path)
    suite = load_suite(suite_path)
    keys = list(parameters)
    if not keys:
        return {}
    if group_column is None and len(keys) > 1:
        raise ValueError("several groups need a group column")
    for index, exp in enumerate(suite["expectations"]):
        if exp["type"] not in _PLANNERS and exp["type"] not in _TABLE_LEVEL:
            raise UnsupportedExpectation(  # load_suite already refuses these; belt and braces
                f"{suite_path}: expectation #{index}: the SQL runner does not support {exp['type']!r}"
            )
    rel = _Relation(con, table, where, where_params)
    kwargs = {key: [substitute(exp["kwargs"], resolve_parameters(suite, parameters[key], suite_path))
                    for exp in suite["expectations"]] for key in keys}

    errors: dict[Any, dict[int, str]] = {key: {} for key in keys}
    plans: dict[Any, dict[int, _Plan]] = {key: {} for key in keys}
    for key in keys:
        for index, exp in enumerate(suite["expectations"]):
            if exp["type"] in _PLANNERS:
                try:
                    plans[key][index] = _PLANNERS[exp["type"]](rel, kwargs[key][index])
                except _Errored as exc:
                    errors[key][index] = str(exc)
    batches, columns, values = _batches(plans, rel, keys)
    rel.bind(group_column, keys, columns, values)

    # per key: row count, and (considered, unexpected) per expectation index
    n_rows = {key: 0 for key in keys}
    counts: dict[Any, dict[int, tuple]] = {key: {} for key in keys}

    def take(found: dict, chosen: list[_Batch]) -> None:
        for group, (n, per_batch) in found.items():
            key = rel.key(group)
            n_rows[key] = n
            for batch, count in zip(chosen, per_batch):
                if key in batch.keys:
                    counts[key][batch.index] = count

    try:
        take(_aggregate(rel, batches), batches)
    except duckdb.Error:  # one expectation's SQL fails: find it (and the groups), keep the others
        take(_aggregate(rel, []), [])
        for batch in batches:
            for key in ([None] if rel.single else batch.keys):
                try:
                    take(_aggregate(rel, [batch], key), [batch])
                except duckdb.Error as exc:
                    for k in (batch.keys if key is None else [key]):
                        errors[k][batch.index] = f"{type(exc).__name__}: {exc}"

    # failing rows' samples (and the uniqueness checks' counts), one query per batch
    found: dict[tuple, tuple] = {}
    for batch in batches:
        exp = suite["expectations"][batch.index]
        try:
            if batch.plan.unexpected is None:
                dups = _duplicates(rel, batch.plan, exp["type"] == "expect_compound_columns_to_be_unique")
                for group, result in dups.items():
                    found[rel.key(group), batch.index] = result
            else:
                bad = {rel.group(key): counts[key][batch.index][1] for key in batch.keys
                       if batch.index in counts[key] and counts[key][batch.index][1]}
                for group, sample in (_samples(rel, batch.plan, bad) if bad else {}).items():
                    found[rel.key(group), batch.index] = (bad[group], sample)
        except duckdb.Error as exc:
            for key in batch.keys:
                errors[key].setdefault(batch.index, f"{type(exc).__name__}: {exc}")

    return {key: SuiteOutcome(suite=suite["name"], outcomes=[
        _outcome(suite, index, exp, kwargs[key][index], n_rows[key], errors[key].get(index),
                 counts[key].get(index), found.get((key, index), (0, [])))
        for index, exp in enumerate(suite["expectations"])]) for key in keys}


def _outcome(suite: dict, index: int, exp: dict, kw: dict, n_rows: int, error: str | None,
             count: tuple | None, found: tuple[int, list]) -> ExpectationOutcome:
    """One expectation's outcome on one group, from its counts (considered, unexpected),
    and its (unexpected, sample) from the duplicate or sample query."""
    common = outcome_identity(suite, index, exp)
    try:
        if error is not None:
            raise _Errored(error)
        if exp["type"] in _TABLE_LEVEL:
            return ExpectationOutcome(
                **common, success=_row_count_ok(n_rows, kw), errored=False, error_message=None,
                element_count=n_rows, unexpected_count=0, observed_value=n_rows,
            )
        considered, bad = count if count is not None else (0, None)
        if bad is None:  # uniqueness: counted from the duplicate groups
            bad = found[0]
        sample = found[1]
        return ExpectationOutcome(
            **common, success=_mostly_ok(considered, bad, kw.get("mostly", 1)), errored=False,
            error_message=None, element_count=n_rows, unexpected_count=int(bad),
            unexpected_sample=sample,
        )
    except _Errored as exc:
        return ExpectationOutcome(
            **common, success=False, errored=True, error_message=str(exc),
            element_count=n_rows, unexpected_count=0,
        )
