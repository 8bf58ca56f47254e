"""Real public spend files (tests/realworld/files, provenance.json) through the real pipeline.

One data home holds the demo's reference data plus one partner per corpus file; one
`openbook run` (Runner.run_all, the CLI's path) loads them all. Then, per file: every row
is accounted for (rows read = loaded + quarantined + skipped, from load_log), the staged
lines (every service line, 'unclassified' included) sum to the total computed independently
by expected.py, to the penny, and every month the file's rows fall in has its partition.
The parser alone is checked too, so a failure says which layer lost the money.
"""
from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.ingest.parse import parse_submission
from assets.ingest.source_config import load_source_config
from tests.dagster_events import events_in_memory

HERE = Path(__file__).resolve().parent
EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
PROVENANCE = {p["partner_id"]: p for p in json.loads((HERE / "provenance.json").read_text(encoding="utf-8"))}
CONFIGS = sorted((HERE / "configs").glob("*.yaml"))


def test_the_corpus_covers_nhs_councils_and_grant_makers():
    assert len(CONFIGS) >= 20 and len({p["organisation"] for p in PROVENANCE.values()}) >= 15
    assert {p["kind"] for p in PROVENANCE.values()} >= {"nhs_trust", "icb", "local_authority", "vcse"}


@pytest.fixture(scope="module")
def parsed_once():
    """parsed_once(config): parse_submission of the config's corpus file, made once a module: the parser's test
    and the run's read the same parse (its frames are never written to)."""
    done = {}

    def parse(config):
        if config.file.pattern not in done:
            done[config.file.pattern] = parse_submission(HERE / "files" / config.file.pattern, config)
        return done[config.file.pattern]

    return parse


@pytest.mark.parametrize("config_path", CONFIGS, ids=lambda p: p.stem)
def test_the_parser_reads_every_line_and_pound(config_path, parsed_once):
    config = load_source_config(config_path)
    expected = EXPECTED[config.file.pattern]
    parsed = parsed_once(config)
    assert parsed.lines.height == expected["lines"]
    assert parsed.rows_read == parsed.lines.height + parsed.quarantine.height + parsed.skipped.height
    # Every row under the header is read, a trailing line of bare separators (",,,,,") too: it is a blank row.
    assert parsed.rows_read == expected["rows_after_header"]
    assert parsed.skipped.filter(pl.col("reason") == "blank_row").height == expected["blank_rows"]
    # A row with fewer fields than the header (Lambeth 2012 lost a comma) says so in its message.
    short = parsed.quarantine.filter(pl.col("message").str.contains("a separator may be missing", literal=True))
    assert short.height == expected["short_rows"]
    early = parsed.quarantine.filter(pl.col("message").str.contains("is before 2010-01", literal=True))
    assert early.height == expected["before_2010"]
    assert Decimal(str(parsed.lines["amount"].sum())) == Decimal(expected["total"])


@pytest.fixture(scope="module")
def loaded_home(tmp_path_factory, demo_files):
    """The demo's reference data, the corpus partners added, each file in its inbox; one run."""
    from pipelines.runner import Runner
    from warehouse.settings import HOME_VARIABLES, Paths, environment_restored

    home = tmp_path_factory.mktemp("realworld")
    demo_files(home)
    shutil.rmtree(home / "inbox")
    shutil.rmtree(home / "config" / "sources")
    (home / "config" / "sources").mkdir(parents=True)
    with open(home / "reference" / "partners.csv", "a", encoding="utf-8") as partners:
        for config_path in CONFIGS:
            config = load_source_config(config_path)
            info = PROVENANCE[config.partner_id]
            # partner_kind: a body that is none of openbook's partner kinds (a government
            # department) loads under the nearest one; its provenance kind says what it is.
            kind = info.get("partner_kind", info["kind"])
            # csv quoting: an organisation's name can hold a comma (Business, Innovation and Skills).
            csv.writer(partners, lineterminator="\n").writerow(
                [config.partner_id, info["organisation"], kind, "north_weald", "true"])
            (home / "inbox" / config.partner_id).mkdir(parents=True)
            shutil.copy2(HERE / "files" / config.file.pattern, home / "inbox" / config.partner_id)
            shutil.copy2(config_path, home / "config" / "sources")
    events_in_memory(home)  # one Runner; the tests read the warehouse and reports only
    with environment_restored(*HOME_VARIABLES):
        summary = Runner(Paths(home)).run_all(progress=lambda _: None)
    return home, summary


@pytest.mark.slow
@pytest.mark.parametrize("config_path", CONFIGS, ids=lambda p: p.stem)
def test_openbook_run_loads_every_pound_of_the_file(loaded_home, config_path, parsed_once):
    home, _ = loaded_home
    config = load_source_config(config_path)
    expected = EXPECTED[config.file.pattern]
    con = duckdb.connect(str(home / "warehouse" / "openbook.duckdb"), read_only=True)
    try:
        read, loaded, quarantined, skipped = con.execute(
            "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined), sum(rows_skipped) FROM load_log"
            " WHERE partner_id = $p AND status = 'current'", {"p": config.partner_id}).fetchone()
        lines, total, months = con.execute(
            "SELECT count(*), sum(amount), list(DISTINCT period ORDER BY period) FROM stg_ledger WHERE partner_id = $p",
            {"p": config.partner_id}).fetchone()
        (staging_quarantine,) = con.execute(
            "SELECT count(*) FROM quarantine WHERE partner_id = $p AND stage = 'staging'", {"p": config.partner_id}).fetchone()
    finally:
        con.close()
    assert read == loaded + quarantined + skipped
    assert lines + staging_quarantine == loaded
    assert (lines, total) == (expected["lines"], Decimal(expected["total"]))
    assert months == list(parsed_once(config).periods)


@pytest.mark.slow
def test_the_run_itself_succeeded(loaded_home):
    _, summary = loaded_home
    assert summary.ok, [step for step in summary.steps if not step[-1]]
