"""The DevTools driver the browser tests share (headless_chromium.py): a page it cannot open, or an address that
would be no new load, fails at once naming the page, never leaving a test to read Chromium's error page or wait
out a timeout."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_page_that_is_not_there_fails_naming_it(browser, tmp_path):
    missing = (tmp_path / "no-such-page.html").as_uri()
    with pytest.raises(RuntimeError, match=f"{missing} did not open: net::ERR_FILE_NOT_FOUND"):
        browser.open(missing)


def test_the_open_page_under_another_fragment_is_refused_as_no_new_load(browser, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><title>page</title><p>page</p>", encoding="utf-8")
    browser.open(page.as_uri() + "#system=A")
    assert browser.evaluate("location.hash") == "#system=A"
    with pytest.raises(ValueError, match="only after '#'"):
        browser.open(page.as_uri() + "#system=B")
    browser.open("about:blank")
    browser.open(page.as_uri() + "#system=B")                  # a new load after a blank page
    assert browser.evaluate("location.hash") == "#system=B"
