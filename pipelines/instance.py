"""The Dagster instance a run uses: the one the data home's dagster.yaml describes, with one
change where that is Dagster's default SQLite storage.

Dagster's SQLite event log makes a new SQLAlchemy engine for every transaction (every event; an
asset or check event writes the run's database and then the index) and for every question whether
the index has a table (several for each asset event). A new engine sets its dialect up on its first
connection and starts with an empty cache of compiled statements, so each event compiled its
INSERT anew; and each transaction closed its connection, which in WAL mode checkpoints the log into
the file (a sync). In a small `openbook run` (about 770 events) that was most of the event log's cost.

Here each database file keeps one engine for the life of the instance, and the index (written by
every asset and check event, by no one watched) keeps its connection too (SQLAlchemy's default pool
for a SQLite file). A run's own database is still closed after each transaction, as Dagster does:
the UI follows a run live by watching that file change, which in WAL mode only the checkpoint on
close does. The files, tables and rows are the same, and `make ui` reads them with Dagster's own
class; another process sees each event once it is committed, as before (WAL mode: an idle
connection holds no lock).

Dagster hands some events over in batches: the events a run plans (each asset it will materialise
and each check it will evaluate, all written as the run is created: about a third of a small run's
events) and a range run's materialisations of one asset. It does so only when DAGSTER_EVENT_BATCH_SIZE
is set (Dagster's switch for batched writes, off by default), which `home_instance` sets where it uses
this storage. A batch is written here in one transaction per database instead of one per event (and
two more for each check's): the same rows in the same order, committed together, so another process
sees the run's plan whole rather than event by event.

Any other storage the home configures (PostgreSQL, the tests' event log in memory) is used as
configured.
"""
from __future__ import annotations

import os
import threading
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME, SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool


class SqliteEventLogKeptOpen(SqliteEventLogStorage):
    """Dagster's SQLite event log, each database file's engine kept, and the index's connection."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines = {}
        self._batch: _Batch | None = None  # while store_event_batch writes
        super().__init__(base_dir, inst_data)

    def _engine(self, shard: str):
        engine = self._engines.get(shard)
        if engine is None:
            # A run's own database is closed after each event as Dagster's is: the UI follows a run
            # live by watching that file change, which in WAL mode only the checkpoint on close does.
            pool = {} if shard == INDEX_SHARD_NAME else {"poolclass": NullPool}
            engine = create_engine(self.conn_string_for_shard(shard),
                                   connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, **pool)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            self._engines[shard] = engine
        return engine

    @contextmanager
    def _connect(self, shard: str):
        # SqliteEventLogStorage._connect, but the shard's engine is made once and kept; within a batch,
        # the batch's transaction on that database.
        batch = self._batch
        if batch is not None and batch.thread == threading.get_ident():
            yield batch.connection(shard)
            return
        with self._db_lock:
            with self._engine(shard).connect() as conn, conn.begin():
                yield conn

    def store_event_batch(self, events) -> None:
        """Each event as store_event writes it, all in one transaction per database, committed at the
        end (if one fails, none is stored: Dagster then stores them one by one)."""
        with self._db_lock, ExitStack() as stack:
            self._batch = _Batch(threading.get_ident(), stack, self._engine)
            try:
                for event in events:
                    self.store_event(event)
            finally:
                self._batch = None

    def has_table(self, table_name: str) -> bool:
        # Dagster's makes an engine of its own for each question (several for every asset event).
        # Like Dagster's, it reads on a connection of its own, outside the lock: it is asked inside
        # an index transaction.
        with self._engine(INDEX_SHARD_NAME).connect() as conn:
            return bool(conn.dialect.has_table(conn, table_name))

    def _close_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._close_engines()  # before the run databases' files are deleted
        super().wipe()

    def dispose(self) -> None:
        self._close_engines()
        super().dispose()


class _Batch:
    """The transactions of one store_event_batch: one per database, opened as the batch first writes it."""

    def __init__(self, thread: int, stack: ExitStack, engine):
        self.thread, self._stack, self._engine = thread, stack, engine
        self._connections = {}

    def connection(self, shard: str):
        conn = self._connections.get(shard)
        if conn is None:
            conn = self._stack.enter_context(self._engine(shard).connect())
            self._stack.enter_context(conn.begin())
            self._connections[shard] = conn
        return conn


class SqliteStorageKeptOpen(DagsterSqliteStorage):
    """Dagster's default SQLite storage (runs, event log and schedules under one folder), its
    event log SqliteEventLogKeptOpen."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage = SqliteEventLogKeptOpen(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: dict):
        return cls.from_local(inst_data=inst_data, **config_value)


_DAGSTER_DEFAULT = ("dagster._core.storage.sqlite_storage", "DagsterSqliteStorage")

# Dagster's switch for batched event writes (dagster/_core/instance/utils.py), read as each event is
# handled: events that come in a batch are held until its last one, at most this many at a time.
EVENT_BATCH_SIZE = "DAGSTER_EVENT_BATCH_SIZE"
BATCH_SIZE = "1000"


def home_instance(dagster_home: Path) -> dg.DagsterInstance:
    """The instance `dagster_home`'s dagster.yaml describes, as DagsterInstance.get() makes it, but
    for Dagster's default SQLite storage: SqliteStorageKeptOpen on the same folder, and Dagster's
    batched writes switched on for this process (unless the environment says otherwise)."""
    ref = InstanceRef.from_dir(str(dagster_home))
    storage = ref.storage_data
    if storage is not None and (storage.module_name, storage.class_name) == _DAGSTER_DEFAULT:
        ref = ref._replace(storage_data=ConfigurableClassData(
            __name__, SqliteStorageKeptOpen.__name__, storage.config_yaml))
        os.environ.setdefault(EVENT_BATCH_SIZE, BATCH_SIZE)
    return dg.DagsterInstance.from_ref(ref)
