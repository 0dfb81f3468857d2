// Shows only the invoice fields of the chosen kind. Without this script every field shows,
// and the server keeps only the chosen kind's.
(function () {
  "use strict";
  var box = document.querySelector("[data-invoice-choice]");
  if (!box) return;
  function update() {
    var checked = box.querySelector("input[name='invoice_kind']:checked");
    var kind = checked ? checked.value : "";
    box.querySelectorAll("[data-invoice-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-invoice-for").split(" ").indexOf(kind) === -1;
    });
  }
  box.addEventListener("change", update);
  update();
})();
