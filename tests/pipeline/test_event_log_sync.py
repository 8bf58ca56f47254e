"""The runner's Dagster history in SQLite commits with synchronous=NORMAL (pipelines/event_log_sync.py)."""
import sqlite3

from sqlalchemy import text

NORMAL, FULL = 1, 2  # PRAGMA synchronous's answers; FULL is SQLite's default


def test_a_plain_sqlite_connection_syncs_fully(tmp_path):
    """What the runner changes: SQLite's own default, outside SQLAlchemy."""
    con = sqlite3.connect(tmp_path / "plain.db")
    try:
        assert con.execute("PRAGMA synchronous").fetchone()[0] == FULL
    finally:
        con.close()


def test_the_runners_event_and_run_storage_commit_with_synchronous_normal(runner):
    with runner.instance.event_log_storage.index_connection() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == NORMAL
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"  # where NORMAL loses nothing on a crash
    with runner.instance.run_storage.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == NORMAL
