// HQ dashboard charts (Chart.js, vendored); the data comes from the page's json_script tag.
(function () {
  if (!window.Chart) { return; }
  var d = JSON.parse(document.getElementById("chart-data").textContent);
  var palette = ["#1769aa", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"];
  function draw(id, series, type) {
    new Chart(document.getElementById(id), {
      type: type,
      data: {labels: d.labels, datasets: series.map(function (s, i) {
        return {label: s.label, data: s.data.map(Number), borderColor: palette[i % palette.length],
                backgroundColor: palette[i % palette.length], tension: 0.2};
      })},
      options: {responsive: true, maintainAspectRatio: false, animation: false,
                plugins: {legend: {position: "bottom"}}, scales: {y: {beginAtZero: true}}}
    });
  }
  draw("chart-openings", d.openings, "line");
  draw("chart-sales", d.sales, "line");
  draw("chart-commission", d.commission, "bar");
})();
