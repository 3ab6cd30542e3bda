// Charts of the strategy-alignment report (ECharts). The figures come from the JSON script tag
// the page renders (#alignment-chart-data); the tables below the charts hold the same numbers, so
// the page reads fine without JavaScript. Filters swap the report through htmx: charts are drawn
// again after every swap.
(function () {
  "use strict";
  var COLORS = {
    planned: "#a5b4fc",
    in_progress: "#4f46e5",
    unaligned_planned: "#f4a3a8",
    unaligned_in_progress: "#c2323a",
    aligned: "#0f8a5f",
    other_objectives: "#f59e0b",
    no_objective: "#c2323a",
  };
  var charts = [];

  function bar(el, categories, series, unit) {
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 24, top: 56, bottom: 8, containLabel: true },
      legend: { top: 0, left: 0, right: 0 },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: function (v) { return v + " " + unit; },
      },
      xAxis: { type: "value" },
      yAxis: {
        type: "category",
        inverse: true,
        data: categories,
        axisLabel: { width: 220, overflow: "truncate" },
      },
      series: series,
    });
    charts.push(chart);
  }

  function draw() {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var source = document.getElementById("alignment-chart-data");
    if (!source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var objectives = document.getElementById("alignment-chart-objectives");
    if (objectives && data.objectives.length) {
      var rows = data.objectives;
      function item(row, key) {
        var color = row.unaligned ? COLORS["unaligned_" + key] : COLORS[key];
        return { value: row[key], itemStyle: { color: color } };
      }
      bar(objectives, rows.map(function (r) { return r.name; }), [
        { name: data.labels.planned, type: "bar", stack: "effort", color: COLORS.planned,
          data: rows.map(function (r) { return item(r, "planned"); }) },
        { name: data.labels.in_progress, type: "bar", stack: "effort", color: COLORS.in_progress,
          data: rows.map(function (r) { return item(r, "in_progress"); }) },
      ], data.unit);
    }
    var products = document.getElementById("alignment-chart-products");
    if (products && data.products.length) {
      var keys = ["aligned", "other_objectives", "no_objective"];
      bar(products, data.products.map(function (p) { return p.name; }), keys.map(function (key) {
        return {
          name: data.labels[key], type: "bar", stack: "effort", color: COLORS[key],
          data: data.products.map(function (p) { return p[key]; }),
        };
      }), data.unit);
    }
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "alignment-report") draw();
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
