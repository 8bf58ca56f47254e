"""pipelines/instance.py: a run's Dagster instance keeps one engine per event-log database, and what
it stores is what Dagster's own instance (the one `make ui` opens) reads from the same folder."""
from __future__ import annotations

import os

import dagster as dg
import pytest
import sqlalchemy

from pipelines import instance as run_instance
from pipelines.instance import SqliteEventLogKeptOpen, home_instance
from tests.dagster_events import events_in_memory

CHECKS = ("a", "b", "c")


@dg.asset(check_specs=[dg.AssetCheckSpec(name, asset="toy") for name in CHECKS])
def toy():
    for name in CHECKS:
        yield dg.AssetCheckResult(check_name=name, passed=name != "c")
    yield dg.MaterializeResult(metadata={"rows": 3})


def _run_toy(instance: dg.DagsterInstance, times: int) -> list[str]:
    job = dg.Definitions(assets=[toy], jobs=[dg.define_asset_job("toy_job")]).resolve_job_def("toy_job")
    return [job.execute_in_process(instance=instance, raise_on_error=False).run_id for _ in range(times)]


@pytest.fixture
def engines_made(monkeypatch) -> list[str]:
    """The database URLs of every engine pipelines/instance.py makes."""
    made = []

    def counting(url, **kwargs):
        made.append(str(url))
        return sqlalchemy.create_engine(url, **kwargs)

    monkeypatch.setattr(run_instance, "create_engine", counting)
    return made


def test_each_event_log_database_gets_one_engine_and_dagster_reads_every_event(tmp_path, engines_made):
    with home_instance(tmp_path) as instance:
        assert isinstance(instance.event_log_storage, SqliteEventLogKeptOpen)
        runs = _run_toy(instance, 3)
        kept = {run: instance.all_logs(run) for run in runs}
        # Each run's own database is closed after each event, as Dagster's is: closing checkpoints
        # its log into the file (and deletes the log), the change the UI watches to follow a run live.
        assert not [run for run in runs if (tmp_path / "history" / "runs" / f"{run}.db-wal").exists()]
        # Read while the kept connections are still open: what other processes see.
        with dg.DagsterInstance.from_config(str(tmp_path)) as dagsters:
            assert type(dagsters.event_log_storage).__name__ == "SqliteEventLogStorage"
            for run in runs:
                seen = dagsters.all_logs(run)
                assert [e.dagster_event_type for e in seen] == [e.dagster_event_type for e in kept[run]]
                evaluations = [e.dagster_event.event_specific_data for e in seen
                               if e.dagster_event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
                assert sorted((e.check_name, e.passed) for e in evaluations) == [("a", True), ("b", True), ("c", False)]
            history = dagsters.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(dg.AssetKey("toy"), "c"), limit=10)
            assert sorted(r.run_id for r in history) == sorted(runs)
            assert dagsters.fetch_materializations(dg.AssetKey("toy"), limit=10).records[0].run_id == runs[-1]
    # Three runs of about 20 events each: one engine for the index and one per run's database.
    assert sorted(engines_made) == sorted({*engines_made}) and len(engines_made) == 1 + len(runs)


def test_a_home_configured_otherwise_keeps_its_storage(tmp_path):
    home = events_in_memory(tmp_path)
    with home_instance(home / "dagster") as instance:
        assert type(instance.event_log_storage).__name__ == "InMemoryEventLogStorage"


PLANNED = (dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED)


@pytest.fixture
def batch_size_unset(monkeypatch):
    """No DAGSTER_EVENT_BATCH_SIZE in the environment, and none left behind by home_instance."""
    monkeypatch.setenv(run_instance.EVENT_BATCH_SIZE, "0")  # recorded, so restored after the test
    monkeypatch.delenv(run_instance.EVENT_BATCH_SIZE)


def test_a_runs_plan_is_written_in_one_transaction_per_database_and_reads_as_dagsters_own(
        tmp_path, batch_size_unset, monkeypatch):
    batches, commits = [], []
    store_event_batch = SqliteEventLogKeptOpen.store_event_batch

    def watched(storage, events):
        before = len(commits)
        store_event_batch(storage, events)
        batches.append(([e.dagster_event_type for e in events], [c.rsplit("/", 1)[-1] for c in commits[before:]]))

    def committed(conn):
        commits.append(conn.engine.url.database)

    monkeypatch.setattr(SqliteEventLogKeptOpen, "store_event_batch", watched)
    home, plain = tmp_path / "home", tmp_path / "plain"
    home.mkdir(), plain.mkdir()
    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "commit", committed)
    try:
        with home_instance(home) as instance:
            (run,) = _run_toy(instance, 1)
    finally:
        sqlalchemy.event.remove(sqlalchemy.engine.Engine, "commit", committed)
    # Dagster hands the run's plan (the asset and its three checks) over as one batch once the switch
    # is on. Written one by one, that is 4 commits on the run's database and 7 on the index (a check's
    # planned event is written there twice); here one on each, beside the two that create the run's
    # database (Dagster's schema, then its version stamp).
    ((types, committed),) = batches
    assert sorted(types) == sorted([PLANNED[0], *[PLANNED[1]] * len(CHECKS)])
    assert sorted(committed) == sorted([f"{run}.db"] * 3 + ["index.db"])
    # The same events, in the same order, with the same check history as Dagster's own storage writes
    # one by one (no batches: the switch is off in a plain instance's process).
    monkeypatch.delenv(run_instance.EVENT_BATCH_SIZE)
    with dg.DagsterInstance.from_config(str(plain)) as dagsters:
        (plain_run,) = _run_toy(dagsters, 1)
        expected = [e.dagster_event_type for e in dagsters.all_logs(plain_run)]
        expected_history = _check_history(dagsters)
    with dg.DagsterInstance.from_config(str(home)) as dagsters:
        assert [e.dagster_event_type for e in dagsters.all_logs(run)] == expected
        assert _check_history(dagsters) == expected_history


def _check_history(instance: dg.DagsterInstance) -> list[tuple[str, str]]:
    return [(name, record.status.value) for name in CHECKS
            for record in instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(dg.AssetKey("toy"), name), limit=10)]


def test_the_batch_switch_is_set_only_for_the_storage_that_writes_batches_in_one_transaction(
        tmp_path, batch_size_unset):
    with home_instance(events_in_memory(tmp_path / "memory") / "dagster"):
        assert run_instance.EVENT_BATCH_SIZE not in os.environ
    (tmp_path / "sqlite").mkdir()
    with home_instance(tmp_path / "sqlite"):
        assert os.environ[run_instance.EVENT_BATCH_SIZE] == run_instance.BATCH_SIZE
