/* Sort a table when its column header is clicked. Each <tbody> is one group: its
   detail rows are sorted, its subtotal rows stay at its end; <tfoot> (the total) never
   moves. A cell's data-v attribute, when present, is the value sorted on. */
(function () {
  "use strict";
  function value(cell, numeric) {
    var v = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
    if (!numeric) { return v; }
    var n = parseFloat(v);
    return isNaN(n) ? -Infinity : n;
  }
  function sortBy(table, th, col) {
    var numeric = th.classList.contains("num");
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var sign = dir === "ascending" ? 1 : -1;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
      h.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", dir);
    Array.prototype.forEach.call(table.tBodies, function (body) {
      var rows = Array.prototype.slice.call(body.rows);
      var detail = rows.filter(function (r) { return !r.classList.contains("subtotal"); });
      var fixed = rows.filter(function (r) { return r.classList.contains("subtotal"); });
      detail.sort(function (a, b) {
        var x = value(a.cells[col], numeric), y = value(b.cells[col], numeric);
        if (numeric) { return x === y ? 0 : (x < y ? -sign : sign); }
        return sign * x.localeCompare(y, "en-GB", { numeric: true, sensitivity: "base" });
      });
      detail.concat(fixed).forEach(function (r) { body.appendChild(r); });
    });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    if (!table.tHead) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      var button = th.querySelector("button");
      if (button) { button.addEventListener("click", function () { sortBy(table, th, col); }); }
    });
  });
}());
