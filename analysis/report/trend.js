/* trend.html: one uPlot line chart per key metric, x = run (oldest left); runs flagged with a regression are
   marked with a red band; hovering shows the run name and values in the legend. */
(function () {
  "use strict";
  var holder = document.getElementById("charts");
  var source = document.getElementById("trend-data");
  if (!holder || !source || typeof uPlot === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var x = data.names.map(function (_, i) { return i; });
  var colours = ["#4c72b0", "#dd8452", "#55a868"];
  data.charts.forEach(function (chart) {
    var div = document.createElement("div");
    div.className = "trend-chart";
    holder.appendChild(div);
    new uPlot({
      title: chart.title, width: 440, height: 190,
      cursor: {sync: {key: "trend"}},
      scales: {x: {time: false}},
      axes: [{values: function (u, ticks) { return ticks.map(function (t) { return data.names[t] ? "#" + (t + 1) : ""; }); }},
        {size: 55}],
      series: [{label: "run", value: function (u, v) { return v === null ? "" : data.names[v] || ""; }}].concat(
        chart.series.map(function (s, i) { return {label: s.label, stroke: colours[i % 3], width: 1.5, points: {show: true, size: 4}}; })),
      hooks: {drawClear: [function (u) {
        u.ctx.save();
        u.ctx.fillStyle = "rgba(207,34,46,0.18)";
        data.flagged.forEach(function (i) {
          var a = u.valToPos(i - 0.5, "x", true), b = u.valToPos(i + 0.5, "x", true);
          u.ctx.fillRect(a, u.bbox.top, b - a, u.bbox.height);
        });
        u.ctx.restore();
      }]}
    }, [x].concat(chart.series.map(function (s) { return s.values; })), div);
  });
  holder.setAttribute("data-ready", String(data.charts.length));
})();
