"""The board packs and HTML site for a period, written from rpt_ tables only.

Reports are built in a fresh folder and swapped in whole, so a failed run leaves the
last good reports in place; each report is stamped with the run that made it.
"""

import shutil
from pathlib import Path

import dagster as dg

from assets.quality_assets import QUALITY_TABLES
from assets.warehouse_assets import REPORT_TABLES
from pipelines.partitions import periods
from pipelines.warehouse import Warehouse
from reports.excel_pack import build_board_pack
from reports.html_site import build_html_site


def write_reports(con, period: str, reports_home: Path, run_id: str) -> Path:
    """Build every report for `period` into reports_home/<period>, replacing the old set whole."""
    final = reports_home / period
    staging = reports_home / f".{period}.building"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    systems = [r[0] for r in con.execute(
        "SELECT DISTINCT ics_id FROM rpt_mh_spend WHERE ics_id IS NOT NULL ORDER BY 1").fetchall()]
    build_board_pack(con, period, staging / f"openbook-board-pack-{period}-all-systems.xlsx", run_id=run_id)
    for ics_id in systems:
        build_board_pack(con, period, staging / f"openbook-board-pack-{period}-{ics_id}.xlsx", ics_id=ics_id, run_id=run_id)
    build_html_site(con, period, staging / "html", run_id=run_id)
    previous = reports_home / f".{period}.previous"
    shutil.rmtree(previous, ignore_errors=True)
    if final.exists():
        final.rename(previous)
    staging.rename(final)
    shutil.rmtree(previous, ignore_errors=True)
    return final


@dg.asset(partitions_def=periods, group_name="reports", deps=[*REPORT_TABLES, "rpt_variation", *QUALITY_TABLES], kinds={"excel", "html"})
def board_reports(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Excel board packs (one per system and a combined one) and the HTML site for the period."""
    with warehouse.writer() as con:
        folder = write_reports(con, context.partition_key, warehouse.paths.reports, context.run.run_id)
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(folder)),
        "files": dg.MetadataValue.md("\n".join(f"- {f}" for f in files if not f.startswith("html/assets"))),
    })
