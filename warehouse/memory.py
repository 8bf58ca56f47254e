"""How much memory a DuckDB instance of the pipeline may hold, set on every instance it opens.

A run is one process: Dagster, polars and the Python side take about 0.4 GiB, and DuckDB's
buffer pool keeps the warehouse's pages cached up to its limit for the whole run, so the
limit is most of the run's peak (docs/scaling.md, "Memory"). Beyond it DuckDB's operators
spill to the temporary directory beside the database file (`<file>.tmp`).
"""
from __future__ import annotations

import duckdb

MEMORY_LIMIT = "900MB"  # the warehouse's instance: with the Python side, a run stays under 1.5 GiB
COPY_MEMORY_LIMIT = "256MB"  # a second instance open beside it (the analysts' copy being written)


def bound_memory(con: duckdb.DuckDBPyConnection, limit: str = MEMORY_LIMIT) -> None:
    """Cap the instance `con` belongs to. DuckDB's allocator (jemalloc) keeps pages it has
    freed for reuse; its background threads hand them back to the system after a few seconds,
    so memory a finished query freed does not stay in the process's resident set."""
    con.execute("SET memory_limit = $limit", {"limit": limit})
    con.execute("SET allocator_background_threads = true")
