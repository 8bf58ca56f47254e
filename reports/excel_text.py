"""The board pack's font and the width of text set in it (column widths are counted in it).

Apart from reports/excel_pack.py so that every sheet's writer (reports/excel_transactions.py too, which
the pack imports) sets its cells in the one font and sizes its columns by the one measure."""
from __future__ import annotations

import functools

FONT = "Arial"
ROW_PT = 12.75      # a row's height in points: a line of the pack's 10-point type

# Advance widths of Arial (= Helvetica metrics), in 1/1000 em; others count as 'n'.
_ARIAL = {c: w for chars, w in (
    (" !',./:;[\\]fIijlt", 278), ("()-`r", 333), ("*", 389), ("\"", 355), ("^", 469),
    ("Jckvxyzs", 500), ("#$0123456789?_abdeghnopqu£L", 556), ("+<=>~", 584), ("FTZ", 611),
    ("ABEKPSVXY&", 667), ("CDHNRUw", 722), ("GOQ", 778), ("Mm", 833), ("%", 889),
    ("W", 944), ("—", 1000), ("@", 1015), ("|", 260), ("{}", 334), ("·", 278))
    for c in chars}


# Both measures are pure and asked again and again of the same text (a partner's name on every sheet, the
# same working in every pack): each is worked out once per text.
@functools.lru_cache(maxsize=1 << 16)
def text_width(text: str, *, bold: bool = False, size: float = 10) -> float:
    """Width of text in Excel column-width units (the '0' of the default font, ~7 px)."""
    em = 0.0
    for ch in text:
        w = _ARIAL.get(ch, 556)
        em += w * (1.08 if bold and not ch.isdigit() else 1.0)
    px = em / 1000 * size * 96 / 72
    return px / 7


@functools.lru_cache(maxsize=1 << 16)
def wrapped_lines(text: str, width: float, *, bold: bool = False) -> int:
    """Lines ``text`` takes wrapped in a column ``width`` wide (Excel width units), as the applications wrap:
    greedily, at a space or after a hyphen ("mental-" ends a line, "health" starts the next). The room is the
    width less a little padding, on the narrow side of LibreOffice's and Excel's (LibreOffice's columns print
    about 7% wider), so a row given this many lines never cuts its text off."""
    room = max(width - 0.3, 1.0)
    space = text_width(" ", bold=bold)
    n = 0
    for para in str(text).split("\n"):
        n, used = n + 1, 0.0
        for word in para.split(" "):
            parts = word.replace("-", "-\0").split("\0")         # a line may break after a hyphen
            for k, part in enumerate(parts):
                w = text_width(part, bold=bold)
                gap = space if used and k == 0 else 0.0
                if used and used + gap + w > room:
                    n, used = n + 1, w
                else:
                    used += gap + w
    return n
