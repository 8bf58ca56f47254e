"""Fixtures of the reliability tests: the small home of tests/pipeline (reused as is), and
a warehouse with the small home's good submissions loaded, that each corpus case is
loaded on top of (a copy each) to show that nothing already loaded is harmed."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.pipeline.conftest import _small_template  # noqa: F401  (the small home of tests/pipeline, reused)
from tests.reliability.corpus_harness import GOOD_HAVEN, partition_figures, tables

GOOD_PARTITIONS = [("haven", "2025-06"), ("la_ashby", "2025-05"), ("la_ashby", "2025-06"),
                   ("nw_icb", "2025-05"), ("nw_icb", "2025-06")]


@dataclass(frozen=True)
class CorpusBase:
    home: Path  # the small home's reference data and source configs
    warehouse: Path  # good submissions loaded and staged; copy it, never write to it
    figures: dict  # partition_figures() of the good partitions
    tables: list[str]
    good_files: dict[tuple[str, str], Path]  # (partner, period) -> the good submission's path


@pytest.fixture(scope="session")
def corpus_base(_small_template, tmp_path_factory) -> CorpusBase:  # noqa: F811
    from assets.ingest.dagster_assets import REFERENCE_TABLES
    from assets.ingest.reference_files import reference_file
    from assets.ingest.source_config import load_source_configs
    from assets.ingest.submissions import in_load_order, load_file, scan_inbox
    from warehouse.sql_files import run_sql
    from warehouse.connection import open_writer

    base = tmp_path_factory.mktemp("corpus-base")
    shutil.copytree(_small_template / "inbox", base / "inbox", copy_function=shutil.copy2)
    (base / "inbox" / "haven").mkdir(exist_ok=True)
    shutil.copy2(GOOD_HAVEN, base / "inbox" / "haven" / GOOD_HAVEN.name)
    configs = load_source_configs(_small_template / "config" / "sources")
    warehouse = base / "warehouse.duckdb"
    files = scan_inbox(base / "inbox", configs)
    with open_writer(warehouse) as con:
        for name in REFERENCE_TABLES:
            run_sql(con, f"staging/ref_{name}", {"path": str(reference_file(_small_template / "reference", name))})
        for item in in_load_order(files):
            outcome = load_file(con, item, "corpus-base")
            assert outcome.status == "loaded", outcome
        for period in sorted({period for _, period in GOOD_PARTITIONS}):
            run_sql(con, "staging/stg_ledger", {"period": period})
        figures = partition_figures(con, GOOD_PARTITIONS)
        names = tables(con)
        con.execute("CHECKPOINT")
    assert all(f["stg"][0] > 0 and len(f["current"]) == 1 for f in figures.values()), figures
    good_files = {(f.partner_id, period): f.path for f in files for period in f.periods}
    return CorpusBase(_small_template, warehouse, figures, names, good_files)
