"""rpt_ tables kept up to date by key after a late file: the keys a changed load reaches are
deleted and made again by the model's own SQL; every other row stays.

A table qualifies when which of its keys a load reaches has a simple proof, written beside it in
REACH. rpt_contracts (a row per contract and financial year): its row is the contract year of
fct_contract_years (reference contracts over the months the ledger reports, dim_partner) with the
sum of its payment lines, the commissioner's expenditure lines naming the provider in that year
(fct_contract_payment_lines), and names from dim_partner, dim_service_line and ref_places. A load
is one partner's file for one month: its lines are that partner's, in that month's financial year.
So when fct_contract_years and the small tables are as at the last build, a load reaches only the
contract years whose commissioner is its partner in its financial year; a load that brings the
first line of a month, or takes the last, changes fct_contract_years (months elapsed), and then
the table is rebuilt whole.

What was built from is kept in `model_state` (model "<table> by key"), as for fct_mh_ledger
(warehouse/by_load.py): the loads the ledger held with their staged lines' fingerprints
(by_load.LOADS, from stg_ledger's change markers) and a fingerprint of everything else: the SQL of
the table and of the models on its way to the ledger, the settings it binds, and the content of
every other table read on the way (keys_by_load.inputs_fingerprint walks the same graph). The
table is rebuilt whole when that fingerprint differs, on the first build, when the table is not
as its last build left it (missing, another row count), and on a lake (which keeps no markers).
Otherwise the loads gone or new since are listed (with their partner and month: load_log keeps
every load, superseded ones too), the reached keys deleted and the model's query, filtered to
them, inserted, in one transaction with the new state.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import duckdb

from warehouse import by_load, change_markers, keys_by_load
from warehouse.model_graph import model_graph, query_part
from warehouse.sql_docs import parse_model_doc
from warehouse.sql_files import execute, sql_text, statements, transaction

# The keys of each table kept by key that the loads in the temp table `reached_by` (partner_id,
# fy: the changed loads' partners and financial years) reach, read from tables whose content is
# part of the inputs' fingerprint (so the same as at the last build). The proof is the module's.
REACH = {
    "rpt_contracts": """SELECT DISTINCT c.contract_id, c.fy FROM fct_contract_years c
                        JOIN reached_by r ON r.partner_id = c.commissioner_id AND r.fy = c.fy""",
}


@dataclass(frozen=True)
class Built:
    how: str      # "by key", or "full: <why>"
    loads: int    # loads gone or new since the last build (by key)
    keys: int     # keys deleted and made again (by key)


def build(con: duckdb.DuckDBPyConnection, model: str, params: dict) -> Built:
    """Bring `model` (a key of REACH) up to date, by key where it can (see the module docstring)."""
    sql_name = model_graph().models[model].sql_name
    if not change_markers.kept(con):  # a lake: no markers to tell which loads changed
        _run_whole(con, sql_name, params)
        return Built("full: no change markers", 0, 0)
    by_load.create_state(con)
    change_markers.settle(con, ["stg_ledger"])
    inputs = _inputs(con, model, params)
    con.execute(f"CREATE OR REPLACE TEMP TABLE by_key_loads AS {by_load.LOADS}")
    why = by_load.why_full(con, _state_name(model), model, inputs, "its SQL, settings or the tables on its way changed")
    with transaction(con):
        if why:
            _run_whole(con, sql_name, params)
            loads, keys = 0, 0
        else:
            loads, keys = _by_key(con, model, sql_name, params)
        by_load.record(con, _state_name(model), model, f"full: {why}" if why else "by key", inputs, "by_key_loads")
    con.execute("DROP TABLE by_key_loads")
    return Built(f"full: {why}" if why else "by key", loads, keys)


def _run_whole(con: duckdb.DuckDBPyConnection, sql_name: str, params: dict) -> None:
    for statement in statements(sql_text(sql_name)):
        execute(con, statement, params)


def _by_key(con: duckdb.DuckDBPyConnection, model: str, sql_name: str, params: dict) -> tuple[int, int]:
    was = f"SELECT unnest(loads, recursive := true) FROM {by_load.STATE} WHERE model = $m"
    changed = [r[0] for r in con.execute(
        f"SELECT load_id FROM (({was} EXCEPT SELECT * FROM by_key_loads) UNION (SELECT * FROM by_key_loads EXCEPT {was}))",
        {"m": _state_name(model)}).fetchall()]
    if not changed:
        return 0, 0
    con.execute("""CREATE OR REPLACE TEMP TABLE reached_by AS
                   SELECT DISTINCT partner_id, fy_of(period) AS fy FROM load_log WHERE list_contains($loads, load_id)""",
                {"loads": changed})
    con.execute(f"CREATE OR REPLACE TEMP TABLE reached_keys AS {REACH[model]}")
    (reached,) = con.execute("SELECT count(*) FROM reached_keys").fetchone()
    same_key = " AND ".join(f'k."{key}" IS NOT DISTINCT FROM m."{key}"'
                            for key in parse_model_doc(sql_text(sql_name)).keys)
    con.execute(f"DELETE FROM {model} m WHERE EXISTS (SELECT 1 FROM reached_keys k WHERE {same_key})")
    *before, create = statements(sql_text(sql_name))
    for statement in before:  # the macros the query uses
        execute(con, statement, params)
    execute(con, f"INSERT INTO {model} SELECT m.* FROM ({query_part(create)}) m SEMI JOIN reached_keys k ON {same_key}",
            params)
    con.execute("DROP TABLE reached_by")
    con.execute("DROP TABLE reached_keys")
    return len(changed), reached


def _inputs(con: duckdb.DuckDBPyConnection, model: str, params: dict) -> str:
    """What besides the ledger's lines the table is made from: the SQL and tables on its way (as its
    keys check fingerprints them), the settings it binds, and the reach rule."""
    bound = {k: params[k] for k in sorted(model_graph().models[model].params)}
    digest = hashlib.sha256(keys_by_load.inputs_fingerprint(con, model).encode("utf-8"))
    digest.update(json.dumps(bound, sort_keys=True, default=str).encode("utf-8"))
    digest.update(REACH[model].encode("utf-8"))
    return digest.hexdigest()


def _state_name(model: str) -> str:
    return f"{model} by key"
