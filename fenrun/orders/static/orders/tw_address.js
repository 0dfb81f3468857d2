// Turns the district text box of a Taiwanese address into a list that follows the county, and
// fills in the postal code's first 3 digits when a district is chosen (the buyer may add the
// rest). Without this script the page keeps a county list and two text boxes, and the server
// checks what is typed just the same (fenrun/orders/addresses.py).
(function () {
  "use strict";

  // Attributes that make sense on a text box only; the rest (name, id, autocomplete, aria-*)
  // move to the list so the label, the error messages and the form post stay the same.
  var TEXT_ONLY = ["type", "value", "placeholder", "maxlength", "minlength", "inputmode", "size"];

  function upgrade(container) {
    var source = document.getElementById(container.dataset.twAddress);
    var county = container.querySelector("[data-address='county']");
    var input = container.querySelector("input[data-address='district']");
    var postal = container.querySelector("[data-address='postal-code']");
    if (!source || !county || !input || !postal) return;
    var data = JSON.parse(source.textContent);
    var emptyLabel = county.options.length && !county.options[0].value ? county.options[0].text : "";

    var select = document.createElement("select");
    Array.prototype.forEach.call(input.attributes, function (attr) {
      if (TEXT_ONLY.indexOf(attr.name) === -1) select.setAttribute(attr.name, attr.value);
    });

    function districts() {
      return data[county.value] || [];
    }

    function fill(keep) {
      var list = districts();
      select.textContent = "";
      select.add(new Option(emptyLabel, ""));
      list.forEach(function (pair) {
        select.add(new Option(pair[0], pair[0]));
      });
      var known = list.some(function (pair) {
        return pair[0] === keep;
      });
      select.value = known ? keep : "";
      // A list with nothing to choose from yet says so by being greyed out.
      select.disabled = list.length === 0;
    }

    fill(input.value.trim());
    input.replaceWith(select);

    county.addEventListener("change", function () {
      fill("");
      // A code typed or filled for the previous county would now be wrong: start afresh.
      var prefix = postal.value.trim().slice(0, 3);
      var fits = districts().some(function (pair) {
        return pair[1] === prefix;
      });
      if (!fits) postal.value = "";
    });

    select.addEventListener("change", function () {
      var chosen = districts().filter(function (pair) {
        return pair[0] === select.value;
      })[0];
      if (!chosen) return;
      // Keep a longer code the buyer already typed if it belongs to this district.
      if (postal.value.trim().slice(0, 3) !== chosen[1]) postal.value = chosen[1];
    });
  }

  document.querySelectorAll("[data-tw-address]").forEach(upgrade);
})();
