"""Money and counts as text on the command line and in check descriptions."""
from decimal import Decimal

import pytest

from warehouse.plain_text import n_lines, pounds


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


@pytest.mark.parametrize("count, text", [(0, "0 lines"), (1, "1 line"), (2, "2 lines"), (1000, "1000 lines")])
def test_n_lines(count, text):
    assert n_lines(count) == text
