"""Linked flags on drill-down pages: which flag of the register a flagged row of a page is (its
source table and keys, rpt_flags.source_keys), and the other flags, data-quality warnings and
possible repeat payments on the same ledger lines (rpt_flag_links, whose header states the rule).
Reads rpt_ tables only; a warehouse without rpt_flag_links links nothing."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

import duckdb


@dataclass(frozen=True)
class Link:
    flag_id: str
    related_id: str
    related_kind: str
    related_subject: str
    reason: str
    shared_amount: Decimal


class FlagLinks:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name IN ('rpt_flags', 'rpt_flag_links')").fetchall()}
        self.flags: list[tuple[str, str, dict[str, str]]] = []
        self.links: dict[str, list[Link]] = {}
        if tables != {"rpt_flags", "rpt_flag_links"}:
            return
        for flag_id, source, keys in con.execute("SELECT flag_id, source_table, source_keys FROM rpt_flags").fetchall():
            self.flags.append((flag_id, source, _keys(keys)))
        for row in con.execute("SELECT flag_id, related_id, related_kind, related_subject, reason, shared_amount "
                               "FROM rpt_flag_links ORDER BY flag_id, abs(shared_amount) DESC, related_id").fetchall():
            self.links.setdefault(row[0], []).append(Link(*row))

    def flags_of_row(self, source: str, facts: Mapping[str, Any]) -> list[str]:
        """The flags a row of `source` is: every key of the flag's source_keys has the row's value."""
        return [flag_id for flag_id, src, keys in self.flags
                if src == source and keys and all(k in facts and str(facts[k]) == v for k, v in keys.items())]

    def of_row(self, source: str, facts: Mapping[str, Any]) -> list[Link]:
        return [link for flag_id in self.flags_of_row(source, facts) for link in self.links.get(flag_id, [])]


def _keys(text: str | None) -> dict[str, str]:
    """'contract_id=NW-PL; fy=2025-26' -> {'contract_id': 'NW-PL', 'fy': '2025-26'}."""
    out = {}
    for part in (text or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out
