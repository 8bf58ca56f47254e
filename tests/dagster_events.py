"""A data home whose Dagster instance keeps its event log in memory, for tests that run the
pipeline once in their own process and read only what it wrote to the warehouse and reports.

Dagster's default SQLite event log opens an engine and commits for every event (about 2,400
in one small `openbook run`); kept in memory, the same run of the DuckLake slice took about a
quarter less CPU (docs/bench/test-suite-2026-12-06.md, fourth pass). The event log also holds
the dynamic partitions (the periods), so it lasts only as long as the instance that holds it:
a later Runner in the same process takes over the first one's instance
(tests/pipeline/loading_helpers.py `fresh`), as a later process would read the same events
from disk. A test that starts an `openbook` process or a Runner without that instance on the
home, or reads check results back (what the Dagster UI shows), keeps the default SQLite
storage. Runs and schedules stay in SQLite either way; production's dagster.yaml
(pipelines/runner.py `dagster_home`) is untouched.

Used by the DuckLake, real-world and hostile-input runs, and by the tests of tests/pipeline
marked `events_in_memory` (their `runner` fixture writes it).
"""
from __future__ import annotations

from pathlib import Path

IN_MEMORY = """telemetry:
  enabled: false
event_log_storage:
  module: dagster._core.storage.event_log
  class: InMemoryEventLogStorage
"""


def events_in_memory(home: Path) -> Path:
    """Write <home>/dagster/dagster.yaml with the in-memory event log (before the home's first
    Runner: `dagster_home` writes its default only where there is no file). Returns home."""
    config = home / "dagster" / "dagster.yaml"
    assert not config.exists(), f"{config} exists: the home already has a Dagster instance"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(IN_MEMORY, encoding="utf-8")
    return home


def events_kept_in_memory(home: Path) -> bool:
    config = home / "dagster" / "dagster.yaml"
    return config.exists() and config.read_text(encoding="utf-8") == IN_MEMORY
