// Keeps the grid's row, column and overall totals in step with the ticks.
(function () {
  "use strict";
  function recount(table) {
    var rows = table.querySelectorAll("tbody tr[data-row]");
    var columns = table.querySelectorAll("tfoot [data-column-total]");
    var columnTotals = Array.prototype.map.call(columns, function () { return 0; });
    var total = 0;
    rows.forEach(function (row) {
      var boxes = row.querySelectorAll("input[type=checkbox]");
      var rowTotal = 0;
      boxes.forEach(function (box, index) {
        if (box.checked) { rowTotal += 1; columnTotals[index] += 1; }
      });
      row.querySelector("[data-row-total]").textContent = rowTotal;
      total += rowTotal;
    });
    columns.forEach(function (cell, index) { cell.textContent = columnTotals[index]; });
    document.querySelectorAll("[data-grid-total]").forEach(function (cell) { cell.textContent = total; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var table = document.querySelector("table[data-grid]");
    if (table) { table.addEventListener("change", function () { recount(table); }); }
  });
})();
