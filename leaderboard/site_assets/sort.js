// Click a column header to sort the table by it; click again to reverse.
// Cells carry their raw value in data-v (numbers unformatted), so sorting never parses "71.2%".
(function () {
  "use strict";
  function cellValue(row, index) {
    var cell = row.cells[index];
    return cell ? cell.getAttribute("data-v") : null;
  }
  function sortBy(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.cells, th);
    var numeric = th.getAttribute("data-type") !== "text";
    // Numbers start best-first (descending), except rank; text starts A-Z.
    var firstDir = numeric && th.getAttribute("data-key") !== "rank" ? "descending" : "ascending";
    var dir = th.getAttribute("aria-sort") === firstDir ? (firstDir === "ascending" ? "descending" : "ascending") : firstDir;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      var xm = x === null || x === "", ym = y === null || y === "";
      if (xm || ym) { return xm === ym ? 0 : (xm ? 1 : -1); }  // missing values always last
      var c = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      if (c === 0) { c = parseFloat(cellValue(a, 0)) - parseFloat(cellValue(b, 0)); return c; }
      return dir === "ascending" ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th) {
      th.addEventListener("click", function () { sortBy(table, th); });
      th.tabIndex = 0;
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sortBy(table, th); } });
    });
  });
}());
