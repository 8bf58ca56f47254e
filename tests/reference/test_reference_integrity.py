"""Reference integrity (issue 19): a reference file that breaks a rule is refused with the
rule's name, the last good version stays in use, and every attempt is in ref_load_log."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.ingest.reference_integrity import ReferenceRefused, load_reference
from warehouse.sql_files import run_sql

PARTNERS = "partner_id,name,kind,ics_id,submits\nnw_icb,North Weald ICB,icb,north_weald,true\nwfmh,WFMH,nhs_trust,north_weald,true\n"
PLACES = "place_id,place_name,ics_id,ics_name\nashby,Ashby,north_weald,North Weald ICS\n"
POPULATIONS = "fy,place_id,weighted_population,mh_need_index\n2025-26,ashby,241800,0.9700\n"
ALLOCATIONS = "icb_id,fy,programme_allocation\nnw_icb,2024-25,2184600000.00\nnw_icb,2025-26,2298199200.00\n"
CONTRACTS_HEADER = ("contract_id,commissioner_id,provider_id,parent_contract_id,service_line,contract_type,"
                    "annual_value,start_date,end_date,funding_stream,place_id,capacity,capacity_unit\n")
CC_MAP = ("partner_id,cost_centre,cost_centre_name,service_line,place_id,funding_stream,line_type,scheme_id\n"
          "wfmh,CC1,Crisis,crisis_house,ashby,recurrent,expenditure,\n")


@pytest.fixture
def home(tmp_path) -> Path:
    reference = tmp_path / "reference"
    reference.mkdir()
    for name, text in [("partners", PARTNERS), ("places", PLACES), ("populations", POPULATIONS),
                       ("allocations", ALLOCATIONS), ("cost_centre_map", CC_MAP)]:
        (reference / f"{name}.csv").write_text(text, encoding="utf-8")
    for partner in ("nw_icb", "wfmh"):
        (tmp_path / "inbox" / partner).mkdir(parents=True)
    return tmp_path


@pytest.fixture
def con(home):
    connection = duckdb.connect()
    run_sql(connection, "staging/create_tables")
    for name in ("partners", "places", "populations", "allocations", "cost_centre_map"):
        load_reference(connection, home / "reference", name, home / "inbox")
    yield connection
    connection.close()


def _rewrite(home: Path, name: str, text: str) -> None:
    (home / "reference" / f"{name}.csv").write_text(text, encoding="utf-8")


def _refused(con, home: Path, name: str) -> list[str]:
    with pytest.raises(ReferenceRefused) as refused:
        load_reference(con, home / "reference", name, home / "inbox")
    return [v.check for v in refused.value.violations]


def _log(con, table: str) -> list[tuple]:
    return con.execute("SELECT status, problems FROM ref_load_log WHERE table_name = $t ORDER BY loaded_at",
                       {"t": table}).fetchall()


def test_a_negative_population_is_refused_and_the_last_good_one_stays(con, home):
    _rewrite(home, "populations", "fy,place_id,weighted_population,mh_need_index\n2025-26,ashby,-241800,0.9700\n")
    assert _refused(con, home, "populations") == ["ref_populations.weighted_population_in_range",
                                                  "ref_populations.mh_weighted_population_in_range"]
    assert con.execute("SELECT place_id, weighted_population FROM ref_populations").fetchall() == [
        ("ashby", Decimal("241800.00"))]
    (accepted, _), (refused, why) = _log(con, "ref_populations")
    assert (accepted, refused) == ("accepted", "refused") and "weighted_population_in_range" in why


def test_a_zero_allocation_is_refused(con, home):
    _rewrite(home, "allocations", "icb_id,fy,programme_allocation\nnw_icb,2024-25,0\nnw_icb,2025-26,2298199200.00\n")
    assert _refused(con, home, "allocations") == ["ref_allocations.programme_allocation_in_range"]
    assert con.execute("SELECT min(programme_allocation) FROM ref_allocations").fetchone() == (Decimal("2184600000.00"),)


def test_a_population_of_a_place_not_in_places_is_refused(con, home):
    _rewrite(home, "populations", POPULATIONS + "2025-26,nowhere,1000,1.0\n")
    assert _refused(con, home, "populations") == ["ref_populations.places_known"]


def test_a_partner_with_an_inbox_folder_must_be_in_partners(con, home):
    (home / "inbox" / "haven").mkdir()
    assert _refused(con, home, "partners") == ["ref_partners.inbox_partners_known"]
    assert con.execute("SELECT count(*) FROM ref_partners").fetchone() == (2,)  # the last good version


def test_a_partner_with_ledger_lines_must_stay_in_partners(con, home):
    con.execute("""INSERT INTO raw_ledger (load_id, partner_id, period, source_file, source_row, amount)
                   VALUES ('wfmh.2025-04', 'wfmh', '2025-04', 'f.csv', 2, 10.00)""")
    (home / "inbox" / "wfmh").rmdir()
    _rewrite(home, "partners", PARTNERS.replace("wfmh,WFMH,nhs_trust,north_weald,true\n", ""))
    assert _refused(con, home, "partners") == ["ref_partners.ledger_partners_known"]


def test_a_partner_twice_or_of_an_unknown_kind_is_refused(con, home):
    _rewrite(home, "partners", PARTNERS + "wfmh,WFMH again,charity,north_weald,true\n")
    assert _refused(con, home, "partners") == ["ref_partners.partner_id_unique", "ref_partners.kind_known"]


def test_a_duplicated_cost_centre_row_is_refused(con, home):
    _rewrite(home, "cost_centre_map", CC_MAP + "wfmh,CC1,Crisis,crisis_house,ashby,recurrent,expenditure,\n")
    assert _refused(con, home, "cost_centre_map") == ["ref_cost_centre_map.partner_id_cost_centre_unique"]
    assert con.execute("SELECT count(*) FROM ref_cost_centre_map").fetchone() == (1,)


def test_a_value_the_table_cannot_hold_refuses_the_file(con, home):
    _rewrite(home, "allocations", "icb_id,fy,programme_allocation\nnw_icb,2025-26,lots\n")
    assert _refused(con, home, "allocations") == ["ref_allocations.readable"]
    assert con.execute("SELECT count(*) FROM ref_allocations").fetchone() == (2,)


def test_an_empty_contracts_register_is_accepted(con, home):
    _rewrite(home, "contracts", CONTRACTS_HEADER)
    assert load_reference(con, home / "reference", "contracts", home / "inbox")["rows"] == 0


def test_the_reference_asset_fails_with_the_named_check_and_keeps_the_table(home):
    """Materialised on its own (the reference tables are one step, any subset of them can run),
    a refused file fails the step with the named check and the table keeps its last good rows;
    ref_partners, materialised in the same run, still loads."""
    from assets.ingest.dagster_assets import reference_tables
    from warehouse.connection import Warehouse

    resources = {"warehouse": Warehouse(home=str(home))}
    selection = ["ref_allocations", "ref_partners"]
    assert dg.materialize([reference_tables], selection=selection, resources=resources).success
    _rewrite(home, "allocations", "icb_id,fy,programme_allocation\nnw_icb,2025-26,-5.00\n")
    result = dg.materialize([reference_tables], selection=selection, resources=resources, raise_on_error=False)
    assert not result.success
    assert [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
            for e in [e.event_specific_data.materialization]] == ["ref_partners"]
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith("allocations.csv refused, ref_allocations keeps its last good version: "
                              "ref_allocations.programme_allocation_in_range: ")
    with duckdb.connect(str(home / "warehouse" / "openbook.duckdb"), read_only=True) as db:
        assert db.execute("SELECT count(*) FROM ref_allocations").fetchone() == (2,)
