"""Finding the header row and matching the config's column names to it.

Headers are compared ignoring case, byte-order marks and repeated or no-break spaces,
because partners retype them ("Expense Area" one month, "Expense area " the next).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assets.ingest.errors import SubmissionError
from assets.ingest.source_config import HEADER_SEARCH_ROWS

Cells = Sequence[str | None]

# Messages list the columns found, but a hostile or broken file can have a million of
# them, or one a million characters long: show the first few, each cut short.
LISTED_COLUMNS = 20
LISTED_CHARACTERS = 60
# Excel's widest sheet (column XFD): a row with more cells is not a header.
MAX_COLUMNS = 16_384


@dataclass(frozen=True)
class Header:
    row: int  # 1-based row (sheet) or line (csv) number
    names: list[str]  # one per column; blank headers become column_<n>, repeats get " (2)"
    unnamed: frozenset[str]  # names we made up for blank header cells
    roles: dict[str, str]  # role (canonical field or config key path) -> name in `names`


def normalise(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split()).casefold()


def column_names(cells: Cells) -> tuple[list[str], frozenset[str]]:
    names: list[str] = []
    unnamed: set[str] = set()
    seen: dict[str, int] = {}
    for position, cell in enumerate(cells, start=1):
        name = " ".join((cell or "").replace("\ufeff", "").split())
        if not name:
            name = f"column_{position}"
            unnamed.add(name)
        count = seen.get(normalise(name), 0) + 1
        seen[normalise(name)] = count
        names.append(name if count == 1 else f"{name} ({count})")
    return names, frozenset(unnamed)


def match_roles(names: list[str], needed: dict[str, list[str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(found: role -> column, missing: role -> candidate names). The first candidate
    present wins, and the first column of that name."""
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(normalise(name), name)
    found: dict[str, str] = {}
    missing: dict[str, list[str]] = {}
    for role, candidates in needed.items():
        column = next((by_key[normalise(c)] for c in candidates if normalise(c) in by_key), None)
        if column is None:
            missing[role] = candidates
        else:
            found[role] = column
    return found, missing


def key_path(role: str) -> str:
    """Where the config names this column: canonical fields live under `columns.`."""
    return role if "." in role else f"columns.{role}"


def describe_missing(missing: dict[str, list[str]]) -> str:
    return "; ".join(
        " or ".join(f'"{name}"' for name in candidates) + f" ({key_path(role)})" for role, candidates in missing.items()
    )


def rows_to_search(header_row: int | str) -> int:
    """How many leading rows to read: the first 30 (a wrong fixed header row gets a hint
    pointing at the right one), and at least down to a fixed header row."""
    return max(header_row if isinstance(header_row, int) else 0, HEADER_SEARCH_ROWS)


def find_header(
    rows: Sequence[tuple[int, Cells]],
    header_row: int | str,
    needed: dict[str, list[str]],
    file: Path,
) -> Header:
    """The header among `rows` ((row number, cells), in file order): the given row
    number, or with "auto" the first of the first 30 rows holding every needed column."""
    candidates = [
        (number, cells) for number, cells in rows if len(cells) <= MAX_COLUMNS and any(c and c.strip() for c in cells)
    ]
    if header_row == "auto":
        for number, cells in candidates:
            if number > HEADER_SEARCH_ROWS:
                break
            header = _header_if_complete(number, cells, needed)
            if header is not None:
                return refuse_ambiguous(header, file)
        raise SubmissionError(file, message=_no_header_message(candidates, needed))
    chosen = next((cells for number, cells in rows if number == header_row), None)
    if chosen is None:
        message = f"the file ends before the header row {header_row} (file.header_row)"
        raise SubmissionError(file, row=header_row, message=message)
    if len(chosen) > MAX_COLUMNS:
        message = (f"the header row has {len(chosen):,} columns, more than a spreadsheet can hold ({MAX_COLUMNS:,}): "
                   "this is not a header (file.header_row)")
        raise SubmissionError(file, row=header_row, message=message)
    header = _header_if_complete(header_row, chosen, needed)
    if header is not None:
        return refuse_ambiguous(header, file)
    names, _ = column_names(chosen)
    _, missing = match_roles(names, needed)
    message = f"the header row lacks {describe_missing(missing)}; columns there: {_listing(names)}"
    elsewhere = next((n for n, c in candidates if n <= HEADER_SEARCH_ROWS and _header_if_complete(n, c, needed)), None)
    if elsewhere is not None:
        message += f". The header looks like it is on row {elsewhere}: set file.header_row to {elsewhere} or auto"
    raise SubmissionError(file, row=header_row, message=message)


def _header_if_complete(number: int, cells: Cells, needed: dict[str, list[str]]) -> Header | None:
    names, unnamed = column_names(cells)
    roles, missing = match_roles(names, needed)
    return None if missing else Header(row=number, names=names, unnamed=unnamed, roles=roles)


def refuse_ambiguous(header: Header, file: Path) -> Header:
    """A column the config maps must appear once: with two "Amount" columns, taking the
    first would be a guess, and a wrong one would load the wrong figures silently."""
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(header.names, start=1):
        if name not in header.unnamed:
            positions.setdefault(normalise(_without_repeat_suffix(name)), []).append(position)
    for role, column in header.roles.items():
        found = positions.get(normalise(column), [])
        if len(found) > 1:
            where = ", ".join(str(p) for p in found)
            # Publishers often head a code column and its name column alike ("Account Code",
            # "Account Code"): the later ones can be mapped by the names they are read under.
            later = ", ".join(f'"{_cut(header.names[p - 1])}" (column {p})' for p in found[1:])
            raise SubmissionError(
                file, row=header.row, field=column,
                message=f'the header has {len(found)} columns named "{_cut(column)}" (columns {where}); '
                f"{key_path(role)} maps it, so it is unclear which one to read: rename or remove the others, "
                f"or map a later one by the name it is read under: {later}")
    return header


def _without_repeat_suffix(name: str) -> str:
    # column_names writes the second "Amount" as "Amount (2)".
    head, _, tail = name.rpartition(" (")
    return head if head and tail.endswith(")") and tail[:-1].isdigit() else name


def _no_header_message(candidates: Sequence[tuple[int, Cells]], needed: dict[str, list[str]]) -> str:
    message = f"no header row found: none of the first {HEADER_SEARCH_ROWS} rows holds all the mapped columns"
    best: tuple[int, int, list[str], dict[str, list[str]]] | None = None
    for number, cells in candidates:
        if number > HEADER_SEARCH_ROWS:
            break
        names, _ = column_names(cells)
        found, missing = match_roles(names, needed)
        if found and (best is None or len(found) > best[1]):
            best = (number, len(found), names, missing)
    if best is None:
        return message + f" (looked for {describe_missing(needed)})"
    number, _, names, missing = best
    return f"{message}; row {number} comes closest but lacks {describe_missing(missing)}; columns there: {_listing(names)}"


def _listing(names: list[str]) -> str:
    shown = ", ".join(f'"{_cut(name)}"' for name in names[:LISTED_COLUMNS])
    return shown if len(names) <= LISTED_COLUMNS else f"{shown} and {len(names) - LISTED_COLUMNS:,} more"


def _cut(text: str) -> str:
    return text if len(text) <= LISTED_CHARACTERS else text[:LISTED_CHARACTERS] + f"… ({len(text):,} characters)"
