/* Filters by system, partner, month and service line, kept in the page address after "#"
   (e.g. spend-by-partner.html#system=North+Weald+ICS), so a link reproduces the view and
   the filters follow the reader from page to page. The fragment, not the query string:
   Chromium does not let a page rewrite the query of a file:// address, and the site must
   work offline with no server.

   A table is filtered on the columns its header marks with data-dim; a table without a
   column for a filter is shown whole, and the notice says so. While a filter is on, the
   table's subtotals and total (sums over every row) are hidden and a "Total of the rows
   shown" is added, summed exactly in pence from each cell's data-v, for the columns the
   table's own total adds up. The print stamp carries the filters, so a printed page says
   what it shows.

   A table with a column per system, partner or month (a pivot's, or the figures under a chart
   with a series each: data-series on the heading, the value in data-value) keeps the column of
   the value filtered to and hides the others, as the chart above it hides their series. Its
   Total column (data-across) adds every one of those columns, the hidden ones too, so it is
   hidden with them: recomputed from one column left it would only repeat that column, and
   kept it would count what the filter leaves out. Its total row stays while no row is filtered
   out (it adds the rows shown, in the columns shown).

   CSV downloads: a filtered table's link gives the rows shown, as the lines of the table's
   own CSV file (written by reports/table_csv.py and embedded after the link, since a page
   opened from file:// cannot read another file): its heading, then the line of each row
   shown (a row's data-i is its line), in the file's order, as a data: address named after
   the filter. A table whose columns a filter cut takes its lines from the file as written
   with that one column (table_csv.series_csv_lines, embedded too). Unfiltered, the link is
   the static file again.

   Charts: a chart's data-filter (reports/site_filters.py) names the filter its categories,
   series and facet answer to, in the words the tables show. Under a filter its other
   categories and series are left out (Plotly.restyle on the drawn figure), a chart for
   another facet value, or with nothing left, is hidden, and a chart no filter reaches is
   shown whole; the notice counts each. */
(function () {
  "use strict";
  var DIMS = [["system", "System"], ["partner", "Partner"], ["month", "Month"],
              ["service_line", "Service line"]];
  var bar = document.getElementById("filters");
  if (!bar) { return; }
  var tables = Array.prototype.slice.call(document.querySelectorAll("main table.sortable"))
    .filter(function (t) { return t.tHead && t.tHead.rows.length; });
  var stampStyle = document.querySelector("style[media=print]");
  var stampText = stampStyle ? stampStyle.textContent : "";

  function columns(table) {            // {dim: [column index, ...]}
    var found = {};
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      var dim = th.getAttribute("data-dim");
      if (dim) { (found[dim] = found[dim] || []).push(i); }
    });
    return found;
  }
  function seriesColumns(table) {      // {dim: {series: [[column index, value], ...], across: [index, ...]}}
    var found = {};
    function of(dim) { return (found[dim] = found[dim] || { series: [], across: [] }); }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      var dim = th.getAttribute("data-series");
      if (dim) { of(dim).series.push([i, th.getAttribute("data-value")]); }
      dim = th.getAttribute("data-across");
      if (dim) { of(dim).across.push(i); }
    });
    return found;
  }
  function text(row, i) { return row.cells[i] ? row.cells[i].textContent.trim() : ""; }
  function detailRows(table) {
    var rows = [];
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (r) {
        if (!r.classList.contains("subtotal")) { rows.push(r); }
      });
    });
    return rows;
  }

  function readState() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var state = {};
    DIMS.forEach(function (d) { var v = params.get(d[0]); if (v) { state[d[0]] = v; } });
    return state;
  }
  function fragment(state) {
    var params = new URLSearchParams();
    DIMS.forEach(function (d) { if (state[d[0]]) { params.set(d[0], state[d[0]]); } });
    var s = params.toString();
    return s ? "#" + s : "";
  }
  function writeState(state) {
    var address = location.href.split("#")[0] + fragment(state);
    try { history.replaceState(null, "", address); } catch (e) { location.hash = fragment(state); }
  }

  // Exact sums: a cell's data-v is a decimal string with at most two places (pounds and
  // pence); it is added as a whole number of pence in a BigInt, never as a float.
  function pence(v) {
    var m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(v);
    if (!m) { return null; }
    var n = BigInt(m[2]) * 100n + BigInt(((m[3] || "") + "00").slice(0, 2));
    return m[1] ? -n : n;
  }
  function groupThousands(n) { return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function moneyText(p, fmt) {         // as the site shows money: £1,235 or £1,234.57, (…) when negative
    var neg = p < 0n, a = neg ? -p : p, s;
    if (fmt === "money2") {
      var cents = (a % 100n).toString();
      s = "£" + groupThousands(a / 100n) + "." + (cents.length < 2 ? "0" + cents : cents);
    } else if (fmt === "int") {
      s = groupThousands((a + 50n) / 100n);
    } else {
      s = "£" + groupThousands((a + 50n) / 100n);
    }
    return neg && !/^£?0(\.00)?$/.test(s) ? "(" + s + ")" : s;
  }
  function decimalText(p) {
    var neg = p < 0n, a = neg ? -p : p, cents = (a % 100n).toString();
    return (neg ? "-" : "") + (a / 100n).toString() + "." + (cents.length < 2 ? "0" + cents : cents);
  }

  // hides the columns of the values a filter leaves out (and the Total adding them); the dims it cut
  function filterColumns(table, state) {
    var series = seriesColumns(table), hide = {}, cut = [];
    DIMS.forEach(function (d) {
      var s = series[d[0]];
      if (!s || !s.series.length || !state[d[0]]) { return; }
      cut.push(d[0]);
      s.series.forEach(function (c) { if (c[1] !== state[d[0]]) { hide[c[0]] = true; } });
      if (Object.keys(hide).length) { s.across.forEach(function (i) { hide[i] = true; }); }
    });
    Array.prototype.forEach.call(table.rows, function (r) {
      Array.prototype.forEach.call(r.cells, function (cell, i) { cell.hidden = !!hide[i]; });
    });
    return cut;
  }

  function filterTable(table, state) {
    var cols = columns(table), active = [];
    DIMS.forEach(function (d) { if (state[d[0]] && cols[d[0]]) { active.push(d[0]); } });
    var shown = 0, totals = {};
    var heads = table.tHead.rows[0].cells;
    var totalRow = table.tFoot && table.tFoot.rows.length ? table.tFoot.rows[0] : null;
    Array.prototype.forEach.call(heads, function (th, i) {
      var cell = totalRow && totalRow.cells[i];
      // a column is summed only where the table's own total adds it up (not rates or shares)
      if (th.getAttribute("data-sum") && cell && cell.getAttribute("data-v")) { totals[i] = 0n; }
    });
    detailRows(table).forEach(function (row) {
      var keep = active.every(function (dim) {
        return cols[dim].some(function (i) { return text(row, i) === state[dim]; });
      });
      row.hidden = !keep;
      if (!keep) { return; }
      shown += 1;
      Object.keys(totals).forEach(function (i) {
        if (totals[i] === null) { return; }
        var v = row.cells[i] ? row.cells[i].getAttribute("data-v") : "";
        var p = v ? pence(v) : 0n;
        totals[i] = p === null ? null : totals[i] + p;
      });
    });
    table.querySelectorAll("tr.subtotal").forEach(function (r) { r.hidden = active.length > 0; });
    if (table.tFoot) {
      Array.prototype.forEach.call(table.tFoot.rows, function (r) {
        if (r.classList.contains("filtered-total")) { r.remove(); } else { r.hidden = active.length > 0; }
      });
    }
    if (active.length && totalRow && Object.keys(totals).length) {
      var tr = document.createElement("tr");
      tr.className = "total filtered-total";
      var labelled = false;
      Array.prototype.forEach.call(heads, function (th, i) {
        var td = document.createElement("td");
        if (i in totals && totals[i] !== null) {
          td.className = "num";
          td.setAttribute("data-v", decimalText(totals[i]));
          td.textContent = moneyText(totals[i], th.getAttribute("data-sum"));
        } else if (!labelled && !th.classList.contains("num")) {
          td.textContent = "Total of the " + shown + " row" + (shown === 1 ? "" : "s") + " shown";
          labelled = true;
        }
        tr.appendChild(td);
      });
      table.tFoot.appendChild(tr);
    }
    var cut = filterColumns(table, state);
    active = DIMS.map(function (d) { return d[0]; }).filter(function (dim) {
      return active.indexOf(dim) >= 0 || cut.indexOf(dim) >= 0;
    });
    table.setAttribute("data-filtered", active.length ? "yes" : "no");
    return { active: active, cut: cut };
  }

  // ---- CSV downloads: each link with its table (the last table before it) and its file's lines
  var downloads = [];
  (function () {
    var last = null;
    document.querySelectorAll("main table.sortable, main a.csv").forEach(function (el) {
      if (el.tagName === "TABLE") { last = el; return; }
      var data = el.nextElementSibling;
      if (!last || !data || !data.classList.contains("csv-lines")) { return; }
      var lines = JSON.parse(data.textContent);
      if (last.querySelectorAll("tr[data-i]").length !== lines.length - 1) {
        console.error("CSV link " + el.getAttribute("href") + ": its table has "
                      + last.querySelectorAll("tr[data-i]").length + " rows, its file " + (lines.length - 1));
        return;
      }
      var series = data.nextElementSibling;
      series = series && series.classList.contains("csv-series") ? JSON.parse(series.textContent) : {};
      downloads.push({ link: el, table: last, lines: lines, series: series, href: el.getAttribute("href"),
                       label: el.textContent });
    });
  }());
  function slug(v) { return v.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-+|-+$/g, ""); }
  function filterDownload(d, state, view) {
    var active = view.active;
    if (!active.length) {
      d.link.setAttribute("href", d.href);
      d.link.setAttribute("download", "");
      d.link.textContent = d.label;
      return;
    }
    var lines = d.lines;
    view.cut.forEach(function (dim) { lines = d.series[state[dim]] || d.series[""]; });
    if (!lines) {       // a page written without its tables' column lines: never offer the wrong columns
      console.error("CSV link " + d.href + ": no lines for the columns shown");
      return;
    }
    var shown = Array.prototype.filter.call(d.table.querySelectorAll("tr[data-i]"), function (r) { return !r.hidden; })
      .map(function (r) { return +r.getAttribute("data-i"); })
      .sort(function (a, b) { return a - b; });
    var text = "\ufeff" + [lines[0]].concat(shown.map(function (i) { return lines[i + 1]; }))
      .map(function (line) { return line + "\r\n"; }).join("");
    var name = d.href.split("/").pop().replace(/\.csv$/, "") + "_" + active.map(function (dim) {
      return dim + "-" + slug(state[dim]);
    }).join("_") + ".csv";
    d.link.setAttribute("href", "data:text/csv;charset=utf-8," + encodeURIComponent(text));
    d.link.setAttribute("download", name);
    d.link.textContent = "Download the " + shown.length + " row" + (shown.length === 1 ? "" : "s") + " shown (CSV)";
  }

  // ---- Charts
  var charts = Array.prototype.map.call(document.querySelectorAll("main div.chart[data-filter]"), function (el) {
    return { el: el, spec: JSON.parse(el.getAttribute("data-filter")), panel: el.closest("section.panel") || el,
             gd: el.querySelector(".plotly-graph-div"), original: null };
  });
  var chartsDrawn = false;
  function indices(labels, value) {
    var out = [];
    labels.forEach(function (v, i) { if (v === value) { out.push(i); } });
    return out;
  }
  // the filters that reach a chart, whether it is hidden, and the categories and traces it keeps
  function chartView(c, state) {
    var sp = c.spec, view = { active: [], hidden: false, keepX: null, keepTraces: null };
    function on(dim) { if (view.active.indexOf(dim) < 0) { view.active.push(dim); } }
    if (sp.facet && state[sp.facet[0]]) {
      on(sp.facet[0]);
      view.hidden = state[sp.facet[0]] !== sp.facet[1];
    }
    if (sp.x && state[sp.x[0]]) { on(sp.x[0]); view.keepX = indices(sp.x[1], state[sp.x[0]]); }
    if (sp.series && state[sp.series[0]]) {
      on(sp.series[0]);
      view.keepTraces = indices(sp.series[1], state[sp.series[0]]);
    }
    if ((view.keepX && !view.keepX.length) || (view.keepTraces && !view.keepTraces.length)) { view.hidden = true; }
    return view;
  }
  var PER_POINT = ["x", "y", "customdata", "text", "hovertext"];
  function redraw(c, view) {
    var gd = c.gd;
    if (!gd || !gd.data || !window.Plotly) { return; }
    if (!c.original) {          // the figure as written, the one every view is cut from
      c.original = { height: gd.layout.height, traces: gd.data.map(function (t) {
        var keep = {};
        PER_POINT.forEach(function (k) { if (Array.isArray(t[k])) { keep[k] = t[k]; } });
        return keep;
      }) };
    }
    var update = { visible: [] };
    c.original.traces.forEach(function (t, k) {
      update.visible.push(!view.keepTraces || view.keepTraces.indexOf(k) >= 0);
      Object.keys(t).forEach(function (key) {
        (update[key] = update[key] || []).push(view.keepX ? view.keepX.map(function (i) { return t[key][i]; }) : t[key]);
      });
    });
    Plotly.restyle(gd, update);
    var h = c.spec.height, n = view.keepX ? view.keepX.length : (c.spec.x ? c.spec.x[1].length : 0);
    var height = h && n ? Math.max(h[0], h[1] + h[2] * n) : c.original.height;
    if (height !== gd.layout.height) {
      gd.style.height = height + "px";       // the box plotly was written into, else it keeps the old height
      Plotly.relayout(gd, { height: height });
    }
  }
  function filterChart(c, state) {
    var view = chartView(c, state), wasHidden = c.panel.hidden;
    c.panel.hidden = view.hidden;
    if (chartsDrawn && !view.hidden) {
      if (view.active.length || c.original) { redraw(c, view); }
      if (wasHidden && c.gd && window.Plotly) { Plotly.Plots.resize(c.gd); }   // drawn while hidden: no width then
    }
    return view;
  }

  function count(n, what) { return n + " " + what + (n === 1 ? "" : "s"); }
  function listed(items) {
    items = items.filter(Boolean);
    return items.length < 2 ? items.join("") : items.slice(0, -1).join(", ") + " and " + items[items.length - 1];
  }
  // the notice: what the filters changed and, exactly, what they left whole
  function noticeText(on, scope, tableViews, chartViews) {
    var n = on.length;
    // a table hidden with its chart (the figures under it) is counted with the chart
    var shownViews = tableViews.filter(function (v) { return !v.hidden; });
    var tableActive = shownViews.map(function (v) { return v.active; });
    var tablesOn = tableActive.filter(function (a) { return a.length; }).length;
    var tablesCut = shownViews.filter(function (v) { return v.cut.length; }).length;
    var tablesPart = tableActive.filter(function (a) { return a.length && a.length < n; }).length;
    var chartsOn = chartViews.filter(function (v) { return v.active.length; }).length;
    var chartsPart = chartViews.filter(function (v) { return v.active.length && v.active.length < n; }).length;
    var chartsHidden = chartViews.filter(function (v) { return v.hidden; }).length;
    var tablesWhole = shownViews.length - tablesOn, chartsWhole = chartViews.length - chartsOn;
    var out = ["Filtered to " + scope + "."];
    if (tablesOn) {
      out.push("Tables show the matching rows only, with the total of the rows shown in place of their "
               + "subtotals and totals; a table's CSV download holds the rows it shows.");
    }
    if (chartsOn) {
      out.push("Charts show the matching bars, points and series only"
               + (chartsHidden ? "; " + count(chartsHidden, "chart") + " with nothing to show for "
                  + (n > 1 ? "these filters" : "this filter") + (chartsHidden === 1 ? " is" : " are")
                  + " hidden, with the figures under " + (chartsHidden === 1 ? "it" : "them") : "")
               + ".");
    }
    if (tablesCut) {
      out.push(count(tablesCut, "table") + " with a column for each " + listed(DIMS.filter(function (d) {
        return shownViews.some(function (v) { return v.cut.indexOf(d[0]) >= 0; });
      }).map(function (d) { return d[1].toLowerCase(); })) + (tablesCut === 1 ? " shows" : " show")
               + " the matching column only, without the Total column that adds up all of them.");
    }
    if (n > 1 && (tablesPart || chartsPart)) {
      var part = listed([tablesPart && count(tablesPart, "table"), chartsPart && count(chartsPart, "chart")]);
      out.push(part.charAt(0).toUpperCase() + part.slice(1) + (tablesPart + chartsPart === 1 ? " has" : " have")
               + " a column or axis for only some of these filters and " + (tablesPart + chartsPart === 1 ? "is" : "are")
               + " filtered on those.");
    }
    if (tablesWhole || chartsWhole) {
      var csvWhole = downloads.filter(function (d) {
        var v = tableViews[tables.indexOf(d.table)];
        return !v.hidden && !v.active.length;
      }).length;
      out.push("Shown whole, with no column or axis for " + (n > 1 ? "these filters" : "this filter") + ": "
               + listed([tablesWhole && count(tablesWhole, "table")
                           + (csvWhole ? " (" + (csvWhole === tablesWhole ? (csvWhole === 1 ? "its" : "their")
                                                 : csvWhole + " of " + (csvWhole === 1 ? "them with its" : "them with their"))
                              + " CSV download" + (csvWhole === 1 ? "" : "s") + " whole too)" : ""),
                         chartsWhole && count(chartsWhole, "chart")]) + ".");
    }
    // words written from the whole period's figures, not rows a filter can pick
    var prose = listed([document.getElementById("key-messages") && "the key messages",
                        document.querySelector("main .flag-list") && "the flags listed in words"]);
    if (prose) { out.push(prose.charAt(0).toUpperCase() + prose.slice(1) + " are not filtered."); }
    return out.join(" ");
  }

  function apply(state) {
    var tableViews = tables.map(function (t) { return filterTable(t, state); });
    downloads.forEach(function (d) { filterDownload(d, state, tableViews[tables.indexOf(d.table)]); });
    var chartViews = charts.map(function (c) { return filterChart(c, state); });
    // the figures under a chart go with it: hidden with it, and drawn for its facet's value
    tables.forEach(function (t, k) {
      var panel = t.closest("section.panel"), v = tableViews[k];
      charts.forEach(function (c, j) {
        if (c.panel !== panel) { return; }
        v.hidden = chartViews[j].hidden;
        if (c.spec.facet && state[c.spec.facet[0]] && v.active.indexOf(c.spec.facet[0]) < 0) {
          v.active = DIMS.map(function (d) { return d[0]; }).filter(function (dim) {
            return dim === c.spec.facet[0] || v.active.indexOf(dim) >= 0;
          });
        }
      });
    });
    var on = DIMS.filter(function (d) { return state[d[0]]; });
    var scope = on.map(function (d) { return d[1] + ": " + state[d[0]]; }).join(", ");
    var notice = bar.querySelector(".filter-notice");
    notice.textContent = on.length ? noticeText(on, scope, tableViews, chartViews) : "";
    bar.querySelectorAll("select").forEach(function (sel) { sel.value = state[sel.name] || ""; });
    if (stampStyle) {
      stampStyle.textContent = on.length
        ? stampText.replace(/content: "((?:[^"\\]|\\.)*)"/, function (m, s) {
            return 'content: "' + s + " · filtered to " + scope.replace(/[\\"]/g, "\\$&").replace(/\n/g, " ") + '"';
          })
        : stampText;
    }
    // the filters follow the reader to the other pages of the site
    var frag = fragment(state);
    document.querySelectorAll("header nav a, a.keeps-filters").forEach(function (a) {
      var href = a.getAttribute("href").split("#")[0];
      a.setAttribute("href", href + frag);
    });
  }

  // the choices: every value of the dim's columns on this page
  var values = {};
  tables.forEach(function (table) {
    var cols = columns(table);
    Object.keys(cols).forEach(function (dim) {
      detailRows(table).forEach(function (row) {
        cols[dim].forEach(function (i) {
          var v = text(row, i), cell = row.cells[i];
          // ordered by the cell's sort value where it has one (a month's YYYY-MM), else its text
          if (v) { (values[dim] = values[dim] || {})[v] = cell.getAttribute("data-v") || v; }
        });
      });
    });
  });
  // and the values that are columns of their own (a column per partner), where no row names them
  tables.forEach(function (table) {
    var series = seriesColumns(table);
    Object.keys(series).forEach(function (dim) {
      series[dim].series.forEach(function (c) {
        var keys = (values[dim] = values[dim] || {});
        if (!(c[1] in keys)) { keys[c[1]] = c[1]; }
      });
    });
  });
  var state = readState();
  var present = DIMS.filter(function (d) { return values[d[0]] || state[d[0]]; });
  if (!present.length) { return; }
  present.forEach(function (d) {
    var label = document.createElement("label");
    label.appendChild(document.createTextNode(d[1] + " "));
    var sel = document.createElement("select");
    sel.name = d[0];
    var all = document.createElement("option");
    all.value = ""; all.textContent = "All";
    sel.appendChild(all);
    var keys = values[d[0]] || {};
    var options = Object.keys(keys);
    if (state[d[0]] && options.indexOf(state[d[0]]) < 0) { options.push(state[d[0]]); }
    options.sort(function (a, b) {
      return (keys[a] || a).localeCompare(keys[b] || b, "en-GB", { numeric: true });
    })
      .forEach(function (v) {
        var o = document.createElement("option");
        o.value = v; o.textContent = v;
        sel.appendChild(o);
      });
    sel.addEventListener("change", function () {
      var s = readState();
      if (sel.value) { s[d[0]] = sel.value; } else { delete s[d[0]]; }
      writeState(s);
      apply(s);
    });
    label.appendChild(sel);
    bar.insertBefore(label, bar.querySelector(".filter-notice"));
  });
  bar.hidden = false;
  window.addEventListener("hashchange", function () { apply(readState()); });
  apply(state);
  // the charts are drawn on DOMContentLoaded (plotly loads deferred, see html_site._PLOT_SCRIPT) by
  // listeners added before this script ran, so this one runs after them: the figures are there
  document.addEventListener("DOMContentLoaded", function () {
    chartsDrawn = true;
    charts.forEach(function (c) { filterChart(c, readState()); });
  });
}());
