"""A build's explain workings ask each query once (reports/read_once.py): the same text with the same
parameters is answered from its first rows; another parameter, or a statement that is not a query, runs."""
import duckdb
import pytest

from reports.read_once import ReadOnce


class Counting:
    """A connection that counts the statements it runs."""

    def __init__(self, con):
        self.con, self.run = con, []

    def execute(self, sql, *args):
        self.run.append(sql)
        return self.con.execute(sql, *args)


@pytest.fixture
def counting():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (k VARCHAR, v INTEGER, xs INTEGER[])")
    con.execute("INSERT INTO t VALUES ('a', 1, [1, 2]), ('a', 2, [3]), ('b', 3, [])")
    yield Counting(con)
    con.close()


def test_the_same_query_is_run_once_and_answered_alike(counting):
    reads = ReadOnce(counting)
    sql = "SELECT v FROM t WHERE k = ? ORDER BY v"
    first = reads.execute(sql, ["a"]).fetchall()
    again = reads.execute(sql, ["a"])
    assert again.fetchone() == (1,) and again.fetchone() == (2,) and again.fetchone() is None
    assert first == [(1,), (2,)] and reads.execute(sql, ["a"]).fetchall() == first
    assert reads.execute(sql, ["b"]).fetchall() == [(3,)]          # another parameter: asked
    assert counting.run == [sql, sql]


def test_the_description_is_the_querys(counting):
    answer = ReadOnce(counting).execute("SELECT k AS key, v FROM t LIMIT 0")
    assert [d[0] for d in answer.description] == ["key", "v"] and answer.fetchall() == []


def test_a_statement_that_is_not_a_query_runs_each_time(counting):
    reads = ReadOnce(counting)
    for _ in range(2):
        reads.execute("INSERT INTO t VALUES ('c', 4, [])")
    assert counting.run == ["INSERT INTO t VALUES ('c', 4, [])"] * 2
    assert reads.execute("SELECT count(*) FROM t WHERE k = 'c'").fetchone() == (2,)


def test_a_list_changed_by_one_caller_is_not_seen_by_the_next(counting):
    reads = ReadOnce(counting)
    sql = "SELECT xs FROM t WHERE k = 'a' ORDER BY v"
    (xs,), _ = reads.execute(sql).fetchall()
    xs.append(99)
    assert reads.execute(sql).fetchone() == ([1, 2],)
