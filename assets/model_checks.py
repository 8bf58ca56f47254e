"""Checks on the marts and rpt_ tables, evaluated by the model's own asset right after it is
built (assets/warehouse_assets.py), so a failure blocks what reads it in the same run: nothing
downstream is built, nothing is published and no report is replaced.

- `keys_unique` (every model whose SQL header names its Keys, so a new rpt_ file gets it):
  no two rows share a key.
- Reconciliations across layers, each recomputed from the layer below by a query of its own
  (not the model's SQL):
  fct_ledger  `reconciles_to_staged`: its lines and pounds equal the staged lines of the
              current submissions whose checks ran and no ERROR check failed (from load_log
              and dq_results, not dq_load_status);
  rpt_open_book `net_equals_staged_minus_eliminations`: gross = staged mental-health
              expenditure of those submissions, eliminated = fct_mh_ledger's eliminations,
              net = gross - eliminated, all to the penny;
  rpt_mh_spend / rpt_open_book `not_empty`: rows whenever a passed submission holds
              mental-health expenditure;
  rpt_mhis_categories `adds_up_to_mhis_and_mh_spend`: per ICB and year its MHIS categories
              add up to rpt_mhis's MHIS spend, and with the exclusions to its mental-health spend.
The first two add their totals up load by load and read only the loads whose rows may have changed
since they last did (warehouse/totals_by_load.py); which submissions pass is decided afresh each time.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

import dagster as dg
import duckdb

from warehouse import fingerprints, keys_by_load, totals_by_load
from warehouse.sql_docs import ModelDoc

# The passed submissions, recomputed from the ingest's own tables.
_PASSED_LINES = """
    SELECT s.* FROM stg_ledger s
    JOIN load_log l ON l.load_id = s.load_id AND l.status = 'current'
    WHERE EXISTS (SELECT 1 FROM dq_results r WHERE r.load_id = s.load_id)
      AND NOT EXISTS (SELECT 1 FROM dq_results r WHERE r.load_id = s.load_id AND r.severity = 'ERROR' AND NOT r.passed)
"""
_STAGED_MH_GROSS = f"""
    SELECT coalesce(sum(p.amount), 0) FROM ({_PASSED_LINES}) p
    JOIN ref_service_lines sl ON sl.service_line = p.service_line AND sl.mental_health
    WHERE p.line_type = 'expenditure'
"""

Evaluation = tuple[bool, dict]


@dataclass(frozen=True)
class ModelCheck:
    name: str
    description: str
    evaluate: Callable[[duckdb.DuckDBPyConnection, str, ModelDoc], Evaluation]

    def spec(self, table: str) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(name=self.name, asset=table, description=self.description, blocking=True)

    def result(self, con: duckdb.DuckDBPyConnection, table: str, doc: ModelDoc) -> dg.AssetCheckResult:
        passed, metadata = self.evaluate(con, table, doc)
        return dg.AssetCheckResult(asset_key=table, check_name=self.name, passed=passed, metadata=metadata,
                                   severity=dg.AssetCheckSeverity.ERROR)


def _keys_unique(con, table: str, doc: ModelDoc) -> Evaluation:
    keys = ", ".join(f'"{k}"' for k in doc.keys)
    # A line model's rows of loads unchanged since the last check that passed are not grouped
    # again (warehouse/keys_by_load.py): their keys include load_id, so none can repeat a new row's.
    scope = keys_by_load.scope(con, table) if table in keys_by_load.LINE_MODELS else None
    loads = scope.loads if scope else None
    where = "" if loads is None else " WHERE list_contains($loads, load_id)"
    # One grouping of the table for both the count of repeated keys and the five examples: on a
    # ledger-sized view each grouping computes the view again.
    rows = con.execute(f'SELECT *, count(*) OVER () FROM (SELECT {keys}, count(*) AS n FROM "{table}"{where} '
                       f"GROUP BY ALL HAVING count(*) > 1) ORDER BY n DESC LIMIT 5",
                       {} if loads is None else {"loads": loads}).fetchall()
    duplicated = rows[0][-1] if rows else 0
    if scope:
        keys_by_load.record(con, scope, passed=duplicated == 0)
    metadata = {"keys": ", ".join(doc.keys), "duplicated_keys": dg.MetadataValue.int(duplicated),
                **({} if scope is None else {"loads_grouped": "all" if loads is None else str(len(loads))})}
    if rows:
        metadata["examples"] = dg.MetadataValue.md("\n".join(f"- {r[:-2]}: {r[-2]} rows" for r in rows))
    return duplicated == 0, metadata


def _money(value) -> str:
    return f"{value:,.2f}"


# Each reconciliation adds up its sides load by load (warehouse/totals_by_load.py: a load's total is
# read again only when its rows may have changed), then keeps the loads that count. `{loads}` is where
# the load filter goes.
_STAGED_BY_LOAD = "SELECT load_id, count(*), coalesce(sum(amount), 0) FROM stg_ledger WHERE {loads} GROUP BY ALL"
_STAGED_MH_BY_LOAD = """
    SELECT s.load_id, count(*), coalesce(sum(s.amount), 0) FROM stg_ledger s
    JOIN ref_service_lines sl ON sl.service_line = s.service_line AND sl.mental_health
    WHERE s.line_type = 'expenditure' AND {loads} GROUP BY ALL"""
_FCT_BY_LOAD = "SELECT load_id, count(*), coalesce(sum(amount), 0) FROM fct_ledger WHERE {loads} GROUP BY ALL"
_ELIMINATED_BY_LOAD = ("SELECT load_id, count(*), coalesce(sum(eliminated_spend), 0) FROM fct_mh_ledger "
                       "WHERE {loads} GROUP BY ALL")
# The submissions that pass, from the ingest's own tables (as _PASSED_LINES): each with the number of
# its current load_log rows, which that join counts each staged line by.
_PASSED_LOADS = """
    SELECT l.load_id, count(*) FROM load_log l WHERE l.status = 'current'
      AND EXISTS (SELECT 1 FROM dq_results r WHERE r.load_id = l.load_id)
      AND NOT EXISTS (SELECT 1 FROM dq_results r WHERE r.load_id = l.load_id AND r.severity = 'ERROR' AND NOT r.passed)
    GROUP BY ALL"""


def _staged(con, name: str, query: str, lines: dict[str, str] | None, also: str = "") -> tuple[int, Decimal]:
    """Lines and pounds of the passed submissions' staged lines that `query` adds up by load, given
    the staged lines' fingerprints by load (`lines`, totals_by_load.fingerprints_of)."""
    listed = None if lines is None else {load: f"{fp}|{also}" for load, fp in lines.items()}
    by_load = totals_by_load.totals(con, name, query, listed)
    passed = dict(con.execute(_PASSED_LOADS).fetchall())
    return _sum(by_load, passed)


def _sum(by_load: totals_by_load.Totals, times: dict[str, int] | None = None) -> tuple[int, Decimal]:
    picked = [(lines * n, amount * n) for load, (lines, amount) in by_load.items()
              for n in [1 if times is None else times.get(load, 0)]]
    return sum(lines for lines, _ in picked), sum((amount for _, amount in picked), Decimal(0))


def _fct_ledger_loads(con, lines: dict[str, str] | None) -> dict[str, str] | None:
    """fct_ledger's loads, each with what its rows are made from: its staged lines' fingerprint, its
    status and the view's definition and other inputs; None (every row read) unless it is a view."""
    view = con.execute("SELECT sql FROM duckdb_views() WHERE database_name = current_database() "
                       "AND schema_name = 'main' AND view_name = 'fct_ledger'").fetchone()
    if lines is None or view is None:
        return None
    status = dict(con.execute("SELECT load_id, string_agg(status, ',' ORDER BY status) FROM dq_load_status "
                              "GROUP BY ALL").fetchall())
    inputs = keys_by_load.inputs_fingerprint(con, "fct_ledger") + hashlib.sha256(view[0].encode("utf-8")).hexdigest()
    return {load: f"{fp}|{status.get(load)}|{inputs}" for load, fp in lines.items()}


def _fct_ledger_reconciles(con, table: str, doc: ModelDoc) -> Evaluation:
    lines = totals_by_load.fingerprints_of(con, "stg_ledger")
    staged = _staged(con, "staged lines", _STAGED_BY_LOAD, lines)
    built = _sum(totals_by_load.totals(con, "fct_ledger lines", _FCT_BY_LOAD, _fct_ledger_loads(con, lines)))
    return staged == built, {
        "staged_lines": dg.MetadataValue.int(staged[0]), "fct_lines": dg.MetadataValue.int(built[0]),
        "staged_amount": _money(staged[1]), "fct_amount": _money(built[1]),
        "difference": _money(built[1] - staged[1])}


def _open_book_reconciles(con, table: str, doc: ModelDoc) -> Evaluation:
    _, staged = _staged(con, "staged mental-health expenditure", _STAGED_MH_BY_LOAD,
                        totals_by_load.fingerprints_of(con, "stg_ledger"),
                        also=fingerprints.table(con, "ref_service_lines"))
    listed = totals_by_load.fingerprints_of(con, "fct_mh_ledger")
    if listed is None:  # every row, not by load (a lake, or a table made by hand without load ids)
        (eliminated,) = con.execute("SELECT coalesce(sum(eliminated_spend), 0) FROM fct_mh_ledger").fetchone()
    else:
        _, eliminated = _sum(totals_by_load.totals(con, "fct_mh_ledger eliminations", _ELIMINATED_BY_LOAD, listed))
    gross, elim, net = con.execute("SELECT coalesce(sum(gross_spend), 0), coalesce(sum(eliminated_spend), 0), "
                                   "coalesce(sum(net_spend), 0) FROM rpt_open_book").fetchone()
    passed = gross == staged and elim == eliminated and net == staged - eliminated
    return passed, {"staged_mh_expenditure": _money(staged), "eliminations": _money(eliminated),
                    "open_book_gross": _money(gross), "open_book_eliminated": _money(elim),
                    "open_book_net": _money(net), "expected_net": _money(staged - eliminated)}


def _not_empty(con, table: str, doc: ModelDoc) -> Evaluation:
    (rows,) = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    if rows > 0:  # passes whatever was staged: the staged lines (every line read) are counted for an empty table only
        return True, {"rows": dg.MetadataValue.int(rows)}
    (staged,) = con.execute(f"SELECT count(*) FROM ({_STAGED_MH_GROSS.replace('coalesce(sum(p.amount), 0)', '1')})"
                            ).fetchone()
    return staged == 0, {"rows": dg.MetadataValue.int(rows),
                         "passed_mh_expenditure_lines": dg.MetadataValue.int(staged)}


def _mhis_categories_reconcile(con, table: str, doc: ModelDoc) -> Evaluation:
    """Per ICB-year, the MHIS categories add up to rpt_mhis's MHIS spend and every row to its
    mental-health spend: MHIS spend + each exclusion = mental-health spend, to the penny."""
    rows = con.execute("""
        SELECT m.icb_id, m.fy, m.mhis_spend, m.mh_spend,
               coalesce(sum(c.amount) FILTER (WHERE c.in_mhis), 0) AS categories, coalesce(sum(c.amount), 0) AS all_rows
        FROM rpt_mhis m LEFT JOIN rpt_mhis_categories c ON c.icb_id = m.icb_id AND c.fy = m.fy
        GROUP BY ALL
        HAVING m.mhis_spend <> categories OR m.mh_spend <> all_rows
        ORDER BY ALL""").fetchall()
    metadata = {"icb_years_not_adding_up": dg.MetadataValue.int(len(rows))}
    if rows:
        metadata["examples"] = dg.MetadataValue.md("\n".join(
            f"- {icb} {fy}: MHIS spend {_money(mhis)} vs categories {_money(cat)}; "
            f"MH spend {_money(mh)} vs all rows {_money(total)}" for icb, fy, mhis, mh, cat, total in rows[:5]))
    return not rows, metadata


KEYS_UNIQUE = ModelCheck("keys_unique", "No two rows share the key its SQL header names (Keys:)", _keys_unique)
NOT_EMPTY = ModelCheck("not_empty", "Has rows whenever a passed submission holds mental-health expenditure",
                       _not_empty)
RECONCILIATIONS: dict[str, list[ModelCheck]] = {
    "fct_ledger": [ModelCheck(
        "reconciles_to_staged",
        "Lines and pounds equal the staged lines of every current submission that passed its ERROR checks",
        _fct_ledger_reconciles)],
    "rpt_open_book": [ModelCheck(
        "net_equals_staged_minus_eliminations",
        "Gross = staged mental-health expenditure of passed submissions; net = gross - fct_mh_ledger's eliminations",
        _open_book_reconciles), NOT_EMPTY],
    "rpt_mh_spend": [NOT_EMPTY],
    "rpt_mhis_categories": [ModelCheck(
        "adds_up_to_mhis_and_mh_spend",
        "Per ICB and year the MHIS categories add up to rpt_mhis's MHIS spend, and with the exclusions to its "
        "mental-health spend", _mhis_categories_reconcile)],
}


def checks_for(table: str, doc: ModelDoc) -> list[ModelCheck]:
    return ([KEYS_UNIQUE] if doc.keys else []) + RECONCILIATIONS.get(table, [])
