"""The line models' repeated keys checked by load: after a late file, only its load's rows.

The line models (LINE_MODELS) hold one row per ledger line, or per line and contract or
geography, and their keys include load_id, so two rows sharing a key are always rows of the same
load. Their `keys_unique` check (assets/model_checks.py) groups every row by its key: on a view
that means computing the view over the whole ledger. Yet a load's rows of a line model are made
from that load's lines alone (each line joined to small tables, never to another load's lines):
they change only when the load's staged lines, its status (passed or not), the SQL of the models
on the way or one of the other tables read on the way change. So, as the by-load build of
fct_mh_ledger (warehouse/by_load.py) does:

- the loads the model holds are listed with the fingerprint of their staged lines (stg_ledger's
  change markers, warehouse/change_markers.py, of the loads dq_load_status passes: by_load.LOADS);
- the inputs are fingerprinted: the SQL of the model and of every line model it reads through,
  and the content of every other table read on the way (reference tables, dimensions, and
  fct_contract_years, which is made from the whole ledger and so is hashed whole);
- when the inputs are those of the last check that passed, only the loads new or changed since
  are grouped (a `list_contains($loads, load_id)` filter DuckDB pushes into the ledger's scan):
  the other loads' rows are the rows found free of repeated keys then. Anything else (no check
  passed yet, the last one failed, other inputs, a lake, which keeps no markers) and every row is
  grouped, as before.

The state of the last check that passed is a row of `model_state` (model "<model> keys_unique"),
beside the by-load build's own.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse import by_load, change_markers, fingerprints
from warehouse.model_graph import model_graph

# Models whose rows of a load are made from that load's lines and small tables only (each line is
# joined to contracts, dimensions or geographies, never grouped or windowed with other lines), each
# keyed by load_id and more. Written out to be read in review; a test requires it to be exactly the
# models their SQL makes line by line (warehouse/line_models.py).
LINE_MODELS = frozenset({"fct_ledger", "fct_mh_ledger", "fct_drilldown", "fct_lead_provider_ledger",
                         "fct_mh_ledger_by_recipient", "fct_sector_share_ledger", "fct_contract_payment_lines"})
# The ledger itself, followed load by load: stg_ledger's lines (their change markers) and which
# loads pass (dq_load_status, whose status is all fct_ledger reads of it).
LEDGER = frozenset({"stg_ledger", "dq_load_status"})
CHECK = "keys_unique"


@dataclass(frozen=True)
class Scope:
    """What to group: `loads` (None: every row), and what to record when no key repeats."""
    model: str
    loads: list[str] | None
    inputs: str | None  # None: not recorded (a lake)


def scope(con: duckdb.DuckDBPyConnection, model: str) -> Scope:
    """The loads of `model` whose rows must be grouped now (see the module docstring)."""
    if not change_markers.kept(con):
        return Scope(model, None, None)
    change_markers.settle(con, ["stg_ledger"])  # a no-op unless a write since left loads unsettled
    by_load.create_state(con)
    inputs = inputs_fingerprint(con, model)
    con.execute(f"CREATE OR REPLACE TEMP TABLE keys_loads_now AS {by_load.LOADS}")
    state = con.execute(f"SELECT inputs FROM {by_load.STATE} WHERE model = $m", {"m": _state_name(model)}).fetchone()
    if state is None or state[0] != inputs:
        return Scope(model, None, inputs)
    new = con.execute(f"SELECT load_id FROM (SELECT * FROM keys_loads_now EXCEPT SELECT unnest(loads, recursive := true)"
                      f" FROM {by_load.STATE} WHERE model = $m) ORDER BY 1", {"m": _state_name(model)}).fetchall()
    return Scope(model, [r[0] for r in new], inputs)


def record(con: duckdb.DuckDBPyConnection, checked: Scope, passed: bool) -> None:
    """Keep what the check passed on (the loads listed by `scope`), or forget it when it failed."""
    if checked.inputs is None:
        return
    con.execute(f"DELETE FROM {by_load.STATE} WHERE model = $m", {"m": _state_name(checked.model)})
    if passed:
        con.execute(f"""INSERT INTO {by_load.STATE} SELECT $m, $how, $inputs, NULL,
                        (SELECT coalesce(list({{'load_id': load_id, 'lines': lines, 'content': content}}
                                              ORDER BY load_id), []) FROM keys_loads_now)""",
                    {"m": _state_name(checked.model), "inputs": checked.inputs,
                     "how": "every row" if checked.loads is None else "by load"})
    con.execute("DROP TABLE IF EXISTS keys_loads_now")


def inputs_fingerprint(con: duckdb.DuckDBPyConnection, model: str) -> str:
    """sha256 of the SQL of `model` and the line models it reads through, and of the content of
    every other table they read."""
    graph = model_graph()
    files, tables, todo = {}, set(), [model]
    while todo:
        name = todo.pop()
        if name in files:
            continue
        files[name] = graph.models[name].path.read_text(encoding="utf-8")
        for table in graph.models[name].reads - {name}:
            if table in LINE_MODELS:
                todo.append(table)
            elif table not in LEDGER:
                tables.add(table)
    return fingerprints.inputs(con, [f"{name}\n{files[name]}" for name in sorted(files)], sorted(tables))


def _state_name(model: str) -> str:
    return f"{model} {CHECK}"
