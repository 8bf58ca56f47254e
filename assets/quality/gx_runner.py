"""Expectation suites (data files in expectations/) and the Great Expectations runner.

This is the only module in the project that imports ``great_expectations``; its API churns,
so nothing else should depend on it.  Great Expectations is imported lazily, on the first
call of :func:`validate_frame` (the import alone costs 3-5 s), so importing this module for
:func:`load_suite` or the outcome classes is cheap.  ``assets.quality.sql_runner`` runs the
same suite files as plain DuckDB SQL and returns the same outcome objects.

Suite files are Great Expectations' own suite JSON (what ``ExpectationSuite.to_json_dict()``
writes and ``gx.ExpectationSuite(**json)`` accepts).  Project rules on top of that format,
checked by :func:`load_suite`:

* every expectation's ``meta`` has ``severity`` ("ERROR" blocks downstream, "WARN" only
  reports) and a plain-English ``description`` a partner's finance officer understands;
  GE's own ``severity`` field, when present, must agree ("critical" for ERROR, "warning"
  for WARN);
* only the expectation types in :data:`SUPPORTED_EXPECTATIONS` are allowed, with only the
  keyword arguments listed there: these are the types both runners implement with the same
  semantics;
* run-time values are suite parameters, ``{"$PARAMETER": "name"}`` (a bare name, no
  expressions), declared in the suite's ``meta.parameters``.

Parameter values are plain Python values: ``datetime.date`` for dates (not ISO text),
lists (or sets) of values for value sets.

Semantics both runners share (those of Great Expectations 1.24 on pandas, verified in
tests/quality):

* ``element_count`` is the number of rows in the batch; nulls are ignored by ``in_set``,
  ``between`` and ``unique`` (a column that is entirely null passes them); null means
  missing (None/NaN/NaT) -- for float columns NaN counts as null;
* ``expect_column_values_to_be_unique`` counts every row whose value occurs more than once
  (two equal transaction ids are two unexpected rows);
* ``expect_compound_columns_to_be_unique`` treats nulls as equal to each other, after
  dropping rows per ``ignore_row_if`` (default ``all_values_are_missing``);
* ``expect_column_pair_values_a_to_be_greater_than_b``: a row where one side is null (and
  the row is not ignored per ``ignore_row_if``, default ``both_values_are_missing``) fails.
* an expectation that errored (missing column, incomparable types, ...) has
  ``success=False, errored=True``: never a pass.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import re
import threading
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import polars

__all__ = [
    "ExpectationOutcome",
    "SuiteOutcome",
    "SuiteError",
    "SUPPORTED_EXPECTATIONS",
    "SAMPLE_SIZE",
    "load_suite",
    "suite_parameter_names",
    "resolve_parameters",
    "jsonable",
    "validate_frame",
    "gx_suite_json",
]

SAMPLE_SIZE = 20
SEVERITIES = ("ERROR", "WARN")
# GE 1.x has its own per-expectation severity; when a file carries it, it must agree.
_GX_SEVERITY = {"ERROR": "critical", "WARN": "warning"}

_IDENT = re.compile(r"[A-Za-z0-9_]+")
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# type -> (required kwargs, optional kwargs).  Both runners implement exactly these.
_MAP_OPTIONAL = ("mostly",)
SUPPORTED_EXPECTATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "expect_table_row_count_to_be_between": (
        (),
        ("min_value", "max_value", "strict_min", "strict_max"),
    ),
    "expect_column_values_to_not_be_null": (("column",), _MAP_OPTIONAL),
    "expect_column_values_to_be_in_set": (("column", "value_set"), _MAP_OPTIONAL),
    "expect_column_values_to_be_between": (
        ("column",),
        ("min_value", "max_value", "strict_min", "strict_max", *_MAP_OPTIONAL),
    ),
    "expect_column_values_to_be_unique": (("column",), _MAP_OPTIONAL),
    "expect_compound_columns_to_be_unique": (
        ("column_list",),
        ("ignore_row_if", *_MAP_OPTIONAL),
    ),
    "expect_column_pair_values_a_to_be_greater_than_b": (
        ("column_A", "column_B"),
        ("or_equal", "ignore_row_if", *_MAP_OPTIONAL),
    ),
}
IGNORE_ROW_IF = {
    "expect_compound_columns_to_be_unique": (
        "all_values_are_missing",
        "any_value_is_missing",
        "never",
    ),
    "expect_column_pair_values_a_to_be_greater_than_b": (
        "both_values_are_missing",
        "either_value_is_missing",
        "neither",
    ),
}
_SUITE_KEYS = {"name", "id", "expectations", "meta", "notes"}
_EXPECTATION_KEYS = {"type", "kwargs", "meta", "severity", "id", "notes"}


class SuiteError(ValueError):
    """A suite file (or the parameters given for it) is not usable; the message names the
    file and, where it applies, the expectation's index."""


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation, the same from either runner."""

    suite: str
    expectation_type: str
    column: str | None  # "a,b" for multi-column expectations, None for table-level ones
    description: str
    severity: str  # "ERROR" | "WARN"
    success: bool  # False when the expectation failed OR errored
    errored: bool
    error_message: str | None
    element_count: int  # rows in the batch
    unexpected_count: int  # failing rows (0 for table-level expectations)
    # up to SAMPLE_SIZE failing values (dicts for compound, [a, b] for pair expectations),
    # JSON-serialisable: Decimal -> str, dates -> "YYYY-MM-DD", nulls -> None.  Which
    # values are sampled when more than SAMPLE_SIZE fail is up to the engine.
    unexpected_sample: list = field(default_factory=list)
    observed_value: Any = None  # table-level expectations: e.g. the row count
    index: int = -1  # position of the expectation in its suite file

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    outcomes: list[ExpectationOutcome]

    @property
    def error_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == "ERROR" and not o.success]

    @property
    def warn_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == "WARN" and not o.success]

    @property
    def passed(self) -> bool:
        """True when no ERROR expectation failed or errored (WARN failures are allowed)."""
        return not self.error_failures

    def to_dict(self) -> dict:
        return {
            "suite": self.suite,
            "passed": self.passed,
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


# --------------------------------------------------------------------------- suite files


def _is_param(value: Any) -> bool:
    return isinstance(value, dict) and "$PARAMETER" in value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def load_suite(path: Path) -> dict:
    """Read and check a suite file; return its JSON (a dict).

    Raises SuiteError naming the file (and the expectation index) on bad JSON, an unknown
    or unsupported expectation type, unknown/missing keyword arguments, a missing or
    invalid severity/description, or an undeclared suite parameter.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read suite file: {exc}") from exc
    try:
        suite = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuiteError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from exc
    if not isinstance(suite, dict):
        raise SuiteError(f"{path}: a suite file must hold a JSON object")
    extra = set(suite) - _SUITE_KEYS
    if extra:
        raise SuiteError(f"{path}: unknown top-level key(s) {sorted(extra)}")
    if not isinstance(suite.get("name"), str) or not suite["name"]:
        raise SuiteError(f'{path}: the suite needs a "name"')
    expectations = suite.get("expectations")
    if not isinstance(expectations, list) or not expectations:
        raise SuiteError(f'{path}: "expectations" must be a non-empty list')
    meta = suite.get("meta") or {}
    if not isinstance(meta, dict):
        raise SuiteError(f'{path}: "meta" must be an object')
    declared = meta.get("parameters", {})
    if not isinstance(declared, dict):
        raise SuiteError(f'{path}: "meta.parameters" must be an object of name: description')
    for index, exp in enumerate(expectations):
        _check_expectation(path, index, exp, declared)
    return suite


def _check_expectation(path: Path, index: int, exp: Any, declared: dict) -> None:
    where = f"{path}: expectation #{index}"
    if not isinstance(exp, dict):
        raise SuiteError(f"{where}: must be a JSON object")
    etype = exp.get("type")
    where = f"{where} ({etype})"
    if etype not in SUPPORTED_EXPECTATIONS:
        raise SuiteError(
            f"{where}: unknown or unsupported expectation type {etype!r}; "
            f"supported: {', '.join(sorted(SUPPORTED_EXPECTATIONS))}"
        )
    extra = set(exp) - _EXPECTATION_KEYS
    if extra:
        raise SuiteError(f"{where}: unknown key(s) {sorted(extra)}")
    meta = exp.get("meta")
    if not isinstance(meta, dict):
        raise SuiteError(f'{where}: "meta" with "severity" and "description" is missing')
    severity = meta.get("severity")
    if severity is None:
        raise SuiteError(f'{where}: meta.severity is missing; use "ERROR" or "WARN"')
    if severity not in SEVERITIES:
        raise SuiteError(f'{where}: meta.severity is {severity!r}; use "ERROR" or "WARN"')
    native = exp.get("severity")
    if native is not None and native != _GX_SEVERITY[severity]:
        raise SuiteError(
            f'{where}: GE severity {native!r} disagrees with meta.severity {severity!r} '
            f'(expected {_GX_SEVERITY[severity]!r})'
        )
    description = meta.get("description")
    if not isinstance(description, str) or not description.strip():
        raise SuiteError(f"{where}: meta.description (plain English) is missing")
    kwargs = exp.get("kwargs")
    if not isinstance(kwargs, dict):
        raise SuiteError(f'{where}: "kwargs" must be an object')
    required, optional = SUPPORTED_EXPECTATIONS[etype]
    missing = [k for k in required if k not in kwargs]
    if missing:
        raise SuiteError(f"{where}: missing kwarg(s) {missing}")
    unknown = sorted(set(kwargs) - set(required) - set(optional))
    if unknown:
        raise SuiteError(f"{where}: unsupported kwarg(s) {unknown}")
    for key, value in kwargs.items():
        if _is_param(value):
            name = value.get("$PARAMETER")
            if set(value) != {"$PARAMETER"} or not isinstance(name, str) or not _PARAM_NAME.fullmatch(name):
                raise SuiteError(f"{where}: kwarg {key!r}: a parameter is {{\"$PARAMETER\": \"name\"}}")
            if name not in declared:
                raise SuiteError(
                    f"{where}: parameter {name!r} is not declared in the suite's meta.parameters"
                )
            continue
        _check_kwarg(where, etype, key, value)
    if etype.endswith("_to_be_between") and kwargs.get("min_value") is None and kwargs.get("max_value") is None:
        raise SuiteError(f"{where}: give min_value, max_value or both")


def _check_kwarg(where: str, etype: str, key: str, value: Any) -> None:
    def bad(msg: str) -> SuiteError:
        return SuiteError(f"{where}: kwarg {key!r} {msg}")

    if key in ("column", "column_A", "column_B"):
        if not isinstance(value, str) or not _IDENT.fullmatch(value):
            raise bad("must be a column name of letters, digits and _")
    elif key == "column_list":
        if (
            not isinstance(value, list)
            or len(value) < 2
            or not all(isinstance(c, str) and _IDENT.fullmatch(c) for c in value)
        ):
            raise bad("must be a list of two or more column names")
    elif key == "value_set":
        if not isinstance(value, list):
            raise bad("must be a list (or a $PARAMETER)")
    elif key in ("min_value", "max_value"):
        if value is not None and not (_is_number(value) or isinstance(value, str)):
            raise bad("must be a number, text, null or a $PARAMETER")
    elif key in ("strict_min", "strict_max", "or_equal"):
        if not isinstance(value, bool):
            raise bad("must be true or false")
    elif key == "mostly":
        if not _is_number(value) or not 0 <= value <= 1:
            raise bad("must be a number between 0 and 1")
    elif key == "ignore_row_if":
        if value not in IGNORE_ROW_IF[etype]:
            raise bad(f"must be one of {list(IGNORE_ROW_IF[etype])}")


def suite_parameter_names(suite: dict) -> set[str]:
    """Names of the suite parameters used by a loaded suite's kwargs."""
    names = set()
    for exp in suite["expectations"]:
        for value in exp["kwargs"].values():
            if _is_param(value):
                names.add(value["$PARAMETER"])
    return names


def resolve_parameters(suite: dict, parameters: dict | None, path: Path) -> dict:
    """The parameters a suite needs, checked: missing ones raise SuiteError; sets become
    sorted lists (a value set must be a list, set or tuple)."""
    parameters = dict(parameters or {})
    needed = suite_parameter_names(suite)
    missing = sorted(needed - set(parameters))
    if missing:
        raise SuiteError(f"{path}: suite parameter(s) not given: {', '.join(missing)}")
    resolved = {}
    for name in needed:
        value = parameters[name]
        if isinstance(value, (set, frozenset)):
            value = sorted(value)
        elif isinstance(value, tuple):
            value = list(value)
        resolved[name] = value
    # a parameter used as a value_set must be a list
    for index, exp in enumerate(suite["expectations"]):
        value_set = exp["kwargs"].get("value_set")
        if _is_param(value_set) and not isinstance(resolved[value_set["$PARAMETER"]], list):
            raise SuiteError(
                f"{path}: expectation #{index}: parameter {value_set['$PARAMETER']!r} "
                "is a value set and must be a list"
            )
    return resolved


def substitute(kwargs: dict, parameters: dict) -> dict:
    """kwargs with every {"$PARAMETER": name} replaced by its value."""
    return {
        k: (parameters[v["$PARAMETER"]] if _is_param(v) else v) for k, v in kwargs.items()
    }


def expectation_column(etype: str, kwargs: dict) -> str | None:
    if "column" in kwargs:
        return kwargs["column"]
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return None


# --------------------------------------------------------------------------- JSON values


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:  # pandas NA / NaT / numpy NaN / NaT without importing pandas here
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict)) else False
    except (TypeError, ValueError, ImportError):
        return False


def jsonable(value: Any) -> Any:
    """A JSON-serialisable form of a sampled value: Decimal -> str (exact), dates ->
    "YYYY-MM-DD" (a timestamp at midnight counts as a date), nulls -> None, numpy scalars
    -> Python numbers, tuples -> lists, dicts recursively."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if _is_missing(value):
        return None
    if type(value).__module__.startswith("numpy"):
        if getattr(value, "dtype", None) is not None and value.dtype.kind == "M":
            import pandas as pd  # numpy datetime64

            return jsonable(pd.Timestamp(value))
        return jsonable(value.item())
    if isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, _dt.datetime):  # includes pandas Timestamp
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0) and (
            getattr(value, "nanosecond", 0) == 0
        ):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- GE runner

_LOCK = threading.RLock()
_STATE: dict[str, Any] = {}
_INDEX_KEY = "openbook_index"


def _gx():
    """Import GE and build the one ephemeral context of this process (cached).

    Ephemeral: in-memory stores, nothing written to disk (a file context would write a
    gx/ folder).  Progress bars off, analytics off, GE's logging quiet.  Data Docs are
    never built (they pull styles from the internet).
    """
    with _LOCK:
        if "context" not in _STATE:
            logging.getLogger("great_expectations").setLevel(logging.ERROR)
            import great_expectations as gx
            from great_expectations.data_context.types.base import (
                DataContextConfig,
                InMemoryStoreBackendDefaults,
                ProgressBarsConfig,
            )

            config = DataContextConfig(
                store_backend_defaults=InMemoryStoreBackendDefaults(),
                progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
                analytics_enabled=False,
            )
            # GE fingerprints every in-memory frame it is given (md5 over
            # pandas.util.hash_pandas_object of all rows, for a batch marker nobody here
            # reads) whenever the frame's *shallow* memory_usage is under
            # HASH_THRESHOLD, and Batch.validate fetches the batch twice: about half the
            # wall time of a 1M-row validation.  Setting the threshold to 0 turns the
            # fingerprint off; it changes no result.
            from great_expectations.execution_engine import pandas_execution_engine

            if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
                pandas_execution_engine.HASH_THRESHOLD = 0
            context = gx.get_context(mode="ephemeral", project_config=config)
            datasource = context.data_sources.add_pandas("openbook_frames")
            asset = datasource.add_dataframe_asset("frame")
            _STATE["batch_definition"] = asset.add_batch_definition_whole_dataframe("whole_frame")
            _STATE["gx"] = gx
            _STATE["context"] = context
        return _STATE["gx"], _STATE["batch_definition"]


def _to_pandas(frame: "polars.DataFrame | pandas.DataFrame") -> "pandas.DataFrame":
    """A pandas frame for GE.

    Money stays exact: polars Decimal columns become object columns of Python Decimal
    (never float).  GE's between check then compares Decimal with the bound in Python,
    which is exact (Decimal-to-float comparison compares exact values).  Dates become
    datetime64[ns] (datetime64[ms] if out of the ns range) -- GE cannot compare a
    datetime64 column with datetime.date bounds, so date parameters become Timestamps
    too (see _ge_parameters).  Integer columns with nulls become nullable Int64, not
    float64, so sampled values stay integers.
    """
    import pandas as pd

    try:
        import polars as pl
    except ImportError:  # pragma: no cover
        pl = None

    if pl is not None and isinstance(frame, pl.DataFrame):
        pdf = frame.to_pandas()
        for name, dtype in frame.schema.items():
            if dtype.is_integer() and frame[name].null_count() > 0:
                pdf[name] = pd.array(frame[name].to_list(), dtype="Int64")
            elif dtype == pl.Date or isinstance(dtype, pl.Datetime):
                pdf[name] = _as_datetime(pdf[name])
        return pdf
    if isinstance(frame, pd.DataFrame):
        pdf = frame.copy(deep=False)
        for name in pdf.columns:
            col = pdf[name]
            if col.dtype == object:
                first = col.dropna().head(1)
                if len(first) and isinstance(first.iloc[0], _dt.date):
                    pdf[name] = _as_datetime(pd.to_datetime(col))
            elif str(col.dtype).startswith("datetime64"):
                pdf[name] = _as_datetime(col)
        return pdf
    raise TypeError(f"validate_frame needs a polars or pandas DataFrame, not {type(frame).__name__}")


def _as_datetime(series: "pandas.Series") -> "pandas.Series":
    try:
        return series.astype("datetime64[ns]")
    except (OverflowError, ValueError, TypeError):  # 9999-12-31 open-ended dates; time zones
        return series


def _ge_parameters(parameters: dict) -> dict:
    import pandas as pd

    out = {}
    for name, value in parameters.items():
        if isinstance(value, _dt.date):  # date and datetime -> Timestamp (see _to_pandas)
            value = pd.Timestamp(value)
        out[name] = value
    return out


def _exception_messages(info: Any) -> list[str]:
    """GE puts errors in exception_info in two shapes: a flat dict with raised_exception,
    or a dict of metric id -> such a dict.  Collect every raised message."""
    if not isinstance(info, dict):
        return []
    if "raised_exception" in info:
        if info.get("raised_exception"):
            return [str(info.get("exception_message") or "unknown Great Expectations error")]
        return []
    messages = []
    for value in info.values():
        messages.extend(_exception_messages(value))
    return messages


def validate_frame(
    frame: "polars.DataFrame | pandas.DataFrame",
    suite_path: Path,
    parameters: dict | None = None,
) -> SuiteOutcome:
    """Validate a frame against a suite file with Great Expectations (pandas engine)."""
    suite_path = Path(suite_path)
    suite = load_suite(suite_path)
    params = resolve_parameters(suite, parameters, suite_path)
    pdf = _to_pandas(frame)
    gx, batch_definition = _gx()

    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    expectations = []
    for index, exp in enumerate(suite["expectations"]):
        meta = dict(exp["meta"], **{_INDEX_KEY: index})
        try:
            expectations.append(
                ExpectationConfiguration(
                    type=exp["type"], kwargs=dict(exp["kwargs"]), meta=meta
                ).to_domain_obj()
            )
        except Exception as exc:  # GE/pydantic rejects the kwargs
            raise SuiteError(
                f"{suite_path}: expectation #{index} ({exp['type']}): "
                f"Great Expectations rejects it: {exc}"
            ) from exc
    gx_suite = gx.ExpectationSuite(name=suite["name"], expectations=expectations)

    with _LOCK:
        batch = batch_definition.get_batch(batch_parameters={"dataframe": pdf})
        result = batch.validate(
            gx_suite,
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE},
            expectation_parameters=_ge_parameters(params),
        )

    # GE does not return results in suite order: match them by the index put in meta.
    by_index = {}
    for res in result.results:
        by_index[int(res.expectation_config.meta[_INDEX_KEY])] = res
    outcomes = []
    for index, exp in enumerate(suite["expectations"]):
        outcomes.append(_outcome(suite, index, exp, by_index.get(index), len(pdf)))
    return SuiteOutcome(suite=suite["name"], outcomes=outcomes)


def outcome_identity(suite: dict, index: int, exp: dict) -> dict:
    """The fields of an ExpectationOutcome that say which expectation it is (both runners)."""
    return dict(
        suite=suite["name"],
        expectation_type=exp["type"],
        column=expectation_column(exp["type"], exp["kwargs"]),
        description=exp["meta"]["description"],
        severity=exp["meta"]["severity"],
        index=index,
    )


def _outcome(suite: dict, index: int, exp: dict, res: Any, n_rows: int) -> ExpectationOutcome:
    common = outcome_identity(suite, index, exp)
    if res is None:
        return ExpectationOutcome(
            **common, success=False, errored=True,
            error_message="Great Expectations returned no result for this expectation",
            element_count=n_rows, unexpected_count=0,
        )
    messages = _exception_messages(res.exception_info)
    errored = bool(messages) or res.success is None
    body = res.result or {}
    if exp["type"] == "expect_table_row_count_to_be_between":
        observed = body.get("observed_value")
        element_count = int(observed) if observed is not None else n_rows
        return ExpectationOutcome(
            **common, success=bool(res.success) and not errored, errored=errored,
            error_message="; ".join(messages) or ("no success value" if errored else None),
            element_count=element_count, unexpected_count=0,
            observed_value=jsonable(observed),
        )
    sample = [jsonable(v) for v in (body.get("partial_unexpected_list") or [])[:SAMPLE_SIZE]]
    return ExpectationOutcome(
        **common,
        success=bool(res.success) and not errored,
        errored=errored,
        error_message=("; ".join(messages) or ("no success value" if errored else None)),
        element_count=int(body.get("element_count") or 0) if not errored else n_rows,
        unexpected_count=int(body.get("unexpected_count") or 0),
        unexpected_sample=sample,
    )


def gx_suite_json(suite_path: Path) -> dict:
    """The suite file as Great Expectations reads it: ``gx.ExpectationSuite(**json)``
    round-tripped through ``to_json_dict()`` (proves the file is GE's own format)."""
    suite_path = Path(suite_path)
    suite = load_suite(suite_path)
    gx, _ = _gx()
    try:
        return gx.ExpectationSuite(**suite).to_json_dict()
    except Exception as exc:
        raise SuiteError(f"{suite_path}: Great Expectations rejects the suite: {exc}") from exc
