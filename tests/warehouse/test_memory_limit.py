"""Every DuckDB instance the pipeline opens is capped (warehouse/memory.py): a run's instance
keeps the warehouse's pages cached up to its limit, so the limit is most of a run's peak."""
from __future__ import annotations

from analyst import publish as pub
from warehouse.connection import open_writer


def _settings(con) -> tuple:
    return con.execute("SELECT current_setting('memory_limit'), current_setting('allocator_background_threads')"
                       ).fetchone()


def test_the_warehouse_writer_is_capped_at_900_mb(tmp_path):
    with open_writer(tmp_path / "w.duckdb") as con:
        assert _settings(con) == ("858.3 MiB", True)  # 900,000,000 bytes / 2**20


def test_the_copy_being_published_is_capped_at_256_mb(tmp_path):
    con = pub._open_copy(tmp_path / "copy.duckdb")
    try:
        assert _settings(con) == ("244.1 MiB", True)  # 256,000,000 bytes / 2**20
    finally:
        con.close()
