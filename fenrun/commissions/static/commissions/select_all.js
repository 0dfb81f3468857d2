// "Select all" for a list of checkboxes: the box with data-select-all="name" ticks every
// checkbox of that name in its form. Without JavaScript, rows are ticked one by one.
document.querySelectorAll("input[data-select-all]").forEach(function (master) {
  var name = master.getAttribute("data-select-all");
  master.hidden = false;
  master.addEventListener("change", function () {
    master.form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = master.checked;
    });
  });
});
