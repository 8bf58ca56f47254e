/* Filters by system, partner, month and service line, kept in the page address after "#"
   (e.g. spend-by-partner.html#system=North+Weald+ICS), so a link reproduces the view and
   the filters follow the reader from page to page. The fragment, not the query string:
   Chromium does not let a page rewrite the query of a file:// address, and the site must
   work offline with no server.

   A table is filtered on the columns its header marks with data-dim; a table without a
   column for a filter is shown whole, and the notice says so. While a filter is on, the
   table's subtotals and total (sums over every row) are hidden and a "Total of the rows
   shown" is added, summed exactly in pence from each cell's data-v, for the columns the
   table's own total adds up; the charts are not filtered. The print stamp carries the
   filters, so a printed page says what it shows. */
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
    table.setAttribute("data-filtered", active.length ? "yes" : "no");
    return active.length > 0;
  }

  function apply(state) {
    var unfiltered = 0;
    tables.forEach(function (t) { if (!filterTable(t, state)) { unfiltered += 1; } });
    var on = DIMS.filter(function (d) { return state[d[0]]; });
    var scope = on.map(function (d) { return d[1] + ": " + state[d[0]]; }).join(", ");
    var notice = bar.querySelector(".filter-notice");
    notice.textContent = on.length
      ? "Filtered to " + scope + ". Subtotals and totals are replaced by the total of the rows shown"
        + (unfiltered ? "; " + unfiltered + " table" + (unfiltered === 1 ? " has" : "s have")
           + " no column for this filter and " + (unfiltered === 1 ? "is" : "are") + " shown whole" : "")
        + "; charts and CSV downloads are not filtered."
      : "";
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
}());
