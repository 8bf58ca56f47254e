"""Each model's documentation lives in the header comment of its SQL file:

    -- <table>: <what it is, may run over several lines>
    -- Grain: <one row per ...>
    -- Keys: <column, column>            (optional)
    -- Columns:
    --   <column>: <description>

After the model is built its table and column comments are set from this header, so the
data dictionary, generated from the warehouse itself, cannot drift from the SQL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from warehouse import catalog
from warehouse.lake import on_lake

_COLUMN = re.compile(r"^\s{2,}([A-Za-z_][A-Za-z0-9_]*):\s*(.+)$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class ModelDoc:
    table: str
    description: str
    grain: str = ""
    keys: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def table_comment(self) -> str:
        parts = [self.description, f"Grain: {self.grain}" if self.grain else ""]
        if self.keys:
            parts.append(f"Keys: {', '.join(self.keys)}")
        return " ".join(p.rstrip(".") + "." for p in parts if p)


def header_lines(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].rstrip())
    return lines


def parse_model_doc(text: str) -> ModelDoc:
    """Read the header comment of a model's SQL file."""
    lines = header_lines(text)
    if not lines or ":" not in lines[0]:
        raise ValueError("the SQL file does not start with '-- <table>: <description>'")
    table, first = lines[0].strip().split(":", 1)
    doc = ModelDoc(table=table.strip(), description=first.strip())
    section = "description"
    for line in lines[1:]:
        stripped = line.strip()
        lowered = stripped.lower()
        if lowered.startswith("grain:"):
            doc.grain, section = stripped[6:].strip(), "grain"
        elif lowered.startswith("keys:"):
            doc.keys = [k.strip() for k in stripped[5:].split(",") if k.strip()]
            section = "keys"
        elif lowered == "columns:":
            section = "columns"
        elif section == "columns" and (match := _COLUMN.match(line)):
            doc.columns[match.group(1)] = match.group(2).strip()
        elif section == "columns" and stripped and doc.columns:
            last = next(reversed(doc.columns))
            doc.columns[last] += " " + stripped
        elif section == "description" and stripped:
            doc.description += " " + stripped
        elif section == "grain" and stripped:
            doc.grain += " " + stripped
    return doc


def _literal(text: str) -> str:
    # COMMENT ON takes no bound parameters (DuckDB's parser rejects them), so the text is
    # quoted here. It only ever comes from this repository's own SQL headers.
    return "'" + text.replace("'", "''") + "'"


def apply_comments(con: duckdb.DuckDBPyConnection, doc: ModelDoc) -> None:
    """The model's table (or view) and column comments. Run it inside a transaction (with the
    model's build where it can be): each COMMENT is a commit of its own otherwise, a WAL sync
    on the DuckDB file and a snapshot on a lake (29 columns: 2.7 s on a lake, 0.1 s in one)."""
    if not _IDENT.match(doc.table):
        raise ValueError(f"not a table name: {doc.table!r}")
    database = catalog.current_database(con)
    view = not catalog.table_exists(con, doc.table, database)  # a model is a table or a view
    con.execute(f'COMMENT ON {"VIEW" if view else "TABLE"} "{doc.table}" IS {_literal(doc.table_comment)}')
    if view and on_lake(con):
        # DuckLake keeps no comments on a view's columns; the analysts' copy published from a
        # lake gets them there (analyst/publish.py).
        return
    existing = {column for column, _ in catalog.columns(con, doc.table, database) or []}
    for column, text in doc.columns.items():
        if column in existing:
            con.execute(f'COMMENT ON COLUMN "{doc.table}"."{column}" IS {_literal(text)}')
