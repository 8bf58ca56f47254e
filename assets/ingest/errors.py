"""The two errors the ingest layer raises on purpose.

Both carry a message written for a finance analyst: what is wrong, where, and what was
expected. The pipeline catches them, logs the message and carries on with other files.
"""

from __future__ import annotations

from pathlib import Path


class SourceConfigError(ValueError):
    """A source config file is unreadable or does not follow the schema."""


class SubmissionError(Exception):
    """A submitted file that cannot be parsed at all (a bad row is quarantined instead).

    `row` (1-based, as in the file) and `field` are None when the problem is not tied to
    one of them. str(error) reads like `Spend_over_500_2024-04.csv row 3: ...`.
    """

    def __init__(
        self,
        file: str | Path,
        row: int | None = None,
        field: str | None = None,
        message: str = "cannot be read",
    ) -> None:
        self.file = str(file)
        self.row = row
        self.field = field
        self.detail = message
        where = Path(self.file).name
        if row is not None:
            where += f" row {row}"
        if field is not None:
            where += f", field {field}"
        super().__init__(f"{where}: {message}")
