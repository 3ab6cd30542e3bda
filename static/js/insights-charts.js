/* Charts of the themes pages (ECharts). Data comes from <script type="application/json"> blocks
   written by Django's json_script; nothing a person typed is ever put into code. Each chart element
   says what to draw: data-theme-chart="volume|sentiment|companies", data-source="<json block id>",
   and, for a block holding several themes, data-key="<theme id>". */
(function () {
  "use strict";
  var COLORS = { negative: "#d92d20", neutral: "#98a2b3", positive: "#12b76a", unlabelled: "#d0d5dd" };
  var NAMES = { negative: "Negative", neutral: "Neutral", positive: "Positive", unlabelled: "Not labelled" };
  var SERIES = ["negative", "neutral", "positive", "unlabelled"];
  var cache = {};

  function data(el) {
    var id = el.getAttribute("data-source");
    if (!(id in cache)) {
      var block = document.getElementById(id);
      cache[id] = block ? JSON.parse(block.textContent) : null;
    }
    var all = cache[id];
    var key = el.getAttribute("data-key");
    return all && key ? all[key] : all;
  }

  function small(el) { return el.classList.contains("theme-chart-sm"); }

  function volume(el, d) {
    var v = d.volume;
    return {
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: small(el) ? undefined : { bottom: 0, data: SERIES.map(function (s) { return NAMES[s]; }) },
      grid: small(el) ? { left: 4, right: 4, top: 6, bottom: 4, containLabel: false } : { left: 36, right: 8, top: 12, bottom: 64 },
      xAxis: { type: "category", data: v.weeks, show: !small(el), axisLabel: { formatter: function (w) { return w.slice(5); } } },
      yAxis: { type: "value", minInterval: 1, show: !small(el) },
      series: SERIES.map(function (s) {
        return { name: NAMES[s], type: "bar", stack: "notes", data: v[s], itemStyle: { color: COLORS[s] }, barMaxWidth: 18 };
      }),
    };
  }

  function sentiment(el, d) {
    var s = d.sentiment;
    return {
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: small(el) ? undefined : { bottom: 0 },
      series: [{
        type: "pie", radius: small(el) ? ["45%", "80%"] : ["40%", "68%"], center: ["50%", small(el) ? "50%" : "45%"],
        label: { show: false },
        data: SERIES.filter(function (k) { return s[k] > 0; }).map(function (k) {
          return { name: NAMES[k], value: s[k], itemStyle: { color: COLORS[k] } };
        }),
      }],
    };
  }

  function companies(el, d) {
    var list = (d.companies || []).slice().reverse();
    return {
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: list.map(function (c) { return c.name; }), axisLabel: { width: 110, overflow: "truncate" } },
      series: [{ type: "bar", name: "Notes", data: list.map(function (c) { return c.notes; }), itemStyle: { color: "#4f46e5" }, barMaxWidth: 18 }],
    };
  }

  var DRAW = { volume: volume, sentiment: sentiment, companies: companies };

  function render(root) {
    if (!window.echarts) return;
    (root || document).querySelectorAll("[data-theme-chart]").forEach(function (el) {
      if (el.getAttribute("data-drawn")) return;
      var d = data(el);
      var draw = DRAW[el.getAttribute("data-theme-chart")];
      if (!d || !draw) return;
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(draw(el, d));
      el.setAttribute("data-drawn", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:afterSettle", function (e) { cache = {}; render(e.target); });
})();
