"""The warehouse on DuckLake: the same tables as Parquet files under a data path (a folder or
object storage), their metadata in a catalog database (a `*.ducklake` DuckDB file, or
PostgreSQL), chosen by `<home>/config/warehouse.yaml`:

    lake:
      catalog: postgres:dbname=openbook host=db.internal port=5432   # or lake/openbook.ducklake
      data_path: s3://openbook-lake/data/                            # or lake/data

Relative paths are inside the data home. Without the file (the default) the warehouse is
the one DuckDB file, warehouse/connection.py.

A writer on the lake is a cursor on this process's one in-memory DuckDB with the lake
ATTACHed and selected (`USE lake`), so the project's SQL runs unchanged; what DuckLake
refuses in it is rewritten in one place, `lake_statement`. Extensions are LOADed from the
installed duckdb-ext-* wheels, never downloaded. Nothing here runs at import time.
"""
from __future__ import annotations

import platform
import re
import threading
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Iterator

import duckdb
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from warehouse.memory import bound_memory
from warehouse.yaml_files import read_yaml, validation_problems

LAKE = "lake"  # the name the lake is attached under
SETTINGS_FILE = "warehouse.yaml"  # in <home>/config
POSTGRES = "postgres:"


class WarehouseConfigError(ValueError):
    """<home>/config/warehouse.yaml is not valid: one line naming the file and key."""


class LakeSetting(BaseModel):
    """Where the lake is: its catalog and its data path."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    catalog: str
    data_path: str
    # Inserts up to this many rows stay in the catalog instead of becoming a Parquet file
    # each: load_log and dq_results rows, small quarantines, the VCSE partners' few lines.
    inline_rows: int = 1000

    @field_validator("catalog")
    @classmethod
    def _catalog(cls, value: str) -> str:
        if value.startswith(POSTGRES):
            if "dbname=" not in value:
                raise ValueError("a PostgreSQL catalog is 'postgres:dbname=... host=... port=...'")
        elif not value.endswith(".ducklake"):
            raise ValueError("a catalog is a DuckDB catalog file '*.ducklake' or 'postgres:dbname=... host=...'")
        return value

    @field_validator("data_path")
    @classmethod
    def _data_path(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("data_path is empty")
        return value

    @property
    def is_file_catalog(self) -> bool:
        return not self.catalog.startswith(POSTGRES)

    def inside(self, home: Path) -> "LakeSetting":
        """The setting with relative file paths made absolute inside the data home."""
        catalog = self.catalog if not self.is_file_catalog else str((home / self.catalog).resolve())
        data = self.data_path if "://" in self.data_path else str((home / self.data_path).resolve())
        return self.model_copy(update={"catalog": catalog, "data_path": data})


class WarehouseSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lake: LakeSetting | None = None


def lake_setting(home: Path) -> LakeSetting | None:
    """The data home's lake, or None for the single DuckDB file (no warehouse.yaml, or no
    `lake:` in it)."""
    path = Path(home) / "config" / SETTINGS_FILE
    if not path.is_file():
        return None
    document = read_yaml(path, WarehouseConfigError)
    if document is None:
        return None
    try:
        setting = WarehouseSetting.model_validate(document)
    except ValidationError as error:
        raise WarehouseConfigError(f"{path}: {validation_problems(error)}") from None
    return setting.lake.inside(Path(home)) if setting.lake else None


# --------------------------------------------------------------------------- extensions


# The extension each duckdb-ext-<package> wheel holds, where the names differ.
_EXTENSION_OF = {"postgres": "postgres_scanner"}


def extension_path(name: str = "ducklake") -> Path:
    """The .duckdb_extension file of the installed duckdb-ext-<name> wheel for this
    DuckDB version and platform (the wheels exist for DuckDB 1.4.4)."""
    version = f"v{duckdb.__version__}"
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    wanted = f"duckdb_ext/extensions/{version}/{platform.system().lower()}_{machine}/{_EXTENSION_OF.get(name, name)}.duckdb_extension"
    try:
        dist = metadata.distribution(f"duckdb-ext-{name}")
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(f"the {name} extension is not installed (pip package duckdb-ext-{name})") from None
    for file in dist.files or []:
        if file.as_posix() == wanted:
            path = Path(dist.locate_file(file))
            if path.is_file():
                return path
    raise FileNotFoundError(f"duckdb-ext-{name} has no {wanted} for DuckDB {duckdb.__version__}")


def load_extension(con: duckdb.DuckDBPyConnection, name: str = "ducklake") -> None:
    """LOAD the extension into the connection's database, unless it is loaded already."""
    row = con.execute("SELECT loaded FROM duckdb_extensions() WHERE extension_name = $n",
                      {"n": _EXTENSION_OF.get(name, name)}).fetchone()
    if row and row[0]:
        return
    # A file path cannot be a bound parameter of LOAD; it comes from the installed wheel.
    con.execute(f"LOAD '{_sql_string(str(extension_path(name)))}'")


def _sql_string(text: str) -> str:
    return text.replace("'", "''")


def attach_lake(con: duckdb.DuckDBPyConnection, lake: LakeSetting, name: str = LAKE,
                read_only: bool = False) -> None:
    """ATTACH the lake to `con` as `name`. ATTACH takes no bound parameters; the catalog and
    data path come from the validated setting and are quoted here."""
    load_extension(con)
    if not lake.is_file_catalog:
        load_extension(con, "postgres")
    else:
        Path(lake.catalog).parent.mkdir(parents=True, exist_ok=True)
    if "://" not in lake.data_path:
        Path(lake.data_path).mkdir(parents=True, exist_ok=True)
    options = [f"DATA_PATH '{_sql_string(lake.data_path)}'"]
    options.append("READ_ONLY" if read_only else f"DATA_INLINING_ROW_LIMIT {int(lake.inline_rows)}")
    con.execute(f"ATTACH 'ducklake:{_sql_string(lake.catalog)}' AS {name} ({', '.join(options)})")


# --------------------------------------------------------------------------- the dialect

# What DuckLake refuses in the project's SQL, each rewritten to what it means on a lake:
# - PRIMARY KEY / UNIQUE: DuckLake has no constraints. The keys are still checked, after
#   each model is built (assets/model_checks.py keys_unique) and by the loaders' own logic.
# - USING COMPRESSION: Parquet chooses its own encodings per column.
# - a persistent MACRO: DuckLake stores no functions. The macros are made TEMP, so every
#   connection defines them again (each writer runs sql/staging/create_tables.sql first).
_REWRITES = (
    (re.compile(r"(?i)\s+primary\s+key\b"), ""),
    (re.compile(r"(?i)\s+using\s+compression\s+\w+"), ""),
    (re.compile(r"(?i)\bcreate\s+(or\s+replace\s+)?macro\b"), lambda m: f"CREATE {m.group(1) or ''}TEMP MACRO"),
)


def lake_statement(statement: str) -> str:
    """The statement as DuckLake takes it (unchanged when it has nothing DuckLake refuses)."""
    for pattern, replacement in _REWRITES:
        statement = pattern.sub(replacement, statement)
    return statement


def needs_rewrite(statement: str) -> bool:
    return any(pattern.search(statement) for pattern, _ in _REWRITES)


def on_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's current database is a DuckLake."""
    row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return bool(row) and row[0] == "ducklake"


# --------------------------------------------------------------------------- writers

_ATTACHED: dict[LakeSetting, list] = {}  # setting -> [the process's instance, writers open]
_GUARD = threading.Lock()


@contextmanager
def attached_instance(lake: LakeSetting) -> Iterator[duckdb.DuckDBPyConnection]:
    """This process's in-memory DuckDB with the lake attached, for as long as any writer
    has it open (a run keeps one open for all its steps). One instance per process: the
    same catalog attached twice in one process would be two writers of it."""
    with _GUARD:
        entry = _ATTACHED.get(lake)
        if entry is None:
            instance = duckdb.connect()
            bound_memory(instance)
            try:
                attach_lake(instance, lake)
            except BaseException:
                instance.close()
                raise
            entry = _ATTACHED[lake] = [instance, 0]
        entry[1] += 1
    try:
        yield entry[0]
    finally:
        with _GUARD:
            entry[1] -= 1
            if entry[1] == 0:
                # Detached when the last writer ends, so a DuckDB catalog file is free for
                # the next process.
                del _ATTACHED[lake]
                entry[0].close()
