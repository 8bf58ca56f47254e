import html
from decimal import Decimal

import pytest

from reports import formatting as f
from warehouse import periods


@pytest.mark.parametrize("value, text", [
    (Decimal("1234.49"), "£1,234"),
    (Decimal("1234.50"), "£1,235"),          # half away from zero, as Excel shows it
    (Decimal("-1234.50"), "(£1,235)"),
    (Decimal("-0.40"), "£0"),                # rounds to zero: no brackets
    (Decimal("0"), "£0"),
    (Decimal("1234567.89"), "£1,234,568"),
    (None, ""),
])
def test_money_text(value, text):
    assert f.money_text(value) == text


def test_pct_and_pct_change():
    assert f.pct_text(Decimal("12.34")) == "12.3%"
    assert f.pct_text(Decimal("-5.55")) == "(5.6%)"
    assert f.pct_change(Decimal("110"), Decimal("100")) == Decimal("10.0")
    assert f.pct_change(Decimal("90"), Decimal("-100")) == Decimal("190.0")
    assert f.pct_change(Decimal("90"), Decimal("0")) is None


@pytest.mark.parametrize("raw, safe", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("+44 20", "'+44 20"),
    ("-2+3", "'-2+3"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("Café Ltd", "Café Ltd"),
    ("a=b", "a=b"),
    ("bell\x07 ltd", "bell ltd"),            # XML cannot hold it: dropped, not a crash
])
def test_excel_text_neutralises_formula_triggers(raw, safe):
    assert f.excel_text(raw) == safe


def test_html_text_and_plotly_text():
    assert f.html_text("<script>alert('1')</script>") == \
        "&lt;script&gt;alert(&#x27;1&#x27;)&lt;/script&gt;"
    assert f.plotly_text("a<b & 'c'") == "a&lt;b &amp; 'c'"


@pytest.mark.parametrize("value", ["&", "<", ">", '"', "'", "plain text", "", "£1,234 é", "a & b <c> \"d\" 'e'",
                                   None, 12, "line\nbreak"])
def test_html_text_is_html_escape_with_quotes(value):
    # the standard library's escaping is the reference: text with nothing to escape is passed through as is
    assert f.html_text(value) == html.escape("" if value is None else str(value), quote=True)


def test_header_footer_text_escapes_ampersand():
    assert f.header_footer_text("A & B") == "A && B"


@pytest.mark.parametrize("period, fy, month, prev, start", [
    ("2025-04", "2025-26", 1, "2025-03", "2025-04"),
    ("2026-03", "2025-26", 12, "2026-02", "2025-04"),
    ("2025-01", "2024-25", 10, "2024-12", "2024-04"),
    ("1999-12", "1999-00", 9, "1999-11", "1999-04"),
])
def test_periods(period, fy, month, prev, start):
    assert periods.fy_of(period) == fy
    assert periods.fy_month_of(period) == month
    assert periods.previous_period(period) == prev
    assert periods.fy_start(period) == start
    assert periods.fy_end(period) == f"{int(fy[:4]) + 1}-03"


@pytest.mark.parametrize("bad", ["2025-13", "2025-1", "202506", "", "2025-00"])
def test_bad_period(bad):
    with pytest.raises(ValueError):
        periods.year_month(bad)


def test_labels():
    assert f.label("nhs_trust", "partner_kind") == "NHS trust"
    assert f.label("north_weald", "ics") == "North Weald ICS"
    assert f.label("adult_community_mh", "code") == "Adult community MH"
    assert f.label("2025-06", "period") == "Jun 2025"
    assert f.systems_label(["north_weald", "south_fen"]) == "North Weald ICS and South Fen ICS"
    kinds = sorted(["vcse", "icb", "local_authority"], key=lambda k: f.sort_key(k, "partner_kind"))
    assert kinds == ["icb", "local_authority", "vcse"]


def test_excel_pct_is_the_fraction_exactly():
    assert f.excel_pct(Decimal("44.72")) == Decimal("0.4472")
    assert f.excel_pct(12.5) == Decimal("0.125") and f.excel_pct(None) is None
    assert '"%"' not in f.PCT_FORMAT and f.PCT_FORMAT.startswith("0.0%")


def test_sample_text_reads_a_checks_json_as_fields_and_values():
    sample = ('[{"cost_centre": "WF2990", "expense_type": null, "counterparty": "Lloyds Pharmacy Ltd", '
              '"lines": 1, "amount": "639.44"}]')
    assert f.label(sample, "sample") == ("Cost centre: WF2990; Expense type: —; Counterparty: Lloyds Pharmacy "
                                         "Ltd; Lines: 1; Amount: £639.44")
    assert f.sample_text('{"control_total": "-812.77", "difference": "2478.82", "rows_quarantined": 1}') == \
        "Control total: (£812.77); Difference: £2,478.82; Rows quarantined: 1"
    # cut at 400 characters by the checks: read pair by pair, marked as cut
    assert f.sample_text('[{"cost_centre": "A1", "amount": "5"}, {"cost_centre": "B\\"2", "amou') == \
        'Cost centre: A1; Amount: £5.00\nCost centre: B"2 …'
    assert f.sample_text('["2025-07-02"]') == "2025-07-02" and f.sample_text(None) == ""
