"""The model graph is read from the SQL (warehouse/model_graph.py), and every asset's declared
dependencies agree with what its SQL reads.

The agreement test checks the Dagster assets against an independent reader: a plain word
search of each model's SQL (comments removed) for the names of assets, not DuckDB's parser.
"""
import re
from pathlib import Path

import pytest

from warehouse import model_graph as graph_module
from warehouse.model_graph import INGEST_SIDE_TABLES, ModelGraphError, model_graph, tables_read

ROOT = Path(__file__).resolve().parents[2]


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.sql").write_text(text, encoding="utf-8")


@pytest.fixture
def sql_dir(tmp_path):
    """A small sql/ of its own: two reference tables, a mart and two rpt_ tables."""
    sql = tmp_path / "sql"
    _write(sql / "staging", "ref_a", "-- ref_a: reference a\nCREATE TABLE ref_a AS SELECT 1 AS k;\n")
    _write(sql / "staging", "ref_b", "-- ref_b: reference b\nCREATE TABLE ref_b AS SELECT 1 AS k;\n")
    _write(sql / "marts", "dim_x", "-- dim_x: a dimension (costs £1)\n"
           "CREATE OR REPLACE TABLE dim_x AS\nWITH a AS (SELECT * FROM ref_a)\n"
           "SELECT * FROM a JOIN ref_b USING (k) WHERE k IN (SELECT k FROM load_log);\n")
    _write(sql / "reports", "rpt_z", "-- rpt_z: reads rpt_y\nCREATE OR REPLACE TEMP MACRO m(v) AS v + 1;\n"
           "CREATE OR REPLACE TABLE rpt_z AS (SELECT m(k) FROM rpt_y WHERE k > $threshold);\n")
    _write(sql / "reports", "rpt_y", "-- rpt_y: reads the dimension\n"
           "CREATE OR REPLACE TABLE rpt_y AS SELECT k FROM dim_x; -- a comment naming ref_a\n")
    _write(sql / "reports", "scenario_q", "-- scenario_q: a helper file, not a model\nSELECT * FROM rpt_z;\n")
    (sql / "settings.yaml").write_text("threshold: 3\n")
    return sql


def test_models_dependencies_and_order_come_from_the_sql(sql_dir):
    graph = model_graph.__wrapped__(sql_dir)
    assert sorted(graph.models) == ["dim_x", "rpt_y", "rpt_z"]  # scenario_q names no model table
    assert graph.deps("dim_x") == ["ref_a", "ref_b", "stg_ledger"]  # the CTE `a` is not a table; load_log is the ingest's
    assert graph.deps("rpt_y") == ["dim_x"]  # a name in a comment is not read
    assert graph.deps("rpt_z") == ["rpt_y"]
    assert [m.name for m in graph.build_order()] == ["dim_x", "rpt_y", "rpt_z"]
    assert graph.downstream(["dim_x"]) == {"rpt_y", "rpt_z"}


def test_adding_a_model_is_one_sql_file(sql_dir):
    _write(sql_dir / "reports", "rpt_new", "-- rpt_new: a new table\nCREATE OR REPLACE TABLE rpt_new AS "
           "SELECT * FROM rpt_z JOIN dim_x USING (k);\n")
    graph = model_graph.__wrapped__(sql_dir)
    assert graph.deps("rpt_new") == ["dim_x", "rpt_z"]
    assert [m.name for m in graph.build_order()][-1] == "rpt_new"


def test_a_cycle_and_an_unknown_table_are_named(sql_dir):
    _write(sql_dir / "marts", "dim_x", "-- dim_x: now reads rpt_y\nCREATE TABLE dim_x AS SELECT * FROM rpt_y;\n")
    _write(sql_dir / "reports", "rpt_w", "-- rpt_w: a typo\nCREATE TABLE rpt_w AS SELECT * FROM dim_xx;\n")
    graph = model_graph.__wrapped__(sql_dir)
    assert graph.unknown_reads("rpt_w") == ["dim_xx"]
    with pytest.raises(ModelGraphError, match="cycle"):
        graph.build_order()


def test_a_statement_duckdb_cannot_parse_names_its_file():
    with pytest.raises(ModelGraphError, match="sql/marts/broken.sql"):
        tables_read("CREATE TABLE t AS SELECT FROM WHERE ((;\n", "sql/marts/broken.sql")


def test_a_text_is_parsed_once_a_process_and_each_text_for_itself(monkeypatch):
    parsed = []
    monkeypatch.setattr(graph_module, "parse_tree",
                        lambda con, query, where, _parse=graph_module.parse_tree: parsed.append(query) or
                        _parse(con, query, where))
    monkeypatch.setattr(graph_module, "_READ", {})
    first = "SELECT * FROM ref_a JOIN ref_b USING (k)"
    assert tables_read(first) == {"ref_a", "ref_b"}
    assert tables_read(first) == {"ref_a", "ref_b"} and len(parsed) == 1   # the same text: not parsed again
    assert tables_read(first + " WHERE k IN (SELECT k FROM dim_x)") == {"ref_a", "ref_b", "dim_x"}
    assert len(parsed) == 2
    with pytest.raises(ModelGraphError):                                    # a failure is not kept
        tables_read("SELECT FROM WHERE ((")
    with pytest.raises(ModelGraphError):
        tables_read("SELECT FROM WHERE ((")


def test_every_model_reads_only_tables_something_builds():
    graph = model_graph()
    assert {name: graph.unknown_reads(name) for name in graph.models if graph.unknown_reads(name)} == {}


def _mentioned(text: str, names: set[str]) -> set[str]:
    code = "\n".join(line.split("--")[0] for line in text.splitlines())
    return {n for n in names if re.search(rf"\b{n}\b", code)}


def test_every_assets_declared_deps_agree_with_its_sql():
    """For each model asset, the assets its SQL names (word search) are exactly its declared
    parents; rpt_variation's Python also reads dim_service_line (assets/model_builders.py)."""
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    tables = keys | set(INGEST_SIDE_TABLES)
    python_reads = {"rpt_variation": {"dim_service_line"},
                    "dim_counterparty": {"fct_ledger", "dim_partner"}}  # workbench/counterparties.py
    checked = 0
    for model in model_graph().models.values():
        text = model.path.read_text(encoding="utf-8")
        named = _mentioned(text, tables - {model.name})
        expected = {INGEST_SIDE_TABLES.get(n, n) for n in named} | python_reads.get(model.name, set())
        parents = {p.to_user_string() for p in graph.get(_key(model.name)).parent_keys}
        assert parents == expected, f"{model.path.name}: declared {sorted(parents)}, SQL reads {sorted(expected)}"
        checked += 1
    assert checked >= 27


def test_board_reports_depend_on_every_table_a_section_reads():
    """The reports' sources by a word search of the section declarations (reports/sections/)
    for rpt_ tables and of them and the spec vocabulary (reports/spec.py, the drill-down
    sources) for fct_ tables, against board_reports' parents."""
    from pipelines.definitions import defs

    sections = "\n".join(path.read_text(encoding="utf-8") for path in
                         sorted((ROOT / "reports" / "sections").glob("*.py")) + [ROOT / "reports" / "spec.py"])
    read = set(re.findall(r"source=\"(rpt_[a-z_]+)\"", sections)) | {"rpt_mh_spend"}  # PARTNER_SOURCE
    read |= set(re.findall(r"\b(fct_[a-z_]+)\b", sections)) & {"fct_ledger", "fct_mh_ledger"}
    parents = {p.to_user_string() for p in defs.resolve_asset_graph().get(_key("board_reports")).parent_keys}
    assert read <= parents, f"board_reports lacks {sorted(read - parents)}"
    assert {"rpt_variation", "rpt_flag_register", "rpt_dq_checks", "rpt_dq_quarantine", "rpt_dq_submissions"} <= parents


def test_self_contained_models_and_scenarios_build_in_the_graphs_order():
    from workbench.scenarios import model_graph as scenario_graph

    graph = model_graph()
    order = [m.name for m in graph.self_contained()]
    for position, name in enumerate(order):
        assert not set(graph.deps(name)) & set(order[position + 1:]), f"{name} is built before what it reads"
    assert {"fct_ledger", "rpt_open_book", "rpt_dq_submissions"} <= set(order)
    assert not {"rpt_variation", "rpt_flags", "rpt_flag_register"} & set(order)  # Python builders
    assert {"rpt_variation", "rpt_flags"} <= set(scenario_graph())


def _key(name: str):
    import dagster as dg

    return dg.AssetKey(name)


def test_a_model_whose_kind_changed_replaces_the_old_object_when_the_warehouse_is_opened(tmp_path):
    """fct_ledger was a table and is a view; fct_contract_years was a view and is a table. DuckDB
    cannot replace one kind with the other, so a warehouse made before is put right when opened."""
    import duckdb

    from warehouse.connection import NOW_TABLES, NOW_VIEWS, open_writer

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE fct_ledger AS SELECT 1 AS k")
    con.execute("CREATE VIEW fct_contract_years AS SELECT 1 AS k")
    con.close()
    assert "fct_ledger" in NOW_VIEWS and "fct_contract_years" in NOW_TABLES
    with open_writer(path) as con:
        left = con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name IN ('fct_ledger', "
                           "'fct_contract_years') UNION ALL SELECT view_name FROM duckdb_views() WHERE view_name "
                           "IN ('fct_ledger', 'fct_contract_years')").fetchall()
        assert left == []
        con.execute("CREATE OR REPLACE TABLE fct_contract_years AS SELECT 2 AS k")  # what its SQL now does
