"""rpt_ tables kept by partner and financial year: after a late file, only the partner-years whose
mental-health lines changed are computed again (dbt's delete+insert strategy, by key).

The models of PARTNER_YEAR_MODELS are made from each partner's lines of one financial year on
their own: every row has a partner_id and a fy, and its figures are sums and running totals over
that partner's fct_mh_ledger lines of that year (their GROUP BY and PARTITION BY hold partner_id
and the year, or the period within it) and small tables; besides, `rpt_open_book` gives each
partner-year a row for every month reported in the year and `rpt_mh_budget` each budget's months up
to the latest reported (by anyone: the months of fct_ledger). So a partner-year's rows change only
when its lines do, or the months, the small tables or the model's SQL.

- fct_mh_ledger's lines are fingerprinted per partner-year from its change markers
  (warehouse/change_markers.py), without reading a line: a load is one partner's file for one
  month (stg_ledger stages each line with its load's partner and period, as load_log records
  them), so the sum of its loads' hash sums is the hash sum of a partner-year's rows;
- compared with the fingerprints kept at the last build (`model_state`), the partner-years new,
  gone or changed are the ones reached. The rows of their partners' and years' every combination
  are deleted and the model's own query inserts them again, run on fct_mh_ledger narrowed to those
  partners and years (a CTE of that name in front of the query; another gives fct_ledger's months,
  all these models read of it, from load_log and the change markers: warehouse/ledger_months.py) and
  kept to those partners and years (a budget of another partner comes out of the narrowed query without its spend): each
  partner-year inside the narrowed lines is whole, so its rows are those of a whole build;
- the model is built whole when anything else may have changed: its SQL, the months of
  fct_ledger, any other table it reads (hashed), the table not as its last build left it, or
  markers that cannot be trusted (a lake).

Deleting and inserting in one transaction with the new state, a failed build leaves the table and
its state as they were.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse import by_load, change_markers, fingerprints, ledger_months
from warehouse.model_graph import model_graph, query_part, with_ctes
from warehouse.sql_files import execute, run_macros, transaction

PARTNER_YEAR_MODELS = frozenset({"rpt_open_book", "rpt_mh_spend", "rpt_mh_budget"})
LINES = "fct_mh_ledger"
_NOT_HASHED = frozenset({LINES, "fct_ledger"})


@dataclass(frozen=True)
class Built:
    how: str             # "full: <why>" or "by partner-year"
    partner_years: int   # partner-years computed again (by partner-year)


def build(con: duckdb.DuckDBPyConnection, model: str, params: dict | None = None) -> Built:
    """Bring `model` up to date, by partner-year where it can (see the module docstring)."""
    by_load.create_state(con)
    create = run_macros(con, model_graph().models[model].sql_name, params)
    now = _partner_years(con)
    months = ledger_months.months(con) if now is not None else None
    trusted = months is not None
    inputs = _inputs_fingerprint(con, model, months)
    why, reached = _why_full(con, model, inputs, now if trusted else None)
    with transaction(con):
        if why:
            execute(con, create, params)
        elif reached:
            narrowed = {"partners": sorted({p for p, _ in reached}), "years": sorted({y for _, y in reached}),
                        "months": months}
            kept_to = "list_contains($partners, partner_id) AND list_contains($years, fy)"
            execute(con, f"DELETE FROM {model} WHERE {kept_to}", narrowed)
            execute(con, f"INSERT INTO {model} SELECT * FROM ({_narrowed(query_part(create))}) WHERE {kept_to}",
                    {**(params or {}), **narrowed})
        con.execute(f"DELETE FROM {by_load.STATE} WHERE model = $m", {"m": model})
        if trusted:  # model_state's loads column holds a partner-year ('partner|fy') each
            keys = sorted(now)  # the hash sums as text: a Python int past 64 bits would be bound as a DOUBLE
            con.execute(f"""INSERT INTO {by_load.STATE} SELECT $m, $how, $inputs, (SELECT count(*) FROM {model}),
                            (SELECT coalesce(list({{'load_id': key, 'lines': lines,
                                                    'content': CAST(content AS HUGEINT)}} ORDER BY key), [])
                             FROM (SELECT unnest($keys) AS key, unnest($lines) AS lines,
                                          unnest($contents) AS content))""",
                        {"m": model, "how": f"full: {why}" if why else "by partner-year", "inputs": inputs,
                         "keys": keys, "lines": [now[k][0] for k in keys],
                         "contents": [str(now[k][1]) for k in keys]})
    return Built(f"full: {why}" if why else "by partner-year", 0 if why else len(reached))


def _narrowed(query: str) -> str:
    """`query` with fct_mh_ledger narrowed to the bound $partners' lines in the bound $years, and
    fct_ledger to its months (the bound $months: a model reading more of it fails to bind)."""
    lines = (f"{LINES} AS (SELECT * FROM main.{LINES} WHERE list_contains($partners, partner_id)"
             " AND list_contains($years, fy))")
    return with_ctes(query, f"{lines}, {ledger_months.CTE}")


def _partner_years(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]] | None:
    """fct_mh_ledger's (rows, hash sum) per 'partner|fy', from its markers and load_log; None when
    the markers cannot be trusted."""
    if not change_markers.kept(con):
        return None
    marked = change_markers.loads(con, LINES)
    if marked is None:
        return None
    partner_year = dict(con.execute("SELECT load_id, partner_id || '|' || fy_of(period) FROM load_log "
                                    "WHERE list_contains($l, load_id)", {"l": sorted(marked)}).fetchall())
    found: dict[str, tuple[int, int]] = {}
    for load, (n, content) in marked.items():
        if n == 0:
            continue
        key = partner_year.get(load)
        if key is None:  # lines of a load load_log does not know: no partner-year to put them in
            return None
        rows, total = found.get(key, (0, 0))
        found[key] = (rows + n, total + content)
    return found


def _why_full(con: duckdb.DuckDBPyConnection, model: str, inputs: str,
              now: dict[str, tuple[int, int]] | None) -> tuple[str | None, set[tuple[str, str]]]:
    """(why the model is built whole, or None; the partner-years reached)."""
    if now is None:
        return "the ledgers' change markers cannot be trusted", set()
    why = by_load.why_full(con, model, inputs, "its SQL, the months reported or a table it reads changed")
    if why:
        return why, set()
    (loads,) = con.execute(f"SELECT loads FROM {by_load.STATE} WHERE model = $m", {"m": model}).fetchone()
    was = {row["load_id"]: (row["lines"], row["content"]) for row in loads}
    changed = {key for key in was.keys() | now.keys() if was.get(key) != now.get(key)}
    return None, {tuple(key.split("|", 1)) for key in changed}


def _inputs_fingerprint(con: duckdb.DuckDBPyConnection, model: str, months: list[str] | None) -> str:
    """sha256 of the model's SQL, the months fct_ledger reports and every other table it reads."""
    graph = model_graph().models[model]
    return fingerprints.inputs(con, [graph.path.read_text(encoding="utf-8"), repr(months)],
                               sorted(graph.reads - _NOT_HASHED - {model}))
