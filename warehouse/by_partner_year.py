"""rpt_ tables kept by partner and financial year: after a late file, only the partner-years whose
lines changed are computed again (dbt's delete+insert strategy, by key).

The models of PARTNER_YEAR_MODELS are made from each partner's lines of one financial year on
their own: every row has a partner (partner_id, or icb_id in rpt_plan_vs_actual) and a fy, and its
figures are sums and running totals over that partner's lines of that year (their GROUP BY and
PARTITION BY hold the partner, or a key only one partner has: rpt_plan_vs_actual's scheme_id, its
key being scheme and month, and the year, or the period within it) and small tables; besides, each
gives a partner-year a row for every month reported in the year, or up to the latest month reported
(by anyone: the months of fct_ledger). So a partner-year's rows change only when its lines do, or
the months, the small tables or the model's SQL. The lines are fct_mh_ledger's (rpt_open_book,
rpt_mh_spend, rpt_mh_budget) or fct_ledger's (rpt_agency_spend, rpt_plan_vs_actual: every line,
an agency's name normalised by a regexp on each, a scheme's spend), as PARTNER_YEAR_MODELS says.

- the lines are fingerprinted per partner-year from change markers (warehouse/change_markers.py),
  without reading a line: a load is one partner's file for one month (stg_ledger stages each line
  with its load's partner and period, as load_log records them), so the sum of its loads' hash
  sums is the hash sum of a partner-year's rows: fct_mh_ledger's markers, or for fct_ledger (a
  view) stg_ledger's of the loads dq_load_status passes, fct_ledger's SQL and the tables it joins
  being hashed with the model's inputs;
- compared with the fingerprints kept at the last build (`model_state`), the partner-years new,
  gone or changed are the ones reached. Their rows are deleted and the model's own query inserts
  them again, run on narrowed lines (a CTE named as the table in front of the query) and kept to
  those partner-years (a budget or a scheme of another partner comes out of the narrowed query
  without its spend): fct_mh_ledger narrowed to the partners and years reached, with fct_ledger's
  months, all these models read of it, from load_log and the markers (warehouse/ledger_months.py);
  fct_ledger narrowed to the loads of the partner-years reached and, so that its months (its
  latest, for one) are the whole ledger's, the smallest load of each month. Each partner-year
  reached is whole inside the narrowed lines, so its rows are those of a whole build;
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

MH_LINES = "fct_mh_ledger"
LEDGER = "fct_ledger"


@dataclass(frozen=True)
class Kept:
    lines: str                   # the table of lines its partner-years are made from: MH_LINES or LEDGER
    partner: str = "partner_id"  # the column of its rows naming the partner whose lines they sum


PARTNER_YEAR_MODELS = {
    "rpt_open_book": Kept(MH_LINES), "rpt_mh_spend": Kept(MH_LINES), "rpt_mh_budget": Kept(MH_LINES),
    "rpt_agency_spend": Kept(LEDGER), "rpt_plan_vs_actual": Kept(LEDGER, partner="icb_id"),
}


@dataclass(frozen=True)
class Built:
    how: str             # "full: <why>" or "by partner-year"
    partner_years: int   # partner-years computed again (by partner-year)


@dataclass(frozen=True)
class PartnerYears:
    fingerprints: dict[str, tuple[int, int]]  # (rows, hash sum) per 'partner|fy'
    loads: dict[str, list[str]]               # the loads with lines of each 'partner|fy'
    months: dict[str, str]                    # each month's load with the fewest lines (fct_ledger's only)


def build(con: duckdb.DuckDBPyConnection, model: str, params: dict | None = None) -> Built:
    """Bring `model` up to date, by partner-year where it can (see the module docstring)."""
    kept = PARTNER_YEAR_MODELS[model]
    by_load.create_state(con)
    create = run_macros(con, model_graph().models[model].sql_name, params)
    now = _partner_years(con, kept.lines)
    months = ledger_months.months(con) if now is not None else None
    trusted = months is not None
    inputs = _inputs_fingerprint(con, model, months)
    why, reached = _why_full(con, model, inputs, now.fingerprints if trusted else None)
    with transaction(con):
        if why:
            execute(con, create, params)
        elif reached:
            keys = sorted(reached)
            kept_to = f"list_contains($keys, {kept.partner} || '|' || fy)"
            execute(con, f"DELETE FROM {model} WHERE {kept_to}", {"keys": keys})
            narrowed, bound = _narrowed(query_part(create), kept.lines, keys, now, months)
            execute(con, f"INSERT INTO {model} SELECT * FROM ({narrowed}) WHERE {kept_to}",
                    {**(params or {}), **bound, "keys": keys})
        con.execute(f"DELETE FROM {by_load.STATE} WHERE model = $m", {"m": model})
        if trusted:  # model_state's loads column holds a partner-year ('partner|fy') each
            prints = now.fingerprints
            keys = sorted(prints)  # the hash sums as text: a Python int past 64 bits would be bound as a DOUBLE
            con.execute(f"""INSERT INTO {by_load.STATE} SELECT $m, $how, $inputs, (SELECT count(*) FROM {model}),
                            (SELECT coalesce(list({{'load_id': key, 'lines': lines,
                                                    'content': CAST(content AS HUGEINT)}} ORDER BY key), [])
                             FROM (SELECT unnest($keys) AS key, unnest($lines) AS lines,
                                          unnest($contents) AS content))""",
                        {"m": model, "how": f"full: {why}" if why else "by partner-year", "inputs": inputs,
                         "keys": keys, "lines": [prints[k][0] for k in keys],
                         "contents": [str(prints[k][1]) for k in keys]})
    return Built(f"full: {why}" if why else "by partner-year", 0 if why else len(reached))


def _narrowed(query: str, lines: str, keys: list[str], now: PartnerYears, months: list[str]) -> tuple[str, dict]:
    """`query` on the lines of the partner-years `keys` (see the module docstring), with its bound values."""
    if lines == MH_LINES:  # fct_ledger as its months: a model reading more of it fails to bind
        narrowed = (f"{MH_LINES} AS NOT MATERIALIZED (SELECT * FROM main.{MH_LINES}"
                    f" WHERE list_contains($partners, partner_id) AND list_contains($years, fy)), {ledger_months.CTE}")
        return with_ctes(query, narrowed), {"partners": sorted({k.split("|", 1)[0] for k in keys}),
                                            "years": sorted({k.split("|", 1)[1] for k in keys}), "months": months}
    loads = {load for key in keys for load in now.loads.get(key, [])} | set(now.months.values())
    narrowed = f"{LEDGER} AS NOT MATERIALIZED (SELECT * FROM main.{LEDGER} WHERE list_contains($loads, load_id))"
    return with_ctes(query, narrowed), {"loads": sorted(loads)}


def _marked_loads(con: duckdb.DuckDBPyConnection, lines: str) -> dict[str, tuple[int, int]] | None:
    """Each load's (rows, hash sum) in `lines` from the change markers; None when they cannot be trusted.
    fct_ledger is a view of stg_ledger's lines of the loads dq_load_status passes."""
    if lines == MH_LINES:
        return change_markers.loads(con, MH_LINES)
    staged = change_markers.loads(con, "stg_ledger")
    if staged is None:
        return None
    passed = {load for (load,) in con.execute("SELECT load_id FROM dq_load_status WHERE status = 'passed'"
                                              " AND list_contains($l, load_id)", {"l": sorted(staged)}).fetchall()}
    return {load: marked for load, marked in staged.items() if load in passed}


def _partner_years(con: duckdb.DuckDBPyConnection, lines: str) -> PartnerYears | None:
    """`lines`' fingerprint and loads per 'partner|fy', from its markers and load_log; None when the
    markers cannot be trusted."""
    if not change_markers.kept(con):
        return None
    marked = _marked_loads(con, lines)
    if marked is None:
        return None
    known = {load: (key, period) for load, key, period in con.execute(
        "SELECT load_id, partner_id || '|' || fy_of(period), period FROM load_log WHERE list_contains($l, load_id)",
        {"l": sorted(marked)}).fetchall()}
    found: dict[str, tuple[int, int]] = {}
    loads: dict[str, list[str]] = {}
    smallest: dict[str, tuple[int, str]] = {}
    for load, (n, content) in sorted(marked.items()):
        if n == 0:
            continue
        if load not in known:  # lines of a load load_log does not know: no partner-year to put them in
            return None
        key, period = known[load]
        rows, total = found.get(key, (0, 0))
        found[key] = (rows + n, total + content)
        loads.setdefault(key, []).append(load)
        if lines == LEDGER:  # fct_ledger's models narrow its lines to keep each month (_narrowed)
            smallest[period] = min(smallest.get(period, (n, load)), (n, load))
    months = {period: load for period, (_, load) in smallest.items()}
    return PartnerYears(found, loads, months)


def _why_full(con: duckdb.DuckDBPyConnection, model: str, inputs: str,
              now: dict[str, tuple[int, int]] | None) -> tuple[str | None, set[str]]:
    """(why the model is built whole, or None; the partner-years reached, as 'partner|fy')."""
    if now is None:
        return "the ledgers' change markers cannot be trusted", set()
    why = by_load.why_full(con, model, inputs, "its SQL, the months reported or a table it reads changed")
    if why:
        return why, set()
    (loads,) = con.execute(f"SELECT loads FROM {by_load.STATE} WHERE model = $m", {"m": model}).fetchone()
    was = {row["load_id"]: (row["lines"], row["content"]) for row in loads}
    return None, {key for key in was.keys() | now.keys() if was.get(key) != now.get(key)}


def _inputs_fingerprint(con: duckdb.DuckDBPyConnection, model: str, months: list[str] | None) -> str:
    """sha256 of the model's SQL, the months fct_ledger reports and every other table it reads; for a
    model of fct_ledger's lines, fct_ledger's SQL and the tables it joins to stg_ledger too. Not hashed:
    its lines (followed by partner-year) and fct_ledger, of which the others read only the months (a
    model of fct_ledger's lines reading fct_mh_ledger too has it hashed: built whole when it changes)."""
    graph = model_graph().models
    lines = PARTNER_YEAR_MODELS[model].lines
    texts, tables = [graph[model].path.read_text(encoding="utf-8"), repr(months)], set(graph[model].reads)
    if lines == LEDGER:
        texts.append(graph[LEDGER].path.read_text(encoding="utf-8"))
        tables |= graph[LEDGER].reads - by_load.BY_LOAD
    return fingerprints.inputs(con, texts, sorted(tables - {lines, LEDGER, model}))
