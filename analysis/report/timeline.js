/* report.html's timeline: one uPlot chart per panel, all on one shared x axis (seconds since run start).
   Drag on any chart to zoom all of them, double-click to reset; hovering shows a tooltip with every series' value;
   clicking an element with data-start/data-end (a check, a fault) zooms to that evidence window.
   Bands: load stages (faint, labelled on the first chart) and fault windows (red, labelled on every chart). */
(function () {
  "use strict";
  var holder = document.getElementById("timeline-charts");
  var source = document.getElementById("timeline-data");
  if (!holder || !source || typeof uPlot === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var plots = [];
  var syncing = false;
  var full = [0, data.end || 1];
  var tip = document.createElement("div");
  tip.className = "tl-tip";
  tip.style.display = "none";
  document.body.appendChild(tip);

  function trim(text) { return text.indexOf(".") < 0 ? text : text.replace(/0+$/, "").replace(/\.$/, ""); }

  function fmt(v, unit) {
    if (v === null || v === undefined || isNaN(v)) { return "–"; }
    if (unit === "s") {
      var a = Math.abs(v);
      if (a >= 1000) { return Math.round(v) + " s"; }
      return a === 0 ? "0 s" : a < 1 ? trim((v * 1000).toPrecision(3)) + " ms" : trim(v.toPrecision(3)) + " s";
    }
    if (unit === "%") { return (Math.round(v * 1000) / 1000) + " %"; }
    if (unit === "/s") { return (Math.round(v * 100) / 100) + "/s"; }
    return String(Math.round(v * 100) / 100);
  }

  function clock(t) {
    var s = Math.max(0, t);
    var m = Math.floor(s / 60);
    var h = Math.floor(m / 60);
    var sec = (s - m * 60).toFixed(s < 100 ? 1 : 0);
    return h ? "+" + h + "h" + String(m % 60).padStart(2, "0") + "m" : m ? "+" + m + "m" + sec + "s" : "+" + sec + "s";
  }

  function drawBands(u, first) {
    var ctx = u.ctx;
    var top = u.bbox.top, height = u.bbox.height;
    ctx.save();
    ctx.font = Math.round(10 * devicePixelRatio) + "px sans-serif";
    data.bands.forEach(function (b, i) {
      var x0 = u.valToPos(b.start, "x", true), x1 = u.valToPos(b.end, "x", true);
      if (x1 < u.bbox.left || x0 > u.bbox.left + u.bbox.width) { return; }
      x0 = Math.max(x0, u.bbox.left); x1 = Math.min(x1, u.bbox.left + u.bbox.width);
      if (b.kind === "fault") {
        ctx.fillStyle = "rgba(207,34,46,0.13)";
        ctx.fillRect(x0, top, Math.max(x1 - x0, 2), height);
        ctx.fillStyle = "#cf222e";
        ctx.fillText(b.label, x0 + 3, top + 12 * devicePixelRatio * (1 + (i % 3)));
      } else if (b.kind === "alert") {
        ctx.fillStyle = "rgba(191,135,0,0.16)";
        ctx.fillRect(x0, top, Math.max(x1 - x0, 2), height);
        ctx.fillStyle = "#9a6700";
        ctx.fillText(b.label, x0 + 3, top + height - 14 * devicePixelRatio);
      } else if (first) {
        ctx.fillStyle = i % 2 ? "rgba(76,114,176,0.06)" : "rgba(85,168,104,0.06)";
        ctx.fillRect(x0, top, x1 - x0, height);
        ctx.fillStyle = "#57606a";
        ctx.fillText(b.label, x0 + 3, top + height - 4);
      }
    });
    ctx.restore();
  }

  function showTip(u, panel) {
    var idx = u.cursor.idx;
    if (idx === null || idx === undefined || u.cursor.left < 0) { tip.style.display = "none"; return; }
    var rows = ["<b>" + clock(u.data[0][idx]) + "</b> " + panel.title];
    panel.series.forEach(function (s, i) {
      rows.push('<span style="color:' + s.colour + '">■</span> ' + s.label + ": " + fmt(u.data[i + 1][idx], s.unit));
    });
    tip.innerHTML = rows.join("<br>");
    var box = u.over.getBoundingClientRect();
    tip.style.display = "block";
    tip.style.left = (window.scrollX + box.left + u.cursor.left + 14) + "px";
    tip.style.top = (window.scrollY + box.top + u.cursor.top + 14) + "px";
  }

  function setAll(min, max, except) {
    if (syncing) { return; }
    syncing = true;
    plots.forEach(function (p) { if (p !== except) { p.setScale("x", {min: min, max: max}); } });
    syncing = false;
    document.getElementById("timeline").setAttribute("data-range", min.toFixed(3) + "," + max.toFixed(3));
  }

  var width = Math.max(480, holder.clientWidth - 8);
  data.panels.forEach(function (panel, n) {
    var div = document.createElement("div");
    div.className = "tl-panel";
    div.setAttribute("data-panel", panel.key);
    holder.appendChild(div);
    var opts = {
      title: panel.title, width: width, height: n === 0 ? 110 : 150,
      cursor: {sync: {key: "timeline", setSeries: false}, drag: {x: true, y: false}},
      scales: {x: {time: false, min: full[0], max: full[1]}},
      axes: [{values: function (u, ticks) { return ticks.map(clock); }}, {size: 60,
        values: function (u, ticks) { return ticks.map(function (t) { return fmt(t, panel.unit); }); }}],
      legend: {show: true, live: false},
      series: [{label: "t"}].concat(panel.series.map(function (s) {
        var out = {label: s.label, stroke: s.colour, width: 1.4, spanGaps: false};
        if (s.dash) { out.dash = [5, 4]; }
        if (s.step) { out.paths = uPlot.paths.stepped({align: 1}); }
        return out;
      })),
      hooks: {
        drawClear: [function (u) { drawBands(u, n === 0); }],
        setCursor: [function (u) { showTip(u, panel); }],
        setScale: [function (u, key) { if (key === "x") { setAll(u.scales.x.min, u.scales.x.max, u); } }]
      }
    };
    var plot = new uPlot(opts, [panel.x].concat(panel.series.map(function (s) { return s.values; })), div);
    plot.over.addEventListener("mouseleave", function () { tip.style.display = "none"; });
    plot.over.addEventListener("dblclick", function () { zoom(full[0], full[1]); });
    plots.push(plot);
  });

  function zoom(min, max) {
    syncing = false;
    if (!plots.length) { return; }
    plots[0].setScale("x", {min: min, max: max});
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-start]") : null;
    if (!el || !plots.length) { return; }
    var s = parseFloat(el.getAttribute("data-start")), e = parseFloat(el.getAttribute("data-end"));
    if (isNaN(s) || isNaN(e)) { return; }
    var pad = Math.max((e - s) * 0.15, data.window_s || 1);
    zoom(Math.max(full[0], s - pad), Math.min(full[1], e + pad));
    document.getElementById("timeline").scrollIntoView({behavior: "auto", block: "start"});
  });
  var reset = document.getElementById("timeline-reset");
  if (reset) { reset.addEventListener("click", function () { zoom(full[0], full[1]); }); }
  window.afTimeline = {plots: plots, zoom: zoom, full: full,
    range: function () { return plots.length ? [plots[0].scales.x.min, plots[0].scales.x.max] : null; }};
  window.afTimeline.renderedMs = performance.now();  /* navigation start -> every chart drawn (benchmarks) */
  document.getElementById("timeline").setAttribute("data-ready", String(plots.length));
})();
