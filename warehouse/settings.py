"""Where openbook keeps its files: one place decides, and nothing is read at import time.

OPENBOOK_HOME (default ./data) holds the inbox, source configs, reference data, the
warehouse, the analysts' published copy and the reports. Everything else derives from it.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "data"
HOME_VARIABLES = ("OPENBOOK_HOME", "DAGSTER_HOME")  # what a Runner sets for its process (pipelines/runner.py)


@dataclass(frozen=True)
class Paths:
    home: Path

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Paths":
        env = os.environ if environ is None else environ
        return cls(Path(env.get("OPENBOOK_HOME", DEFAULT_HOME)).resolve())

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def source_configs(self) -> Path:
        return self.home / "config" / "sources"

    @property
    def quality_settings(self) -> Path:
        return self.home / "config" / "quality.yaml"

    @property
    def reference(self) -> Path:
        return self.home / "reference"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse" / "openbook.duckdb"

    @property
    def published(self) -> Path:
        return self.home / "published" / "openbook.duckdb"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def truth(self) -> Path:
        return self.home / "demo_truth.json"


@contextmanager
def environment_restored(*names: str):
    """On leaving the block, the environment variables `names` are as they were on entering it
    (set to the same value, or unset). A Runner sets HOME_VARIABLES for its whole process: a
    process that runs more than one home (the tests, the benches) puts them back after each."""
    saved = {name: os.environ.get(name) for name in names}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
