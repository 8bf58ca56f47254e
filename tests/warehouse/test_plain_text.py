"""Money and counts as text on the command line and in check descriptions."""
from decimal import Decimal

import pytest

from warehouse.plain_text import plural, pounds


@pytest.mark.parametrize("amount, text", [
    (Decimal("26500"), "£26,500.00"),
    (Decimal("-26500"), "-£26,500.00"),
    (Decimal("-0.5"), "-£0.50"),
    (Decimal("1234567.891"), "£1,234,567.89"),
    (0, "£0.00"),
    (None, "£0.00"),
])
def test_pounds(amount, text):
    assert pounds(amount) == text


@pytest.mark.parametrize("count, noun, text", [
    (0, "line", "0 lines"), (1, "line", "1 line"), (2, "line", "2 lines"), (1000, "row", "1,000 rows"), (1, "file", "1 file"),
])
def test_plural(count, noun, text):
    assert plural(count, noun) == text
