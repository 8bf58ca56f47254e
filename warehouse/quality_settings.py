"""Thresholds of the data-quality and reconciliation checks, per deployment.

They live in <home>/config/quality.yaml (optional; every key has a default taken from
NHS practice) and are parsed strictly: a typo is an error naming the file and key.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class QualitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A partner's monthly expenditure more than this many times the previous month's, or
    # less than the previous month's divided by it, is flagged (WARN).
    movement_factor: Decimal = Field(default=Decimal("2"), gt=1)
    # (Agreement-of-balances thresholds for the reconciliation live with the report
    # settings in sql/settings.yaml.)
    # A partner's own control total may differ from what was loaded by at most this much.
    control_total_tolerance: Decimal = Field(default=Decimal("0.00"), ge=0)


class QualitySettingsError(ValueError):
    pass


def load_quality_settings(path: Path) -> QualitySettings:
    if not path.exists():
        return QualitySettings()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return QualitySettings.model_validate(document)
    except yaml.YAMLError as error:
        raise QualitySettingsError(f"{path}: not valid YAML ({error})") from None
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in error.errors())
        raise QualitySettingsError(f"{path}: {problems}") from None
