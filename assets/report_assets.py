"""The board packs and HTML site for a period, written from rpt_ tables only.

Reports are built in a fresh versioned folder, `reports/.<period>.<stamp>/`, and
`reports/<period>` is a relative symbolic link to the current one. The new set goes live
by one atomic rename of a new link over the old (os.replace), so at every instant
`reports/<period>` is either the old complete set or the new complete set: a run that
fails or is killed half-way leaves the last good reports in place, and a reader never
finds the folder missing. Each report is stamped with the run that made it. Versions
left behind by an interrupted run are removed by the next one.

A version records what it was made from (assets/report_inputs.py): when the code and every
table its build read are as they were, the run keeps it rather than writing the same reports
again, and says so in the asset's metadata. When something changed, the new site keeps the drill
pages nothing they show changed from the current version (reports/drill_reuse.py), and links every
file whose bytes are the same from there instead of writing it; `rebuild` builds every page anew.
"""

import dataclasses
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from assets import report_inputs
from assets.partitions import periods
from warehouse.files import fsync_dir
from warehouse.connection import Warehouse
from reports import drill_reuse
from reports.warehouse_reading import Reading


# Tables the reports read beside their sections' sources:
# - the cover's submissions (reports/cover.py `cover`): dq_load_status;
# - the drill pages' lines that are not a section's source (reports/figure_lines.py): the contract
#   payments, the lead provider's ledger and the ledger seen by recipient and by sector;
# - the explain pages' workings (reports/figure_explain.py and its explainers): the reference rows a
#   plan, budget, contract, cap or allocation rests on, the ICB payment shares, the flags behind the
#   flag register's links, the alliance trusts' returns behind their rates, and the dimensions that name
#   partners and service lines.
# tests/pipeline/test_report_deps.py compares this with the tables a real build read.
OTHER_SOURCES = ("dq_load_status",
                 "fct_contract_payment_lines", "fct_lead_provider_ledger", "fct_mh_ledger_by_recipient",
                 "fct_sector_share_ledger",
                 "ref_agency_caps", "ref_agency_suppliers", "ref_allocations", "ref_budgets", "ref_contracts",
                 "ref_investment_plans", "ref_lp_activity", "ref_alliance_finance", "ref_alliance_activity",
                 "ref_alliance_populations", "fct_icb_payment_shares", "rpt_flag_links", "rpt_flags",
                 "dim_partner", "dim_service_line")
# Read too, but written inside other assets' steps rather than being assets of their own: the
# submissions' log and configs (the partitioned ingest writes them: a period's pack reads many
# periods' submissions) and the reference loads' log (each reference asset writes its row).
LOG_TABLES = ("load_log", "load_configs", "ref_load_log")


def report_sources() -> list[str]:
    """Every table the board packs and HTML read: each section's, summary block's and
    drill-down's `source` (found by walking the specs, so a new section is picked up), and
    those of the cover, the drill pages and the explain pages (OTHER_SOURCES)."""
    from reports import sections
    from reports.cover import PARTNER_SOURCE

    found: set[str] = set(OTHER_SOURCES)
    seen: set[int] = set()

    def walk(value) -> None:
        if id(value) in seen:
            return
        seen.add(id(value))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                child = getattr(value, item.name)
                if item.name == "source" and isinstance(child, str):
                    found.add(child)
                else:
                    walk(child)
        elif isinstance(value, (tuple, list)):
            for child in value:
                walk(child)

    walk((sections.SECTIONS, sections.SUMMARY, PARTNER_SOURCE))
    found.add(PARTNER_SOURCE)
    return sorted(found)


@dataclasses.dataclass(frozen=True)
class Written:
    folder: Path      # reports_home/<period>
    kept: bool        # the current version was kept: nothing it was made from had changed


def write_reports(con, period: str, reports_home: Path, run_id: str, rebuild: bool = False) -> Written:
    """Build every report for `period` into a new version, then make reports_home/<period> point at
    it; or keep the current version when nothing it was made from changed (unless `rebuild`)."""
    reports_home.mkdir(parents=True, exist_ok=True)
    final = reports_home / period
    stamp = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    version = reports_home / f".{period}.{stamp}"
    before = current_version(final)
    _remove_versions(reports_home, period, keep=before)
    reading = Reading(con)      # what the warehouse holds, read once for everything below
    if not rebuild and report_inputs.unchanged(reading, before):
        return Written(final, kept=True)
    from reports.shared_figures import SharedFigures  # with the writers (below): only to build

    # the drill pages nothing changed are kept from the current site (`rebuild`: every page built anew)
    last = drill_reuse.last(reading, before / "html" if before is not None and not rebuild else None,
                            report_inputs.build_version(reading))
    version.mkdir()
    recording = report_inputs.Recording(con)
    try:
        systems = [r[0] for r in recording.execute(
            "SELECT DISTINCT ics_id FROM rpt_mh_spend WHERE ics_id IS NOT NULL ORDER BY 1").fetchall()]
        # the all-systems pack and the site read the same tables, charts and cover: computed once, copied to each
        shared = SharedFigures(recording)
        build_board_pack(recording, period, version / f"openbook-board-pack-{period}-all-systems.xlsx",
                         run_id=run_id, shared=shared)
        for ics_id in systems:
            build_board_pack(recording, period, version / f"openbook-board-pack-{period}-{ics_id}.xlsx",
                             ics_id=ics_id, run_id=run_id, shared=shared)
        build_html_site(recording, period, version / "html", run_id=run_id, last=last, shared=shared)
        report_inputs.keep(version, report_inputs.fingerprint(reading, recording.tables))
        _fsync_tree(version)  # on disk before it goes live, so a power cut cannot expose empty files
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    _point(final, version, stamp)
    _remove_versions(reports_home, period, keep=version)
    return Written(final, kept=False)


# The writers, imported when a build calls them, not with the asset: a process that builds no report (a run
# that keeps its reports, `--no-reports`, the sensors) never loads openpyxl, plotly and the writers (about
# 0.3 CPU s). Names of this module, so a test or a fault injection can stand in for either.
def build_board_pack(*args, **kwargs):
    from reports.excel_pack import build_board_pack as build

    return build(*args, **kwargs)


def build_html_site(*args, **kwargs):
    from reports.html_site import build_html_site as build

    return build(*args, **kwargs)


def current_version(final: Path) -> Path | None:
    """The versioned folder reports/<period> points at (None when it is not a link)."""
    if not final.is_symlink():
        return None
    return final.parent / os.readlink(final)


def _point(final: Path, version: Path, stamp: str) -> None:
    """Make `final` a link to `version` in one atomic step."""
    link = final.parent / f".{final.name}.link-{stamp}"
    os.symlink(version.name, link)  # relative: the reports folder can be moved or copied whole
    if final.is_dir() and not final.is_symlink():
        # A real folder written before reports were versioned: it cannot be replaced by a
        # link atomically, so it is moved aside first (the only gap, once, on upgrade).
        final.rename(final.parent / f".{final.name}.{stamp}-legacy")
    os.replace(link, final)
    fsync_dir(final.parent)


def _remove_versions(reports_home: Path, period: str, keep: Path | None) -> None:
    """Versions, links and pre-versioning leftovers of this period, except `keep`."""
    for entry in reports_home.glob(f".{period}.*"):
        if keep is not None and entry.name == keep.name:
            continue
        if entry.is_symlink() or not entry.is_dir():
            entry.unlink(missing_ok=True)
        else:
            shutil.rmtree(entry, ignore_errors=True)


# fsyncs in flight at once: the file system commits concurrent fsyncs in one journal commit, so the
# site's ~1,000 files take ~0.4 s instead of 3-9 s one after another (ext4, 2 cores, busy).
FSYNC_THREADS = 16


def _fsync_tree(folder: Path) -> None:
    """Every file, then every folder (their entries), of `folder` on disk before it goes live:
    each is fsynced as before, only many at a time (os.fsync releases the GIL); all have
    returned before this does, so before the link is swapped."""
    paths = list(folder.rglob("*"))
    files = [p for p in paths if p.is_file()]
    folders = [p for p in paths if p.is_dir()] + [folder]
    with ThreadPoolExecutor(FSYNC_THREADS) as pool:
        list(pool.map(_fsync_file, files))      # list(): an error in any fsync is raised here
        list(pool.map(fsync_dir, folders))


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


class ReportConfig(dg.Config):
    rebuild: bool = False     # write the reports even when nothing they are made from changed


@dg.asset(partitions_def=periods, group_name="reports", deps=report_sources(), kinds={"excel", "html"})
def board_reports(context: dg.AssetExecutionContext, warehouse: Warehouse, config: ReportConfig) -> dg.MaterializeResult:
    """Excel board packs (one per system and a combined one) and the HTML site for the period."""
    with warehouse.writer() as con:
        written = write_reports(con, context.partition_key, warehouse.paths.reports, context.run.run_id,
                                rebuild=config.rebuild)
    folder = written.folder
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()
                   and p.name not in (report_inputs.INPUTS, drill_reuse.RECORD))
    if written.kept:
        context.log.info(f"reports for {context.partition_key} kept: nothing they were made from changed")
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(folder)),
        "kept": dg.MetadataValue.text("yes: nothing they were made from changed since they were written"
                                      if written.kept else "no: written by this run"),
        "files": dg.MetadataValue.md("\n".join(f"- {f}" for f in files if not f.startswith("html/assets"))),
    })
