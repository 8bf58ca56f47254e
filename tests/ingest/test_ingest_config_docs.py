"""docs/sources.md is generated from the source-config models and must be current; every
key has a description and an example that is itself valid for its key."""

from __future__ import annotations

import yaml

from assets.ingest.config_docs import DOCS_PATH, field_doc, keys, render
from assets.ingest.source_config import SourceConfig


def test_docs_sources_md_is_current() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == render(), (
        "docs/sources.md is stale: run .venv/bin/python -m assets.ingest.config_docs and commit it")


def test_every_key_has_a_description_and_a_yaml_example() -> None:
    found = keys(SourceConfig)
    assert len(found) >= 50  # every key of every nested model is listed
    for path, info, _ in found:
        description, example = field_doc(info)
        assert description, f"{path}: no description (a docstring under the field in source_config.py)"
        assert example is not None, f"{path}: no 'Example: `...`' line in its docstring"
        yaml.safe_load(f"key: {example}")  # raises when the example is not YAML
        assert f"### `{path}`" in render()


def test_the_documented_example_config_is_valid() -> None:
    text = render()
    example = text[text.index("```yaml\n") + 8: text.index("```", text.index("```yaml\n") + 8)]
    config = SourceConfig.model_validate(yaml.safe_load(example))
    assert config.period.from_column == ["Payment Date"] and config.columns.extra == ["VAT Registration Number"]
