"""board_reports' Dagster dependencies name every table a real report build read.

The build records the tables its queries name (assets/report_inputs.py keeps them beside the
reports it wrote); that record is the independent source here: a section, drill page or explain
page that starts reading a new table without declaring it fails this test, so the asset graph
never shows the reports as up to date with a table they read but do not depend on.
"""
import json

import dagster as dg
import duckdb


def recorded_reads(home) -> set[str]:
    """The tables and views of the warehouse that the latest report build read (temporary tables
    and the information schema, which the build also names, are not the warehouse's)."""
    reports = home / "reports"
    latest = sorted(p for p in reports.iterdir() if p.is_symlink())[-1]       # reports/<period> -> its version
    read = set(json.loads((latest / ".inputs.json").read_text())["tables"])
    con = duckdb.connect(str(home / "warehouse" / "openbook.duckdb"), read_only=True)
    try:
        persisted = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
            "UNION SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal").fetchall()}
    finally:
        con.close()
    return read & persisted


def test_board_reports_depends_on_every_table_a_build_read(demo_home):
    from assets.report_assets import LOG_TABLES, report_sources
    from pipelines.definitions import defs

    read = recorded_reads(demo_home)
    assert {"fct_ledger", "rpt_open_book", "load_log"} <= read      # the record is a real build's
    deps = {p.to_user_string() for p in defs.resolve_asset_graph().get(dg.AssetKey("board_reports")).parent_keys}
    assert deps == set(report_sources())
    assert read - deps - set(LOG_TABLES) == set(), "read by the reports but not board_reports' dependencies"
    assert set(LOG_TABLES) <= read, "a log table no longer read: drop it from LOG_TABLES"
