"""warehouse/catalog.py's answers are the catalog functions': whether a table exists is duckdb_tables()'s
answer (base tables of the main schema only), and a table's or view's columns are duckdb_columns()',
names and types in order. The fingerprints kept in a warehouse, a published copy and a report version
were made from duckdb_columns() before, so its strings must come out the same."""
from __future__ import annotations

import duckdb
import pytest

from warehouse import catalog, change_markers, fingerprints

ODD = 'odd "name" table'


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE "{ODD.replace('"', '""')}" (load_id VARCHAR, amount DECIMAL(18,2), share DECIMAL(9,4),
        total HUGEINT, n BIGINT, flags BOOLEAN, day DATE, loaded_at TIMESTAMP, ratio DOUBLE, tags VARCHAR[],
        ids INTEGER[], loads STRUCT(load_id VARCHAR, lines BIGINT, "content" HUGEINT)[], "a column with spaces" VARCHAR,
        "select" INTEGER)""")
    con.execute("CREATE TABLE other (k INTEGER)")
    con.execute("CREATE VIEW a_view AS SELECT k, k * 2.5 AS half FROM other")
    con.execute("CREATE TEMP TABLE a_temp (k INTEGER)")
    con.execute("CREATE SCHEMA elsewhere")
    con.execute("CREATE TABLE elsewhere.apart (k INTEGER)")
    yield con
    con.close()


def _database(con) -> str:
    return con.execute("SELECT current_database()").fetchone()[0]


def _in_duckdb_tables(con, table: str, database: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = $d AND schema_name = 'main'"
                       " AND table_name = $t", {"d": database, "t": table}).fetchone()[0] > 0


def _duckdb_columns(con, table: str) -> list[tuple[str, str]]:
    return con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database()"
                       " AND schema_name = 'main' AND table_name = $t ORDER BY column_index", {"t": table}).fetchall()


def test_a_table_exists_as_duckdb_tables_says(con):
    database = _database(con)
    names = [ODD, "other", "a_view", "a_temp", "apart", "no_such_table"]
    assert {n: catalog.table_exists(con, n, database) for n in names} == {
        n: _in_duckdb_tables(con, n, database) for n in names}
    assert [n for n in names if catalog.table_exists(con, n, database)] == [ODD, "other"]
    assert not catalog.table_exists(con, "other", "no_such_database")


def test_columns_by_binding_equal_duckdb_columns_for_every_kind_of_column(con):
    database = _database(con)
    expected = _duckdb_columns(con, ODD)
    assert len(expected) == 14
    assert catalog.columns(con, ODD, database) == expected
    assert catalog.columns(con, "a_view", database) == _duckdb_columns(con, "a_view") == [
        ("k", "INTEGER"), ("half", "DECIMAL(12,1)")]
    assert catalog.columns(con, "no_such_table", database) is None
    assert change_markers._columns(con, ODD, database) == ", ".join(f"{c} {t}" for c, t in expected)


def test_a_fingerprint_of_some_columns_names_only_those_and_changes_with_a_column():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT i AS k, i * 2 AS v, 'x' AS note FROM range(10) r(i)")
    database = _database(con)
    whole, some = fingerprints.table(con, "t", database), fingerprints.table(con, "t", database, frozenset({"v"}))
    assert whole.startswith("['k BIGINT', 'v BIGINT', 'note VARCHAR']|10|")
    assert some.startswith("['v BIGINT']|10|")
    con.execute("ALTER TABLE t ADD COLUMN extra INTEGER")
    assert fingerprints.table(con, "t", database) != whole
    assert fingerprints.table(con, "t", database, frozenset({"v"})).split("|")[:2] == some.split("|")[:2]
