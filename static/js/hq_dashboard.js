// HQ dashboard charts (Chart.js, vendored); the data comes from the page's json_script tag.
(function () {
  if (!window.Chart) { return; }
  var d = JSON.parse(document.getElementById("chart-data").textContent);
  var palette = ["#1769aa", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"];
  function draw(id, series, type, whole) {
    new Chart(document.getElementById(id), {
      type: type,
      data: {labels: d.labels, datasets: series.map(function (s, i) {
        return {label: s.label, data: s.data.map(Number), borderColor: palette[i % palette.length],
                backgroundColor: palette[i % palette.length], tension: 0.2};
      })},
      options: {responsive: true, maintainAspectRatio: false, animation: false,
                plugins: {legend: {position: "bottom"}},
                // counts (accounts opened) in whole numbers on the axis: 1, 2, 3, not 1.0, 1.5
                scales: {y: whole ? {beginAtZero: true, ticks: {precision: 0}} : {beginAtZero: true}}}
    });
  }
  draw("chart-openings", d.openings, "line", true);
  draw("chart-sales", d.sales, "line");
  draw("chart-commission", d.commission, "bar");
})();
