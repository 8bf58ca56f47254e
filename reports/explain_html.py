"""An explain page's body (reports/figure_explain.py): the arithmetic that makes the figure, term by
term (each linked to the lines or the explanation behind it), and the reference rows it rests on with
their file and line. The rows carry their values (data-v, data-sign, the scaling) so a test can redo
the sum from the page, and the figure's keys (data-keys) so it can recompute it from the warehouse."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Callable

from reports import drill_html, explain_working, figure_explain
from reports import formatting as f
from reports.tables import Column, Row, Table


def _money(value, fmt: str) -> str:
    """A figure of the working in full: pence, or the places a rate or a share is rounded to (the page's
    table shows it shorter)."""
    if fmt == "pct":
        return f.html_text(f"{value:,}%")
    if fmt in ("dec2", "dec4"):              # a rate in its measure's own unit: every place it is worked to
        return f.html_text(f"{value:,}")
    if fmt in ("money", "money2") and value.as_tuple().exponent < -2:
        return f.html_text(f"{'−' if value < 0 else ''}£{abs(value):,}")
    return f.html_text(f.money2_text(value) if fmt in ("money", "money2") else f.number_text(value, fmt))


def _cell(value, fmt: str, href: str | None = None) -> str:
    text = _money(value, fmt)
    if href:
        text = f'<a href="{f.html_text(href)}">{text}</a>'
    return f'<td class="num" data-v="{f.html_text(value)}">{text}</td>'


def _factor(value: Decimal, fmt: str) -> str:
    """A multiplier or divisor: pounds, or a plain number (months, 100, a weighted population)."""
    return f.money2_text(value) if fmt == "money" else f"{value.normalize():,f}"


def arithmetic_html(page: figure_explain.ExplainPage, back: str, back_name: str) -> str:
    how = page.explanation
    out = ['<section class="panel">', f"<h2>{f.html_text(page.title)}</h2>",
           f'<p class="lede">Not a sum of ledger lines: {f.html_text(how.rule)}. Each figure links to the ledger '
           "lines or the working behind it.</p>",
           (f'<p class="definition"><strong>Definition.</strong> {f.html_text(how.definition)}</p>'
            if how.definition else ""),
           f'<table class="reconcile explain" data-explain="{f.html_text(page.section.key)}:'
           f'{f.html_text(page.value_key)}" data-row="{f.html_text(page.role)}" '
           f'data-keys="{f.html_text(json.dumps(page.keys, sort_keys=True))}"><tbody>']
    for i, t in enumerate(how.terms):
        op = ("" if i == 0 and t.sign > 0 else "+ " if t.sign > 0 else "− ")
        src = f' <span class="note">({f.html_text(t.source.where)})</span>' if t.source else ""
        out.append(f'<tr data-role="term" data-sign="{t.sign}" data-v="{f.html_text(t.value)}">'
                   f'<th scope="row">{op}{f.html_text(t.label)}{src}</th>{_cell(t.value, t.fmt, t.href)}</tr>')
    if len(how.terms) > 1 and (how.scaled or how.floor is not None):
        out.append(f'<tr data-role="sum" data-v="{f.html_text(how.total)}"><th scope="row">'
                   f'{"Difference" if any(t.sign < 0 for t in how.terms) else "Sum"}</th>'
                   f"{_cell(how.total, how.terms[0].fmt)}</tr>")
    for t in how.factors:                    # the multiplier and divisor as figures, linked to their lines
        out.append(f'<tr data-role="factor" data-v="{f.html_text(t.value)}"><th scope="row">{f.html_text(t.label)}'
                   f"</th>{_cell(t.value, t.fmt, t.href)}</tr>")
    if how.root:
        out.append('<tr data-role="root"><th scope="row">Square root of that</th><td class="num"></td></tr>')
    if how.scaled:
        per = f.html_text(_factor(how.per, how.per_fmt))
        times = "" if how.times == 1 else f"× {f.html_text(_factor(how.times, how.times_fmt))} "
        if how.per_href:
            per = f'<a href="{f.html_text(how.per_href)}">{per}</a>'
        rounding = explain_working.rounded_to(page.fmt, how.places)
        what = (f"{f.html_text(how.by)}: {times}÷ {per}, rounded half up" if how.times != 1 or how.per != 1
                else "Rounded half up")
        out.append(f'<tr data-role="scale" data-times="{how.times}" data-per="{how.per}" data-places="{how.places}">'
                   f'<th scope="row">{what} to {rounding}</th><td class="num"></td></tr>')
    if how.floor is not None:
        out.append(f'<tr data-role="floor" data-v="{how.floor}"><th scope="row">Or {_money(how.floor, page.fmt)} '
                   "if that is less</th><td class=\"num\"></td></tr>")
    out.append(f'<tr class="total" data-role="result" data-v="{f.html_text(how.result)}"><th scope="row">= '
               f'{f.html_text(page.figure_label)}</th>{_cell(how.result, page.fmt)}</tr>')
    out.append(f'<tr data-role="figure" data-v="{f.html_text(page.figure)}"><th scope="row">'
               f'{f.html_text(page.figure_label)} on the <a href="{f.html_text(back)}">{f.html_text(back_name)}</a> '
               f'page</th>{_cell(page.figure, page.fmt)}</tr>')
    out.append("</tbody></table>")
    out.append(drill_html.reconciliation_html(
        page.reconciles, "The working reproduces the figure " + (
            "to the penny." if page.fmt in ("money", "money2") and how.places == "0.01"
            else "exactly, to its last decimal place."),
        f"The working differs from the figure by {_money(how.result - page.figure, page.fmt)}: "
        "the figure should be checked." if not page.reconciles else ""))
    out.append(drill_html.linked_from_html(page.linked_from))
    out.append("</section>")
    if how.listing is not None:
        out.append(_listing_html(how.listing))
    return "\n".join(out)


def _listing_html(listing: explain_working.Listing) -> str:
    """The units a rate or a median is taken over, those making the figure marked (data-mark) and why."""
    head = "".join(f'<th scope="col"{" class=num" if fmt != "text" else ""}>{f.html_text(label)}</th>'
                   for label, fmt in listing.columns)
    body = []
    for values, note in listing.rows:
        cells = "".join(f'<td class="num">{f.html_text(_plain(v, fmt))}</td>' if fmt != "text"
                        else f"<td>{f.html_text(v or '')}</td>" for v, (_, fmt) in zip(values, listing.columns))
        mark = f' data-mark="{f.html_text(note)}" class="marked"' if note else ""
        body.append(f"<tr{mark}>{cells}<td>{f.html_text(note)}</td></tr>")
    why = f'<p class="note">{f.html_text(listing.why)}</p>' if listing.why else ""
    return (f'<section class="panel" id="units-compared"><h2>{f.html_text(listing.caption)}</h2>'
            f'<table class="listing"><thead><tr>{head}<th scope="col">Role in the figure</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>{why}</section>')


def _plain(value, fmt: str) -> str:
    if fmt == "rate":
        return f"£{value:,}"
    if fmt == "dec4":
        return f"{value:,}"
    return f.number_text(value, fmt)


def reference_html(page: figure_explain.ExplainPage, table_html: Callable[..., str]) -> str:
    """The reference rows behind the terms, a table per reference table, with file and line."""
    sources = [t.source for t in page.explanation.terms if t.source is not None] + page.explanation.sources
    if not sources:
        return ""
    out = ['<section class="panel" id="reference-rows"><h2>The reference rows</h2>'
           '<p class="lede">As loaded from the reference file: the line is the file\'s (its header is line 1).</p>']
    for table in dict.fromkeys(s.table for s in sources):
        rows_of = [s for s in sources if s.table == table]
        cols = ([Column("file", "File", "text", False), Column("line", "Line", "int", True)]
                + [Column(n, n, _ref_fmt(n, v), isinstance(v, Decimal)) for n, v in rows_of[0].fields])
        rows = [Row({"file": s.file_text, "line": s.line, **{n: v for n, v in s.fields}}) for s in rows_of]
        out.append(table_html(Table(table, table, cols, rows), caption=f"{table} ({len(rows)} row"
                              f"{'s' if len(rows) != 1 else ''})", sortable=False))
    out.append("</section>")
    return "\n".join(out)


# the reference columns that hold a count, not pounds, though stored as decimals
_REF_COUNTS = ("capacity",)


def _ref_fmt(name: str, value) -> str:
    if not isinstance(value, Decimal):
        return "text"
    return "dec1" if name in _REF_COUNTS else "money2"
