// The plan form shows the rows for the chosen number of levels and mode, one more guaranteed
// row per click, the legal warning from the number of levels the form's
// data-legal-warning-levels gives, and in the assignment form only the chosen target's field.
(function () {
  var form = document.getElementById("plan-form");
  if (!form) return;
  var legalLevels = parseInt(form.dataset.legalWarningLevels, 10);
  function sync() {
    var levels = parseInt(form.elements.levels.value, 10) || 0;
    var checked = form.querySelector("input[name=mode]:checked");
    var mode = checked ? checked.value : "levels";
    document.getElementById("level-rates").hidden = mode !== "levels";
    document.getElementById("matrix-rates").hidden = mode !== "matrix";
    document.querySelectorAll("[data-level-row]").forEach(function (row) {
      row.hidden = parseInt(row.dataset.levelRow, 10) > levels;
    });
    document.querySelectorAll("[data-matrix-row]").forEach(function (row) {
      row.hidden = parseInt(row.dataset.matrixRow, 10) > levels;
    });
    document.getElementById("legal").hidden = levels < legalLevels;
  }
  form.addEventListener("input", sync);
  form.addEventListener("change", sync);
  var add = document.getElementById("add-guaranteed");
  add.hidden = false;
  add.addEventListener("click", function () {
    var hiddenRow = document.querySelector("[data-guaranteed-row][hidden]");
    if (hiddenRow) hiddenRow.hidden = false;
    if (!document.querySelector("[data-guaranteed-row][hidden]")) add.hidden = true;
  });
  // Only the target matching "applies to" is shown in the assignment form.
  var target = document.getElementById("id_target");
  if (target) {
    var fields = { product: "id_product", category: "id_category", member: "id_member_email", group: "id_group" };
    var syncTarget = function () {
      Object.keys(fields).forEach(function (key) {
        var el = document.getElementById(fields[key]);
        if (el) el.closest("div").hidden = key !== target.value;
      });
    };
    target.addEventListener("change", syncTarget);
    syncTarget();
  }
  sync();
})();
