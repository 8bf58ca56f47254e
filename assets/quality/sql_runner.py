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

__all__ = ["validate_relation", "quote_ident", "quote_table", "UnsupportedExpectation"]

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


class _Relation:
    """The rows to validate: a table/view, optionally filtered by a where clause."""

    def __init__(self, con, table: str, where: str | None, where_params: list | None):
        if where_params and not where:
            raise ValueError("where_params given without a where clause")
        if where is not None and ";" in where:
            raise ValueError("the where clause must be a single expression (no ';')")
        self.con = con
        self.table = table
        qtable = quote_table(table)
        self.src = f"SELECT * FROM {qtable}" + (f" WHERE ({where})" if where else "")
        self.base_params = list(where_params or [])
        self.types = {
            row[0]: str(row[1])
            for row in con.execute(f"DESCRIBE SELECT * FROM {qtable}").fetchall()
        }

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
# one pass over the rows (one aggregate query), then per-expectation queries only where
# needed: duplicate groups for the uniqueness checks, samples for failures.


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


def _aggregate(rel: _Relation, plans: dict[int, _Plan]) -> tuple[int, dict[int, tuple]]:
    """Row count, and (considered, unexpected-or-None) per plan, in one pass."""
    select, params = ["count(*)"], []
    for plan in plans.values():
        select.append(f"count(*) FILTER (WHERE {plan.considered})")
        if plan.unexpected is not None:
            select.append(f"count(*) FILTER (WHERE {plan.unexpected})")
            params.extend(plan.params)
    (row,) = rel.query(f"SELECT {', '.join(select)} FROM src", params)
    values = iter(row)
    n = next(values)
    counts = {}
    for index, plan in plans.items():
        considered = next(values)
        counts[index] = (considered, next(values) if plan.unexpected is not None else None)
    return n, counts


def _duplicates(rel: _Relation, plan: _Plan, as_dict: bool) -> tuple[int, list]:
    """Rows (among the considered) whose key occurs more than once; nulls equal each
    other, as in pandas duplicated().  Returns (count, sample)."""
    names = plan.dup_names
    key_sql = ", ".join(f"{k} AS {quote_ident(c)}" for k, c in zip(plan.dup_keys, names))
    groups = (
        f"SELECT {key_sql}, count(*) AS n FROM src WHERE {plan.considered} "
        f"GROUP BY ALL HAVING count(*) > 1"
    )
    order = ", ".join(f"{quote_ident(c)} NULLS FIRST" for c in names)
    # one aggregation gives both the count (a window over the duplicate groups) and a sample
    rows = rel.query(
        f"SELECT *, sum(n) OVER () AS total FROM ({groups}) ORDER BY {order} LIMIT {SAMPLE_SIZE}"
    )
    bad = int(rows[0][-1]) if rows else 0
    sample: list = []
    for *values, count, _ in rows:
        item = dict(zip(names, values)) if as_dict else values[0]
        sample.extend([jsonable(item)] * min(count, SAMPLE_SIZE - len(sample)))
        if len(sample) >= SAMPLE_SIZE:
            break
    return bad, sample


def _sample(rel: _Relation, plan: _Plan, bad: int) -> list:
    if not bad:
        return []
    if plan.sample is None:  # not_null: the failing values are the nulls
        return [None] * min(bad, SAMPLE_SIZE)
    rows = rel.query(f"SELECT {plan.sample} FROM src WHERE {plan.unexpected} LIMIT {SAMPLE_SIZE}",
                     plan.params)
    return [jsonable(list(r) if plan.pair else r[0]) for r in rows]


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
    suite_path = Path(suite_path)
    suite = load_suite(suite_path)
    params = resolve_parameters(suite, parameters, suite_path)
    for index, exp in enumerate(suite["expectations"]):
        if exp["type"] not in _PLANNERS and exp["type"] not in _TABLE_LEVEL:
            raise UnsupportedExpectation(  # load_suite already refuses these; belt and braces
                f"{suite_path}: expectation #{index}: the SQL runner does not support {exp['type']!r}"
            )
    rel = _Relation(con, table, where, where_params)
    kwargs = [substitute(exp["kwargs"], params) for exp in suite["expectations"]]

    errors: dict[int, str] = {}
    plans: dict[int, _Plan] = {}
    for index, exp in enumerate(suite["expectations"]):
        if exp["type"] in _PLANNERS:
            try:
                plans[index] = _PLANNERS[exp["type"]](rel, kwargs[index])
            except _Errored as exc:
                errors[index] = str(exc)
    try:
        n_rows, counts = _aggregate(rel, plans)
    except duckdb.Error:  # one expectation's SQL fails: find it, keep the others
        ((n_rows,),) = rel.query("SELECT count(*) FROM src")
        counts = {}
        for index, plan in plans.items():
            try:
                counts[index] = _aggregate(rel, {index: plan})[1][index]
            except duckdb.Error as exc:
                errors[index] = f"{type(exc).__name__}: {exc}"

    outcomes = []
    for index, exp in enumerate(suite["expectations"]):
        kw = kwargs[index]
        common = outcome_identity(suite, index, exp)
        try:
            if index in errors:
                raise _Errored(errors[index])
            if exp["type"] in _TABLE_LEVEL:
                outcomes.append(ExpectationOutcome(
                    **common, success=_row_count_ok(n_rows, kw), errored=False, error_message=None,
                    element_count=n_rows, unexpected_count=0, observed_value=n_rows,
                ))
                continue
            plan = plans[index]
            considered, bad = counts[index]
            if plan.unexpected is None:
                bad, sample = _duplicates(rel, plan, as_dict=exp["type"] == "expect_compound_columns_to_be_unique")
            else:
                sample = _sample(rel, plan, bad)
            outcomes.append(ExpectationOutcome(
                **common, success=_mostly_ok(considered, bad, kw.get("mostly", 1)), errored=False,
                error_message=None, element_count=n_rows, unexpected_count=int(bad),
                unexpected_sample=sample,
            ))
        except (_Errored, duckdb.Error) as exc:
            message = f"{type(exc).__name__}: {exc}" if isinstance(exc, duckdb.Error) else str(exc)
            outcomes.append(ExpectationOutcome(
                **common, success=False, errored=True, error_message=message,
                element_count=n_rows, unexpected_count=0,
            ))
    return SuiteOutcome(suite=suite["name"], outcomes=outcomes)
