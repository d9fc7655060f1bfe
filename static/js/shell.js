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
  // An amount field (input[data-money]) reads as people write money once left: 1200.5 →
  // 1,200.50. Text only (no floating point); anything that is not a plain amount with at most
  // two decimals is left as typed, for the server to refuse with its message.
  document.addEventListener("focusout", function (evt) {
    var el = evt.target;
    if (!el || !el.matches || !el.matches("input[data-money]")) { return; }
    var m = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{0,2}))?$/.exec(el.value.trim());
    if (!m) { return; }  // "1,2", "1e5", three decimals …: as typed
    var whole = m[1].replace(/,/g, "").replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    el.value = whole + "." + ((m[2] || "") + "00").slice(0, 2);
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
