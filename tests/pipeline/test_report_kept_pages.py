"""A changed partner-month in the demo's two systems: after `openbook run` the reports equal a build from
scratch on the same warehouse, page for page, though the change reaches pages that list none of its lines.

One South Fen council's payment is made £250,000 larger in a corrected file for the month before the
report's. That moves its own pages and South Fen's totals, and, through the pooled rate of every place
and the peers' median, the variation flags of North Weald's places, whose drill pages list only North
Weald's lines. A page kept from the last build when its inputs changed would be the last build's and
differ from the build from scratch; a page nothing reached is kept (the last build's file, same inode).
"""
import csv
import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from assets.report_assets import write_reports
from tests.pipeline import loading_helpers as h
from tests.pipeline.conftest import _runner_on
from tests.pipeline.test_report_late_file import STAMP, _cells, _files

pytestmark = pytest.mark.slow  # a run of the demo home's changed month and a build from scratch

PARTNER = "la_dunmere"          # Dunmere City Council, South Fen
MORE = Decimal("250000.00")


def _partners(home: Path, ics_id: str) -> list[str]:
    with open(home / "reference" / "partners.csv", encoding="utf-8", newline="") as f:
        return [row["name"] for row in csv.DictReader(f) if row["ics_id"] == ics_id]


def test_a_changed_month_rewrites_every_page_it_reaches_and_keeps_the_others(demo_home, tmp_path):
    home, period, changed = h.demo_copy_and_month_before(demo_home, tmp_path, PARTNER)
    # The last build is the demo home's own run's (by this code: the demo home is built from this tree),
    # copied with the home; building it again here would cost a whole demo site and board packs.
    site = home / "reports" / period / "html"
    before = {name: (os.stat(path).st_ino, path.read_bytes()) for name, path in _files(site).items()}

    h.one_payment_larger(home / changed, MORE)
    for runner in _runner_on(home):
        assert ("report_job", period) in h.run_once(runner)

    # the same warehouse, every report built anew
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(home / "warehouse" / "openbook.duckdb", db)
    with duckdb.connect(str(db)) as con:
        scratch = write_reports(con, period, tmp_path / "scratch", run_id="scratch", rebuild=True).folder / "html"
    after, fresh = _files(site), _files(scratch)
    assert after.keys() == fresh.keys()
    assert [n for n in after if n != STAMP and after[n].read_bytes() != fresh[n].read_bytes()] == []
    packs = sorted(p.name for p in site.parent.glob("*.xlsx"))
    assert len(packs) == 3 and packs == sorted(p.name for p in scratch.parent.glob("*.xlsx"))
    for name in packs:
        assert _cells(site.parent / name) == _cells(scratch.parent / name), name

    moved = {n for n in after if n != STAMP and (n not in before or before[n][1] != after[n].read_bytes())}
    # the partner's pages and the system pages showing its spend changed
    assert {f"partners/{PARTNER}.html", "index.html", "spend-by-partner.html", "open-book.html"} <= moved
    # drill pages the change reached though they list none of South Fen's lines (North Weald's variation flags)
    south_fen = _partners(home, "south_fen")
    elsewhere = [n for n in moved if n.startswith("drill/")
                 and not any(name in after[n].read_text(encoding="utf-8") for name in south_fen)]
    assert elsewhere, "no page outside South Fen moved: the change does not test what it should"
    # and pages nothing reached were kept: the last build's files, not written again
    kept = [n for n in after if n.startswith("drill/") and os.stat(after[n]).st_ino == before[n][0]]
    assert kept and not set(kept) & moved
    print("ELSEWHERE", sorted(elsewhere)[:20], len(elsewhere), "moved", len(moved), "kept", len(kept))
