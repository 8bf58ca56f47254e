"""The bad-input corpus: reading the cases, putting each input into an inbox, and the
figures of the warehouse that no bad input may change.

A case is a folder under corpus/cases/ with a case.yaml (what must happen; see
corpus/README.md) and, unless the case is generated at test time, its input file.
"""
from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = CORPUS / "cases"
GOOD_HAVEN = CORPUS / "good" / "Haven Crisis Houses management accounts M03 2025-26.xlsx"
LA_HEADER = ("Body Name,Service Area,Service Division,Expenditure Category,Cost Centre Code,Payment Date,"
             "Transaction ID,Supplier Name,Amount (£)")
LA_ROW = "Ashby Borough Council,Adult Social Care,Older People,Supported living,31210,{date},{tid},Caremark,{amount}"


@dataclass(frozen=True)
class Case:
    id: str
    folder: Path
    spec: dict[str, Any]

    @property
    def expect(self) -> dict[str, Any]:
        return self.spec["expect"]

    @property
    def outcome(self) -> str:
        return self.expect["outcome"]

    @property
    def config(self) -> str:
        return self.spec["config"]


def load_cases() -> list[Case]:
    cases = []
    for folder in sorted(p for p in CASES.iterdir() if p.is_dir()):
        spec = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
        cases.append(Case(folder.name, folder, spec))
    return cases


def input_file(case: Case) -> Path:
    """The committed input: the one file in the folder beside case.yaml."""
    inputs = [p for p in case.folder.iterdir() if p.name != "case.yaml"]
    assert len(inputs) == 1, f"{case.id}: expected one input file beside case.yaml, found {inputs}"
    return inputs[0]


def case_input_name(case: Case) -> str:
    generate = case.spec.get("generate")
    return input_file(case).name if generate is None else generate["name"]


def materialise(case: Case, partner_folder: Path, outside: Path) -> Path:
    """Put the case's input into the partner's inbox folder; returns its path there."""
    partner_folder.mkdir(parents=True, exist_ok=True)
    generate = case.spec.get("generate")
    if generate is None:
        source = input_file(case)
        target = partner_folder / source.name
        target.write_bytes(source.read_bytes())
        return target
    return GENERATORS[generate["kind"]](generate, partner_folder, outside)


# --------------------------------------------------------------------------- generators
# Inputs too big for git, or that git cannot hold (links, names that are not UTF-8).


def _la_text(rows: list[str]) -> bytes:
    return ("\n".join([LA_HEADER, *rows]) + "\n").encode("utf-8")


def _row(tid: str, amount: str, date: str = "02-Jul-25") -> str:
    return LA_ROW.format(tid=tid, amount=amount, date=date)


def _huge_single_line(spec, folder, outside) -> Path:
    path = folder / spec["name"]
    path.write_bytes(b"A" * (spec["megabytes"] * 1024 * 1024))
    return path


def _huge_line_after_header(spec, folder, outside) -> Path:
    path = folder / spec["name"]
    huge = "B" * (spec["megabytes"] * 1024 * 1024)
    path.write_bytes(_la_text([_row("G1", "1250.00"), huge, _row("G2", "612.40")]))
    return path


def _million_separators_header(spec, folder, outside) -> Path:
    path = folder / spec["name"]
    path.write_bytes(b"," * spec["separators"] + b"\n" + _la_text([_row("G1", "1250.00")]))
    return path


def _million_separators_in_row(spec, folder, outside) -> Path:
    path = folder / spec["name"]
    wide = _row("G2", "612.40") + "," * spec["separators"] + "x"
    path.write_bytes(_la_text([_row("G1", "1250.00"), wide, _row("G3", "30.00")]))
    return path


def _name_not_utf8(spec, folder, outside) -> Path:
    # A name from a Windows zip: "£" as the single Windows-1252 byte 0xA3.
    raw = os.fsencode(folder) + b"/" + spec["name"].encode("utf-8").replace(b"POUND", b"\xa3")
    with open(raw, "wb") as handle:
        handle.write(_la_text([_row("G1", "1250.00")]))
    return Path(os.fsdecode(raw))


def _secret(outside: Path) -> Path:
    outside.mkdir(parents=True, exist_ok=True)
    secret = outside / "Spend_over_500_2025-06.csv"
    secret.write_bytes(_la_text([_row("SECRET", "999999.99", "30-Jun-25")]))
    return secret


def _symlink_outside(spec, folder, outside) -> Path:
    path = folder / spec["name"]
    os.symlink(_secret(outside), path)
    return path


def _dangling_symlink(spec, folder, outside) -> Path:
    path = folder / spec["name"]
    os.symlink(outside / "no-such-file.csv", path)
    return path


def _symlinked_partner_folder(spec, folder, outside) -> Path:
    # The partner's whole inbox folder is a link to a folder elsewhere.
    _secret(outside)
    folder.rmdir()
    os.symlink(outside, folder)
    return folder


def _zip_bomb(spec, folder, outside) -> Path:
    """The good workbook with its sheet padded by megabytes of spaces, which deflate to
    almost nothing. With forge_sizes the zip's headers also understate the sizes."""
    path = folder / spec["name"]
    padding = b" " * (spec["megabytes"] * 1024 * 1024)
    out = io.BytesIO()
    with zipfile.ZipFile(GOOD_HAVEN) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + padding, 1)
            target.writestr(entry.filename, data)
    data = out.getvalue()
    if spec.get("forge_sizes"):
        data = _understate_sizes(data)
    path.write_bytes(data)
    return path


def _understate_sizes(data: bytes) -> bytes:
    """Rewrite every declared uncompressed size (local and central headers) to 1 KiB."""
    forged = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for item in archive.infolist():
            forged[item.header_offset + 22:item.header_offset + 26] = (1024).to_bytes(4, "little")
        position = archive.start_dir  # the central directory
    while (position := forged.find(b"PK\x01\x02", position)) != -1:
        forged[position + 24:position + 28] = (1024).to_bytes(4, "little")
        position += 4
    return bytes(forged)


def _deep_yaml(spec, folder, outside) -> Path:
    path = folder / spec["name"]
    depth = spec["depth"]
    path.write_text("partner_id: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    return path


GENERATORS = {
    "huge_single_line": _huge_single_line,
    "huge_line_after_header": _huge_line_after_header,
    "million_separators_header": _million_separators_header,
    "million_separators_in_row": _million_separators_in_row,
    "name_not_utf8": _name_not_utf8,
    "symlink_outside": _symlink_outside,
    "dangling_symlink": _dangling_symlink,
    "symlinked_partner_folder": _symlinked_partner_folder,
    "zip_bomb": _zip_bomb,
    "deep_yaml": _deep_yaml,
}


# --------------------------------------------------------------------------- figures

WAREHOUSE_TABLES = ("load_log", "raw_ledger", "quarantine", "skipped_rows", "stg_ledger")


def tables(con) -> list[str]:
    return sorted(r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall())


def partition_figures(con, partitions: list[tuple[str, str]]) -> dict:
    """Everything about the given partner-periods that a bad input must not change."""
    figures = {}
    for partner_id, period in partitions:
        key = {"p": partner_id, "m": period}
        where = "WHERE partner_id = $p AND period = $m"
        figures[(partner_id, period)] = {
            "raw": con.execute(f"SELECT count(*), sum(amount) FROM raw_ledger {where}", key).fetchone(),
            "stg": con.execute(f"SELECT count(*), sum(amount), count(DISTINCT load_id) FROM stg_ledger {where}",
                               key).fetchone(),
            "quarantine": con.execute(f"SELECT count(*) FROM quarantine {where}", key).fetchone(),
            "skipped": con.execute(f"SELECT count(*) FROM skipped_rows {where}", key).fetchone(),
            "current": con.execute(
                "SELECT load_id, source_file, sha256, rows_read, rows_loaded, rows_quarantined, rows_skipped"
                f" FROM load_log {where} AND status = 'current'", key).fetchall(),
        }
    return figures


def unaccounted_rows(con, load_id: str) -> int:
    """Rows of a loaded file in neither raw_ledger, quarantine nor skipped_rows (and raw
    rows in neither stg_ledger nor staging quarantine): must be 0."""
    (read,) = con.execute("SELECT rows_read FROM load_log WHERE load_id = $l", {"l": load_id}).fetchone()
    counts = {table: con.execute(f"SELECT count(*) FROM {table} WHERE load_id = $l{extra}", {"l": load_id}).fetchone()[0]
              for table, extra in (("raw_ledger", ""), ("skipped_rows", ""), ("stg_ledger", ""),
                                   ("quarantine", " AND stage = 'parse'"))}
    (staged_out,) = con.execute(
        "SELECT count(*) FROM quarantine WHERE load_id = $l AND stage = 'staging'", {"l": load_id}).fetchone()
    parse_gap = read - counts["raw_ledger"] - counts["quarantine"] - counts["skipped_rows"]
    staging_gap = counts["raw_ledger"] - counts["stg_ledger"] - staged_out
    return abs(parse_gap) + abs(staging_gap)
