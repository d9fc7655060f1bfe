// Trend chart of the last six months (Chart.js, vendored). Data comes from a json_script tag.
(function () {
  function draw() {
    var el = document.getElementById("trend-chart");
    var data = document.getElementById("trend-data");
    if (!el || !data || typeof Chart === "undefined") return;
    var rows = JSON.parse(data.textContent);
    var labels = JSON.parse(document.getElementById("trend-labels").textContent);
    new Chart(el, {
      data: {
        labels: labels.months || rows.map(function (r) { return r.period; }),
        datasets: [
          {type: "bar", label: labels.commission, data: rows.map(function (r) { return Number(r.commission); }),
           backgroundColor: "#1769aa", yAxisID: "y"},
          {type: "line", label: labels.openings, data: rows.map(function (r) { return r.openings; }),
           borderColor: "#e65100", backgroundColor: "#e65100", yAxisID: "y1", tension: 0.2}
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {y: {beginAtZero: true, position: "left"},
                 y1: {beginAtZero: true, position: "right", grid: {drawOnChartArea: false}, ticks: {precision: 0}}}
      }
    });
    el.setAttribute("data-ready", "1");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
