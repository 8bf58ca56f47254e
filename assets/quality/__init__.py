"""Data-quality checks: expectation suites (expectations/*.json) and their two runners.

* ``gx_runner.validate_frame`` runs a suite on a polars/pandas frame with Great
  Expectations (the only module that imports it, lazily);
* ``sql_runner.validate_relation`` runs the same suite as plain DuckDB SQL over a table,
  view or registered relation (fast at millions of rows); ``sql_runner.validate_groups``
  on many groups of a table's rows at once (each submission of a run, GROUP BY load_id).

Both return the same ``SuiteOutcome`` / ``ExpectationOutcome`` objects.  Importing this
package does not import Great Expectations.
"""

from assets.quality.gx_runner import (
    ExpectationOutcome,
    SuiteError,
    SuiteOutcome,
    load_suite,
    validate_frame,
)
from assets.quality.sql_runner import validate_relation

__all__ = [
    "ExpectationOutcome",
    "SuiteError",
    "SuiteOutcome",
    "load_suite",
    "validate_frame",
    "validate_relation",
]
