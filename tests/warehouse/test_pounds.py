"""Money as text on the command line and in check descriptions: the sign before the pound sign."""
from decimal import Decimal

import pytest

from warehouse.pounds import pounds


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
