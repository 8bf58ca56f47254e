"""Every DuckDB connection a test process opens runs its queries on one thread.

The suite runs one parallel worker per core, so both cores are busy with tests already: a second
DuckDB thread per connection does not shorten a test, it only adds the threads' hand-offs. The
queries here are small (the demo's and the small homes' few thousand lines), and for such queries
the second thread cost nearly as much again (reports/ drill pages read alone: 8.0 CPU s on two
threads, 4.3 on one; one small home's `openbook run` with its reports: about 15% less CPU on one).
A query's rows do not depend on its threads; the pipeline as deployed keeps DuckDB's default (one
thread a core), which `make bench` measures. Processes a test starts (`openbook` on the command
line) keep the default too.
"""
from __future__ import annotations

import functools

import duckdb

_connect = duckdb.connect


@functools.wraps(_connect)
def _one_thread(database=":memory:", read_only: bool = False, config: dict | None = None, **kwargs):
    return _connect(database, read_only, {"threads": 1, **(config or {})}, **kwargs)


def one_thread_per_connection() -> None:
    """Make duckdb.connect, as every module calls it, open its connections with `threads = 1` unless told
    otherwise (an explicit `threads` in a connection's config wins)."""
    duckdb.connect = _one_thread
