// Copy buttons, and the Web Share API where the phone offers it (Instagram, WhatsApp...).
// The script tag carries the translated "Copied" label: data-copied.
(function () {
  var script = document.currentScript;
  var copied = (script && script.getAttribute("data-copied")) || "✓";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      var done = function () { var label = button.textContent; button.textContent = copied; setTimeout(function () { button.textContent = label; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); return; }
      var input = button.parentNode.querySelector("input");
      if (input) { input.select(); document.execCommand("copy"); done(); }
    });
  });
  if (navigator.share) {
    document.querySelectorAll("[data-share-url]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.share({ title: button.getAttribute("data-share-title"), url: button.getAttribute("data-share-url") }).catch(function () {});
      });
    });
  }
})();
