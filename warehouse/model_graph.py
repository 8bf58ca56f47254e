"""The model graph, read from the SQL itself: which warehouse models exist and what each reads.

A model is a file in sql/marts/ or sql/reports/ whose header names a table with a model
prefix (dim_, fct_, dq_, rpt_); sql/reports/measure_template.sql, for instance, documents
rpt_variation. What a model reads is taken from DuckDB's own parser (`json_serialize_sql`,
the parse tree without binding, so no table need exist): every base table its statements
select from, less the names of its own CTEs. Adding a mart or an rpt_ table is therefore
one SQL file: the Dagster asset factory (assets/warehouse_assets.py) and the scenarios
(workbench/scenarios.py) take the models, their dependencies and their build order from here.

Dependencies are named as Dagster assets: a model, a staging table (sql/staging/ref_*.sql,
stg_ledger) or raw_ledger. The side tables the ingest writes (load_log, quarantine,
skipped_rows, dq_results) count as stg_ledger, the step that completes a period's ingest.

Only statements are parsed, never run. Nothing reads the files at import time.
"""
from __future__ import annotations

import graphlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import duckdb
import yaml

from warehouse.sql_docs import parse_model_doc
from warehouse.sql_files import SQL_DIR, statements

MODEL_LAYERS = ("marts", "reports")
MODEL_PREFIXES = ("dim_", "fct_", "dq_", "rpt_")
# Tables the ingest writes beside raw_ledger and stg_ledger (sql/staging/create_tables.sql):
# a model reading them depends on the ingest having finished, i.e. on stg_ledger.
INGEST_SIDE_TABLES = {"load_log": "stg_ledger", "quarantine": "stg_ledger", "skipped_rows": "stg_ledger",
                      "dq_results": "stg_ledger"}
INGEST_ASSETS = ("raw_ledger", "stg_ledger")
# A model whose header says "-- Built by: <module>" is a table a Python builder fills (its SQL
# file only declares the table and its comments): never run from its file alone.
BUILT_BY = re.compile(r"^-- Built by: ", re.M)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_QUERY_START = {"SELECT", "WITH", "FROM", "VALUES"}


class ModelGraphError(ValueError):
    """A model's SQL cannot be read, or the models form a cycle; the message names the file."""


@dataclass(frozen=True)
class Model:
    name: str                 # the table it builds (its header's first word)
    layer: str                # marts or reports
    path: Path                # the SQL file
    reads: frozenset[str]     # every table its statements read, as written (CTEs excluded)
    params: frozenset[str]    # the $parameters its SQL binds

    @property
    def sql_name(self) -> str:
        """The name run_sql takes: "marts/fct_ledger"."""
        return f"{self.layer}/{self.path.stem}"

    @property
    def plain(self) -> bool:
        """Built by running its own file with the settings' parameters alone (no Python
        builder of its own, like rpt_variation's measures or the flag decisions' YAML)."""
        return (self.path.stem == self.name and self.params <= settings_keys()
                and not BUILT_BY.search(self.path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class ModelGraph:
    models: dict[str, Model]
    sources: frozenset[str]   # assets that are not models: ref_* tables, raw_ledger, stg_ledger

    def asset_of(self, table: str) -> str | None:
        """The Dagster asset that builds `table`, or None for a table no asset builds."""
        if table in self.models or table in self.sources:
            return table
        return INGEST_SIDE_TABLES.get(table)

    def deps(self, name: str) -> list[str]:
        """The assets model `name` reads, sorted."""
        found = {self.asset_of(t) for t in self.models[name].reads}
        return sorted(a for a in found if a and a != name)

    def unknown_reads(self, name: str) -> list[str]:
        """Tables model `name` reads that no asset builds (a typo, or a model not yet written)."""
        return sorted(t for t in self.models[name].reads if self.asset_of(t) is None and t != name)

    def build_order(self, names: Iterable[str] | None = None) -> list[Model]:
        """The models (all, or those named), each after every model it reads."""
        wanted = set(self.models if names is None else names)
        sorter = graphlib.TopologicalSorter()
        for name in sorted(wanted):
            sorter.add(name, *[d for d in self.deps(name) if d in wanted])
        try:
            order = list(sorter.static_order())
        except graphlib.CycleError as error:
            raise ModelGraphError(f"the models read each other in a cycle: {' -> '.join(error.args[1])}") from None
        return [self.models[n] for n in order]

    def downstream(self, roots: Iterable[str]) -> set[str]:
        """Every model that reads `roots`, directly or through other models."""
        affected, grew = set(roots), True
        while grew:
            grew = False
            for name in self.models:
                if name not in affected and affected & set(self.deps(name)):
                    affected.add(name)
                    grew = True
        return affected - set(roots)

    def self_contained(self, also: Iterable[str] = ()) -> list[Model]:
        """The plain models whose every upstream model is plain too (or one of `also`, which
        the caller knows how to build), in build order: what a path without the Python
        builders (the scenarios) can build from SQL alone."""
        not_plain = {n for n, m in self.models.items() if not m.plain} - set(also)
        excluded = not_plain | self.downstream(not_plain)
        return [m for m in self.build_order() if m.name not in excluded]


# What each text reads, kept for the process: the answer depends on the text alone (the parser binds
# nothing), and a process asks again for the same texts, e.g. every report build's queries (about 400,
# 2 ms each to parse). Bounded, so that a long-lived process (the Dagster daemon) cannot grow it forever.
_READ: dict[str, frozenset[str]] = {}
_READ_KEPT = 20_000


def tables_read(sql: str, where: str = "SQL", con: duckdb.DuckDBPyConnection | None = None) -> frozenset[str]:
    """The tables the statements of `sql` read, by DuckDB's parser (nothing is bound or run)."""
    known = _READ.get(sql)
    if known is None:
        known = _parsed_tables(sql, where, con)
        if len(_READ) < _READ_KEPT:
            _READ[sql] = known
    return known


def _parsed_tables(sql: str, where: str, con: duckdb.DuckDBPyConnection | None) -> frozenset[str]:
    own = con is None
    con = duckdb.connect() if own else con
    try:
        found: set[str] = set()
        for text in statements(sql):
            try:
                parsed = con.extract_statements(text)
            except duckdb.Error as error:
                raise ModelGraphError(f"{where}: DuckDB cannot parse a statement: {error}") from None
            for statement in parsed:
                query = query_part(statement.query)
                if query is None:
                    continue
                tree = parse_tree(con, query, where)
                tables, ctes = set(), set()
                _walk(tree, tables, ctes)
                found |= tables - ctes
        return frozenset(found)
    finally:
        if own:
            con.close()


def parse_tree(con: duckdb.DuckDBPyConnection, query: str, where: str = "SQL") -> dict:
    """DuckDB's parse tree of one query (`json_serialize_sql`: nothing is bound or run)."""
    # The repository's own SQL, quoted as a literal: binding it as a parameter would
    # make DuckDB's Python client import pandas (6 s) just to parse the files.
    quoted = "'" + query.replace("'", "''") + "'"
    (serialized,) = con.execute(f"SELECT json_serialize_sql({quoted})::VARCHAR").fetchone()
    tree = json.loads(serialized)
    if tree.get("error"):
        raise ModelGraphError(f"{where}: DuckDB cannot parse a statement: {tree.get('error_message')}")
    return tree


def with_ctes(query: str, ctes: str) -> str:
    """`query` with the common table expressions `ctes` ("name AS (...), ...") in front of its own: a CTE
    named as a table stands for that table in the query, so a model's own SQL runs on a narrowed input."""
    head = query.lstrip()
    if head[:4].upper() == "WITH":
        return f"WITH {ctes},{head[4:]}"
    return f"WITH {ctes} {head}"


def query_part(statement: str) -> str | None:
    """The query inside a statement: all of a SELECT, the `AS ...` of CREATE TABLE/VIEW, the
    source of an INSERT. None for statements that read nothing (CREATE TABLE (columns),
    CREATE MACRO, DELETE, COMMENT ON)."""
    # Token offsets are byte offsets into the UTF-8 text (a '£' in a comment is two bytes).
    raw = statement.encode("utf-8")
    tokens = duckdb.tokenize(statement)
    ends = [start for start, _ in tokens[1:]] + [len(raw)]
    words = [raw[start:end].decode("utf-8", "replace").strip().upper() for (start, _), end in zip(tokens, ends)]
    if any(w in ("MACRO", "FUNCTION") for w in words[:6]) or (words and words[0] in ("DELETE", "COMMENT", "DROP")):
        return None
    depth, opened = 0, None  # opened: where `AS (` began a parenthesised query
    for index, ((start, kind), word) in enumerate(zip(tokens, words)):
        if word == "(":
            if depth == 0 and index and words[index - 1] == "AS" and words[index + 1:index + 2] in (["SELECT"], ["WITH"]):
                opened = ends[index]
            depth += 1
        elif word == ")":
            depth -= 1
            if depth == 0 and opened is not None:
                return raw[opened:start].decode("utf-8")
        elif depth == 0 and kind == duckdb.token_type.keyword and word in _QUERY_START:
            return raw[start:].decode("utf-8")
    return None


def _walk(node, tables: set[str], ctes: set[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "BASE_TABLE" and "table_name" in node:
            tables.add(node["table_name"])
        for entry in (node.get("cte_map") or {}).get("map", []) if isinstance(node.get("cte_map"), dict) else []:
            ctes.add(entry.get("key"))
        for value in node.values():
            _walk(value, tables, ctes)
    elif isinstance(node, list):
        for value in node:
            _walk(value, tables, ctes)


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))


@lru_cache(maxsize=None)
def settings_keys(path: Path = SQL_DIR / "settings.yaml") -> frozenset[str]:
    """The parameters sql/settings.yaml supplies to every model (checked in warehouse_assets)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return frozenset(document or {})


def scan_models(sql_dir: Path = SQL_DIR) -> dict[str, Model]:
    models: dict[str, Model] = {}
    con = duckdb.connect()  # one in-memory parser for every file (a connection costs 60 ms)
    try:
        _scan_into(models, sql_dir, con)
    finally:
        con.close()
    return models


def _scan_into(models: dict[str, Model], sql_dir: Path, con: duckdb.DuckDBPyConnection) -> None:
    for layer in MODEL_LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            text = path.read_text(encoding="utf-8")
            try:
                name = parse_model_doc(text).table
            except ValueError:
                continue  # no model header: a helper file (the scenarios' overlays)
            if not name.startswith(MODEL_PREFIXES):
                continue
            where = str(path.relative_to(sql_dir.parent))
            if name in models:
                raise ModelGraphError(f"{where}: table {name} is already built by {models[name].path.name}")
            models[name] = Model(name, layer, path, tables_read(text, where, con),
                                 frozenset(_PARAM.findall(_without_comments(text))))


def scan_sources(sql_dir: Path = SQL_DIR) -> frozenset[str]:
    """Assets that are not models: the reference tables (sql/staging/ref_*.sql) and the ingest."""
    return frozenset({p.stem for p in (sql_dir / "staging").glob("ref_*.sql")} | set(INGEST_ASSETS))


@lru_cache(maxsize=None)
def model_graph(sql_dir: Path = SQL_DIR) -> ModelGraph:
    """The graph of sql/ (read once per process: the SQL files ship with the code)."""
    return ModelGraph(scan_models(sql_dir), scan_sources(sql_dir))


def build_order(names: Iterable[str] | None = None) -> list[Model]:
    return model_graph().build_order(names)


def tables_behind(con: duckdb.DuckDBPyConnection, names: Iterable[str], database: str) -> set[str]:
    """`names` and every name they read, views (of `database`) followed to the tables they read."""
    views = dict(con.execute("SELECT view_name, sql FROM duckdb_views() WHERE database_name = $d "
                             "AND schema_name = 'main' AND NOT internal", {"d": database}).fetchall())
    seen, todo = set(), sorted(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in views:
            todo += sorted(tables_read(views[name], f"view {name}", con))
    return seen
