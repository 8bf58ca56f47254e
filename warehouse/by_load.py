"""Models kept up to date by load (dbt's delete+insert incremental strategy): fct_mh_ledger and
dq_repeat_payments (KEPT_BY_LOAD).

fct_mh_ledger is one row per mental-health line of fct_ledger, and a line's row depends only on
the line itself and on small tables (dim_service_line, dim_partner, ref_places); dq_repeat_payments
groups lines within one load (its GROUP BY holds load_id), so a load's groups are made from its own
lines only. Rebuilding either reads every line of the ledger, yet after one late partner-month only
one load is new. So:

- the loads in fct_ledger (stg_ledger's lines of the loads dq_load_status passes) are listed,
  each with its line count and a hash of its staged lines: a load's lines can change under the
  same load_id (its period staged again with other mapping tables, a held submission put back
  with lines staged earlier), so status alone would not say what changed. Those figures are
  stg_ledger's change markers, kept by the code that stages it (warehouse/change_markers.py),
  so no staged line is read; a warehouse whose markers cannot be trusted has them made from
  its lines first (the same figures, read from every line once);
- that list is compared with the one kept in `model_state` at the last build: the rows of
  loads gone or changed (superseded, blocked, rejected, restaged) are deleted, and the rows of
  loads new or changed inserted, by the model's own SQL run on fct_ledger narrowed to those loads
  (a CTE of that name in front of its query, so a first pass over lines inside the query is
  narrowed too);
- the model is rebuilt whole when anything else it is made from may have changed: the SQL of
  the model and of what it reads through (fct_ledger, stg_ledger), or the content of any other
  table those files read (dim_service_line, dim_partner, ref_places, ref_partners, the
  cost-centre map, mapping rules, partner aliases, source checks), found by DuckDB's parser so
  a new join is followed without editing this file; also when the table is not as the last
  build left it (missing, or another row count: something else wrote it).

Deleting and inserting in one transaction with the new state and fct_mh_ledger's own change
markers (for the next publish), a failed build leaves the table and its state as they were.
dq_repeat_payments keeps no markers: it has a few hundred rows, which a publish hashes whole.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import duckdb

from warehouse import catalog, change_markers, fingerprints
from warehouse.model_graph import model_graph, query_part, tables_read, with_ctes
from warehouse.sql_files import execute, sql_text, statements, transaction

STATE = "model_state"
MODEL = "fct_mh_ledger"
# The models kept by load, each its own SQL file (sql_name: where the model graph found it).
KEPT_BY_LOAD = frozenset({MODEL, "dq_repeat_payments"})
# The files fct_mh_ledger's lines come through: the fct_ledger view, and the staging that
# writes stg_ledger from raw_ledger with the mapping tables.
THROUGH = ("marts/fct_ledger", "staging/stg_ledger")
# Ledger-sized tables those files read: followed load by load (LOADS), never hashed whole.
BY_LOAD = frozenset({"fct_ledger", "stg_ledger", "raw_ledger", "dq_load_status"})
# The loads fct_ledger holds, as fct_ledger decides them, each with the fingerprint of its lines
# that stg_ledger's change markers keep; on a lake, which keeps none, read from the lines.
LOADS = f"""SELECT m.load_id, m.row_count AS lines, m.content
FROM {change_markers.TABLE} m JOIN dq_load_status d ON d.load_id = m.load_id AND d.status = 'passed'
WHERE m.table_name = 'stg_ledger' AND m.load_id IS NOT NULL"""
LOADS_FROM_LINES = """SELECT s.load_id, count(*) AS lines, sum(hash(s)::HUGEINT) AS content
FROM stg_ledger s JOIN dq_load_status d ON d.load_id = s.load_id AND d.status = 'passed'
GROUP BY s.load_id"""
_CREATES = re.compile(r"(?i)\bcreate\s+(?:or\s+replace\s+)?(?:temp\w*\s+)?(?:table|view)\s+(?:if\s+not\s+exists\s+)?(\w+)")


@dataclass(frozen=True)
class Built:
    how: str          # "full: <why>" or "by load"
    deleted: int      # loads whose rows were deleted (by load)
    inserted: int     # loads whose rows were inserted (by load)


def build(con: duckdb.DuckDBPyConnection, model: str = MODEL) -> Built:
    """Bring `model` (one of KEPT_BY_LOAD) up to date, by load where it can (see the module docstring)."""
    create_state(con)
    inputs = inputs_fingerprint(con, model)
    change_markers.settle(con)  # what staging and the held submissions put back wrote (or, untrusted, every load)
    con.execute(f"CREATE OR REPLACE TEMP TABLE by_load_now AS {LOADS if change_markers.kept(con) else LOADS_FROM_LINES}")
    why = why_full(con, model, inputs, "its SQL or reference data changed")
    how = f"full: {why}" if why else "by load"
    marked = [model] if model in change_markers.MARKED else []
    with transaction(con), change_markers.writing(con, *marked) as touched:
        if why:
            run_query(con, model, f"CREATE OR REPLACE TABLE {model} AS ")
            touched.all()
            gone, new = [], []
        else:
            gone, new = _by_load(con, model)
            touched.loads(gone + new)
        con.execute(f"DELETE FROM {STATE} WHERE model = $m", {"m": model})
        con.execute(f"""INSERT INTO {STATE} SELECT $m, $how, $inputs, (SELECT count(*) FROM {model}),
                        (SELECT coalesce(list({{'load_id': load_id, 'lines': lines, 'content': content}}
                                              ORDER BY load_id), []) FROM by_load_now)""",
                    {"m": model, "how": how, "inputs": inputs})
    con.execute("DROP TABLE by_load_now")
    if marked:
        change_markers.settle(con, marked)
    return Built(how, len(gone), len(new))


def sql_name(model: str) -> str:
    """The SQL file of a model kept by load, as sql_text names it (e.g. "marts/fct_mh_ledger")."""
    return model_graph().models[model].sql_name


def run_query(con: duckdb.DuckDBPyConnection, model: str, prefix: str, loads: list[str] | None = None) -> None:
    """The model's query (its file's one CREATE ... AS statement) after `prefix`, on every line or,
    given `loads`, on fct_ledger narrowed to those loads' lines: one SQL file serves both builds."""
    (statement,) = statements(sql_text(sql_name(model)))
    query = query_part(statement)
    if loads is None:
        execute(con, prefix + query)
    else:  # a load's rows are made from its own lines and small tables (the module docstring)
        execute(con, prefix + with_ctes(query, "fct_ledger AS (SELECT * FROM main.fct_ledger"
                                               " WHERE list_contains($loads, load_id))"), {"loads": loads})


def _by_load(con: duckdb.DuckDBPyConnection, model: str) -> tuple[list[str], list[str]]:
    """Delete the rows of the loads gone or changed since the last build, insert those of the
    loads new or changed; returns (gone, new)."""
    was = f"SELECT unnest(loads, recursive := true) FROM {STATE} WHERE model = $m"
    gone = [r[0] for r in con.execute(f"SELECT load_id FROM ({was} EXCEPT SELECT * FROM by_load_now)",
                                      {"m": model}).fetchall()]
    new = [r[0] for r in con.execute(f"SELECT load_id FROM (SELECT * FROM by_load_now EXCEPT {was})",
                                     {"m": model}).fetchall()]
    if gone:
        con.execute(f"DELETE FROM {model} WHERE list_contains($loads, load_id)", {"loads": gone})
    if new:
        run_query(con, model, f"INSERT INTO {model} ", sorted(new))
    return gone, new


def why_full(con: duckdb.DuckDBPyConnection, model: str, inputs: str, changed: str) -> str | None:
    """Why a model kept by key (its state in model_state) must be built whole: no build kept, its inputs
    not as at that build (``changed`` says which), or the table not as that build left it; else None."""
    state = con.execute(f"SELECT inputs, row_count FROM {STATE} WHERE model = $m", {"m": model}).fetchone()
    if state is None:
        return "first build"
    if state[0] != inputs:
        return changed
    if (not catalog.table_exists(con, model, catalog.current_database(con))
            or con.execute(f"SELECT count(*) FROM {model}").fetchone()[0] != state[1]):
        return "the table is not as its last build left it"
    return None


@lru_cache(maxsize=None)
def reference_tables(model: str = MODEL) -> tuple[str, ...]:
    """The tables other than the ledger that the model's SQL and the files it reads through read
    (once per process: the SQL files ship with the code)."""
    found: set[str] = set()
    for name in (sql_name(model), *THROUGH):
        text = sql_text(name)
        found |= tables_read(text, f"sql/{name}.sql") - set(_CREATES.findall(text))
    return tuple(sorted(found - BY_LOAD - {model}))


def inputs_fingerprint(con: duckdb.DuckDBPyConnection, model: str = MODEL) -> str:
    """sha256 of the SQL texts and of each reference table's fingerprint (columns, rows, hash sum)."""
    return fingerprints.inputs(con, [sql_text(name) for name in (sql_name(model), *THROUGH)],
                               list(reference_tables(model)))


def create_state(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {STATE} (model VARCHAR, how VARCHAR, inputs VARCHAR, row_count BIGINT,
                    loads STRUCT(load_id VARCHAR, lines BIGINT, content HUGEINT)[])""")
    con.execute(f"COMMENT ON TABLE {STATE} IS 'What each model kept up to date by load was last built from "
                "(warehouse/by_load.py): how (by load, or full and why), a fingerprint of its SQL and reference "
                "tables, its row count, and the loads it holds with a fingerprint of each. Grain: one row per "
                "model. Internal.'")
