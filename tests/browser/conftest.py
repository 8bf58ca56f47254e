"""The site the browser tests open (the demo home's latest reports) and, for the tests that drive
Chromium over its DevTools protocol, one headless Chromium per test module."""
from __future__ import annotations

from pathlib import Path

import pytest

from headless_chromium import Chromium
from tests.browser.test_html_in_chromium import chromium


@pytest.fixture(scope="module")
def site(demo_home) -> Path:
    folders = sorted(p for p in (demo_home / "reports").iterdir() if p.is_dir() and not p.name.startswith("."))
    assert folders, "the demo run wrote no reports"
    return folders[-1] / "html"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Chromium(tmp_path_factory.mktemp("chromium"), chromium())
    yield b
    b.close()
