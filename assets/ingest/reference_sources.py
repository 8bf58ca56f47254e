"""Where each reference table comes from, and turning that source into the CSV its
sql/staging/ref_<name>.sql reads.

By default a reference table is reference/<name>.csv, as it always was. An optional
reference/sources.yaml names another file for a table, a CSV or a sheet of an .xlsx
workbook, or (populations only) the NHS England GP-practice weighted populations workbook
as published, rolled up to places:

    contracts:
      file: Contracts register 2025-26.xlsx
      sheet: Register            # default: the first visible sheet
      header_row: 3              # default: the first non-empty row
    populations:
      format: gp_weighted_populations
      file: GP Practice WP_2023_2024_2025.xlsx
      mapping: practice_places.csv   # practice_code or sub_icb_code -> place_id

Every source becomes one CSV in the shape the table's SQL reads, so the typing rules stay
in one place (the SQL file) whatever the source. Config errors name the file and key.
"""
from __future__ import annotations

import csv
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Annotated, Iterator, Literal, Union

import python_calamine
import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from assets.ingest.readers import cell_text
from assets.ingest.reference_files import reference_file

REFERENCE_TABLES = (
    "partners", "places", "populations", "service_lines", "cost_centre_map",
    "partner_aliases", "contracts", "investment_plans", "allocations", "lp_activity",
    "mapping_rules", "budgets", "budget_phasing", "agency_caps", "agency_suppliers",
    "alliance_providers", "alliance_populations", "alliance_activity", "alliance_finance",
)
SOURCES_FILE = "sources.yaml"


class ReferenceSourceError(ValueError):
    """A reference source that cannot be used: one line naming the file (and key, row, field)."""


class TableSource(BaseModel):
    """A reference table read as it is: a CSV, or one sheet of an .xlsx workbook whose
    headings are the table's columns."""

    model_config = ConfigDict(extra="forbid")
    file: str
    format: Literal["csv", "xlsx"] | None = None  # default: from the file's extension
    sheet: str | None = None
    header_row: int | None = Field(default=None, ge=1)


class WeightedPopulationColumns(BaseModel):
    """The headings of the columns used, as regular expressions matched against the whole
    heading (case and surrounding spaces ignored). Defaults are the published headings."""

    model_config = ConfigDict(extra="forbid")
    practice: str = r"Practice_Code"
    sub_icb: str = r"CCG\d{2}"  # the sub-ICB location (former CCG) code, e.g. 16C
    registered_population: str = r"pop \d{4}/\d{2}"  # the year's registered population
    weighted_population: str = r"Final WP"  # overall core-services weighted population
    mh_weighted_population: str = r"MH WP"  # mental-health component weighted population


class WeightedPopulationsSource(BaseModel):
    """NHS England's GP-practice weighted populations workbook: one sheet per financial
    year, one row per practice, rolled up to places through a mapping file."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["gp_weighted_populations"]
    file: str
    mapping: str
    # The sheet name gives the financial year: GP_wp_202425 is 2024-25.
    sheets: str = r"GP_wp_(?P<start>\d{4})(?P<end>\d{2})"
    header_row: int | None = Field(default=None, ge=1)  # default: the row holding the practice heading
    columns: WeightedPopulationColumns = WeightedPopulationColumns()


def _populations_kind(value) -> str:
    # The format key decides which model applies, so an error names the fields of that one.
    given = value.get("format") if isinstance(value, dict) else getattr(value, "format", None)
    return "gp_weighted_populations" if given == "gp_weighted_populations" else "table"


PopulationsSource = Annotated[
    Union[Annotated[WeightedPopulationsSource, Tag("gp_weighted_populations")], Annotated[TableSource, Tag("table")]],
    Discriminator(_populations_kind),
]


class ReferenceSources(BaseModel):
    """reference/sources.yaml: one optional entry per reference table."""

    model_config = ConfigDict(extra="forbid")
    partners: TableSource | None = None
    places: TableSource | None = None
    populations: PopulationsSource | None = None
    service_lines: TableSource | None = None
    cost_centre_map: TableSource | None = None
    partner_aliases: TableSource | None = None
    contracts: TableSource | None = None
    investment_plans: TableSource | None = None
    allocations: TableSource | None = None
    lp_activity: TableSource | None = None
    mapping_rules: TableSource | None = None
    budgets: TableSource | None = None
    budget_phasing: TableSource | None = None
    agency_caps: TableSource | None = None
    agency_suppliers: TableSource | None = None
    alliance_providers: TableSource | None = None
    alliance_populations: TableSource | None = None
    alliance_activity: TableSource | None = None
    alliance_finance: TableSource | None = None


def load_reference_sources(reference_dir: Path) -> ReferenceSources:
    """reference/sources.yaml, or the defaults (every table from reference/<name>.csv)."""
    path = Path(reference_dir) / SOURCES_FILE
    if not path.is_file():
        return ReferenceSources()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ReferenceSourceError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ReferenceSourceError(f"{path}: expected a mapping of table name to source")
    try:
        return ReferenceSources.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ReferenceSourceError(f"{path}: {problems}") from None


def source_files(reference_dir: Path) -> list[Path]:
    """Every file the reference data is read from (for change detection)."""
    reference_dir = Path(reference_dir)
    return sorted(p for p in reference_dir.iterdir() if p.is_file()) if reference_dir.is_dir() else []


@dataclass
class PreparedSource:
    """A reference source turned into the CSV the table's SQL reads."""

    csv_path: Path
    source: Path  # the file as the user gave it
    notes: dict = field(default_factory=dict)  # what the conversion saw, for run metadata


@contextmanager
def prepared_source(reference_dir: Path, name: str) -> Iterator[PreparedSource]:
    """The CSV for reference table `name` (a temporary one when the source is a workbook)."""
    if name not in REFERENCE_TABLES:
        raise ReferenceSourceError(f"{name!r} is not a reference table")
    reference_dir = Path(reference_dir)
    spec = getattr(load_reference_sources(reference_dir), name)
    # An optional table (mapping_rules) with no file reads an empty stand-in: no rows.
    path = reference_dir / spec.file if spec else reference_file(reference_dir, name)
    if not path.is_file():
        raise ReferenceSourceError(f"reference file missing: {path}")
    if spec is None or (isinstance(spec, TableSource) and _format(spec, path) == "csv"):
        yield PreparedSource(path, path)
        return
    with TemporaryDirectory(prefix=f"openbook-ref-{name}-") as tmp:
        out = Path(tmp) / f"{name}.csv"
        if isinstance(spec, WeightedPopulationsSource):
            notes = write_weighted_populations(path, reference_dir / spec.mapping, spec, out)
        else:
            notes = write_sheet(path, spec, out)
        yield PreparedSource(out, path, notes)


def _format(spec: TableSource, path: Path) -> str:
    if spec.format:
        return spec.format
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return "xlsx"
    return "csv"


# --------------------------------------------------------------------------- workbooks


def _open_workbook(path: Path) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except (python_calamine.CalamineError, OSError, ValueError) as error:
        raise ReferenceSourceError(f"{path}: cannot be read as an Excel workbook ({error})") from None


def _visible_sheets(workbook) -> list[str]:
    # Hidden sheets are never read: a reader of the workbook cannot see them (issue 19).
    return [m.name for m in workbook.sheets_metadata if str(m.visible).endswith("Visible")]


def _grid(workbook, sheet: str) -> list[list[object]]:
    # skip_empty_area=False pads from A1, so list index + 1 is the sheet's row number.
    return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def write_sheet(path: Path, spec: TableSource, out: Path) -> dict:
    """One sheet of a workbook, headings first, as CSV text (cells as Excel shows them)."""
    workbook = _open_workbook(path)
    visible = _visible_sheets(workbook)
    if spec.sheet is None:
        if not visible:
            raise ReferenceSourceError(f"{path}: the workbook has no visible sheet")
        sheet = visible[0]
    else:
        matches = [s for s in visible if s.strip().casefold() == spec.sheet.strip().casefold()]
        if not matches:
            raise ReferenceSourceError(
                f"{path}: no visible sheet named {spec.sheet!r} (sheet); it has {', '.join(map(repr, visible))}")
        sheet = matches[0]
    grid = _grid(workbook, sheet)
    texts = [[cell_text(v) for v in row] for row in grid]
    if spec.header_row is not None:
        header_index = spec.header_row - 1
    else:
        header_index = next((i for i, row in enumerate(texts) if any(row)), None)
    if header_index is None or header_index >= len(texts) or not any(texts[header_index]):
        raise ReferenceSourceError(f"{path}: sheet {sheet!r} has no headings (header_row)")
    headings = _trim(texts[header_index])
    kept = [(i + 1, row) for i, row in enumerate(texts) if i > header_index and any(row)]
    rows = [_pad(row, len(headings)) for _, row in kept]
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(headings)
        writer.writerows(rows)
    # the sheet's row of each row written (blank rows are skipped): where a reader finds a table's row again
    return {"sheet": sheet, "header_row": header_index + 1, "rows": len(rows),
            "source_rows": [number for number, _ in kept]}


def _trim(row: list[str | None]) -> list[str]:
    while row and row[-1] is None:
        row = row[:-1]
    return [(cell or "").strip() for cell in row]


def _pad(row: list[str | None], width: int) -> list[str]:
    if any(cell for cell in row[width:]):
        raise ReferenceSourceError(f"a row has values right of the last heading: {row}")
    row = row[:width]
    return [cell if cell is not None else "" for cell in row] + [""] * (width - len(row))


# --------------------------------------------------------------------------- weighted populations

POPULATION_COLUMNS = ("fy", "place_id", "weighted_population", "mh_need_index", "mh_weighted_population")


@dataclass
class PlaceTotals:
    registered: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    mh_weighted: Decimal = Decimal(0)
    practices: int = 0


def read_place_mapping(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """practice code -> place, sub-ICB code -> place, from a CSV with columns
    practice_code, sub_icb_code, place_id (one of the two codes on each row)."""
    if not path.is_file():
        raise ReferenceSourceError(f"practice-to-place mapping missing: {path} (mapping)")
    by_practice: dict[str, str] = {}
    by_sub_icb: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"practice_code", "sub_icb_code", "place_id"} - set(reader.fieldnames or [])
        if missing:
            raise ReferenceSourceError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for number, row in enumerate(reader, start=2):
            practice, sub_icb = (row["practice_code"] or "").strip().upper(), (row["sub_icb_code"] or "").strip().upper()
            place = (row["place_id"] or "").strip()
            if not place or bool(practice) == bool(sub_icb):
                raise ReferenceSourceError(
                    f"{path} row {number}: give a place_id and exactly one of practice_code, sub_icb_code")
            target, key = (by_practice, practice) if practice else (by_sub_icb, sub_icb)
            if key in target and target[key] != place:
                raise ReferenceSourceError(f"{path} row {number}: {key} is mapped to two places")
            target[key] = place
    return by_practice, by_sub_icb


def _column(headings: list[str], pattern: str, key: str, where: str) -> int:
    regex = re.compile(pattern, re.IGNORECASE)
    found = [i for i, h in enumerate(headings) if regex.fullmatch(" ".join(h.split()))]
    if len(found) != 1:
        what = "no column" if not found else "more than one column"
        raise ReferenceSourceError(f"{where}: {what} matches columns.{key} {pattern!r}")
    return found[0]


def _number(value: object, where: str) -> Decimal:
    text = cell_text(value)
    try:
        number = Decimal(text.replace(",", "")) if text is not None else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ReferenceSourceError(f"{where}: {text!r} is not a number")
    return number


def roll_up_weighted_populations(path: Path, mapping: Path, spec: WeightedPopulationsSource,
                                 ) -> tuple[dict[tuple[str, str], PlaceTotals], dict]:
    """Sum each year's practices into places: practice mapping first, then sub-ICB.
    Practices of areas the mapping does not cover belong to other systems (the workbook
    is national) and are counted, not loaded."""
    by_practice, by_sub_icb = read_place_mapping(mapping)
    workbook = _open_workbook(path)
    sheet_regex = re.compile(spec.sheets)
    totals: dict[tuple[str, str], PlaceTotals] = {}
    notes = {"sheets": [], "practices_rolled_up": 0, "practices_outside_mapped_areas": 0}
    for sheet in _visible_sheets(workbook):
        match = sheet_regex.fullmatch(sheet.strip())
        if not match:
            continue
        start, end = match.group("start"), match.group("end")
        if int(end) != (int(start) + 1) % 100:
            raise ReferenceSourceError(f"{path}: sheet {sheet!r} does not name a financial year (sheets)")
        fy = f"{start}-{end}"
        grid = _grid(workbook, sheet)
        texts = [[(cell_text(v) or "").strip() for v in row] for row in grid]
        practice_heading = re.compile(spec.columns.practice, re.IGNORECASE)
        if spec.header_row is not None:
            header_index = spec.header_row - 1
        else:  # title and notes rows above the table: the headings are the row naming the practice code
            header_index = next((i for i, row in enumerate(texts)
                                 if any(practice_heading.fullmatch(" ".join(c.split())) for c in row)), None)
        if header_index is None or header_index >= len(texts):
            raise ReferenceSourceError(f"{path}: sheet {sheet!r} has no heading matching columns.practice")
        where = f"{path} sheet {sheet!r}"
        headings = texts[header_index]
        index = {key: _column(headings, getattr(spec.columns, key), key, where)
                 for key in WeightedPopulationColumns.model_fields}
        notes["sheets"].append(sheet)
        for number, row in enumerate(grid[header_index + 1:], start=header_index + 2):
            practice = texts[number - 1][index["practice"]].upper() if index["practice"] < len(row) else ""
            if not practice:
                continue  # blank rows and footnotes below the table
            sub_icb = texts[number - 1][index["sub_icb"]].upper()
            place = by_practice.get(practice) or by_sub_icb.get(sub_icb)
            if place is None:
                notes["practices_outside_mapped_areas"] += 1
                continue
            cell = f"{where} row {number}"
            item = totals.setdefault((fy, place), PlaceTotals())
            item.registered += _number(row[index["registered_population"]], f"{cell}, registered population")
            item.weighted += _number(row[index["weighted_population"]], f"{cell}, weighted population")
            item.mh_weighted += _number(row[index["mh_weighted_population"]], f"{cell}, MH weighted population")
            item.practices += 1
            notes["practices_rolled_up"] += 1
    if not notes["sheets"]:
        raise ReferenceSourceError(f"{path}: no visible sheet name matches sheets {spec.sheets!r}")
    return totals, notes


def write_weighted_populations(path: Path, mapping: Path, spec: WeightedPopulationsSource, out: Path) -> dict:
    """The rolled-up workbook in ref_populations' shape. The MH weighted population is the
    sum itself (no population x rounded index); the index is shown for reference only:
    MH weighted / registered population (1.0 = England, where the two totals agree)."""
    totals, notes = roll_up_weighted_populations(path, mapping, spec)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(POPULATION_COLUMNS)
        for (fy, place), t in sorted(totals.items()):
            index = (t.mh_weighted / t.registered).quantize(Decimal("0.0001"), ROUND_HALF_UP) if t.registered else ""
            writer.writerow([fy, place, t.weighted.quantize(Decimal("0.01"), ROUND_HALF_UP), index,
                             t.mh_weighted.quantize(Decimal("0.000001"), ROUND_HALF_UP)])
    notes["places"] = len(totals)
    return notes
