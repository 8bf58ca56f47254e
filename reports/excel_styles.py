"""Setting a cell's style cheaply, with the same result as openpyxl's own setters.

Setting cell.font (fill, border, alignment) makes openpyxl hash the style object, every field and
sub-object, to find it in the workbook's list: 28,000 times in a small pack, a third of its time.
So the sheets make each style once per set of arguments (cached makers, such as ``alignment``) and
each workbook looks each one up once (``set_style``); the cells get the same indexes, in the same
order, as the setters give them.
"""
from __future__ import annotations

import functools
import weakref

from openpyxl.styles import Alignment
from openpyxl.styles.cell_style import StyleArray

alignment = functools.lru_cache(maxsize=None)(Alignment)

_STYLE_IDS = {"font": "fontId", "fill": "fillId", "border": "borderId", "alignment": "alignmentId"}
_known_styles: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # workbook -> {(attr, id): (index, style)}


def set_style(cell, **styles) -> None:
    """``cell.font = ...`` (fill, border, alignment) as openpyxl does it, but a style object this
    workbook has seen is not hashed again: its index is remembered (with the object, so its id stays
    its own). Pays only for objects made once, as the cached makers make them."""
    known = _known_styles.setdefault(cell.parent.parent, {})
    for attr, style in styles.items():
        seen = known.get((attr, id(style)))
        if seen is None:
            setattr(cell, attr, style)
            known[(attr, id(style))] = (getattr(cell._style, _STYLE_IDS[attr]), style)
        else:
            if not cell._style:
                cell._style = StyleArray()
            setattr(cell._style, _STYLE_IDS[attr], seen[0])
