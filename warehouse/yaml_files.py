"""Reading the YAML files people edit (flag decisions, scenarios): a syntax error names the
file and line, and a pydantic validation error becomes one line naming each bad key."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError


def read_yaml(path: Path, error: type[Exception]) -> Any:
    """The document in `path`; invalid YAML raises `error` naming the file and line (a missing
    file raises FileNotFoundError, for the caller to word)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as problem:
        where = getattr(problem, "problem_mark", None)
        raise error(f"{path}: not valid YAML{f' (line {where.line + 1})' if where else ''}") from None


def validation_problems(error: ValidationError, hide: tuple[str, ...] = ()) -> str:
    """'key.path: what is wrong' for each problem; `hide` drops location parts that are
    pydantic's names for union members rather than keys the user wrote."""
    parts = []
    for e in error.errors():
        loc = ".".join(str(p) for p in e["loc"] if p not in hide)
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"].removeprefix("Value error, ")
        parts.append(f"{loc or '(top level)'}: {msg}")
    return "; ".join(parts)
