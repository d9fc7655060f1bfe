/* KPI template builder (考核模板): live weight total, add/remove indicator rows, and showing only
   the fields the chosen scoring needs. The server validates everything again (weights must add
   up to exactly 100); this only tells people before they press save. No inline handlers: the
   page's Content-Security-Policy allows scripts from static files only. */
(function () {
  "use strict";
  var form = document.querySelector("form.kpi-builder");
  if (!form) { return; }
  form.classList.add("js-on");
  var rows = document.getElementById("kpi-rows");
  var totalOut = document.getElementById("kpi-weight-total");
  var hint = form.querySelector(".kpi-total-hint");
  var surveyMetric = form.getAttribute("data-survey-metric");

  // "５０", "50%", "1,5" as people type them → hundredths of a percent as an integer (no float sums).
  function hundredths(text) {
    var s = (text || "").replace(/[\uFF10-\uFF19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); })
      .replace(/[\uFF0E\u3002]/g, ".").replace(/[,\uFF0C%\uFF05\s]/g, "");
    if (!/^\d+(\.\d{1,2})?$/.test(s)) { return s === "" ? 0 : NaN; }
    var parts = s.split(".");
    var frac = ((parts[1] || "") + "00").slice(0, 2);
    return parseInt(parts[0], 10) * 100 + parseInt(frac, 10);
  }

  function liveRows() {
    return Array.prototype.filter.call(rows.querySelectorAll(".kpi-row"), function (r) {
      var del = r.querySelector("input[name$='-DELETE']");
      return !(del && del.checked);
    });
  }

  function recompute() {
    var sum = 0, bad = false;
    liveRows().forEach(function (r) {
      var w = r.querySelector("input[name$='-weight']");
      var v = hundredths(w ? w.value : "");
      if (isNaN(v)) { bad = true; } else { sum += v; }
    });
    var whole = Math.floor(sum / 100), frac = sum % 100;
    var shown = String(whole) + (frac ? ("." + (frac < 10 ? "0" : "") + frac).replace(/0$/, "") : "");
    totalOut.textContent = bad ? "?" : shown;
    var ok = !bad && sum === 10000;
    totalOut.parentNode.classList.toggle("is-ok", ok);
    totalOut.parentNode.classList.toggle("is-bad", !ok);
    if (hint) { hint.textContent = ok ? hint.getAttribute("data-ok") : hint.getAttribute("data-bad"); }
  }

  function syncRow(r) {
    var metric = r.querySelector("select[name$='-metric']");
    var formula = r.querySelector("select[name$='-formula']");
    var del = r.querySelector("input[name$='-DELETE']");
    var scale = r.querySelector(".kpi-scale");
    if (scale && metric) { scale.classList.toggle("is-off", metric.value !== surveyMetric); }
    var cap = r.querySelector(".kpi-cap"), steps = r.querySelector(".kpi-steps");
    if (cap && formula) { cap.classList.toggle("is-off", formula.value !== "capped"); }
    if (steps && formula) { steps.classList.toggle("is-off", formula.value !== "thresholds"); }
    r.classList.toggle("is-deleted", !!(del && del.checked));
  }

  function renumber() {
    liveRows().forEach(function (r, i) {
      var no = r.querySelector(".kpi-row-no");
      if (no) { no.textContent = String(i + 1); }
    });
  }

  var total = form.querySelector("input[name$='-TOTAL_FORMS']");
  var addButton = document.getElementById("kpi-add");
  var tpl = document.getElementById("kpi-row-template");
  if (addButton && tpl && total) {
    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = tpl.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.querySelector(".kpi-row");
      rows.appendChild(row);
      total.value = String(index + 1);
      syncRow(row);
      renumber();
      recompute();
      var first = row.querySelector("select, input:not([type=hidden])");
      if (first) { first.focus(); }
    });
  }

  form.addEventListener("input", function (e) {
    if (e.target.name && /-weight$/.test(e.target.name)) { recompute(); }
  });
  form.addEventListener("change", function (e) {
    var r = e.target.closest(".kpi-row");
    if (r) { syncRow(r); }
    if (e.target.name && /-DELETE$/.test(e.target.name)) { renumber(); recompute(); }
    if (e.target.name === "season") { syncSeason(); }
  });

  var season = form.querySelector("select[name='season']");
  function syncSeason() {
    if (!season) { return; }
    Array.prototype.forEach.call(form.querySelectorAll(".kpi-season-only"), function (el) {
      el.classList.toggle("is-off", season.value === "all");
    });
  }

  Array.prototype.forEach.call(rows.querySelectorAll(".kpi-row"), syncRow);
  syncSeason();
  renumber();
  recompute();
}());
