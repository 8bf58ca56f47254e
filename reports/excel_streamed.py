"""A sheet's rows written straight into its XML when the workbook is saved, not as openpyxl cells.

openpyxl makes an object for every cell and, when it saves, writes each one through its serialiser: for the
Transactions sheet of a large month (tens of thousands of lines, thirteen cells each) that was most of the pack's
time. ``StreamedRows`` holds such rows below a sheet's own cells as XML fragments, each distinct text
serialised once, and ``save`` (use it instead of ``Workbook.save``: that would leave the rows out) splices them
into the sheet's XML after openpyxl has written the rest of it. The file is the one openpyxl would write for the
same cells: text inline as openpyxl writes it (serialised by the same lxml), numbers through openpyxl's own
``safe_string``, and each cell's style index taken from the workbook's list of styles at the point openpyxl
would take it (the sheet's own cells first, then these rows, cell by cell), so the sheets written after get
the same indexes too.
"""
from __future__ import annotations

import datetime as dt
import functools
import weakref
from decimal import Decimal
from pathlib import Path
from typing import Any, Hashable, Iterator, Sequence
from zipfile import ZIP_DEFLATED, ZipFile

from lxml import etree
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.dimensions import RowDimension, SheetDimension
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_END_OF_ROWS = b"</sheetData>"
_PIECE = 50_000             # XML fragments joined and written at a time: a few thousand rows
_streamed: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()     # worksheet -> its StreamedRows


class StreamedRows:
    """The rows of ``ws`` from ``first_row`` down, kept as XML until the workbook is saved by ``save``. A cell
    is (style key, value, text or not); each style key is registered once with its style (``style``)."""

    def __init__(self, ws: Worksheet, first_row: int):
        if ws in _streamed:
            raise ValueError(f"sheet {ws.title!r} already has streamed rows")
        _streamed[ws] = self
        self.ws = ws
        self.first_row = first_row
        self._styles: dict[Hashable, StyleArray | None] = {}
        self._rows: list[tuple[str, list[tuple[str, Hashable, str]]]] = []
        self._heights: list[float | None] = []
        self.columns = 0

    def style(self, key: Hashable, style: StyleArray | None) -> None:
        """The style of the cells of ``key`` (None: no style, as a cell openpyxl never styled)."""
        self._styles[key] = style if style is None or any(style) else None

    def has_style(self, key: Hashable) -> bool:
        return key in self._styles

    def append(self, cells: Sequence[tuple[Hashable, Any, bool]], height: float | None = None) -> None:
        """A row below the last, its cells from column A; ``height`` in points (None: the sheet's default)."""
        kept = []
        for j, (key, value, text) in enumerate(cells, start=1):
            if value is None and self._styles[key] is None:
                continue            # as openpyxl leaves out a cell with neither value nor style
            kept.append((get_column_letter(j), key, _text_xml(value) if text else _number_xml(value)))
        self._rows.append((_height_xml(height), kept))
        self._heights.append(height)
        self.columns = max(self.columns, len(cells))

    @property
    def last_row(self) -> int:
        """The sheet's last row, its own cells' or these rows' (openpyxl's ``max_row``, these rows counted)."""
        return max(self.ws.max_row, self.first_row + len(self._rows) - 1)

    def height(self, row: int) -> float | None:
        """A streamed row's height as set (None: the default), as ``ws.row_dimensions[row].height`` would say."""
        return self._heights[row - self.first_row]

    def is_streamed(self, row: int) -> bool:
        return self.first_row <= row < self.first_row + len(self._rows)

    def dimension(self) -> str:
        """The sheet's used range, as openpyxl's ``calculate_dimension`` would give it with these rows as cells."""
        ws = self.ws
        last_column = max(ws.max_column, self.columns)
        return f"{get_column_letter(ws.min_column)}{ws.min_row}:{get_column_letter(last_column)}{self.last_row}"

    def xml(self, cell_styles) -> Iterator[bytes]:
        """The rows' XML, a few thousand rows at a time (a large month's sheet is tens of megabytes); each style's
        index is looked up in the workbook's list (``cell_styles``, adding it when new) at its first cell, where
        openpyxl's writer would look it up."""
        style_attr: dict[Hashable, str] = {}
        out = []
        for r, (height, cells) in enumerate(self._rows, start=self.first_row):
            row = str(r)
            out.append(f'<row r="{row}"{height}>')
            for letter, key, value in cells:
                attr = style_attr.get(key)
                if attr is None:
                    style = self._styles[key]
                    attr = style_attr[key] = "" if style is None else f' s="{cell_styles.add(style)}"'
                out.append(f'<c r="{letter}{row}"{attr}{value}')
            out.append("</row>")
            if len(out) >= _PIECE:
                yield "".join(out).encode("ascii")
                out = []
        yield "".join(out).encode("ascii")


@functools.lru_cache(maxsize=1 << 16)
def _text_xml(value: str | None) -> str:
    """A text cell's type and content, closing the cell, serialised by lxml as openpyxl's writer has it do
    (ASCII, other characters as references; xml:space kept where the text starts or ends in spaces)."""
    if value is None or value == "":
        return ' t="inlineStr"></c>'
    t = etree.Element("t", {_XML_SPACE: "preserve"} if value != value.strip() else {})
    t.text = value
    return f' t="inlineStr"><is>{etree.tostring(t, encoding="ascii").decode("ascii")}</is></c>'


def _number_xml(value: Decimal | int | None) -> str:
    """A figure's cell type and content, closing the cell, as openpyxl writes a number."""
    if value is None:
        return ' t="n"></c>'
    return f' t="n"><v>{safe_string(value)}</v></c>'


@functools.lru_cache(maxsize=None)
def _height_xml(height: float | None) -> str:
    """A row's height attributes as openpyxl writes a row dimension of that height."""
    if height is None:
        return ""
    dimension = RowDimension(Worksheet(Workbook()), ht=height)
    return "".join(f' {k}="{v}"' for k, v in dimension)


class _SheetWriter(WorksheetWriter):
    """openpyxl's writer of one sheet, its streamed rows spliced in after its own rows."""

    def __init__(self, ws: Worksheet, rows: StreamedRows):
        self.streamed = rows
        super().__init__(ws)

    def write_dimensions(self):
        self.xf.send(SheetDimension(self.streamed.dimension()).to_tree())

    def write(self):
        super().write()
        with open(self.out, "rb") as f:
            head, end, tail = f.read().rpartition(_END_OF_ROWS)
        if not end:
            raise ValueError(f"no rows element in sheet {self.ws.title!r}")
        with open(self.out, "wb") as f:
            f.write(head)
            f.writelines(self.streamed.xml(self.ws.parent._cell_styles))
            f.write(end)
            f.write(tail)


class _Writer(ExcelWriter):
    """openpyxl's workbook writer, a sheet with streamed rows written by ``_SheetWriter``."""

    def write_worksheet(self, ws):
        rows = _streamed.get(ws)
        if rows is None:
            return super().write_worksheet(ws)
        # ExcelWriter.write_worksheet's steps (openpyxl 3.1), with the sheet's own writer
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _SheetWriter(ws, rows)
        writer.write()
        ws._rels = writer._rels
        self._archive.write(writer.out, ws.path[1:])
        self.manifest.append(ws)
        writer.cleanup()


def save(wb: Workbook, path: Path) -> None:
    """``wb.save(path)`` (openpyxl's save_workbook's steps), the sheets' streamed rows included."""
    archive = ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)
    _Writer(wb, archive).save()         # closes the archive
