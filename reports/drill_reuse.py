"""Drill pages kept from the last build of the site when nothing they show changed.

A drill page (reports/drilldown.DrillPage) shows what is known before its lines are read (its
title, figure, condition, where it is linked from, the flags on the same lines: its definition)
and the lines its condition matches in its source (reports/spec.DRILL_SOURCES). Every source is
made line by line: each of its lines comes from one ledger line of one load, joined to small
whole tables (partners, places, service lines, counterparties, contracts) and never summed or
ranked across lines (sql/marts/fct_*.sql; the ledger tables, stg_ledger and fct_mh_ledger, are
tables whose change markers say what each load holds). So a page's lines can only have changed
when
- a load it read lines from changed or left (the loads a page read are recorded with it), or
- a load that changed or came in now has lines its condition matches (asked of those loads'
  lines only: reports/drill_pass.matching), or
- a whole table its source reads changed, or the report code, the catalog (views, macros) or the
  page around the body (navigation, systems, month) did.
A page none of those reach is kept: its files are linked from the last build's folder, and its
lines are neither read nor rendered. Anything not recorded as expected (no record, another
code or catalog, a page not in the record, a file missing) rebuilds the page.

The record is ``RECORD`` in the site's folder: the version (code and catalog) it was made with,
each load's fingerprint in the per-load tables the sources read, each source's whole-table
fingerprint, and per page its definition's key, the loads it read and its files.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from reports import drill_pass
from reports.drilldown import DrillPage
from reports.spec import DRILL_SOURCES
from reports.warehouse_reading import Reading

RECORD = ".drill-pages.json"


@dataclass
class Inputs:
    """What the drill sources read now: per load (tables with a load_id) and per source (the rest)."""
    loads: dict[str, str]
    sources: dict[str, str]


@dataclass(frozen=True)
class Last:
    """The last build's site folder (None: there is none), the version of the code and catalog this
    build runs, and what the drill sources read now: what a build may keep pages by."""
    site: Path | None
    version: str
    inputs: Inputs


def last(reading: Reading, site: Path | None, version: str) -> Last:
    return Last(site, version, read_inputs(reading, list(DRILL_SOURCES)))


@dataclass
class Reuse:
    """The pages of a build kept from the last one, and the record the build leaves."""
    last: Last
    frame: str
    kept: set[str] = field(default_factory=set)          # slugs kept from the last build
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)   # the record's pages, as this build leaves them

    def files_of(self, page: DrillPage) -> list[str]:
        return self.pages[page.slug]["files"]

    def written(self, page: DrillPage, files: list[str]) -> None:
        """A page built by this build: its key, the loads it read and the files written for it."""
        self.pages[page.slug] = {"key": page_key(page, self.frame, self.last.inputs), "loads": page.loads,
                                 "files": sorted(files), "line_count": page.line_count,
                                 "line_total": str(page.line_total)}

    def record(self) -> str:
        """The record, as text (the site writer writes it like any other file)."""
        return json.dumps({"version": self.last.version, "loads": self.last.inputs.loads,
                           "sources": self.last.inputs.sources, "pages": self.pages}, sort_keys=True, separators=(",", ":"))


def plan(con: duckdb.DuckDBPyConnection, pages: list[DrillPage], last: Last, frame: str) -> Reuse:
    """Which of ``pages`` (registered, not read) can be kept from the last build's site."""
    reuse = Reuse(last, frame)
    record = _record(last.site)
    if record is None or not last.version or record.get("version") != last.version:
        return reuse
    inputs, loads_then = last.inputs, record["loads"]
    changed = {load for load in set(loads_then) | set(inputs.loads) if loads_then.get(load) != inputs.loads.get(load)}
    candidates = []
    for page in pages:
        then = record["pages"].get(page.slug)
        if (then is not None and then["key"] == page_key(page, frame, inputs) and not changed & set(then["loads"])
                and all((last.site / name).is_file() for name in then["files"])):
            candidates.append(page)
    arrived = sorted(changed & set(inputs.loads))    # changed loads with lines now: do any match a candidate?
    touched = drill_pass.matching(con, [p.condition for p in candidates], arrived) if arrived else [False] * len(candidates)
    for page, hit in zip(candidates, touched):
        if not hit:
            then = record["pages"][page.slug]
            reuse.kept.add(page.slug)
            reuse.pages[page.slug] = then
            # what other pages show of a kept page's lines (a flag's "the N ledger lines behind it")
            page.line_count, page.line_total, page.loads = then["line_count"], Decimal(then["line_total"]), then["loads"]
    return reuse


def page_key(page: DrillPage, frame: str, inputs: Inputs) -> str:
    """What a page shows beside its lines: its definition, the page around it, its source's whole tables."""
    definition = (page.slug, page.title, page.section.key, page.flag_text, page.figure_label, page.figure, page.fmt,
                  page.condition.key, page.limit, page.linked_from, page.see_also,
                  sorted(page.facts.items(), key=lambda kv: kv[0]))
    text = repr((definition, frame, inputs.sources[page.condition.source]))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_inputs(reading: Reading, sources: list[str]) -> Inputs:
    """Each load's fingerprint in every table with a load_id the sources read (from the change markers
    where they can be trusted), and each source's fingerprint of the other tables it reads: of the columns
    it reads of them where DuckDB's plan says which (a register's totals it does not read can move without
    moving its lines), else of all their content."""
    behind = {source: reading.behind([source]) & reading.base for source in sources}
    read = set().union(*behind.values()) if behind else set()
    loads: dict[str, list[str]] = {}
    for table in sorted(read & reading.per_load):
        for load, fingerprint in reading.loads(table).items():
            loads.setdefault(load, []).append(f"{table}={fingerprint}")
    return Inputs(loads={load: ";".join(parts) for load, parts in loads.items()},
                  sources={source: _whole_tables(reading, source, tables - reading.per_load)
                           for source, tables in behind.items()})


def _whole_tables(reading: Reading, source: str, tables: set[str]) -> str:
    """A source's fingerprint of the tables it reads whole (not by load)."""
    read = reading.read_by(source, tables) if tables else {}
    parts = [(t, reading.content(t) if read.get(t) is None else (sorted(read[t]), reading.columns(t, read[t])))
             for t in sorted(tables)]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def _record(previous: Path | None) -> dict[str, Any] | None:
    path = previous / RECORD if previous is not None else None
    if path is None or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
