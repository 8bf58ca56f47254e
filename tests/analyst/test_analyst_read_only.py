"""The analysts' warehouse is read-only: every statement that would write fails with a
clear message, from Python, the shell and the one-shot CLI; nothing changes on disk."""
from __future__ import annotations

import pytest
from analyst_helpers import sha256

from analyst import access as analyst
from analyst.publish import publish
from warehouse.settings import Paths

WRITES = {
    "create": "CREATE TABLE my_results AS SELECT * FROM dim_partner",
    "insert": "INSERT INTO dim_partner SELECT * FROM dim_partner",
    "update": "UPDATE rpt_mh_spend SET spend = 0",
    "delete": "DELETE FROM rpt_mh_spend",
    "drop": "DROP TABLE dim_partner",
    "alter": "ALTER TABLE dim_partner ADD COLUMN x INTEGER",
    "create_view": "CREATE VIEW v AS SELECT 1",
    "copy_to_file": "COPY dim_partner TO 'partners.csv'",
    "copy_select": "COPY (SELECT 1) TO 'x.csv'",
    "attach_pipeline_warehouse": "ATTACH '{warehouse}' AS live",
    "export": "EXPORT DATABASE 'dump'",
    "install": "INSTALL httpfs",
    "detach": "DETACH openbook",
    "create_macro": "CREATE OR REPLACE MACRO m(x) AS x + 1",
}


@pytest.fixture(scope="module")
def ro_home(tmp_path_factory, published_home):
    """A copy of the demo's published warehouse (so nothing here can touch the demo's)."""
    home = tmp_path_factory.mktemp("read-only")
    (home / "warehouse").mkdir()
    (home / "warehouse" / "openbook.duckdb").write_bytes(Paths(published_home).published.read_bytes())
    publish(Paths(home), run_id="read-only-test")
    return home


@pytest.mark.parametrize("name", WRITES)
def test_a_statement_that_writes_fails_with_a_clear_message(ro_home, name):
    sql = WRITES[name].format(warehouse=Paths(ro_home).warehouse)
    before = sha256(Paths(ro_home).published)
    con = analyst.connect(ro_home)
    try:
        with pytest.raises(analyst.ReadOnlyError) as caught:
            analyst.run(con, sql)
        assert con.execute("SELECT count(*) FROM dim_partner").fetchone()[0] > 0, "the session still works"
    finally:
        con.close()
    message = str(caught.value)
    assert message.startswith("the analysts' warehouse is read-only: ")
    assert "write your results to a file with -o instead" in message
    assert sha256(Paths(ro_home).published) == before
    assert not (ro_home / "partners.csv").exists()


def test_frame_refuses_writes_and_reads_with_bound_parameters(ro_home):
    with pytest.raises(analyst.ReadOnlyError, match="read-only"):
        analyst.frame("DELETE FROM rpt_mh_spend", home=ro_home)
    df = analyst.frame("SELECT partner_id FROM dim_partner WHERE partner_kind = $kind ORDER BY 1",
                       {"kind": "vcse"}, home=ro_home)
    assert df["partner_id"].to_list() == ["haven", "open_minds", "peerlink", "youth_space"]
    injected = analyst.frame("SELECT count(*) AS n FROM dim_partner WHERE partner_id = $p",
                             {"p": "x' OR '1'='1"}, home=ro_home)
    assert injected["n"].to_list() == [0]


def test_temporary_tables_stay_possible_for_working_within_a_session(ro_home):
    before = sha256(Paths(ro_home).published)
    con = analyst.connect(ro_home)
    try:
        analyst.run(con, "CREATE TEMP TABLE mine AS SELECT partner_id FROM dim_partner WHERE partner_kind = 'vcse'")
        assert analyst.run(con, "SELECT count(*) FROM mine").fetchone()[0] == 4
    finally:
        con.close()
    assert sha256(Paths(ro_home).published) == before


def test_the_cli_refuses_writes_without_a_traceback(ro_home, cli):
    code, out, err = cli("--home", ro_home, "sql", "-c", "DROP TABLE fct_ledger")
    assert code == 1
    assert "the analysts' warehouse is read-only" in err and "-o instead" in err
    assert "Traceback" not in out + err


def test_connect_before_anything_was_published_says_what_to_do(tmp_path, cli):
    with pytest.raises(analyst.NotPublishedError, match=r"run `make demo` or `openbook run` first"):
        analyst.connect(tmp_path)
    code, out, err = cli("--home", tmp_path, "sql", "-c", "SELECT 1")
    assert code == 2
    assert "run `make demo` or `openbook run` first" in err
    assert "Traceback" not in err


def test_an_open_analyst_session_never_blocks_the_pipeline_writer(ro_home):
    """The analyst reads the published copy, never the warehouse: a writer opens it meanwhile."""
    from warehouse.connection import open_writer

    session = analyst.connect(ro_home)
    try:
        with open_writer(Paths(ro_home).warehouse) as writer:
            writer.execute("CREATE OR REPLACE TABLE scratch AS SELECT 1 AS x")
        publish(Paths(ro_home), run_id="while-reading")
        assert session.execute("SELECT count(*) FROM fct_ledger").fetchone()[0] > 0
    finally:
        session.close()


def test_writing_to_a_view_is_refused_as_read_only_too(ro_home):
    # fct_ledger is a view over stg_ledger: DuckDB refuses it as a view before it gets to read-only
    with pytest.raises(analyst.ReadOnlyError, match="read-only: UPDATE statements cannot change it .and this is a view."):
        analyst.frame("UPDATE fct_ledger SET amount = 0", home=ro_home)
