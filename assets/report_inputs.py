"""What a period's reports were made from, so a run whose reports would come out the same keeps
the ones it has instead of writing them again.

A report build reads the warehouse through ``Recording``, which notes every table its queries
name (by DuckDB's parser, warehouse/model_graph.tables_read); views are followed to the tables
they read. The reports' fingerprint is then: the report code (every file of reports/ and the
measure definitions the variation section reads), the catalog (every view's and macro's
definition), and each table read, by count and content hash (warehouse/fingerprints.py; the ledgers
from the change markers their writers keep, warehouse/change_markers.py, rather than by reading them), read
through the build's one ``Reading`` (reports/warehouse_reading.py), which the drill pages' record asks too. It
is kept beside the reports it describes (``INPUTS`` in the version's folder).

Why the tables the last build read are enough: the queries a build runs are decided by the code
and by what the queries before them returned, so with the same code and the same content in
every table the last build read, a new build would run the same queries on the same data and
write the same reports. Anything else changing cannot reach them.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from reports.warehouse_reading import Reading
from warehouse.model_graph import tables_read

INPUTS = ".inputs.json"           # in a report version's folder: what it was made from
ROOT = Path(__file__).resolve().parents[1]
# the code a report's content comes from, beyond the warehouse: the report room and the measure
# definitions the variation section reads its prose from
CODE = (ROOT / "reports", ROOT / "sql" / "measures")


class Recording:
    """A connection that notes the tables its queries read (the reports call only execute)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        self.tables: set[str] = set()
        self._parsed: set[str] = set()     # the texts already parsed: the packs and the site run the same queries

    def execute(self, sql: str, *args: Any, **kwargs: Any):
        if sql not in self._parsed:        # what a text reads is decided by the text alone (parameters are bound)
            self.tables |= tables_read(sql, "a report query", self._con)
            self._parsed.add(sql)
        return self._con.execute(sql, *args, **kwargs)


@lru_cache(maxsize=None)
def code_version() -> str:
    """The report code as this process first saw it: the code it runs (files edited under a long-lived
    process do not change what it runs)."""
    digest = hashlib.sha256()
    for folder in CODE:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_version(reading: Reading) -> str:
    """The report code and the catalog: what a page kept from the last build must have been made by."""
    return f"{code_version()}:{reading.catalog}"


def fingerprint(reading: Reading, tables: set[str]) -> dict[str, Any]:
    """The reports' inputs: the code, the catalog, and every table of ``tables`` (views followed to
    the tables they read) by content; a table that is not there (a temporary one) by its absence."""
    return {"code": code_version(), "catalog": reading.catalog, "tables": sorted(tables),
            "content": {n: reading.content(n) if n in reading.base else None for n in sorted(reading.behind(tables))}}


def kept(version: Path | None) -> dict[str, Any] | None:
    """The inputs a report version was made from, or None (none recorded, or no version)."""
    path = version / INPUTS if version is not None else None
    if path is None or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def unchanged(reading: Reading, version: Path | None) -> bool:
    """Whether the reports in ``version`` would come out the same from the warehouse as it is now."""
    before = kept(version)
    return before is not None and fingerprint(reading, set(before["tables"])) == before


def keep(version: Path, inputs: dict[str, Any]) -> None:
    (version / INPUTS).write_text(json.dumps(inputs, sort_keys=True, indent=1), encoding="utf-8")
