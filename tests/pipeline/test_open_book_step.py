"""The open book is one Dagster step (assets/warehouse_assets.py) but each model is still an
asset of its own: a model whose blocking check fails, or whose input is broken, stops what reads
it, and only that; the step fails, so nothing downstream in other steps (publishing) runs."""
import shutil

import dagster as dg
import duckdb
import pytest

from assets.warehouse_assets import build_order, open_book_models
from warehouse.connection import Warehouse
from warehouse.model_graph import model_graph
from warehouse.settings import Paths


@pytest.fixture
def home(demo_home, tmp_path):
    """A data home with a copy of the demo warehouse and config (the step writes to it)."""
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    shutil.copyfile(Paths(demo_home).warehouse, Paths(home).warehouse)
    shutil.copytree(demo_home / "reference", home / "reference")
    shutil.copytree(demo_home / "config", home / "config")
    return home


def _materialize(home, selection):
    return dg.materialize([open_book_models], selection=selection,
                          resources={"warehouse": Warehouse(home=str(home))}, raise_on_error=False)


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
            for e in [e.event_specific_data.materialization]}


def test_every_model_comes_after_what_it_reads():
    graph = model_graph()
    order = build_order(set(graph.models))
    assert sorted(order) == sorted(graph.models)
    for position, name in enumerate(order):
        assert not set(graph.deps(name)) & set(order[position + 1:]), f"{name} is built before what it reads"


def test_a_failed_blocking_check_stops_what_reads_the_model_and_nothing_else(home):
    # A partner listed twice: dim_partner's keys are no longer unique.
    con = duckdb.connect(str(Paths(home).warehouse))
    con.execute("INSERT INTO ref_partners SELECT * FROM ref_partners WHERE partner_id = 'nw_icb'")
    con.close()
    downstream = {"fct_inter_partner", "fct_mh_ledger"}  # both read dim_partner
    assert downstream <= model_graph().downstream(["dim_partner"])
    result = _materialize(home, ["dim_partner", "dim_service_line", *downstream])
    assert not result.success
    assert _materialized(result) == {"dim_partner", "dim_service_line"}
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed == [("dim_partner", "keys_unique")]


def test_a_broken_decisions_file_fails_the_step_with_its_message_and_the_rest_is_built(home):
    (home / "config" / "flag_decisions.yaml").write_text("flags: [unclosed\n", encoding="utf-8")
    result = _materialize(home, ["rpt_flags", "rpt_flag_decisions", "rpt_flag_register", "dim_service_line"])
    assert not result.success
    assert _materialized(result) == {"rpt_flags", "dim_service_line"}
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "flag_decisions.yaml: not valid YAML" in failure.step_failure_data.error.message
