// The shell's small behaviours, from a static file: the Content-Security-Policy allows no
// inline script and no on* attribute.
(function () {
  "use strict";
  // A <select data-autosubmit> submits its form when changed (language, filters).
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) { el.form.submit(); }
  });
  // A button with data-print prints the page (费用明细表).
  document.addEventListener("click", function (evt) {
    var el = evt.target && evt.target.closest ? evt.target.closest("[data-print]") : null;
    if (el) { evt.preventDefault(); window.print(); }
  });
  // Only one of the topbar's menus open at a time; a click outside closes them.
  document.addEventListener("click", function (evt) {
    var open = document.querySelectorAll(".topbar details[open]");
    for (var i = 0; i < open.length; i++) {
      if (!open[i].contains(evt.target)) { open[i].removeAttribute("open"); }
    }
  });
  // A file upload's progress bar (批量导入), fed by htmx's upload events.
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var bar = document.getElementById("import-progress");
    if (bar && evt.detail && evt.detail.lengthComputable) {
      bar.value = Math.round(evt.detail.loaded * 100 / evt.detail.total);
    }
  });
})();
