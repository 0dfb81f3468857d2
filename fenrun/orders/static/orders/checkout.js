// Only the address fields of the chosen shipping kind (home delivery, convenience store) show.
(function () {
  function showShippingFields() {
    var checked = document.querySelector("input[name='shipping_method']:checked");
    var kind = checked ? checked.dataset.kind : "";
    document.querySelectorAll("[data-shipping-kind]").forEach(function (el) {
      el.hidden = Boolean(kind) && el.dataset.shippingKind !== kind;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "shipping_method") showShippingFields();
  });
  showShippingFields();
})();
