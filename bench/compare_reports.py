"""Two report builds of the same period, compared file by file, byte for byte.

    .venv/bin/python bench/compare_reports.py BEFORE_DIR AFTER_DIR

Each directory is a period's reports (the folder `reports/<period>` points at, or
bench/report_profile.py's DIR/reports/<period>). A workbook is compared member by member of its
zip (the zip's own entry times differ between any two saves); every other file as it is. The
only differences allowed are the produced-at stamps: the workbook's created/modified properties
(docProps/core.xml) and the cover's "Produced" time. A workbook's XML parts are compared in canonical
form (C14N 2.0), so the same XML written through lxml or et_xmlfile compares equal; bench/compare_packs.py
compares two packs cell by cell instead. The version's record of what it was made
from (.inputs.json) holds the report code's hash, so it differs whenever the code does: it is
left out; so is that hash in the site's record of its drill pages (html/.drill-pages.json, its `version`:
the code's hash, then the catalog's, which is compared). Prints every file that differs beyond those, and
exits 1 when there is one.
"""
from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from assets.report_inputs import INPUTS  # noqa: E402

# produced-at stamps: the workbook properties' times, and any "YYYY-MM-DD HH:MM" / ISO time text
_STAMPS = (re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>"),
           re.compile(rb"\d{1,2} \w+ \d{4},? \d{2}:\d{2}(:\d{2})?"),
           re.compile(rb'(?<="version":")[0-9a-f]{64}(?=:)'))     # the drill record's: the report code's hash


def _members(path: Path) -> dict[str, bytes]:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return {f"{path.name}!{n}": _canonical(n, z.read(n)) for n in z.namelist()}
    return {path.name: path.read_bytes()}


def _canonical(name: str, data: bytes) -> bytes:
    """A workbook's XML part in canonical form (C14N 2.0): openpyxl writes the same XML through lxml or
    et_xmlfile with different quoting and declarations, which are not differences of the workbook."""
    if not name.endswith((".xml", ".rels")):
        return data
    return ET.canonicalize(data.decode("utf-8")).encode("utf-8")


def _files(folder: Path) -> dict[str, Path]:
    return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file() and p.name != INPUTS}


def compare(before: Path, after: Path) -> tuple[int, int, list[str]]:
    """(files compared, files equal only after removing stamps, differences)."""
    a, b = _files(before), _files(after)
    problems = [f"only in {before}: {n}" for n in sorted(a.keys() - b.keys())]
    problems += [f"only in {after}: {n}" for n in sorted(b.keys() - a.keys())]
    stamped = 0
    for name in sorted(a.keys() & b.keys()):
        if a[name].read_bytes() == b[name].read_bytes():
            continue
        ma, mb = _members(a[name]), _members(b[name])
        if ma.keys() != mb.keys():
            problems.append(f"{name}: members differ")
            continue
        only_stamps = True
        for member in ma:
            x, y = ma[member], mb[member]
            if x == y:
                continue
            for stamp in _STAMPS:
                x, y = stamp.sub(b"<stamp>", x), stamp.sub(b"<stamp>", y)
            if x == y:
                print(f"{member}: differs in its produced-at stamps only")
            else:
                only_stamps = False
                at = next(i for i in range(min(len(x), len(y)) + 1) if i == min(len(x), len(y)) or x[i] != y[i])
                problems.append(f"{member}: differs at byte {at}: {x[max(0, at - 60):at + 60]!r} / "
                                f"{y[max(0, at - 60):at + 60]!r}")
        stamped += only_stamps
    return len(a.keys() & b.keys()), stamped, problems


def main() -> int:
    before, after = Path(sys.argv[1]), Path(sys.argv[2])
    n, stamped, problems = compare(before, after)
    for p in problems:
        print(p)
    print(f"{n} files compared: {n - stamped - len(problems)} byte for byte equal or differing in zip times only, "
          f"{stamped} equal apart from produced-at stamps, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
