"""Dagster's SQLite run and event storage, committed without waiting for the disk at every event.

An instance under the data home keeps its history in SQLite databases in WAL mode, and Dagster
opens a connection for every event it stores: a full run at 1M lines stores about 1,200 (each
period's check evaluations, the materialisations, the planned events of each run), some three
commits each. With SQLite's default `synchronous=FULL` every commit waits for an fsync of the
log; `NORMAL` leaves that to the next checkpoint (which still syncs). In WAL mode NORMAL
loses nothing when openbook itself crashes or is killed and never corrupts a database; only an
operating-system crash or power cut may lose the last events before it. Those are history for
the UI, not what decides the next run: the warehouse's `run_inputs` (pipelines/changes.py) does.

Set for SQLite connections only (a PostgreSQL instance is left alone), on every engine Dagster
makes in this process, through SQLAlchemy's connect event.
"""
from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _commit_without_fsync(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def commit_events_without_fsync() -> None:
    """From now on, each SQLite connection this process opens commits with synchronous=NORMAL."""
    if not event.contains(Engine, "connect", _commit_without_fsync):
        event.listen(Engine, "connect", _commit_without_fsync)
