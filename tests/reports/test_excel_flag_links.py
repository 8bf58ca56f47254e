"""The board pack's Flag register: each flag's id opens the row raising it on its sheet (reports/excel_flag_links.py).
Read from the pack the demo run wrote; the flags expected are the demo's planted ones (eleven, each raised on a row
of this year's sheets, as test_report_demo counts them), and the row each opens is checked by what it shows: the
flag's shading and the place, partner or scheme the register names in the flag's subject."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from reports.excel_flag_links import UNLINKED_NOTE

FLAG_FILL = "00FCE8C8"      # the pale orange of a flagged row


@pytest.fixture(scope="module")
def pack(demo_home) -> openpyxl.Workbook:
    folder = sorted(p for p in (demo_home / "reports").iterdir() if p.is_dir() and not p.name.startswith("."))[-1]
    return openpyxl.load_workbook(Path(folder) / f"openbook-board-pack-{folder.name}-all-systems.xlsx")


def test_every_flag_of_the_year_opens_the_row_raising_it(pack):
    ws = pack["Flag register"]
    header = [c.value for c in ws[5]]
    flag_col, subject_col = header.index("Flag"), header.index("Subject")
    seen = 0
    for row in ws.iter_rows(min_row=6):
        flag_id, subject = row[flag_col].value, row[subject_col].value
        if not flag_id or not subject:
            break
        link = row[flag_col].hyperlink
        assert link is not None and link.location, flag_id
        sheet, cell = link.location.rsplit("!", 1)
        target = pack[sheet.strip("'")][int(cell.lstrip("A"))]
        assert target[0].fill.fgColor.rgb == FLAG_FILL, (flag_id, link.location)
        names = [c.value for c in target if isinstance(c.value, str) and len(c.value) > 4
                 and not c.value.endswith(" ICS")]
        assert any(n in subject for n in names), (flag_id, subject, names)
        seen += 1
    assert seen == 11                                       # the demo's planted flags, all raised this year
    notes = [c.value for r in ws.iter_rows(min_row=6) for c in r if isinstance(c.value, str)]
    assert any(UNLINKED_NOTE in n for n in notes)          # why a past year's flag would have no link
