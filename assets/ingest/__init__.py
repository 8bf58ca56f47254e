"""Ingest: partner files -> canonical ledger lines, quarantined rows and skipped rows.

    configs = load_source_configs(home / "config" / "sources")
    config = match_config(path, home / "inbox", configs)   # None: not a submission
    parsed = parse_submission(path, config)                # SubmissionError: file unusable
    print(preview_submission(config_path, path))           # `openbook sources check`
"""

from assets.ingest.errors import SourceConfigError, SubmissionError
from assets.ingest.money import parse_money
from assets.ingest.dates import parse_date
from assets.ingest.parse import ParsedSubmission, parse_submission
from assets.ingest.preview import preview_submission
from assets.ingest.source_config import SourceConfig, load_source_config, load_source_configs, match_config

__all__ = [
    "ParsedSubmission",
    "SourceConfig",
    "SourceConfigError",
    "SubmissionError",
    "load_source_config",
    "load_source_configs",
    "match_config",
    "parse_date",
    "parse_money",
    "parse_submission",
    "preview_submission",
]
