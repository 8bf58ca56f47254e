"""A table's columns as warehouse/fingerprints.py reads them (by binding a query of the table) are the
catalog's, duckdb_columns(): the independent figure, which the fingerprints kept in a warehouse, a
published copy and a report version were made from before."""
from __future__ import annotations

import duckdb

from warehouse import change_markers, fingerprints

ODD = 'odd "name" table'


def _catalog(con, table: str) -> list[tuple[str, str]]:
    return con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database()"
                       " AND schema_name = 'main' AND table_name = $t ORDER BY column_index", {"t": table}).fetchall()


def test_columns_by_binding_equal_the_catalogs_for_every_kind_of_column():
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE "{ODD.replace('"', '""')}" (load_id VARCHAR, amount DECIMAL(18,2), share DECIMAL(9,4),
        total HUGEINT, n BIGINT, flags BOOLEAN, day DATE, loaded_at TIMESTAMP, ratio DOUBLE, tags VARCHAR[], ids INTEGER[],
        loads STRUCT(load_id VARCHAR, lines BIGINT, "content" HUGEINT)[], "a column with spaces" VARCHAR,
        "select" INTEGER)""")
    con.execute("CREATE TABLE other (k INTEGER)")
    (database,) = con.execute("SELECT current_database()").fetchone()
    expected = _catalog(con, ODD)
    assert len(expected) == 14
    assert fingerprints.columns(con, ODD, database) == expected
    assert fingerprints.columns(con, "other", database) == [("k", "INTEGER")]
    assert fingerprints.columns(con, "no_such_table", database) is None
    assert change_markers._columns(con, ODD, database) == ", ".join(f"{c} {t}" for c, t in expected)


def test_a_fingerprint_of_some_columns_names_only_those_and_changes_with_a_column():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT i AS k, i * 2 AS v, 'x' AS note FROM range(10) r(i)")
    (database,) = con.execute("SELECT current_database()").fetchone()
    whole, some = fingerprints.table(con, "t", database), fingerprints.table(con, "t", database, frozenset({"v"}))
    assert whole.startswith("['k BIGINT', 'v BIGINT', 'note VARCHAR']|10|")
    assert some.startswith("['v BIGINT']|10|")
    con.execute("ALTER TABLE t ADD COLUMN extra INTEGER")
    assert fingerprints.table(con, "t", database) != whole
    assert fingerprints.table(con, "t", database, frozenset({"v"})).split("|")[:2] == some.split("|")[:2]
