"""The value axis a chart is written with (reports/chart_axes.py, through html_site.chart_html): a
chart of nothing but zeros says so on an axis from £0, and a count ticks in whole numbers. The
figures are small hand-made ones, so each expected axis is worked out by hand here."""
from __future__ import annotations

import json
import re
from decimal import Decimal

from reports.chart_figures import ChartData
from reports.html_site import chart_html
from reports.spec import Chart, Dim, Measure


def _layout(html: str) -> dict:
    """The layout plotly is given, as written into the chart's drawing script."""
    m = re.search(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html)
    decoder = json.JSONDecoder()
    _, end = decoder.raw_decode(html, m.end())
    return decoder.raw_decode(html, html.index("{", end))[0]


def _chart(kind: str, fmt: str, series: list[tuple[str, list[str]]]) -> ChartData:
    chart = Chart("c", "A chart", kind, x=Dim("month", "Month"), value=Measure("v", "Value", "v", fmt=fmt),
                  series=Dim("partner_name", "Partner"), x_title="Month", y_title="Value")
    return ChartData(chart, ["Apr", "May", "Jun"], [(s, [Decimal(v) for v in vs]) for s, vs in series])


def test_a_chart_of_zeros_has_an_axis_from_nought_and_says_every_figure_is_nought():
    layout = _layout(chart_html(_chart("bar", "money", [("A", ["0", "0.00", "0"]), ("B", ["0", "0", "0"])])))
    assert (layout["yaxis"]["range"], layout["yaxis"]["tickvals"], layout["yaxis"]["ticktext"]) == ([0, 1], [0], ["£0"])
    assert [a["text"] for a in layout["annotations"]] == ["Every figure in this chart is £0"]


def test_a_chart_with_a_figure_keeps_plotlys_own_range_and_no_note():
    layout = _layout(chart_html(_chart("bar", "money", [("A", ["0", "0.01", "0"])])))
    assert "range" not in layout["yaxis"] and not layout.get("annotations")


def test_a_count_ticks_every_one_up_to_ten_stacked_and_in_plotlys_steps_above():
    # stacked, May is 4 + 6 = 10: every one; 5 + 6 = 11: plotly's own (whole from there)
    ten = _layout(chart_html(_chart("stacked_bar", "int", [("A", ["1", "4", "0"]), ("B", ["2", "6", "3"])])))
    assert (ten["yaxis"]["tickformat"], ten["yaxis"]["tick0"], ten["yaxis"]["dtick"]) == (",d", 0, 1)
    eleven = _layout(chart_html(_chart("stacked_bar", "int", [("A", ["1", "5", "0"]), ("B", ["2", "6", "3"])])))
    assert eleven["yaxis"]["tickformat"] == ",d" and "dtick" not in eleven["yaxis"]
    # side by side the top is the largest bar, 9, not 9 + 3
    grouped = _layout(chart_html(_chart("bar", "int", [("A", ["9", "0", "0"]), ("B", ["3", "0", "0"])])))
    assert grouped["yaxis"]["dtick"] == 1


def test_the_workbooks_money_axes_read_bn_m_and_k_by_the_largest_figure():
    """Excel's number format scales by thousands per comma: £1.2bn, £4.5m, £500k, then whole pounds."""
    from reports.excel_pack import _axis_format
    assert _axis_format("money", 1_200_000_000) == '£#,##0.0,,,"bn"'
    assert _axis_format("money2", 999_999_999) == '£#,##0.0,,"m"'
    assert _axis_format("money", 500_000) == '£#,##0,"k"'
    assert _axis_format("money", 9_999) == "£#,##0"
