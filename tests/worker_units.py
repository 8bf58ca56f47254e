"""Which test files pytest-xdist hands to one parallel worker together, as one unit (tests/conftest.py
`pytest_xdist_make_scheduler`): files that share a fixture built once per worker that cannot be shared
between workers. Apart, each worker that got one of them built it."""

# tests/pipeline/conftest.py `_loaded_snapshot`: a pipeline run whose warehouse holds the absolute path
# it ran at, so it cannot be copied to a path of another worker's.
ONE_WORKER = {
    "tests/pipeline/test_loading_changes.py": "loaded-home",
    "tests/pipeline/test_loading_checks.py": "loaded-home",
    "tests/pipeline/test_loading_resubmission.py": "loaded-home",
    # tests/browser/conftest.py `visits`: each page both files read, loaded once in Chromium (a worker's
    # session fixture, so the two files on one worker).
    "tests/browser/test_html_in_chromium.py": "page-visits",
    "tests/browser/test_table_widths_in_chromium.py": "page-visits",
}


def unit_of(file: str) -> str:
    """The unit a test file is handed out in: its own, or the one it shares with others."""
    return ONE_WORKER.get(file, file)
