// The classifier page's chart (ECharts): precision, recall and F1 of each kind, from the JSON
// script tag #clf-chart-data. The table under the chart holds the same figures without JavaScript.
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("clf-chart");
    var data = document.getElementById("clf-chart-data");
    if (!el || !data || typeof echarts === "undefined") return;
    var d = JSON.parse(data.textContent);
    var chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "svg" });
    function series(name, values, color) {
      return { name: name, type: "bar", data: values, itemStyle: { color: color }, barMaxWidth: 28 };
    }
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      legend: { top: 0, left: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return v.toFixed(3); } },
      xAxis: { type: "category", data: d.classes },
      yAxis: { type: "value", min: 0, max: 1 },
      series: [
        series("Precision", d.precision, "#a5b4fc"),
        series("Recall", d.recall, "#6366f1"),
        Object.assign(series("F1", d.f1, "#312e81"), {
          markLine: { silent: true, symbol: "none", label: { formatter: "0.55" }, lineStyle: { color: "#c2323a", type: "dashed" }, data: [{ yAxis: 0.55 }] },
        }),
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
