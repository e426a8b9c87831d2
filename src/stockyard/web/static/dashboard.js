// The dashboard's charts: the figures come with the page (#chart-data), ECharts only draws them.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("chart-data");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var stacked = function (categories, series) {
      return {
        tooltip: { trigger: "axis" }, legend: { bottom: 0 },
        grid: { left: 60, right: 16, top: 16, bottom: 48 },
        xAxis: { type: "category", data: categories }, yAxis: { type: "value" },
        series: series.map(function (s) { return { name: s.name, type: "bar", stack: "all", data: s.data }; }),
      };
    };
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var chart = data[box.dataset.chart];
      if (!chart) { return; }
      var categories = box.dataset.chart === "tasks" ? chart.kinds : chart.zones;
      echarts.init(box, null, { renderer: "svg" }).setOption(stacked(categories, chart.series));
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
