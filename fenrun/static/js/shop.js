// Behaviour every page shares. Pages carry no inline script or on* handler (the
// Content-Security-Policy refuses them); they mark elements with data- attributes instead.
(function () {
  // A table too wide for the screen scrolls inside its box; keyboard users must be able to
  // focus that box to scroll it (WCAG 2.1.1).
  document.querySelectorAll(".table-wrap").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) box.tabIndex = 0;
  });

  // <select data-autosubmit>: choosing an option submits its form (language, sort order).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) select.form.submit();
  });

  // <form data-confirm="question">: the form is sent only once the question is answered OK.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
