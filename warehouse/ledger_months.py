"""The months fct_ledger reports, without reading a line, for the models that read nothing else of it.

Six models read fct_ledger only for its months (each month with a line, its fy and fy_month):
`SELECT DISTINCT period FROM fct_ledger` reads the period of every line the view passes (0.6 s CPU
a model at 10M lines). The months are known without it: stg_ledger stages each line with its load's
period, as load_log records it, fct_ledger keeps the lines of the loads dq_load_status passes, and
stg_ledger's change markers say how many lines each load staged (warehouse/change_markers.py). So
where those markers can be trusted, such a model runs its own SQL with fct_ledger replaced by a CTE
of the months (a model reading any other column of it fails to bind, rather than reading less);
where they cannot (a lake, a warehouse from before the markers, lines of a load no writer named),
it reads the view as its SQL says. Either way the same rows (tests/warehouse/test_ledger_months.py).
The models kept by partner-year take their months from here too (warehouse/by_partner_year.py).
"""
from __future__ import annotations

import duckdb

from warehouse import change_markers
from warehouse.model_graph import model_graph, query_part, with_ctes
from warehouse.sql_files import execute, run_macros

MONTHS_READERS = frozenset({"fct_contract_years", "fct_icb_payment_shares", "rpt_sector_share",
                            "rpt_sector_share_by_recipient", "rpt_system_by_payer",
                            "rpt_system_by_payer_service_line"})
# fct_ledger as far as these models read it: the bound $months with each month's year.
CTE = ("fct_ledger AS (SELECT period, fy_of(period) AS fy, fy_month_of(period) AS fy_month"
       " FROM unnest(CAST($months AS VARCHAR[])) AS m(period))")


def months(con: duckdb.DuckDBPyConnection) -> list[str] | None:
    """fct_ledger's months in order, from load_log, dq_load_status and stg_ledger's markers; None
    when the markers cannot be trusted."""
    staged = change_markers.loads(con, "stg_ledger") if change_markers.kept(con) else None
    if staged is None:
        return None
    with_lines = sorted(load for load, (lines, _) in staged.items() if lines > 0)
    (found,) = con.execute("""SELECT coalesce(list(DISTINCT l.period ORDER BY l.period), []) FROM load_log l
                              JOIN dq_load_status d ON d.load_id = l.load_id AND d.status = 'passed'
                              WHERE list_contains($loads, l.load_id)""", {"loads": with_lines}).fetchone()
    return found


def build(con: duckdb.DuckDBPyConnection, model: str, params: dict | None = None) -> str:
    """Build `model` (one of MONTHS_READERS) from its SQL file; returns where its months came from.
    Run inside the caller's transaction."""
    create = run_macros(con, model_graph().models[model].sql_name, params)
    found = months(con)
    if found is None:
        execute(con, create, params)
        return "fct_ledger (change markers not trusted)"
    query = query_part(create)
    head = create[:create.rindex(query)]  # "CREATE OR REPLACE TABLE <model> AS "
    execute(con, head + with_ctes(query, CTE), {**(params or {}), "months": found})
    return "change markers"
