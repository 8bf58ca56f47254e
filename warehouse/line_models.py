"""Which models are made line by line, read from their SQL: the check on the hand-written list
warehouse/keys_by_load.LINE_MODELS.

A model is made line by line when each of its rows comes from one row of one ledger line source
(stg_ledger, or a model made line by line) joined to other tables only, and its keys include
load_id. What keys_by_load does with such a model (group only the loads that changed) is sound
only then: a load's rows are made from that load's lines, so a repeated key is always within one
load. So the SQL of a line model may not, over its lines (in any query whose FROM reads them):

- group, aggregate, window or DISTINCT them (a row would be made from several lines),
- read its line sources more than once in one FROM (a line joined to other lines),
- read them in a subquery of an expression or in a set operation (UNION, EXCEPT, ...).

A CTE over lines is a line source for the queries after it, so it may be read once only. What
the lines are joined to (reference tables, dimensions, a whole-ledger table such as
fct_contract_years) is not looked at here: keys_by_load fingerprints every such table whole.

Read with DuckDB's parser (`json_serialize_sql`, nothing bound), as the model graph is.
"""
from __future__ import annotations

from functools import lru_cache

import duckdb

from warehouse.model_graph import Model, ModelGraph, parse_tree, query_part
from warehouse.sql_docs import parse_model_doc
from warehouse.sql_files import statements

LINES = frozenset({"stg_ledger"})  # the ledger's own lines, one row per line


def line_models(graph: ModelGraph) -> dict[str, list[str]]:
    """Every model that reads ledger lines, by name, with why it is not made line by line (an
    empty list: it is). Line sources grow from stg_ledger through the models made line by line."""
    sources, found = set(LINES), {}
    grew = True
    while grew:
        grew = False
        for name, model in sorted(graph.models.items()):
            if name in sources or not model.reads & sources:
                continue
            problems = model_problems(model, frozenset(sources))
            found[name] = problems
            if not problems:
                sources.add(name)
                grew = True
    return found


def model_problems(model: Model, sources: frozenset[str]) -> list[str]:
    """Why `model` is not made line by line from `sources` (none: it is)."""
    text = model.path.read_text(encoding="utf-8")
    problems = [] if "load_id" in parse_model_doc(text).keys else ["its keys do not include load_id"]
    con = duckdb.connect()
    try:
        for statement in statements(text):
            query = query_part(statement)
            if query is None:
                continue
            for tree in parse_tree(con, query, str(model.path))["statements"]:
                _query_node(tree["node"], set(sources), problems)
    finally:
        con.close()
    return list(dict.fromkeys(problems))  # each reason once


@lru_cache(maxsize=1)
def _aggregates() -> frozenset[str]:
    con = duckdb.connect()
    try:
        rows = con.execute("SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'aggregate'")
        return frozenset(r[0] for r in rows.fetchall())
    finally:
        con.close()


def _query_node(node: dict, sources: set[str], problems: list[str]) -> int:
    """How many line sources the rows of this query come from (0 or 1 when it is line by line);
    what is wrong with it is added to `problems`."""
    if node["type"] == "SET_OPERATION_NODE":
        sides = _query_node(node["left"], set(sources), problems) + _query_node(node["right"], set(sources), problems)
        if sides:
            problems.append(f"a {node.get('setop_type', 'set operation')} over lines")
        return sides
    if node["type"] != "SELECT_NODE":
        problems.append(f"a {node['type']} (not looked into)")
        return 0
    sources = set(sources)
    cte_reads = {}
    for entry in node.get("cte_map", {}).get("map", []):
        if _query_node(entry["value"]["query"]["node"], sources, problems):
            sources.add(entry["key"])
            cte_reads[entry["key"]] = 0
    reads = _from_reads(node.get("from_table"), sources, problems, cte_reads)
    for cte, n in cte_reads.items():
        if n > 1:
            problems.append(f"reads the lines of {cte} {n} times")
    if reads > 1:
        problems.append("joins lines to lines")
    expressions = [node.get(k) for k in ("select_list", "where_clause", "having", "qualify", "group_expressions")]
    if _reads_in_subquery(expressions, sources):
        problems.append("reads lines in a subquery of an expression")
    if reads:
        if node.get("group_expressions") or node.get("aggregate_handling") == "FORCE_AGGREGATES":
            problems.append("groups lines")
        if any(m.get("type") == "DISTINCT_MODIFIER" for m in node.get("modifiers", [])):
            problems.append("takes DISTINCT lines")
        kinds = _expression_kinds(expressions)
        if "window" in kinds:
            problems.append("windows over lines")
        if "aggregate" in kinds:
            problems.append("aggregates lines")
    return reads


def _from_reads(ref: dict | None, sources: set[str], problems: list[str], cte_reads: dict[str, int]) -> int:
    if not ref:
        return 0
    kind = ref.get("type")
    if kind == "BASE_TABLE":
        name = ref["table_name"]
        if name in cte_reads:
            cte_reads[name] += 1
        return int(name in sources)
    if kind == "JOIN":
        if _reads_in_subquery([ref.get("condition")], sources):
            problems.append("reads lines in a join condition's subquery")
        return (_from_reads(ref["left"], sources, problems, cte_reads)
                + _from_reads(ref["right"], sources, problems, cte_reads))
    if kind == "SUBQUERY":
        return _query_node(ref["subquery"]["node"], sources, problems)
    if _reads_in_subquery([ref], sources):  # a table function or VALUES list reading lines
        problems.append(f"reads lines in a {kind}")
    return 0


def _reads_in_subquery(expressions, sources: set[str]) -> bool:
    """Whether an expression tree holds a subquery reading a line source."""
    found: list[bool] = []

    def walk(value, inside: bool) -> None:
        if isinstance(value, dict):
            if inside and value.get("type") == "BASE_TABLE" and value.get("table_name") in sources:
                found.append(True)
            for key, child in value.items():
                walk(child, inside or key == "subquery")
        elif isinstance(value, list):
            for child in value:
                walk(child, inside)

    walk(expressions, False)
    return bool(found)


def _expression_kinds(expressions) -> set[str]:
    """'window' and/or 'aggregate' when the expressions (not their subqueries) use them."""
    kinds: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, dict):
            if value.get("class") == "WINDOW":
                kinds.add("window")
            elif value.get("class") == "FUNCTION" and value.get("function_name") in _aggregates():
                kinds.add("aggregate")
            for key, child in value.items():
                if key != "subquery":
                    walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(expressions)
    return kinds
