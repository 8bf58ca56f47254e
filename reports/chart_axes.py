"""The value axis of the site's charts: a title always, ticks in the figures' own format.

Money reads in pounds with the sign first (−£4.5M, as a finance reader writes it, not £−4.5M):
the pound is the currency of the charts' locale (``PLOT_LOCALE``, in html_site's plotly config),
so d3's "$" format puts it after the minus sign, where a tick prefix would go before it. Counts
(rows, flags) tick in whole numbers: plotly's own ticks for a top of 2 are 0, 0.5, 1, 1.5, so up to
``UNIT_TICKS_UP_TO`` it ticks every one, and above that its own steps (1, 2, 5, 10, ...) are whole
already. A chart whose figures are all zero would get plotly's −1 to 1 axis (and £200m ticks): it
keeps the £0 line and says in words that every figure is zero, which a reader can take in at a glance.
Large money ticks read as a finance reader writes them, £1.2bn, £4.5m, £500k: d3's SI suffixes (G, M)
cannot be renamed in a format string, so each chart's script rewrites its tick labels after every
drawing (``MONEY_TICKS_JS``: a filter redraws the axis, and the words come back with it).
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from reports import formatting as f

PLOT_LOCALE = {"en-GB": {"format": {"currency": ["£", ""]}}}
UNIT_TICKS_UP_TO = 10
GRID = "#D8DDE0"
# d3's SI suffix -> the finance reader's unit (k stays k)
MONEY_UNITS = {"k": "k", "M": "m", "G": "bn", "T": "tn"}
# run in the chart's own script once plotly has drawn it ($id: the chart's element id); only a label
# that is a money tick (−£1.2G) is touched, never a category name
MONEY_TICKS_JS = ('var gd = document.getElementById("$id"); if (gd && gd.on) { var units = '
                  + json.dumps(MONEY_UNITS) + '; var money = function () { '
                  'gd.querySelectorAll("[class*=tick] > text").forEach(function (t) { '
                  'var m = /^([\\u2212-]?£[0-9.,]+)([kMGT])$/.exec(t.textContent); '
                  'if (m) { t.textContent = m[1] + units[m[2]]; } }); }; '
                  'gd.on("plotly_afterplot", money); money(); }')
MUTED = "#4C6272"


def top(series: list[tuple[Any, list[Decimal]]], stacked: bool) -> Decimal:
    """The highest point a bar or line chart draws: the largest stack, or the largest value."""
    if not series:
        return Decimal(0)
    if stacked:
        return max(sum((max(v[i], Decimal(0)) for _, v in series), Decimal(0)) for i in range(len(series[0][1])))
    return max(max(v) for _, v in series)


def all_zero(series: list[tuple[Any, list[Decimal]]]) -> bool:
    return bool(series) and not any(v for _, values in series for v in values)


def axis_title(text: str) -> dict:
    """An axis title clear of every tick label: without a standoff plotly sets a vertical title
    beside the labels around its middle only, over a longer category name above or below them."""
    return dict(text=f.plotly_text(text), standoff=12)


def value_axis(title: str, fmt: str, highest: Decimal | None = None, **more) -> dict:
    """A value axis: its title first (the tests read it there), ticks in the figures' format;
    ``highest``, for a count axis, the top it draws (ticks every one up to UNIT_TICKS_UP_TO)."""
    axis = dict(title=axis_title(title), gridcolor=GRID, zerolinecolor=MUTED,
                zerolinewidth=1, automargin=True)
    if fmt == "money":
        axis.update(tickformat="$~s")
    elif fmt == "money2":
        axis.update(tickformat="$,.2f")
    elif fmt == "pct":
        axis.update(ticksuffix="%", tickformat=".0f")
    elif fmt == "int":
        axis.update(tickformat=",d", rangemode="tozero")
        if highest is not None and highest <= UNIT_TICKS_UP_TO:
            axis.update(tick0=0, dtick=1)
    else:
        axis.update(tickformat=",")
    axis.update(more)
    return axis


def zero_axis(fmt: str) -> dict:
    """For a chart whose figures are all zero: the axis from 0, one tick at 0, and a note saying
    so in place of empty space (the figures table under the chart lists the zeros)."""
    return dict(range=[0, 1], tickvals=[0], ticktext=[f.plotly_text(f.number_text(Decimal(0), fmt))])


def zero_note(fmt: str) -> dict:
    return dict(text=f.plotly_text(f"Every figure in this chart is {f.number_text(Decimal(0), fmt)}"),
                xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font=dict(size=15, color=MUTED))
