"""A corrected file moves the counterparty register's totals, not its classes: the drill pages of lines by
recipient sector read only the classes, so they are kept; a class that changes rewrites them.

fct_mh_ledger_by_recipient joins dim_counterparty for each line's counterparty class; the register also holds
each counterparty's totals paid, which move with any amount in any ledger. The drill pages' record
fingerprints a source's whole tables by the columns DuckDB's plan reads of them (warehouse/columns_read.py).
After a corrected file (one payment £1 larger) the reports equal a build from scratch on the same warehouse,
and sector-by-recipient pages whose lines the file does not reach were neither read nor rendered. Then one
counterparty's class changes (as a reviewer's decision would change it) and no load with it: the pages listing
its lines change sector, are rewritten, and again equal a build from scratch.
"""
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from assets.report_assets import write_reports
from reports import html_site
from tests.pipeline import loading_helpers as h
from tests.pipeline.test_report_late_file import STAMP, _cells, _files

pytestmark = pytest.mark.slow  # a run of the demo home's corrected month and two builds from scratch

PARTNER = "la_dunmere"
SECTOR_PAGES = "drill/sector-by-recipient-"
def _same_as_from_scratch(home: Path, period: str, scratch: Path) -> dict[str, bytes]:
    """The home's reports against every report built anew on a copy of its warehouse; the site's files."""
    db = scratch.parent / f"{scratch.name}.duckdb"
    shutil.copyfile(home / "warehouse" / "openbook.duckdb", db)
    with duckdb.connect(str(db)) as con:
        fresh_folder = write_reports(con, period, scratch, run_id="scratch", rebuild=True).folder
    site = {n: p.read_bytes() for n, p in _files(home / "reports" / period / "html").items()}
    fresh = {n: p.read_bytes() for n, p in _files(fresh_folder / "html").items()}
    assert site.keys() == fresh.keys()
    assert [n for n in site if n != STAMP and site[n] != fresh[n]] == []
    packs = sorted(p.name for p in (home / "reports" / period).glob("*.xlsx"))
    assert len(packs) == 3 and packs == sorted(p.name for p in fresh_folder.glob("*.xlsx"))
    for name in packs:
        assert _cells(home / "reports" / period / name) == _cells(fresh_folder / name), name
    return site


def _run(home: Path) -> list[tuple[str, str]]:
    from pipelines.runner import Runner
    from warehouse.settings import HOME_VARIABLES, Paths, environment_restored

    with environment_restored(*HOME_VARIABLES):
        return h.run_once(Runner(Paths(home)))


def _register(home: Path) -> dict[str, tuple]:
    with duckdb.connect(str(home / "warehouse" / "openbook.duckdb"), read_only=True) as con:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT counterparty, counterparty_class, gross_paid FROM dim_counterparty").fetchall()}


def test_a_register_total_moved_keeps_the_sector_pages_and_a_class_changed_rewrites_them(demo_home, tmp_path,
                                                                                          monkeypatch):
    home, period, changed = h.demo_copy_and_month_before(demo_home, tmp_path, PARTNER)
    register = _register(home)
    rendered: list[str] = []
    body = html_site._drill_body
    monkeypatch.setattr(html_site, "_drill_body",
                        lambda ctx, page, d=None: rendered.append(page.slug) or body(ctx, page, d))

    # a corrected file: the register's totals move, its classes do not
    h.one_payment_larger(home / changed, Decimal("1.00"))
    assert ("report_job", period) in _run(home)
    late = set(rendered)                  # the report job's (the builds from scratch below render every page)
    moved = _register(home)
    assert {k: v[0] for k, v in moved.items()} == {k: v[0] for k, v in register.items()}
    assert any(moved[k][1] != register[k][1] for k in register), "no total moved: the case is not exercised"
    site = _same_as_from_scratch(home, period, tmp_path / "scratch-1")
    sector_pages = {n.removeprefix("drill/").removesuffix(".html") for n in site
                    if n.startswith(SECTOR_PAGES) and n.endswith(".html")}
    kept = sector_pages - late
    assert kept, "every sector-by-recipient page was rendered again"

    # a class changed, no load with it: the pages listing its lines are rewritten
    with duckdb.connect(str(home / "warehouse" / "openbook.duckdb")) as con:
        (name,) = con.execute(
            "SELECT counterparty FROM fct_mh_ledger_by_recipient JOIN dim_counterparty USING (counterparty) "
            "WHERE counterparty_class = 'vcse' AND NOT in_house GROUP BY ALL ORDER BY sum(net_spend) DESC LIMIT 1"
        ).fetchone()
        con.execute("UPDATE dim_counterparty SET counterparty_class = 'independent_healthcare' WHERE counterparty = ?",
                    [name])
    rendered.clear()
    with duckdb.connect(str(home / "warehouse" / "openbook.duckdb")) as con:
        write_reports(con, period, home / "reports", run_id="class-changed")
    late = set(rendered)
    after = _same_as_from_scratch(home, period, tmp_path / "scratch-2")
    rewritten = {n.removeprefix("drill/").removesuffix(".html") for n in after
                 if n.startswith(SECTOR_PAGES) and n.endswith(".html") and site.get(n) != after[n]}
    assert rewritten and rewritten <= late
