"""The parts of a drill-down page above its lines: where the figure is linked from, and the
breakdowns by partner, service line, counterparty and month (each adding up to the figure)."""
from __future__ import annotations

from typing import Callable

from reports import drilldown
from reports import formatting as f
from reports import sections as s


def breakdowns_html(page: drilldown.DrillPage, table_html: Callable[..., str]) -> str:
    out = ['<section class="panel" id="breakdowns">']
    if page.linked_from:
        links = "; ".join(f'<a href="../{f.html_text(href)}">{f.html_text(label)}</a>'
                          for href, label in page.linked_from)
        out.append(f'<p class="note">This figure is linked from: {links}.</p>')
    if not page.breakdowns:
        out.append("</section>")
        return "\n".join(out)
    out.append("<h2>Where the figure comes from</h2>"
               '<p class="lede">The same lines summed four ways: each table adds up to the figure. '
               "The largest rows are shown; the rest are summed in one row.</p>"
               '<div class="breakdowns">')
    for b in page.breakdowns:
        cols = [s.Column("v", b.label, "period" if b.key == "period" else "text", False, blank="(blank)"),
                s.Column("n", "Lines", "int", True), s.Column("amount", "Amount", "money2", True)]
        rows = [s.Row({"v": v, "n": n, "amount": total}) for v, n, total in b.rows]
        if b.rest:
            rows.append(s.Row({"v": s._Label(f"{b.rest:,} more"), "n": b.rest_lines, "amount": b.rest_total}))
        rows.append(s.Row({"v": s._Label("Total"), "n": sum(r[1] for r in b.rows) + b.rest_lines,
                           "amount": b.total}, "total"))
        out.append(f'<div class="breakdown" data-by="{f.html_text(b.key)}">'
                   + table_html(s.Table(b.key, f"By {b.label.lower()}", cols, rows),
                                caption=f"By {b.label.lower()}", sortable=False) + "</div>")
    out.append("</div></section>")
    return "\n".join(out)
