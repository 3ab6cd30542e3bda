/* Value vs effort matrix (ECharts). The data comes from a <script type="application/json"> block
   written by Django's json_script (id "matrix-data"); nothing a person typed is put into code.

   Block shape: {points: [{id, ref, title, url, value, effort, demand, quadrant, score, can_edit_effort}],
                 lines: {value, effort}, axis: {x, y}, quadrants: {key: label},
                 value_input: {key, kind, choices: [[v, label]], minimum, maximum} | null,
                 can_score: bool, endpoints: {effort, value} (URL templates with 0 for the id), model}

   Click a bubble: open the feature. With "Drag to re-estimate" on, bubbles become handles:
   horizontal moves save the effort, vertical moves save the value input (when the model has one);
   the chart then redraws from what the server saved (snaps), or shows an error toast. */
(function () {
  "use strict";
  var COLORS = { quick_win: "#12b76a", big_bet: "#4f46e5", fill_in: "#98a2b3", time_sink: "#f04438" };
  var AREAS = { quick_win: "rgba(18,183,106,.06)", big_bet: "rgba(79,70,229,.05)", fill_in: "rgba(152,162,179,.06)", time_sink: "rgba(240,68,56,.05)" };
  var MIN_SIZE = 10, MAX_SIZE = 46, DRAG_PIXELS = 4;

  var el, chart, state, dragOn = false;

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  function toast(text, kind) {
    var box = document.getElementById("matrix-toast");
    if (!box) return;
    box.textContent = text;
    box.className = "mx-toast mx-toast-" + (kind || "error");
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 5000);
  }

  function maxDemand() {
    return state.points.reduce(function (m, p) { return Math.max(m, p.demand || 0); }, 0);
  }

  function size(p, top) {
    if (!top) return (MIN_SIZE + MAX_SIZE) / 3;
    // Diameter ∝ √demand, so a bubble's area grows with demand.
    return MIN_SIZE + (MAX_SIZE - MIN_SIZE) * Math.sqrt(Math.max(0, p.demand || 0) / top);
  }

  function extent() {
    var xs = state.points.map(function (p) { return p.effort; }).concat([state.lines.effort]);
    var ys = state.points.map(function (p) { return p.value; }).concat([state.lines.value]);
    var xmax = Math.max.apply(null, xs), ymax = Math.max.apply(null, ys), ymin = Math.min.apply(null, ys);
    // Scores such as RICE span orders of magnitude (50 next to 14,400): on a linear axis most
    // bubbles would sit in one heap at the bottom, so such values get a log axis.
    if (ymin > 0 && ymax / ymin >= 100) {
      return {
        xmin: 0, xmax: nice(xmax * 1.12 || 1), log: true,
        ymin: Math.pow(10, Math.floor(Math.log10(ymin))), ymax: Math.pow(10, Math.ceil(Math.log10(ymax))),
      };
    }
    return {
      xmin: 0, xmax: nice(xmax * 1.12 || 1), log: false,
      ymin: ymin >= 0 ? 0 : nice(ymin * 1.12), ymax: nice(ymax * 1.12 || 1),
    };
  }

  function nice(v) {
    if (!isFinite(v) || v === 0) return v || 1;
    var sign = v < 0 ? -1 : 1, a = Math.abs(v), p = Math.pow(10, Math.floor(Math.log10(a)));
    var steps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= a) return sign * steps[i] * p;
    return sign * 10 * p;
  }

  function fmt(v) {
    if (v === null || v === undefined) return "—";
    return Math.abs(v) >= 100 ? Math.round(v).toLocaleString() : (Math.round(v * 100) / 100).toString();
  }

  function option() {
    var top = maxDemand(), ext = extent(), L = state.lines, Q = state.quadrants;
    var area = function (key, x0, y0, x1, y1, pos) {
      return [{ name: Q[key], xAxis: x0, yAxis: y0, itemStyle: { color: AREAS[key] },
                label: { position: pos, color: COLORS[key], fontWeight: 650, fontSize: 13,
                          backgroundColor: "rgba(255,255,255,.85)", padding: [2, 6], borderRadius: 4 } },
              { xAxis: x1, yAxis: y1 }];
    };
    return {
      animation: false,
      grid: { left: 64, right: 24, top: 24, bottom: 56 },
      tooltip: {
        trigger: "item",
        formatter: function (info) {
          var p = state.points[info.dataIndex];
          if (!p) return "";
          var box = document.createElement("div");
          var strong = document.createElement("strong"); strong.textContent = p.ref + " · " + p.title; box.appendChild(strong);
          [["Effort", fmt(p.effort)], [state.axis.y, fmt(p.value)], ["Score", fmt(p.score)], ["Demand", fmt(p.demand)], ["Quadrant", Q[p.quadrant] || ""]]
            .forEach(function (row) {
              var line = document.createElement("div"); line.textContent = row[0] + ": " + row[1]; box.appendChild(line);
            });
          return box.innerHTML;
        },
      },
      xAxis: { type: "value", name: state.axis.x, nameLocation: "middle", nameGap: 32, min: ext.xmin, max: ext.xmax,
               splitLine: { lineStyle: { color: "#f0f1f4" } } },
      yAxis: { type: ext.log ? "log" : "value", logBase: 10, name: state.axis.y + (ext.log ? " (log scale)" : ""),
               nameLocation: "middle", nameGap: 44, min: ext.ymin, max: ext.ymax,
               splitLine: { lineStyle: { color: "#f0f1f4" } } },
      series: [{
        type: "scatter",
        cursor: dragOn ? "move" : "pointer",
        data: state.points.map(function (p) {
          return { value: [p.effort, p.value], symbolSize: size(p, top), name: p.ref,
                   itemStyle: { color: COLORS[p.quadrant] || "#667085", opacity: 0.78, borderColor: "#fff", borderWidth: 1 } };
        }),
        // Refs beside the bubbles; ECharts drops the ones that would overlap.
        label: { show: state.points.length <= 200, formatter: function (i) { return state.points[i.dataIndex].ref; },
                 position: "right", fontSize: 10, color: "#475467" },
        labelLayout: { hideOverlap: true },
        markLine: {
          silent: true, symbol: "none", lineStyle: { type: "dashed", color: "#98a2b3" }, label: { show: false },
          data: [{ xAxis: L.effort }, { yAxis: L.value }],
        },
        markArea: {
          silent: true,
          data: [
            area("quick_win", ext.xmin, L.value, L.effort, ext.ymax, "insideTopLeft"),
            area("big_bet", L.effort, L.value, ext.xmax, ext.ymax, "insideTopRight"),
            area("fill_in", ext.xmin, ext.ymin, L.effort, L.value, "insideBottomLeft"),
            area("time_sink", L.effort, ext.ymin, ext.xmax, L.value, "insideBottomRight"),
          ],
        },
      }],
    };
  }

  // --- dragging -------------------------------------------------------------------------------

  function snapValue(v) {
    var field = state.value_input;
    if (!field) return v;
    if (field.choices && field.choices.length) {
      // [value sent, label, where it sits on the axis]: the nearest choice wins.
      var best = null;
      field.choices.forEach(function (c) {
        if (best === null || Math.abs(c[2] - v) < Math.abs(best[2] - v)) best = c;
      });
      return best === null ? v : best[0];
    }
    if (field.minimum !== null && field.minimum !== undefined) v = Math.max(field.minimum, v);
    if (field.maximum !== null && field.maximum !== undefined) v = Math.min(field.maximum, v);
    var span = (field.maximum || 0) - (field.minimum || 0);
    return span && span <= 100 ? Math.round(v) : Math.round(v * 10) / 10;
  }

  function snapEffort(v) { return Math.max(0, Math.round(v * 2) / 2); }

  function handles() {
    if (!dragOn) { chart.setOption({ graphic: { elements: [] } }, { replaceMerge: ["graphic"] }); return; }
    var top = maxDemand();
    var canValue = !!(state.can_score && state.value_input);
    var elements = state.points.map(function (p, i) {
      var movable = p.can_edit_effort || canValue;
      var at = chart.convertToPixel({ seriesIndex: 0 }, [p.effort, p.value]);
      var r = size(p, top) / 2 + 2;
      var start = null;
      return {
        type: "circle", position: at, shape: { cx: 0, cy: 0, r: r }, invisible: true, z: 100,
        draggable: movable, cursor: movable ? "move" : "not-allowed",
        ondragstart: function () { start = this.position.slice(); },
        ondrag: function () {
          // Keep the move on the axes the person may change.
          if (!p.can_edit_effort) this.position[0] = start[0];
          if (!canValue) this.position[1] = start[1];
          var data = chart.getOption().series[0].data;
          data[i].value = chart.convertFromPixel({ seriesIndex: 0 }, this.position);
          chart.setOption({ series: [{ data: data }] });
        },
        ondragend: function () { finish(p, start, this.position.slice()); },
        onmouseover: function () { chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: i }); },
        onmouseout: function () { chart.dispatchAction({ type: "hideTip" }); },
      };
    });
    chart.setOption({ graphic: { elements: elements } }, { replaceMerge: ["graphic"] });
  }

  function post(url, body) {
    var form = new URLSearchParams(body);
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: form,
      headers: { "X-CSRFToken": csrf(), "Accept": "application/json" },
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    });
  }

  function finish(p, start, end) {
    var dx = end[0] - start[0], dy = end[1] - start[1];
    var to = chart.convertFromPixel({ seriesIndex: 0 }, end);
    var jobs = [];
    if (Math.abs(dx) >= DRAG_PIXELS && p.can_edit_effort) {
      jobs.push({ url: state.endpoints.effort.replace("/0/", "/" + p.id + "/"), body: { effort: snapEffort(to[0]) } });
    }
    if (Math.abs(dy) >= DRAG_PIXELS && state.can_score && state.value_input) {
      jobs.push({ url: state.endpoints.value.replace("/0/", "/" + p.id + "/"), body: { model: state.model, value: snapValue(to[1]) } });
    }
    if (!jobs.length) { draw(); return; }
    var chain = Promise.resolve(null);
    var last = null, failed = false, said = [];
    jobs.forEach(function (job) {
      chain = chain.then(function () {
        if (failed) return null;
        return post(job.url, job.body).then(function (res) {
          if (!res.ok) {
            failed = true;
            var err = (res.data && res.data.error) || {};
            toast(err.message || (res.status === 403 ? "You may not change this feature." : "Could not save the change."), "error");
          } else {
            last = res.data;
            if (res.data && res.data.message) said.push(res.data.message);
          }
        });
      });
    });
    chain.then(function () {
      if (last && last.points) update(last);
      if (!failed && said.length) toast(said.join(" "), "ok");
      draw();
    }).catch(function () { toast("Could not reach the server; nothing was changed.", "error"); draw(); });
  }

  function update(data) {
    state.points = data.points;
    state.lines = data.lines;
    var body = document.getElementById("matrix-rows");
    if (body && data.rows_html !== undefined) {
      // Server-rendered rows (escaped by Django's templates).
      var tmp = document.createElement("tbody");
      tmp.innerHTML = data.rows_html;
      body.replaceWith(tmp);
      tmp.id = "matrix-rows";
    }
  }

  function draw() {
    chart.setOption(option(), { notMerge: true });
    handles();
  }

  function init() {
    el = document.getElementById("matrix-chart");
    var block = document.getElementById("matrix-data");
    if (!el || !block || !window.echarts) return;
    state = JSON.parse(block.textContent);
    if (!state.points.length) return;
    chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.on("click", function (info) {
      if (dragOn || info.componentType !== "series") return;
      var p = state.points[info.dataIndex];
      if (p && p.url) window.location.href = p.url;
    });
    var toggle = document.getElementById("matrix-drag");
    if (toggle) {
      toggle.disabled = false;
      toggle.addEventListener("change", function () { dragOn = toggle.checked; draw(); });
    }
    draw();
    window.addEventListener("resize", function () { chart.resize(); handles(); });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
